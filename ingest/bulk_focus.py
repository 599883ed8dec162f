"""The AWS FOCUS export's Claude usage lines read in bulk, as ingest/bulk_cur.py reads the CUR's.

The same machinery (cloud_common.Table: the regular candidate lines of a CSV block, or the text columns of a
Parquet batch, as polars columns), the FOCUS columns aws_focus.focus_line reads, and each line turned into the row
bedrock_cur.records makes of it, by the same helpers; what a line repeats (service, publisher, usage type,
description, category, currency, account, region, resource, tags, units) is worked out once per distinct set.

A FOCUS line has no line item id: its record id is made from the line's values (bedrock_cur.records), here from the
same values in the same order. A line is handed back to the reference reader (FALLBACK) whenever it is not a plain
usage line (anything rejected, a charge category other than Usage, a usage type without a token class). Tags are
kept as json.dumps writes them (ASCII: an escaped lone surrogate in them stays an escape, as in the reference).
"""

from __future__ import annotations

import json
from typing import Any

from . import aws_focus, bedrock_cur
from .bulk_cur import FALLBACK, IGNORED, CurBulk, _rate, _stamp, done, tokens_of, unit_of, usage_static
from .cloud_common import json_value, quantity
from .common import ID_SEPARATOR, RowError, id_of_joined, id_parts, money

SLOTS = aws_focus.COLUMNS  # the columns focus_line reads, slot by slot
_STATIC = 12  # the first 12 slots are the repeated values
_ID_PREFIX = f"{aws_focus.FORMAT}\x1f"


class FocusBulk(CurBulk):
    """Bulk reading of an AWS FOCUS export's lines under one header."""

    SLOTS = SLOTS
    TAG_COLUMNS = False
    BY_COLUMNS = False  # every line by _line
    JSON_COLUMNS = ()  # Tags is JSON text, parsed once per distinct value here

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
