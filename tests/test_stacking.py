"""Stacked savings: one fixed order per request, never more than the spend or the standalone sum."""

from __future__ import annotations

from decimal import Decimal, localcontext

import pyarrow as pa
from finops.analysis import Finding
from helpers import usage_con
from hypothesis import given
from hypothesis import strategies as st

from finops import analysis, stacking


def finding(id: str, stage: str, savings: Decimal = Decimal(0)) -> Finding:
    return Finding(id=id, title=id, severity="low", confidence="measured", recommendation="r", method="m",
                   params={}, affected_requests=0, affected_cost=Decimal(0), savings=savings,
                   evidence_columns=[], evidence=[], evidence_total_rows=0, stage=stage)


def with_savings(con, rows: list[tuple[str, str, Decimal]]) -> None:
    analysis.prepare(con)
    if rows:
        con.executemany("INSERT INTO finding_savings VALUES (?, ?, ?)", rows)


def test_migration_then_batch_by_hand():
    # Opus 4.1: 1M in x 15 + 0.2M read x 1.5 + 0.1M out x 75 = 22.80. Migration to Opus 4.6 leaves 7.60
    # (saves 15.20); batch halves what is left: saves 3.80, not the 11.40 it saves on its own.
    con = usage_con([dict(model="claude-opus-4-1", charge_period_start="2026-07-01T00:00:00",
                          input_tokens=1_000_000, cache_read_tokens=200_000, output_tokens=100_000)])
    with_savings(con, [("legacy_model", "r1", Decimal("15.20")), ("batch_candidates", "r1", Decimal("11.40"))])
    got = stacking.stack(con, [finding("batch_candidates", "batch"), finding("legacy_model", "migrate")])
    assert got == {"legacy_model": Decimal("15.20"), "batch_candidates": Decimal("3.80")}


def test_caching_acts_on_the_input_side_only_after_batch():
    # Sonnet 4.6: 1M in x 3 = 3.00 input side, 0.1M out x 15 = 1.50. Batch saves 2.25 (half of 4.50);
    # caching saving 1.80 of the 3.00 input side standalone then saves 60% of the 1.50 input left: 0.90.
    con = usage_con([dict(model="claude-sonnet-4-6", charge_period_start="2026-07-01T00:00:00",
                          input_tokens=1_000_000, output_tokens=100_000)])
    with_savings(con, [("batch_candidates", "r1", Decimal("2.25")), ("cache_missed", "r1", Decimal("1.80"))])
    got = stacking.stack(con, [finding("cache_missed", "cache"), finding("batch_candidates", "batch")])
    assert got == {"batch_candidates": Decimal("2.25"), "cache_missed": Decimal("0.90")}


def test_two_thinking_findings_never_save_more_than_the_thinking():
    # Opus 4.6: 10K output of which 9K thinking, x 25 = 0.25 output, thinking part 0.225.
    # Cap saves 5K x 25 = 0.125; short answers would save all 0.225 alone. Stacked: 0.125 + what is left, 0.10.
    con = usage_con([dict(model="claude-opus-4-6", charge_period_start="2026-07-01T00:00:00",
                          output_tokens=10_000, thinking_tokens=9_000)])
    with_savings(con, [("thinking_over_budget", "r1", Decimal("0.125")),
                       ("thinking_short_answers", "r1", Decimal("0.225"))])
    got = stacking.stack(con, [finding("thinking_over_budget", "thinking"),
                               finding("thinking_short_answers", "thinking")])
    assert got["thinking_over_budget"] == Decimal("0.125")
    assert got["thinking_over_budget"] + got["thinking_short_answers"] == Decimal("0.225")


def test_findings_that_remove_a_whole_request_report_exactly_its_cost():
    # Found by the property test below. One Opus 4.1 request: legacy model saving 17% of its cost, batch 88%,
    # thinking cap 53% of its thinking part, then the premium finding 100% of the cost: the last removes all that
    # is left, so the stacked figures add up to the request's cost exactly. Each rounded to 12 places on its own,
    # they added up to 1E-12 more than it (more saved than spent).
    con = usage_con([dict(model="claude-opus-4-1", charge_period_start="2026-07-01T00:00:00", input_tokens=467,
                          cache_read_tokens=22, output_tokens=200_000, thinking_tokens=120_000)])
    cost, output_cost = con.execute("SELECT cost, output_cost FROM priced_usage").fetchone()
    thinking = (output_cost * 120_000 / 200_000).quantize(Decimal("0.000001"))
    six = Decimal("0.000001")
    with_savings(con, [("legacy_model", "r1", (cost * 17 / 100).quantize(six)),
                       ("batch_candidates", "r1", (cost * 88 / 100).quantize(six)),
                       ("thinking_over_budget", "r1", (thinking * 53 / 100).quantize(six)),
                       ("us_only_premium", "r1", cost)])
    stacked = stacking.stack(con, [finding(fid, stage) for fid, stage in STAGES])
    assert sum(stacked.values()) == cost == Decimal("15.007038")  # 467 x 15 + 22 x 1.5 + 200K x 75, per MTok
    assert con.execute("SELECT sum(savings) FROM stacked_savings").fetchone()[0] == cost  # the months' too


