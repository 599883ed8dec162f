"""Read input files of any supported format into the DuckDB table `usage`, counting every record."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import duckdb
import pyarrow as pa

from finops.errors import IngestError
from finops.schema import ARROW_SCHEMA, NAMES, create_table_sql

from . import anthropic_batch, anthropic_log, claude_code, console_usage_csv, usage_report
from .common import READ_ERRORS, Emitter, FileStats, decode, open_binary

# Order matters: the first reader whose sniff() accepts a file reads it.
READERS: dict[str, ModuleType] = {
    m.FORMAT: m for m in (claude_code, anthropic_log, anthropic_batch, usage_report, console_usage_csv)
}
SAMPLE_BYTES = 64 * 1024
SAMPLE_LINES = 20
BATCH_ROWS = 20_000


@dataclass
class Sample:
    """The start of a file, as readers' sniff() functions see it."""

    head: str  # up to SAMPLE_BYTES of decoded text
    first_obj: dict[str, Any] | None  # the first non-empty line parsed as a JSON object, if it is one
    header: list[str] | None  # the first line split as a CSV header (lowercased, stripped), if it looks like one
    objects: list[dict[str, Any]] = field(default_factory=list)  # the first lines that parse as JSON objects


@dataclass
class IngestResult:
    files: list[FileStats] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)


def formats() -> dict[str, str]:
    """Format id -> human label, in detection order."""
    return {fmt: module.LABEL for fmt, module in READERS.items()}


def iter_files(paths: Iterable[Path]) -> list[Path]:
    """Every file under the given paths, recursively, in a stable order. Missing paths raise IngestError."""
    found: list[Path] = []
    for path in paths:
        if not path.exists():
            raise IngestError(f"{path}: no such file or folder")
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found.extend(Path(root) / n for n in sorted(names) if not n.startswith("."))
        else:
            found.append(path)
    return found


def take_sample(path: Path) -> Sample:
    """Read the start of a file (decompressed) for format detection."""
    with open_binary(path) as stream:
        raw = stream.read(SAMPLE_BYTES)
    head = decode(raw) if raw else ""
    if raw and raw.count(b"\x00") > len(raw) // 100:
        return Sample(head="", first_obj=None, header=None)  # binary garbage
    objects = []
    for line in head.splitlines()[:SAMPLE_LINES]:
        if line.lstrip().startswith("{"):
            try:
                parsed = json.loads(line)
            except ValueError:
                continue
            if isinstance(parsed, dict):
                objects.append(parsed)
    first = next((line.strip() for line in head.splitlines() if line.strip()), "")
    first_obj = None
    if first.startswith("{"):
        try:
            parsed = json.loads(first)
            first_obj = parsed if isinstance(parsed, dict) else None
        except ValueError:
            first_obj = None
    header = None
    if first and not first.startswith(("{", "[")) and "," in first:
        header = [h.strip().strip('"').strip().lower() for h in first.split(",")]
    return Sample(head=head, first_obj=first_obj, header=header, objects=objects)


def detect(path: Path) -> tuple[str | None, str]:
    """(format id, reason): the reader for a file judged by its content, or None with why not."""
    try:
        sample = take_sample(path)
    except READ_ERRORS as e:
        return None, f"cannot read: {e}"
    if not sample.head.strip():
        return None, "empty or binary file"
    for fmt, module in READERS.items():
        if module.sniff(sample):
            return fmt, ""
    return None, "not a recognised log, usage or billing format"


class _Stager:
    """Batches rows and rejects into DuckDB so memory stays flat however large the input."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.rows: list[dict[str, Any]] = []
        self.rejects: list[tuple[str, int, str]] = []

    def row(self, record: dict[str, Any]) -> None:
        self.rows.append(record)
        if len(self.rows) >= BATCH_ROWS:
            self.flush()

    def reject(self, path: str, line: int, reason: str) -> None:
        self.rejects.append((path, line, reason))
        if len(self.rejects) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            batch = pa.Table.from_pylist(self.rows, schema=ARROW_SCHEMA)  # noqa: F841 (read by DuckDB)
            self.con.execute("INSERT INTO usage_raw SELECT * FROM batch")
            self.rows.clear()
        if self.rejects:
            self.con.executemany("INSERT INTO rejects VALUES (?, ?, ?)", self.rejects)
            self.rejects.clear()


def load(
    paths: Iterable[Path],
    con: duckdb.DuckDBPyConnection,
    progress: Callable[[Path, int], None] | None = None,
) -> IngestResult:
    """Read every file under paths into `usage` (deduplicated), with per-file accounting and rejects."""
    files = iter_files(paths)
    con.execute(create_table_sql("usage_raw"))
    con.execute("CREATE TABLE rejects (source_file VARCHAR, source_line BIGINT, reason VARCHAR)")
    result = IngestResult()
    stager = _Stager(con)
    for path in files:
        fmt, why = detect(path)
        if fmt is None:
            result.skipped.append((str(path), why))
        else:
            stats = FileStats(path=str(path), format=fmt)
            emit = Emitter(stats, stager.row, stager.reject)
            try:
                with open_binary(path) as stream:
                    READERS[fmt].read(path, stream, emit)
            except READ_ERRORS as e:
                stats.error = f"reading stopped after {stats.rows_read} records: {e}"
            result.files.append(stats)
        if progress:
            progress(path, path.stat().st_size)
    stager.flush()
    _deduplicate(con, result)
    return result


def _deduplicate(con: duckdb.DuckDBPyConnection, result: IngestResult) -> None:
    """Keep one row per record_id: the one with the most tokens (the final streaming snapshot)."""
    total = " + ".join(f"coalesce({c}, 0)" for c in
                       ("input_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens",
                        "cache_read_tokens", "output_tokens"))
    con.execute(
        f"""
        CREATE TABLE usage AS
        SELECT {", ".join(NAMES)} FROM usage_raw
        QUALIFY row_number() OVER (
            PARTITION BY record_id ORDER BY {total} DESC, source_file, source_line) = 1
        """
    )
    loaded = dict(con.execute("SELECT source_file, count(*) FROM usage GROUP BY 1").fetchall())
    for stats in result.files:
        stats.rows_loaded = loaded.get(stats.path, 0)
        stats.rows_duplicate = stats.rows_staged - stats.rows_loaded
    con.execute("DROP TABLE usage_raw")
