"""The view data: every value the templates show, derived here from the Report so that the templates only lay out.

`context(report)` is what report.html renders: spend, the executive summary (from report.json `summary`), months,
models, attribution (from `attribution`), findings (major ones with a page, minor ones in one table), data quality.
`chapters(report)` lists the optional sections that have a template (`_section_<name>.html`), numbered after the
fixed chapters, with each one's view. Formatting of single values lives in filters.py, which imports nothing here.
"""

from __future__ import annotations

import calendar
import os
import re
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from markupsafe import Markup

from finops import ingest
from finops import summary as summary_data
from finops.coverage import PLATFORM_LABEL, VENDOR, month_bounds
from finops.evidence import apportion
from finops.report import Report

from . import charts
from .filters import (
    ZERO,
    cell,
    column_kind,
    column_label,
    day,
    first_sentence,
    label,
    month_label,
    pct,
    signed_pct,
    signed_usd,
    usd,
    value,
)

MONTH_MODELS = 6  # models drawn and tabulated by month; the rest are grouped as "other models"
OTHER = "\x00other"  # the "other models" column: a key no model name can take
EVIDENCE_WIDTH = 135  # characters of 6.5pt DejaVu Sans across the page, with padding (checked on the PNGs)
TOKEN_COLUMNS = ("input_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens", "cache_read_tokens",
                 "output_tokens")
# Evidence never shows request content, even if an analysis were to return it.
CONTENT_COLUMNS = {"prompt", "prompt_text", "messages", "system", "content", "text", "request", "response",
                   "request_body", "response_body", "completion"}
ATTRIBUTION_LABELS = {"workspace": ("Workspace", "workspaces"), "api_key_id": ("API key", "API keys"),
                      "project": ("Project", "projects"), "user_id": ("Claude Code user", "Claude Code users")}

TEMPLATES = Path(__file__).parent / "templates"
FIRST_NUMBER = 6  # after 1 summary, 2 month, 3 model, 4 attribution, 5 findings
TITLES = {"comparison": "Month over month", "evidence": "Negotiation evidence pack"}
ANCHORS = {"comparison": "month-over-month", "evidence": "evidence-pack"}
PLATFORM_ORDER = {p: i for i, p in enumerate(VENDOR)}


def _month_note(first: int | None, last: int | None, month: str) -> str:
    return f"{first}–{last} {month_label(month).split()[0]} only" if first and last else "no days covered"


# ---- month over month ------------------------------------------------------------------------------------


def comparison(report: Report, data: dict[str, Any], number: int) -> dict[str, Any]:
    cur, prev = data["month"], data["previous"]
    view: dict[str, Any] = {"cur": month_label(cur), "prev": month_label(prev),
                            "toc": [("mom-change", "Spend change by cause")], "ready": "causes" in data}
    notes = []
    for key, full, m in (("previous", data["previous_full"], prev), ("month", data["month_full"], cur)):
        c = data["coverage"][m]
        has = data["has_previous"] if key == "previous" else data["has_month"]
        if has and not full:
            notes.append(f"{month_label(m)} is covered only in part ({_month_note(c['first_day'], c['last_day'], m)}):"
                         " the change in volume reflects the days missing as much as any change in use.")
    for x in data.get("partly_covered") or []:
        first, last = _as_date(x["first_day"]), _as_date(x["last_day"])
        notes.append(f"{PLATFORM_LABEL.get(x['platform'], x['platform'])}'s sources cover {month_label(x['month'])}"
                     f" only in part ({first.day}–{last.day}): its change reflects the days missing as much as any"
                     " change in use.")
    view["coverage_notes"] = notes
    if "causes" not in data:
        return view
    cur_spend, prev_spend = Decimal(data["spend_usd"]), Decimal(data["previous_spend_usd"])
    shown_cur, shown_prev = usd(cur_spend), usd(prev_spend)
    target = Decimal(shown_cur.replace("$", "").replace(",", "")) - Decimal(
        shown_prev.replace("$", "").replace(",", ""))
    causes = [c for c in data["causes"]]
    rounded = apportion([Decimal(c["amount_usd"]) for c in causes], "0.01", target)
    rows = []
    for c, amount in zip(causes, rounded, strict=True):
        if c["cause"] in ("web_search", "coverage") and amount == 0 and Decimal(c["amount_usd"]) == 0:
            continue
        rows.append({**c, "amount": amount, "text": signed_usd(amount),
                     "share": signed_pct(amount / target) if target else "—"})
    view["causes"] = rows
    view["change"] = target
    view["change_text"] = signed_usd(target)
    view["direction"] = "up" if target > 0 else "down" if target < 0 else "unchanged"
    view["axis_cut"] = charts.bridge_floor(prev_spend, [r["amount"] for r in rows])
    view["chart"] = charts.bridge(f"{month_label(prev)} spend", prev_spend.quantize(Decimal("0.01")),
                                  [(r["label"], r["amount"]) for r in rows], f"{month_label(cur)} spend", usd,
                                  f"Spend in {month_label(prev)}, each cause of the change, spend in "
                                  f"{month_label(cur)}")
    view["models"] = data.get("by_model", [])
    view["realised"] = data.get("realised", [])
    view["levers"] = data.get("levers", [])
    view["toc"] += [("mom-models", "Spend by model, both months")]
    if view["realised"] or view["levers"]:
        view["toc"] += [("mom-realised", "Savings realised on last month's findings")]
    return view


