"""Shared reading for billing exports (AWS CUR and FOCUS, Google Cloud billing, Anthropic cost files).

Tabular files come as CSV (parsed by header name, one physical line per row), JSON lines, or Parquet. Column
names are normalised so that the spellings of one column across export generations meet: `lineItem/UsageType`
(legacy CUR), `line_item_usage_type` (CUR 2.0, Athena) and `LineItemUsageType` all become `line_item_usage_type`;
nested JSON objects are flattened with dots (`service.description`).
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from finops.models import resolve

from . import fast_bills
from .common import (
    JSON_ERRORS,
    READ_ERRORS,
    Emitter,
    FileStats,
    LineTooLong,
    RowError,
    decode,
    iter_lines,
    text,
    timestamp,
)

TOKEN_CLASSES = ("input", "cache_write_5m", "cache_write_1h", "cache_read", "output")
TOKEN_COLUMN = {c: f"{c}_tokens" for c in TOKEN_CLASSES}
MAX_BUCKET_TOKENS = 10**13  # one bill line: far beyond any organisation's month of traffic

# Whether Table may skip, unparsed, the CSV lines that ingest/fast_bills.py proves are no records (False: the
# reference reader, line by line; tests/test_fast_readers.py compares the two).
FAST = True
_STOP = object()  # Table._line: the header is unreadable, reading stops


def _read_block(stream: IO[bytes], size: int) -> tuple[bytes, BaseException | None]:
    """About `size` bytes from the stream, and the read error that stopped it early, if one did (with what was read
    before it, which the reference reader would have read too)."""
    parts: list[bytes] = []
    got = 0
    while got < size:
        try:
            part = stream.read1(size - got)  # type: ignore[attr-defined]
        except READ_ERRORS as e:
            return b"".join(parts), e
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts), None


class _Prefixed(io.RawIOBase):
    """Bytes already read, then the rest of a stream: a stream again, for reading on line by line."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._head:
            size = min(len(view), len(self._head))
            view[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        data = self._rest.read(len(view))
        view[: len(data)] = data
        return len(data)


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake(name: str) -> str:
    """A column name in snake case: `lineItem/UsageType` -> `line_item_usage_type`, `usage.amount` kept dotted."""
    parts = []
    for part in re.split(r"[/:]", name.strip().strip('"').strip()):
        part = _CAMEL.sub("_", part)
        parts.append(re.sub(r"[\s\-]+", "_", part).lower())
    return "_".join(p for p in parts if p)


def csv_fields(line: str) -> list[str]:
    """One physical line as CSV fields (exports never break a field across lines: a stray quote spoils only its
    own line). csv.Error (a field over the size limit) is the caller's."""
    return next(csv.reader([line]), [])


def required_rows(table: Table, emit: Emitter, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, Any]]]:
    """The rows of a headed export that has every required column; bad rows and, when a required column is
    missing, every row are rejected with the reason (the file gets the error too), so none is lost silently."""
    missing: list[str] | None = None
    for number, row in table.rows():
        if missing is None:
            missing = [c for c in required if c not in (table.header or [])]
            if missing:
                emit.stats.error = f"missing columns: {', '.join(missing)} (every row rejected)"
        if isinstance(row, RowError):
            emit.reject(number, str(row))
        elif missing:
            emit.reject(number, f"missing columns: {', '.join(missing)}")
        else:
            yield number, row
    if table.error:
        emit.stats.error = table.error
    elif missing is None and table.header:
        absent = [c for c in required if c not in table.header]
        if absent:
            emit.stats.error = f"missing columns: {', '.join(absent)} (every row rejected)"


