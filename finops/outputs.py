"""The report's other outputs: findings and evidence rows as CSV, a Markdown summary, the evidence pack alone.

Money in CSV and JSON is a decimal string with 6 places (never a float); token counts are exact integers.
A text cell that a spreadsheet would read as a formula (=, +, -, @ first) is prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from .report import SCHEMA_VERSION, Report, _plain, money

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Evidence never carries request content, even if an analysis were to return it (as in the HTML report).
CONTENT_COLUMNS = {"prompt", "prompt_text", "messages", "system", "content", "text", "request", "response",
                   "request_body", "response_body", "completion"}
EVIDENCE_COLUMNS = ("month", "full_month", "platform", "model", "requests", "input_tokens", "cache_write_5m_tokens",
                    "cache_write_1h_tokens", "cache_read_tokens", "output_tokens", "tokens", "batch_tokens",
                    "list_cost_usd", "cost_usd", "priced")


def ensure_writable(folder: Path) -> None:
    """Make the folder if missing and prove a file can be written in it, before any work: raises OSError."""
    folder.mkdir(parents=True, exist_ok=True)
    probe = folder / ".finops-write-test"
    probe.write_text("")
    probe.unlink()


def _cell(value: Any) -> Any:
    """A CSV cell: Decimal money as a 6-place string, text safe from spreadsheet formulas."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return money(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value)
    text = str(_plain(value))
    return "'" + text if text.startswith(FORMULA_START) else text


def _write_csv(path: Path, header: list[str], rows: Iterable[list[Any]]) -> int:
    n = 0
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for row in rows:
            writer.writerow([_cell(v) for v in row])
            n += 1
    return n


def write_findings_csv(report: Report, path: Path) -> int:
    """findings.csv: one row per finding, as in report.json (without the evidence)."""
    header = ["id", "title", "severity", "confidence", "affected_requests", "affected_cost_usd", "savings_usd",
              "stacked_savings_usd", "evidence_rows_total", "recommendation", "method"]
    rows = ([f.id, f.title, f.severity, f.confidence, f.affected_requests, f.affected_cost, f.savings,
             f.stacked_savings if f.stacked_savings is not None else f.savings, f.evidence_total_rows,
             f.recommendation, f.method] for f in report.findings)
    return _write_csv(path, header, rows)


def _money_name(column: str) -> str:
    if column in ("cost", "list_cost", "billed_cost", "savings", "successor_cost") or column.endswith("_cost"):
        return f"{column}_usd"
    return column


def write_finding_evidence_csv(report: Report, path: Path) -> int:
    """finding_evidence.csv: every finding's evidence rows (the top rows shown in the report), one table:
    finding_id, row (1-based, in the report's order), then the union of the findings' evidence columns."""
    columns: list[str] = []
    for f in report.findings:
        for c in f.evidence_columns:
            if c.lower() not in CONTENT_COLUMNS and c not in columns:
                columns.append(c)
    rows = ([f.id, n, *[row.get(c) for c in columns]]
            for f in report.findings for n, row in enumerate(f.evidence, start=1))
    return _write_csv(path, ["finding_id", "row", *[_money_name(c) for c in columns]], rows)


def write_evidence_csv(report: Report, path: Path) -> int:
    """evidence.csv: the evidence pack's monthly consumption by month, platform and model (exact tokens)."""
    data = report.sections.get("evidence") or {}
    rows = ([r["month"], r["full"], r["platform"], r["model"], r["requests"], r["input_tokens"],
             r["cache_write_5m_tokens"], r["cache_write_1h_tokens"], r["cache_read_tokens"], r["output_tokens"],
             r["tokens"], r["batch_tokens"], r["list_cost_usd"], r["cost_usd"], r["priced"]]
            for r in data.get("rows", []))
    return _write_csv(path, list(EVIDENCE_COLUMNS), rows)


def evidence_json(report: Report) -> str:
    """evidence.json: the evidence pack alone, with what it was built from."""
    doc = {
        "schema_version": SCHEMA_VERSION,
        "generated_at": _plain(report.generated_at),
        "organisation": report.organisation,
        "period": {"start": _plain(report.period_start), "end": _plain(report.period_end)},
        "spend_usd": money(report.totals.billed_cost),
        "list_cost_usd": money(report.totals.list_cost),
        "savings": {"standalone_usd": money(report.savings_standalone),
                    "stacked_usd": money(report.savings_stacked)},
        "coverage": _plain(report.sections.get("coverage")),
        "evidence": _plain(report.sections.get("evidence")),
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


# ---- Markdown summary ------------------------------------------------------------------------------------

_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]|~#"} | {"<": "&lt;", "\n": " ", "\r": " "})


def md(text: Any) -> str:
    """Text from the input, made inert in Markdown (no links, emphasis, HTML or table breaks)."""
    return str(text).translate(_MD_SPECIAL)