# ---- evidence pack ---------------------------------------------------------------------------------------


def cache_batch_chart(months: list[dict[str, Any]]) -> Markup:
    if not months:
        return Markup("")
    labels = [month_label(m["month"]) for m in months]
    notes = ["" if m["full"] else f"days {m['first_day']}–{m['last_day']}" for m in months]
    series = [charts.Series("Cache hit ratio: cache reads / all input tokens", charts.PALETTE[0],
                            [m["cache_hit_ratio"] for m in months]),
              charts.Series("Batch share: tokens billed at batch rates / all tokens", charts.PALETTE[3],
                            [m["batch_share"] for m in months])]
    return charts.share_lines(labels, notes, series, "Cache hit ratio and batch share by month",
                              [not m["full"] for m in months])


def coverage_table(rows: list[dict[str, Any]], last: int = 12) -> dict[str, Any]:
    """The coverage matrix as a table: one row per platform and source, one column per month (the last 12)."""
    months = sorted({r["month"] for r in rows})[-last:]
    keys = sorted({(r["platform"], r["source_format"]) for r in rows if r["month"] in months},
                  key=lambda k: (PLATFORM_ORDER.get(k[0], 99), k[0], k[1]))
    cells = {(r["platform"], r["source_format"], r["month"]): r for r in rows}
    out = []
    for platform, fmt in keys:
        line = []
        for m in months:
            c = cells.get((platform, fmt, m))
            if c is None:
                line.append(None)
                continue
            first, last_day = _as_date(c["first_day"]), _as_date(c["last_day"])
            _, end = month_bounds(m)
            line.append({"days_text": f"{first.day}–{last_day.day}", "days": c["days"], "rows": c["rows"],
                         "whole": first.day == 1 and last_day == end,
                         "gaps": c["days"] < (last_day - first).days + 1})
        out.append({"platform": PLATFORM_LABEL.get(platform, platform), "source_format": fmt, "cells": line})
    return {"months": [month_label(m) for m in months], "rows": out, "cut": len({r["month"] for r in rows}) > last}


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _forecast_chart(window: list[str], p: dict[str, Any], f: dict[str, Any]) -> Markup:
    """One platform's fitted months, its line, the forecast with its band, and the forecast after the savings."""
    months = {r["month"]: r for r in p["months"]}
    n = len(window)
    intercept, slope = Decimal(f["intercept_usd"]), Decimal(f["trend_usd_per_month"])
    labels = [month_label(m) for m in window] + [month_label(x["month"]) for x in f["months"]]
    actual = [Decimal(months[m]["cost_usd"]) if months[m]["fitted"] else None for m in window]
    actual += [None] * len(f["months"])
    fitted = [i for i, m in enumerate(window) if months[m]["fitted"]]
    trend = [max(intercept + slope * i, ZERO) if fitted[0] <= i else None for i in range(n)] + [None] * len(f["months"])
    plain = [None] * (n - 1) + [trend[n - 1]] + [x["forecast_usd"] for x in f["months"]]
    optimised = [None] * n + [x["optimised_usd"] for x in f["months"]]
    low = [None] * n + [x["low_usd"] for x in f["months"]]
    high = [None] * n + [x["high_usd"] for x in f["months"]]
    return charts.forecast_chart(
        labels, actual, trend, plain, optimised,
        f"{f['label']}: monthly spend, the least-squares line, and the 12-month forecast with its band, with and "
        "without the savings", band=(low, high))


