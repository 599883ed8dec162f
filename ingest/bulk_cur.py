"""The CUR's Claude usage lines read in bulk: columns in, usage rows out, with no CSV parse and no dict per line.

ingest/fast_bills.py finds the lines that may be Claude lines and vouches for the shape of the regular ones
(printable text, no backslash, plain or wholly quoted fields, the header's field count): polars reads those lines
of each block as CSV in one call, only the columns bedrock_cur.cur_line reads (Parquet: the same columns of the
Arrow batch, when they are text). Each line is then turned into its usage row here, by the same helpers, in the
same order, as bedrock_cur.cur_line and bedrock_cur.records; what a bill repeats on every line (product, usage type,
account, region, resource, tags, unit) is worked out once per distinct set of values.

A line is handed back to the reference reader (FALLBACK), which then reads it from its text, whenever it is not
a plain usage line: anything that would be rejected (a bad number, timestamp, currency, unit), a bill line (tax,
credit, discount), a line without a line item id. So every row, reject and note is the reference reader's.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from finops.models import resolve

from . import bedrock_cur, fast_bills
from .cloud_common import (
    TOKEN_COLUMN,
    bill_model,
    line_text,
    line_timestamp,
    list_rate,
    quantity,
    tags_json,
    unit_from_rate,
    unit_multiplier,
    whole_tokens,
)
from .common import RowError, id_of_joined, money

FALLBACK = fast_bills.FALLBACK  # this line goes to the reference reader
IGNORED = fast_bills.IGNORED  # not a Claude line: counted as ignored, as cur_line's None
COLUMNAR = fast_bills.COLUMNAR  # read as columns: the usage row is in the batch's frame of rows

SLOTS = bedrock_cur.COLUMNS  # the spellings cur_line reads, slot by slot
# Columns whose values cur_line reads as JSON maps (CUR 2.0): files that have them are read line by line.
JSON_COLUMNS = bedrock_cur.JSON_COLUMNS
_TAG = bedrock_cur.TAG_PREFIX
_ID_PREFIX = f"{bedrock_cur.FORMAT}\x1f"
_MEMO_SIZE = 100_000  # distinct static parts kept (a bill has a few thousand; bounded for hostile input)


@dataclass(frozen=True)
class _Static:
    """What a usage line's repeated values give, worked out once."""

    usage: bedrock_cur.UsageType
    model: str | None
    region: str | None
    model_raw: str | None
    workspace: str | None
    tags: str | None
    multiplier: int | None  # told by the unit or the usage type; None: by the rate, line by line
    how: str
    token_column: str
    context_window: str
    row: dict[str, Any]  # the usage row's values that come from these repeated values alone, in records()' order


