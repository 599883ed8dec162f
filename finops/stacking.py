"""Stacked savings: apply every finding's change to each request in one fixed order, each on top of the last.

Order (by stage): migrate legacy model -> route to a cheaper model -> batch -> cache -> cap thinking -> drop
premiums. A request's cost is split into an input side (uncached input, cache writes, cache reads), its thinking
tokens and the rest. A model change sets the request's cost to the new model's (scaling every part); batch and
premiums scale the whole request; caching scales the input side; a thinking cap scales the thinking part. Each
change's stacked saving is what it removes from what is left, so the total never exceeds the spend it comes
from, nor the sum of the findings' standalone savings.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

import duckdb

from .analysis import STAGES, Finding, stage_rank

ZERO = Decimal(0)
ONE = Decimal(1)
PLACES = Decimal("0.000000000001")
# Shares (a saving over what it acts on) are divisions; 50 significant digits keep every stacked figure exact
# to the 12 decimal places it is reported with, without floats and far faster than rationals.
PRECISION = 50


def _share(part: Decimal, whole: Decimal) -> Decimal:
    """part / whole, kept between 0 and 1."""
    if whole <= 0:
        return ZERO
    return min(max(part / whole, ZERO), ONE)


def stack(con: duckdb.DuckDBPyConnection, findings: list[Finding]) -> dict[str, Decimal]:
    """Stacked savings per finding id (findings with savings only)."""
    order = sorted(findings, key=lambda f: (stage_rank(f.stage), f.id))
    kinds = [STAGES[f.stage] for f in order]
    stacked = [ZERO] * len(order)
    by_month: dict[tuple[str, str], Decimal] = {}
    con.execute("CREATE OR REPLACE TEMP TABLE stack_order AS "
                "SELECT unnest(?::VARCHAR[]) AS finding_id, unnest(?::INTEGER[]) AS rank",
                [[f.id for f in order], list(range(len(order)))])
    # Each record's changes, gathered once from the narrow savings table. Amounts travel as text (DECIMAL's exact
    # decimal form): converting DuckDB decimals to Python objects costs several times more than Decimal(text).
    con.execute("""
        CREATE OR REPLACE TEMP TABLE stack_records AS
        SELECT record_id, count(*) AS changes, min(o.rank) AS first_rank, sum(s.savings) AS savings,
            string_agg(o.rank || ':' || s.savings, ';') AS changes_text
        FROM finding_savings s JOIN stack_order o USING (finding_id)
        GROUP BY record_id""")
    with localcontext() as ctx:
        ctx.prec = PRECISION
        # Records touched by one finding only: the stacked saving is the standalone one (capped by the cost).
        for rank, month, platform, amount in con.execute("""
            SELECT r.first_rank, strftime(u.charge_period_start, '%Y-%m'), u.platform,
                sum(least(r.savings, coalesce(u.cost, 0)))
            FROM stack_records r JOIN priced_usage u USING (record_id)
            WHERE r.changes = 1 AND u.in_findings
            GROUP BY ALL""").fetchall():
            stacked[rank] += Decimal(amount)
            by_month[(month, platform)] = by_month.get((month, platform), ZERO) + Decimal(amount)
        # Records touched by several findings: replay the changes in order.
        cursor = con.execute("""
            SELECT u.cost::VARCHAR, (u.input_cost + u.cache_write_cost + u.cache_read_cost)::VARCHAR,
                u.output_cost::VARCHAR, u.thinking_tokens, u.output_tokens, r.changes_text,
                strftime(u.charge_period_start, '%Y-%m'), u.platform
            FROM stack_records r JOIN priced_usage u USING (record_id)
            WHERE r.changes > 1 AND u.in_findings AND u.priced
            ORDER BY r.record_id""")  # Decimal sums at 50 digits: the same order gives the same last digit
        while batch := cursor.fetchmany(50_000):
            _replay(batch, kinds, stacked, by_month)
    con.execute("DROP TABLE stack_order")
    con.execute("DROP TABLE stack_records")
    con.execute("CREATE OR REPLACE TEMP TABLE stacked_savings "
                "(month VARCHAR, platform VARCHAR, savings DECIMAL(38, 12))")
    if by_month:
        con.executemany("INSERT INTO stacked_savings VALUES (?, ?, ?)",
                        [(m, p, v.quantize(PLACES)) for (m, p), v in sorted(by_month.items(), key=lambda kv: (
                            str(kv[0][0]), str(kv[0][1])))])
    return {f.id: v.quantize(PLACES) for f, v in zip(order, stacked, strict=True)}


def _replay(batch: list[tuple], kinds: list[str], stacked: list[Decimal],
            by_month: dict[tuple[str, str], Decimal]) -> None:
    """Replay each record's changes on its cost parts (input side, thinking, the rest); add what each removes,
    per finding and per month and platform of the record."""
    for cost_text, input_text, output_text, thinking_tokens, output_tokens, changes_text, month, platform in batch:
        cost, input_side, output_cost = Decimal(cost_text), Decimal(input_text), Decimal(output_text)
        changes = sorted((int(rank), Decimal(saving)) for rank, saving in
                         (change.split(":") for change in changes_text.split(";")))
        thinking = output_cost * thinking_tokens / output_tokens if thinking_tokens and output_tokens else ZERO
        part_input, part_thinking, part_rest = input_side, thinking, cost - input_side - thinking
        before = cost
        for rank, saving in changes:
            kind = kinds[rank]
            if kind == "replace":  # the request now costs what the new model charges for it
                target = cost - saving
                if before > 0 and target < before:
                    scale = max(target, ZERO) / before
                    part_input, part_thinking, part_rest = part_input * scale, part_thinking * scale, part_rest * scale
            elif kind == "request":
                keep = ONE - _share(saving, cost)
                part_input, part_thinking, part_rest = part_input * keep, part_thinking * keep, part_rest * keep
            elif kind == "input":
                part_input *= ONE - _share(saving, input_side)
            elif kind == "thinking":
                part_thinking *= ONE - _share(saving, thinking)
            after = part_input + part_thinking + part_rest
            stacked[rank] += before - after
            before = after
        by_month[(month, platform)] = by_month.get((month, platform), ZERO) + cost - before