def evidence(report: Report, data: dict[str, Any], number: int) -> dict[str, Any]:
    window = data["window"]
    months = {m["month"]: m for m in data["months"]}
    rows = [months[m] for m in window]
    platforms = data.get("platforms", [])
    view: dict[str, Any] = {
        "window": [month_label(m) for m in window],
        "window_text": (f"{month_label(window[0])} to {month_label(window[-1])}" if len(window) > 1
                        else month_label(window[0])) if window else "",
        "partial": [f"{month_label(p['month'])} ({_month_note(p['first_day'], p['last_day'], p['month'])})"
                    for p in data["partial_months"]],
        "rows": rows, "series": data["consumption"],
        "coverage": coverage_table(report.sections.get("coverage") or []),
        "platforms": platforms,
        "platform_rows": [{"month": m, "label": month_label(m), "cells": [p["months"][i] for p in platforms],
                           "total": months[m]["cost_usd"]} for i, m in enumerate(window)],
        "cache_batch_chart": cache_batch_chart(data["months"]),
        "forecast_charts": [], "forecast": data.get("forecast"), "commitment": data.get("commitment"),
        "toc": [("ev-coverage", "Which sources cover which platform"),
                ("ev-consumption", "Monthly spend by platform, stability and trend"),
                ("ev-models", "Consumption by model and platform"),
                ("ev-prices", "Effective price paid against list"),
                ("ev-patterns", "Cache hit ratio and batch share")],
    }
    f = data.get("forecast")
    if f:
        by_platform = {p["platform"]: p for p in platforms}
        view["forecast_charts"] = [_forecast_chart(window, by_platform[x["platform"]], x) for x in f["platforms"]]
        view["first_forecast"] = month_label(f["months"][0]["month"])
        view["last_forecast"] = month_label(f["months"][-1]["month"])
        view["toc"] += [("ev-forecast", "12-month forecast per platform, with its band")]
    view["toc"] += [("ev-commitment", "The commitment, per vendor"), ("ev-data", "Monthly consumption in full")]
    return view


VIEWS: dict[str, Callable[[Report, Any, int], dict[str, Any]]] = {"comparison": comparison, "evidence": evidence}


def chapters(report: Report, first: int = FIRST_NUMBER) -> list[dict[str, Any]]:
    """The optional sections that have a template, in the order they were built, numbered from `first`."""
    out = []
    number = first
    for name, data in report.sections.items():
        template = f"_section_{name}.html"
        if not (TEMPLATES / template).is_file():
            continue
        view = VIEWS[name](report, data, number) if name in VIEWS else {}
        out.append({"name": name, "template": template, "number": number, "title": TITLES.get(name, label(name)),
                    "anchor": ANCHORS.get(name, name.replace("_", "-")), "data": data, "v": view,
                    "toc": view.get("toc", [])})
        number += 1
    return out


def attribution_chart(a: dict[str, Any]) -> Markup:
    """Spend by one attribution dimension as horizontal bars (the table is in Appendix C)."""
    items = [(str(r["name"]), r["cost"], r["share"]) for r in a["rows"]]
    rest = (a["rest"]["name"], a["rest"]["cost"], a["rest"]["share"]) if a["rest"] else None
    if not items:
        return Markup("")
    return charts.hbars(items, f"Spend by {a['title'] if a['title'] == 'API key' else a['title'].lower()}", usd,
                        rest=rest)


# ---- derived values --------------------------------------------------------------------------------------


