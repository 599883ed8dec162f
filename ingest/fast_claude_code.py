"""Fast path for Claude Code transcripts: msgspec decodes the used fields of every line, in C, a chunk of lines
at a time; each response's best row is built once, a column at a time.

The Python reader (claude_code.py) stays the reference. This path reads a whole file and splits it, a chunk
(CHUNK_BYTES) at a time, into lines as common.iter_lines does. Every line of a chunk is decoded by msgspec into the
Structs below (one C call per line through map, no Python per line), which declare only the fields the reference
reads, with the types and bounds of a plain line; a line that does not fit (blank, not a JSON object, a value of
another type, a token count out of bounds, a timestamp not in Claude Code's own format) raises and is read alone
(_line): the reference's pre-filter (`"usage"` or `"assistant"` in the line) ignores it or it goes to
claude_code.handle_line with its line number, so rejects keep their reason. A line msgspec decodes is a JSON
object, which the pre-filter ignores unparsed when it holds neither word, and the reference parses when it holds
one: it is a row only when its type is written "assistant" unescaped (which passes the pre-filter); an escaped type
goes to the reference. Where msgspec's values could differ from json.loads', the line goes there too (checked in
tests/test_fast_readers.py):

- msgspec reads keys with escapes and repeated keys as json.loads does (the last one wins, for a whole object
  too), and floats to the same double; it rejects lone surrogate escapes, NaN, Infinity and numbers beyond a
  double (json.loads takes them): those lines raise.
- It skips the fields it does not read without checking their UTF-8: a chunk that is not ASCII is decoded first,
  and if it is not UTF-8 its lines are read alone (the reference reads a line that is not UTF-8 as Latin-1, every
  value then different).
- Its nesting limit is not json.loads' (both follow the interpreter's recursion limit and the caller's depth): a
  line with DEPTH_GUARD opening brackets or more goes to the reference (found in a chunk's brackets, not line by
  line).

Of the lines that are rows, each file's best row per message.id is built (finops.schema.KEEP_BEST within the file:
most tokens, then the first line; the other rows are counted as staged, as the reference's rows are, and
deduplication drops them again); rows go out as Rows, Python lists that the Stager inserts into DuckDB through a file
of JSON columns (Rows.insert), without pyarrow. Gzip files and files large enough to hold a line over the reader's
limit go to the Python reader whole.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import duckdb
import msgspec

from finops.schema import COLUMNS

from . import claude_code
from .common import (
    GZIP_MAGIC,
    MAX_LINE_BYTES,
    Emitter,
    FileStats,
    decode,
    id_of_joined,
    id_parts,
    model_fields,
    money,
    stable_id,
    text,
)
from .usage_fields import _tier, cache_writes

if TYPE_CHECKING:
    import pyarrow as pa

DEPTH_GUARD = 500  # brackets in a line from which it goes to the reference (json.loads' limit: 1,000 less the stack)
# A token count above this goes to the reference: four such counts stay below usage_fields.MAX_REQUEST_TOKENS.
MAX_TOKENS = 10_000_000
NULL = msgspec.Raw(b"null")  # a missing or null type
ASSISTANT = msgspec.Raw(b'"assistant"')
Tokens = Annotated[int, msgspec.Meta(ge=0, le=MAX_TOKENS)]
# Claude Code's own timestamps: UTC, milliseconds (or microseconds), a real date from 2020 to 2099; any other
# form goes to the reference's common.timestamp.
_DAY = (r"(?:20[2-9][0-9]-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
        r"|02-(?:0[1-9]|1[0-9]|2[0-8]))|20(?:[2468][048]|[3579][26])-02-29)")
Stamp = Annotated[str, msgspec.Meta(pattern=rf"^{_DAY}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{{3}}"
                                            r"|\.[0-9]{6})?Z$")]


class Split(msgspec.Struct):
    ephemeral_5m_input_tokens: Tokens | None = None
    ephemeral_1h_input_tokens: Tokens | None = None


class Details(msgspec.Struct):
    thinking_tokens: Tokens | None = None


class Server(msgspec.Struct):
    web_search_requests: Tokens | None = None


class Usage(msgspec.Struct):
    input_tokens: Tokens  # required: missing or null raises (the reference rejects it)
    output_tokens: Tokens
    cache_creation_input_tokens: Tokens | None = None
    cache_read_input_tokens: Tokens | None = None
    cache_creation: Split | None = None
    output_tokens_details: Details | None = None
    server_tool_use: Server | None = None
    service_tier: Any = None
    speed: Any = None
    inference_geo: str | None = None


class Message(msgspec.Struct):
    id: str | None = None
    model: str | None = None
    role: Any = None
    stop_reason: str | None = None
    usage: Usage | None = None


class Line(msgspec.Struct):
    # As written, not decoded: "assistant" only where the line holds it unescaped, so that the line passes the
    # reference's pre-filter (an escaped type, which json.loads would read as "assistant", goes to the reference).
    type: msgspec.Raw = NULL
    message: Message | None = None
    isApiErrorMessage: Any = None  # noqa: N815 (the transcript's own names)
    requestId: str | None = None  # noqa: N815
    sessionId: str | None = None  # noqa: N815
    timestamp: Stamp | None = None
    costUSD: int | float | None = None  # noqa: N815


_decode = msgspec.json.Decoder(Line).decode
_NOT_DECODED = (msgspec.DecodeError, RecursionError)  # ValidationError is a DecodeError
CHUNK_BYTES = 256 * 1024  # a file's lines are split and decoded a chunk at a time (a chunk ends at a line end)
# What is left of a chunk without these bytes is each line's opening brackets, one line's on a line.
_NOT_OPENING = bytes(b for b in range(256) if b not in b"[{\n")
_DEEP = re.compile(rb"[^\n]{%d}" % DEPTH_GUARD)


def eligible(path: Path) -> bool:
    """Whether a file can take the fast path (else the Python reader reads it whole)."""
    if os.environ.get("FINOPS_NO_FAST_PATH"):
        return False
    try:
        if path.stat().st_size >= MAX_LINE_BYTES:  # read whole: no line can then exceed the reader's limit
            return False
        with open(path, "rb") as f:
            return f.read(2) != GZIP_MAGIC
    except OSError:
        return False


class _File:
    """What the lines of one file gave so far."""

    __slots__ = ("best", "routed", "ignored", "staged")

    def __init__(self) -> None:
        self.best: dict[Any, tuple[int, int, Line]] = {}  # message.id (or line number): (tokens, line, line's object)
        self.routed: list[tuple[int, bytes]] = []  # lines for the reference (claude_code.handle_line)
        self.ignored = 0
        self.staged = 0


def read(path: Path, stats: FileStats, on_row: Callable[[dict[str, Any]], None],
         on_reject: Callable[[str, int, str], None], on_table: Callable[[Rows], None]) -> bool:
    """Read one transcript: rows as Rows through on_table, the lines routed to the reference through
    on_row and on_reject. False (nothing read or counted) when the file cannot be read here."""
    try:
        data = path.read_bytes()
    except OSError:
        return False
    found = _File()
    # The lines are data split at each line end, less the empty text after the last one (common.iter_lines).
    end = len(data) - 1 if data.endswith(b"\n") else len(data)
    start, number = 0, 1
    while data:  # b"\n" too: one empty line (end 0)
        stop = data.find(b"\n", start + CHUNK_BYTES, end)
        if stop < 0:
            stop = end
        number += _chunk(data[start:stop], number, found)
        if stop == end:
            break
        start = stop + 1
    del data
    stats.rows_read += found.staged
    stats.rows_staged += found.staged
    stats.lines_ignored += found.ignored
    if found.best:
        on_table(_rows(path, stats.path, sorted((n, obj) for _, n, obj in found.best.values())))
    if found.routed:
        emit = Emitter(stats, on_row, on_reject)
        project = claude_code.project_of(path)
        for number, line in sorted(found.routed):
            claude_code.handle_line(decode(line), number, project, path, emit)
    return True


def _chunk(chunk: bytes, first: int, found: _File) -> int:
    """The lines of a chunk, the first numbered first: each decoded by msgspec, without a line of Python each when
    the chunk is UTF-8 (each of its lines then is); the others read alone (_line). Returns the number of lines."""
    lines = chunk.split(b"\n")
    if not chunk.isascii():
        try:
            chunk.decode("utf-8")
        except UnicodeDecodeError:
            for i, line in enumerate(lines):
                _line(line, first + i, found)
            return len(lines)
    alone: set[int] = set()  # read alone: lines with DEPTH_GUARD opening brackets or more, lines msgspec refuses
    openings = chunk.translate(None, _NOT_OPENING)
    if _DEEP.search(openings):
        alone = {openings.count(b"\n", 0, match.start()) for match in _DEEP.finditer(openings)}
    items: list[Line | None] = []
    each = iter(lines)
    while True:
        try:
            items.extend(map(_decode, each))  # on an error the lines before it are kept, and it goes on after it
            break
        except _NOT_DECODED:
            alone.add(len(items))
            items.append(None)
    for i, obj in enumerate(items):
        if obj is None or i in alone:
            _line(lines[i], first + i, found)
        elif _take(obj, first + i, found):
            found.routed.append((first + i, lines[i]))
    return len(lines)


def _line(line: bytes, number: int, found: _File) -> None:
    """One line read alone: the reference's pre-filter, then msgspec (the lines it cannot read as the reference
    does go to the reference)."""
    if b'"assistant"' not in line and b'"usage"' not in line:
        if line[:1] == b"{" and line.rstrip(b"\r")[-1:] == b"}" or not line.rstrip(b"\r"):
            found.ignored += 1  # a whole object or a blank line: what the reference ignores unparsed
        else:
            found.routed.append((number, line))
        return
    if not line.isascii():
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            found.routed.append((number, line))
            return
    if line.count(b"[") + line.count(b"{") >= DEPTH_GUARD:
        found.routed.append((number, line))
        return
    try:
        obj = _decode(line)
    except _NOT_DECODED:
        found.routed.append((number, line))
        return
    if _take(obj, number, found):
        found.routed.append((number, line))


def _take(obj: Line, number: int, found: _File) -> bool:
    """A decoded line counted as a row (kept if it is its record's best so far) or ignored; True when it must go
    to the reference instead."""
    message = obj.message
    kind = obj.type
    if kind != ASSISTANT:
        if kind == NULL:  # no type: claude_code.is_response decides
            if message is not None and message.role is not None:
                return True
        elif b"\\" in bytes(kind):  # an escaped type may read as "assistant"
            return True
        found.ignored += 1
        return False
    usage = message.usage if message is not None else None
    if usage is None or obj.isApiErrorMessage is True or message.model == "<synthetic>":  # type: ignore[union-attr]
        found.ignored += 1
        return False
    if obj.timestamp is None:
        return True  # rejected by the reference: missing timestamp
    details = usage.output_tokens_details
    if details is not None and (details.thinking_tokens or 0) > usage.output_tokens:
        return True  # rejected by the reference, with its reason
    if obj.costUSD is not None and not _plain_cost(obj.costUSD):
        return True
    w5, w1, _ = _cache_writes(usage)
    total = usage.input_tokens + usage.output_tokens + (usage.cache_read_input_tokens or 0) + w5 + w1
    key = message.id or number  # type: ignore[union-attr]  # no id: a record of its own line
    kept = found.best.get(key)
    if kept is None or total > kept[0]:
        found.best[key] = (total, number, obj)
    found.staged += 1
    return False


def _cache_writes(usage: Usage) -> tuple[int, int, bool]:
    """usage_fields.cache_writes of a decoded usage: the reference's rule, never a second copy of it."""
    split = usage.cache_creation
    written = usage.cache_creation_input_tokens or 0
    if split is None:
        return cache_writes(written)
    return cache_writes(written, split.ephemeral_5m_input_tokens or 0, split.ephemeral_1h_input_tokens or 0)


def _plain_cost(value: int | float) -> bool:
    try:
        money(value, "costUSD")
    except ValueError:  # RowError: the reference rejects it, with its reason
        return False
    return True


MODEL_COLUMNS = ("model_raw", "model", "platform", "endpoint_scope", "region")


# How Rows.insert reads each column from JSON: its DuckDB type, but timestamps and amounts as the text msgspec
# writes (a Stamp; a Decimal's digits), cast by DuckDB as it casts text.
_JSON_TYPES = {name: "VARCHAR" if duck == "TIMESTAMP" or duck.startswith("DECIMAL") else duck
               for name, duck, _, _ in COLUMNS}
_DUCK_TYPES = {name: duck for name, duck, _, _ in COLUMNS}
_encode = msgspec.json.Encoder().encode
LINE_ROWS = 2_048  # rows per line of the JSON file Rows.insert writes: DuckDB parses a line's object whole


class Rows:
    """Rows as a Python list per column of ARROW_SCHEMA (the columns a transcript leaves empty are absent), which
    the Stager gathers over files and inserts together (insert): per file and column, a conversion costs as much
    as the rows of a small file."""

    __slots__ = ("columns", "num_rows")

    def __init__(self, columns: dict[str, list[Any]] | None = None) -> None:
        self.columns: dict[str, list[Any]] = columns if columns is not None else {}
        self.num_rows = len(next(iter(self.columns.values()))) if self.columns else 0

    def extend(self, other: Rows) -> None:
        if not self.columns:
            self.columns = {name: [] for name in other.columns}
        for name, values in other.columns.items():
            self.columns[name].extend(values)
        self.num_rows += other.num_rows

    def insert(self, con: duckdb.DuckDBPyConnection, table: str) -> None:
        """Insert the rows into table (an internal name): the columns written by msgspec (in C) to a temporary file,
        LINE_ROWS rows a line (one JSON object of columns), which DuckDB reads and unnests. Not through Arrow:
        pyarrow's import alone costs 0.12 CPU-seconds and 75 MiB of resident memory (bench/RESULTS.md). The rows
        staged equal the reference's (tests/test_fast_readers.py)."""
        names = [name for name in _DUCK_TYPES if name in self.columns]
        # Names and types are the schema's constants; the file's name is a parameter.
        columns = ", ".join(f"'{name}': '{_JSON_TYPES[name]}[]'" for name in names)
        select = ", ".join(f"CAST(unnest({name}) AS {_DUCK_TYPES[name]}) AS {name}" for name in names)
        # One DuckDB thread for it: with two, DuckDB's JSON reader kept 30 to 100 MiB more (peak RSS of ingest.load
        # on 1 GB: 167-169 MiB against 199-267), for a step that takes a tenth of reading's CPU.
        threads = con.execute("SELECT current_setting('threads')").fetchone()[0]  # type: ignore[index]
        handle, path = tempfile.mkstemp(prefix="finops-rows-", suffix=".json")
        try:
            longest = 0
            with os.fdopen(handle, "wb") as f:
                for i in range(0, self.num_rows, LINE_ROWS):  # a line at a time: never the whole text in memory
                    line = _encode({name: values[i:i + LINE_ROWS] for name, values in self.columns.items()})
                    f.write(line + b"\n")
                    longest = max(longest, len(line))
            con.execute("SET threads = 1")
            try:
                con.execute(f"INSERT INTO {table} BY NAME SELECT {select} FROM read_json(?, columns = {{{columns}}}, "
                            f"format = 'newline_delimited', maximum_object_size = {longest + 1})", [path])
            except BaseException:
                # The caller's transaction may now be aborted, where DuckDB refuses even a SET: the error that
                # matters is the INSERT's, not that one (the failed run does not use the connection again).
                with contextlib.suppress(duckdb.Error):
                    con.execute(f"SET threads = {int(threads)}")
                raise
            con.execute(f"SET threads = {int(threads)}")
        finally:
            with contextlib.suppress(OSError):
                os.remove(path)  # it holds rows (session and request ids): never left behind

    def to_table(self) -> pa.Table:
        """The rows as an Arrow table in ARROW_SCHEMA (for the callers that take tables: ingest.read_apart)."""
        import pyarrow as pa

        from finops.schema import ARROW_SCHEMA

        from . import arrow_columns

        n = self.num_rows
        arrays = []
        for field in ARROW_SCHEMA:
            values = self.columns.get(field.name)
            if values is None:
                arrays.append(pa.nulls(n, field.type))
            elif field.name == "charge_period_start":
                # Stamp's form only (UTC, to the microsecond at most): Arrow reads it as the reference does
                stamps = arrow_columns.strings(values)
                arrays.append(stamps.cast(pa.timestamp("us", "UTC")).cast(field.type))
            else:
                arrays.append(arrow_columns.column(values, field.type))
        return pa.Table.from_arrays(arrays, schema=ARROW_SCHEMA)


def _rows(path: Path, name: str, rows: list[tuple[int, Line]]) -> Rows:
    """The rows of these lines, as claude_code._record and usage_fields.usage_columns make them: a column at a
    time, each text value cleaned once."""
    n = len(rows)
    numbers = [number for number, _ in rows]
    lines = [obj for _, obj in rows]
    messages: list[Message] = [obj.message for obj in lines]  # type: ignore[misc]
    usages: list[Usage] = [message.usage for message in messages]  # type: ignore[misc]
    texts: dict[str | None, str | None] = {}
    def cleaned(values: list[str | None]) -> list[str | None]:
        return [texts[v] if v in texts else texts.setdefault(v, text(v)) for v in values]

    repeated = id_parts(claude_code.FORMAT, "")  # the part of each id that every row repeats (common.id_parts)
    ids = [id_of_joined(repeated + message.id) if message.id else stable_id(claude_code.FORMAT, path, number)
           for message, number in zip(messages, numbers, strict=True)]
    models: dict[str | None, tuple[Any, ...]] = {}
    for message in messages:
        if message.model not in models:
            fields = model_fields(message.model)
            models[message.model] = tuple(fields[c] for c in MODEL_COLUMNS)
    writes = [_cache_writes(usage) for usage in usages]
    details = [usage.output_tokens_details for usage in usages]
    thinking = [d.thinking_tokens if d is not None else None for d in details]
    searches = [usage.server_tool_use.web_search_requests if usage.server_tool_use is not None else None
                for usage in usages]
    geos = [geo.lower() if geo else None for geo in cleaned([usage.inference_geo for usage in usages])]
    columns: dict[str, Any] = {
        "record_id": ids,
        "source_line": numbers,
        # Stamp's form only (UTC, to the microsecond at most): Arrow reads it as the reference does, naive UTC
        "charge_period_start": [obj.timestamp for obj in lines],
        "session_id": cleaned([obj.sessionId for obj in lines]),
        "request_id": cleaned([obj.requestId for obj in lines]),
        "stop_reason": cleaned([message.stop_reason for message in messages]),
        **dict(zip(MODEL_COLUMNS, zip(*(models[message.model] for message in messages), strict=True), strict=True)),
        "input_tokens": [usage.input_tokens for usage in usages],
        "cache_write_5m_tokens": [w[0] for w in writes],
        "cache_write_1h_tokens": [w[1] for w in writes],
        "cache_ttl_assumed": [w[2] for w in writes],
        "cache_read_tokens": [usage.cache_read_input_tokens or 0 for usage in usages],
        "output_tokens": [usage.output_tokens for usage in usages],
        "thinking_tokens": thinking,
        "thinking_estimated": [False if t is not None else None for t in thinking],
        "web_search_requests": [s or 0 for s in searches],
        "service_tier": [_tier(usage.service_tier) for usage in usages],
        "speed": ["fast" if usage.speed == "fast" else "standard" for usage in usages],
        "inference_geo": geos,
        "source_cost": [money(obj.costUSD, "costUSD") if obj.costUSD is not None else None for obj in lines],
    }
    project = text(claude_code.project_of(path))
    columns.update({"source_format": [claude_code.FORMAT] * n, "source_file": [name] * n,
                    "granularity": ["request"] * n, "grouping": ["request"] * n, "project": [project] * n,
                    "requests": [1] * n})
    return Rows(columns)
