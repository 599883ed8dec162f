"""The executive summary's figures, computed once: report.json `summary`, rendered by the PDF/HTML, the terminal
and summary.md alike, so that every output shows the same figure for the same quantity.

- spend in the period, its report rows and the logged requests (two different counts, each labelled);
- savings: for the period (stacked, no double counting); per month, the stacked savings of the last full month of
  the period (finops/stacking.py's stacked_savings, the figures the evidence pack sizes the commitment on); per
  year, that month x 12;
- reconciliation per platform and month: pass or fail (on the part not explained), the whole gap, the usage gap,
  what explains the rest ("logs missing for these days/accounts", credits, discounts, ...), and the part not
  explained;
- the three findings worth the most, each with its largest workload (the evidence row that saves the most, named by
  its project, workspace, API key and model) and that workload's dollars;
- the recommended commitment, only when the evidence pack states one (`evidence.commitment`);
- the findings under `minor_finding_share` of spend ([report] in finops.toml, default 0.5%), shown in one table.
"""

from __future__ import annotations

import calendar
from datetime import datetime
from decimal import Decimal
from typing import Any

import duckdb

from .analysis import Finding
from .config import DEFAULT_MINOR_FINDING_SHARE
from .report import Report

ZERO = Decimal(0)
TOP_ACTIONS = 3
# How a workload is named, most specific first: the evidence columns that say whose traffic it is.
WORKLOAD_COLUMNS = (("project", "project"), ("workspace", "workspace"), ("api_key_id", "API key"),
                    ("model", "model"))
NOT_RECORDED = (None, "", "(not recorded)", "—")


def last_full_month(start: datetime | None, end: datetime | None) -> str | None:
    """The last calendar month the period covers from its first to its last day ('2026-10'), or None."""
    if start is None or end is None:
        return None
    year, month = end.year, end.month
    if end.day != calendar.monthrange(year, month)[1]:
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    if (year, month) < (start.year, start.month) or ((year, month) == (start.year, start.month) and start.day != 1):
        return None
    return f"{year:04d}-{month:02d}"


def _monthly_savings(con: duckdb.DuckDBPyConnection | None, report: Report, month: str | None) -> dict[str, Any]:
    period = report.savings_stacked
    out: dict[str, Any] = {"period_usd": period, "month": month, "per_month_usd": None, "per_year_usd": None}
    if con is None or month is None or not report.findings:
        return out
    stacked = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'stacked_savings'")
    if not stacked.fetchone()[0]:  # type: ignore[index]
        return out  # the findings were not stacked: no month's figure to give
    (in_month,) = con.execute("SELECT coalesce(sum(savings), 0) FROM stacked_savings WHERE month = ?",
                              [month]).fetchone()  # type: ignore[misc]
    per_month = Decimal(in_month).quantize(Decimal("0.000001"))
    out.update(per_month_usd=per_month, per_year_usd=per_month * 12)
    return out


def workload(f: Finding) -> dict[str, Any] | None:
    """The evidence row that saves the most, named by what it records: project, workspace, API key, model."""
    rows = [r for r in f.evidence if r.get("savings") is not None]
    if not rows:
        return None
    top = max(rows, key=lambda r: Decimal(r["savings"]))  # evidence is ordered by savings; max keeps the first tie
    parts = [(what, str(top[column])) for column, what in WORKLOAD_COLUMNS if top.get(column) not in NOT_RECORDED]
    if not parts:
        return None
    return {"kind": parts[0][0], "name": parts[0][1], "with": [f"{what} {name}" for what, name in parts[1:]],
            "savings_usd": Decimal(top["savings"]), "cost_usd": Decimal(top.get("cost") or 0),
            "requests": int(top.get("requests") or 0)}


def _actions(report: Report) -> list[dict[str, Any]]:
    top = sorted(report.findings, key=lambda f: (-f.savings, f.id))[:TOP_ACTIONS]
    return [{"id": f.id, "title": f.title, "severity": f.severity, "confidence": f.confidence,
             "savings_usd": f.savings, "recommendation": f.recommendation, "workload": workload(f)} for f in top]


def _reconciliation(report: Report) -> list[dict[str, Any]]:
    data = report.sections.get("reconciliation") or {}
    return [{"platform": p["platform"], "platform_label": p["platform_label"], "month": p["month"],
             "result": p["result"], "gap_usd": p["gap_usd"], "usage_gap_usd": p["usage_gap_usd"],
             "unexplained_usd": p["unexplained_usd"], "tolerance": p["tolerance"], "explained": p["explained"]}
            for p in data.get("pairs") or []]


def _commitment(report: Report) -> dict[str, Any] | None:
    """The evidence pack's recommended commitment, read defensively: absent key, no commitment said."""
    commitment = (report.sections.get("evidence") or {}).get("commitment")
    if not isinstance(commitment, dict) or commitment.get("recommended_per_month_usd") is None:
        return None
    basis = commitment.get("basis")
    vendors = [{"vendor": v.get("vendor"), "label": v.get("label"), "kind": v.get("kind"),
                "per_month_usd": Decimal(str(v["recommended_per_month_usd"]))}
               for v in commitment.get("vendors") or [] if v.get("recommended_per_month_usd") is not None]
    return {"per_month_usd": Decimal(str(commitment["recommended_per_month_usd"])),
            "basis": basis if isinstance(basis, str) else None, "vendors": vendors}


