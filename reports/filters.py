"""Formatting helpers for the templates, and `context()`: every value the report derives from the Report.

The templates only lay out; sums, shares, groupings, labels and charts are computed here from the Report.
"""

from __future__ import annotations

import calendar
import os
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from markupsafe import Markup

from finops import ingest
from finops.report import Report

from . import charts

ZERO = Decimal(0)
MONTH_MODELS = 6  # models drawn and tabulated by month; the rest are grouped as "other models"
OTHER = "\x00other"  # the "other models" column: a key no model name can take
EVIDENCE_WIDTH = 135  # characters of 6.5pt DejaVu Sans across the page, with padding (checked on the PNGs)
TOKEN_COLUMNS = ("input_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens", "cache_read_tokens",
                 "output_tokens")
# Evidence never shows request content, even if an analysis were to return it.
CONTENT_COLUMNS = {"prompt", "prompt_text", "messages", "system", "content", "text", "request", "response",
                   "request_body", "response_body", "completion"}
LABELS = {
    "api_key_id": "API key", "workspace": "Workspace", "project": "Project", "platform": "Platform",
    "model": "Model", "successor": "Successor", "retired_on": "Retirement", "requests": "Requests",
    "cost": "Cost", "list_cost": "List cost", "billed_cost": "Billed cost",
    "successor_cost": "Cost on successor", "savings": "Savings", "user_id": "User", "source_format": "Source",
    "rows": "Rows", "month": "Month",
}
ACRONYMS = {"ttl": "TTL", "id": "ID", "api": "API", "usd": "USD", "cv": "CV", "us": "US"}
ATTRIBUTION_LABELS = {"workspace": ("Workspace", "workspaces"), "api_key_id": ("API key", "API keys"),
                      "project": ("Project", "projects"), "user_id": ("Claude Code user", "Claude Code users")}
# Roll-ups of part of the spend only (Claude Code's users): no "all other" row, which would hold the rest of the spend.
PARTIAL_ROLLUPS = {"user_id"}

# ---- formatting ------------------------------------------------------------------------------------------


def usd(value: Any, places: int = 2) -> str:
    """$1,234.56 (Decimal in, text out; '—' for unknown)."""
    if value is None:
        return "—"
    amount = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.{places}f}"


def rate(value: Any) -> str:
    """A price per million tokens: at least 2 and at most 4 decimals ($0.08, $0.375, $15.00)."""
    if value is None:
        return "—"
    text = f"{Decimal(value).quantize(Decimal('0.0001'), rounding=ROUND_HALF_UP):,.4f}"
    whole, frac = text.split(".")
    return f"${whole}.{frac.rstrip('0').ljust(2, '0')}"


def count(value: Any) -> str:
    """1,234 ('—' for unknown)."""
    if value is None:
        return "—"
    return f"{int(value):,}"


def tokens(value: Any) -> str:
    """Compact token counts: 1.2M, 34.5K, 999."""
    if value is None:
        return "—"
    n = int(value)
    if abs(n) < 1000:
        return str(n)
    for unit, size in (("K", 10**3), ("M", 10**6), ("B", 10**9)):
        text = f"{n / size:.1f}"
        if abs(float(text)) < 1000 or unit == "B":  # 999,960 is 1.0M, not 1000.0K
            return text + unit
    raise AssertionError("unreachable")


def requests(value: Any) -> str:
    """A request count; 0 is shown as '—': rows from usage reports count tokens, not requests."""
    if not value:
        return "—"
    return count(value)


def pct(part: Any, whole: Any) -> str:
    """A share as 12.3% ('—' when the whole is zero or unknown)."""
    if not whole or part is None:
        return "—"
    return f"{Decimal(part) / Decimal(whole) * 100:.1f}%"


def day(value: Any) -> str:
    """3 Nov 2025."""
    if value is None:
        return "—"
    return f"{value.day} {calendar.month_abbr[value.month]} {value.year}"


def month_label(value: str) -> str:
    """'2025-11' -> 'Nov 2025'."""
    try:
        year, month = (int(p) for p in value.split("-")[:2])
    except (ValueError, AttributeError):
        return str(value)
    return f"{calendar.month_abbr[month]} {year}"


