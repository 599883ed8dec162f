"""The negotiation evidence pack: what a commitment with Anthropic, AWS or Google should be sized on.

Built from full calendar months (a month is full when the data period covers its first and last day), the last
twelve at most, and per platform on its *covered* months only (finops/coverage.py): a platform with no source in a
month is not covered, never $0. Per platform, with three or more covered full months:

- monthly spend with its stability and trend: the coefficient of variation (CV = sample standard deviation /
  mean of the monthly spend, n - 1 in the denominator) and the least-squares slope of monthly spend on the month
  number (0, 1, 2, ... in the window), computed exactly with fractions, with the slope's standard error;
- a 12-month forecast on that line (intercept + slope x month number, never below $0) with a band of one standard
  error of the fitted line (BAND), and the same after the platform's stacked savings;
- per vendor (Anthropic for the first-party API, AWS for Bedrock, Google Cloud for Vertex) a recommended monthly
  commitment (RULE): the lowest optimised month (spend less the stacked savings of that month) of its last three
  covered full months, what committing 10%, 25% and 50% above it costs at 15%, 20% and 30% discount if usage
  stays flat, and (Anthropic) the distance from today's spend to the $10K and $50K tiers.

The effective price paid per million tokens against list is given per model and platform. With fewer than three
covered full months a platform gets no CV, trend, forecast or commitment, and the pack says why.
Money is Decimal throughout (fractions while computing); forecasts and commitments are in cents.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from typing import Any

import duckdb

from .coverage import PLATFORM_LABEL, VENDOR, matrix, platform_months
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
# Committing this much above the recommendation: what it costs if usage stays flat.
ABOVE = (Decimal("0.10"), Decimal("0.25"), Decimal("0.50"))
BAND = ("forecast +- one standard error of the fitted line at that month: s x sqrt(1/n + (k - mean k)^2 / "
        "sum (k - mean k)^2), s the residual standard error (n - 2 degrees of freedom); about a two-in-three "
        "band with many months, much narrower than the real uncertainty with few")
RULE = (f"Per vendor, the lowest optimised monthly spend (spend less the stacked savings) of its last {MIN_MONTHS} "
        "covered full months, rounded down to the cent: met even if nothing grows. Never a trend's average. "
        "The Anthropic commitment is sized on first-party API spend only; Bedrock and Vertex spend draws down an "
        "AWS or Google Cloud commitment and is never added to it")
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


def fit(points: Sequence[tuple[int, Fraction]]) -> dict[str, Any]:
    """Least-squares line through (x, y) points, exact: intercept a, slope b, and for the uncertainty band the
    residual standard error s = sqrt(sum of squared residuals / (n - 2)) (None with fewer than 3 points), the
    slope's standard error s / sqrt(Sxx), x_bar and Sxx."""
    n = len(points)
    x_bar = Fraction(sum(x for x, _ in points), n)
    y_bar = mean([y for _, y in points])
    sxx = sum(((x - x_bar) ** 2 for x, _ in points), Fraction(0))
    b = sum(((x - x_bar) * (y - y_bar) for x, y in points), Fraction(0)) / sxx if sxx else Fraction(0)
    a = y_bar - b * x_bar
    s = slope_se = None
    if n >= 3:
        sse = sum(((y - a - b * x) ** 2 for x, y in points), Fraction(0))
        s = _sqrt(sse / (n - 2))
        slope_se = _sqrt(sse / (n - 2) / sxx) if sxx else None
    return {"n": n, "intercept": a, "slope": b, "s": s, "slope_se": slope_se, "x_bar": x_bar, "sxx": sxx}


def _sqrt(value: Fraction) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 40
        return (Decimal(value.numerator) / Decimal(value.denominator)).sqrt()


