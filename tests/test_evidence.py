"""The negotiation evidence pack: statistics, forecast and commitment scenarios worked out by hand."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from helpers import usage_con

from finops import evidence, overview
from finops.report import Report, to_dict

D = Decimal
F = Fraction
# Four full months of spend: 100, 120, 110, 130.
SERIES = [F(100), F(120), F(110), F(130)]


def test_cv_by_hand() -> None:
    # mean 115; deviations -15, 5, -5, 15; squares 500; sample variance 500 / 3; sd 12.909944...
    # CV = 12.909944 / 115 = 0.112260
    assert evidence.cv(SERIES) == D("0.112260")
    assert evidence.cv([F(5)]) is None  # one value: no spread to speak of
    assert evidence.cv([F(0), F(0)]) is None  # mean 0
    assert evidence.stability(D("0.112260")) == "moderate"
    assert evidence.stability(D("0.05")) == "stable" and evidence.stability(D("0.40")) == "volatile"


def test_slope_by_hand() -> None:
    # x = 0..3, mean 1.5; sum (x - 1.5)(y - 115) = 22.5 - 2.5 - 2.5 + 22.5 = 40; sum (x - 1.5)^2 = 5
    # slope 8 a month; intercept 115 - 8 x 1.5 = 103
    assert evidence.slope(SERIES) == (F(103), F(8))
    assert evidence.slope([F(1), F(2), F(4)]) == (F(5, 6), F(3, 2))  # exact, not a float


def test_forecast_by_hand() -> None:
    # Next twelve months, x = 4..15: 103 + 8x = 135, 143, ..., 223; sum = 12 x 103 + 8 x 114 = 2,148
    got = evidence.forecast(SERIES)
    assert got[0] == D("135.00") and got[1] == D("143.00") and got[-1] == D("223.00")
    assert sum(got) == D("2148.00")
    # A falling line stops at $0: 30, 20, 10 -> 0, 0, ... (never negative)
    assert evidence.forecast([F(30), F(20), F(10)])[:2] == [D("0.00"), D("0.00")]
    # Rounded to cents, half up: 1/3 steps
    assert evidence.forecast([F(0), F(1, 3)], 1) == [D("0.67")]


def test_scenarios_by_hand() -> None:
    # Optimised baseline: the forecast less 25%: 101.25, 107.25, ..., 167.25; U = 0.75 x 2,148 = 1,611.00
    baseline = [evidence.cents(F(v) * F(3, 4)) for v in evidence.forecast(SERIES)]
    assert sum(baseline) == D("1611.00")
    rows = {s["level"]: s for s in evidence.scenarios(baseline)}
    base = rows["baseline"]
    assert base["per_month_usd"] == D("134.25") and base["commit_usd"] == D("1611.00")
    assert [(x["worth_usd"], x["unused_commitment_usd"], x["net_usd"]) for x in base["discounts"]] == [
        (D("241.65"), D("0.00"), D("241.65")),  # 15% of 1,611
        (D("322.20"), D("0.00"), D("322.20")),
        (D("483.30"), D("0.00"), D("483.30"))]
    entry = rows["entry"]  # $10K a month for 12 months: 120,000, far above the baseline
    assert entry["commit_usd"] == D("120000") and not entry["baseline_reaches"]
    assert entry["baseline_share"] == D("0.013425")  # 134.25 / 10,000
    # unused = (1 - d) x (120,000 - 1,611); net = 1,611 - (1 - d) x 120,000
    assert [(x["unused_commitment_usd"], x["net_usd"]) for x in entry["discounts"]] == [
        (D("100630.65"), D("-100389.00")), (D("94711.20"), D("-94389.00")), (D("82872.30"), D("-82389.00"))]
    large = rows["large"]
    assert large["commit_usd"] == D("600000") and large["discounts"][0]["net_usd"] == D("-508389.00")


def test_a_baseline_above_the_entry_level_gets_the_whole_discount() -> None:
    rows = {s["level"]: s for s in evidence.scenarios([D("12000.00")] * 12)}  # U = 144,000
    entry = rows["entry"]
    assert entry["baseline_reaches"]
    assert [x["net_usd"] for x in entry["discounts"]] == [D("21600.00"), D("28800.00"), D("43200.00")]
    assert not rows["large"]["baseline_reaches"]


def test_apportion_keeps_the_sum() -> None:
    assert evidence.apportion([F(1, 3)] * 3, "0.01") == [D("0.34"), D("0.33"), D("0.33")]
    parts = evidence.apportion([D("-880.615"), D("145.325"), D("91.085"), D("-9.29")], "0.01", D("-653.50"))
    assert sum(parts) == D("-653.50")


def test_coverage_by_day() -> None:
    c = evidence.coverage("2026-09", datetime(2026, 8, 20, 8, 0), datetime(2026, 9, 30, 23, 0))
    assert c["full"] and (c["first_day"], c["last_day"]) == (1, 30)
    c = evidence.coverage("2026-11", datetime(2026, 8, 1), datetime(2026, 11, 20, 21, 0))
    assert not c["full"] and (c["first_day"], c["last_day"]) == (1, 20)


# ---- the builder on priced rows --------------------------------------------------------------------------

def opus_input(day: str, usd: int, **extra: Any) -> dict[str, Any]:
    """Claude Opus 4.6 input is $5 per million tokens: $usd of it is usd x 200,000 tokens."""
    return dict(model="claude-opus-4-6", charge_period_start=day, input_tokens=usd * 200_000, **extra)


def report_for(con: Any, savings: Decimal | None = None) -> Report:
    start, end = overview.period(con)
    return Report(generated_at=datetime(2026, 12, 1), period_start=start, period_end=end, inputs=[], skipped=[],
                  totals=overview.totals(con), unpriced=[], spend_by_model=[], spend_by_month=[], spend_by={},
                  findings=[], savings_standalone=savings or D(0), savings_stacked=savings or D(0),
                  prices=overview.price_rows(con), params={}, quality={})


FOUR_MONTHS = [opus_input("2026-06-01T00:00:00", 100), opus_input("2026-07-15T00:00:00", 120),
               opus_input("2026-08-15T00:00:00", 60), opus_input("2026-08-16T00:00:00", 50, service_tier="batch"),
               opus_input("2026-09-30T12:00:00", 130)]


def test_pack_from_four_full_months() -> None:
    # August: 12M tokens at $5 ($60) and 10M at batch rates, half price ($25): the series is 100, 120, 85, 130.
    con = usage_con(FOUR_MONTHS)
    data = evidence.build(con, report_for(con, savings=D("108.75")))  # 25% of 435
    assert data["enough_months"] and data["window"] == ["2026-06", "2026-07", "2026-08", "2026-09"]
    assert data["partial_months"] == []
    assert [m["cost_usd"] for m in data["months"]] == [D(100), D(120), D(85), D(130)]
    # mean 108.75; slope: sum (x - 1.5)(y - 108.75) = (-1.5)(-8.75) + (-0.5)(11.25) + (0.5)(-23.75) + (1.5)(21.25)
    # = 13.125 - 5.625 - 11.875 + 31.875 = 27.5; / 5 = 5.5 a month; intercept 108.75 - 8.25 = 100.5
    total = data["total"]
    assert total["mean_usd"] == D("108.75") and total["trend_usd_per_month"] == D("5.5")
    assert total["intercept_usd"] == D("100.5")
    # deviations -8.75, 11.25, -23.75, 21.25: squares 76.5625 + 126.5625 + 564.0625 + 451.5625 = 1,218.75;
    # / 3 = 406.25; sd 20.155644; CV = 20.155644 / 108.75 = 0.185339
    assert total["cv"] == D("0.185339") and total["stability"] == "moderate"
    # forecast x = 4..15: 100.5 + 5.5x: 122.50 ... 183.00; sum = 12 x 100.5 + 5.5 x 114 = 1,833.00
    f = data["forecast"]
    assert f["months"][0] == {"month": "2026-10", "forecast_usd": D("122.50"), "optimised_usd": D("91.88")}
    assert f["total_usd"] == D("1833.00")
    assert f["savings_share"] == D("0.25")
    # optimised = forecast x 0.75, each month rounded half up to cents (122.50 x 0.75 = 91.875 -> 91.88)
    assert f["optimised_total_usd"] == sum(evidence.cents(Fraction(m["forecast_usd"]) * F(3, 4))
                                           for m in f["months"])
    # cache and batch: August 10M of 22M tokens at batch rates
    aug = data["months"][2]
    assert aug["batch_tokens"] == 10_000_000 and aug["tokens"] == 22_000_000
    assert aug["batch_share"] == D("0.454545")
    # paid = list: no negotiated rates, and the pack says so
    assert data["prices"]["at_list"] and not data["prices"]["negotiated_rates"]
    s = data["consumption"][0]
    assert s["paid_per_mtok"] == s["list_per_mtok"] and s["vs_list"] == D(0)
    assert s["paid_per_mtok"] == D("4.7283")  # $435 over 92M tokens, a quarter of August's at batch rates
    assert to_dict(replace_sections(report_for(con), data))["evidence"]["total"]["cv"] == "0.185339"


def replace_sections(report: Report, data: dict[str, Any]) -> Report:
    from dataclasses import replace

    return replace(report, sections={"evidence": data})


def test_fewer_than_three_full_months_says_so_and_does_not_extrapolate() -> None:
    con = usage_con([opus_input("2026-07-01T00:00:00", 100), opus_input("2026-08-31T00:00:00", 120)])
    data = evidence.build(con, report_for(con))
    assert not data["enough_months"]
    assert data["forecast"] is None and data["scenarios"] is None
    assert data["total"]["cv"] is None and data["total"]["trend_usd_per_month"] is None
    assert data["window"] == ["2026-07", "2026-08"]


def test_partial_months_are_named_and_left_out() -> None:
    con = usage_con([opus_input(d, 100) for d in ("2026-06-05T00:00:00", "2026-07-10T00:00:00",
                                                  "2026-08-10T00:00:00", "2026-09-10T00:00:00",
                                                  "2026-10-03T00:00:00")])
    data = evidence.build(con, report_for(con))
    assert data["window"] == ["2026-07", "2026-08", "2026-09"]
    assert [p["month"] for p in data["partial_months"]] == ["2026-06", "2026-10"]
    assert data["partial_months"][0]["first_day"] == 5 and data["partial_months"][1]["last_day"] == 3
    assert data["total"]["cv"] == D(0) and data["total"]["stability"] == "stable"
    assert data["forecast"]["months"][0]["month"] == "2026-10"


def test_negotiated_rates_show_a_discount(tmp_path: Path) -> None:
    rates = tmp_path / "negotiated.csv"
    rates.write_text("platform,model,variant,valid_from,input,cache_write_5m,cache_write_1h,cache_read,output\n"
                     "*,claude-opus-4-6,standard,2026-01-01,4.00,5.00,8.00,0.40,20.00\n")
    con = usage_con([opus_input(d, 100) for d in ("2026-06-01T00:00:00", "2026-07-15T00:00:00",
                                                  "2026-08-31T00:00:00")], prices_file=rates)
    data = evidence.build(con, report_for(con))
    assert not data["prices"]["at_list"] and data["prices"]["negotiated_rates"]
    assert data["prices"]["vs_list"] == D("-0.2")  # $4 against $5 list
    assert data["consumption"][0]["paid_per_mtok"] == D("4.0000")
    assert data["consumption"][0]["list_per_mtok"] == D("5.0000")


def test_no_money_is_a_float_in_json() -> None:
    con = usage_con(FOUR_MONTHS)
    data = evidence.build(con, report_for(con, savings=D("10")))
    doc = to_dict(replace_sections(report_for(con), data))["evidence"]

    def walk(x: Any) -> None:
        assert not isinstance(x, float), x
        if isinstance(x, dict):
            for v in x.values():
                walk(v)
        if isinstance(x, list):
            for v in x:
                walk(v)

    walk(doc)
    assert doc["forecast"]["total_usd"] == "1833.000000"


@pytest.mark.parametrize("first,last,expected", [("2026-11", "2027-02", ["2026-11", "2026-12", "2027-01", "2027-02"])])
def test_month_range(first: str, last: str, expected: list[str]) -> None:
    assert evidence.month_range(first, last) == expected
    assert evidence.add_months("2026-12", 1) == "2027-01" and evidence.add_months("2026-01", -1) == "2025-12"