def summary_markdown(report: Report) -> str:
    """A one-page Markdown summary for a pull request or a chat message: the executive summary of the PDF and the
    terminal (report.json `summary`): spend, savings, the top actions, logs against the bill, coverage."""
    from finops.reports.filters import first_sentence, month_label, pct, signed_usd, usd
    from finops.summary import (
        build,
        commitment_text,
        coverage_change_text,
        reconciliation_text,
        volume_text,
        workload_text,
    )

    t = report.totals
    sm = report.sections.get("summary") or build(None, report)
    savings = sm.get("savings") or {}
    start = report.period_start.date().isoformat() if report.period_start else "?"
    end = report.period_end.date().isoformat() if report.period_end else "?"
    spend, stacked = t.billed_cost, report.savings_stacked
    title = "## Claude API spend audit" + (f": {md(report.organisation)}" if report.organisation else "")
    volume = volume_text(report)
    lines = [title, "", f"{start} to {end}. Amounts in US dollars.", "",
             "| | |", "|---|---:|",
             f"| Spend in the period ({volume}) | **{usd(spend)}** |"]
    if report.bill_only:  # bills without usage: what they charged, not a usage spend of $0
        b = report.bill_only
        lines[-1] = (f"| Billed in the period ({b['bill_lines']} bill lines; no usage to analyse) | "
                     f"**{usd(b['billed_cost'])}** |")
    if t.list_cost != spend:
        lines.append(f"| At list prices | {usd(t.list_cost)} |")
    lines += [f"| Savings in the period (stacked, no double counting) | **{usd(stacked)}** ({pct(stacked, spend)}) |"]
    if savings.get("per_month_usd") is not None:
        lines += [f"| Savings per month, at {month_label(savings['month'])}'s rate (the last full month) | "
                  f"{usd(savings['per_month_usd'])} |",
                  f"| Savings per year ({month_label(savings['month'])} x 12) | {usd(savings['per_year_usd'])} |"]
    lines.append(f"| Spend after the savings | {usd(spend - stacked)} |")
    c = report.sections.get("comparison") or {}
    if c.get("spend_usd") is not None and c.get("previous_spend_usd") is not None:
        change = Decimal(c["spend_usd"]) - Decimal(c["previous_spend_usd"])
        share = pct(abs(change), c["previous_spend_usd"])
        sign = "+" if change > 0 else "−" if change < 0 else ""
        lines.append(f"| {month_label(c['month'])} against {month_label(c['previous'])} | "
                     f"{usd(c['spend_usd'])} ({signed_usd(change)}, {sign}{share}"
                     + (f"; {md(new)}" if (new := coverage_change_text(c)) else "") + ") |")
    if sm.get("commitment"):
        lines.append("| Recommended commitment, per vendor (the usage meets it even if nothing grows) | "
                     f"{md(commitment_text(sm['commitment']))} |")
    lines.append("")
    if sm.get("actions"):
        lines += ["### The actions worth the most", "",
                  "| # | Finding | Severity | Savings | Action | Largest workload |", "|---:|---|---|---:|---|---|"]
        for n, a in enumerate(sm["actions"], start=1):
            lines.append(f"| {n} | {md(a['title'])} | {a['severity']} ({a['confidence']}) | {usd(a['savings_usd'])} | "
                         f"{md(first_sentence(a['recommendation']))} | "
                         f"{md(workload_text(a['workload'], a['savings_usd']))} |")
        lines.append("")
    elif not report.findings:
        lines += ["No analysis found savings above its threshold.", ""]
    if sm.get("reconciliation"):
        lines += ["### Logs against the bill", "",
                  "Fail means the part not explained is over the tolerance.", "",
                  "| Platform | Month | Result | Gaps |", "|---|---|---|---|"]
        for p in sm["reconciliation"]:
            lines.append(f"| {md(p['platform_label'])} | {p['month']} | {p['result']} | "
                         f"{md(reconciliation_text(p))} |")
        lines.append("")
    read = sum(s.rows_read for s in report.inputs)
    loaded = sum(s.rows_loaded for s in report.inputs)
    rejected = sum(s.rows_rejected for s in report.inputs)
    dupes = sum(s.rows_duplicate for s in report.inputs)
    unpriced = sum(int(u.get("rows") or 0) for u in report.unpriced)
    coverage = (f"**Coverage:** {len(report.inputs)} file{'s' if len(report.inputs) != 1 else ''} read"
                f"{f', {len(report.skipped)} skipped' if report.skipped else ''}; "
                f"{read:,} records read = {loaded:,} loaded + {rejected:,} rejected + {dupes:,} duplicates")
    if unpriced:
        coverage += f"; {unpriced:,} unpriced row{'s' if unpriced != 1 else ''} left out of spend (never $0)"
    lines += [coverage + ".", ""]
    return "\n".join(lines)
