"""Bill lines read as columns: one polars pass per batch makes the usage rows of the plain Claude usage lines of
the CUR (cur_rows, here), the AWS FOCUS export (bulk_focus.focus_rows) and the Google Cloud billing export
(bulk_gcp.gcp_rows), so that no Python runs per line but the record id's hash.

Each format's bulk reader (bulk_cur.CurBulk and its subclasses) makes one line's row from its values in `_line`;
here the same row is made for every line of a batch whose values are plain, by expressions that give exactly what
`_line` gives:
  - what a line repeats (for the CUR: product, usage type, description, line type, currency, unit, account,
    region, resource, tags) is worked out by `_line`'s own code (the format's `_static`, memoised per distinct set),
    once per distinct set in the batch; a line is read here only when that gives a usage row;
  - the CUR's period: identity_time_interval fills a missing start or end as bedrock_cur._interval does; each
    distinct timestamp is parsed by bulk_cur._stamp (the reference's parser), once;
  - the usage amount only when it is plain digits (at most 12 before the point and 12 after): Decimal reads it
    exactly, and the tokens (amount times 1, 1,000 or 1,000,000, rounded half to even as to_integral_value
    rounds) are worked out on its digits, exactly;
  - the cost only when empty or plain (a sign, at most 11 digits, at most 12 decimals), quantized to 6 decimals
    half to even as money() does; the rate only when empty or plain digits (a bad one is a reject);
  - the multiplier told by the unit or the usage type, else by the rate against the list rate once per distinct
    (repeated values, day, rate) by the reference's own rule (by_rate);
  - the record id: the parts stable_id joins, joined by an expression, hashed in Python (usage_rows).
Every other line (a bill line, a missing line id, an amount with an exponent or a comma, a bad date, ...) is left to
`_line`, which hands what it cannot read to the reference reader.
"""

from __future__ import annotations

import hashlib
from typing import Any

import polars as pl
import pyarrow as pa

from finops.schema import ARROW_SCHEMA

from . import bedrock_cur, bulk_cur
from .cloud_common import MAX_BUCKET_TOKENS, list_rate, unit_from_rate
from .common import RowError

_KEYS = ("name", "usage_type", "description", "line_type", "currency", "unit", "account", "region", "resource")
AMOUNT = r"^[0-9]{1,12}(?:\.[0-9]{1,12})?$"  # Decimal reads it exactly; times 10**6 it fits an Int64
COST = r"^-?[0-9]{1,11}(?:\.[0-9]{1,12})?$"  # below MAX_AMOUNT, and rounded to 6 decimals still in DECIMAL(18,6)
RATE = r"^-?[0-9]+(?:\.[0-9]+)?$"  # quantity() reads it (a finite Decimal)
_DECIMALS = 12  # the amount's fraction digits, padded
_DIGITS = {1: 0, 1_000: 3, 1_000_000: 6}  # the multipliers a unit or usage type gives, as powers of ten
_PER_LINE = ("record_id", "charge_period_start", "charge_period_end", "source_cost", *bulk_cur.TOKEN_COLUMN.values())
_ID_PREFIX = f"{bedrock_cur.FORMAT}\x1f"


def _dtype(column: str) -> Any:
    kind = ARROW_SCHEMA.field(column).type
    return pl.Boolean if kind == pa.bool_() else pl.Int64 if kind == pa.int64() else pl.String


def _shifted(text: Any, digits: pl.Expr) -> pl.Expr:
    """Plain digits (at most _DECIMALS after the point) times 10**digits, rounded half to even to an integer, as
    Decimal's to_integral_value and quantize round."""
    parts = (pl.col(text) if isinstance(text, str) else text).str.splitn(".", 2)
    whole = parts.struct.field("field_0").cast(pl.Int64)
    fraction = parts.struct.field("field_1").fill_null("").str.pad_end(_DECIMALS, "0").cast(pl.Int64)
    below = pl.lit(10, pl.Int64).pow(_DECIMALS - digits)  # what a unit of the result is in fraction units
    shifted = whole * pl.lit(10, pl.Int64).pow(digits) + fraction // below
    rest = fraction % below
    half = below // 2
    return shifted + ((rest > half) | ((rest == half) & (shifted % 2 == 1))).cast(pl.Int64)