def line_se(line: dict[str, Any], x: int) -> Decimal | None:
    """Standard error of the fitted line's value at x: s x sqrt(1/n + (x - x_bar)^2 / Sxx)."""
    if line["s"] is None or not line["sxx"]:
        return None
    factor = Fraction(1, line["n"]) + (x - line["x_bar"]) ** 2 / line["sxx"]
    with localcontext() as ctx:
        ctx.prec = 40
        return line["s"] * _sqrt(factor)


def above_commitment(recommended: Decimal, shares: Sequence[Decimal] = ABOVE,
                     discounts: Sequence[Decimal] = DISCOUNTS) -> list[dict[str, Any]]:
    """What committing above the recommendation R costs if usage stays flat at R, per month and per year.

    A commitment of C a month (consumption at list prices) with a discount d costs (1 - d) x C when usage U = R is
    below it: the unused part is paid anyway. Paid for unused commitment = (1 - d) x (C - R); net saving against
    no commitment (paying list for R) = R - (1 - d) x C, negative when committing above R costs more than the
    discount gives. The first row is the recommendation itself: C = R, net = d x R.
    """
    out = []
    for share in (ZERO, *shares):
        commit = cents(recommended * (1 + share))
        rows_ = []
        for d in discounts:
            pay = cents((1 - d) * commit)
            rows_.append({"discount": d, "pay_usd": pay, "unused_usd": cents((1 - d) * (commit - recommended)),
                          "net_usd": recommended - pay, "net_per_year_usd": (recommended - pay) * 12})
        out.append({"above_share": share, "per_month_usd": commit, "discounts": rows_})
    return out


def tier_distance(today: Decimal, levels: Iterable[tuple[str, str, Decimal, int]] = LEVELS) -> list[dict[str, Any]]:
    """How far today's monthly spend is from each tier where enterprise discounts usually start."""
    return [{"level": key, "label": text, "per_month_usd": level, "term_months": term,
             "distance_usd": max(level - today, ZERO), "reached": today >= level,
             "share": to_decimal(Fraction(today) / Fraction(level))} for key, text, level, term in levels]


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


def _usage_by_month(data: list[dict[str, Any]], months: list[str], cover: dict[str, dict[str, Any]],
                    platforms: dict[str, dict[str, dict[str, Any]]]) -> list[dict[str, Any]]:
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
            "platforms_covered": sorted(p for p, ms in platforms.items() if m in ms),
            "platforms_full": sorted(p for p, ms in platforms.items() if ms.get(m, {}).get("full")),
        })
    return out


def _stacked_savings(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], Decimal]:
    """Stacked savings per month and platform (finops/stacking.py); none when the findings were not stacked."""
    found = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'stacked_savings'")
    if not found.fetchone()[0]:
        return {}
    return {(m, p): Decimal(v) for m, p, v in con.execute(
        "SELECT month, platform, sum(savings) FROM stacked_savings GROUP BY ALL ORDER BY 1, 2").fetchall()}


