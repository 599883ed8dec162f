"""Formatting helpers for the templates: money, token counts, percentages."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from finops.report import Report


def usd(value: Any, places: int = 2) -> str:
    """$1,234.56 (Decimal in, text out; '—' for unknown)."""
    if value is None:
        return "—"
    amount = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.{places}f}"


def count(value: Any) -> str:
    if value is None:
        return "—"
    return f"{int(value):,}"


def tokens(value: Any) -> str:
    """Compact token counts: 1.2M, 34.5K."""
    if value is None:
        return "—"
    n = int(value)
    for unit, size in (("B", 10**9), ("M", 10**6), ("K", 10**3)):
        if abs(n) >= size:
            return f"{n / size:.1f}{unit}"
    return str(n)


def pct(part: Any, whole: Any) -> str:
    if not whole:
        return "—"
    return f"{Decimal(part) / Decimal(whole) * 100:.1f}%"


FILTERS = {"usd": usd, "count": count, "tokens": tokens}


def context(report: Report) -> dict[str, Any]:
    """Values the templates need that are derived from the Report."""
    spend = report.totals.billed_cost
    return {
        "pct": pct,
        "savings_share": pct(report.savings_stacked, spend),
    }
