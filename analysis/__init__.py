"""Analyses: one SQL file per finding. The directory listing is the registry; the header is TOML.

Each file starts with a `/* --- ... --- */` TOML header (id, title, confidence, stage, params,
recommendation, method) and returns only the offending usage rows, one per record: `record_id`, `requests`,
`cost`, `savings` (what this change alone would save on that record) and the columns the evidence table shows.
The runner sums them into a Finding and groups them into evidence; stacking.py combines findings per record.

Severity is not set per analysis: it follows the money (`severity()`), so that a finding worth $21 on a $1,488
spend outranks one worth $0.10 whatever analysis found it.
"""

from __future__ import annotations

import functools
import math
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from importlib.resources import files
from typing import Any, Protocol

import duckdb

from finops.errors import AnalysisError, did_you_mean, unknown

SEVERITIES = ("low", "medium", "high")
# Severity from a finding's savings: high at 5% of spend or $10,000, medium at 1% of spend or $1,000, else low.
SEVERITY_RULE = (("high", Decimal("0.05"), Decimal(10_000)), ("medium", Decimal("0.01"), Decimal(1_000)))
CONFIDENCES = ("measured", "estimated")
# The order in which changes are applied when savings are stacked, and what part of a request's cost each
# kind of change acts on: "replace" sets the request's cost to a new one (a different model), "request"
# scales all of it, "input" the input side (uncached, cache writes, reads), "thinking" the thinking tokens.
STAGES = {"migrate": "replace", "route": "replace", "batch": "request", "cache": "input",
          "thinking": "thinking", "premium": "request", "review": "none"}
DEFAULT_EVIDENCE_BY = ["platform", "workspace", "api_key_id", "project", "model"]
REQUIRED_COLUMNS = ("record_id", "requests", "cost", "savings")
EVIDENCE_ROWS = 10


class Cursor(Protocol):
    description: Any

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    """What summarise asks of a connection: DuckDB's, or finops/spark_queries.SparkQueries, which runs the same
    SQL in Spark and answers with DuckDB's cursor."""

    def execute(self, sql: str, params: Any = None, /) -> Cursor: ...


@dataclass(frozen=True)
class Analysis:
    id: str
    title: str
    confidence: str
    recommendation: str
    method: str
    stage: str
    params: dict[str, Any]
    evidence_by: list[str]
    evidence_sum: list[str]
    sql: str

    @property
    def lever(self) -> str:
        return STAGES[self.stage]


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
    stage: str = "review"
    affected_rows: int = 0
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
    if header.get("confidence") not in CONFIDENCES:
        raise AnalysisError(f"{name}: confidence must be one of {', '.join(CONFIDENCES)}")
    if header.get("stage") not in STAGES:
        raise AnalysisError(f"{name}: stage must be one of {', '.join(STAGES)}")
    for key in ("title", "recommendation", "method"):
        if not str(header.get(key) or "").strip():
            raise AnalysisError(f"{name}: {key} is empty")
    return Analysis(
        id=stem, title=header["title"], confidence=header["confidence"],
        recommendation=" ".join(header["recommendation"].split()), method=" ".join(header["method"].split()),
        stage=header["stage"], params=dict(header.get("params") or {}),
        evidence_by=list(header.get("evidence_by") or DEFAULT_EVIDENCE_BY),
        evidence_sum=list(header.get("evidence_sum") or []), sql=text[end + len("--- */"):].strip(),
    )


def load_all() -> list[Analysis]:
    """Every analysis shipped in this package, sorted by id."""
    return list(_shipped())


@functools.cache
def _shipped() -> tuple[Analysis, ...]:
    # Parsed once a process (their TOML headers: ~5 ms a run); the files are the package's own.
    found = sorted(p for p in files("finops.analysis").iterdir()
                   if p.name.endswith(".sql") and not p.name.startswith("_"))
    analyses = tuple(parse(p.name, p.read_text(encoding="utf-8")) for p in found)
    ids = [a.id for a in analyses]
    if len(set(ids)) != len(ids):
        raise AnalysisError(f"duplicate analysis ids: {ids}")
    return analyses