class CurBulk:
    """Bulk reading for one file's header (normalised names): which columns to read and how to read them."""

    SLOTS: dict[str, tuple[str, ...]] = SLOTS  # the values _line takes, in its order, and the columns giving each
    TAG_COLUMNS = True  # resource_tags_* columns are tags (a FOCUS export has its tags in one JSON column)
    JSON_COLUMNS: tuple[str, ...] = JSON_COLUMNS

    def __init__(self, header: list[str]) -> None:
        last = {name: i for i, name in enumerate(header)}  # dict(zip(header, values)): the last of a name wins
        self.slots = {slot: [n for n in names if n in last] for slot, names in self.SLOTS.items()}
        # resource_tags_* columns, in the order of the row dict's keys (first appearance), as bedrock_cur._tags
        self.tags = [n for n in dict.fromkeys(header) if n.startswith(_TAG)] if self.TAG_COLUMNS else []
        names = {n for names in self.slots.values() for n in names} | set(self.tags)
        self.indices = sorted(last[n] for n in names)  # the columns read, by position in the line, in file order
        self.names = [header[i] for i in self.indices]
        self._memo: dict[tuple[Any, ...], Any] = {}

    @classmethod
    def takes(cls, header: list[str]) -> bool:
        """Whether lines under this header can be read in bulk (no JSON map columns)."""
        return not any(n in header for n in cls.JSON_COLUMNS)

    BY_COLUMNS = True  # plain usage lines are read as columns (bulk_columns.py), the others by _line

    def lines(self, frame: Any) -> tuple[list[Any], Any]:
        """For each row of `frame` (text columns named as self.names, values as the reference reader's row dict
        holds them): bedrock_cur.Done, IGNORED, FALLBACK or COLUMNAR (its row is in the polars frame returned
        beside the list, at its position `_pos`; None: no such row)."""
        import polars as pl

        def slot(names: list[str]) -> pl.Expr:  # pick(): the first present, non-empty value
            if not names:
                return pl.lit(None, pl.String)
            return pl.coalesce([pl.when(pl.col(n) != "").then(pl.col(n)) for n in names])

        picked = frame.select([slot(names).alias(name) for name, names in self.slots.items()]
                              + [pl.col(n).alias(f"{_TAG}{k}") for k, n in enumerate(self.tags)])
        rows = self._columnar(picked) if self.BY_COLUMNS else None
        rest = picked if rows is None else picked.filter(~pl.int_range(pl.len()).is_in(rows["_pos"].implode()))
        columns = [rest.to_series(i).to_list() for i in range(rest.width)]
        tag_names = [n[len(_TAG):] for n in self.tags]
        count = len(self.SLOTS)
        line = self._line
        if not tag_names:
            found = [line(*values, ()) for values in zip(*columns, strict=True)]
        else:
            found = [line(*values[:count], tuple(zip(tag_names, values[count:], strict=True)))
                     for values in zip(*columns, strict=True)]
        if rows is None:
            return found, None
        results: list[Any] = [COLUMNAR] * picked.height
        others = iter(found)
        taken = set(rows["_pos"].to_list())
        for i in range(picked.height):
            if i not in taken:
                results[i] = next(others)
        return results, rows

    def _columnar(self, picked: Any) -> Any:
        """The usage rows of the plain usage lines among `picked` (bulk_columns.py), with their positions (`_pos`);
        None when there is none. The other lines are read by _line."""
        from .bulk_columns import cur_rows

        return cur_rows(self, picked)

    def static_of(self, key: tuple[Any, ...], make: Any) -> Any:
        """What a line's repeated values give: make(*key), worked out once per distinct key. The memo is emptied
        when full, so hostile input with a new key on every line cannot grow it without bound."""
        static = self._memo.get(key)
        if static is None:
            static = make(*key)
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.clear()
            self._memo[key] = static
        return static

    def _line(self, name: Any, usage_type: Any, description: Any, line_type: Any, start: Any, end: Any,
              interval: Any, currency: Any, line_id: Any, amount: Any, unit: Any, cost: Any, rate: Any,
              account: Any, region: Any, resource: Any, tags: tuple[tuple[str, Any], ...]) -> Any:
        usage_type = usage_type or ""
        key = (name, usage_type, description, line_type, currency, unit, account, region, resource, tags)
        static = self.static_of(key, _static)
        if static is IGNORED or static is FALLBACK:
            return static
        if not line_id:
            return FALLBACK  # the record id is then made from the whole line: the reference reader's
        if start is None or end is None:  # bedrock_cur._interval
            if isinstance(interval, str) and "/" in interval:
                first, _, last = interval.partition("/")
                start, end = start or first, end or last
        try:
            start, start_text, day = _stamp(start, "line_item_usage_start_date")
            end, end_text, _ = _stamp(end, "line_item_usage_end_date") if end not in (None, "") else _NO_END
            amount = quantity(amount, "line_item_usage_amount")
            cost = money(cost, "line_item_unblended_cost")
            rate = _rate(rate)
            if amount is None:
                return FALLBACK
            found = tokens_of(static, static.multiplier, static.how, amount, cost, rate, day)
        except RowError:
            return FALLBACK
        if found is FALLBACK:
            return FALLBACK
        # stable_id(FORMAT, line_id, start, end), joined here (one f-string: joining is most of the time of a line)
        record_id = id_of_joined(f"{_ID_PREFIX}{line_id}\x1f{start_text}\x1f{end_text}")
        return done(static, found, record_id, start, end, cost)


def tokens_of(static: _Static, multiplier: int | None, how: str, amount: Any, cost: Any, rate: Any, day: Any) -> Any:
    """bedrock_cur._tokens for a line of these values: (tokens, multiplier, how), or FALLBACK (rejected: no unit
    fits the rate). RowError as _tokens raises it."""
    if multiplier is None and amount > 0:
        per_unit = rate if rate else (cost / amount if cost else None)
        list_per_mtok = list_rate(static.model, static.usage.token_class or "", day)
        if per_unit is not None and list_per_mtok is not None:
            multiplier = unit_from_rate(per_unit, list_per_mtok)
            how = "by its rate against the list rate"
            if multiplier is None:
                return FALLBACK
    if multiplier is None:
        multiplier, how = 1_000_000, "assumed (unit not stated, no rate to tell)"
    return whole_tokens(amount * multiplier, "usage amount"), multiplier, how