def by_rate(frame: pl.LazyFrame, statics: list[Any]) -> pl.LazyFrame:
    """The lines whose multiplier is told by neither unit nor usage type given it as bulk_cur.tokens_of finds it
    (by the rate against the list rate on the line's day, or assumed), once per distinct (repeated values, day,
    rate, whether the amount and the cost are zero); a line whose unit it cannot tell, or that has no rate but a
    cost (its rate is then the cost over the amount, per line) is left out for _line. statics: each group's
    bulk_cur._Static (the model and token class), by `_gid`."""
    keys = ["_gid", "_day", "rate", "_zero", "_costly"]
    frame = frame.with_columns(pl.col("_start").dt.date().alias("_day"),
                               (~pl.col("amount").str.contains("[1-9]")).alias("_zero"),
                               pl.col("cost").str.contains("[1-9]").fill_null(False).alias("_costly"))
    wanted = frame.filter(pl.col("_digits").is_null()).select(keys).unique().collect(engine="in-memory")
    found: dict[str, list[Any]] = {k: [] for k in [*keys, "_rate_digits", "_rate_note"]}
    for gid, day, rate, zero, costly in wanted.iter_rows():
        static = statics[gid]
        multiplier, how = None, "assumed (unit not stated, no rate to tell)"
        if not zero:
            try:
                per_unit = bulk_cur._rate(rate)
            except RowError:
                continue
            if not per_unit and costly:
                continue  # the cost over the amount: per line
            list_per_mtok = list_rate(static.model, static.usage.token_class or "", day)
            if per_unit and list_per_mtok is not None:
                multiplier, how = unit_from_rate(per_unit, list_per_mtok), "by its rate against the list rate"
                if multiplier is None:
                    continue  # rejected by the reference
        multiplier = 1_000_000 if multiplier is None else multiplier
        for k, v in zip(keys, (gid, day, rate, zero, costly), strict=True):
            found[k].append(v)
        found["_rate_digits"].append(_DIGITS[multiplier])
        found["_rate_note"].append(bulk_cur._NOTES[multiplier, how])
    told = pl.DataFrame(found, schema={k: wanted.schema[k] for k in keys} | {
        "_rate_digits": pl.Int64, "_rate_note": pl.String})
    frame = frame.join(told.lazy(), on=keys, how="left", nulls_equal=True)
    return frame.with_columns(pl.coalesce("_digits", "_rate_digits").alias("_digits"),
                              pl.coalesce("_note", "_rate_note").alias("_note"))


def groups_of(bulk: Any, frame: pl.DataFrame, keys: list[str], make: Any, key_of: Any = tuple) -> tuple[
        pl.DataFrame, list[Any]]:
    """The distinct sets of the repeated values `keys` among the lines of `frame` (in order of appearance), and what
    each gives: bulk.static_of(key_of(values), make), as `_line` works it out."""
    groups = frame.select(keys).unique(maintain_order=True)
    return groups, [bulk.static_of(key_of(values), make) for values in groups.iter_rows()]


def group_columns(rows: list[dict[str, Any] | None], token_columns: list[str | None]) -> list[pl.Series]:
    """The columns every format's frame of groups has, one value per group: `_gid` (its index), `_static` (whether
    its lines can be read as columns: it has a row), `_token_column` (where its tokens go), and `_t_<key>` for each
    key of the usage row that comes from the repeated values alone (rows: each group's row, or None)."""
    template = next(r for r in rows if r is not None)
    return [pl.Series("_gid", range(len(rows)), dtype=pl.UInt32),
            pl.Series("_static", [r is not None for r in rows], dtype=pl.Boolean),
            pl.Series("_token_column", token_columns, dtype=pl.String),
            *[pl.Series(f"_t_{k}", [None if r is None else r[k] for r in rows], dtype=_dtype(k))
              for k in template if k not in _PER_LINE]]


def multipliers(told: list[tuple[int | None, str] | None]) -> list[pl.Series]:
    """`_digits` and `_note` of each group from the (multiplier, how) told by its unit or usage type (None, or a
    multiplier None: by the rate, by_rate)."""
    return [pl.Series("_digits", [None if t is None or t[0] is None else _DIGITS[t[0]] for t in told],
                      dtype=pl.Int64),
            pl.Series("_note", [None if t is None or t[0] is None else bulk_cur._NOTES[t] for t in told],
                      dtype=pl.String)]