def _cost(row: dict[str, Any], key: str = "cost") -> Decimal:
    v = row.get(key)
    return Decimal(v) if v is not None else ZERO


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _months(report: Report) -> dict[str, Any]:
    """Spend by month: the pivot (months x the biggest models), partial-month notes and the stacked chart."""
    rows = report.spend_by_month
    months = sorted({str(r["month"]) for r in rows if r.get("month")})
    by_model: dict[str, Decimal] = {}
    for r in rows:
        by_model[str(r["model"])] = by_model.get(str(r["model"]), ZERO) + _cost(r)
    ranked = sorted(by_model, key=lambda m: (-by_model[m], m))
    shown = ranked if len(ranked) <= MONTH_MODELS else ranked[: MONTH_MODELS - 1]
    other = [m for m in ranked if m not in shown]
    cells: dict[tuple[str, str], Decimal | None] = {}
    requests: dict[str, int] = {}
    for r in rows:
        key = str(r["model"]) if str(r["model"]) in shown else OTHER
        before = cells.get((str(r["month"]), key))
        # A cell whose rows are all unpriced stays None ("—"), never $0.
        cells[(str(r["month"]), key)] = before if r.get("cost") is None else (before or ZERO) + _cost(r)
        requests[str(r["month"])] = requests.get(str(r["month"]), 0) + int(r.get("requests") or 0)
    columns = shown + ([OTHER] if other else [])
    start = _utc(report.period_start) if report.period_start else None
    end = _utc(report.period_end) if report.period_end else None
    table, notes = [], []
    for m in months:
        year, mon = (int(p) for p in m.split("-")[:2])
        last = calendar.monthrange(year, mon)[1]
        first_day = start.day if start and (start.year, start.month) == (year, mon) else 1
        last_day = end.day if end and (end.year, end.month) == (year, mon) else last
        partial = (first_day, last_day) != (1, last)
        note = f"{first_day}–{last_day} {calendar.month_abbr[mon]} only" if partial else ""
        notes.append(f"days {first_day}–{last_day}" if partial else "")
        values = [cells.get((m, c)) for c in columns]
        total = sum((v for v in values if v is not None), ZERO)
        table.append({"month": m, "label": month_label(m), "note": note, "values": values, "total": total,
                      "requests": requests.get(m, 0)})
    names = [*shown, *(["Other models"] if other else [])]
    colours = [charts.PALETTE[i % (len(charts.PALETTE) - 1)] for i in range(len(shown))]
    colours += [charts.OTHER_COLOUR] if other else []
    series = [charts.Series(n, c, [t["values"][i] or ZERO for t in table])
              for i, (n, c) in enumerate(zip(names, colours, strict=True))]
    series = [x for x in series if any(v > 0 for v in x.values)]  # an all-unpriced model has nothing to draw
    chart = charts.stacked_months([t["label"] for t in table], notes, series,
                                  "Spend by month, stacked by model") if table else Markup("")
    column_totals = [None if all(t["values"][i] is None for t in table)
                     else sum((t["values"][i] or ZERO for t in table), ZERO) for i in range(len(columns))]
    unpriced = {str(m["model"]) for m in report.spend_by_model if not m.get("priced", True)}
    flagged = [c in unpriced or c == OTHER and bool(unpriced & set(other)) for c in columns]
    return {"months": table, "month_columns": names, "month_colours": colours, "month_other": other,
            "month_flagged": flagged,
            "month_column_totals": column_totals, "month_chart": chart,
            # The table adds up on its own; it equals spend, since both count the same rows.
            "month_total": sum((t["total"] for t in table), ZERO),
            "month_requests": sum(t["requests"] for t in table),
            "month_partial": any(t["note"] for t in table)}


def _attribution(report: Report) -> list[dict[str, Any]]:
    """Spend by workspace, API key and project (report.json `attribution`): each table on its own base, with
    "All other" = the base's total - the rows shown, so that rows + All other = Total in every column."""
    data = report.sections.get("attribution") or _attribution_from_rows(report)
    out = []
    for key, d in data.items():
        singular, plural = ATTRIBUTION_LABELS.get(key, (label(key), label(key) + " values"))
        total = Decimal(d["total"]["cost"])
        biggest = max([Decimal(r["cost"]) for r in d["rows"]], default=ZERO)  # bars relative to the largest row
        items = [{"name": r["name"], "platforms": ", ".join(r["platforms"] or []), "requests": r["requests"],
                  "tokens": r["tokens"], "cost": Decimal(r["cost"]), "share": pct(r["cost"], total),
                  "bar": _bar(Decimal(r["cost"]), biggest)} for r in d["rows"]]
        rest = None
        if d["other"]:
            o = d["other"]
            rest = {"name": f"All other {plural}" + (f" ({o['values']})" if o["values"] else ""),
                    "requests": o["requests"], "tokens": o["tokens"], "cost": Decimal(o["cost"]),
                    "share": pct(o["cost"], total), "bar": _bar(Decimal(o["cost"]), biggest)}
        entry = {"key": key, "title": singular, "plural": plural, "rows": items, "rest": rest,
                 "basis": d["basis"], "total": {**d["total"], "cost": total},
                 "whole_spend": d["basis"] == "spend basis", "sources_without": d["sources_without"],
                 "same_as": d["same_as"], "requests_unknown": any(i["requests"] is None for i in items)}
        entry["chart"] = attribution_chart(entry)
        out.append(entry)
    return out


