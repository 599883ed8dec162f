"""The negotiation evidence pack: what a commitment with Anthropic, AWS or Google should be sized on.

Built from full calendar months (a month is full when the data period covers its first and last day). With three
or more full months (the last twelve at most) the pack gives:

- monthly consumption, total and by model and platform, with its stability and trend: the coefficient of
  variation (CV = sample standard deviation / mean of the monthly spend, n - 1 in the denominator) and the
  least-squares slope of monthly spend on the month number (0, 1, 2, ...), computed exactly with fractions;
- the effective price paid per million tokens against list, per model and platform (cost / tokens vs
  list cost / tokens, all token classes together, batch and other multipliers included on both sides);
- a 12-month forecast from that line (intercept + slope x month number, never below $0), and the same after the
  stacked savings of the findings (forecast x (1 - stacked savings / spend in the period)): the optimised
  baseline a commitment should be sized on;
- committed-spend scenarios at the levels where enterprise discounts usually start (about $10K a month; $50K+ a
  month over 12+ months, per the pricing guide) and at the optimised baseline itself: what each commits to, what
  a 15%, 20% and 30% discount is worth on the optimised baseline, and what committing above the baseline costs.

With fewer than three full months it shows what there is, says so, and neither fits a trend nor forecasts.
Money is Decimal throughout (fractions while computing); forecasts and scenario values are rounded to cents.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from typing import Any

import duckdb

from .report import Report

MIN_MONTHS = 3
MAX_MONTHS = 12
FORECAST_MONTHS = 12
DISCOUNTS = (Decimal("0.15"), Decimal("0.20"), Decimal("0.30"))
# (id, label, $ per month, minimum term in months): where enterprise discounts start, per the pricing guide.
LEVELS = (
    ("entry", "About $10K a month: where volume discounts usually start", Decimal(10_000), 12),
    ("large", "$50K+ a month over 12+ months: deeper discounts", Decimal(50_000), 12),
)
# CV thresholds for the words used in the pack (a rule of thumb, stated in the pack).
STABLE_CV = Decimal("0.10")
MODERATE_CV = Decimal("0.25")
CENT = Decimal("0.01")
ZERO = Decimal(0)
TOKEN_CLASSES = ("input_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens", "cache_read_tokens",
                 "output_tokens")


# ---- helpers shared with the comparison ------------------------------------------------------------------


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def month_range(first: str, last: str) -> list[str]:
    """Every month from first to last, 'YYYY-MM', both included."""
    y, m = (int(p) for p in first.split("-"))
    end = tuple(int(p) for p in last.split("-"))
    out = []
    while (y, m) <= end:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def month_label(month: str) -> str:
    """'2026-10' -> 'Oct 2026' (as the report prints months)."""
    y, m = (int(p) for p in month.split("-"))
    return f"{calendar.month_abbr[m]} {y}"


def add_months(month: str, n: int) -> str:
    y, m = (int(p) for p in month.split("-"))
    k = y * 12 + (m - 1) + n
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


def _day(moment: datetime | None) -> date | None:
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.date()


def coverage(month: str, start: datetime | None, end: datetime | None) -> dict[str, Any]:
    """Which days of a month the data period covers (UTC days): full when it covers the first and the last."""
    y, m = (int(p) for p in month.split("-"))
    last = calendar.monthrange(y, m)[1]
    first_day, last_day = date(y, m, 1), date(y, m, last)
    s, e = _day(start) or first_day, _day(end) or last_day
    lo, hi = max(s, first_day), min(e, last_day)
    return {"month": month, "full": s <= first_day and e >= last_day,
            "first_day": lo.day if lo <= hi else None, "last_day": hi.day if lo <= hi else None,
            "days_in_month": last}


def cents(value: Fraction | Decimal | int) -> Decimal:
    """Round half up to cents (money for display and forecasts)."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def to_decimal(value: Fraction, places: str = "0.000001") -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 50
        return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal(places),
                                                                                rounding=ROUND_HALF_UP)


def apportion(parts: Sequence[Fraction | Decimal], places: str = "0.000001",
              total: Decimal | None = None) -> list[Decimal]:
    """Round parts to `places` so that they add up to the rounded sum of the parts, or to `total` when given
    (largest remainder: the parts closest to rounding up take the difference)."""
    unit = Fraction(Decimal(places))
    exact = [Fraction(p) for p in parts]
    target = round(sum(exact, Fraction(0)) / unit) if total is None else int(Fraction(total) / unit)
    floors = [(p / unit).__floor__() for p in exact]
    short = target - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] / unit - floors[i]), i))
    step = 1 if short >= 0 else -1
    for n in range(abs(short)):
        floors[order[n % len(order)] if step > 0 else order[::-1][n % len(order)]] += step
    return [Decimal(f) * Decimal(places) for f in floors]


