"""Stacked savings: apply every finding's change to each request in one fixed order, each on top of the last.

Order (by stage): migrate legacy model -> route to a cheaper model -> batch -> cache -> cap thinking -> drop
premiums. A request's cost is split into an input side (uncached input, cache writes, cache reads), its thinking
tokens and the rest. A model change sets the request's cost to the new model's (scaling every part); batch and
premiums scale the whole request; caching scales the input side; a thinking cap scales the thinking part. Each
change's stacked saving is what it removes from what is left, so the total never exceeds the spend it comes
from, nor the sum of the findings' standalone savings.

The SQL runs where the per-record savings are (DuckDB's connection, or finops/spark_queries.SparkQueries in a Spark
run); the replay of records with several changes runs here, or on Spark's executors (finops/spark_pipeline.py).
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterable, Iterator
from decimal import ROUND_FLOOR, Decimal, localcontext
from typing import Any

import duckdb

from .analysis import STAGES, Finding, stage_rank

ZERO = Decimal(0)
ONE = Decimal(1)
# Stacked figures are reported to 12 decimal places (PLACES), apportioned so that they add up to their exact total
# rounded (_apportioned): each rounded to the nearest on its own, the findings' figures could add up to more than the
# spend they come from (four findings acting on one request, the last removing all that was left: 1E-12 above it).
PLACES = Decimal("0.000000000001")
# Shares (a saving over what it acts on) are divisions; 50 significant digits keep every stacked figure exact
# to the 12 decimal places it is reported with, without floats and far faster than rationals.
PRECISION = 50

# Each record's changes, gathered once from the narrow savings table. Amounts travel as text (DECIMAL's exact
# decimal form): converting DuckDB decimals to Python objects costs several times more than Decimal(text).
RECORDS_SQL = """
    CREATE OR REPLACE TEMP TABLE stack_records AS
    SELECT record_id, count(*) AS changes, min(o.rank) AS first_rank, sum(s.savings) AS savings,
        string_agg(o.rank || ':' || s.savings, ';') AS changes_text
    FROM finding_savings s JOIN stack_order o USING (finding_id)
    GROUP BY record_id"""
# Records touched by one finding only: the stacked saving is the standalone one (capped by the cost).
SINGLE_CHANGE_SQL = """
    SELECT r.first_rank, strftime(u.charge_period_start, '%Y-%m'), u.platform,
        sum(least(r.savings, coalesce(u.cost, 0)))
    FROM stack_records r JOIN priced_usage u USING (record_id)
    WHERE r.changes = 1 AND u.in_findings
    GROUP BY ALL"""
# Records touched by several findings: their cost parts and changes, replayed in Python (_replay). In record order:
# Decimal sums at 50 digits, the same order gives the same last digit.
MULTI_CHANGE_SQL = """
    SELECT u.cost::VARCHAR, (u.input_cost + u.cache_write_cost + u.cache_read_cost)::VARCHAR,
        u.output_cost::VARCHAR, u.thinking_tokens, u.output_tokens, r.changes_text,
        strftime(u.charge_period_start, '%Y-%m'), u.platform
    FROM stack_records r JOIN priced_usage u USING (record_id)
    WHERE r.changes > 1 AND u.in_findings AND u.priced
    ORDER BY r.record_id"""

# Sums of partial sums (Spark's partitions, summed on the driver) that never round: whatever the order the parts
# come in, the total is the same to the last digit; a sum that would round is an error, never a different figure.
EXACT = decimal.Context(prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN,
                        traps=[decimal.InvalidOperation, decimal.Overflow, decimal.Inexact, decimal.Rounded])
# One partition's replayed sums (partial_sums): a finding's by its rank (month and platform null), a month and
# platform's with rank null. Amounts as text: Decimal's exact form, never a float.
PARTIAL = (("rank", "int"), ("month", "string"), ("platform", "string"), ("amount", "string"))
PARTIAL_COLUMNS = ", ".join(f"{name} {kind}" for name, kind in PARTIAL)  # as Spark's mapInArrow takes a schema

Sums = dict[tuple[str, str], Decimal]
# How the multi-change records are replayed: (con, MULTI_CHANGE_SQL, kinds by rank, stacked by rank, by month and
# platform), adding to the last two.
Replay = Callable[[Any, str, list[str], list[Decimal], Sums], None]


def _share(part: Decimal, whole: Decimal) -> Decimal:
    """part / whole, kept between 0 and 1."""
    if whole <= 0:
        return ZERO
    return min(max(part / whole, ZERO), ONE)


def replay_here(con: Any, sql: str, kinds: list[str], stacked: list[Decimal], by_month: Sums) -> None:
    """The multi-change records replayed in this process, in the query's order."""
    cursor = con.execute(sql)
    while batch := cursor.fetchmany(50_000):
        _replay(batch, kinds, stacked, by_month)


