"""Analyses: one SQL file per finding. The directory listing is the registry; the header is TOML.

Each file starts with a `/* --- ... --- */` TOML header (id, title, severity, confidence, params,
recommendation, method) and returns only the offending rows; a `savings` column is summed into the finding.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from importlib.resources import files
from typing import Any

import duckdb

from finops.errors import AnalysisError

SEVERITIES = ("low", "medium", "high")
CONFIDENCES = ("measured", "estimated")
EVIDENCE_ROWS = 10


@dataclass(frozen=True)
class Analysis:
    id: str
    title: str
    severity: str
    confidence: str
    recommendation: str
    method: str
    params: dict[str, Any]
    sql: str


@dataclass(frozen=True)
class Finding:
    id: str
    title: str
    severity: str
    confidence: str
    recommendation: str
    method: str
    params: dict[str, Any]
    affected_requests: int
    affected_cost: Decimal
    savings: Decimal
    evidence_columns: list[str]
    evidence: list[dict[str, Any]]
    evidence_total_rows: int
    stacked_savings: Decimal | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def parse(name: str, text: str) -> Analysis:
    """Parse one analysis file; a bad header raises AnalysisError naming the file."""
    stem = name.removesuffix(".sql")
    start, end = text.find("/* ---"), text.find("--- */")
    if start != 0 or end < 0:
        raise AnalysisError(f"{name}: must start with a /* --- ... --- */ TOML header")
    try:
        header = tomllib.loads(text[start + len("/* ---"): end])
    except tomllib.TOMLDecodeError as e:
        raise AnalysisError(f"{name}: header is not valid TOML: {e}") from e
    if header.get("id") != stem:
        raise AnalysisError(f"{name}: header id {header.get('id')!r} differs from the file name")
    if header.get("severity") not in SEVERITIES:
        raise AnalysisError(f"{name}: severity must be one of {', '.join(SEVERITIES)}")
    if header.get("confidence") not in CONFIDENCES:
        raise AnalysisError(f"{name}: confidence must be one of {', '.join(CONFIDENCES)}")
    for key in ("title", "recommendation", "method"):
        if not str(header.get(key) or "").strip():
            raise AnalysisError(f"{name}: {key} is empty")
    return Analysis(
        id=stem, title=header["title"], severity=header["severity"], confidence=header["confidence"],
        recommendation=" ".join(header["recommendation"].split()), method=" ".join(header["method"].split()),
        params=dict(header.get("params") or {}), sql=text[end + len("--- */"):].strip(),
    )


def load_all() -> list[Analysis]:
    """Every analysis shipped in this package, sorted by id."""
    found = sorted(p for p in files("finops.analysis").iterdir() if p.name.endswith(".sql"))
    analyses = [parse(p.name, p.read_text(encoding="utf-8")) for p in found]
    ids = [a.id for a in analyses]
    if len(set(ids)) != len(ids):
        raise AnalysisError(f"duplicate analysis ids: {ids}")
    return analyses


def coerce_params(analysis: Analysis, overrides: dict[str, Any]) -> dict[str, Any]:
    """The header's params with overrides applied, each converted to the type of its default."""
    params = dict(analysis.params)
    for name, value in overrides.items():
        if name not in params:
            raise AnalysisError(f"{analysis.id} has no parameter {name!r} (it has: {', '.join(params) or 'none'})")
        default = params[name]
        try:
            if isinstance(default, bool):
                params[name] = str(value).lower() in ("1", "true", "yes", "on")
            elif isinstance(default, int) and not isinstance(value, bool):
                params[name] = int(value)
            elif isinstance(default, float):
                params[name] = float(value)
            else:
                params[name] = type(default)(value)
        except (TypeError, ValueError) as e:
            raise AnalysisError(f"{analysis.id}.{name}: {value!r} is not a {type(default).__name__}") from e
    return params


def run(con: duckdb.DuckDBPyConnection, analysis: Analysis, overrides: dict[str, Any] | None = None) -> Finding | None:
    """Run one analysis; None when it returns no rows."""
    params = coerce_params(analysis, overrides or {})
    try:
        relation = con.execute(analysis.sql, params)
    except duckdb.Error as e:
        raise AnalysisError(f"{analysis.id}: {e}") from e
    columns = [d[0] for d in relation.description]
    rows = [dict(zip(columns, r, strict=True)) for r in relation.fetchall()]
    if not rows:
        return None
    money = lambda key: sum((Decimal(r[key]) for r in rows if r.get(key) is not None), Decimal(0))  # noqa: E731
    return Finding(
        id=analysis.id, title=analysis.title, severity=analysis.severity, confidence=analysis.confidence,
        recommendation=analysis.recommendation, method=analysis.method, params=params,
        affected_requests=int(sum(r.get("requests") or 0 for r in rows)),
        affected_cost=money("cost"), savings=money("savings"),
        evidence_columns=columns, evidence=rows[:EVIDENCE_ROWS], evidence_total_rows=len(rows),
    )