# ---- statistics (exact) ----------------------------------------------------------------------------------


def mean(values: Sequence[Fraction]) -> Fraction:
    return sum(values, Fraction(0)) / len(values) if values else Fraction(0)


def cv(values: Sequence[Fraction]) -> Decimal | None:
    """Coefficient of variation: sample standard deviation (n - 1) / mean; None with < 2 values or mean 0."""
    n = len(values)
    mu = mean(values)
    if n < 2 or mu == 0:
        return None
    variance = sum(((v - mu) ** 2 for v in values), Fraction(0)) / (n - 1)
    with localcontext() as ctx:
        ctx.prec = 40
        sd = (Decimal(variance.numerator) / Decimal(variance.denominator)).sqrt()
        return (sd / (Decimal(mu.numerator) / Decimal(mu.denominator))).quantize(Decimal("0.000001"),
                                                                                  rounding=ROUND_HALF_UP)


def slope(values: Sequence[Fraction]) -> tuple[Fraction, Fraction]:
    """Least-squares line through (0, v0), (1, v1), ...: (intercept, slope), exact."""
    n = len(values)
    if n < 2:
        return (values[0] if values else Fraction(0)), Fraction(0)
    x_bar = Fraction(n - 1, 2)
    y_bar = mean(values)
    sxy = sum(((i - x_bar) * (v - y_bar) for i, v in enumerate(values)), Fraction(0))
    sxx = sum(((i - x_bar) ** 2 for i in range(n)), Fraction(0))
    b = sxy / sxx
    return y_bar - b * x_bar, b


def stability(value: Decimal | None) -> str:
    if value is None:
        return "n/a"
    if value <= STABLE_CV:
        return "stable"
    if value <= MODERATE_CV:
        return "moderate"
    return "volatile"


def forecast(values: Sequence[Fraction], months: int = FORECAST_MONTHS) -> list[Decimal]:
    """The next `months` values on the least-squares line, never below 0, rounded to cents."""
    a, b = slope(values)
    n = len(values)
    return [cents(max(a + b * (n + k), Fraction(0))) for k in range(months)]


def scenarios(baseline_months: Sequence[Decimal], levels: Iterable[tuple[str, str, Decimal, int]] = LEVELS,
              discounts: Sequence[Decimal] = DISCOUNTS) -> list[dict[str, Any]]:
    """Commitment scenarios over the forecast year, on the optimised baseline U (the sum of its months).

    A commitment of C (consumption at list prices over the term) with a discount d costs (1 - d) x max(C, U):
    consumption below the commitment is paid anyway. So the discount is worth d x U on the baseline, committing
    above the baseline costs (1 - d) x (C - U), and the net saving against no commitment is U - (1 - d) x max(C, U).
    """
    u = sum(baseline_months, ZERO)
    monthly = cents(Fraction(u) / len(baseline_months)) if baseline_months else ZERO
    out = []
    levels = [("baseline", "The optimised baseline itself", monthly, len(baseline_months)), *levels]
    for key, label, per_month, term in levels:
        commit = per_month * term if key != "baseline" else u
        rows_ = []
        for d in discounts:
            worth = cents(u * d)
            over = cents((1 - d) * max(commit - u, ZERO))
            rows_.append({"discount": d, "worth_usd": worth, "unused_commitment_usd": over,
                          "net_usd": worth - over, "pay_usd": cents((1 - d) * max(commit, u))})
        out.append({"level": key, "label": label, "per_month_usd": per_month, "term_months": term,
                    "commit_usd": commit, "baseline_reaches": monthly >= per_month,
                    "baseline_share": to_decimal(Fraction(monthly) / Fraction(per_month)) if per_month else None,
                    "discounts": rows_})
    return out


# ---- the section -----------------------------------------------------------------------------------------