def _attribution_from_rows(report: Report) -> dict[str, Any]:
    """For a Report without the `attribution` section (made by hand): each dimension's rows, which are its total."""
    out = {}
    for key, rows in report.spend_by.items():
        items = [{"name": r.get(key), "cost": Decimal(r.get("cost") or 0), "requests": r.get("requests") or None,
                  "tokens": sum(int(r.get(t) or 0) for t in TOKEN_COLUMNS), "platforms": r.get("platforms")}
                 for r in rows]
        total = {"cost": sum((i["cost"] for i in items), ZERO), "requests": sum(i["requests"] or 0 for i in items),
                 "tokens": sum(i["tokens"] for i in items)}
        out[key] = {"basis": "spend basis" if total["cost"] == report.totals.billed_cost else "rows given",
                    "total": total, "rows": items, "other": None, "sources_without": [], "same_as": []}
    return out


def _bar(part: Decimal, whole: Decimal) -> str:
    """A share as a CSS width: a number computed here, never text from the input."""
    if not whole or part <= 0:
        return "0%"
    return f"{min(part / whole * 100, Decimal(100)):.1f}%"


def _width(header: str, texts: list[str], numeric: bool) -> int:
    """A column's narrowest width in characters: numbers never wrap; text and headers wrap at spaces,
    hyphens and slashes. Digits are about a tenth wider than the average letter."""
    pieces = texts if numeric else [w for t in texts for w in re.split(r"[\s/:-]+", t)]
    longest = max((len(p) for p in pieces), default=1) * (11 if numeric else 10) // 10
    return max(longest, *(len(w) for w in header.split())) + 2