# What a parameter's value must be, by the type of its default, for error messages.
TYPE_WORDS = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}


def _coerce(value: Any, default: Any) -> Any:
    """value (text from --param, or a TOML value) as the type of default; ValueError when it is not one."""
    if isinstance(default, bool):
        word = str(value).strip().lower()
        if word in ("1", "true", "yes", "on"):
            return True
        if word in ("0", "false", "no", "off"):
            return False
        raise ValueError(value)
    if isinstance(value, bool) or isinstance(value, list | dict):
        raise ValueError(value)
    if isinstance(default, int):
        if isinstance(value, float):
            if not value.is_integer():
                raise ValueError(value)
            return int(value)
        return int(str(value).strip())
    if isinstance(default, float):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(value)
        return number
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ValueError(value)
        return value
    return type(default)(value)


def coerce_params(analysis: Analysis, overrides: dict[str, Any]) -> dict[str, Any]:
    """The header's params with overrides applied, each converted to the type of its default."""
    params = dict(analysis.params)
    for name, value in overrides.items():
        if name not in params:
            raise AnalysisError(f"{analysis.id} has no parameter {name!r}{did_you_mean(name, params)} "
                                f"(it has: {', '.join(params) or 'none'})")
        default = params[name]
        try:
            params[name] = _coerce(value, default)
        except (TypeError, ValueError, OverflowError) as e:
            kind = TYPE_WORDS.get(type(default), f"of type {type(default).__name__}")
            raise AnalysisError(f"{analysis.id}.{name}: {value!r} is not {kind}") from e
    return params


def check_overrides(params: dict[str, dict[str, Any]], analyses: list[Analysis] | None = None) -> None:
    """Every override names a known analysis and one of its parameters, with a value of the right type: a typo
    is an error, never a silently kept default."""
    by_id = {a.id: a for a in (analyses if analyses is not None else load_all())}
    for analysis_id, overrides in params.items():
        if analysis_id not in by_id:
            names = ", ".join(f"{analysis_id}.{n}" for n in overrides) or analysis_id
            raise AnalysisError(f"{names}: " + unknown("analysis id", analysis_id, by_id))
        coerce_params(by_id[analysis_id], overrides)


def _quote(name: str) -> str:
    # Column names come from the analysis header and are checked against the result's own columns.
    return '"' + name.replace('"', '""') + '"'


def severity(savings: Decimal, spend: Decimal | None) -> str:
    """A finding's severity from its money (SEVERITY_RULE): its savings as a share of spend, or in dollars."""
    for level, share, dollars in SEVERITY_RULE:
        if savings >= dollars or (spend and spend > 0 and savings >= share * spend):
            return level
    return "low"


def run(con: duckdb.DuckDBPyConnection, analysis: Analysis, overrides: dict[str, Any] | None = None,
        spend: Decimal | None = None) -> Finding | None:
    """Run one analysis; None when it returns no rows. Its per-record savings go to `finding_savings`.
    spend: the period's spend, which the severity is weighed against (None: dollars only)."""
    params = coerce_params(analysis, overrides or {})
    try:
        (made,) = con.execute(f"CREATE OR REPLACE TEMP TABLE finding_rows AS {analysis.sql}", params).fetchone()
    except duckdb.Error as e:
        raise AnalysisError(f"{analysis.id}: {e}") from e
    return summarise(con, analysis, params, spend, known_rows=made)