_MONTHLY = """
    SELECT strftime(charge_period_start, '%Y-%m') AS month, platform,
        coalesce(model, model_raw, 'unknown') AS model,
        sum(coalesce(requests, 0))::BIGINT AS requests,
        sum(coalesce(input_tokens, 0))::BIGINT AS input_tokens,
        sum(coalesce(cache_write_5m_tokens, 0))::BIGINT AS cache_write_5m_tokens,
        sum(coalesce(cache_write_1h_tokens, 0))::BIGINT AS cache_write_1h_tokens,
        sum(coalesce(cache_read_tokens, 0))::BIGINT AS cache_read_tokens,
        sum(coalesce(output_tokens, 0))::BIGINT AS output_tokens,
        sum(coalesce(input_tokens, 0) + coalesce(cache_write_5m_tokens, 0) + coalesce(cache_write_1h_tokens, 0)
            + coalesce(cache_read_tokens, 0) + coalesce(output_tokens, 0))
            FILTER (WHERE service_tier = 'batch')::BIGINT AS batch_tokens,
        sum(coalesce(input_tokens, 0) + coalesce(cache_write_5m_tokens, 0) + coalesce(cache_write_1h_tokens, 0)
            + coalesce(cache_read_tokens, 0) + coalesce(output_tokens, 0))
            FILTER (WHERE priced)::BIGINT AS priced_tokens,
        sum(cost) AS cost, sum(list_cost) AS list_cost,
        bool_and(priced) AS priced, count(*) FILTER (WHERE NOT priced) AS unpriced_rows
    FROM priced_usage
    WHERE in_totals AND charge_period_start IS NOT NULL
    GROUP BY ALL ORDER BY month, platform, model"""