def commitment_text(c: dict[str, Any]) -> str:
    """'Anthropic API $253.73 a month (an Anthropic commitment); Amazon Bedrock $90.00 a month (draws down an
    existing AWS commitment)': one figure per vendor, never their sum, which no single agreement would cover."""
    from .reports.filters import usd

    if not c.get("vendors"):
        return f"{usd(c['per_month_usd'])} a month"
    return "; ".join(f"{v['label']} {usd(v['per_month_usd'])} a month ("
                     + ("an Anthropic commitment" if v["kind"] == "commitment"
                        else f"draws down an existing {v['vendor']} commitment") + ")" for v in c["vendors"])


def build(con: duckdb.DuckDBPyConnection | None, report: Report) -> dict[str, Any]:
    """Report.sections['summary'] (built after the other sections, which it reads). Without a connection (a
    Report made by hand), no savings per month."""
    t = report.totals
    return {
        "spend_usd": t.billed_cost,
        "rows": t.rows,
        "logged_requests": t.logged_requests,
        "savings": _monthly_savings(con, report, last_full_month(report.period_start, report.period_end)),
        "reconciliation": _reconciliation(report),
        "actions": _actions(report),
        "commitment": _commitment(report),
        **_minor(report),
    }


def _minor(report: Report) -> dict[str, Any]:
    """Findings saving less than minor_finding_share of spend: one table in the report, not a page each."""
    share = Decimal(str(report.options.get("minor_finding_share", DEFAULT_MINOR_FINDING_SHARE)))
    limit = share * report.totals.billed_cost
    return {"minor_finding_share": share, "minor_findings": [f.id for f in report.findings if f.savings < limit]}


# ---- the same words in every output (PDF/HTML, terminal, summary.md) ----------------------------------------


def _signed(amount: Any) -> str:
    from .reports.filters import signed_usd

    return signed_usd(amount)


def explained_text(pair: dict[str, Any]) -> str:
    """'logs missing for 2026-10-01 to 2026-10-05; AWS account 444455556666 +$45.05, discounts −$4.42' (parts
    under half a cent left out); '' when nothing is explained."""
    parts = [f"{g['label']}{' ' + g['detail'] if g['detail'] else ''} {_signed(g['amount_usd'])}"
             for g in pair["explained"] if abs(Decimal(g["amount_usd"])) >= Decimal("0.005")]
    return ", ".join(parts)


def reconciliation_text(pair: dict[str, Any]) -> str:
    """One month against its bill, every figure labelled: the whole gap, the usage gap, what explains it, and the
    part not explained, which decides pass or fail."""
    text = f"whole gap {_signed(pair['gap_usd'])}"
    if Decimal(pair["usage_gap_usd"]).quantize(Decimal("0.01")) != Decimal(pair["gap_usd"]).quantize(Decimal("0.01")):
        text += f" (usage gap {_signed(pair['usage_gap_usd'])})"
    explained = explained_text(pair)
    if explained:
        text += f"; explained by: {explained}"
    return text + f"; not explained {_signed(pair['unexplained_usd'])}"


def workload_text(w: dict[str, Any] | None, savings: Any = None) -> str:
    """'project nightly-etl (claude-sonnet-4-6): $85.06 of the $85.06': a finding's largest workload and its dollars."""
    if not w:
        return ""
    from .reports.filters import usd

    model = next((x.removeprefix("model ") for x in w["with"] if x.startswith("model ")), None)
    name = f"{w['kind']} {w['name']}" + (f" ({model})" if model and w["kind"] != "model" else "")
    return f"{name}: {usd(w['savings_usd'])}" + (f" of the {usd(savings)}" if savings is not None else "")


def coverage_change_text(comparison: dict[str, Any] | None) -> str:
    """'+$156.15 of it is Amazon Bedrock, Google Vertex AI new in the data, not growth': the part of the month over
    month change that is platforms or sources in one of the two months only (the comparison's coverage cause), so
    that a summary's 'up $219.12' is not read as growth; '' when there is none."""
    from .coverage import PLATFORM_LABEL
    from .reports.filters import signed_usd

    cause = next((c for c in (comparison or {}).get("causes") or [] if c["cause"] == "coverage"), None)
    if not cause or Decimal(cause["amount_usd"]).quantize(Decimal("0.01")) == 0:
        return ""
    parts = []
    for change, words in (("new", "new in the data"), ("gone", "gone from the data")):
        names = list(dict.fromkeys(PLATFORM_LABEL.get(x["platform"], x["platform"])
                                   for x in cause.get("sources") or [] if x["change"] == change))
        if names:
            parts.append(f"{', '.join(names)} {words}")
    what = " and ".join(parts) or "sources in one of the two months only"
    return f"{signed_usd(cause['amount_usd'])} of it is {what}, not growth or decline"


def volume_text(report: Report) -> str:
    """What the spend counts, each count labelled: '1,281 rows of usage reports and bills, 2,045 logged requests'
    (usage reports and bills count tokens, not requests), or '1,210 requests' when every row is a request."""
    t = report.totals
    if not t.bucket_rows:
        return f"{t.requests:,} request{'' if t.requests == 1 else 's'}"
    text = f"{t.rows:,} row{'' if t.rows == 1 else 's'} of usage reports and bills"
    return text + (f", {t.logged_requests:,} logged request{'' if t.logged_requests == 1 else 's'}"
                   if t.logged_requests else "")