def summarise(con: Connection, analysis: Analysis, params: dict[str, Any],
              spend: Decimal | None = None, known_rows: int | None = None) -> Finding | None:
    """The Finding of the per-record rows in `finding_rows` (made by run(), or by another engine's run of the
    same query); None when there are none. The rows' savings go to `finding_savings`. known_rows: how many rows
    `finding_rows` holds, when known (0: its columns are checked, and the summary query, most of an analysis's
    fixed cost on a small input, is not run).

    Every figure is summed by con, where the rows are: DuckDB's connection in a local run, or one that runs the
    same SQL in Spark (finops/spark_queries.py), where `finding_rows` and `finding_savings` are Spark views. Only
    the totals and the first EVIDENCE_ROWS evidence rows come back."""
    columns = [d[0] for d in con.execute("SELECT * FROM finding_rows LIMIT 0").description]
    wanted = [*REQUIRED_COLUMNS, *analysis.evidence_by, *analysis.evidence_sum]
    missing = [c for c in wanted if c not in columns]
    if missing:
        raise AnalysisError(f"{analysis.id}: the query returns no column(s) {', '.join(missing)}")
    if known_rows == 0:
        return None
    by = ", ".join(_quote(c) for c in analysis.evidence_by)
    sums = "".join(f", sum({_quote(c)}) AS {_quote(c)}" for c in analysis.evidence_sum)
    estimated = "bool_or(estimated)" if "estimated" in columns else "false"
    # One query (in a Spark run, one job): the evidence groups, each with what the totals need, and the totals over
    # every group (window sums, taken before the LIMIT). Groups that tie on savings and cost (a Bedrock account and
    # a Vertex project with the same rows) come in the order of their evidence_by values, which are unique per
    # group: the same order however the rows were stored, so the first EVIDENCE_ROWS are the same on any engine.
    cursor = con.execute(
        f"WITH evidence_groups AS (SELECT {by}, sum(requests) AS requests, sum(cost) AS cost{sums}, "
        f"sum(savings) AS savings, count(*) AS group_rows, bool_or(savings < 0) AS group_negative, "
        f"{estimated} AS group_estimated FROM finding_rows GROUP BY ALL) "
        "SELECT *, sum(group_rows) OVER () AS all_rows, coalesce(sum(requests) OVER (), 0) AS all_requests, "
        "coalesce(sum(cost) OVER (), 0) AS all_cost, coalesce(sum(savings) OVER (), 0) AS all_savings, "
        "coalesce(bool_or(group_negative) OVER (), false) AS any_negative, "
        "coalesce(bool_or(group_estimated) OVER (), false) AS any_estimated, count(*) OVER () AS all_groups "
        f"FROM evidence_groups ORDER BY savings DESC NULLS LAST, cost DESC NULLS LAST, {by} LIMIT ?",
        [EVIDENCE_ROWS])
    names = [d[0] for d in cursor.description]
    found = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    if not found:
        return None
    first = found[0]
    if first["any_negative"]:
        raise AnalysisError(f"{analysis.id}: a record has negative savings (per-record savings must be >= 0)")
    evidence_columns = names[:names.index("group_rows")]
    evidence = [{c: row[c] for c in evidence_columns} for row in found]
    rows, requests, cost, savings = first["all_rows"], first["all_requests"], first["all_cost"], first["all_savings"]
    estimated, groups = first["any_estimated"], first["all_groups"]
    con.execute("INSERT INTO finding_savings SELECT ?, record_id, savings FROM finding_rows", [analysis.id])
    return Finding(
        id=analysis.id, title=analysis.title, severity=severity(Decimal(savings), spend),
        confidence="estimated" if estimated else analysis.confidence,
        recommendation=analysis.recommendation, method=analysis.method, params=params,
        affected_requests=int(requests), affected_cost=Decimal(cost), savings=Decimal(savings),
        evidence_columns=evidence_columns, evidence=evidence, evidence_total_rows=int(groups),
        stage=analysis.stage, affected_rows=int(rows),
    )


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Before the analyses, after pricing: the definitions they share (analysis/_shared.sql) and the table of
    every finding's per-record savings, which stacking reads."""
    con.execute(files("finops.analysis").joinpath("_shared.sql").read_text(encoding="utf-8"))
    con.execute("CREATE OR REPLACE TABLE finding_savings "
                "(finding_id VARCHAR, record_id VARCHAR, savings DECIMAL(38, 12))")


def stage_rank(stage: str) -> int:
    return list(STAGES).index(stage)
