"""Shared reading machinery: open (gzip too), split lines safely, parse values, and emit rows or rejects."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from isal import isal_zlib

from finops.models import resolve
from finops.redact import mask

MAX_LINE_BYTES = 64 * 1024 * 1024  # one JSON line larger than this is rejected, not loaded into memory
GZIP_MAGIC = b"\x1f\x8b"
# A gzip file may expand to at most MAX_GZIP_RATIO times the compressed bytes read so far (checked once
# GZIP_RATIO_FLOOR bytes have come out), so reading it costs at most that many times its size. The most
# compressible genuine inputs measured reach ~160x (a pretty-printed usage report of empty days, request logs
# repeating a long system prompt: ~140x); deflate tops out near 1,032x, which is what a decompression bomb uses.
# Past the limit reading stops with a file-level error (tests/test_hostile.py, "gzip").
MAX_GZIP_RATIO = 400
GZIP_RATIO_FLOOR = 1024 * 1024
_GZIP_CHUNK = 256 * 1024  # decompressed bytes per read
_GZIP_IN = 16 * 1024  # compressed bytes per file read


class RowError(ValueError):
    """A record that cannot be used; its message is the reject reason."""


class DecompressionLimit(OSError):
    """A gzip file that expands far beyond what any log compresses to (a decompression bomb)."""


class _BoundedGzip(io.RawIOBase):
    """The decompressed bytes of a gzip file (any number of members), stopping when the expansion is absurd.

    The inflater (ISA-L's, with zlib's interface: about twice zlib's speed, bench/RESULTS.md) is driven directly
    rather than through GzipFile so that the compressed bytes actually consumed are known exactly (GzipFile reads
    ahead by an amount that depends on the Python version): the ratio check then stops a bomb right after
    GZIP_RATIO_FLOOR. Errors are the ones GzipFile raises: EOFError for a file that ends inside a member,
    BadGzipFile for bytes after a member that are not another member (zero padding is allowed), BadGzipFile for
    corrupt data or a failed CRC check.
    """

    def __init__(self, path: Path) -> None:
        self._raw = open(path, "rb")  # noqa: SIM115 (closed by close())
        self._z = isal_zlib.decompressobj(wbits=31)  # one gzip member; a new one for each further member
        self._buf = b""  # compressed bytes read from the file and not yet consumed by the inflater
        self._started = False  # the current member has begun
        self._in = 0  # compressed bytes consumed
        self._out = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        want = min(len(view), _GZIP_CHUNK)
        while True:
            if not self._buf:
                self._buf = self._raw.read(_GZIP_IN)
                if not self._buf:
                    if self._started and not self._z.eof:
                        raise EOFError("Compressed file ended before the end-of-stream marker was reached")
                    return 0
            if self._z.eof:  # a member ended: zero padding, the end, or another member
                stripped = self._buf.lstrip(b"\x00")
                self._in += len(self._buf) - len(stripped)
                self._buf = stripped
                if not stripped:
                    continue
                if not GZIP_MAGIC.startswith(stripped[:2]):
                    raise gzip.BadGzipFile(f"Not a gzipped file ({stripped[:2]!r})")
                self._z = isal_zlib.decompressobj(wbits=31)
                self._started = False
            chunk = self._buf
            try:
                data = self._z.decompress(chunk, want)
            except isal_zlib.error as e:
                raise gzip.BadGzipFile(f"corrupt gzip data: {e}") from e
            self._started = True
            self._buf = self._z.unconsumed_tail or self._z.unused_data
            self._in += len(chunk) - len(self._buf)
            if data:
                break
        view[: len(data)] = data
        self._out += len(data)
        if self._out > GZIP_RATIO_FLOOR and self._out > MAX_GZIP_RATIO * self._in:
            raise DecompressionLimit(
                f"gzip expands over {MAX_GZIP_RATIO}x ({self._out // 2**20} MiB from {self._in // 1024} KiB),"
                " which no log does: reading stopped as a likely decompression bomb; if the file is genuine,"
                " decompress it and pass the plain file")
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


def open_binary(path: Path) -> IO[bytes]:
    """Open a file for reading, transparently decompressing gzip (detected by content, not name).

    A gzip file is read through a ratio limit (MAX_GZIP_RATIO), so time and memory stay bounded by the size
    of the compressed file whatever it expands to.
    """
    with open(path, "rb") as probe:
        magic = probe.read(2)
    if magic == GZIP_MAGIC:
        return io.BufferedReader(_BoundedGzip(path), buffer_size=_GZIP_CHUNK)
    return open(path, "rb", buffering=_GZIP_CHUNK)  # not 8 KB: a request log's line alone is tens of KB


def decode(raw: bytes) -> str:
    """Decode one line: UTF-8 (a BOM is dropped), else Latin-1, which never fails and keeps every byte."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return text.lstrip("\ufeff").rstrip("\r\n")


@dataclass
class LineTooLong:
    """Marker yielded instead of a line that exceeded MAX_LINE_BYTES (the rest of it is skipped)."""

    size: int


def iter_lines(stream: IO[bytes], max_bytes: int = MAX_LINE_BYTES) -> Iterator[tuple[int, str | LineTooLong]]:
    """Yield (line number, text) without ever holding more than max_bytes of one line."""
    number = 0
    while True:
        raw = stream.readline(max_bytes + 1)
        if not raw:
            return
        number += 1
        if len(raw) > max_bytes and not raw.endswith(b"\n"):
            size = len(raw)
            while True:  # skip the rest of the oversized line
                more = stream.readline(max_bytes)
                size += len(more)
                if not more or more.endswith(b"\n"):
                    break
            yield number, LineTooLong(size)
            continue
        yield number, decode(raw)


READ_ERRORS = (OSError, EOFError, isal_zlib.error, gzip.BadGzipFile)
# json.loads raises RecursionError (not ValueError) on deeply nested input: both make an invalid line.
JSON_ERRORS = (ValueError, RecursionError)


def json_lines(stream: IO[bytes], emit: Emitter, prefix: re.Pattern[str] | None = None,
               unit: str = "line", loads: Callable[[str], Any] = json.loads) -> Iterator[tuple[int, Any]]:
    """Yield (line number, parsed JSON) for each non-blank line; over-long and unparsable lines are rejected.

    prefix: text to drop from the start of a line before parsing (e.g. a CloudWatch timestamp); unit: what a
    line holds, for the reject reason ("page" for report pages); loads: json.loads or one that parses the same.
    """
    for number, line in iter_lines(stream):
        if isinstance(line, LineTooLong):
            emit.reject(number, f"line too long: {line.size} bytes")
            continue
        if not line.strip():
            continue
        try:
            parsed = loads(prefix.sub("", line, count=1) if prefix else line)
        except JSON_ERRORS:
            emit.reject(number, f"invalid JSON: truncated or malformed {unit}")
            continue
        yield number, parsed


MAX_DOCUMENT_BYTES = 256 * 1024 * 1024  # a file read as one JSON document (not line by line) may be this large


class _Replay:
    """A byte stream that first gives back lines already read, then the rest of the stream (for readline)."""

    def __init__(self, lines: list[bytes], stream: IO[bytes]) -> None:
        self._lines = lines
        self._stream = stream

    def readline(self, limit: int = -1) -> bytes:
        return self._lines.pop(0) if self._lines else self._stream.readline(limit)


def json_records(stream: IO[bytes], emit: Emitter, prefix: re.Pattern[str] | None = None,
                 unit: str = "line") -> Iterator[tuple[int, Any]]:
    """Yield (line, parsed JSON) for each record of a file that is JSON Lines (streamed, as json_lines) or, when
    its first line is not a JSON object on its own, a document: one JSON object, an array of them, or objects one
    after another, pretty-printed (as copied from a console or documentation). A document's records are counted,
    not its lines: each is numbered by the line it starts on. A document is read whole, up to MAX_DOCUMENT_BYTES.
    """
    read: list[bytes] = []
    while raw := stream.readline(MAX_LINE_BYTES + 1):
        read.append(raw)
        if raw.strip():
            break
    if not read:
        return
    first = decode(read[-1]).strip()
    if len(read[-1]) > MAX_LINE_BYTES or _is_object(prefix.sub("", first, count=1) if prefix else first):
        yield from json_lines(_Replay(read, stream), emit, prefix, unit)
        return
    body = b"".join(read) + stream.read(MAX_DOCUMENT_BYTES)
    if stream.read(1):
        emit.stats.error = f"a JSON document larger than {MAX_DOCUMENT_BYTES} bytes: not read"
        return
    try:
        text_body = body.decode("utf-8")
    except UnicodeDecodeError:  # as the line readers do: Latin-1 never fails and keeps every byte
        text_body = body.decode("latin-1")
    yield from json_document(text_body.lstrip("\ufeff"), emit)


def _is_object(line: str) -> bool:
    if not line.startswith("{"):
        return False
    try:
        return isinstance(json.loads(line), dict)
    except JSON_ERRORS:
        return False


_SPACE = re.compile(r"[ \t\r\n]*")
_DECODER = json.JSONDecoder()
_NEXT_ELEMENT = re.compile(r"\}\s*,\s*\{")  # where one object of an array ends and the next begins


def json_document(body: str, emit: Emitter) -> Iterator[tuple[int, Any]]:
    """Yield (line, value) for each top-level JSON value of body, and for each element of a top-level array.

    A value that does not parse is rejected at the line it starts on; reading goes on at the next line that
    starts, as it did, a value at the same indentation (the next record of a pretty-printed file).
    """
    pos, line, counted = _SPACE.match(body).end(), 1, 0  # type: ignore[union-attr]
    depth = 0  # 1 inside a top-level array
    while pos < len(body):
        line += body.count("\n", counted, pos)
        counted = pos
        if depth == 0 and body[pos] == "[":
            depth, pos = 1, _SPACE.match(body, pos + 1).end()  # type: ignore[union-attr]
            continue
        if depth == 1 and body[pos] == "]":
            depth, pos = 0, _SPACE.match(body, pos + 1).end()  # type: ignore[union-attr]
            continue
        try:
            value, end = _DECODER.raw_decode(body, pos)
        except JSON_ERRORS:
            emit.reject(line, "invalid JSON: truncated or malformed record")
            indent = re.escape(body[body.rfind("\n", 0, pos) + 1:pos])
            next_line = body.find("\n", pos)
            resume = re.compile(rf"^{indent}[{{\[]", re.M).search(body, next_line + 1) if next_line >= 0 else None
            if resume is None:
                if _NEXT_ELEMENT.search(body, pos):  # more records follow on the same line: say they are lost
                    emit.stats.error = (f"a malformed record at line {line} of a JSON array written on one line: "
                                        "the records after it could not be told apart and were not read")
                return
            pos = resume.end() - 1
            continue
        yield line, value
        pos = _SPACE.match(body, end).end()  # type: ignore[union-attr]
        if pos < len(body) and body[pos] == ",":  # between array elements (or objects copied with commas)
            pos = _SPACE.match(body, pos + 1).end()  # type: ignore[union-attr]


# ---- value parsing: strict, so bad values become rejects instead of silent zeros -------------------------


def tokens(value: Any, name: str, *, required: bool = False) -> int | None:
    """A token count: a non-negative integer (or a string of one). Absent -> None unless required."""
    if value is None or value == "":
        if required:
            raise RowError(f"missing {name}")
        return None
    if isinstance(value, bool):
        raise RowError(f"{name} is not a number: {value!r}")
    if isinstance(value, float):
        if not value.is_integer():
            raise RowError(f"{name} is not a whole number: {value!r}")
        value = int(value)
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        if not text.lstrip("-").isdigit():
            raise RowError(f"{name} is not a number: {value[:40]!r}")
        value = int(text)
    if not isinstance(value, int):
        raise RowError(f"{name} is not a number: {type(value).__name__}")
    if value < 0:
        raise RowError(f"{name} is negative: {value}")
    if value > 10**13:
        raise RowError(f"{name} is implausibly large: {value}")
    return value


_TS_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d")


def timestamp(value: Any, name: str = "timestamp") -> datetime:
    """Parse a timestamp into naive UTC. ISO 8601 with any offset, 'Z', dates, or epoch seconds/ms."""
    if value is None or value == "":
        raise RowError(f"missing {name}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > 1e11 else value
        try:
            stamp = datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)
        except (OverflowError, OSError, ValueError) as e:
            raise RowError(f"{name} out of range: {value!r}") from e
        if not 2020 <= stamp.year <= 2100:  # the same range as for text timestamps
            raise RowError(f"{name} out of range: {value!r}")
        return stamp
    if not isinstance(value, str):
        raise RowError(f"{name} is not a timestamp: {type(value).__name__}")
    text = value.strip()
    iso = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    iso = iso.replace(" UTC", "+00:00")
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        parsed = None
        for fmt in _TS_FORMATS:
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if parsed is None:
            raise RowError(f"{name} is not a timestamp: {text[:40]!r}") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    if not 2020 <= parsed.year <= 2100:
        raise RowError(f"{name} out of range: {text[:40]!r}")
    return parsed


MAX_AMOUNT = Decimal(10) ** 12  # what the table's DECIMAL(18,6) holds; a larger stated cost is corrupt


def money(value: Any, name: str) -> Decimal | None:
    """A money amount as Decimal (never float arithmetic); None when absent."""
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as e:
        raise RowError(f"{name} is not an amount: {str(value)[:40]!r}") from e
    if not amount.is_finite():
        raise RowError(f"{name} is not a finite amount")
    if abs(amount) >= MAX_AMOUNT:
        raise RowError(f"{name} is implausibly large: {str(value)[:40]!r}")
    return amount.quantize(Decimal("0.000001"))


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MAX_TEXT = 500
# A JSON escape such as \ud800 decodes to a lone surrogate: Python keeps it in a str, but it is not Unicode text
# and nothing (Arrow, DuckDB, a UTF-8 file) can write it.
_SURROGATE = re.compile("[\ud800-\udfff]")
NOT_UNICODE = "is not valid Unicode text: it holds a lone surrogate (a broken \\u escape)"


def has_surrogate(value: str) -> bool:
    return not value.isascii() and _SURROGATE.search(value) is not None


def writable(value: str) -> str:
    """Text that can be written as UTF-8: a lone surrogate shown as its escape (\\ud800)."""
    return value.encode("utf-8", "backslashreplace").decode("utf-8") if has_surrogate(value) else value


def display_path(path: str | os.PathLike[str]) -> str:
    """A path as text that can always be written and shown: bytes of a file name that are not UTF-8 (which
    Python holds as lone surrogates) appear as \\xNN escapes, e.g. bad\\xffname.jsonl."""
    try:
        return os.fsencode(path).decode("utf-8", "backslashreplace")
    except UnicodeError:  # a surrogate no file system produced (a library caller's str): its escape
        return writable(os.fspath(path))


def _surrogate_field(record: dict[str, Any]) -> str | None:
    """The first text field of a record that holds a lone surrogate, if any."""
    for name, value in record.items():
        if type(value) is str and not value.isascii() and _SURROGATE.search(value) is not None:  # has_surrogate
            return name.removesuffix("_raw")
    return None


def clean(value: str, limit: int = MAX_TEXT) -> str:
    """Input text made safe to show: at most `limit` characters, secrets masked, control characters (terminal
    escapes, NUL, line breaks) replaced by U+FFFD so that a value can never rewrite a terminal or a line."""
    return _CONTROL.sub("\ufffd", mask(value[:limit]) or "")


def text(value: Any) -> str | None:
    """A short attribution string, masked and cleaned; non-strings are JSON-encoded."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        value = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return clean(value)


ID_SEPARATOR = "\x1f"


def stable_id(*parts: Any) -> str:
    """A dedupe key from the parts that identify a record."""
    return id_of_joined(id_parts(*parts))


def id_parts(*parts: Any) -> str:
    """Parts of a record id joined as stable_id joins them (None as empty). The bulk readers join what a row
    repeats once, and each row's own values with ID_SEPARATOR, then call id_of_joined."""
    return ID_SEPARATOR.join("" if p is None else str(p) for p in parts)


def id_of_joined(joined: str) -> str:
    """stable_id of parts already joined (id_parts)."""
    return hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def model_fields(raw: Any) -> dict[str, Any]:
    """model_raw, canonical model and what the id says about platform and endpoint."""
    raw_text = raw if isinstance(raw, str) else None
    ident = resolve(raw_text)
    return {
        "model_raw": clean(raw_text) if raw_text else raw_text,  # shown for unpriced rows: never a secret
        "model": ident.model,
        "platform": ident.platform or "anthropic",
        "endpoint_scope": ident.endpoint_scope,
        "region": ident.region,
    }


# ---- emitting --------------------------------------------------------------------------------------------


@dataclass
class FileStats:
    """What one input file yielded. rows_read = rows_loaded + rows_rejected + rows_duplicate."""

    path: str
    format: str
    rows_read: int = 0
    rows_staged: int = 0  # accepted by the reader; split into loaded and duplicate after dedupe
    rows_rejected: int = 0
    lines_ignored: int = 0  # lines that are not usage records (e.g. user turns in a transcript)
    rows_loaded: int = 0
    rows_duplicate: int = 0
    error: str | None = None  # a file-level problem (corrupt gzip, unreadable) after which reading stopped
    notes: list[str] = field(default_factory=list)  # assumptions the reader had to make for this file
    # Set by a reader that found, having read the file, that it holds nothing of ours (a FOCUS export with no
    # Claude line): with no record read, the file is listed as skipped with this reason.
    skip_reason: str | None = None
    reasons: dict[str, int] = field(default_factory=dict)


class Emitter:
    """Collects a reader's rows and rejects for one file and hands them on in batches."""

    def __init__(
        self,
        stats: FileStats,
        on_row: Callable[[dict[str, Any]], None],
        on_reject: Callable[[str, int, str], None],
        on_bill: Callable[[dict[str, Any]], None] | None = None,
        on_table: Callable[[Any], None] | None = None,
    ) -> None:
        self.stats = stats
        self._on_row = on_row
        self._on_table = on_table  # rows as Arrow tables in ARROW_SCHEMA; None: only row by row
        self._on_reject = on_reject
        self._on_bill = on_bill  # the `billing` table (finops/schema.py BILLING_COLUMNS); None: not kept
        self._bills_dropped = 0

    def row(self, record: dict[str, Any], line: int, *, unicode_checked: bool = False) -> None:
        """Accept one normalised record (missing columns become NULL). unicode_checked: the reader knows its text
        holds no lone surrogate (read from bytes that are valid UTF-8), so the check is not made again."""
        broken = None if unicode_checked else _surrogate_field(record)
        if broken is not None:
            self.reject(line, f"{broken} {NOT_UNICODE}")
            return
        record["source_format"] = self.stats.format
        record["source_file"] = self.stats.path
        record["source_line"] = line
        self.stats.rows_read += 1
        self.stats.rows_staged += 1
        self._on_row(record)

    @property
    def takes_tables(self) -> bool:
        """Whether rows may be handed on as Arrow tables (rows_table)."""
        return self._on_table is not None

    def rows_table(self, table: Any) -> None:
        """Accept rows already in ARROW_SCHEMA, their source columns set, each as row() accepts one whose text is
        known to be valid Unicode (only when takes_tables)."""
        assert self._on_table is not None
        self.stats.rows_read += table.num_rows
        self.stats.rows_staged += table.num_rows
        self._on_table(table)

    def reject(self, line: int, reason: str) -> None:
        """Set one record aside with its reason; it is counted and written to the rejects file."""
        self.stats.rows_read += 1
        self.stats.rows_rejected += 1
        reason = writable(clean(reason, 300))  # reasons quote input values: masked, bounded, one line, writable
        key = reason.split(":")[0]
        self.stats.reasons[key] = self.stats.reasons.get(key, 0) + 1
        self._on_reject(self.stats.path, line, reason)

    def ignore(self) -> None:
        """A line that is valid but carries no usage (not a record, so not in rows_read)."""
        self.stats.lines_ignored += 1

    def bill(self, record: dict[str, Any], line: int, *, derived: bool = False) -> None:
        """Accept one money-only bill line (table `billing`). A derived line (split from a record already
        counted, e.g. the credits of a GCP usage row) is kept but not counted as a record of its own."""
        record["source_format"] = self.stats.format
        record["source_file"] = self.stats.path
        record["source_line"] = line
        record["derived"] = derived
        broken = _surrogate_field(record)
        if broken is not None:
            if derived:  # part of a record already counted: kept, its text escaped
                record.update({k: writable(v) for k, v in record.items() if type(v) is str})
            else:
                self.reject(line, f"{broken} {NOT_UNICODE}")
                return
        if self._on_bill is None:  # a caller that keeps no billing table
            if not derived:
                self.stats.lines_ignored += 1
                self._bills_dropped += 1
                if self._bills_dropped == 1:
                    self.stats.notes.append("bill lines (money without tokens, table billing) are not kept here "
                                            "by this caller: counted as ignored lines")
            return
        if not derived:
            self.stats.rows_read += 1
            self.stats.rows_staged += 1
        self._on_bill(record)


def person(value: Any) -> str | None:
    """A person's id for attribution (user_id): an email address is never kept in full, but two people must not
    merge into one when their masked forms agree ("de…com"), so the mask carries a short hash of the address."""
    if not isinstance(value, str) or not value.strip():
        return None
    raw = value.strip()
    if "@" not in raw:
        return clean(raw)
    digest = hashlib.sha256(raw.lower().encode("utf-8", "surrogatepass")).hexdigest()[:6]
    return clean(f"{mask(raw)} #{digest}")


def line_of(emit: Emitter, where: int, counter: bool) -> int:
    """The line a row is reported on: its position in the file (a whole document), else its page's line."""
    return emit.stats.rows_read + 1 if counter else where