def _platform(platform: str, data: list[dict[str, Any]], window: list[str], months: dict[str, dict[str, Any]],
              savings: dict[tuple[str, str], Decimal]) -> dict[str, Any]:
    """One platform's monthly spend over the window, on its covered months only; stability and trend on its
    covered full months when there are at least MIN_MONTHS of them."""
    spend: dict[str, Decimal] = {}
    known: dict[str, bool] = {}  # some row of the month could be priced
    unpriced: dict[str, int] = {}
    for r in data:
        if r["platform"] == platform:
            spend[r["month"]] = spend.get(r["month"], ZERO) + r["cost"]
            known[r["month"]] = known.get(r["month"], False) or r["cost_known"]
            unpriced[r["month"]] = unpriced.get(r["month"], 0) + int(r["unpriced_rows"])
    rows_ = []
    for m in window:
        c = months.get(m)
        # A month with rows on models without a price has an unknown spend (only a lower bound): no trend,
        # forecast or commitment is sized on it; with no priced row at all its spend is unknown, never $0.
        priced = not unpriced.get(m, 0)
        cost = spend.get(m, ZERO) if c and (priced or known.get(m)) else None
        saved = savings.get((m, platform), ZERO) if c else None
        rows_.append({"month": m, "covered": c is not None, "full": bool(c and c["full"]), "priced": priced,
                      "fitted": bool(c and c["full"] and priced),
                      "first_day": c["first_day"] if c else None, "last_day": c["last_day"] if c else None,
                      "cost_usd": cost, "savings_usd": saved,
                      "optimised_usd": max(cost - saved, ZERO) if cost is not None else None})
    fitted = [(i, r) for i, r in enumerate(rows_) if r["fitted"]]
    values = [_f(r["cost_usd"]) for _, r in fitted]
    enough = len(fitted) >= MIN_MONTHS
    unknown = [r["month"] for r in rows_ if r["full"] and not r["priced"]]
    left_out = (f"; {', '.join(month_label(m) for m in unknown)} left out: rows on models without a price, so "
                "the spend is not known") if unknown else ""
    out: dict[str, Any] = {
        "platform": platform, "vendor": VENDOR.get(platform, platform), "label": PLATFORM_LABEL.get(platform, platform),
        "months": rows_, "covered_full_months": [r["month"] for _, r in fitted], "enough_months": enough,
        "mean_usd": to_decimal(mean(values)) if values else None,
        "cv": None, "stability": "n/a", "intercept_usd": None, "trend_usd_per_month": None, "trend_se_usd": None,
        "trend_share_per_month": None, "residual_se_usd": None,
    }
    if not enough:
        n = len(fitted)
        out["note"] = (f"{n} covered full month{'' if n == 1 else 's'} in the window"
                       + (f" ({', '.join(month_label(r['month']) for _, r in fitted)})" if n else "")
                       + f": too few to tell a trend or a stable level ({MIN_MONTHS} needed); no trend, forecast "
                       "or commitment" + left_out)
        return out
    line = fit([(i, _f(r["cost_usd"])) for i, r in fitted])
    mu = mean(values)
    c = cv(values)
    out.update(cv=c, stability=stability(c), intercept_usd=to_decimal(line["intercept"]),
               trend_usd_per_month=to_decimal(line["slope"]),
               trend_se_usd=to_decimal(Fraction(line["slope_se"])) if line["slope_se"] is not None else None,
               trend_share_per_month=to_decimal(line["slope"] / mu) if mu else None,
               residual_se_usd=to_decimal(Fraction(line["s"])) if line["s"] is not None else None)
    se = Fraction(line["slope_se"]) if line["slope_se"] is not None else Fraction(0)
    if abs(line["slope"]) <= 2 * se:
        out["note"] = ("the slope is within two standard errors of zero: the data cannot tell a trend from "
                       "month-to-month noise" + left_out)
    else:
        out["note"] = left_out[2:] or None
    out["_line"] = line
    return out


