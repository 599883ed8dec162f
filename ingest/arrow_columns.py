"""Python lists made Arrow arrays from their buffers, not by pa.array.

pa.array on a Python list imports pandas when pandas is installed (to look for its types): a third of a CPU-second
and some 45 MiB for a run that never uses it (bench/RESULTS.md). The fast path's columns are ints, booleans and
strings, each of which is one or two flat buffers that Python builds in C (array, bytes, join); any other type goes
to pa.array.
"""

from __future__ import annotations

from array import array
from itertools import accumulate
from typing import Any

import pyarrow as pa


def column(values: list[Any], kind: pa.DataType) -> pa.Array:
    """values (None for null) as an array of type kind, equal to pa.array(values, kind)."""
    if not values or all(v is None for v in values):
        return pa.nulls(len(values), kind)
    if kind == pa.string():
        return strings(values)
    if kind == pa.int64():
        return ints(values)
    if kind == pa.bool_():
        return bools(values)
    return pa.array(values, kind)


def ints(values: list[int | None]) -> pa.Array:
    valid = _validity(values)
    data = array("q", values if valid is None else [0 if v is None else v for v in values])
    return pa.Array.from_buffers(pa.int64(), len(values), [valid, pa.py_buffer(data)])


def bools(values: list[bool | None]) -> pa.Array:
    valid = _validity(values)
    data = _bits([v is True for v in values])
    return pa.Array.from_buffers(pa.bool_(), len(values), [valid, data])


def strings(values: list[str | None]) -> pa.Array:
    valid = _validity(values)
    encoded = [b"" if v is None else v.encode() for v in values]
    offsets = array("i", [0])
    offsets.extend(accumulate(map(len, encoded)))  # a chunk of one file's rows: far below 2 GiB
    return pa.Array.from_buffers(pa.string(), len(values),
                                 [valid, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))])


def _validity(values: list[Any]) -> pa.Buffer | None:
    """The validity bitmap of values: None when no value is null."""
    if None not in values:
        return None
    return _bits([v is not None for v in values])


def _bits(flags: list[bool]) -> pa.Buffer:
    """flags packed one bit each, least significant first (Arrow's bitmap): Arrow packs a byte per flag."""
    packed = pa.Array.from_buffers(pa.uint8(), len(flags), [None, pa.py_buffer(bytes(flags))]).cast(pa.bool_())
    return packed.buffers()[1]