def stack(con: duckdb.DuckDBPyConnection, findings: list[Finding], replay: Replay = replay_here) -> dict[str, Decimal]:
    """Stacked savings per finding id (findings with savings only). replay: where the records touched by several
    findings are replayed (replay_here; spark_pipeline.replay_on_executors in a Spark run)."""
    order = sorted(findings, key=lambda f: (stage_rank(f.stage), f.id))
    kinds = [STAGES[f.stage] for f in order]
    stacked = [ZERO] * len(order)
    by_month: Sums = {}
    con.execute("CREATE OR REPLACE TEMP TABLE stack_order AS "
                "SELECT unnest(?::VARCHAR[]) AS finding_id, unnest(?::INTEGER[]) AS rank",
                [[f.id for f in order], list(range(len(order)))])
    con.execute(RECORDS_SQL)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        for rank, month, platform, amount in con.execute(SINGLE_CHANGE_SQL).fetchall():
            stacked[rank] += Decimal(amount)
            by_month[(month, platform)] = by_month.get((month, platform), ZERO) + Decimal(amount)
        replay(con, MULTI_CHANGE_SQL, kinds, stacked, by_month)
    con.execute("DROP TABLE stack_order")
    con.execute("DROP TABLE stack_records")
    con.execute("CREATE OR REPLACE TEMP TABLE stacked_savings "
                "(month VARCHAR, platform VARCHAR, savings DECIMAL(38, 12))")
    if by_month:
        months = sorted(by_month, key=lambda key: (str(key[0]), str(key[1])))
        amounts = _apportioned([by_month[key] for key in months])
        con.executemany("INSERT INTO stacked_savings VALUES (?, ?, ?)",
                        [(m, p, v) for (m, p), v in zip(months, amounts, strict=True)])
    return {f.id: v for f, v in zip(order, _apportioned(stacked), strict=True)}


def _apportioned(amounts: list[Decimal]) -> list[Decimal]:
    """The amounts to PLACES, adding up to their exact sum rounded to PLACES (the largest remainder method): each
    within one unit of the last place of its exact value, rounded down or up, the largest remainders up (ties: the
    first). A sum that never exceeds the spend therefore still does not once rounded: the spend is to PLACES too."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        floors = [amount.quantize(PLACES, rounding=ROUND_FLOOR) for amount in amounts]
        units = int((sum(amounts, ZERO).quantize(PLACES) - sum(floors, ZERO)) / PLACES)
        for i in sorted(range(len(amounts)), key=lambda i: (floors[i] - amounts[i], i))[:units]:
            floors[i] += PLACES
    return floors


def _replay(batch: Iterable[tuple], kinds: list[str], stacked: list[Decimal], by_month: Sums) -> None:
    """Replay each record's changes; add what each removes, per finding and per month and platform of the record
    (in the current decimal context: a local run's 50 digits, in record order)."""
    for record in batch:
        removed, month, platform, total = _replay_record(record, kinds)
        for rank, amount in removed:
            stacked[rank] += amount
        by_month[(month, platform)] = by_month.get((month, platform), ZERO) + total


def _replay_record(record: tuple, kinds: list[str]) -> tuple[list[tuple[int, Decimal]], str, str, Decimal]:
    """One record's changes replayed in order on its cost parts (input side, thinking, the rest): what each change
    removes (rank, amount), the record's month and platform, and all they remove together."""
    cost_text, input_text, output_text, thinking_tokens, output_tokens, changes_text, month, platform = record
    cost, input_side, output_cost = Decimal(cost_text), Decimal(input_text), Decimal(output_text)
    changes = sorted((int(rank), Decimal(saving)) for rank, saving in
                     (change.split(":") for change in changes_text.split(";")))
    thinking = output_cost * thinking_tokens / output_tokens if thinking_tokens and output_tokens else ZERO
    part_input, part_thinking, part_rest = input_side, thinking, cost - input_side - thinking
    before = cost
    removed = []
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
        removed.append((rank, before - after))
        before = after
    return removed, month, platform, cost - before


def partial_sums(batches: Iterable[Any], kinds: list[str]) -> Iterator[Any]:
    """mapInArrow's function (finops/spark_pipeline.py): the multi-change records of one partition (the columns of
    MULTI_CHANGE_SQL), each replayed as a local run replays it (_replay_record, 50 digits), what they remove summed
    exactly (EXACT): one Arrow batch of PARTIAL_COLUMNS. (pyarrow imported here: a local run has no use for it.)"""
    import pyarrow as pa

    by_rank: dict[int, Decimal] = {}
    by_month: Sums = {}
    with localcontext() as ctx:
        ctx.prec = PRECISION
        for batch in batches:
            for record in zip(*(column.to_pylist() for column in batch.columns), strict=True):
                removed, month, platform, total = _replay_record(record, kinds)
                for rank, amount in removed:
                    by_rank[rank] = EXACT.add(by_rank.get(rank, ZERO), amount)
                by_month[(month, platform)] = EXACT.add(by_month.get((month, platform), ZERO), total)
    rows = [{"rank": rank, "month": None, "platform": None, "amount": str(amount)} for rank, amount in by_rank.items()]
    rows += [{"rank": None, "month": month, "platform": platform, "amount": str(amount)}
             for (month, platform), amount in by_month.items()]
    arrow_types = {"int": pa.int32(), "string": pa.string()}
    schema = pa.schema([(name, arrow_types[kind]) for name, kind in PARTIAL])
    yield pa.RecordBatch.from_pylist(rows, schema=schema)


def add_partial_sums(rows: Iterable[dict[str, Any]], stacked: list[Decimal], by_month: Sums) -> None:
    """The partitions' partial_sums rows added up exactly, then each total added to stacked and by_month (in the
    current decimal context, as one record's amount is in a local run)."""
    by_rank: dict[int, Decimal] = {}
    months: Sums = {}
    for row in rows:
        amount = Decimal(row["amount"])
        if row["rank"] is None:
            key = (row["month"], row["platform"])
            months[key] = EXACT.add(months.get(key, ZERO), amount)
        else:
            by_rank[row["rank"]] = EXACT.add(by_rank.get(row["rank"], ZERO), amount)
    for rank, amount in sorted(by_rank.items()):
        stacked[rank] += amount
    for key, amount in sorted(months.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1]))):
        by_month[key] = by_month.get(key, ZERO) + amount
