"""The AWS FOCUS export's Claude usage lines read in bulk, as ingest/bulk_cur.py reads the CUR's.

The same machinery (cloud_common.Table: the regular candidate lines of a CSV block, or the text columns of a
Parquet batch, as polars columns), the FOCUS columns aws_focus.focus_line reads, and each line turned into the row
bedrock_cur.records makes of it, by the same helpers; what a line repeats (service, publisher, usage type,
description, category, currency, account, region, resource, tags, units) is worked out once per distinct set.

A FOCUS line has no line item id: its record id is made from the line's values (bedrock_cur.records), here from the
same values in the same order. A line is handed back to the reference reader (FALLBACK) whenever it is not a plain
usage line (anything rejected, a charge category other than Usage, a usage type without a token class). Tags are
kept as json.dumps writes them (ASCII: an escaped lone surrogate in them stays an escape, as in the reference).

The plain usage lines of a batch are read as columns (focus_rows, with bulk_columns.py's machinery), the others by
FocusBulk._line.
"""

from __future__ import annotations

import json
from typing import Any

from . import aws_focus, bedrock_cur
from .bulk_cur import FALLBACK, IGNORED, CurBulk, _rate, _stamp, done, tokens_of, unit_of, usage_static
from .cloud_common import MAX_BUCKET_TOKENS, json_value, quantity
from .common import ID_SEPARATOR, RowError, id_of_joined, id_parts, money

SLOTS = aws_focus.COLUMNS  # the columns focus_line reads, slot by slot
_STATIC = 12  # the first 12 slots are the repeated values
_ID_PREFIX = f"{aws_focus.FORMAT}\x1f"


class FocusBulk(CurBulk):
    """Bulk reading of an AWS FOCUS export's lines under one header."""

    SLOTS = SLOTS
    TAG_COLUMNS = False
    JSON_COLUMNS = ()  # Tags is JSON text, parsed once per distinct value here

    def _columnar(self, picked: Any) -> Any:
        return focus_rows(self, picked)

    def _line(self, *values: Any) -> Any:  # the slots' values in SLOTS' order (then CurBulk's empty tags)
        static = self.static_of(values[:_STATIC], _static)
        if static is IGNORED or static is FALLBACK:
            return static
        start, end, consumed, pricing, cost, rate = values[_STATIC:_STATIC + 6]
        base, units, unit_names, (head, tags) = static
        try:
            consumed = quantity(consumed, "ConsumedQuantity")
            pricing = quantity(pricing, "PricingQuantity")
            # aws_focus.focus_line: the consumed quantity, unless it is absent or in mere units and the priced one
            # is given
            priced = consumed is None or (pricing is not None and units[2])
            amount = pricing if priced else consumed
            start, start_text, day = _stamp(start, "ChargePeriodStart")
            end, end_text, _ = _stamp(end, "ChargePeriodEnd") if end not in (None, "") else (None, "", None)
            cost = money(cost, "BilledCost")
            rate = _rate(rate) if priced or unit_names[0] == unit_names[1] else None
            if amount is None:
                return FALLBACK  # rejected: no usage amount
            multiplier, how = units[1] if priced else units[0]
            found = tokens_of(base, multiplier, how, amount, cost, rate, day)
        except RowError:
            return FALLBACK
        if found is FALLBACK:
            return FALLBACK
        # stable_id(FORMAT, start, end, usage type, account, resource, line type, description, product, amount,
        # cost, tags as JSON), joined here with what the file repeats joined once
        cost_text = "" if cost is None else cost
        record_id = id_of_joined(f"{_ID_PREFIX}{start_text}\x1f{end_text}\x1f{head}{amount}\x1f{cost_text}\x1f{tags}")
        return done(base, found, record_id, start, end, cost)


def _static(service: Any, publisher: Any, usage_type: Any, description: Any, currency: Any, category: Any,
            consumed_unit: Any, pricing_unit: Any, account: Any, region: Any, resource: Any, tags: Any) -> Any:
    """focus_line and records for the values a line repeats: IGNORED, FALLBACK, or what the line's own values are
    read with (the usage row's _Static, the multipliers by unit, the units, the record id's repeated parts)."""
    usage_type = usage_type or ""
    if not (bedrock_cur.is_claude(service, usage_type, description)
            or (isinstance(publisher, str) and publisher.strip().lower() == "anthropic")):
        return IGNORED
    if currency is not None and str(currency).strip().upper() != "USD":
        return FALLBACK  # rejected
    if aws_focus.CATEGORIES.get(str(category or "Usage").strip().lower(), "adjustment") != "usage":
        return FALLBACK  # a bill line (credit, tax, adjustment)
    parsed = json_value(tags)
    found = parsed if isinstance(parsed, dict) else {}
    product = service if isinstance(service, str) else None
    described = description if isinstance(description, str) else None
    base = usage_static(product, str(usage_type), None, account, region, resource, found, aws_focus.GROUPING)
    if base is FALLBACK:
        return FALLBACK
    # the multiplier by the consumed unit, by the priced unit; whether the consumed unit is mere units
    units = (unit_of(consumed_unit, base.usage), unit_of(pricing_unit, base.usage),
             str(consumed_unit or "").lower() in ("units", "unit", ""))
    # the record id's parts from these values: those between the period and the amount, and the tags
    head = id_parts(str(usage_type), account, resource, "usage", described, product) + ID_SEPARATOR
    return base, units, (consumed_unit, pricing_unit), (head, json.dumps(found, sort_keys=True, default=str))