def monthly_rows(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Consumption by month, platform and model (rows counted in totals), tokens exact, money Decimal."""
    out = []
    for r in rows(con, _MONTHLY):
        r["tokens"] = sum(int(r[k]) for k in TOKEN_CLASSES)
        r["batch_tokens"] = int(r["batch_tokens"] or 0)
        r["priced_tokens"] = int(r["priced_tokens"] or 0)
        r["cost_known"] = r["cost"] is not None  # NULL when no row could be priced: unknown, never $0
        r["cost"], r["list_cost"] = Decimal(r["cost"] or 0), Decimal(r["list_cost"] or 0)
        out.append(r)
    return out


def _f(value: Decimal) -> Fraction:
    return Fraction(value)


def _usage_by_month(data: list[dict[str, Any]], months: list[str], cover: dict[str, dict[str, Any]]
                    ) -> list[dict[str, Any]]:
    out = []
    for m in months:
        mine = [r for r in data if r["month"] == m]
        tot = {k: sum(int(r[k]) for r in mine) for k in (*TOKEN_CLASSES, "requests", "batch_tokens", "tokens")}
        prompt = tot["input_tokens"] + tot["cache_write_5m_tokens"] + tot["cache_write_1h_tokens"] \
            + tot["cache_read_tokens"]
        c = cover[m]
        out.append({
            "month": m, "full": c["full"], "first_day": c["first_day"], "last_day": c["last_day"],
            "days_in_month": c["days_in_month"], **tot, "prompt_tokens": prompt,
            "cost_usd": sum((r["cost"] for r in mine), ZERO),
            "list_cost_usd": sum((r["list_cost"] for r in mine), ZERO),
            "cache_hit_ratio": to_decimal(Fraction(tot["cache_read_tokens"], prompt)) if prompt else None,
            "batch_share": to_decimal(Fraction(tot["batch_tokens"], tot["tokens"])) if tot["tokens"] else None,
        })
    return out


def build(con: duckdb.DuckDBPyConnection, report: Report) -> dict[str, Any] | None:
    """The evidence pack as JSON-ready data (Report.sections['evidence'])."""
    data = monthly_rows(con)
    if not data:
        return None
    months = month_range(data[0]["month"], data[-1]["month"])
    cover = {m: coverage(m, report.period_start, report.period_end) for m in months}
    full = [m for m in months if cover[m]["full"]]
    enough = len(full) >= MIN_MONTHS
    window = full[-MAX_MONTHS:] if enough else months
    partial = [cover[m] for m in months if not cover[m]["full"]]
    by_month = _usage_by_month(data, months, cover)
    in_window = [x for x in by_month if x["month"] in window]
    spend = [_f(x["cost_usd"]) for x in in_window]

    # Consumption by model and platform over the window: monthly spend series, stability and trend.
    keys = sorted({(r["platform"], r["model"]) for r in data if r["month"] in window})
    series = []
    window_spend = sum(spend, Fraction(0))
    for platform, model in keys:
        mine = {r["month"]: r for r in data if (r["platform"], r["model"]) == (platform, model)}
        values = [_f(mine[m]["cost"]) if m in mine else Fraction(0) for m in window]
        _, b = slope(values)
        mu = mean(values)
        c = cv(values) if enough else None
        tokens = sum(mine[m]["tokens"] if m in mine else 0 for m in window)
        priced_tokens = sum(mine[m]["priced_tokens"] if m in mine else 0 for m in window)
        cost = sum((mine[m]["cost"] for m in window if m in mine), ZERO)
        list_cost = sum((mine[m]["list_cost"] for m in window if m in mine), ZERO)
        series.append({
            "platform": platform, "model": model,
            "monthly_cost_usd": [to_decimal(v) for v in values],
            "monthly_tokens": [mine[m]["tokens"] if m in mine else 0 for m in window],
            "tokens": tokens, "priced_tokens": priced_tokens, "cost_usd": cost, "list_cost_usd": list_cost,
            "mean_usd": to_decimal(mu), "share": to_decimal(sum(values, Fraction(0)) / window_spend)
            if window_spend else None,
            "cv": c, "stability": stability(c) if enough else "n/a",
            "trend_usd_per_month": to_decimal(b) if enough else None,
            "trend_share_per_month": to_decimal(b / mu) if enough and mu else None,
            "priced": all(mine[m]["priced"] for m in window if m in mine),
            # Effective price per million tokens, paid and at list (priced rows only).
            "paid_per_mtok": to_decimal(Fraction(cost) * 1_000_000 / priced_tokens, "0.0001")
            if priced_tokens else None,
            "list_per_mtok": to_decimal(Fraction(list_cost) * 1_000_000 / priced_tokens, "0.0001")
            if priced_tokens else None,
            "vs_list": to_decimal(Fraction(cost) / Fraction(list_cost) - 1) if list_cost else None,
        })
    series.sort(key=lambda s: (-s["cost_usd"], s["platform"], s["model"]))

    total_cv = cv(spend) if enough else None
    a, b = slope(spend)
    mu = mean(spend)
    paid = sum((s["cost_usd"] for s in series), ZERO)
    listed = sum((s["list_cost_usd"] for s in series), ZERO)
    negotiated_rates = any(p.get("negotiated") for p in report.prices)
    out: dict[str, Any] = {
        "enough_months": enough, "min_months": MIN_MONTHS,
        "months": by_month, "window": window, "full_months": full,
        "partial_months": [{"month": p["month"], "first_day": p["first_day"], "last_day": p["last_day"]}
                           for p in partial],
        "consumption": series,
        "rows": [{"month": r["month"], "full": cover[r["month"]]["full"], "platform": r["platform"],
                  "model": r["model"], "requests": int(r["requests"]),
                  **{k: int(r[k]) for k in TOKEN_CLASSES}, "tokens": r["tokens"], "batch_tokens": r["batch_tokens"],
                  "list_cost_usd": r["list_cost"] if r["cost_known"] else None,
                  "cost_usd": r["cost"] if r["cost_known"] else None, "priced": bool(r["priced"])}
                 for r in data],
        "total": {"mean_usd": to_decimal(mu), "cv": total_cv, "stability": stability(total_cv) if enough else "n/a",
                  "trend_usd_per_month": to_decimal(b) if enough else None,
                  "trend_share_per_month": to_decimal(b / mu) if enough and mu else None,
                  "intercept_usd": to_decimal(a) if enough else None,
                  "cost_usd": sum((x["cost_usd"] for x in in_window), ZERO),
                  "list_cost_usd": sum((x["list_cost_usd"] for x in in_window), ZERO),
                  "tokens": sum(x["tokens"] for x in in_window)},
        "prices": {"negotiated_rates": negotiated_rates, "paid_usd": paid, "list_usd": listed,
                   "at_list": paid == listed,
                   "vs_list": to_decimal(Fraction(paid) / Fraction(listed) - 1) if listed else None},
        "thresholds": {"stable_cv": STABLE_CV, "moderate_cv": MODERATE_CV},
        "forecast": None, "scenarios": None,
    }
    if not enough:
        return out
    spend_total = report.totals.billed_cost
    saving_share = (Fraction(report.savings_stacked) / Fraction(spend_total)) if spend_total > 0 else Fraction(0)
    saving_share = min(max(saving_share, Fraction(0)), Fraction(1))
    plain = forecast(spend)
    optimised = [cents(Fraction(v) * (1 - saving_share)) for v in plain]
    first = add_months(window[-1], 1)
    out["forecast"] = {
        "months": [{"month": add_months(first, k), "forecast_usd": plain[k], "optimised_usd": optimised[k]}
                   for k in range(FORECAST_MONTHS)],
        "total_usd": sum(plain, ZERO), "optimised_total_usd": sum(optimised, ZERO),
        "savings_share": to_decimal(saving_share), "floored": any(v == 0 for v in plain),
    }
    out["scenarios"] = scenarios(optimised)
    return out