class Table:
    """The rows of a tabular export as dicts keyed by normalised column names, with their line numbers.

    `header` is the normalised header (CSV and Parquet); `error` a file-level problem found on the way.
    Yields (line, row) or (line, RowError) for a row that cannot be split into the header's fields.

    `words`: when given, the reader takes as records only rows that name one of these words (in any case) and
    ignores the rest; CSV lines that certainly name none of them and are certainly whole rows are then not parsed
    at all but counted in `skipped` and in the ignored lines of `stats` (ingest/fast_bills.py), as they are read (a
    file that breaks off later keeps them, as with the reference reader).
    """

    def __init__(self, path: Path, stream: IO[bytes], parquet: bool = False, words: tuple[str, ...] = (),
                 stats: FileStats | None = None, bulk: Any = None, word_columns: tuple[str, ...] | None = None,
                 columns: Any = None) -> None:
        self.path = path
        # columns: a test of a (normalised) column name, True for the columns the format's reader uses: a Parquet
        # file is read for these only (None: every column), by the reference reader as by the fast path, so a
        # column no reader looks at is neither decoded nor able to stop the file
        self.columns = columns
        # word_columns: the (normalised) columns whose values alone decide whether a row names a word, as the
        # format's reader tests it: a Parquet row is then tested on these only (None: on every column)
        self.word_columns = word_columns
        # bulk: a class such as bulk_cur.CurBulk that reads a header's regular candidate lines in bulk; they are
        # then yielded as (line, what it gave): bulk_cur.Done, fast_bills.IGNORED, or the row read line by line
        # (fast_bills.FALLBACK)
        self.bulk = bulk if FAST and words else None
        self.stream = stream
        self.parquet = parquet
        self.words = words if FAST else ()
        self.header: list[str] | None = None
        self.error: str | None = None
        self.skipped = 0
        self.stats = stats
        # whether the rows read as columns come as batches (bulk_columns.ColumnRows: the reader's Emitter takes
        # Arrow tables), else line by line as bedrock_cur.Done, like the rest
        self.tables = False

    def rows(self) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
        if self.parquet:
            yield from self._parquet()
            return
        if self.words:
            yield from self._fast_rows()
            return
        yield from self._slow_rows(self.stream, 0)

    def _slow_rows(self, stream: IO[bytes], offset: int) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
        """The reference reader: every line parsed in Python. offset: lines already read before the stream."""
        for number, line in iter_lines(stream):
            row = self._line(number + offset, line)
            if row is _STOP:
                return
            if row is not None:
                yield row  # type: ignore[misc]

    def _line(self, number: int, line: str | LineTooLong) -> Any:
        """One line read as the reference reader reads it: (number, row or RowError), None for a line that is not
        a row (blank, the header), _STOP when the header is unreadable."""
        if isinstance(line, LineTooLong):
            return number, RowError(f"line too long: {line.size} bytes")
        if not line.strip():
            return None
        if self.header is None and line.lstrip().startswith("{"):
            self.header = []  # JSON lines: no header
        if self.header == []:
            try:
                obj = json.loads(line)
            except JSON_ERRORS:
                return number, RowError("invalid JSON: truncated or malformed line")
            if not isinstance(obj, dict):
                return number, RowError("line is not a JSON object")
            return number, flatten(obj)
        try:
            values = csv_fields(line)
        except csv.Error as e:
            if self.header is None:
                self.error = f"unreadable header: {e}"
                return _STOP
            return number, RowError(f"unreadable CSV row: {e}")
        if self.header is None:
            self.header = [snake(h) for h in values]
            return None
        stripped = list(map(str.strip, values))
        if not any(stripped):
            return None
        if len(values) != len(self.header):
            return number, RowError(f"expected {len(self.header)} fields, found {len(values)}")
        return number, dict(zip(self.header, stripped, strict=True))

    def _fast_rows(self) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
        """The rows the reference reader would yield, minus the lines fast_bills proves it would ignore."""
        number = 0
        lines = iter_lines(self.stream)
        while self.header is None:  # the header (and any blank lines before it), as the reference reader reads it
            found = next(lines, None)
            if found is None:
                return
            number = found[0]
            row = self._line(*found)
            if row is _STOP:
                return
            if row is not None:
                yield row
        if self.header == []:  # JSON lines: read line by line
            yield from self._slow_rows(self.stream, number)
            return
        tail = b""
        long_line = False
        bulk = self.bulk(self.header) if self.bulk and self.bulk.takes(self.header) else None
        # the candidate lines of blocks not yet read (line number, bytes, whether regular): those of several blocks
        # are read together, as bulk reading costs milliseconds a call
        pending: list[tuple[int, bytes, bool]] = []
        while True:
            data, failure = _read_block(self.stream, fast_bills.BLOCK_BYTES)
            cut = data.rfind(b"\n") + 1
            if data and not failure and cut == 0:
                tail += data
                if len(tail) > fast_bills.LONG_LINE:  # a very long line: the rest line by line (limits included)
                    yield from self._candidate_rows(bulk, pending)
                    yield from self._slow_rows(io.BufferedReader(_Prefixed(tail, self.stream)), number)
                    return
                continue
            if failure:  # what came before the failure is read, as the reference reader reads it: whole lines
                whole = tail + data
                block, tail = whole[: whole.rfind(b"\n") + 1], b""
            elif data:
                block, tail = tail + data[:cut], data[cut:]
                # a long last line, its end not in this block: from that line on, line by line (below)
                long_line = len(tail) > fast_bills.LONG_LINE
            else:
                block, tail = tail, b""
            count, picked = fast_bills.candidate_lines(block, len(self.header), self.words)
            self._skip(count - len(picked))
            pending.extend((number + i + 1, piece, ok) for i, piece, ok in picked)
            number += count
            del picked, block
            if failure or long_line or not data or len(pending) >= _bulk_rows(bulk):
                chunk, pending = pending, []
                yield from self._candidate_rows(bulk, chunk)
            if failure:
                raise failure
            if long_line:
                yield from self._slow_rows(io.BufferedReader(_Prefixed(tail, self.stream)), number)
                return
            if not data:
                return

    def _candidate_rows(self, bulk: Any, lines: list[tuple[int, bytes, bool]]) -> Iterator[tuple[int, Any]]:
        """The candidate lines (line number, bytes, whether regular) as the reference reader reads them: the regular
        ones read in bulk when `bulk` (those read as columns in one batch, after the others when self.tables),
        every other one line by line."""
        done, rows = self._bulk_lines(bulk, lines) if bulk else ({}, None)
        columnar, batch = self._by_line(rows, rows["_number"].to_list() if rows is not None else [])
        for number, piece, _ in lines:
            found = done.get(number, fast_bills.FALLBACK)
            if found is fast_bills.COLUMNAR:
                if not self.tables:
                    yield number, columnar[number]
                continue
            if found is not fast_bills.FALLBACK:
                yield number, found
                continue
            row = self._line(number, decode(piece))
            if row is not None:
                yield row
        if batch is not None:
            yield lines[0][0], batch

    def _by_line(self, rows: Any, numbers: list[int]) -> tuple[dict[int, Any], Any]:
        """The rows read as columns (bulk_columns.py), by line number as bedrock_cur.Done, or (self.tables) as one
        batch; ({}, None) without rows."""
        if rows is None:
            return {}, None
        from .bulk_columns import by_line

        return by_line(rows.drop("_number", strict=False), numbers, self.tables)

    @staticmethod
    def _bulk_lines(bulk: Any, candidates: list[tuple[int, bytes, bool]]) -> tuple[dict[int, Any], Any]:
        """What bulk reading gives for the regular lines among `candidates` (their line number -> result), and the
        frame of the rows read as columns (their line numbers: `_number`), or None."""
        lines = [(number, piece) for number, piece, ok in candidates if ok]
        if not lines:
            return {}, None
        import polars as pl

        text = b"\n".join(piece.rstrip(b"\r") for _, piece in lines)
        try:
            frame = pl.read_csv(text, has_header=False, infer_schema=False, columns=bulk.indices, quote_char='"',
                                eol_char="\n", comment_prefix=None, empty_string_is_null=False,
                                truncate_ragged_lines=False)
        except pl.exceptions.PolarsError:  # never for regular lines: then line by line
            return {}, None
        if frame.shape != (len(lines), len(bulk.names)):  # never for regular lines: then line by line
            return {}, None
        # the columns asked for, in the file's order; each field stripped, as the reference reader strips it
        frame = frame.select(pl.col(c).fill_null("").str.strip_chars(" ").alias(n)
                             for c, n in zip(frame.columns, bulk.names, strict=True))
        results, rows = bulk.lines(frame)
        numbers = [number for number, _ in lines]
        if rows is not None:
            rows = rows.with_columns(pl.Series("_number", numbers, dtype=pl.Int64).gather(rows["_pos"]))
        return dict(zip(numbers, results, strict=True)), rows

    def _parquet_bulk(self, header: list[str], schema: Any, pa: Any) -> Any:
        """The bulk reader for this Parquet file (the columns read: `header`, `schema`), when it has one and every
        column it reads is text."""
        if not self.bulk or not header or not self.bulk.takes(header):
            return None
        bulk = self.bulk(header)
        kinds = [schema.field(i).type for i in bulk.indices]
        return bulk if all(pa.types.is_string(k) or pa.types.is_large_string(k) for k in kinds) else None

    @staticmethod
    def _bulk_rows(bulk: Any, batch: Any) -> tuple[list[Any], Any]:
        """What bulk reading gives for each row of a record batch (values as the reference reader's row holds
        them: text as it is, no strip), and the frame of the rows read as columns (or None)."""
        import polars as pl
        import pyarrow as pa

        try:
            frame = pl.DataFrame(batch.select(bulk.indices))
            frame.columns = bulk.names
        except (pa.ArrowException, pl.exceptions.PolarsError, ValueError, TypeError):
            return [fast_bills.FALLBACK] * batch.num_rows, None  # read line by line
        return bulk.lines(frame)

    def _skip(self, lines: int) -> None:
        self.skipped += lines
        if self.stats is not None:
            self.stats.lines_ignored += lines

    def _parquet_columns(self, schema: Any) -> list[str] | None:
        """The names of the columns to read, in the file's order (None: all of them): those the reader uses, when
        every name in the file is unique (a repeated name cannot be picked by name: then every column is read)."""
        if self.columns is None or len(set(schema.names)) != len(schema.names):
            return None
        return [n for n in schema.names if self.columns(snake(n))]

    def _parquet(self) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            source = pq.ParquetFile(self.path)
        except (OSError, pa.ArrowException) as e:
            self.error = f"unreadable Parquet file: {e}"
            return
        schema = source.schema_arrow
        self.header = [snake(n) for n in schema.names]
        read = self._parquet_columns(schema)
        header = self.header if read is None else [snake(n) for n in read]
        bulk = self._parquet_bulk(header, schema if read is None else pa.schema([schema.field(n) for n in read]), pa)
        tested = None if self.word_columns is None else [
            i for i, name in enumerate(header) if name in self.word_columns]
        encoded = _encoded_text(source, read, tested, pa) if self.words else []
        if encoded:  # read again, these columns as dictionaries (fast_bills.parquet_candidates)
            try:
                source = pq.ParquetFile(self.path, read_dictionary=encoded)
            except (OSError, pa.ArrowException) as e:
                self.error = f"unreadable Parquet file: {e}"
                return
        self._number = 0  # the last row read (reported when reading stops)
        pending: list[tuple[list[int], Any]] = []  # batches' candidate rows not yet read: (row numbers, rows)
        try:
            for batch in source.iter_batches(batch_size=5000, columns=read):
                names = [snake(n) for n in batch.schema.names]
                base, size = self._number, batch.num_rows
                picked = fast_bills.parquet_candidates(batch, self.words, tested) if self.words else None
                if picked is not None:  # the rows that may name a word; the others are counted, not converted
                    self._skip(size - len(picked))
                    pending.append(([base + k + 1 for k in picked], _decoded(batch.take(_indices(picked)), pa)))
                else:  # every row, read one by one
                    chunk, pending = pending, []  # (emptied first: a failure while reading them is not retried)
                    yield from self._parquet_rows(chunk, names, bulk, base)
                    yield from self._parquet_rows([(list(range(base + 1, base + size + 1)), _decoded(batch, pa))],
                                                  names, None, base + size)
                self._number = base + size
                # the candidates of several batches are read together: bulk reading costs milliseconds a call
                if sum(len(numbers) for numbers, _ in pending) >= _bulk_rows(bulk):
                    chunk, pending = pending, []
                    yield from self._parquet_rows(chunk, names, bulk, self._number)
            chunk, pending = pending, []
            yield from self._parquet_rows(chunk, names if chunk else [], bulk, self._number)
        except (OSError, pa.ArrowException) as e:
            # the rows of the batches read whole before the failure, as the reference reader reads them
            stopped, chunk = self._number, pending
            try:
                yield from self._parquet_rows(chunk, names if chunk else [], bulk, stopped)
            except (OSError, pa.ArrowException):
                pass
            self.error = f"reading stopped after row {self._number}: {e}"

    def _parquet_rows(self, pending: list[tuple[list[int], Any]], names: list[str], bulk: Any,
                      end: int) -> Iterator[tuple[int, Any]]:
        """The rows of `pending` (row numbers, Arrow rows), read in bulk when `bulk`, the others as dicts of Python
        values; self._number follows the rows yielded, and is `end` once all are."""
        import pyarrow as pa

        numbered = [n for numbers, _ in pending for n in numbers]
        if not numbered:
            self._number = end
            return
        batch = pa.Table.from_batches([rows for _, rows in pending]) if len(pending) > 1 else pending[0][1]
        done, rows = self._bulk_rows(bulk, batch) if bulk else ([fast_bills.FALLBACK] * len(batch), None)
        columnar, column_batch = self._by_line(rows, [numbered[k] for k in rows["_pos"]] if rows is not None else [])
        slow = [k for k, found in enumerate(done) if found is fast_bills.FALLBACK]
        if len(slow) < len(done):  # only the rows bulk reading left are made Python values
            batch = batch.take(_indices(slow))
        columns = iter(zip(*[batch.column(i).to_pylist() for i in range(batch.num_columns)], strict=True))
        for number, found in zip(numbered, done, strict=True):
            self._number = number
            if found is fast_bills.COLUMNAR:
                if not self.tables:
                    yield number, columnar[number]
                continue
            if found is not fast_bills.FALLBACK:
                yield number, found
                continue
            values = next(columns)
            row = {}
            for name, value in zip(names, values, strict=True):
                if isinstance(value, list) and all(isinstance(v, tuple) for v in value):
                    value = dict(value)  # a Parquet map (CUR 2.0 product, resource_tags)
                elif isinstance(value, datetime | date):
                    value = value.isoformat()  # parsed like any text timestamp (naive = UTC)
                row[name] = value
            yield number, row
        if column_batch is not None:
            yield numbered[0], column_batch
        self._number = end