def label(column: str) -> str:
    """A column name as a heading: api_key_id -> API key, cache_read_tokens -> Cache read tokens."""
    if column in LABELS:
        return LABELS[column]
    words = [ACRONYMS.get(w, w) for w in column.removesuffix("_usd").split("_") if w]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def first_sentence(text: str, limit: int = 110) -> str:
    """A recommendation as a one-line action: its first sentence, cut at a colon when that is still long."""
    text = " ".join(str(text).split())
    end = text.find(". ")
    sentence = text if end < 0 else text[: end + 1]
    if len(sentence) > limit:  # cut at the first colon outside parentheses ("speed: fast" stays whole)
        depth = 0
        for i, ch in enumerate(sentence):
            depth += (ch == "(") - (ch == ")")
            if ch == ":" and depth == 0:
                sentence = sentence[:i].rstrip() + "."
                break
    return sentence


def value(v: Any) -> str:
    """Any scalar as plain text (thresholds, evidence cells of unknown kind)."""
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float | Decimal):
        return f"{v:,.4f}".rstrip("0").rstrip(".")
    if isinstance(v, list | tuple):
        return ", ".join(value(x) for x in v)
    text = str(v)
    if not text.strip():
        return "(empty)"
    return text if len(text) <= 80 else text[:79] + "…"


FILTERS = {"usd": usd, "count": count, "requests": requests, "tokens": tokens, "rate": rate, "day": day, "value": value,
           "label": label, "month_label": month_label, "first_sentence": first_sentence}


# ---- derived values --------------------------------------------------------------------------------------


def _kind(column: str) -> str:
    """How an evidence column is formatted, from its name (the analyses' SQL naming conventions)."""
    c = column.lower()
    words = set(c.split("_"))
    if c.endswith(("_share", "_ratio", "_fraction")) or c in ("share", "ratio"):
        return "share"
    if "tokens" in words:
        return "tokens"
    if words & {"cost", "savings", "usd"}:
        return "money"
    if c.startswith("rate_") or c.endswith("_rate"):
        return "rate"
    if c in ("requests", "rows", "count", "calls") or c.endswith(("_requests", "_count", "_rows")):
        return "count"
    return "other"


def cell(column: str, v: Any) -> dict[str, Any]:
    """One evidence cell: the text and whether it is a number (right-aligned)."""
    kind = _kind(column)
    if kind == "money":
        return {"text": usd(v), "num": True}
    if kind == "tokens":  # exact, so that an auditor can redo the savings (compact forms are for charts)
        return {"text": count(v), "num": True}
    if kind == "rate" and isinstance(v, int | float | Decimal) and not isinstance(v, bool):
        return {"text": rate(v), "num": True}
    if kind == "count":
        return {"text": count(v), "num": True}
    if kind == "share" and isinstance(v, int | float | Decimal) and not isinstance(v, bool):
        return {"text": f"{Decimal(str(v)) * 100:.1f}%", "num": True}
    numeric = isinstance(v, int | float | Decimal) and not isinstance(v, bool)
    return {"text": value(v), "num": numeric}


def column_label(column: str) -> str:
    """An evidence column's heading, with its unit where the cell does not carry one ($ per million tokens)."""
    return label(column) + (" ($/MTok)" if _kind(column) == "rate" else "")


def _cost(row: dict[str, Any], key: str = "cost") -> Decimal:
    v = row.get(key)
    return Decimal(v) if v is not None else ZERO


def _token_total(row: dict[str, Any]) -> int:
    return sum(int(row.get(k) or 0) for k in TOKEN_COLUMNS)


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


