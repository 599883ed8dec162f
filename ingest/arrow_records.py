"""Records (dicts) as an Arrow table without pa.array, for the records the readers hand on one at a time (rows
read line by line, bill lines), staged in this process (ingest.Stager) or sent by a worker (ingest/workers.py).

pa.Table.from_pylist converts each column with pa.array, which imports pandas when it is installed: about 0.3
CPU-seconds and 40 MiB in each process that stages rows, which never uses it (bench/RESULTS.md). Here a column
whose values are all of its type's own Python type (or None) is built from its buffers: text, int64 and booleans as
arrow_columns.py builds them, decimals from their exact digits, timestamps from their microseconds, int32. Any other
column goes to pa.array, as from_pylist would take it.
"""

from __future__ import annotations

from array import array
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa

from . import arrow_columns

_EPOCH = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)


def table(records: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    """pa.Table.from_pylist(records, schema=schema): a missing key is null, a key not in the schema ignored."""
    return pa.Table.from_arrays([column([r.get(field.name) for r in records], field.type) for field in schema],
                                schema=schema)


def column(values: list[Any], kind: pa.DataType) -> pa.Array:
    """values (None for null) as an array of type kind, equal to pa.array(values, kind)."""
    if all(v is None for v in values):
        return pa.nulls(len(values), kind)
    try:
        built = _built(values, kind)
    except (UnicodeEncodeError, OverflowError):  # a lone surrogate, an int beyond the type: pa.array's own error
        built = None
    return pa.array(values, kind) if built is None else built


def _built(values: list[Any], kind: pa.DataType) -> pa.Array | None:
    """The array from its buffers, or None when a value is not of the type's own Python type."""
    present = [v for v in values if v is not None]
    if kind == pa.string() and all(type(v) is str for v in present):
        return arrow_columns.strings(values)
    if kind == pa.int64() and all(type(v) is int for v in present):
        return arrow_columns.ints(values)
    if kind == pa.bool_() and all(type(v) is bool for v in present):
        return arrow_columns.bools(values)
    if kind == pa.int32() and all(type(v) is int for v in present):
        data = array("i", [0 if v is None else v for v in values])
        return pa.Array.from_buffers(kind, len(values), [_validity(values), pa.py_buffer(data)])
    if kind == pa.timestamp("us") and all(type(v) is datetime and v.tzinfo is None for v in present):
        data = array("q", [0 if v is None else (v - _EPOCH) // _MICROSECOND for v in values])
        return pa.Array.from_buffers(kind, len(values), [_validity(values), pa.py_buffer(data)])
    if pa.types.is_decimal128(kind) and all(type(v) is Decimal for v in present):
        unscaled = [_unscaled(v, kind.scale, kind.precision) for v in present]
        if None in unscaled:
            return None
        found = iter(unscaled)
        data = b"".join((0 if v is None else next(found)).to_bytes(16, "little", signed=True) for v in values)
        return pa.Array.from_buffers(kind, len(values), [_validity(values), pa.py_buffer(data)])
    return None


def _unscaled(value: Decimal, scale: int, precision: int) -> int | None:
    """The decimal's digits at `scale`, exactly; None when it has more decimals, more digits than `precision`, or is
    not finite (pa.array's error then)."""
    if not value.is_finite():
        return None
    sign, digits, exponent = value.as_tuple()
    shift = exponent + scale  # type: ignore[operator]
    if shift < 0:
        return None
    unscaled = int("".join(map(str, digits)) or "0") * 10 ** shift
    if unscaled >= 10 ** precision:
        return None
    return -unscaled if sign else unscaled


def _validity(values: list[Any]) -> pa.Buffer | None:
    return arrow_columns._validity(values)  # None when no value is null