# The usage amount's text as str(Decimal) writes it in the record id: plain digits but for a value below 10**-6
# (a zero with more than 6 decimals too), which Decimal writes with an exponent ("1E-7"): those go to _line.
_EXPONENT = r"^0+\.0{6}[0-9]"


def _amount_text(amount: Any) -> Any:
    """str(quantity(amount)) of a plain amount not matching _EXPONENT: the whole part without leading zeros."""
    import polars as pl

    parts = pl.col(amount).str.splitn(".", 2)
    whole = parts.struct.field("field_0").str.strip_chars_start("0")
    whole = pl.when(whole == "").then(pl.lit("0")).otherwise(whole)
    fraction = parts.struct.field("field_1")
    return pl.when(fraction.is_null()).then(whole).otherwise(pl.concat_str(whole, pl.lit("."), fraction))


def focus_rows(bulk: FocusBulk, picked: Any) -> Any:
    """The usage rows (as bulk_columns.cur_rows gives them) of the plain usage lines of `picked` (FocusBulk.lines'
    slot columns): what _line makes of each, column by column; None when there is none."""
    import polars as pl

    from . import bulk_columns as bc

    if picked.height == 0:
        return None
    keys = list(SLOTS)[:_STATIC]
    frame = picked.with_row_index("_pos")
    groups, found = bc.groups_of(bulk, frame, keys, _static)
    found = [f if isinstance(f, tuple) else None for f in found]  # else IGNORED or FALLBACK
    if not any(found):
        return None
    bases = [None if f is None else f[0] for f in found]
    rows = [None if b is None else b.row for b in bases]

    def per_group(name: str, value: Any, dtype: Any) -> Any:  # value(what _static gave) for each group
        return pl.Series(name, [None if f is None else value(*f) for f in found], dtype=dtype)

    consumed, priced = (bc.multipliers([None if f is None else f[1][k] for f in found]) for k in (0, 1))
    group_frame = groups.with_columns(
        *bc.group_columns(rows, [b and b.token_column for b in bases]),
        *[c.alias(f"_consumed{c.name}") for c in consumed], *[c.alias(f"_priced{c.name}") for c in priced],
        per_group("_mere", lambda _, units, names, ids: units[2], pl.Boolean),  # the consumed unit is mere units
        per_group("_same_units", lambda _, units, names, ids: names[0] == names[1], pl.Boolean),
        per_group("_head", lambda _, units, names, ids: ids[0], pl.String),
        per_group("_tags", lambda _, units, names, ids: ids[1], pl.String))
    # focus_line: the consumed quantity, unless it is absent or in mere units and the priced one is given; the
    # contracted price is the rate when the amount is the priced one or both units are the same
    is_priced = pl.col("consumed").is_null() | (pl.col("pricing").is_not_null() & pl.col("_mere"))
    rated = is_priced | pl.col("_same_units")
    lazy = frame.lazy().join(group_frame.lazy(), on=keys, how="left", nulls_equal=True).filter(
        pl.col("_static") & bc.plain("consumed", bc.AMOUNT) & bc.plain("pricing", bc.AMOUNT) & bc.plain("cost", bc.COST)
        & (~rated | bc.plain("rate", bc.RATE))
    ).with_columns(
        pl.when(is_priced).then("pricing").otherwise("consumed").alias("amount"),
        pl.when(rated).then("rate").alias("rate"),
        pl.when(is_priced).then("_priced_digits").otherwise("_consumed_digits").alias("_digits"),
        pl.when(is_priced).then("_priced_note").otherwise("_consumed_note").alias("_note"),
    ).filter(pl.col("amount").is_not_null() & ~pl.col("amount").str.contains(_EXPONENT)).with_columns(
        *bc.stamps(frame, "start", "end", "ChargePeriodStart")).filter(bc.stamped())
    if any(f is not None and (f[1][0][0] is None or f[1][1][0] is None) for f in found):
        lazy = bc.by_rate(lazy, bases)
    lazy = lazy.filter(pl.col("_digits").is_not_null()).with_columns(bc.tokens("amount"), bc.micros()).filter(
        pl.col("_tokens") <= MAX_BUCKET_TOKENS)
    # stable_id(FORMAT, start, end, usage type, account, resource, line type, description, product, amount, cost,
    # tags as JSON), as _line joins it
    joined = pl.concat_str(pl.lit(_ID_PREFIX), "_start_text", pl.lit("\x1f"), pl.col("_end_text").fill_null(""),
                           pl.lit("\x1f"), "_head", _amount_text("amount"), pl.lit("\x1f"),
                           bc.cost_text().fill_null(""), pl.lit("\x1f"), "_tags")
    return bc.usage_rows(lazy.with_columns(joined.alias("_joined")), next(r for r in rows if r is not None))
