"""What the templates of the optional sections (finops.sections) need, derived from each section's data.

`chapters(report)` lists the sections that have a template (`_section_<name>.html`), numbered after the fixed
chapters, with each one's view: table rows, labels and charts computed here so that the templates only lay out.
A section without a view function gets its data as is.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from markupsafe import Markup

from finops.coverage import PLATFORM_LABEL, VENDOR, month_bounds
from finops.evidence import apportion
from finops.report import Report

from . import charts
from .filters import ZERO, count, label, month_label, usd

TEMPLATES = Path(__file__).parent / "templates"
FIRST_NUMBER = 6  # after 1 summary, 2 month, 3 model, 4 attribution, 5 findings
TITLES = {"comparison": "Month over month", "evidence": "Negotiation evidence pack"}
ANCHORS = {"comparison": "month-over-month", "evidence": "evidence-pack"}
PLATFORM_ORDER = {p: i for i, p in enumerate(VENDOR)}


def share(value: Any, places: int = 1) -> str:
    """A stored share (0.123456) as 12.3%; '—' for unknown."""
    if value is None:
        return "—"
    return f"{Decimal(value) * 100:.{places}f}%"


def signed_usd(value: Any) -> str:
    """+$1,234.56 / −$1,234.56 / $0.00."""
    if value is None:
        return "—"
    v = Decimal(value)
    text = usd(abs(v))
    return ("+" if v > 0 else "−" if v < 0 else "") + text if text != "$0.00" else "$0.00"


def mtok(value: Any) -> str:
    """An effective price per million tokens with 4 decimals throughout a column: $5.7248, $3.6260."""
    if value is None:
        return "—"
    return f"${Decimal(value).quantize(Decimal('0.0001')):,.4f}"


def signed_pct(value: Any) -> str:
    """+12.3% / −12.3% / 0.0% (no sign on what rounds to zero)."""
    if value is None:
        return "—"
    v = Decimal(value) * 100
    text = f"{abs(v):.1f}"
    return f"{'' if text == '0.0' else '+' if v > 0 else '−'}{text}%"


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
    actual = [Decimal(months[m]["cost_usd"]) if months[m]["full"] else None for m in window] + [None] * len(f["months"])
    fitted = [i for i, m in enumerate(window) if months[m]["full"]]
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
    items = [(str(r["name"]), Decimal(r["cost"] or 0), r["share"]) for r in a["rows"]]
    rest = (a["rest"]["name"], Decimal(a["rest"]["cost"]), a["rest"]["share"]) if a["rest"] else None
    if not items:
        return Markup("")
    return charts.hbars(items, f"Spend by {a['title'] if a['title'] == 'API key' else a['title'].lower()}", usd,
                        rest=rest)


FILTERS = {"share": share, "signed_usd": signed_usd, "signed_pct": signed_pct, "count": count, "mtok": mtok}
