"""Pricing against examples worked out by hand from the published rules (pricing.md), not from the code."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path

import pytest
from helpers import usage_con
from hypothesis import given, settings
from hypothesis import strategies as st

from finops import analysis
from finops.errors import PricingError


def cost_of(**row: object) -> Decimal:
    con = usage_con([row])
    value = con.execute("SELECT cost FROM priced_usage").fetchone()[0]
    return value


def test_brief_worked_example_opus_4_1():
    # $15 x 1.0M + $1.50 x 0.2M + $75 x 0.1M = 15.00 + 0.30 + 7.50
    row = dict(model="claude-opus-4-1", charge_period_start="2026-05-01T12:00:00", input_tokens=1_000_000,
               cache_read_tokens=200_000, output_tokens=100_000)
    assert cost_of(**row) == Decimal("22.80")
    assert cost_of(**row, service_tier="batch") == Decimal("11.40")


def test_cache_write_ttls_priced_separately_never_double_counted():
    # Sonnet 4.5: 30K uncached x $3 + 50K 5m writes x $3.75 + 20K 1h writes x $6 + 1K output x $15
    # = 0.09 + 0.1875 + 0.12 + 0.015 = 0.4125 (pricing.md 4.4, first row)
    assert cost_of(model="claude-sonnet-4-5", charge_period_start="2026-01-10T00:00:00", input_tokens=30_000,
                   cache_write_5m_tokens=50_000, cache_write_1h_tokens=20_000,
                   output_tokens=1_000) == Decimal("0.4125")


def test_one_hour_write_is_twice_input():
    # Opus 4.6: 1M 1h writes x $10 = $10.00; the same as 5m writes = $6.25
    assert cost_of(model="claude-opus-4-6", charge_period_start="2026-05-01T00:00:00",
                   cache_write_1h_tokens=1_000_000) == Decimal("10.00")
    assert cost_of(model="claude-opus-4-6", charge_period_start="2026-05-01T00:00:00",
                   cache_write_5m_tokens=1_000_000) == Decimal("6.25")


def test_long_context_whole_request_and_threshold_counts_cache():
    # Sonnet 4.5 before 2026-04-30, 300K input + 10K output: all at $6/$22.50 = 1.80 + 0.225 = 2.025
    assert cost_of(model="claude-sonnet-4-5", charge_period_start="2025-10-01T00:00:00", input_tokens=300_000,
                   output_tokens=10_000) == Decimal("2.025")
    # 150K uncached + 60K cache read = 210K > 200K: long context applies to every class.
    # 150K x $6 + 60K x $0.60 + 1K x $22.50 = 0.90 + 0.036 + 0.0225 = 0.9585
    assert cost_of(model="claude-sonnet-4-5", charge_period_start="2025-10-01T00:00:00", input_tokens=150_000,
                   cache_read_tokens=60_000, output_tokens=1_000) == Decimal("0.9585")
    # Exactly 200K is not over the threshold: 200K x $3 = 0.60
    assert cost_of(model="claude-sonnet-4-5", charge_period_start="2025-10-01T00:00:00",
                   input_tokens=200_000) == Decimal("0.60")
    # After the 1M beta ended (2026-04-30) the standard rate applies: 300K x $3 + 10K x $15 = 1.05
    assert cost_of(model="claude-sonnet-4-5", charge_period_start="2026-05-02T00:00:00", input_tokens=300_000,
                   output_tokens=10_000) == Decimal("1.05")


def test_opus_4_6_long_context_until_ga():
    # 2026-02-20: 300K in + 10K out at $10/$37.50 = 3.00 + 0.375 = 3.375; 2026-04-01: $5/$25 = 1.50 + 0.25
    assert cost_of(model="claude-opus-4-6", charge_period_start="2026-02-20T00:00:00", input_tokens=300_000,
                   output_tokens=10_000) == Decimal("3.375")
    assert cost_of(model="claude-opus-4-6", charge_period_start="2026-04-01T00:00:00", input_tokens=300_000,
                   output_tokens=10_000) == Decimal("1.75")


def test_us_only_inference_on_4_6_and_not_on_older():
    # Opus 4.6 with inference_geo "us": (1M x $5 + 1M x $25) x 1.1 = 33.00
    assert cost_of(model="claude-opus-4-6", charge_period_start="2026-04-01T00:00:00", input_tokens=1_000_000,
                   output_tokens=1_000_000, inference_geo="us") == Decimal("33.00")
    # Opus 4.5 predates the multiplier: 30.00
    assert cost_of(model="claude-opus-4-5", charge_period_start="2026-04-01T00:00:00", input_tokens=1_000_000,
                   output_tokens=1_000_000, inference_geo="us") == Decimal("30.00")


def test_fast_mode_dates():
    # Opus 4.6 fast on 2026-03-01: $30/$150 -> 180; after removal on 2026-06-29: standard $30
    assert cost_of(model="claude-opus-4-6", charge_period_start="2026-03-01T00:00:00", input_tokens=1_000_000,
                   output_tokens=1_000_000, speed="fast") == Decimal("180")
    assert cost_of(model="claude-opus-4-6", charge_period_start="2026-07-01T00:00:00", input_tokens=1_000_000,
                   output_tokens=1_000_000, speed="fast") == Decimal("30")
    # Opus 4.8 fast: $10/$50 -> 60
    assert cost_of(model="claude-opus-4-8", charge_period_start="2026-09-01T00:00:00", input_tokens=1_000_000,
                   output_tokens=1_000_000, speed="fast") == Decimal("60")


def test_haiku_5_5_tier_at_100k():
    # 100,000 prompt tokens: $0.10/MTok -> 0.01 + 1K out x $0.50 = 0.0005 -> 0.0105
    assert cost_of(model="claude-haiku-5-5", charge_period_start="2026-11-01T00:00:00", input_tokens=100_000,
                   output_tokens=1_000) == Decimal("0.0105")
    # 100,001: all at $0.50/$2.50 -> 0.0500005 + 0.0025 = 0.0525005
    assert cost_of(model="claude-haiku-5-5", charge_period_start="2026-11-01T00:00:00", input_tokens=100_001,
                   output_tokens=1_000) == Decimal("0.0525005")


def test_sonnet_5_5_cache_read_cut():
    # 1M cache reads: $0.20 before 2026-10-07, $0.10 from then
    assert cost_of(model="claude-sonnet-5-5", charge_period_start="2026-09-30T00:00:00",
                   cache_read_tokens=1_000_000) == Decimal("0.20")
    assert cost_of(model="claude-sonnet-5-5", charge_period_start="2026-10-07T00:00:00",
                   cache_read_tokens=1_000_000) == Decimal("0.10")


def test_bedrock_regional_premium_and_batch():
    base = dict(model="claude-sonnet-4-5", charge_period_start="2026-06-01T00:00:00", platform="bedrock",
                input_tokens=100_000, output_tokens=100_000)
    # global: 0.30 + 1.50 = 1.80; regional +10% = 1.98; regional batch = 0.99
    assert cost_of(**base, endpoint_scope="global") == Decimal("1.80")
    assert cost_of(**base, endpoint_scope="regional") == Decimal("1.98")
    assert cost_of(**base, endpoint_scope="regional", service_tier="batch") == Decimal("0.99")
    # Sonnet 4 keeps one price on regional endpoints: 1.80
    assert cost_of(**{**base, "model": "claude-sonnet-4"}, endpoint_scope="regional") == Decimal("1.80")


def test_web_search_ten_dollars_per_thousand_not_batch_discounted():
    # Haiku 4.5: 1K in x $1 + 100 out x $5 + 3 searches x $0.01 = 0.001 + 0.0005 + 0.03 = 0.0315
    assert cost_of(model="claude-haiku-4-5", charge_period_start="2026-06-01T00:00:00", input_tokens=1_000,
                   output_tokens=100, web_search_requests=3) == Decimal("0.0315")
    # Batch halves tokens only: 0.0005 + 0.00025 + 0.03 = 0.03075
    assert cost_of(model="claude-haiku-4-5", charge_period_start="2026-06-01T00:00:00", input_tokens=1_000,
                   output_tokens=100, web_search_requests=3, service_tier="batch") == Decimal("0.03075")


def test_unknown_model_is_unpriced_never_zero():
    con = usage_con([dict(model=None, model_raw="claude-opus-9", charge_period_start="2026-06-01T00:00:00",
                          input_tokens=1000, output_tokens=1000)])
    priced, cost, reason = con.execute("SELECT priced, cost, unpriced_reason FROM priced_usage").fetchone()
    assert priced is False and cost is None and reason == "unknown model"


def test_model_used_before_its_first_price_is_unpriced():
    con = usage_con([dict(model="claude-opus-4-6", charge_period_start="2025-12-01T00:00:00", input_tokens=10)])
    assert con.execute("SELECT priced, cost FROM priced_usage").fetchone() == (False, None)


def test_aggregated_bucket_uses_its_stated_context_tier():
    # Console/usage-report rows state the tier; 1M input on the 200k-1M tier of Sonnet 4.5 = $6
    assert cost_of(model="claude-sonnet-4-5", charge_period_start="2025-10-01T00:00:00", granularity="bucket",
                   grouping="1d:model", context_window="200k-1M", input_tokens=1_000_000) == Decimal("6")
    assert cost_of(model="claude-sonnet-4-5", charge_period_start="2025-10-01T00:00:00", granularity="bucket",
                   grouping="1d:model", context_window="0-200k", input_tokens=1_000_000) == Decimal("3")


def test_negotiated_override_changes_cost_not_list(tmp_path: Path):
    overrides = tmp_path / "negotiated.csv"
    overrides.write_text(
        "platform,model,variant,valid_from,input,cache_write_5m,cache_write_1h,cache_read,output\n"
        "*,claude-opus-4-6,standard,2026-06-01,4.00,5.00,8.00,0.40,20.00\n"
    )
    rows = [dict(model="claude-opus-4-6", charge_period_start=day, input_tokens=1_000_000,
                 output_tokens=1_000_000) for day in ("2026-05-31T00:00:00", "2026-06-01T00:00:00")]
    con = usage_con(rows, prices_file=overrides)
    got = con.execute("SELECT cost, list_cost FROM priced_usage ORDER BY charge_period_start").fetchall()
    # Before the negotiated date: list $30 both; from it: 4 + 20 = $24 effective, $30 list.
    assert got == [(Decimal("30"), Decimal("30")), (Decimal("24"), Decimal("30"))]


@pytest.mark.parametrize("body, message", [
    ("model,variant,valid_from,input,cache_write_5m,cache_write_1h,cache_read,output\n"
     "claude-opus-9,standard,2026-01-01,1,1,1,1,1\n", "unknown model"),
    ("model,variant,valid_from,input,cache_write_5m,cache_write_1h,cache_read,output\n"
     "claude-opus-4-6,standard,2026-01-01,-1,1,1,1,1\n", "non-negative"),
    ("model,variant,valid_from,input\nclaude-opus-4-6,standard,2026-01-01,1\n", "missing columns"),
    ("model,variant,valid_from,input,cache_write_5m,cache_write_1h,cache_read,output\n"
     "claude-opus-4-6,standard,yesterday,1,1,1,1,1\n", "not a date"),
])
def test_bad_override_file_is_a_clear_error(tmp_path: Path, body: str, message: str):
    bad = tmp_path / "p.csv"
    bad.write_text(body)
    with pytest.raises(PricingError, match=message):
        usage_con([], prices_file=bad)


def test_every_model_has_a_standard_price_and_lifecycle_row():
    con = usage_con([])
    missing = con.execute("""
        SELECT model FROM models WHERE model NOT IN (SELECT model FROM prices WHERE variant = 'standard')
    """).fetchall()
    assert missing == []
    orphans = con.execute("SELECT DISTINCT model FROM prices WHERE model NOT IN (SELECT model FROM models)").fetchall()
    assert orphans == []


@settings(max_examples=200, deadline=None)
@given(amount=st.decimals(min_value=0, max_value=10_000_000, places=12), part=st.integers(0, 10**9),
       extra=st.integers(1, 10**9))
def test_prorate_spreads_money_exactly(amount: Decimal, part: int, extra: int):
    # A group's saving spread over its rows: amount x part / whole to 12 places, half up, from exact decimal
    # arithmetic (DuckDB's own decimal division would go through DOUBLE and lose the last places).
    whole = part + extra
    con = usage_con([dict(model="claude-sonnet-4-5", charge_period_start="2026-05-01T12:00:00", input_tokens=1)])
    analysis.prepare(con)
    got = con.execute("SELECT prorate(CAST(? AS DECIMAL(38, 12)), ?, ?)", [str(amount), part, whole]).fetchone()[0]
    with localcontext() as ctx:
        ctx.prec = 60
        assert got == (amount * part / whole).quantize(Decimal("0.000000000001"), rounding=ROUND_HALF_UP)