def _attribution(report: Report, spend: Decimal) -> list[dict[str, Any]]:
    out = []
    for key, rows in report.spend_by.items():
        singular, plural = ATTRIBUTION_LABELS.get(key, (label(key), label(key) + " values"))
        rest_cost = spend - sum((_cost(r) for r in rows), ZERO)
        biggest = max([_cost(r) for r in rows] + [rest_cost], default=ZERO)  # bars relative to the largest
        items = [{"name": r.get(key), "platforms": ", ".join(r.get("platforms") or []),
                  "requests": int(r.get("requests") or 0), "tokens": _token_total(r), "cost": r.get("cost"),
                  "share": pct(r.get("cost"), spend), "bar": _bar(_cost(r), biggest)} for r in rows]
        rest_requests = report.totals.requests - sum(i["requests"] for i in items)
        rest = None
        if key not in PARTIAL_ROLLUPS and (rest_requests > 0 or rest_cost > Decimal("0.005")):
            rest = {"name": f"All other {plural}", "requests": rest_requests, "cost": rest_cost,
                    "tokens": _token_total(_totals_row(report)) - sum(i["tokens"] for i in items),
                    "share": pct(rest_cost, spend), "bar": _bar(rest_cost, biggest)}
        entry = {"key": key, "title": singular, "plural": plural, "rows": items, "rest": rest}
        from .views import attribution_chart

        entry["chart"] = attribution_chart(entry)
        out.append(entry)
    return out


def _bar(part: Decimal, whole: Decimal) -> str:
    """A share as a CSS width: a number computed here, never text from the input."""
    if not whole or part <= 0:
        return "0%"
    return f"{min(part / whole * 100, Decimal(100)):.1f}%"


def _totals_row(report: Report) -> dict[str, Any]:
    t = report.totals
    return {"input_tokens": t.input_tokens, "cache_write_5m_tokens": t.cache_write_5m_tokens,
            "cache_write_1h_tokens": t.cache_write_1h_tokens, "cache_read_tokens": t.cache_read_tokens,
            "output_tokens": t.output_tokens}


def _width(header: str, texts: list[str], numeric: bool) -> int:
    """A column's narrowest width in characters: numbers never wrap; text and headers wrap at spaces,
    hyphens and slashes. Digits are about a tenth wider than the average letter."""
    pieces = texts if numeric else [w for t in texts for w in re.split(r"[\s/-]+", t)]
    longest = max((len(p) for p in pieces), default=1) * (11 if numeric else 10) // 10
    return max(longest, *(len(w) for w in header.split())) + 2


