"""The Report value every output is rendered from, and its JSON form (the stable contract)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from finops.analysis import Finding
from finops.ingest.common import FileStats

# 2.0: evidence.scenarios gone (evidence.commitment), forecast per platform, reconciliation result on the part
# not explained.
SCHEMA_VERSION = "2.0"
MONEY_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class Totals:
    requests: int
    input_tokens: int
    cache_write_5m_tokens: int
    cache_write_1h_tokens: int
    cache_read_tokens: int
    output_tokens: int
    web_search_requests: int
    list_cost: Decimal
    billed_cost: Decimal
    rows: int
    bucket_rows: int = 0  # rows from aggregated sources, which do not count requests
    logged_requests: int = 0  # request-level rows read (in totals or used as detail for findings)


@dataclass(frozen=True)
class Report:
    generated_at: datetime
    period_start: datetime | None
    period_end: datetime | None
    inputs: list[FileStats]
    skipped: list[tuple[str, str]]
    totals: Totals
    unpriced: list[dict[str, Any]]
    spend_by_model: list[dict[str, Any]]
    spend_by_month: list[dict[str, Any]]
    spend_by: dict[str, list[dict[str, Any]]]  # workspace / api_key_id / project -> rows
    findings: list[Finding]
    savings_standalone: Decimal
    savings_stacked: Decimal
    prices: list[dict[str, Any]]
    params: dict[str, dict[str, Any]]
    quality: dict[str, Any]  # data-quality facts: rejects by reason, assumptions, basis
    organisation: str = ""  # the name on the cover; none when not set (never a placeholder)
    rejects_file: str | None = "rejects.csv"
    notes: list[str] = field(default_factory=list)
    # Optional sections built by finops.sections (reconciliation, evidence pack, comparison, ...): name -> data.
    sections: dict[str, Any] = field(default_factory=dict)
    # Run options the section builders read (e.g. "month": the month the comparison reports on); not in report.json.
    options: dict[str, Any] = field(default_factory=dict)
    # Bills without any usage (overview.bill_only): what they charged and when; the totals then count no usage.
    bill_only: dict[str, Any] | None = None


def money(value: Decimal | int | None) -> str | None:
    """Money as a decimal string with 6 places (never a float)."""
    if value is None:
        return None
    return str(Decimal(value).quantize(MONEY_PLACES))


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return money(value)
    if isinstance(value, datetime):
        return value.isoformat() + ("Z" if value.tzinfo is None else "")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _money_keys(row: dict[str, Any]) -> dict[str, Any]:
    # Cost columns are named *cost / savings in SQL; the JSON contract names them *_usd.
    out = {}
    for key, value in row.items():
        if key in ("cost", "list_cost", "billed_cost", "savings", "successor_cost") or key.endswith("_cost"):
            out[f"{key}_usd"] = money(value)
        else:
            out[key] = _plain(value)
    return out


def to_dict(report: Report) -> dict[str, Any]:
    """The report.json document (documented in the README; schema_version bumps on breaking changes)."""
    t = report.totals
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": _plain(report.generated_at),
        "period": {"start": _plain(report.period_start), "end": _plain(report.period_end)},
        "inputs": [
            {"path": f.path, "format": f.format, "rows_read": f.rows_read, "rows_loaded": f.rows_loaded,
             "rows_rejected": f.rows_rejected, "rows_duplicate": f.rows_duplicate,
             "lines_ignored": f.lines_ignored, "error": f.error, "notes": f.notes}
            for f in report.inputs
        ],
        "skipped": [{"path": p, "reason": r} for p, r in report.skipped],
        "totals": {
            "requests": t.requests, "input_tokens": t.input_tokens,
            "cache_write_5m_tokens": t.cache_write_5m_tokens, "cache_write_1h_tokens": t.cache_write_1h_tokens,
            "cache_read_tokens": t.cache_read_tokens, "output_tokens": t.output_tokens,
            "web_search_requests": t.web_search_requests, "logged_requests": t.logged_requests,
            "list_cost_usd": money(t.list_cost), "billed_cost_usd": money(t.billed_cost),
        },
        "unpriced": [_plain(u) for u in report.unpriced],
        "spend_by_model": [_money_keys(r) for r in report.spend_by_model],
        "spend_by_month": [_money_keys(r) for r in report.spend_by_month],
        "spend_by": {k: [_money_keys(r) for r in rows] for k, rows in report.spend_by.items()},
        "findings": [
            {"id": f.id, "title": f.title, "severity": f.severity, "confidence": f.confidence,
             "affected_requests": f.affected_requests, "affected_cost_usd": money(f.affected_cost),
             "savings_usd": money(f.savings),
             "stacked_savings_usd": money(f.stacked_savings if f.stacked_savings is not None else f.savings),
             "recommendation": f.recommendation, "method": f.method, "params": f.params,
             "evidence_rows_total": f.evidence_total_rows,
             "evidence": [_money_keys(r) for r in f.evidence]}
            for f in report.findings
        ],
        "savings": {"standalone_usd": money(report.savings_standalone),
                    "stacked_usd": money(report.savings_stacked)},
        "data_quality": _plain(report.quality),
        "notes": report.notes,
        **({"bill_only": _money_keys(report.bill_only)} if report.bill_only else {}),
        **{name: _plain(data) for name, data in report.sections.items()},
    }


def to_json(report: Report) -> str:
    """report.json text."""
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False) + "\n"
