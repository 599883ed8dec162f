"""Pricing against examples worked out by hand from the published rules (pricing.md), not from the code."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path

import pytest
from helpers import usage_con
from hypothesis import given, settings
from hypothesis import strategies as st

from finops import analysis, pricing
from finops.errors import PricingError
from finops.models import ModelId, resolve
from finops.pipeline import run
from finops.pricing import RATE_COLUMNS


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
    assert con.execute("SELECT priced, cost, unpriced_reason FROM priced_usage").fetchone() == (
        False, None, "dated before the model's release")


@pytest.mark.parametrize("model, launch, rate", [
    # Release dates from the model pages (platform.claude.com/docs/en/models/<id>/overview: "Released September 22,
    # 2026", "Released September 28, 2026"); Fable 5.2 and Mythos 5.2 on the best documented date, 2026-11-09.
    # The day before is before launch (unpriced, flagged); from the day itself 1M input costs the input rate.
    ("claude-opus-5-5", "2026-09-22", "4"), ("claude-sonnet-5-5", "2026-09-28", "2"),
    ("claude-fable-5-2", "2026-11-09", "8"), ("claude-mythos-5-2", "2026-11-09", "8"),
])
def test_launch_dates_from_the_model_pages(model: str, launch: str, rate: str):
    day_before = str(date.fromisoformat(launch) - timedelta(days=1))
    con = usage_con([dict(model=model, charge_period_start=f"{day}T12:00:00", input_tokens=1_000_000)
                     for day in (day_before, launch)])
    got = con.execute("SELECT cost, unpriced_reason FROM priced_usage ORDER BY charge_period_start").fetchall()
    assert got == [(None, "dated before the model's release"), (Decimal(rate), None)]


def test_claude_3_5_sonnet_to_the_cent():
    # Anthropic's pricing page (2025 version): $3 input, $3.75 5m write, $6 1h write, $0.30 read, $15 output.
    # 1M of each: 3 + 3.75 + 6 + 0.30 + 15 = 28.05; in batch, half: 14.025.
    row = dict(model="claude-3-5-sonnet", charge_period_start="2025-05-01T00:00:00", input_tokens=1_000_000,
               cache_write_5m_tokens=1_000_000, cache_write_1h_tokens=1_000_000, cache_read_tokens=1_000_000,
               output_tokens=1_000_000)
    assert cost_of(**row) == Decimal("28.05")
    assert cost_of(**row, service_tier="batch") == Decimal("14.025")


@pytest.mark.parametrize("raw", ["bedrock/us.anthropic.claude-3-5-sonnet-20241022-v2:0",
                                 "projects/p/locations/us-east5/publishers/anthropic/models/claude-3-5-sonnet@20240620"])
def test_claude_3_5_sonnet_on_bedrock_and_vertex_regional_endpoints(raw: str):
    # A regional endpoint (a us. profile, a Vertex region) costs the same as global for models before the 4.5
    # series (pricing.md 3.1, "Earlier models ... retain their existing pricing"): 1M in + 1M out = 3 + 15 = 18.
    ident = resolve(raw)
    assert (ident.platform, ident.endpoint_scope) in {("bedrock", "regional"), ("vertex", "regional")}
    assert cost_of(model=ident.model, platform=ident.platform, endpoint_scope=ident.endpoint_scope,
                   charge_period_start="2025-06-01T00:00:00", input_tokens=1_000_000,
                   output_tokens=1_000_000) == Decimal("18")


def test_anthropic_batch_results_example_on_claude_3_5_sonnet_is_priced(tmp_path: Path):
    # The batch-results example of Anthropic's docs (formats.md 1, Message Batches), on claude-3-5-sonnet-20240620
    # as the 2024-2025 docs had it: 11 input and 36 output tokens at batch rates ($1.50 / $7.50):
    # 11 x 1.50 / 1e6 + 36 x 7.50 / 1e6 = 0.0000165 + 0.00027 = 0.0002865. It was "unknown model" before.
    results = tmp_path / "results.jsonl"
    results.write_text(json.dumps({
        "custom_id": "my-second-request", "timestamp": "2025-03-01T00:00:00Z",
        "result": {"type": "succeeded", "message": {
            "id": "msg_014VwiXbi91y3JMjcpyGBHX5", "type": "message", "role": "assistant",
            "model": "claude-3-5-sonnet-20240620", "content": [{"type": "text", "text": "Hello again!"}],
            "stop_reason": "end_turn", "stop_sequence": None, "usage": {"input_tokens": 11, "output_tokens": 36}}}}
    ) + "\n")
    report = run([results], now=datetime(2026, 12, 3)).report
    assert report.unpriced == []
    assert report.totals.billed_cost == Decimal("0.0002865")


def test_a_known_model_without_a_price_row_is_unpriced_never_zero():
    # Every known model has a price today; a model known to models.csv without a price row (as Mythos Preview
    # was until issue 13) leaves its rows unpriced, named as the known model it is, not "unknown model", never $0.
    con = usage_con([dict(model="claude-mythos-preview", model_raw="claude-mythos-preview",
                          charge_period_start="2026-05-01T00:00:00", input_tokens=1000)])
    con.execute("DELETE FROM prices WHERE model = 'claude-mythos-preview'")
    con.execute("DELETE FROM price_pivot WHERE model = 'claude-mythos-preview'")
    pricing.price_usage(con)
    assert con.execute("SELECT priced, cost, unpriced_reason FROM priced_usage").fetchone() == (
        False, None, "known model without a documented price")


@pytest.mark.parametrize("raw, model, platform, scope, region", [
    # Vertex AI resource paths, short and full; the location is the endpoint (pricing.md 3.3).
    ("publishers/anthropic/models/claude-sonnet-4-5@20250929", "claude-sonnet-4-5", "vertex", None, None),
    ("projects/acme-prod/locations/us-east5/publishers/anthropic/models/claude-opus-4-1@20250805",
     "claude-opus-4-1", "vertex", "regional", "us-east5"),
    ("projects/acme-prod/locations/global/publishers/anthropic/models/claude-sonnet-4-6",
     "claude-sonnet-4-6", "vertex", "global", None),
    ("projects/p/locations/europe-west1/publishers/anthropic/models/claude-3-5-sonnet-v2@20241022:streamRawPredict",
     "claude-3-5-sonnet", "vertex", "regional", "europe-west1"),
    # Gateway prefixes as LiteLLM writes them.
    ("bedrock/us.anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet", "bedrock", "regional", None),
    ("bedrock/global.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5", "bedrock", "global", None),
    ("bedrock/converse/anthropic.claude-3-haiku-20240307-v1:0", "claude-3-haiku", "bedrock", "regional", None),
    ("vertex_ai/claude-3-5-sonnet-v2@20241022", "claude-3-5-sonnet", "vertex", None, None),
    ("vertex_ai/claude-opus-4-6", "claude-opus-4-6", "vertex", None, None),
    ("anthropic/claude-3-5-sonnet-20240620", "claude-3-5-sonnet", None, None, None),
    ("anthropic/claude-haiku-4-5-20251001", "claude-haiku-4-5", None, None, None),
    # -latest aliases, 3.x and 4.x.
    ("claude-3-5-sonnet-latest", "claude-3-5-sonnet", None, None, None),
    ("claude-sonnet-4-latest", "claude-sonnet-4", None, None, None),
    ("claude-opus-4-1-latest", "claude-opus-4-1", None, None, None),
    ("claude-sonnet-4-5-latest", "claude-sonnet-4-5", None, None, None),
    ("claude-haiku-4-5-latest", "claude-haiku-4-5", None, None, None),
    ("claude-opus-4-5-latest", "claude-opus-4-5", None, None, None),
    ("claude-3-5-sonnet-20241022", "claude-3-5-sonnet", None, None, None),
])
def test_model_ids_resolve(raw: str, model: str, platform: str | None, scope: str | None, region: str | None):
    assert resolve(raw) == ModelId(model, platform, scope, region)


def test_every_price_row_names_its_primary_source_and_when_it_was_read():
    con = usage_con([])
    for (source,) in con.execute("SELECT DISTINCT source FROM prices").fetchall():
        assert not source.startswith("pricing.md"), source  # the primary document, not our notes
        assert re.search(r"read 20\d\d-\d\d-\d\d", source), source


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
    # a short row (csv fills the missing cells with None) was an AttributeError traceback
    ("platform,model,variant,valid_from,input,cache_write_5m,cache_write_1h,cache_read,output\nanthropic\n",
     "line 2: unknown model ''"),
    ("model,variant,valid_from,input,cache_write_5m,cache_write_1h,cache_read,output\nclaude-opus-4-6\n",
     "line 2: unknown variant ''"),
    # a threshold that is not a whole number was a ValueError traceback
    ("model,variant,valid_from,input,cache_write_5m,cache_write_1h,cache_read,output,threshold\n"
     "claude-sonnet-4,long_context,2025-08-12,6,7.5,12,0.6,22.5,2e5\n", "line 2: threshold '2e5' is not"),
    # rates are DECIMAL(12, 6): a 7th decimal place was an Arrow traceback, and must never be rounded away
    ("model,variant,valid_from,input,cache_write_5m,cache_write_1h,cache_read,output\n"
     "claude-opus-4-6,standard,2026-01-01,1.0000001,1,1,1,1\n", "line 2: '1.0000001' has more than 6 decimal"),
    ("model,variant,valid_from,input,cache_write_5m,cache_write_1h,cache_read,output\n"
     "claude-opus-4-6,standard,2026-01-01,1,1,1,1,1000000\n", "line 2: '1000000' has more than 6 decimal"),
])
def test_bad_override_file_is_a_clear_error(tmp_path: Path, body: str, message: str):
    bad = tmp_path / "p.csv"
    bad.write_text(body)
    with pytest.raises(PricingError, match=message):
        usage_con([], prices_file=bad)


# Known models without a price row: none today (Claude 2.x, Instant, 3 Sonnet and Mythos Preview gained theirs in
# issue 13). A model added to models.csv without prices must be listed here, with the reason.
WITHOUT_DOCUMENTED_PRICE: set[str] = set()


def test_every_model_has_a_standard_price_and_lifecycle_row():
    con = usage_con([])
    missing = {m for (m,) in con.execute("""
        SELECT model FROM models WHERE model NOT IN (SELECT model FROM prices WHERE variant = 'standard')
    """).fetchall()}
    assert missing == WITHOUT_DOCUMENTED_PRICE
    orphans = con.execute("SELECT DISTINCT model FROM prices WHERE model NOT IN (SELECT model FROM models)").fetchall()
    assert orphans == []


@pytest.fixture(scope="module")
def prepared_con():
    # prorate() is a pure macro: one prepared connection serves every example (preparing one per example was
    # most of this test's time).
    con = usage_con([dict(model="claude-sonnet-4-5", charge_period_start="2026-05-01T12:00:00", input_tokens=1)])
    analysis.prepare(con)
    return con


@settings(max_examples=settings.default.max_examples * 10)  # cheap examples: ten times the profile's budget
@given(amount=st.decimals(min_value=0, max_value=10_000_000, places=12), part=st.integers(0, 10**9),
       extra=st.integers(1, 10**9))
def test_prorate_spreads_money_exactly(prepared_con, amount: Decimal, part: int, extra: int):
    # A group's saving spread over its rows: amount x part / whole to 12 places, half up, from exact decimal
    # arithmetic (DuckDB's own decimal division would go through DOUBLE and lose the last places).
    whole = part + extra
    got = prepared_con.execute("SELECT prorate(CAST(? AS DECIMAL(38, 12)), ?, ?)",
                               [str(amount), part, whole]).fetchone()[0]
    with localcontext() as ctx:
        ctx.prec = 60
        assert got == (amount * part / whole).quantize(Decimal("0.000000000001"), rounding=ROUND_HALF_UP)


# Where finops and genai-prices (0.2.3) disagree on a base rate, and why finops is right (pricing.md 4.3).
GENAI_PRICES_DIFFERENCES = {
    ("claude-sonnet-5-5", "2026-09-28", "cache_read"):
        "genai-prices has no history for the Sonnet 5.5 cache-read cut: a flat $0.10, which was $0.20 until "
        "2026-10-07 (pricing.md 1.3 and 4.3, gap 5)",
    **{("claude-3-sonnet", "2024-02-29", cls):
       "genai-prices gives Claude 3 Sonnet cache rates by the 1.25x / 2x / 0.1x rule, but prompt caching never "
       "reached Claude 3 Sonnet (it launched on Claude 3.5 Sonnet, 3 Opus and 3 Haiku): finops leaves them blank, so "
       "cache tokens on it stay unpriced" for cls in ("cache_write_5m", "cache_write_1h", "cache_read")},
}
# Models finops knows that genai-prices does not: nothing to compare (pricing.md 4.3 lists only Mythos 5.2;
# genai-prices 0.2.3 has no Claude Instant and no Mythos Preview).
GENAI_PRICES_UNKNOWN = {"claude-mythos-5", "claude-mythos-5-1", "claude-instant-1", "claude-mythos-preview"}


def test_base_rates_agree_with_genai_prices():
    genai_prices = pytest.importorskip("genai_prices", reason="the genai-prices package (test extra) is not installed")
    con = usage_con([])
    rows = con.execute("""
        SELECT model, valid_from, list_input, list_cache_write_5m, list_cache_write_1h, list_cache_read, list_output
        FROM prices WHERE platform = 'anthropic' AND variant = 'standard' AND list_input IS NOT NULL
        ORDER BY model, valid_from""").fetchall()
    differences, unknown, compared = {}, set(), 0
    for model, valid_from, *ours in rows:
        when = datetime.combine(valid_from, datetime.min.time()).replace(hour=12)
        try:
            found = genai_prices.calc_price(genai_prices.Usage(input_tokens=1), model, provider_id="anthropic",
                                            genai_request_timestamp=when).model_price
        except LookupError:
            unknown.add(model)
            continue
        theirs = [getattr(v, "base", v) for v in (found.input_mtok, found.cache_write_mtok,
                                                  found.cache_write_1h_mtok, found.cache_read_mtok,
                                                  found.output_mtok)]  # the base of a tiered price
        for name, mine, other in zip(RATE_COLUMNS, ours, theirs, strict=True):
            if mine is None and other is None:
                continue  # a model without prompt caching: no cache rate on either side
            if other is None or mine is None or Decimal(mine) != Decimal(other):
                differences[(model, str(valid_from), name)] = (mine, other)
        compared += 1
    assert compared >= 20  # every model both know, on every date its rates changed
    assert set(differences) == set(GENAI_PRICES_DIFFERENCES), differences
    assert differences[("claude-sonnet-5-5", "2026-09-28", "cache_read")] == (Decimal("0.20"), Decimal("0.1"))
    assert unknown == GENAI_PRICES_UNKNOWN


def test_a_price_file_that_is_not_utf8_names_the_file_and_the_first_bad_byte(tmp_path: Path):
    header = b"model,variant,valid_from,input,cache_write_5m,cache_write_1h,cache_read,output,note\n"
    bad = tmp_path / "latin1.csv"
    # A Latin-1 e-acute (0xe9) in the note: the byte after the header (84 bytes with its line feed) and
    # 'claude-opus-4-6,' (16) 'standard,' (9) '2026-01-01,' (11) '1,1,1,1,1,' (10) 'caf' (3): 84 + 49 = 133.
    bad.write_bytes(header + b"claude-opus-4-6,standard,2026-01-01,1,1,1,1,1,caf\xe9\n")
    offset = 133
    assert len(header) == 84
    with pytest.raises(PricingError, match=rf"^{bad}: not UTF-8 text \(byte 0xe9 at offset {offset}\)"):
        usage_con([], prices_file=bad)
    bom = tmp_path / "bom.csv"  # behind a BOM, the offset still counts from the first byte of the file
    bom.write_bytes(b"\xef\xbb\xbf" + header + b"claude-opus-4-6,standard,2026-01-01,1,1,1,1,1,caf\xe9\n")
    with pytest.raises(PricingError, match=rf"at offset {offset + 3}\)"):
        usage_con([], prices_file=bom)


def test_two_rows_for_the_same_model_variant_and_date_are_refused_naming_both(tmp_path: Path):
    """Two rates for one platform, model, variant and valid_from: the row order used to decide the price."""
    prices = tmp_path / "negotiated.csv"
    prices.write_text(
        "platform,model,variant,valid_from,input,cache_write_5m,cache_write_1h,cache_read,output\n"
        "*,claude-opus-4-6,standard,2026-06-01,4.00,5.00,8.00,0.40,20.00\n"
        "bedrock,claude-opus-4-6,standard,2026-06-01,4.50,5.00,8.00,0.40,20.00\n"  # another platform: fine
        "*,claude-opus-4-6,standard,2026-07-01,3.00,5.00,8.00,0.40,20.00\n"  # another date: fine
        "\n"
        "*,claude-opus-4-6,standard,2026-06-01,9.00,5.00,8.00,0.40,20.00\n")  # line 6, after a blank line
    with pytest.raises(PricingError, match=rf"^{prices} lines 2 and 6: two rows for claude-opus-4-6 standard on "
                                           r"every platform from 2026-06-01; keep one$"):
        usage_con([], prices_file=prices)


# The models of 2023-2024 logs that were unpriced until prices.csv gained their rows (issue 13). Hand-made rows,
# one per model, and one per platform id form for Claude 3 Sonnet; the arithmetic is in each comment.
@pytest.mark.parametrize(("model", "platform", "day", "expected"), [
    # Claude 2.0 / 2.1 at $8 / $24: 1M in x $8 + 0.5M out x $24 = 8.00 + 12.00 = 20.00
    ("claude-2.0", "anthropic", "2024-03-01T00:00:00", Decimal("20.00")),
    ("claude-2.1", "anthropic", "2024-03-01T00:00:00", Decimal("20.00")),
    ("anthropic.claude-v2:1", "bedrock", "2024-03-01T00:00:00", Decimal("20.00")),
    # Claude Instant at $0.80 / $2.40: 1M x $0.80 + 0.5M x $2.40 = 0.80 + 1.20 = 2.00
    ("claude-instant-1.2", "anthropic", "2024-03-01T00:00:00", Decimal("2.00")),
    ("anthropic.claude-instant-v1", "bedrock", "2024-03-01T00:00:00", Decimal("2.00")),
    # Claude 3 Sonnet at $3 / $15: 1M x $3 + 0.5M x $15 = 3.00 + 7.50 = 10.50, on each platform's id
    ("claude-3-sonnet-20240229", "anthropic", "2024-06-01T00:00:00", Decimal("10.50")),
    ("anthropic.claude-3-sonnet-20240229-v1:0", "bedrock", "2024-06-01T00:00:00", Decimal("10.50")),
    ("claude-3-sonnet@20240229", "vertex", "2024-06-01T00:00:00", Decimal("10.50")),
    # Claude Mythos Preview (2026, invitation-only) at $25 / $125: 1M x $25 + 0.5M x $125 = 25.00 + 62.50 = 87.50
    ("claude-mythos-preview", "anthropic", "2026-05-01T00:00:00", Decimal("87.50")),
])
def test_models_of_2023_and_2024_logs_are_priced_to_the_cent(model, platform, day, expected):
    ident = resolve(model)
    assert ident.platform in (None, platform)
    con = usage_con([dict(model=ident.model, model_raw=model, platform=platform, endpoint_scope=ident.endpoint_scope,
                          charge_period_start=day, input_tokens=1_000_000, output_tokens=500_000)])
    cost, reason = con.execute("SELECT cost, unpriced_reason FROM priced_usage").fetchone()
    assert (cost, reason) == (expected, None)


def test_cache_tokens_on_a_model_that_never_had_caching_stay_unpriced_never_zero():
    # Claude 2.1 has no cache rates (prompt caching came with Claude 3.5 Sonnet, 3 Opus and 3 Haiku): a row
    # reporting cache reads cannot be priced, so it is unpriced with its reason, never priced as if the reads
    # were free. The same row without cache tokens prices: 1M x $8 = 8.00.
    con = usage_con([
        dict(model="claude-2-1", charge_period_start="2024-03-01T00:00:00", input_tokens=1_000_000,
             cache_read_tokens=10_000),
        dict(model="claude-2-1", charge_period_start="2024-03-01T00:00:00", input_tokens=1_000_000,
             cache_read_tokens=0, cache_write_5m_tokens=0),
    ])
    rows = con.execute("SELECT cost, priced, unpriced_reason FROM priced_usage ORDER BY record_id").fetchall()
    assert rows[0][0] is None and rows[0][1] is False
    assert rows[0][2] == "cache tokens on a model without cache prices"
    assert rows[1] == (Decimal("8.00"), True, None)


def test_old_models_before_their_first_documented_price_stay_unpriced():
    # The $8 / $24 and $0.80 / $2.40 rates are in force from the pricing update of 2023-11-21; an earlier row
    # (Claude 2.0 in August 2023) is not priced at a later rate.
    con = usage_con([dict(model="claude-2-0", charge_period_start="2023-08-01T00:00:00", input_tokens=1_000)])
    assert con.execute("SELECT cost, unpriced_reason FROM priced_usage").fetchone() == (
        None, "no price for this model, platform and date")


def test_price_tables_copied_in_a_later_run_are_the_tables_built_in_the_first(tmp_path: Path, monkeypatch):
    """install() keeps the tables it made a second time in a process and copies them from then on: every table has
    the columns, types and rows of a fresh build, for the built-in prices and for each --prices file, kept by its
    name and text (an edited file is built again)."""
    import duckdb

    def tables(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[list, list]]:
        return {name: (con.execute(f"DESCRIBE {name}").fetchall(),
                       con.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall())
                for name in pricing.INSTALLED_TABLES}

    def installed(prices_file: Path | None) -> dict[str, tuple[list, list]]:
        con = duckdb.connect()
        pricing.install(con, prices_file)
        try:
            return tables(con)
        finally:
            con.close()

    monkeypatch.setattr(pricing, "_installed_before", set())
    monkeypatch.setattr(pricing, "_arrow_tables", {})
    header = "platform,model,variant,valid_from,input,cache_write_5m,cache_write_1h,cache_read,output\n"
    first, second, renamed = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    first.write_text(header + "*,claude-opus-4-6,standard,2026-06-01,4.00,5.00,8.00,0.40,20.00\n")
    second.write_text(header + "*,claude-opus-4-6,standard,2026-06-01,3.00,5.00,8.00,0.40,20.00\n")
    renamed.write_text(first.read_text())
    built = {p: installed(p) for p in (None, first, second, renamed)}  # each key once: built
    assert built[first]["prices"] != built[second]["prices"] != built[None]["prices"]
    for _ in range(2):  # built a second time (and kept), then copied
        for prices_file, expected in built.items():
            assert installed(prices_file) == expected
    assert set(pricing._arrow_tables) == {None, *((str(p), p.read_text()) for p in (first, second, renamed))}
    first.write_text(header + "*,claude-opus-4-6,standard,2026-06-01,5.00,5.00,8.00,0.40,20.00\n")  # edited
    assert installed(first)["prices"] not in (built[first]["prices"], built[second]["prices"])