def stamps(frame: pl.DataFrame, start: str, end: str, name: str) -> list[pl.Expr]:
    """`_start`, `_end` (datetimes) and `_start_text`, `_end_text` (as stable_id writes them) from the text columns
    `start` and `end`, each distinct value parsed once by bulk_cur._stamp (the reference's parser); null where it
    rejects the value (stamped() then leaves the line out)."""
    parsed = {}
    for value in pl.concat([frame[start], frame[end]]).drop_nulls().unique().to_list():
        try:
            parsed[value] = bulk_cur._stamp(value, name)
        except RowError:
            continue
    olds = list(parsed)

    def stamp(column: str, alias: str) -> list[pl.Expr]:
        return [pl.col(column).replace_strict(olds, [parsed[v][0] for v in olds], default=None,
                                              return_dtype=pl.Datetime("us")).alias(alias),
                pl.col(column).replace_strict(olds, [parsed[v][1] for v in olds], default=None,
                                              return_dtype=pl.String).alias(f"{alias}_text")]

    return [*stamp(start, "_start"), *stamp(end, "_end")]


def _no_end() -> pl.Expr:
    return pl.col("end").is_null() | (pl.col("end") == "")


def stamped() -> pl.Expr:
    """The start read, and the end read or absent."""
    return pl.col("_start").is_not_null() & (_no_end() | pl.col("_end").is_not_null())


def plain(column: str, pattern: str, empty: bool = True) -> pl.Expr:
    """Whether the column's text is plain (matches pattern), or (empty) absent."""
    matched = pl.col(column).str.contains(pattern).fill_null(False)
    return pl.col(column).is_null() | matched if empty else matched


def tokens(amount: str, digits: pl.Expr | None = None) -> pl.Expr:
    """`_tokens`: the amount (plain) times 10 ** digits (`_digits`), rounded half to even (whole_tokens)."""
    return _shifted(amount, pl.col("_digits") if digits is None else digits).alias("_tokens")


def micros() -> pl.Expr:
    """`_micros`: the cost's magnitude quantized to 6 decimals (half to even, as money()), in millionths."""
    return _shifted(pl.col("cost").str.strip_prefix("-"), pl.lit(6)).alias("_micros")


