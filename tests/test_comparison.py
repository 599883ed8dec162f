"""Month over month: the change in spend split by cause, and realised savings, worked out by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from helpers import usage_con
from hypothesis import given, settings
from hypothesis import strategies as st

from finops import analysis, comparison, overview
from finops.report import Report

D = Decimal
SEP, OCT = "2026-09-01T00:00:00", "2026-10-31T12:00:00"


def report_for(con: Any, **options: Any) -> Report:
    start, end = overview.period(con)
    return Report(generated_at=datetime(2026, 12, 1), period_start=start, period_end=end, inputs=[], skipped=[],
                  totals=overview.totals(con), unpriced=[], spend_by_model=[], spend_by_month=[], spend_by={},
                  findings=[], savings_standalone=D(0), savings_stacked=D(0), prices=[], params={}, quality={},
                  options=options)


def row(day: str, model: str, **tokens: Any) -> dict[str, Any]:
    return dict(charge_period_start=day, model=model, **tokens)


# September: Opus 4.6 10M input ($5/MTok: $50), Haiku 4.5 10M input ($1: $10). S0 = 60, T0 = 20M.
# October: Opus 4.6 10M input ($50), Haiku 4.5 20M input ($20) and 10M cache reads ($0.10: $1). S1 = 71, T1 = 40M.
ROWS = [row(SEP, "claude-opus-4-6", input_tokens=10_000_000), row(SEP, "claude-haiku-4-5", input_tokens=10_000_000),
        row(OCT, "claude-opus-4-6", input_tokens=10_000_000), row(OCT, "claude-haiku-4-5", input_tokens=20_000_000),
        row(OCT, "claude-haiku-4-5", cache_read_tokens=10_000_000)]


def causes(data: dict[str, Any]) -> dict[str, Decimal]:
    return {c["cause"]: c["amount_usd"] for c in data["causes"]}


def test_change_split_by_hand() -> None:
    # volume = (40M - 20M) x 60 / 20M = 60
    # model mix: Opus (10M - 40M x 1/2) x $5/M = -50; Haiku (30M - 40M x 1/2) x $1/M = +10: -40
    # usage mix: Haiku's October tokens at September rates (cache reads are new: their own rate, $0.10/M):
    #   20M x 1/M + 10M x 0.1/M = 21, less 30M x Haiku's September cost per token (1/M) = 30: -9; Opus 0
    # price: 71 - (50 + 20 + 1) = 0
    # 60 - 40 - 9 + 0 = 11 = 71 - 60
    con = usage_con(ROWS)
    data = comparison.build(con, report_for(con))
    assert (data["month"], data["previous"], data["chosen"]) == ("2026-10", "2026-09", "last full month")
    assert data["spend_usd"] == D("71") and data["previous_spend_usd"] == D("60")
    assert causes(data) == {"coverage": D("0"), "volume": D("60"), "model_mix": D("-40"), "usage_mix": D("-9"),
                            "price": D("0"), "web_search": D("0")}
    assert data["change_usd"] == D("11") and sum(causes(data).values()) == D("11")
    assert data["change_share"] == D("0.183333")  # 11 / 60
    haiku = next(m for m in data["by_model"] if m["model"] == "claude-haiku-4-5")
    assert (haiku["tokens_prev"], haiku["tokens_cur"]) == (10_000_000, 30_000_000)
    assert haiku["per_mtok_prev"] == D("1") and haiku["per_mtok_cur"] == D("0.7")  # $21 over 30M


def test_a_rate_change_is_price_only(tmp_path: Path) -> None:
    # Negotiated Opus 4.6 input at $4 from 1 October: October's Opus costs $40, S1 = 61.
    # price = 10M x ($4 - $5)/M = -10; the other parts are as above: 60 - 40 - 9 - 10 = 1 = 61 - 60
    rates = tmp_path / "negotiated.csv"
    rates.write_text("platform,model,variant,valid_from,input,cache_write_5m,cache_write_1h,cache_read,output\n"
                     "*,claude-opus-4-6,standard,2026-10-01,4.00,5.00,8.00,0.40,20.00\n")
    con = usage_con(ROWS, prices_file=rates)
    data = comparison.build(con, report_for(con))
    assert causes(data) == {"coverage": D("0"), "volume": D("60"), "model_mix": D("-40"), "usage_mix": D("-9"),
                            "price": D("-10"), "web_search": D("0")}
    assert data["change_usd"] == D("1")


# Steady Anthropic traffic: Opus 4.6 10M input ($5/MTok: $50) in each month. Bedrock (global endpoint, no regional
# premium): Haiku 4.5 20M input ($1/MTok: $20), in October only: its logs start in October.
STEADY = [row(SEP, "claude-opus-4-6", input_tokens=10_000_000), row(OCT, "claude-opus-4-6", input_tokens=10_000_000)]
BEDROCK = dict(platform="bedrock", endpoint_scope="global", source_format="bedrock_invocation")


def test_a_platform_that_starts_in_the_month_is_coverage_not_volume() -> None:
    # S0 = 50, S1 = 50 + 20 = 70. Bedrock has no source in September: its $20 is coverage. On the rest (Anthropic
    # alone, the same 10M tokens at the same rate) volume, mix and price are 0. Today's code calls it volume:
    # (30M - 10M) x 50 / 10M = +100, and model mix -80.
    con = usage_con([*STEADY, row("2026-10-15T00:00:00", "claude-haiku-4-5", input_tokens=20_000_000, **BEDROCK)])
    data = comparison.build(con, report_for(con))
    assert causes(data) == {"coverage": D("20"), "volume": D("0"), "model_mix": D("0"), "usage_mix": D("0"),
                            "price": D("0"), "web_search": D("0")}
    assert data["change_usd"] == D("20")
    cov = data["causes"][0]
    assert "Amazon Bedrock" in cov["explanation"] and "Oct 2026 only" in cov["explanation"]
    assert cov["sources"] == [{"platform": "bedrock", "source": "bedrock_invocation",
                               "source_formats": ["bedrock_invocation"], "change": "new"}]


def test_a_platform_that_stopped_is_negative_coverage_and_the_rest_is_still_split() -> None:
    # Bedrock in September only ($20). Anthropic grows from 10M to 12M Opus input ($50 -> $60): volume +10.
    # change = 60 - 70 = -10 = coverage -20 + volume +10.
    con = usage_con([row(SEP, "claude-opus-4-6", input_tokens=10_000_000),
                     row(OCT, "claude-opus-4-6", input_tokens=12_000_000),
                     row("2026-09-15T00:00:00", "claude-haiku-4-5", input_tokens=20_000_000, **BEDROCK)])
    data = comparison.build(con, report_for(con))
    assert causes(data) == {"coverage": D("-20"), "volume": D("10"), "model_mix": D("0"), "usage_mix": D("0"),
                            "price": D("0"), "web_search": D("0")}
    assert data["change_usd"] == D("-10") and "Sep 2026 only" in data["causes"][0]["explanation"]


def test_an_aggregated_report_replacing_another_is_no_coverage_change() -> None:
    # The usage report in September, the Console export in October: both cover every Anthropic request, so the
    # $10 more (12M against 10M tokens) is volume, not coverage.
    agg = dict(granularity="bucket", grouping="1d")
    con = usage_con([row(SEP, "claude-opus-4-6", input_tokens=10_000_000, source_format="anthropic_usage_report",
                         **agg),
                     row(OCT, "claude-opus-4-6", input_tokens=12_000_000, source_format="console_usage_csv", **agg)])
    data = comparison.build(con, report_for(con))
    assert causes(data)["coverage"] == D("0") and causes(data)["volume"] == D("10")


def test_a_platform_covered_in_part_is_named() -> None:
    # Bedrock's logs start on 15 September (one row that day): September is covered in part for Bedrock (its
    # rows: 15 September only), October in full.
    con = usage_con([*STEADY, row("2026-09-15T00:00:00", "claude-haiku-4-5", input_tokens=1_000_000, **BEDROCK),
                     row("2026-10-31T00:00:00", "claude-haiku-4-5", input_tokens=1_000_000, **BEDROCK)])
    data = comparison.build(con, report_for(con))
    (x,) = data["partly_covered"]
    assert (x["platform"], x["month"], x["first_day"].day, x["last_day"].day) == ("bedrock", "2026-09", 15, 15)


def test_web_searches_are_their_own_line() -> None:
    con = usage_con([*ROWS, row(OCT, "claude-haiku-4-5", web_search_requests=100)])  # 100 x $0.01
    data = comparison.build(con, report_for(con))
    assert causes(data)["web_search"] == D("1") and data["change_usd"] == D("12")
    assert causes(data)["volume"] == D("60")  # a row with no tokens adds no volume


def test_the_month_can_be_chosen_and_a_missing_previous_month_is_said() -> None:
    con = usage_con(ROWS)
    data = comparison.build(con, report_for(con, month="2026-09"))
    assert (data["month"], data["chosen"], data["has_month"], data["has_previous"]) == (
        "2026-09", "given", True, False)
    assert "causes" not in data
    data = comparison.build(con, report_for(con, month="2027-01"))
    assert not data["has_month"]


def test_realised_savings_by_hand() -> None:
    # One workload (workspace w1). September: 10M input on Opus 4.1 ($150; the legacy finding saves $100 by
    # moving it to Opus 4.6) and 10M on Opus 4.6 ($50). October: 2M on Opus 4.1 (saves $20), 18M on Opus 4.6.
    # Affected share of the workload's tokens: 10/20 = 0.5, then 2/20 = 0.1. Tokens no longer affected:
    # 0.4 x 20M = 8M, each saving $100 / 10M: realised $80 (8M moved from $15 to $5 per million).
    rows = [row(SEP, "claude-opus-4-1", input_tokens=10_000_000, workspace="w1"),
            row(SEP, "claude-opus-4-6", input_tokens=10_000_000, workspace="w1"),
            row(OCT, "claude-opus-4-1", input_tokens=2_000_000, workspace="w1"),
            row(OCT, "claude-opus-4-6", input_tokens=18_000_000, workspace="w1"),
            row(OCT, "claude-opus-4-6", input_tokens=50_000_000, workspace="w2")]  # another workload: ignored
    con = usage_con(rows)
    analysis.prepare(con)
    con.executemany("INSERT INTO finding_savings VALUES (?, ?, ?)",
                    [("legacy_model", "r1", D("100")), ("legacy_model", "r3", D("20"))])
    data = comparison.build(con, report_for(con))
    (r,) = data["realised"]
    assert r["finding_id"] == "legacy_model"
    assert (r["share_prev"], r["share_cur"]) == (D("0.5"), D("0.1"))
    assert (r["savings_prev_usd"], r["savings_cur_usd"]) == (D("100"), D("20"))
    assert r["tokens_no_longer_affected"] == 8_000_000 and r["realised_usd"] == D("80")
    legacy = next(x for x in data["levers"] if x["lever"] == "legacy_model")
    # the Opus family: 10M of 20M on Opus 4.1 in September; 2M of 70M in October
    assert (legacy["share_prev"], legacy["share_cur"]) == (D("0.5"), D("0.028571"))


def test_a_workload_that_only_shrank_realises_nothing() -> None:
    rows = [row(SEP, "claude-opus-4-1", input_tokens=10_000_000, workspace="w1"),
            row(OCT, "claude-opus-4-1", input_tokens=1_000_000, workspace="w1")]
    con = usage_con(rows)
    analysis.prepare(con)
    con.executemany("INSERT INTO finding_savings VALUES (?, ?, ?)",
                    [("legacy_model", "r1", D("100")), ("legacy_model", "r2", D("10"))])
    (r,) = comparison.build(con, report_for(con))["realised"]
    assert (r["share_prev"], r["share_cur"], r["realised_usd"]) == (D(1), D(1), D(0))


segment = st.fixed_dictionaries({
    "month": st.sampled_from(["2026-09", "2026-10"]), "model": st.sampled_from([("anthropic", "a"), ("bedrock", "b")]),
    "tier": st.sampled_from(["standard", "batch"]), "cls": st.sampled_from(["input", "output", "web_search"]),
    "tokens": st.integers(0, 10**9), "cost": st.fractions(0, 10**4, max_denominator=10**6)})


@settings(max_examples=settings.default.max_examples * 5)  # pure Python: cheap examples
@given(st.lists(segment, max_size=12))
def test_the_parts_always_add_up(segments: list[dict[str, Any]]) -> None:
    segments = [replace_tokens(s) for s in segments]
    parts = comparison.decompose(segments, "2026-09", "2026-10")
    spend = {m: sum((s["cost"] for s in segments if s["month"] == m), Fraction(0)) for m in ("2026-09", "2026-10")}
    assert parts["total"] == spend["2026-10"] - spend["2026-09"]
    assert sum((v for k, v in parts.items() if k != "total"), Fraction(0)) == parts["total"]


@given(st.lists(st.tuples(segment, st.sampled_from([("anthropic", "logs"), ("bedrock", "aggregated")])),
                max_size=12), st.sets(st.sampled_from([("anthropic", "logs"), ("bedrock", "aggregated")])))
def test_coverage_and_the_other_causes_always_add_up(tagged: list[tuple[dict[str, Any], Any]],
                                                      in_both: set[Any]) -> None:
    # Sources in both months go to the other causes; the rest is coverage: together they are the whole change.
    segments = [{**replace_tokens(s), "source": source} for s, source in tagged]
    months = {"2026-09": set(in_both), "2026-10": set(in_both)}
    for s in segments:
        months[s["month"]].add(s["source"])
    coverage, rest = comparison.split_coverage(segments, months, "2026-09", "2026-10")
    parts = comparison.decompose(rest, "2026-09", "2026-10")
    spend = {m: sum((s["cost"] for s in segments if s["month"] == m), Fraction(0)) for m in ("2026-09", "2026-10")}
    assert coverage + parts["total"] == spend["2026-10"] - spend["2026-09"]


def replace_tokens(s: dict[str, Any]) -> dict[str, Any]:
    # Web searches have no tokens; a token segment with no tokens has no cost.
    if s["cls"] == "web_search":
        return {**s, "tokens": 0}
    return s if s["tokens"] else {**s, "cost": Fraction(0)}


def test_report_options_are_not_in_the_json() -> None:
    from finops.report import to_dict

    con = usage_con(ROWS)
    assert "options" not in to_dict(replace(report_for(con, month="2026-10")))


def test_the_html_shows_the_causes_worked_out_by_hand() -> None:
    # The report's month over month for the fixture above (steady Anthropic $50 a month, Bedrock $20 from October):
    # Sep $50.00, Oct $70.00, change +$20.00, all of it coverage (+100.0% of the change); volume, mix and price $0.00.
    from bs4 import BeautifulSoup
    from finops.reports import render_html

    con = usage_con([*STEADY, row("2026-10-15T00:00:00", "claude-haiku-4-5", input_tokens=20_000_000, **BEDROCK)])
    report = report_for(con)
    report = replace(report, sections={"comparison": comparison.build(con, report)})
    mom = BeautifulSoup(render_html(report), "html.parser").select_one("#month-over-month")
    kpi = [td.get_text(" ", strip=True) for td in mom.select("table.kpi td")]
    assert kpi == ["Sep 2026 $50.00", "Oct 2026 $70.00", "Change +$20.00", "Change in % +40.0%"]
    rows = {tr.select("td")[0].get_text(strip=True): [td.get_text(" ", strip=True) for td in tr.select("td")[2:]]
            for tr in mom.select("table.causes tbody:not(.totals) tr")}
    assert rows == {"Coverage": ["+$20.00", "+100.0%"], "Volume": ["$0.00", "0.0%"], "Model mix": ["$0.00", "0.0%"],
                    "Usage mix within models": ["$0.00", "0.0%"], "Price": ["$0.00", "0.0%"]}
    assert "Amazon Bedrock (bedrock_invocation)" in mom.select_one("table.causes").get_text(" ", strip=True)