def done(static: _Static, found: tuple[int, int, str], record_id: str, start: Any, end: Any, cost: Any) -> Any:
    """bedrock_cur.records' usage row for a line, with the note on its unit."""
    tokens, multiplier, how = found
    row = static.row.copy()  # what every line of these repeated values holds; then the line's own values
    row["record_id"] = record_id
    row["charge_period_start"] = start
    row["charge_period_end"] = end
    row["source_cost"] = cost
    row[static.token_column] = tokens
    return bedrock_cur.Done(row, _NOTES[multiplier, how])


class _Notes(dict):  # type: ignore[type-arg]
    """The note of each (multiplier, how), made once."""

    def __missing__(self, key: tuple[int, str]) -> str:
        note = self[key] = f"{bedrock_cur._UNIT_NAMES[key[0]]}, {key[1]}"
        return note


_NOTES = _Notes()
_NO_END = (None, "", None)


@functools.lru_cache(maxsize=65536)  # a bill repeats a few periods; a failure raises again each time (uncached)
def _stamp(value: Any, name: str) -> tuple[Any, str, Any]:
    """line_timestamp, with its text as stable_id writes it and its day."""
    parsed = line_timestamp(value, name)
    return parsed, str(parsed), parsed.date()


@functools.lru_cache(maxsize=4096)  # a bill repeats a few rates; a failure raises again each time (uncached)
def _rate(value: Any) -> Any:
    return quantity(value, "line_item_unblended_rate")


def _static(name: Any, usage_type: Any, description: Any, line_type: Any, currency: Any, unit: Any, account: Any,
            region: Any, resource: Any, tags: tuple[tuple[str, Any], ...]) -> Any:
    """cur_line and records for the values a line repeats (in their order); IGNORED, FALLBACK or a _Static."""
    if not bedrock_cur.is_claude(name, usage_type, description):
        return IGNORED
    kind = str(line_type or "Usage").replace(" ", "").lower()
    if currency is not None and str(currency).strip().upper() != "USD":
        return FALLBACK  # rejected
    if kind not in bedrock_cur.USAGE_TYPES:
        return FALLBACK  # a bill line (credit, discount, tax, ...)
    found = {name: value for name, value in tags if value not in (None, "")}
    return usage_static(name if isinstance(name, str) else None, str(usage_type), unit, account, region, resource,
                        found, bedrock_cur.GROUPING)


def unit_of(unit: Any, usage: bedrock_cur.UsageType) -> tuple[int | None, str]:
    """The multiplier told by a unit or the usage type, as bedrock_cur._tokens finds it first."""
    multiplier = unit_multiplier(unit)
    how = f"by its unit {str(unit)[:20]!r}"
    if multiplier is None and usage.multiplier is not None:
        multiplier, how = usage.multiplier, "by its usage type"
    return multiplier, how


def usage_static(product: str | None, usage_type: str, unit: Any, account: Any, region: Any, resource: Any,
                 found: dict[str, Any], grouping: str) -> Any:
    """bedrock_cur.records for the values a usage line repeats (the Line's fields of those names): a _Static, or
    FALLBACK for a bill line."""
    usage = bedrock_cur.parse_usage_type(usage_type)
    if usage.token_class is None:
        return FALLBACK  # a bill line
    ident = resolve(resource) if isinstance(resource, str) and ":bedrock:" in resource else None
    model = bill_model(product) or usage.model or (ident.model if ident else None)
    where = line_text(region) or usage.region or (ident.region if ident else None)
    model_raw = line_text(product if bill_model(product) or not usage.model else usage_type)
    multiplier, how = unit_of(unit, usage)
    workspace, tag_text = line_text(account), line_text(tags_json(found)) if found else None
    window = "200k-1M" if usage.long_context else "0-200k"
    row = {
        "record_id": None, "granularity": "bucket", "grouping": grouping, "platform": "bedrock",
        "charge_period_start": None, "charge_period_end": None, "workspace": workspace, "tags": tag_text,
        "model_raw": model_raw, "model": model, "requests": None, "input_tokens": 0, "cache_write_5m_tokens": 0,
        "cache_write_1h_tokens": 0, "cache_read_tokens": 0, "output_tokens": 0, "cache_ttl_assumed": False,
        "web_search_requests": 0, "service_tier": usage.tier, "speed": "standard", "endpoint_scope": usage.scope,
        "region": where, "context_window": window, "source_cost": None,
    }
    return _Static(usage, model, where, model_raw, workspace, tag_text, multiplier, how,
                   TOKEN_COLUMN[usage.token_class], window, row)