def _bulk_rows(bulk: Any) -> int:
    """How many candidate lines to gather before reading them in bulk: BULK_ROWS for a reader that makes rows as
    columns (a call costs milliseconds whatever its size), else each block's or batch's at once (its rows are made
    line by line: holding more would only hold more)."""
    return fast_bills.BULK_ROWS if getattr(bulk, "BY_COLUMNS", False) else 0


def _encoded_text(source: Any, read: list[str] | None, tested: list[int] | None, pa: Any) -> list[str]:
    """The tested text columns (`tested`: places among `read`, None for every column) that the file holds
    dictionary-encoded in every row group: read as dictionaries, the word test looks at each distinct value once
    instead of at every row, and the rows that cannot be records never have their text made (a column written
    plain is read plain: made a dictionary, it would cost a hash per value)."""
    schema = source.schema_arrow
    if len(set(schema.names)) != len(schema.names):  # a repeated name cannot be picked by name
        return []
    names = schema.names if read is None else read
    wanted = [names[i] for i in (range(len(names)) if tested is None else tested)]
    meta = source.metadata
    leaves = {meta.schema.column(i).path: i for i in range(meta.num_columns)}  # a top-level column's: its name
    encoded = []
    for name in wanted:
        kind = schema.field(name).type
        if (pa.types.is_string(kind) or pa.types.is_large_string(kind)) and name in leaves and all(
                any("DICTIONARY" in e for e in meta.row_group(g).column(leaves[name]).encodings)
                for g in range(meta.num_row_groups)):
            encoded.append(name)
    return encoded