def _evidence(columns: Iterable[str], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The evidence table: cells formatted by column kind; a column with one value throughout is said once above.
    A row's savings always stay on the row: the identifiers and the money are columns; the other numbers are
    columns while the page has room, and the rest go on a line under each row ("more")."""
    shown = [c for c in columns if c.lower() not in CONTENT_COLUMNS]
    cells = [[cell(c, r.get(c)) for c in shown] for r in rows]
    # A column is right-aligned when it is a number in every row that has a value.
    numeric = [column_kind(c) != "other" or all(row[i]["num"] or row[i]["text"] == "—" for row in cells) and
               any(row[i]["num"] for row in cells) for i, c in enumerate(shown)]
    constant = [i for i, c in enumerate(shown) if len(cells) >= 3 and column_kind(c) != "money"
                and len({row[i]["text"] for row in cells}) == 1]
    keep = [i for i in range(len(shown)) if i not in constant]
    widths = {i: _width(column_label(shown[i]), [row[i]["text"] for row in cells], numeric[i]) for i in keep}
    money = [i for i in keep if numeric[i] and column_kind(shown[i]) == "money"]
    main = [i for i in keep if not numeric[i]] + money
    used = sum(widths[i] for i in main)
    extra = []
    for i in (i for i in keep if numeric[i] and i not in money):
        if used + widths[i] <= EVIDENCE_WIDTH:
            main.append(i)
            used += widths[i]
        else:
            extra.append(i)
    order = [i for i in keep if i in main and i not in money] + money  # the money last, savings at the end
    order = [i for i in order if shown[i] != "savings"] + [i for i in order if shown[i] == "savings"]
    return {"columns": [{"name": shown[i], "label": column_label(shown[i]), "num": numeric[i]} for i in order],
            "rows": [{"cells": [{"text": row[i]["text"], "num": numeric[i], "rate": column_kind(shown[i]) == "rate"}
                                for i in order],
                      "more": [{"label": column_label(shown[i]), "text": row[i]["text"]} for i in extra]}
                     for row in cells],
            "more": [column_label(shown[i]) for i in extra], "width": len(order),
            "has_rates": any(column_kind(shown[i]) == "rate" for i in keep),
            "constant": [{"label": label(shown[i]), "text": cells[0][i]["text"]} for i in constant]}


def _findings(report: Report) -> list[dict[str, Any]]:
    summary = report.sections.get("summary") or summary_data.build(None, report)
    minor = set(summary.get("minor_findings") or [])
    actions = {a["id"]: a for a in summary.get("actions") or []}
    out = []
    for n, f in enumerate(report.findings, start=1):
        stacked = f.stacked_savings if f.stacked_savings is not None else f.savings
        out.append({"f": f, "number": n, "stacked": stacked, "minor": f.id in minor,
                    "evidence": _evidence(f.evidence_columns, f.evidence),
                    "savings_share": pct(f.savings, f.affected_cost),
                    "workload": summary_data.workload_text(actions.get(f.id, {}).get("workload")
                                                           or summary_data.workload(f), f.savings),
                    "params": [{"name": k, "value": value(v)} for k, v in f.params.items()]})
    return out


def _paths(report: Report) -> tuple[str, dict[str, str]]:
    """Input paths relative to the folder they share, so long paths do not crowd the tables."""
    paths = [s.path for s in report.inputs] + [p for p, _ in report.skipped]
    try:
        base = os.path.commonpath([os.path.dirname(p) for p in paths]) if paths else ""
    except ValueError:  # absolute and relative paths mixed
        base = ""
    return base, {p: os.path.relpath(p, base) if base else p for p in paths}


def _relative(path: str, base: str) -> str:
    return path[len(base) + 1:] if base and path.startswith(base + os.sep) else path


def _inputs(report: Report) -> dict[str, Any]:
    base, short = _paths(report)
    labels = ingest.formats()
    files = []
    for s in report.inputs:
        balanced = s.rows_read == s.rows_loaded + s.rows_rejected + s.rows_duplicate
        files.append({"s": s, "name": short[s.path], "balanced": balanced,
                      "format": labels.get(s.format, s.format)})
    sums = {k: sum(getattr(s, k) for s in report.inputs)
            for k in ("rows_read", "rows_loaded", "rows_rejected", "rows_duplicate", "lines_ignored")}
    skipped = [{"name": short[p], "reason": why} for p, why in report.skipped]
    return {"files": files, "sums": sums, "all_balanced": all(f["balanced"] for f in files), "base": base,
            "skipped": skipped}


def _summary(report: Report, findings: list[dict[str, Any]]) -> dict[str, Any]:
    """The executive summary (report.json `summary`): the same figures and words as the terminal and summary.md."""
    data = report.sections.get("summary") or summary_data.build(None, report)
    savings = data.get("savings") or {}
    numbers = {x["f"].id: x["number"] for x in findings}
    actions = [{**a, "number": numbers.get(a["id"]), "action": first_sentence(a["recommendation"]),
                "workload_text": summary_data.workload_text(a["workload"], a["savings_usd"])}
               for a in data.get("actions") or []]
    reconciliation = [{**p, "month_label": month_label(p["month"]), "explained_text": summary_data.explained_text(p),
                       "usage_differs": usd(p["usage_gap_usd"]) != usd(p["gap_usd"])}
                      for p in data.get("reconciliation") or []]
    minor = data.get("minor_findings") or []
    return {"savings_month": month_label(savings["month"]) if savings.get("month") else None,
            "savings_per_month": savings.get("per_month_usd"), "savings_per_year": savings.get("per_year_usd"),
            "actions": actions, "reconciliation": reconciliation, "commitment": data.get("commitment"),
            "commitment_text": summary_data.commitment_text(data["commitment"]) if data.get("commitment") else None,
            "minor_share": data.get("minor_finding_share"), "minor_count": len(minor)}


def _summary_change(report: Report) -> dict[str, Any] | None:
    """The change from the previous month, for the executive summary (from the comparison section)."""
    c = report.sections.get("comparison")
    if not c or c.get("spend_usd") is None or c.get("previous_spend_usd") is None:
        return None
    cur, prev = Decimal(c["spend_usd"]), Decimal(c["previous_spend_usd"])
    change = Decimal(usd(cur)[1:].replace(",", "")) - Decimal(usd(prev)[1:].replace(",", ""))
    return {"month": month_label(c["month"]), "previous": month_label(c["previous"]), "spend": cur,
            "previous_spend": prev, "change": abs(change),
            "direction": "up" if change > 0 else "down" if change < 0 else "unchanged",
            "share": pct(abs(change), prev), "partial": not (c.get("month_full") and c.get("previous_full")),
            "coverage_text": summary_data.coverage_change_text(c),
            "chosen": c.get("chosen")}


def context(report: Report) -> dict[str, Any]:
    """Values the templates need that are derived from the Report."""
    spend = report.totals.billed_cost
    stacked = report.savings_stacked
    findings = _findings(report)
    steps = [(x["f"].title, x["stacked"]) for x in findings if x["stacked"] > 0]
    if len(steps) > 6:  # keep the chart legible: the five biggest, then the rest together
        steps = sorted(steps, key=lambda s: (-s[1], s[0]))
        steps = steps[:5] + [(f"{len(steps) - 5} other findings", sum((s for _, s in steps[5:]), ZERO))]
    floor = charts.waterfall_floor(spend, spend - sum((s for _, s in steps), ZERO))
    waterfall = (charts.waterfall("Spend in the period", spend, steps, "Spend after the savings", usd,
                                  "Spend in the period, each saving, and spend after the savings", floor)
                 if steps and spend > 0 else Markup(""))
    unpriced_rows = sum(int(u.get("rows") or 0) for u in report.unpriced)
    models = [{**m, "share": pct(m.get("cost"), spend)} for m in report.spend_by_model]
    quality = report.quality
    start, end = report.period_start, report.period_end
    days = (_utc(end).date() - _utc(start).date()).days + 1 if start and end else None
    generated = _utc(report.generated_at)
    base, _ = _paths(report)
    labels = ingest.formats()
    return {
        "pct": pct,
        "volume": summary_data.volume_text(report),
        "requests_unknown": report.totals.bucket_rows > 0,
        "period": f"{day(start)} – {day(end)}" if start and end else "no dated rows",
        "period_words": f"From {day(start)} to {day(end)}" if start and end else "",
        "summary": _summary(report, findings),
        "period_days": days,
        "generated": f"{day(generated)}, {generated:%H:%M} UTC",
        "spend": spend,
        "savings_share": pct(stacked, spend),
        "optimised": spend - stacked,
        "double_counted": report.savings_standalone - stacked,
        "findings": findings,
        "major_findings": [x for x in findings if not x["minor"]],
        "minor_findings": [x for x in findings if x["minor"]],
        "waterfall": waterfall,
        "waterfall_floor": floor,
        "unpriced_rows": unpriced_rows,
        "unpriced": [{**u, "first_row": _relative(str(u.get("first_row") or ""), base)}
                     for u in report.unpriced],
        "models": models,
        "models_list_differs": any(m.get("list_cost") != m.get("cost") for m in report.spend_by_model),
        "models_partly_priced": any(not m.get("priced", True) and m.get("cost") is not None
                                    for m in report.spend_by_model),
        "attribution": _attribution(report),
        "inputs": _inputs(report),
        "rejects": quality.get("rejects_by_reason", []),
        "rejects_total": sum(int(r.get("rows") or 0) for r in quality.get("rejects_by_reason", [])),
        "rejects_file": report.rejects_file or "rejects.csv",
        "pricing_notes": quality.get("pricing_notes", []),
        "lifecycle": [{**c, "first_row": _relative(str(c.get("first_row") or ""), base)}
                      for c in quality.get("lifecycle", [])],
        "detail_only": [{**d, "label": labels.get(str(d.get("source_format")), d.get("source_format"))}
                        for d in quality.get("detail_only_rows", [])],
        "negotiated": any(p.get("negotiated") for p in report.prices),
        "thresholds": [{"id": a, "params": [{"name": k, "value": value(v)} for k, v in ps.items()]}
                       for a, ps in report.params.items() if ps],
        "analyses_without_params": [a for a, ps in report.params.items() if not ps],
        **_months(report),
        "chapters": chapters(report),
        "change": _summary_change(report),
        "waterfall_steps": [{"title": x["f"].title, "number": x["number"], "savings": x["f"].savings,
                             "stacked": x["stacked"]} for x in findings],
        "evidence_months": (report.sections.get("evidence") or {}).get("months") or [],
        # the recommended monthly commitment, all vendors (finops/evidence.py commitment)
        "baseline": ({"per_month_usd": cm["recommended_per_month_usd"]}
                     if (cm := (report.sections.get("evidence") or {}).get("commitment"))
                     and cm.get("recommended_per_month_usd") is not None else None),
    }
