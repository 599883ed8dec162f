"""Fast path for Claude Code transcripts: msgspec decodes the used fields of each candidate line, in C; each
response's best row is built once.

The Python reader (claude_code.py) stays the reference. This path reads a whole file, splits it into lines as
common.iter_lines does, and takes the lines the reference's pre-filter takes (`"usage"` or `"assistant"` in the
line). Each is decoded by msgspec into the Structs below, which declare only the fields the reference reads, with
the types and bounds of a plain line; any line that does not fit (not a JSON object, a value of another type, a
token count out of bounds, a timestamp not in Claude Code's own format) raises and goes to claude_code.handle_line
with its line number, so rejects keep their reason. Where msgspec's values could differ from json.loads', the
line goes there too (checked in tests/test_fast_readers.py):

- msgspec reads keys with escapes and repeated keys as json.loads does (the last one wins, for a whole object
  too), and floats to the same double; it rejects lone surrogate escapes, NaN, Infinity and numbers beyond a
  double (json.loads takes them): those lines raise.
- It skips the fields it does not read without checking their UTF-8: a line that is not ASCII is decoded first
  (the reference reads a line that is not UTF-8 as Latin-1, every value then different).
- Its nesting limit is not json.loads' (both follow the interpreter's recursion limit and the caller's depth): a
  line with DEPTH_GUARD brackets or more goes to the reference.

Lines that are not candidates are blank or whole objects (ignored, as the reference ignores them) or go to the
reference. Of the lines that are rows, each file's best row per message.id is built (finops.schema.KEEP_BEST
within the file: most tokens, then the first line; the other rows are counted as staged, as the reference's rows
are, and deduplication drops them again); rows go out as an Arrow table in ARROW_SCHEMA. Gzip files and files large
enough to hold a line over the reader's limit go to the Python reader whole.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import msgspec
import pyarrow as pa

from finops.schema import ARROW_SCHEMA

from . import claude_code
from .common import (
    GZIP_MAGIC,
    MAX_LINE_BYTES,
    Emitter,
    FileStats,
    decode,
    model_fields,
    money,
    stable_id,
    text,
)
from .usage_fields import _tier, cache_writes

DEPTH_GUARD = 500  # brackets in a line from which it goes to the reference (json.loads' limit: 1,000 less the stack)
# A token count above this goes to the reference: four such counts stay below usage_fields.MAX_REQUEST_TOKENS.
MAX_TOKENS = 10_000_000
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
    type: str | None = None
    message: Message | None = None
    isApiErrorMessage: Any = None  # noqa: N815 (the transcript's own names)
    requestId: str | None = None  # noqa: N815
    sessionId: str | None = None  # noqa: N815
    timestamp: Stamp | None = None
    costUSD: int | float | None = None  # noqa: N815


_decode = msgspec.json.Decoder(Line).decode
_NOT_DECODED = (msgspec.DecodeError, RecursionError)  # ValidationError is a DecodeError


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


def read(path: Path, stats: FileStats, on_row: Callable[[dict[str, Any]], None],
         on_reject: Callable[[str, int, str], None], on_table: Callable[[pa.Table], None]) -> bool:
    """Read one transcript: rows as an Arrow table through on_table, the lines routed to the reference through
    on_row and on_reject. False (nothing read or counted) when the file cannot be read here."""
    try:
        data = path.read_bytes()
    except OSError:
        return False
    lines = data.split(b"\n")
    del data
    if lines[-1] == b"":  # the end of the last line, or an empty file
        lines.pop()
    routed: list[int] = []
    best: dict[Any, tuple[int, int, Line]] = {}
    ignored = staged = 0
    for number, line in enumerate(lines, 1):
        if b'"assistant"' not in line and b'"usage"' not in line:
            if line[:1] == b"{" and line.rstrip(b"\r")[-1:] == b"}" or not line.rstrip(b"\r"):
                ignored += 1  # a whole object or a blank line: what the reference ignores unparsed
            else:
                routed.append(number)
            continue
        if not line.isascii():
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                routed.append(number)
                continue
        if line.count(b"[") + line.count(b"{") >= DEPTH_GUARD:
            routed.append(number)
            continue
        try:
            obj = _decode(line)
        except _NOT_DECODED:
            routed.append(number)
            continue
        message = obj.message
        if obj.type != "assistant":
            if obj.type is None and message is not None and message.role is not None:
                routed.append(number)  # no type: claude_code.is_response decides
            else:
                ignored += 1
            continue
        usage = message.usage if message is not None else None
        if usage is None or obj.isApiErrorMessage is True or message.model == "<synthetic>":  # type: ignore[union-attr]
            ignored += 1
            continue
        if obj.timestamp is None:
            routed.append(number)  # rejected by the reference: missing timestamp
            continue
        details = usage.output_tokens_details
        if details is not None and (details.thinking_tokens or 0) > usage.output_tokens:
            routed.append(number)  # rejected by the reference, with its reason
            continue
        if obj.costUSD is not None and not _plain_cost(obj.costUSD):
            routed.append(number)
            continue
        w5, w1, _ = _cache_writes(usage)
        total = usage.input_tokens + usage.output_tokens + (usage.cache_read_input_tokens or 0) + w5 + w1
        key = message.id or number  # type: ignore[union-attr]  # no id: a record of its own line
        kept = best.get(key)
        if kept is None or total > kept[0]:
            best[key] = (total, number, obj)
        staged += 1
    stats.rows_read += staged
    stats.rows_staged += staged
    stats.lines_ignored += ignored
    if best:
        on_table(_table(path, stats.path, sorted((n, obj) for _, n, obj in best.values())))
    if routed:
        emit = Emitter(stats, on_row, on_reject)
        project = claude_code.project_of(path)
        for number in routed:
            claude_code.handle_line(decode(lines[number - 1]), number, project, path, emit)
    return True


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


# The columns _table fills from each line, in the order of its tuples; the model's come from common.model_fields.
COLUMNS = ["record_id", "source_line", "charge_period_start", "session_id", "request_id", "stop_reason",
           "model_raw", "model", "platform", "endpoint_scope", "region", "input_tokens", "cache_write_5m_tokens",
           "cache_write_1h_tokens", "cache_ttl_assumed", "cache_read_tokens", "output_tokens", "thinking_tokens",
           "thinking_estimated", "web_search_requests", "service_tier", "speed", "inference_geo", "source_cost"]
MODEL_COLUMNS = ("model_raw", "model", "platform", "endpoint_scope", "region")


def _table(path: Path, name: str, rows: list[tuple[int, Line]]) -> pa.Table:
    """The rows of these lines, as claude_code._record and usage_fields.usage_columns make them."""
    out: list[tuple[Any, ...]] = []
    models: dict[str | None, tuple[Any, ...]] = {}
    texts: dict[str | None, str | None] = {None: None}
    fromiso = datetime.fromisoformat
    for number, obj in rows:
        message: Message = obj.message  # type: ignore[assignment]
        usage: Usage = message.usage  # type: ignore[assignment]
        session, stop = obj.sessionId, message.stop_reason
        if session not in texts:
            texts[session] = text(session)
        if stop not in texts:
            texts[stop] = text(stop)
        model = models.get(message.model)
        if model is None:
            fields = model_fields(message.model)
            model = models[message.model] = tuple(fields[c] for c in MODEL_COLUMNS)
        w5, w1, assumed = _cache_writes(usage)
        thinking = usage.output_tokens_details.thinking_tokens if usage.output_tokens_details is not None else None
        searches = usage.server_tool_use.web_search_requests if usage.server_tool_use is not None else None
        geo = text(usage.inference_geo)
        out.append((
            stable_id(claude_code.FORMAT, message.id) if message.id else stable_id(claude_code.FORMAT, path, number),
            number,
            fromiso(obj.timestamp[:-1]),  # type: ignore[index]  # Stamp's form: UTC, naive as the reference makes it
            texts[session], text(obj.requestId), texts[stop], *model,
            usage.input_tokens, w5, w1, assumed, usage.cache_read_input_tokens or 0, usage.output_tokens,
            thinking, False if thinking is not None else None, searches or 0, _tier(usage.service_tier),
            "fast" if usage.speed == "fast" else "standard", geo.lower() if geo else None,
            money(obj.costUSD, "costUSD") if obj.costUSD is not None else None))
    n = len(out)
    columns = dict(zip(COLUMNS, zip(*out, strict=True), strict=True))
    constant = {"source_format": claude_code.FORMAT, "source_file": name, "granularity": "request",
                "grouping": "request", "project": text(claude_code.project_of(path)), "requests": 1}
    arrays = []
    for field in ARROW_SCHEMA:
        if field.name in columns:
            arrays.append(pa.array(columns[field.name], field.type))
        elif field.name in constant:
            arrays.append(pa.array([constant[field.name]] * n, field.type))
        else:
            arrays.append(pa.nulls(n, field.type))
    return pa.Table.from_arrays(arrays, schema=ARROW_SCHEMA)