def cost_text() -> pl.Expr:
    """The cost as str(money(cost)) writes it: the sign as written (also of a cost that rounds to zero), the whole
    part, 6 decimals; null without a cost. Needs `_micros`."""
    return pl.concat_str(
        pl.when(pl.col("cost").str.starts_with("-")).then(pl.lit("-")).otherwise(pl.lit("")),
        (pl.col("_micros") // 1_000_000).cast(pl.String), pl.lit("."),
        (pl.col("_micros") % 1_000_000).cast(pl.String).str.pad_start(6, "0"))


def usage_rows(lazy: pl.LazyFrame, template: dict[str, Any]) -> pl.DataFrame | None:
    """The usage rows of the lines left in `lazy` (in the key order of `template`, then `_pos` and `_note`), from
    its `_t_<key>` columns, `_start`, `_end`, `_micros` (the cost), `_tokens` in `_token_column`, and `_joined`
    (the record id's parts, hashed here); None when there is none."""
    values = {
        "record_id": pl.col("_joined"), "charge_period_start": pl.col("_start"),
        "charge_period_end": pl.when(_no_end()).then(None).otherwise(pl.col("_end")),
        "source_cost": cost_text().cast(pl.Decimal(18, 6)),
        **{c: pl.when(pl.col("_token_column") == c).then(pl.col("_tokens")).otherwise(0)
           for c in bulk_cur.TOKEN_COLUMN.values()},
    }
    rows = lazy.select([values[k].alias(k) if k in values else pl.col(f"_t_{k}").alias(k) for k in template]
                       + ["_pos", "_note"]).sort("_pos").collect(engine="in-memory")
    if rows.height == 0:
        return None
    sha = hashlib.sha256  # stable_id: the joined parts hashed
    ids = [sha(j.encode("utf-8", "surrogatepass")).hexdigest()[:32] for j in rows["record_id"].to_list()]
    return rows.with_columns(pl.Series("record_id", ids, dtype=pl.String))


def cur_rows(bulk: Any, picked: pl.DataFrame) -> pl.DataFrame | None:
    """The usage rows (in the key order of bedrock_cur.records' row, then `_pos` and `_note`) of the lines of
    `picked` (CurBulk.lines' slot and tag columns) that are read as columns; None when there is none."""
    if picked.height == 0:
        return None
    tag_columns = picked.columns[len(bulk.SLOTS):]
    tag_names = [n[len(bulk_cur._TAG):] for n in bulk.tags]
    keys = [*_KEYS, *tag_columns]
    # bedrock_cur._interval: a missing start or end from the interval's halves
    halves = pl.col("interval").str.splitn("/", 2)
    from_interval = (pl.col("start").is_null() | pl.col("end").is_null()) & pl.col("interval").str.contains(
        "/", literal=True).fill_null(False)
    frame = picked.with_columns(
        pl.col("usage_type").fill_null(""),
        pl.when(from_interval).then(pl.coalesce("start", halves.struct.field("field_0"))).otherwise("start")
        .alias("start"),
        pl.when(from_interval).then(pl.coalesce("end", halves.struct.field("field_1"))).otherwise("end")
        .alias("end")).with_row_index("_pos")
    groups, found = groups_of(bulk, frame, keys, bulk_cur._static, lambda values: (
        *values[:len(_KEYS)], tuple(zip(tag_names, values[len(_KEYS):], strict=True))))
    statics = [s if isinstance(s, bulk_cur._Static) else None for s in found]
    if not any(statics):
        return None
    rows = [None if s is None else s.row for s in statics]
    group_frame = groups.with_columns(*group_columns(rows, [s and s.token_column for s in statics]), *multipliers(
        [None if s is None else (s.multiplier, s.how) for s in statics]))
    lazy = frame.lazy().join(group_frame.lazy(), on=keys, how="left", nulls_equal=True).filter(
        pl.col("_static") & pl.col("line_id").is_not_null() & plain("amount", AMOUNT, empty=False)
        & plain("cost", COST) & plain("rate", RATE)
    ).with_columns(*stamps(frame, "start", "end", "line_item_usage_start_date")).filter(stamped())
    if any(s is not None and s.multiplier is None for s in statics):
        lazy = by_rate(lazy, statics)
    lazy = lazy.filter(pl.col("_digits").is_not_null()).with_columns(
        tokens("amount"), micros(),
        pl.concat_str(pl.lit(_ID_PREFIX), "line_id", pl.lit("\x1f"), "_start_text", pl.lit("\x1f"),
                      pl.col("_end_text").fill_null("")).alias("_joined"),
    ).filter(pl.col("_tokens") <= MAX_BUCKET_TOKENS)
    return usage_rows(lazy, next(r for r in rows if r is not None))


class ColumnRows:
    """Usage rows read as columns (a polars frame in the key order of the reference's row, with `source_line` and
    `_note`): what Table yields for a batch's plain lines when its reader takes Arrow tables."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame

    def notes(self) -> list[tuple[str, int]]:
        """How many rows had their usage amount converted each way (bedrock_cur.Notes)."""
        return [(note, count) for note, count in self.frame.group_by("_note").len().iter_rows()]

    def arrow(self, fmt: str, path: str) -> pa.Table:
        """The rows in ARROW_SCHEMA, the columns the reader does not set NULL, as Emitter.row would stage them."""
        table = self.frame.drop("_note").with_columns(
            pl.lit(fmt, pl.String).alias("source_format"), pl.lit(path, pl.String).alias("source_file")).to_arrow()
        rows = table.num_rows
        return pa.Table.from_arrays(
            [table.column(f.name).cast(f.type) if f.name in table.column_names else pa.nulls(rows, f.type)
             for f in ARROW_SCHEMA], schema=ARROW_SCHEMA)


def by_line(rows: pl.DataFrame, numbers: list[int], tables: bool) -> tuple[dict[int, Any], ColumnRows | None]:
    """bulk.lines' frame of rows with the source line of each (`numbers`, in its order): as one ColumnRows
    (tables), else as bedrock_cur.Done per line number, the row the per-line bulk reading makes."""
    rows = rows.drop("_pos").with_columns(pl.Series("source_line", numbers, dtype=pl.Int64))
    if tables:
        return {}, ColumnRows(rows)
    notes = rows["_note"].to_list()
    records = rows.drop("_note", "source_line").to_dicts()
    return {n: bedrock_cur.Done(r, note) for n, r, note in zip(numbers, records, notes, strict=True)}, None