def _forecast(platforms: list[dict[str, Any]], window: list[str]) -> dict[str, Any] | None:
    """Per platform with a trend: the next twelve months on its line, +- one standard error of the line, and the
    same after its stacked savings; the months summed over those platforms."""
    fitted = [p for p in platforms if p["enough_months"]]
    if not fitted:
        return None
    first = add_months(window[-1], 1)
    n = len(window)
    out_platforms = []
    for p in fitted:
        line = p["_line"]
        spend = sum((r["cost_usd"] for r in p["months"] if r["fitted"]), ZERO)
        saved = sum((r["savings_usd"] for r in p["months"] if r["fitted"]), ZERO)
        share = min(max(Fraction(saved) / Fraction(spend), Fraction(0)), Fraction(1)) if spend > 0 else Fraction(0)
        months_ = []
        for k in range(FORECAST_MONTHS):
            x = n + k
            value = line["intercept"] + line["slope"] * x
            se = line_se(line, x)
            band = Fraction(se) if se is not None else Fraction(0)
            plain = cents(max(value, Fraction(0)))
            months_.append({"month": add_months(first, k), "forecast_usd": plain,
                            "low_usd": cents(max(value - band, Fraction(0))), "high_usd": cents(max(value + band, 0)),
                            "optimised_usd": cents(Fraction(plain) * (1 - share))})
        out_platforms.append({
            "platform": p["platform"], "vendor": p["vendor"], "label": p["label"],
            "fitted_months": p["covered_full_months"], "intercept_usd": p["intercept_usd"],
            "trend_usd_per_month": p["trend_usd_per_month"], "trend_se_usd": p["trend_se_usd"],
            "residual_se_usd": p["residual_se_usd"], "savings_share": to_decimal(share), "months": months_,
            "total_usd": sum((m["forecast_usd"] for m in months_), ZERO),
            "optimised_total_usd": sum((m["optimised_usd"] for m in months_), ZERO),
            "floored": any(m["forecast_usd"] == 0 for m in months_), "note": p["note"]})
    summed = [{"month": add_months(first, k),
               "forecast_usd": sum((f["months"][k]["forecast_usd"] for f in out_platforms), ZERO),
               "optimised_usd": sum((f["months"][k]["optimised_usd"] for f in out_platforms), ZERO)}
              for k in range(FORECAST_MONTHS)]
    return {
        "band": BAND, "platforms": out_platforms,
        "not_forecast": [{"platform": p["platform"], "label": p["label"], "reason": p["note"]}
                         for p in platforms if not p["enough_months"]],
        "months": summed, "total_usd": sum((m["forecast_usd"] for m in summed), ZERO),
        "optimised_total_usd": sum((m["optimised_usd"] for m in summed), ZERO),
        "floored": any(f["floored"] for f in out_platforms),
    }


def _vendor_commitment(p: dict[str, Any]) -> dict[str, Any]:
    """One vendor's commitment: the lowest optimised month of its last three covered full months (cents, rounded
    down), so that it is met even if nothing grows; none with fewer than MIN_MONTHS covered full months."""
    first_party = p["platform"] == "anthropic"
    full = [r for r in p["months"] if r["fitted"]]
    last = full[-MIN_MONTHS:]
    today = full[-1] if full else None
    out: dict[str, Any] = {
        "vendor": p["vendor"], "platform": p["platform"], "label": p["label"],
        "kind": "commitment" if first_party else "drawdown",
        "months": [{k: r[k] for k in ("month", "cost_usd", "savings_usd", "optimised_usd")} for r in last],
        "recommended_per_month_usd": None,
        "today_month": today["month"] if today else None, "today_usd": today["cost_usd"] if today else None,
        "above": None, "tiers": tier_distance(today["cost_usd"]) if first_party and today else None,
    }
    if len(full) < MIN_MONTHS:
        unknown = [month_label(r["month"]) for r in p["months"] if r["full"] and not r["priced"]]
        out["basis"] = (f"No {'commitment' if first_party else 'figure'} for {p['label']}: {len(full)} covered full "
                        f"month{'' if len(full) == 1 else 's'} with a known spend, and {MIN_MONTHS} are needed to know "
                        "a level that will be met"
                        + (f" ({', '.join(unknown)}: rows on models without a price)" if unknown else ""))
        return out
    low = min(last, key=lambda r: (r["optimised_usd"], r["month"]))
    recommended = low["optimised_usd"].quantize(CENT, rounding=ROUND_DOWN)
    out["recommended_per_month_usd"] = recommended
    out["above"] = above_commitment(recommended)
    where = (f"the lowest optimised monthly spend (spend less the stacked savings) of the last {MIN_MONTHS} "
             f"covered full months ({', '.join(month_label(r['month']) for r in last)}): "
             f"{month_label(low['month'])}")
    if first_party:
        out["basis"] = (f"Anthropic commitment on first-party API spend only: {where}, so that it is met even if "
                        "nothing grows")
    else:
        program = {"bedrock": "EDP or private offer", "vertex": "committed use discounts or private offer",
                   "microsoft": "MACC or private offer"}.get(p["platform"], "its commitment or private offer")
        out["basis"] = (f"Draws down an existing {p['vendor']} commitment ({program}), never an Anthropic one: "
                        f"{where}")
    return out


