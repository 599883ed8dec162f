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
    lever = {f.id: STAGES[f.stage] for f in order}
    rank = {f.id: n for n, f in enumerate(order)}
    stacked = {f.id: ZERO for f in order}
    with localcontext() as ctx:
        ctx.prec = PRECISION
        # Records touched by one finding only: the stacked saving is the standalone one (capped by the cost).
        for finding_id, amount in con.execute("""
            WITH n AS (SELECT record_id FROM finding_savings GROUP BY 1 HAVING count(*) = 1)
            SELECT s.finding_id, sum(least(s.savings, coalesce(u.cost, 0)))
            FROM finding_savings s JOIN n USING (record_id) JOIN priced_usage u USING (record_id)
            WHERE u.in_findings
            GROUP BY 1""").fetchall():
            if finding_id in stacked:
                stacked[finding_id] += Decimal(amount)
        # Records touched by several findings: replay the changes in order.
        cursor = con.execute("""
            WITH n AS (SELECT record_id FROM finding_savings GROUP BY 1 HAVING count(*) > 1)
            SELECT u.cost, u.input_cost + u.cache_write_cost + u.cache_read_cost AS input_side,
                u.output_cost, u.thinking_tokens, u.output_tokens,
                list(struct_pack(id := s.finding_id, savings := s.savings)) AS changes
            FROM finding_savings s JOIN n USING (record_id) JOIN priced_usage u USING (record_id)
            WHERE u.in_findings AND u.priced
            GROUP BY u.record_id, u.cost, input_side, u.output_cost, u.thinking_tokens, u.output_tokens""")
        while batch := cursor.fetchmany(10_000):
            for cost, input_side, output_cost, thinking_tokens, output_tokens, changes in batch:
                ordered = sorted((c for c in changes if c["id"] in rank), key=lambda c: rank[c["id"]])
                _replay(cost, input_side, output_cost, thinking_tokens, output_tokens, ordered, lever, stacked)
    return {k: v.quantize(PLACES) for k, v in stacked.items()}


def _replay(cost: Decimal, input_side: Decimal, output_cost: Decimal, thinking_tokens: int | None,
            output_tokens: int | None, changes: list[dict], lever: dict[str, str],
            stacked: dict[str, Decimal]) -> None:
    thinking = output_cost * thinking_tokens / output_tokens if thinking_tokens and output_tokens else ZERO
    parts = {"input": input_side, "thinking": thinking, "rest": cost - input_side - thinking}
    original = dict(parts)
    before = cost
    for change in changes:
        saving = change["savings"]
        kind = lever[change["id"]]
        if kind == "replace":  # the request now costs what the new model charges for it
            target = cost - saving
            if before > 0 and target < before:
                scale = max(target, ZERO) / before
                parts = {k: v * scale for k, v in parts.items()}
        elif kind == "request":
            keep = ONE - _share(saving, cost)
            parts = {k: v * keep for k, v in parts.items()}
        elif kind in ("input", "thinking"):
            parts[kind] *= ONE - _share(saving, original[kind])
        after = parts["input"] + parts["thinking"] + parts["rest"]
        stacked[change["id"]] += before - after
        before = after
