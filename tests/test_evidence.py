"""The negotiation evidence pack: statistics, coverage, forecast and the commitment, worked out by hand."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from helpers import usage_con
from hypothesis import given, settings
from hypothesis import strategies as st

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


def with_savings(con: Any, savings: dict[tuple[str, str], str]) -> Any:
    """The stacked savings per month and platform, as finops/stacking.py leaves them."""
    con.execute("CREATE OR REPLACE TEMP TABLE stacked_savings (month VARCHAR, platform VARCHAR, "
                "savings DECIMAL(38, 12))")
    con.executemany("INSERT INTO stacked_savings VALUES (?, ?, ?)",
                    [(m, p, D(v)) for (m, p), v in savings.items()])
    return con


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
    con = with_savings(usage_con(FOUR_MONTHS), {("2026-06", "anthropic"): "25", ("2026-07", "anthropic"): "30",
                                                ("2026-08", "anthropic"): "21.25", ("2026-09", "anthropic"): "32.5"})
    data = evidence.build(con, report_for(con, savings=D("108.75")))  # 25% of each month, 435 in all
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
    assert f["platforms"][0]["savings_share"] == D("0.25")
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
    assert data["forecast"] is None and data["commitment"]["recommended_per_month_usd"] is None
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


# ---- coverage: a platform whose data starts late is not covered before, never $0 -------------------------

# Anthropic (Opus 4.6 input, $5/MTok): $100 in July, $120 in August, $110 in September, from 1 July to 30 September.
# Amazon Bedrock (global endpoint, the same rates): its logs start on 1 September: $20 on the 1st, $30 on the 30th.
BEDROCK = dict(platform="bedrock", endpoint_scope="global", source_format="bedrock_invocation")
LATE_BEDROCK = [opus_input("2026-07-01T00:00:00", 100), opus_input("2026-08-15T00:00:00", 120),
                opus_input("2026-09-30T12:00:00", 110),
                opus_input("2026-09-01T00:00:00", 20, **BEDROCK), opus_input("2026-09-30T18:00:00", 30, **BEDROCK)]
# Stacked savings per month: Anthropic 10, 40, 5; Bedrock 25 in September.
LATE_SAVINGS = {("2026-07", "anthropic"): "10", ("2026-08", "anthropic"): "40", ("2026-09", "anthropic"): "5",
                ("2026-09", "bedrock"): "25"}


def late_bedrock() -> dict[str, Any]:
    con = with_savings(usage_con(LATE_BEDROCK), LATE_SAVINGS)
    return evidence.build(con, report_for(con, savings=D("80")))


def test_a_platform_is_not_covered_before_its_data_starts() -> None:
    data = late_bedrock()
    anthropic, bedrock = data["platforms"]
    assert (anthropic["platform"], bedrock["platform"]) == ("anthropic", "bedrock")
    assert [m["cost_usd"] for m in bedrock["months"]] == [None, None, D(50)]  # not covered, never $0
    assert [m["covered"] for m in bedrock["months"]] == [False, False, True]
    assert bedrock["covered_full_months"] == ["2026-09"]
    # today: the Bedrock series 0, 0, 50 has CV 1.732051 (173%) and the total 100, 120, 160 a trend of +30 a month
    assert bedrock["cv"] is None and bedrock["trend_usd_per_month"] is None and not bedrock["enough_months"]
    assert "1 covered full month" in bedrock["note"]
    series = {(s["platform"], s["model"]): s for s in data["consumption"]}
    b = series[("bedrock", "claude-opus-4-6")]
    assert b["monthly_cost_usd"] == [None, None, D(50)] and b["cv"] is None and b["trend_usd_per_month"] is None


def test_cv_and_trend_on_covered_months_only() -> None:
    data = late_bedrock()
    anthropic = data["platforms"][0]
    # Anthropic 100, 120, 110: mean 110; deviations -10, 10, 0; sample variance 200 / 2 = 100; sd 10;
    # CV = 10 / 110 = 0.090909 (stable)
    assert anthropic["cv"] == D("0.090909") and anthropic["stability"] == "stable"
    # slope: sum (x - 1)(y - 110) = (-1)(-10) + 0 + (1)(0) = 10, / sum (x - 1)^2 = 2: 5 a month; intercept 105
    # fitted 105, 110, 115; residuals -5, 10, -5; SSE 150; s^2 = 150 / (3 - 2) = 150;
    # SE(slope) = sqrt(150 / 2) = sqrt(75) = 8.660254: within two standard errors of 0, and the pack says so
    assert anthropic["trend_usd_per_month"] == D("5") and anthropic["intercept_usd"] == D("105")
    assert anthropic["trend_se_usd"] == D("8.660254") and anthropic["residual_se_usd"] == D("12.247449")
    assert "cannot tell a trend" in anthropic["note"]
    # The total: only September has both platforms covered in full, too few for a CV or a trend
    assert data["total"]["months"] == ["2026-09"]
    assert data["total"]["cv"] is None and data["total"]["trend_usd_per_month"] is None


def test_forecast_per_platform_with_its_band_and_none_for_a_platform_with_one_month() -> None:
    f = late_bedrock()["forecast"]
    assert [p["platform"] for p in f["platforms"]] == ["anthropic"]
    assert [x["platform"] for x in f["not_forecast"]] == ["bedrock"]
    oct_ = f["platforms"][0]["months"][0]
    # October, k = 3: 105 + 5 x 3 = 120. SE of the line at k = 3: s x sqrt(1/3 + (3 - 1)^2 / 2)
    # = sqrt(150 x 7/3) = sqrt(350) = 18.708287: band 101.29 to 138.71
    assert (oct_["month"], oct_["forecast_usd"], oct_["low_usd"], oct_["high_usd"]) == (
        "2026-10", D("120.00"), D("101.29"), D("138.71"))
    # after the savings: Anthropic saved 55 of 330 in the months fitted, 1/6: 120 x 5/6 = 100
    assert oct_["optimised_usd"] == D("100.00") and f["platforms"][0]["savings_share"] == D("0.166667")
    assert f["months"][0] == {"month": "2026-10", "forecast_usd": D("120.00"), "optimised_usd": D("100.00")}


def test_commitment_per_vendor_on_the_lowest_optimised_month() -> None:
    cm = late_bedrock()["commitment"]
    anthropic, bedrock = cm["vendors"]
    # Anthropic optimised: 100 - 10 = 90, 120 - 40 = 80, 110 - 5 = 105: the lowest is 80 (August). Today's code
    # sizes it on the trend's 12-month average instead.
    assert [m["optimised_usd"] for m in anthropic["months"]] == [D(90), D(80), D(105)]
    assert anthropic["recommended_per_month_usd"] == D("80.00") and anthropic["kind"] == "commitment"
    assert "first-party API spend only" in anthropic["basis"] and "Aug 2026" in anthropic["basis"]
    # Bedrock: one covered full month, no figure, and why; never added to Anthropic's
    assert bedrock["recommended_per_month_usd"] is None and bedrock["kind"] == "drawdown"
    assert "1 covered full month" in bedrock["basis"]
    assert cm["recommended_per_month_usd"] == D("80.00")
    # 10% above: C = 88; at 15% off pay 0.85 x 88 = 74.80, of which 0.85 x 8 = 6.80 for unused commitment;
    # saving 80 - 74.80 = 5.20 a month, 62.40 a year. 25% above at 20%: 0.8 x 100 = 80, saving 0.
    # 50% above at 15%: 0.85 x 120 = 102, saving -22.
    above = {a["above_share"]: a for a in anthropic["above"]}
    ten = above[D("0.10")]["discounts"][0]
    assert (above[D("0.10")]["per_month_usd"], ten["pay_usd"], ten["unused_usd"], ten["net_usd"],
            ten["net_per_year_usd"]) == (D("88.00"), D("74.80"), D("6.80"), D("5.20"), D("62.40"))
    assert above[D("0.25")]["discounts"][1]["net_usd"] == D("0.00")
    assert above[D("0.50")]["discounts"][0]["net_usd"] == D("-22.00")
    assert [x["net_usd"] for x in above[D("0")]["discounts"]] == [D("12.00"), D("16.00"), D("24.00")]  # d x 80
    # The tiers as a distance from today's spend (September, 110): 9,890 and 49,890 a month away
    tiers = {t["level"]: t for t in anthropic["tiers"]}
    assert (tiers["entry"]["distance_usd"], tiers["large"]["distance_usd"]) == (D("9890"), D("49890"))
    assert tiers["entry"]["share"] == D("0.011") and not tiers["entry"]["reached"]


def test_no_commitment_with_fewer_than_three_covered_full_months() -> None:
    con = usage_con([opus_input("2026-07-01T00:00:00", 100), opus_input("2026-08-31T00:00:00", 120)])
    cm = evidence.build(con, report_for(con))["commitment"]
    (anthropic,) = cm["vendors"]
    assert anthropic["recommended_per_month_usd"] is None and cm["recommended_per_month_usd"] is None
    assert "2 covered full months" in anthropic["basis"]


@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 500), st.integers(0, 100)), min_size=3, max_size=6))
def test_the_commitment_is_never_above_the_lowest_optimised_month_of_the_last_three(
        months: list[tuple[int, int]]) -> None:
    # Month i (from June 2026) spends `usd` dollars on the 1st; `percent` of it is saved. The last month ends
    # with a row on its last day, so every month is covered in full.
    names = [f"2026-{i + 6:02d}" for i in range(len(months))]
    rows = [opus_input(f"{m}-01T00:00:00", usd) for m, (usd, _) in zip(names, months, strict=True)]
    last_day = evidence.coverage(names[-1], None, None)["days_in_month"]
    rows.append(opus_input(f"{names[-1]}-{last_day:02d}T23:00:00", 0))
    savings = {(m, "anthropic"): str(D(usd * pct) / 100) for m, (usd, pct) in zip(names, months, strict=True)}
    con = with_savings(usage_con(rows), savings)
    cm = evidence.build(con, report_for(con))["commitment"]
    lowest = min(D(usd) - D(usd * pct) / 100 for usd, pct in months[-3:])
    got = cm["vendors"][0]["recommended_per_month_usd"]
    assert got <= lowest and lowest - got < D("0.01")
    assert cm["recommended_per_month_usd"] == got


def test_the_html_shows_the_figures_worked_out_by_hand() -> None:
    # The pack for LATE_BEDROCK, figures as worked out in the tests above.
    from dataclasses import replace

    from bs4 import BeautifulSoup
    from finops.reports import render_html

    from finops import coverage

    con = with_savings(usage_con(LATE_BEDROCK), LATE_SAVINGS)
    report = report_for(con, savings=D("80"))
    report = replace(report, sections={"coverage": coverage.build(con), "evidence": evidence.build(con, report)})
    pack = BeautifulSoup(render_html(report), "html.parser").select_one("#evidence-pack")

    def cells(selector: str) -> list[list[str]]:
        return [[td.get_text(" ", strip=True) for td in tr.select("th, td")] for tr in pack.select(selector)]

    # Coverage: Bedrock's logs on 1 and 30 September only
    assert cells("table.ev-coverage tbody tr")[1] == [
        "Amazon Bedrock", "bedrock_invocation", "—", "—", "1–30 2 d · 2 rows"]
    # Spend by platform: not covered, never $0; CV and trend on covered full months only
    assert cells("table.ev-platforms tbody:not(.totals) tr") == [
        ["Jul 2026", "$100.00", "not covered", "$100.00"], ["Aug 2026", "$120.00", "not covered", "$120.00"],
        ["Sep 2026", "$110.00", "$50.00", "$160.00"]]
    stats = cells("table.ev-platforms tbody.totals tr")
    assert stats[0] == ["Covered full months", "3", "1", "1"]
    assert stats[2] == ["Stability (CV)", "9.1% (stable)", "—", "—"]
    assert stats[3] == ["Trend a month ± standard error", "+$5.00 ± $8.66", "—", "—"]
    # Forecast for October: 120 +- 18.71, 100 after the savings
    assert cells("table.ev-forecast tbody:not(.totals) tr")[0] == [
        "Oct 2026", "$120.00", "$101.29", "$138.71", "$100.00"]
    # Commitment: Anthropic $80.00 (August's 120 - 40); Bedrock none; all vendors $80.00
    commitment = cells("table.ev-commitment tbody:not(.totals) tr")
    assert commitment[0][-1] == "$80.00" and commitment[1][-1] == "none"
    assert cells("table.ev-commitment tbody.totals tr")[0][-1] == "$80.00"
    # 10% above at 15%: $88.00 a month, pay $74.80, $6.80 of it unused, saving $5.20 a month and $62.40 a year
    assert cells("table.ev-above tbody tr")[3] == ["10% above", "$88.00", "15%", "$74.80", "$6.80", "+$5.20",
                                                   "+$62.40"]
    assert "$9,890.00 a month away" in pack.get_text(" ", strip=True)


def test_a_month_with_unpriced_rows_is_not_sized_on() -> None:
    # July 100, August 120 and September 110 dollars of Opus input, plus in September a model finops cannot price.
    # September's spend is unknown (at least $110), never a known $110: with only July and August known, no trend,
    # forecast or commitment; before the fix the commitment was the lowest of 100, 120, 110 = $100.
    rows = [opus_input("2026-07-01T00:00:00", 100), opus_input("2026-08-15T00:00:00", 120),
            opus_input("2026-09-30T12:00:00", 110),
            dict(model="claude-unknown-9", charge_period_start="2026-09-10T00:00:00", input_tokens=1_000_000)]
    con = usage_con(rows)
    data = evidence.build(con, report_for(con))
    (anthropic,) = data["platforms"]
    assert [m["priced"] for m in anthropic["months"]] == [True, True, False]
    assert anthropic["covered_full_months"] == ["2026-07", "2026-08"] and not anthropic["enough_months"]
    assert "Sep 2026" in anthropic["note"] and "without a price" in anthropic["note"]
    assert data["forecast"] is None and data["total"]["months"] == ["2026-07", "2026-08"]
    cm = data["commitment"]
    assert cm["recommended_per_month_usd"] is None and cm["vendors"][0]["recommended_per_month_usd"] is None


def test_all_rows_unpriced_gives_no_commitment_not_zero() -> None:
    # Three full months on a model without a price: the spend is unknown, so no $0.00 commitment or forecast.
    rows = [dict(model="claude-unknown-9", charge_period_start=f"2026-{m:02d}-01T00:00:00", input_tokens=1_000_000)
            for m in (7, 8, 9)]
    rows.append(dict(model="claude-unknown-9", charge_period_start="2026-09-30T12:00:00", input_tokens=1_000_000))
    con = usage_con(rows)
    data = evidence.build(con, report_for(con))
    assert data["commitment"]["recommended_per_month_usd"] is None
    assert data["forecast"] is None
    assert [m["cost_usd"] for m in data["platforms"][0]["months"]] == [None, None, None]  # unknown, never $0
