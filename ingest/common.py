"""Shared reading machinery: open (gzip too), split lines safely, parse values, and emit rows or rejects."""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from finops.models import resolve
from finops.redact import mask

MAX_LINE_BYTES = 64 * 1024 * 1024  # one JSON line larger than this is rejected, not loaded into memory
GZIP_MAGIC = b"\x1f\x8b"


class RowError(ValueError):
    """A record that cannot be used; its message is the reject reason."""


def open_binary(path: Path) -> IO[bytes]:
    """Open a file for reading, transparently decompressing gzip (detected by content, not name)."""
    with open(path, "rb") as probe:
        magic = probe.read(2)
    if magic == GZIP_MAGIC:
        return gzip.open(path, "rb")
    return open(path, "rb")


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


READ_ERRORS = (OSError, EOFError, zlib.error, gzip.BadGzipFile)


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
            return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)
        except (OverflowError, OSError, ValueError) as e:
            raise RowError(f"{name} out of range: {value!r}") from e
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
    return amount.quantize(Decimal("0.000001"))


def text(value: Any) -> str | None:
    """A short attribution string, masked; non-strings are JSON-encoded."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        value = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return mask(value[:500])


def stable_id(*parts: Any) -> str:
    """A dedupe key from the parts that identify a record."""
    joined = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def model_fields(raw: Any) -> dict[str, Any]:
    """model_raw, canonical model and what the id says about platform and endpoint."""
    raw_text = raw if isinstance(raw, str) else None
    ident = resolve(raw_text)
    return {
        "model_raw": raw_text,
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
    reasons: dict[str, int] = field(default_factory=dict)


class Emitter:
    """Collects a reader's rows and rejects for one file and hands them on in batches."""

    def __init__(
        self,
        stats: FileStats,
        on_row: Callable[[dict[str, Any]], None],
        on_reject: Callable[[str, int, str], None],
    ) -> None:
        self.stats = stats
        self._on_row = on_row
        self._on_reject = on_reject

    def row(self, record: dict[str, Any], line: int) -> None:
        """Accept one normalised record (missing columns become NULL)."""
        record["source_format"] = self.stats.format
        record["source_file"] = self.stats.path
        record["source_line"] = line
        self.stats.rows_read += 1
        self.stats.rows_staged += 1
        self._on_row(record)

    def reject(self, line: int, reason: str) -> None:
        """Set one record aside with its reason; it is counted and written to the rejects file."""
        self.stats.rows_read += 1
        self.stats.rows_rejected += 1
        key = reason.split(":")[0]
        self.stats.reasons[key] = self.stats.reasons.get(key, 0) + 1
        self._on_reject(self.stats.path, line, reason)

    def ignore(self) -> None:
        """A line that is valid but carries no usage (not a record, so not in rows_read)."""
        self.stats.lines_ignored += 1