records = st.lists(
    st.tuples(st.integers(0, 2_000_000), st.integers(0, 500_000), st.integers(0, 200_000), st.integers(0, 100),
              st.sampled_from(["claude-opus-4-1", "claude-sonnet-4-6", "claude-haiku-4-5"])),
    min_size=1, max_size=6)
STAGES = [("legacy_model", "migrate"), ("model_routing", "route"), ("batch_candidates", "batch"),
          ("cache_missed", "cache"), ("thinking_over_budget", "thinking"), ("us_only_premium", "premium")]


@given(records, st.data())
def test_stacked_never_exceeds_spend_nor_standalone_sum(rows, data):
    con = usage_con([dict(model=m, charge_period_start="2026-07-01T00:00:00", input_tokens=i, cache_read_tokens=r,
                          output_tokens=o, thinking_tokens=o * pct // 100) for i, r, o, pct, m in rows])
    parts = con.execute("""SELECT record_id, cost, input_cost + cache_read_cost,
        CASE WHEN output_tokens > 0 THEN output_cost * thinking_tokens / output_tokens ELSE 0 END
        FROM priced_usage ORDER BY record_id""").fetchall()
    savings = []
    for record_id, cost, input_side, thinking in parts:
        for fid, stage in STAGES:
            if not data.draw(st.booleans()):
                continue
            whole = {"cache": input_side, "thinking": Decimal(thinking).quantize(Decimal("0.000001"))}.get(stage, cost)
            share = data.draw(st.integers(0, 100))
            savings.append((fid, record_id, (Decimal(whole) * share / 100).quantize(Decimal("0.000001"))))
    with_savings(con, savings)
    stacked = stacking.stack(con, [finding(fid, stage) for fid, stage in STAGES])
    spend = sum(Decimal(p[1]) for p in parts)
    standalone = {fid: sum((s for f, _, s in savings if f == fid), Decimal(0)) for fid, _ in STAGES}
    assert sum(stacked.values()) <= spend
    assert sum(stacked.values()) <= sum(standalone.values())
    for fid, _ in STAGES:
        assert Decimal(0) <= stacked[fid] <= standalone[fid] + Decimal("1e-9")


amounts = st.decimals(min_value=0, max_value=1000, places=12, allow_nan=False, allow_infinity=False)
multi_change_records = st.lists(st.tuples(
    amounts, st.integers(0, 100), st.integers(0, 100), st.integers(0, 10_000), st.integers(0, 10_000),
    st.lists(st.tuples(st.integers(0, len(STAGES) - 1), st.integers(0, 100)), min_size=2, max_size=4),
    st.sampled_from(["2026-07", "2026-08", None]), st.sampled_from(["anthropic", "bedrock"])), min_size=1, max_size=12)


def _record(cost, input_pct, output_pct, thinking, output, changes, month, platform):
    """A row of stacking.MULTI_CHANGE_SQL: cost parts as text, changes as 'rank:saving;...'."""
    text = ";".join(f"{rank}:{(cost * pct / 100).quantize(stacking.PLACES)}" for rank, pct in changes)
    return (str(cost), str((cost * input_pct / 100).quantize(stacking.PLACES)),
            str((cost * output_pct / 100).quantize(stacking.PLACES)), min(thinking, output), output, text, month,
            platform)


@given(multi_change_records, st.randoms(use_true_random=False))
def test_partial_sums_in_any_split_and_order_give_the_local_replay(rows, rnd):
    """What Spark's executors send back (stacking.partial_sums per partition, added up by add_partial_sums) is
    the same whatever the records' split into partitions and their order, and is the local replay's figure."""
    kinds = [analysis.STAGES[stage] for _, stage in STAGES]
    records = [_record(*row) for row in rows]

    def local() -> tuple[list[Decimal], dict]:
        stacked, by_month = [Decimal(0)] * len(kinds), {}
        with localcontext() as ctx:
            ctx.prec = stacking.PRECISION
            stacking._replay(records, kinds, stacked, by_month)
        return stacked, by_month

    def split() -> tuple[list[Decimal], dict]:
        shuffled = rnd.sample(records, len(records))
        cuts = sorted(rnd.sample(range(1, len(records)), rnd.randint(0, len(records) - 1))) if len(records) > 1 else []
        parts = [shuffled[a:b] for a, b in zip([0, *cuts], [*cuts, len(records)], strict=True)]
        schema = pa.schema([(f"c{i}", t) for i, t in enumerate(
            [pa.string()] * 3 + [pa.int64()] * 2 + [pa.string()] * 3)])
        sums = [row for part in parts for batch in stacking.partial_sums(
            [pa.RecordBatch.from_pylist([dict(zip(schema.names, r, strict=True)) for r in part], schema=schema)],
            kinds) for row in batch.to_pylist()]
        stacked, by_month = [Decimal(0)] * len(kinds), {}
        with localcontext() as ctx:
            ctx.prec = stacking.PRECISION
            stacking.add_partial_sums(sums, stacked, by_month)
        return stacked, by_month

    (first, first_months), (second, second_months) = split(), split()
    assert first == second and first_months == second_months  # to the last digit, in any split and order
    here, here_months = local()
    assert [v.quantize(stacking.PLACES) for v in first] == [v.quantize(stacking.PLACES) for v in here]
    assert {k: v.quantize(stacking.PLACES) for k, v in first_months.items()} == {
        k: v.quantize(stacking.PLACES) for k, v in here_months.items()}