def _evidence(columns: Iterable[str], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The evidence table: cells formatted by column kind; a column with one value throughout is said once
    above; a table too wide for the page is split into parts that share a row number."""
    shown = [c for c in columns if c.lower() not in CONTENT_COLUMNS]
    cells = [[cell(c, r.get(c)) for c in shown] for r in rows]
    # A column is right-aligned when it is a number in every row that has a value.
    numeric = [_kind(c) != "other" or all(row[i]["num"] or row[i]["text"] == "—" for row in cells) and
               any(row[i]["num"] for row in cells) for i, c in enumerate(shown)]
    constant = [i for i, c in enumerate(shown) if len(cells) >= 3 and _kind(c) != "money"
                and len({row[i]["text"] for row in cells}) == 1]
    keep = [i for i in range(len(shown)) if i not in constant]
    widths = {i: _width(column_label(shown[i]), [row[i]["text"] for row in cells], numeric[i]) for i in keep}
    if sum(widths.values()) <= EVIDENCE_WIDTH:
        groups = [keep]
    else:  # identifiers first, then money, then the other numbers; each part starts with the row number
        money = [i for i in keep if numeric[i] and _kind(shown[i]) == "money"]
        ordered = ([i for i in keep if not numeric[i]] + money
                   + [i for i in keep if numeric[i] and i not in money])
        groups, used = [[]], 4
        for i in ordered:
            if groups[-1] and used + widths[i] > EVIDENCE_WIDTH:
                groups, used = [*groups, []], 4
            groups[-1].append(i)
            used += widths[i]
        # A last part of one or two columns reads as an accident: move numbers from the part before into it.
        while len(groups) > 1 and len(groups[-1]) < 3 and len(groups[-2]) > 3 and numeric[groups[-2][-1]] \
                and _kind(shown[groups[-2][-1]]) != "money" \
                and 4 + sum(widths[i] for i in groups[-1]) + widths[groups[-2][-1]] <= EVIDENCE_WIDTH:
            groups[-1].insert(0, groups[-2].pop())
    parts = [{"columns": [{"name": shown[i], "label": column_label(shown[i]), "num": numeric[i]} for i in g],
              "rows": [[{"text": row[i]["text"], "num": numeric[i], "rate": _kind(shown[i]) == "rate"} for i in g]
                       for row in cells]}
             for g in groups]
    return {"parts": parts, "numbered": len(parts) > 1, "rows": len(cells),
            "has_rates": any(_kind(shown[i]) == "rate" for i in keep),
            "constant": [{"label": label(shown[i]), "text": cells[0][i]["text"]} for i in constant]}


def _findings(report: Report) -> list[dict[str, Any]]:
    out = []
    for n, f in enumerate(report.findings, start=1):
        stacked = f.stacked_savings if f.stacked_savings is not None else f.savings
        out.append({"f": f, "number": n, "stacked": stacked,
                    "evidence": _evidence(f.evidence_columns, f.evidence),
                    "savings_share": pct(f.savings, f.affected_cost),
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


def _largest(report: Report, spend: Decimal) -> list[dict[str, str]]:
    """The biggest model, workspace, API key and project by spend (recorded values only)."""
    out = []
    priced = [m for m in report.spend_by_model if m.get("cost") is not None]
    if priced:
        top = max(priced, key=lambda m: _cost(m))
        out.append({"what": "model", "name": str(top["model"]), "share": pct(top["cost"], spend)})
    for key, rows in report.spend_by.items():
        recorded = [r for r in rows
                    if r.get(key) not in (None, "(not recorded)") and r.get("cost") is not None]
        if recorded:
            top = max(recorded, key=lambda r: _cost(r))
            what = ATTRIBUTION_LABELS.get(key, (label(key), ""))[0]
            out.append({"what": what if what == "API key" else what.lower(), "name": str(top[key]),
                        "share": pct(top["cost"], spend)})
    return out


def _volume(report: Report) -> str:
    """What the spend counts: requests, rows of usage reports (which count tokens, not requests), or both."""
    t = report.totals
    if not t.bucket_rows:
        return f"{count(t.requests)} request{'' if t.requests == 1 else 's'}"
    rows = f"{count(t.bucket_rows)} row{'' if t.bucket_rows == 1 else 's'} of usage reports and bills"
    logged = t.rows - t.bucket_rows
    return rows + (f" and {count(logged)} logged request{'' if logged == 1 else 's'}" if logged > 0 else "")


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
            "chosen": c.get("chosen")}


def context(report: Report) -> dict[str, Any]:
    """Values the templates need that are derived from the Report."""
    from . import views

    spend = report.totals.billed_cost
    stacked = report.savings_stacked
    findings = _findings(report)
    top = sorted(findings, key=lambda x: (-x["f"].savings, x["f"].id))[:3]
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
        "volume": _volume(report),
        "requests_unknown": report.totals.bucket_rows > 0,
        "period": f"{day(start)} – {day(end)}" if start and end else "no dated rows",
        "period_words": f"From {day(start)} to {day(end)}" if start and end else "",
        "largest": _largest(report, spend),
        "period_days": days,
        "generated": f"{day(generated)}, {generated:%H:%M} UTC",
        "spend": spend,
        "savings_share": pct(stacked, spend),
        "optimised": spend - stacked,
        "double_counted": report.savings_standalone - stacked,
        "findings": findings,
        "top_findings": top,
        "waterfall": waterfall,
        "waterfall_floor": floor,
        "unpriced_rows": unpriced_rows,
        "unpriced": [{**u, "first_row": _relative(str(u.get("first_row") or ""), base)}
                     for u in report.unpriced],
        "models": models,
        "models_list_differs": any(m.get("list_cost") != m.get("cost") for m in report.spend_by_model),
        "models_partly_priced": any(not m.get("priced", True) and m.get("cost") is not None
                                    for m in report.spend_by_model),
        "attribution": _attribution(report, spend),
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
        "chapters": views.chapters(report),
        "change": _summary_change(report),
        "waterfall_steps": [{"title": x["f"].title, "number": x["number"], "savings": x["f"].savings,
                             "stacked": x["stacked"]} for x in findings],
        "evidence_months": (report.sections.get("evidence") or {}).get("months") or [],
        # the recommended monthly commitment, all vendors (finops/evidence.py commitment)
        "baseline": ({"per_month_usd": cm["recommended_per_month_usd"]}
                     if (cm := (report.sections.get("evidence") or {}).get("commitment"))
                     and cm.get("recommended_per_month_usd") is not None else None),
    }