def _decoded(batch: Any, pa: Any) -> Any:
    """The batch with its dictionary columns (read so for the word test) made plain text again, as the rows' readers
    take them."""
    if not any(pa.types.is_dictionary(f.type) for f in batch.schema):
        return batch
    columns = [c.dictionary_decode() if pa.types.is_dictionary(c.type) else c for c in batch.columns]
    return pa.RecordBatch.from_arrays(columns, schema=pa.schema(
        [pa.field(f.name, f.type.value_type if pa.types.is_dictionary(f.type) else f.type, f.nullable, f.metadata)
         for f in batch.schema]))


def _indices(values: list[int]) -> Any:
    """Row indices as an Arrow array, made by polars: pyarrow's own conversion of a list imports pandas (0.2 to 0.4
    CPU-seconds a process)."""
    import polars as pl

    return pl.Series(values, dtype=pl.Int64).to_arrow()


def flatten(obj: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects as dotted keys (`{"usage": {"amount": 1}}` -> `{"usage.amount": 1}`); lists kept as they are.
    Keys are normalised with snake() part by part."""
    out: dict[str, Any] = {}
    for key, value in obj.items():
        name = f"{prefix}.{snake(str(key))}" if prefix else snake(str(key))
        if isinstance(value, dict) and not prefix.count(".") > 3:
            out.update(flatten(value, name))
            out.setdefault(name, value)  # the whole object too (a map such as product or labels)
        else:
            out[name] = value
    return out


def pick(row: dict[str, Any], *names: str) -> Any:
    """The first present, non-empty value among the column spellings given."""
    for name in names:
        value = row.get(name)
        if value is not None and value != "":
            return value
    return None


def json_value(value: Any) -> Any:
    """A map or list column given as JSON text (CSV exports) parsed; other values as they are."""
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except JSON_ERRORS:
            return value
    return value


def quantity(value: Any, name: str) -> Decimal | None:
    """A usage quantity (may be fractional: 12.48 million tokens) as Decimal; None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise RowError(f"{name} is not a number: {value!r}")
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation as e:
        raise RowError(f"{name} is not a number: {str(value)[:40]!r}") from e
    if not amount.is_finite():
        raise RowError(f"{name} is not a finite number")
    return amount


def whole_tokens(amount: Decimal, name: str) -> int:
    """Tokens from a converted quantity: rounded to the nearest token, never negative or absurd."""
    count = int(amount.to_integral_value())
    if count < 0:
        raise RowError(f"{name} is negative: {amount}")
    if count > MAX_BUCKET_TOKENS:
        raise RowError(f"{name} is implausibly large: {amount}")
    return count


_UNIT_WORDS = (
    (re.compile(r"\b(1\s*m|1,000,000|1000000|million|mtok|m\s*tokens?)\b", re.I), 1_000_000),
    (re.compile(r"\b(1\s*k|1,000|1000|thousand|k\s*tokens?)\b", re.I), 1_000),
    (re.compile(r"^(tokens?|count|units?/tokens?|1)$", re.I), 1),
)


def unit_multiplier(unit: Any) -> int | None:
    """Tokens per unit for a unit string: '1M tokens' -> 1,000,000; '1K tokens' -> 1,000; 'tokens'/'count'
    -> 1; None when the unit does not say (e.g. 'Units')."""
    if not isinstance(unit, str) or not unit.strip():
        return None
    return _unit_multiplier(unit)


@functools.lru_cache(maxsize=1024)
def _unit_multiplier(unit: str) -> int | None:
    text = unit.strip()
    for pattern, multiplier in _UNIT_WORDS:
        if pattern.search(text):
            return multiplier
    return None


# ---- model names as bills spell them ---------------------------------------------------------------------

_EDITION = re.compile(r"\s*\((amazon bedrock edition|bedrock edition|vertex ai)\)\s*$", re.I)
_NUMBER_FIRST = re.compile(r"^claude\s+(\d+(?:[.\s]\d+)?)\s+([a-z]+)$", re.I)


def bill_model(name: Any) -> str | None:
    """Canonical model from a bill's product or service name: 'Claude Sonnet 4.6 (Amazon Bedrock Edition)',
    'Claude 4.6 Sonnet', 'Claude Opus 4 8' (Vertex munges the dot), 'Claude 3 Haiku'. None when unknown."""
    if not isinstance(name, str) or not name.strip():
        return None
    return _bill_model(name)


@functools.lru_cache(maxsize=4096)  # a bill repeats a few product names on every line
def _bill_model(name: str) -> str | None:
    text = _EDITION.sub("", name.strip())
    model = resolve(text).model
    if model is None:
        swapped = _NUMBER_FIRST.match(text)
        if swapped:
            model = resolve(f"Claude {swapped[2]} {swapped[1]}").model
    return model


# AWS usage-type region prefixes (the ones Bedrock bills in; others keep the code as the region).
AWS_REGION_CODES = {
    "USE1": "us-east-1", "USE2": "us-east-2", "USW1": "us-west-1", "USW2": "us-west-2", "CAN1": "ca-central-1",
    "EUC1": "eu-central-1", "EUC2": "eu-central-2", "EUW1": "eu-west-1", "EUW2": "eu-west-2",
    "EUW3": "eu-west-3", "EUN1": "eu-north-1", "EUS1": "eu-south-1", "EUS2": "eu-south-2", "APN1": "ap-northeast-1",
    "APN2": "ap-northeast-2", "APN3": "ap-northeast-3", "APS1": "ap-southeast-1", "APS2": "ap-southeast-2",
    "APS3": "ap-south-1", "APS4": "ap-southeast-3", "APS5": "ap-south-2", "SAE1": "sa-east-1",
    "UGW1": "us-gov-west-1", "UGE1": "us-gov-east-1", "MEC1": "me-central-1", "ILC1": "il-central-1",
}


# ---- telling the unit of a usage amount from its rate ---------------------------------------------------


def _standard_rates() -> dict[str, list[tuple[Any, tuple[Decimal, ...]]]]:
    from finops.models import known_models
    from finops.pricing import builtin_rows

    series: dict[str, list[tuple[Any, tuple[Decimal, ...]]]] = {}
    for row in builtin_rows(known_models()):
        if row.variant == "standard" and row.rates is not None and row.platform in ("*", "bedrock", "vertex"):
            series.setdefault(row.model, []).append((row.valid_from, row.rates))
    for rows in series.values():
        rows.sort(key=lambda r: r[0])
    return series


_RATES: dict[str, list[tuple[Any, tuple[Decimal, ...]]]] | None = None


@functools.lru_cache(maxsize=65536)  # one per model, token class and day of a bill
def list_rate(model: str | None, token_class: str, day: Any) -> Decimal | None:
    """The model's standard list rate ($ per million tokens) for a token class on a day, if known."""
    global _RATES
    if model is None or token_class not in TOKEN_CLASSES:
        return None
    if _RATES is None:
        _RATES = _standard_rates()
    found = None
    for valid_from, rates in _RATES.get(model, []):
        if valid_from <= day:
            found = rates
    if found is None and _RATES.get(model):
        found = _RATES[model][0][1]
    return found[TOKEN_CLASSES.index(token_class)] if found else None


@functools.lru_cache(maxsize=4096)  # a bill repeats a few rates
def unit_from_rate(per_unit: Decimal, list_per_mtok: Decimal) -> int | None:
    """Tokens per unit told by a rate: the multiplier (1, 1,000 or 1,000,000) whose implied $ per million tokens is
    within a factor of 3 of the list rate (discounts and premiums are far smaller than the 1,000x between units)."""
    if per_unit <= 0 or list_per_mtok <= 0:
        return None
    for multiplier in (1_000_000, 1_000, 1):
        implied = per_unit * 1_000_000 / multiplier
        ratio = implied / list_per_mtok
        if Decimal("0.34") <= ratio <= 3:
            return multiplier
    return None


# ---- memoised value parsing for bill lines: a bill repeats the same few timestamps, names and tag sets on
# hundreds of thousands of lines. Only text values are memoised (a failure raises again each time, uncached).


@functools.lru_cache(maxsize=65536)
def _timestamp_text(value: str, name: str) -> datetime:
    return timestamp(value, name)


def line_timestamp(value: Any, name: str) -> datetime:
    """common.timestamp, memoised for text values."""
    return _timestamp_text(value, name) if isinstance(value, str) else timestamp(value, name)


@functools.lru_cache(maxsize=65536)
def _text_text(value: str) -> str | None:
    return text(value)


def line_text(value: Any) -> str | None:
    """common.text, memoised for text values."""
    return _text_text(value) if isinstance(value, str) else text(value)


@functools.lru_cache(maxsize=65536)
def _sorted_json(items: tuple[tuple[str, Any], ...]) -> str:
    return json.dumps(dict(items), sort_keys=True)


def tags_json(tags: dict[str, Any]) -> str:
    """json.dumps(tags, sort_keys=True), memoised for tag sets of text values."""
    if all(type(v) is str for v in tags.values()):  # not 1 and True, which are equal keys but differ in JSON
        return _sorted_json(tuple(tags.items()))
    return json.dumps(tags, sort_keys=True)