def _commitment(platforms: list[dict[str, Any]]) -> dict[str, Any]:
    vendors = [_vendor_commitment(p) for p in platforms]
    sized = [v for v in vendors if v["recommended_per_month_usd"] is not None]
    total = sum((v["recommended_per_month_usd"] for v in sized), ZERO) if sized else None
    unsized = [v["label"] for v in vendors if v["recommended_per_month_usd"] is None]
    parts = [f"{v['label']} ${v['recommended_per_month_usd']:,.2f}" for v in sized]
    if unsized:
        parts.append(f"no figure for {', '.join(unsized)} (fewer than {MIN_MONTHS} covered full months)")
    basis = (f"the lowest optimised month of the last {MIN_MONTHS} covered full months, for each vendor on its own: "
             + "; ".join(parts)) if sized else \
        f"no vendor has {MIN_MONTHS} covered full months: no commitment can be sized on this data"
    return {"rule": RULE, "recommended_per_month_usd": total, "basis": basis, "vendors": vendors}


def build(con: duckdb.DuckDBPyConnection, report: Report) -> dict[str, Any] | None:
    """The evidence pack as JSON-ready data (Report.sections['evidence'])."""
    data = monthly_rows(con)
    if not data:
        return None
    covered = platform_months(matrix(con))
    months = month_range(data[0]["month"], data[-1]["month"])
    cover = {m: coverage(m, report.period_start, report.period_end) for m in months}
    full = [m for m in months if cover[m]["full"]]
    window = full[-MAX_MONTHS:] if full else months
    partial = [cover[m] for m in months if not cover[m]["full"]]
    by_month = _usage_by_month(data, months, cover, covered)
    in_window = [x for x in by_month if x["month"] in window]
    savings = _stacked_savings(con)
    names = sorted({r["platform"] for r in data}, key=lambda p: (list(VENDOR).index(p) if p in VENDOR else 99, p))
    platforms = [_platform(p, data, window, covered.get(p, {}), savings) for p in names]
    enough = any(p["enough_months"] for p in platforms)
    full_for = {p["platform"]: set(p["covered_full_months"]) for p in platforms}

    # Consumption by model and platform over the window: each series on its platform's covered full months.
    keys = sorted({(r["platform"], r["model"]) for r in data if r["month"] in window})
    series = []
    window_spend = sum((x["cost_usd"] for x in in_window), ZERO)
    for platform, model in keys:
        mine = {r["month"]: r for r in data if (r["platform"], r["model"]) == (platform, model)}
        covered_months = [m for m in window if m in full_for[platform]]
        values = [_f(mine[m]["cost"]) if m in mine else Fraction(0) for m in covered_months]
        fitted = len(covered_months) >= MIN_MONTHS
        line = fit(list(enumerate(values))) if fitted else None
        mu = mean(values)
        c = cv(values) if fitted else None
        tokens = sum(mine[m]["tokens"] if m in mine else 0 for m in window)
        priced_tokens = sum(mine[m]["priced_tokens"] if m in mine else 0 for m in window)
        cost = sum((mine[m]["cost"] for m in window if m in mine), ZERO)
        list_cost = sum((mine[m]["list_cost"] for m in window if m in mine), ZERO)
        series.append({
            "platform": platform, "model": model,
            # None: the platform is not covered in full that month (unknown, never $0)
            "monthly_cost_usd": [(mine[m]["cost"] if m in mine else ZERO) if m in full_for[platform] else None
                                 for m in window],
            "monthly_tokens": [mine[m]["tokens"] if m in mine else 0 for m in window],
            "covered_months": covered_months,
            "tokens": tokens, "priced_tokens": priced_tokens, "cost_usd": cost, "list_cost_usd": list_cost,
            "mean_usd": to_decimal(mu) if values else None,
            "share": to_decimal(Fraction(cost) / Fraction(window_spend)) if window_spend else None,
            "cv": c, "stability": stability(c) if fitted else "n/a",
            "trend_usd_per_month": to_decimal(line["slope"]) if line else None,
            "trend_share_per_month": to_decimal(line["slope"] / mu) if line and mu else None,
            "priced": all(mine[m]["priced"] for m in window if m in mine),
            # Effective price per million tokens, paid and at list (priced rows only).
            "paid_per_mtok": to_decimal(Fraction(cost) * 1_000_000 / priced_tokens, "0.0001")
            if priced_tokens else None,
            "list_per_mtok": to_decimal(Fraction(list_cost) * 1_000_000 / priced_tokens, "0.0001")
            if priced_tokens else None,
            "vs_list": to_decimal(Fraction(cost) / Fraction(list_cost) - 1) if list_cost else None,
        })
    series.sort(key=lambda s: (-s["cost_usd"], s["platform"], s["model"]))

    # The total's stability and trend only over months that every platform of the window covers in full: a
    # platform arriving or leaving would read as growth or decline.
    seen = [p["platform"] for p in platforms if any(r["covered"] for r in p["months"])]
    same = [x for x in in_window if all(x["month"] in full_for[p] for p in seen)]  # covered in full, spend known
    total_values = [_f(x["cost_usd"]) for x in same]
    total_fitted = len(same) >= MIN_MONTHS
    total_line = fit(list(enumerate(total_values))) if total_fitted else None
    total_mu = mean(total_values)
    total_cv = cv(total_values) if total_fitted else None
    paid = sum((s["cost_usd"] for s in series), ZERO)
    listed = sum((s["list_cost_usd"] for s in series), ZERO)
    negotiated_rates = any(p.get("negotiated") for p in report.prices)
    forecast_ = _forecast(platforms, window)
    for p in platforms:
        p.pop("_line", None)
    return {
        "enough_months": enough, "min_months": MIN_MONTHS,
        "months": by_month, "window": window, "full_months": full,
        "partial_months": [{"month": p["month"], "first_day": p["first_day"], "last_day": p["last_day"]}
                           for p in partial],
        "platforms": platforms,
        "consumption": series,
        "rows": [{"month": r["month"], "full": cover[r["month"]]["full"], "platform": r["platform"],
                  "model": r["model"], "requests": int(r["requests"]),
                  **{k: int(r[k]) for k in TOKEN_CLASSES}, "tokens": r["tokens"], "batch_tokens": r["batch_tokens"],
                  "list_cost_usd": r["list_cost"] if r["cost_known"] else None,
                  "cost_usd": r["cost"] if r["cost_known"] else None, "priced": bool(r["priced"])}
                 for r in data],
        "total": {"months": [x["month"] for x in same],
                  "mean_usd": to_decimal(total_mu) if total_values else None,
                  "cv": total_cv, "stability": stability(total_cv) if total_fitted else "n/a",
                  "trend_usd_per_month": to_decimal(total_line["slope"]) if total_line else None,
                  "trend_share_per_month": to_decimal(total_line["slope"] / total_mu)
                  if total_line and total_mu else None,
                  "intercept_usd": to_decimal(total_line["intercept"]) if total_line else None,
                  "cost_usd": sum((x["cost_usd"] for x in in_window), ZERO),
                  "list_cost_usd": sum((x["list_cost_usd"] for x in in_window), ZERO),
                  "tokens": sum(x["tokens"] for x in in_window)},
        "prices": {"negotiated_rates": negotiated_rates, "paid_usd": paid, "list_usd": listed,
                   "at_list": paid == listed,
                   "vs_list": to_decimal(Fraction(paid) / Fraction(listed) - 1) if listed else None},
        "thresholds": {"stable_cv": STABLE_CV, "moderate_cv": MODERATE_CV},
        "forecast": forecast_,
        "commitment": _commitment(platforms),
    }
