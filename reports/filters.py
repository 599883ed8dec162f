"""Formatting: values in, text out (money, counts, tokens, shares, dates, headings, evidence cells).

Nothing here derives figures from a Report: reports/views.py builds what the templates show and uses these.
"""

from __future__ import annotations

import calendar
import functools
from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

ZERO = Decimal(0)
LABELS = {
    "api_key_id": "API key", "workspace": "Workspace", "project": "Project", "platform": "Platform",
    "model": "Model", "successor": "Successor", "retired_on": "Retirement", "requests": "Requests",
    "cost": "Cost", "list_cost": "List cost", "billed_cost": "Billed cost",
    "successor_cost": "Cost on successor", "savings": "Savings", "user_id": "User", "source_format": "Source",
    "rows": "Rows", "month": "Month",
}
ACRONYMS = {"ttl": "TTL", "id": "ID", "api": "API", "usd": "USD", "cv": "CV", "us": "US"}
UNKNOWN = "—"


def unknown_as_dash(format_value: Callable[..., str]) -> Callable[..., str]:
    """A formatter that shows an unknown value (None) as '—', never as zero."""
    @functools.wraps(format_value)
    def formatted(value: Any, *args: Any, **kwargs: Any) -> str:
        return UNKNOWN if value is None else format_value(value, *args, **kwargs)
    return formatted


# ---- formatting ------------------------------------------------------------------------------------------


@unknown_as_dash
def usd(value: Any, places: int = 2) -> str:
    """$1,234.56 (Decimal in, text out; '—' for unknown)."""
    amount = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.{places}f}"


@unknown_as_dash
def rate(value: Any) -> str:
    """A price per million tokens: at least 2 and at most 4 decimals ($0.08, $0.375, $15.00)."""
    text = f"{Decimal(value).quantize(Decimal('0.0001'), rounding=ROUND_HALF_UP):,.4f}"
    whole, frac = text.split(".")
    return f"${whole}.{frac.rstrip('0').ljust(2, '0')}"


@unknown_as_dash
def count(value: Any) -> str:
    """1,234 ('—' for unknown)."""
    return f"{int(value):,}"


@unknown_as_dash
def tokens(value: Any) -> str:
    """Compact token counts: 1.2M, 34.5K, 999."""
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


@unknown_as_dash
def day(value: Any) -> str:
    """3 Nov 2025."""
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


@unknown_as_dash
def share(value: Any, places: int = 1) -> str:
    """A stored share (0.123456) as 12.3%; '—' for unknown."""
    return f"{Decimal(value) * 100:.{places}f}%"


@unknown_as_dash
def signed_usd(value: Any) -> str:
    """+$1,234.56 / −$1,234.56 / $0.00."""
    v = Decimal(value)
    text = usd(abs(v))
    return ("+" if v > 0 else "−" if v < 0 else "") + text if text != "$0.00" else "$0.00"


@unknown_as_dash
def mtok(value: Any) -> str:
    """An effective price per million tokens with 4 decimals throughout a column: $5.7248, $3.6260."""
    return f"${Decimal(value).quantize(Decimal('0.0001')):,.4f}"


@unknown_as_dash
def signed_pct(value: Any) -> str:
    """+12.3% / −12.3% / 0.0% (no sign on what rounds to zero)."""
    v = Decimal(value) * 100
    text = f"{abs(v):.1f}"
    return f"{'' if text == '0.0' else '+' if v > 0 else '−'}{text}%"


FILTERS = {"usd": usd, "count": count, "requests": requests, "tokens": tokens, "rate": rate, "day": day, "value": value,
           "label": label, "month_label": month_label, "first_sentence": first_sentence,
           "share": share, "signed_usd": signed_usd, "signed_pct": signed_pct, "mtok": mtok}


def column_kind(column: str) -> str:
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
    kind = column_kind(column)
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
    return label(column) + (" ($/MTok)" if column_kind(column) == "rate" else "")

