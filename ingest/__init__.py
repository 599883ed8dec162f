"""Read input files of any supported format into the DuckDB tables `usage` (tokens) and `billing` (bill lines
without tokens: Anthropic's bill, cloud credits and tax), counting every record."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import duckdb

from finops.errors import IngestError
from finops.schema import BILL_KEEP_FIRST, BILLING_NAMES, KEEP_BEST, create_billing_sql, create_table_sql

from . import (
    analytics_cost,
    analytics_usage,
    anthropic_batch,
    anthropic_cost_report,
    anthropic_log,
    aws_focus,
    bedrock_cur,
    bedrock_invocation,
    bill_groupings,
    claude_code,
    claude_code_otel,
    claude_code_report,
    console_cost_csv,
    console_usage_csv,
    fast_claude_code,
    focus_any,
    gcp_billing,
    not_data,
    overlap,
    usage_report,
    workers,
)
from .common import JSON_ERRORS, READ_ERRORS, Emitter, FileStats, decode, display_path, open_binary, writable

if TYPE_CHECKING:
    import pyarrow as pa
# pyarrow is imported where rows are Arrow tables (bills, request logs, Parquet), not at start: transcripts are staged
# without it (fast_claude_code.Rows.insert), which spares a transcript run its import (bench/RESULTS.md).

# Order matters: the first reader whose sniff() accepts a file reads it.
READERS: dict[str, ModuleType] = {
    m.FORMAT: m for m in (claude_code, anthropic_log, anthropic_batch, usage_report, console_usage_csv,
                          anthropic_cost_report, console_cost_csv, bedrock_invocation, bedrock_cur, aws_focus,
                          gcp_billing, analytics_usage, analytics_cost, claude_code_report,
                          claude_code_otel, focus_any)
}
SAMPLE_BYTES = 64 * 1024
SAMPLE_LINES = 20
BATCH_ROWS = 20_000
# Rows and bill lines read as Python dicts are inserted this many at a time: a row of request logs is several KB
# as a dict: 20,000 of them raised the reading peak on 1 GB by about 50 MiB (bench/RESULTS.md, memory); Arrow tables
# (the fast readers') are compact and go BATCH_ROWS at a time.
DICT_ROWS = 2_000


@dataclass
class Sample:
    """The start of a file, as readers' sniff() functions see it."""

    head: str  # up to SAMPLE_BYTES of decoded text
    first_obj: dict[str, Any] | None  # the first non-empty line parsed as a JSON object, if it is one
    header: list[str] | None  # the first line split as a CSV header (lowercased, stripped), if it looks like one
    objects: Sequence[dict[str, Any]] = field(default_factory=list)  # the first lines that parse as JSON objects
    error: str | None = None  # the file broke off (corrupt gzip) within the sample: judged on what came before


class ParsedObjects(Sequence[dict[str, Any]]):
    """The sample lines that parse as JSON objects, in order, each parsed when a sniff() first reaches it: the
    Claude Code reader, asked first, stops at the first transcript line, so a transcript costs one or two parses
    instead of twenty (on a thousand small files, a tenth of the reading time went to these parses)."""

    def __init__(self, lines: list[str]) -> None:
        self._lines = iter(lines)
        self._parsed: list[dict[str, Any]] = []

    def _next(self) -> bool:
        for line in self._lines:
            if line.lstrip().startswith("{"):
                try:
                    parsed = json.loads(line)
                except JSON_ERRORS:
                    continue
                if isinstance(parsed, dict):
                    self._parsed.append(parsed)
                    return True
        return False

    def __iter__(self) -> Iterator[dict[str, Any]]:
        i = 0
        while i < len(self._parsed) or self._next():
            yield self._parsed[i]
            i += 1

    def __len__(self) -> int:
        while self._next():
            pass
        return len(self._parsed)

    def __getitem__(self, index: Any) -> Any:
        len(self)
        return self._parsed[index]


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
                # os.walk does not follow links to folders: list them, so they are reported as skipped
                links = [d for d in dirs if os.path.islink(os.path.join(root, d))]
                found.extend(Path(root) / n for n in sorted(names + links) if not n.startswith("."))
        else:
            found.append(path)
    return found


def take_sample(path: Path) -> Sample:
    """Read the start of a file (decompressed) for format detection.

    A file that breaks off early (a truncated or corrupt gzip) is judged by what could be read: the reader then
    reads it up to the break, counting its records, and reports the break as the file's error.
    """
    chunks: list[bytes] = []
    size = 0
    error = None
    with open_binary(path) as stream:
        while size < SAMPLE_BYTES:
            try:
                chunk = stream.read1(min(8192, SAMPLE_BYTES - size))  # type: ignore[attr-defined]
            except READ_ERRORS as e:
                if not chunks:
                    raise
                error = str(e)
                break
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    raw = b"".join(chunks)
    if raw[:4] == b"PAR1":  # Parquet (CUR 2.0, FOCUS exports): judged by its column names
        return _parquet_sample(path)
    head = decode(raw) if raw else ""
    if raw and raw.count(b"\x00") > len(raw) // 100:
        return Sample(head="", first_obj=None, header=None)  # binary garbage
    lines = head.splitlines()
    objects = ParsedObjects(lines[:SAMPLE_LINES])
    first = next((line.strip() for line in lines if line.strip()), "")
    first_obj = None
    if first.startswith("{"):
        try:
            parsed = json.loads(first)
            first_obj = parsed if isinstance(parsed, dict) else None
        except JSON_ERRORS:
            first_obj = None
    header = None
    if first and not first.startswith(("{", "[")) and "," in first:
        header = [h.strip().strip('"').strip().lower() for h in first.split(",")]
    return Sample(head=head, first_obj=first_obj, header=header, objects=objects, error=error)


def _parquet_sample(path: Path) -> Sample:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        names = pq.read_schema(path).names
    except (OSError, pa.ArrowException):
        return Sample(head="", first_obj=None, header=None)
    return Sample(head="PAR1 (Parquet)", first_obj=None, header=[n.strip().lower() for n in names])


def detect(path: Path) -> tuple[str | None, str]:
    """(format id, reason): the reader for a file judged by its content, or None with why not."""
    if path.is_dir():
        return None, "a link to a folder: not followed (pass the folder itself to read it)"
    if not path.is_file():  # opening a pipe would wait forever; a device could be endless
        return None, "not a regular file (a pipe, socket, device or broken link)"
    try:
        sample = take_sample(path)
    except READ_ERRORS as e:
        return None, writable(f"cannot read: {e}")
    if sample.error and not sample.head.strip():
        return None, writable(f"cannot read: {sample.error}")
    if not sample.head.strip():
        return None, "empty or binary file"
    if why := not_data.recognise(path, sample.first_obj, sample.head):
        return None, why
    for fmt, module in READERS.items():
        if module.sniff(sample):
            return fmt, ""
    for module in READERS.values():  # a reader that knows the shape and why it does not read it
        why = module.why_not(sample) if hasattr(module, "why_not") else None
        if why:
            return None, why
    if sample.error:  # what could be read is no known format: the break is the likelier story
        return None, writable(f"cannot read: {sample.error}")
    return None, "not a recognised log, usage or billing format"


class Stager:
    """Batches rows, bill lines and rejects into DuckDB so memory stays flat however large the input.

    usage_table: where rows go (an internal table name, never input); the store stages into its own table.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, usage_table: str = "usage_raw") -> None:
        self.con = con
        self.usage_table = usage_table
        self.rows: list[dict[str, Any]] = []
        self.rejects: list[tuple[str, int, str]] = []
        self.bills: list[dict[str, Any]] = []
        self.table_rows = fast_claude_code.Rows()  # the transcript fast path's columns
        self.tables: list[pa.Table] = []  # Arrow tables (the CUR's columnar reader)
        self.tables_rows = 0

    def row(self, record: dict[str, Any]) -> None:
        self.rows.append(record)
        if len(self.rows) >= DICT_ROWS:
            self.flush()

    def bill(self, record: dict[str, Any]) -> None:
        self.bills.append(record)
        if len(self.bills) >= DICT_ROWS:
            self.flush()

    def reject(self, path: str, line: int, reason: str) -> None:
        self.rejects.append((path, line, reason))
        if len(self.rejects) >= BATCH_ROWS:
            self.flush()

    def table(self, rows: fast_claude_code.Rows | pa.Table) -> None:
        """Rows of a fast path in ARROW_SCHEMA, as columns (transcripts) or an Arrow table (bills), gathered over
        files and inserted BATCH_ROWS at a time."""
        if isinstance(rows, fast_claude_code.Rows):
            self.table_rows.extend(rows)
        else:
            self.tables.append(rows)
            self.tables_rows += rows.num_rows
        if self.table_rows.num_rows + self.tables_rows >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.table_rows.num_rows:
            self.table_rows.insert(self.con, self.usage_table)
            self.table_rows = fast_claude_code.Rows()
        if self.rows or self.bills or self.tables:
            import pyarrow as pa

            from finops.schema import ARROW_SCHEMA, BILLING_ARROW_SCHEMA

            from . import arrow_records  # imports pyarrow: not on a transcript-only run
        if self.tables:
            tables = pa.concat_tables(self.tables)  # noqa: F841 (read by DuckDB)
            self.con.execute(f"INSERT INTO {self.usage_table} SELECT * FROM tables")
            self.tables.clear()
            self.tables_rows = 0
        if self.rows:
            batch = arrow_records.table(self.rows, ARROW_SCHEMA)  # noqa: F841 (read by DuckDB; no pandas)
            self.con.execute(f"INSERT INTO {self.usage_table} SELECT * FROM batch")
            self.rows.clear()
        if self.bills:
            bills = arrow_records.table(self.bills, BILLING_ARROW_SCHEMA)  # noqa: F841 (read by DuckDB; no pandas)
            self.con.execute("INSERT INTO billing_raw SELECT * FROM bills")
            self.bills.clear()
        if self.rejects:
            # As three list parameters, not executemany: that costs ~0.5 ms a row, so a file of garbage lines would
            # take hours; not through pyarrow either, whose conversion of a list imports pandas (0.2 to 0.4 CPU-s).
            files, lines, reasons = zip(*self.rejects, strict=True)
            self.con.execute("INSERT INTO rejects SELECT unnest(?::VARCHAR[]), unnest(?::BIGINT[]), "
                             "unnest(?::VARCHAR[])", [list(files), list(lines), list(reasons)])
            self.rejects.clear()


def load(
    paths: Iterable[Path],
    con: duckdb.DuckDBPyConnection,
    progress: Callable[[Path, int], None] | None = None,
) -> IngestResult:
    """Read every file under paths into `usage` (deduplicated), with per-file accounting and rejects."""
    files = iter_files(paths)
    con.execute(create_table_sql("usage_raw"))
    con.execute(create_billing_sql("billing_raw"))  # money-only bill lines (finops/schema.py)
    con.execute("CREATE TABLE rejects (source_file VARCHAR, source_line BIGINT, reason VARCHAR)")
    result = IngestResult()
    stager = Stager(con)
    detected = []
    for path in files:
        fmt, why = detect(path)
        if fmt is None:
            result.skipped.append((display_path(path), why))
            if progress:
                progress(path, _size(path))
        else:
            stats = FileStats(path=display_path(path), format=fmt)
            detected.append((path, stats))
            result.files.append(stats)
    parts: list[str] = []  # the worker processes' tables of rows, read by _deduplicate
    done = _read_logs_apart(detected, con, stager, parts, progress)
    apart = _read_bills_apart([(p, s) for p, s in detected if p not in done], con, stager, progress)
    # One transaction for the batches read here: committing each INSERT alone cost ~0.5 CPU-seconds per GB of
    # transcripts (bench/RESULTS.md). After the worker processes, whose tables another connection writes.
    con.begin()
    try:
        for path, stats in detected:
            if path in done or path in apart:
                continue
            read_file(path, stats, stager.row, stager.reject, stager.bill, stager.table)
            if progress:
                progress(path, _size(path))
        stager.flush()
        con.commit()
    except BaseException:
        con.rollback()
        raise
    for stats in [s for s in result.files if s.skip_reason and s.rows_read == 0]:
        result.files.remove(stats)  # read, and found to hold nothing of ours (ingest/focus_any.py)
        result.skipped.append((stats.path, stats.skip_reason or ""))
    _deduplicate(con, result, parts)
    # The Arrow batches of rows are freed, but pyarrow's allocator keeps their pages for itself unless told (the
    # pages DuckDB then needs for pricing; bench/RESULTS.md for what it measured). Not imported for it.
    if "pyarrow" in sys.modules:
        sys.modules["pyarrow"].default_memory_pool().release_unused()
    return result


# Bills (CUR, FOCUS, GCP) are read by one process per core when there are several large ones: their Claude lines
# are parsed in Python, one core's work per file. A worker's rows come back as Arrow stream files, one per file.
BILL_FORMATS = {bedrock_cur.FORMAT, aws_focus.FORMAT, focus_any.FORMAT, gcp_billing.FORMAT}
APART_MIN_BYTES = 64 * 1024 * 1024  # below this, starting the processes costs more than it saves
# One process unless the caller asks for more: a spawned worker imports the caller's main module again, which a
# script without an `if __name__ == "__main__"` guard would run a second time. The `finops` command asks for them.
PROCESSES = 1


def use_worker_processes() -> None:
    """Let bill reading use one process per core (up to two): for callers whose main module is guarded."""
    global PROCESSES
    PROCESSES = min(2, os.cpu_count() or 1)


def _read_bills_apart(files: list[tuple[Path, FileStats]], con: duckdb.DuckDBPyConnection, stager: Stager,
                      progress: Callable[[Path, int], None] | None) -> set[Path]:
    """Read the bill files among `files` here and in worker processes (one per core but this one's) when it pays
    and the memory limit leaves room for them (_small_footprint); returns the paths read. Each process takes the
    next file, largest first (a gzipped one by the size it unpacks to), from a shared counter when it is free: this
    process at once, a worker after its start and imports (about 0.45 CPU-seconds: one process fewer than cores, as
    this one would only wait). A worker spools each file's rows and bill lines to Arrow stream files, loaded here
    once it is done; a worker that dies leaves its files to the caller, which reads them here."""
    bills = [(p, s) for p, s in files if s.format in BILL_FORMATS]
    if PROCESSES < 2 or len(bills) < 2 or sum(_size(p) for p, _ in bills) < APART_MIN_BYTES or _small_footprint():
        return set()
    import concurrent.futures
    import multiprocessing
    import tempfile

    order = workers.largest_first([p for p, _ in bills])
    job = [(str(bills[i][0]), bills[i][1].format) for i in order]
    done: set[Path] = set()
    # spawn, not fork: the parent's DuckDB and polars threads must not be copied mid-flight into a child
    context = multiprocessing.get_context("spawn")
    taken = context.Value("i", 0)  # files handed out so far, in `order`
    with tempfile.TemporaryDirectory(prefix="finops-bills-") as spool, \
            concurrent.futures.ProcessPoolExecutor(PROCESSES - 1, mp_context=context, initializer=_share_counter,
                                                   initargs=(taken,)) as pool:
        futures = [pool.submit(read_apart_taking, job, spool) for _ in range(PROCESSES - 1)]
        try:
            while (k := workers.next_file(taken, len(job))) is not None:
                path, stats = bills[order[k]]
                read_file(path, stats, stager.row, stager.reject, stager.bill, stager.table)
                done.add(path)
                if progress:
                    progress(path, _size(path))
        except BaseException:  # the workers take no further file: leaving the pool waits for them
            with taken.get_lock():
                taken.value = len(job)
            raise
        stager.flush()
        for future in futures:
            try:
                finished = future.result()
            except Exception:  # noqa: BLE001 (a worker that died: its files are read here instead, by the caller)
                continue
            for k, read, rejects in finished:
                path, stats = bills[order[k]]
                vars(stats).update(vars(read))
                for batch in _spooled(os.path.join(spool, f"{k}.rows")):  # noqa: B007 (read by DuckDB)
                    con.execute(f"INSERT INTO {stager.usage_table} SELECT * FROM batch")
                for bill_batch in _spooled(os.path.join(spool, f"{k}.bills")):  # noqa: B007 (read by DuckDB)
                    con.execute("INSERT INTO billing_raw SELECT * FROM bill_batch")
                for name in (f"{k}.rows", f"{k}.bills"):
                    os.remove(os.path.join(spool, name))  # the disk it took, given back file by file
                for reject in rejects:
                    stager.reject(*reject)
                done.add(path)
                if progress:
                    progress(path, _size(path))
    return done


def _small_footprint() -> bool:
    """A memory limit below the default asks for a small footprint: bills are then read here alone. A bill worker
    holds 200 to 300 MiB of its own (polars, pyarrow and the blocks it reads), outside DuckDB's limit."""
    from finops import store

    return store.small_footprint()


_TAKEN: Any = None  # a bill worker's shared counter of files handed out (_share_counter)


def _share_counter(taken: Any) -> None:
    """A bill worker's start: the counter it takes files from, shared with the other processes."""
    global _TAKEN
    _TAKEN = taken


Spooled = tuple[int, FileStats, list[tuple[str, int, str]]]  # a file a bill worker read: its place, accounting, rejects


def read_apart_taking(job: list[tuple[str, str]], spool: str) -> list[Spooled]:
    """A bill worker: read the next file of `job` (path, format) until none is left, each spooled by read_apart to
    `spool`/<its place in job>; returns each file's place, accounting and rejects."""
    finished: list[Spooled] = []
    while (k := workers.next_file(_TAKEN, len(job))) is not None:
        path, fmt = job[k]
        finished.append((k, *read_apart(path, fmt, os.path.join(spool, str(k)))))
    return finished


# Request logs with bodies are parsed in Python, one core's work per file: several large ones are read by one process
# per core, their rows streamed back in bounded batches (workers.py). Not Claude Code transcripts: when their fast
# path (fast_claude_code.py) read 1 GB in about 6 CPU-seconds, a worker process beside this one cost 1 to 1.4
# CPU-seconds more (its start and imports, its rows' trip through the queue) for no shorter run under a shared
# machine's load; on 989 small files the run took twice as long (bench/RESULTS.md). Measured again on an idle machine
# with the reader of today (about 4 CPU-seconds a GB): 1 GB took as long with a worker as without, for 2.5 to 3
# CPU-seconds more, as this process's own share, inserts, pricing and analyses bound the run.
LOG_FORMATS = {anthropic_log.FORMAT, bedrock_invocation.FORMAT}


def _read_logs_apart(files: list[tuple[Path, FileStats]], con: duckdb.DuckDBPyConnection, stager: Stager,
                     parts: list[str], progress: Callable[[Path, int], None] | None) -> set[Path]:
    """Read the request logs among `files` in worker processes when it pays; returns the paths read. Each
    worker's rows are in a table of its own, added to parts."""
    logs = [(p, s) for p, s in files if s.format in LOG_FORMATS]
    if PROCESSES < 2 or len(logs) < 2 or sum(_size(p) for p, _ in logs) < APART_MIN_BYTES:
        return set()
    def here(path: Path, stats: FileStats) -> None:  # the first share: read by this process, as it waits anyway
        read_file(path, stats, stager.row, stager.reject, stager.bill, stager.table)

    done, tables = workers.read(logs, con, PROCESSES, stager.reject, _size, progress, here=here)
    parts.extend(tables)
    stager.flush()
    for path, stats in logs:
        if path not in done:  # its worker died: what it sent of the file is removed, and the file read here
            workers.forget(con, tables, stats)
    return done


def read_apart(path: str, fmt: str, spool: str) -> tuple[FileStats, list[tuple[str, int, str]]]:
    """One file read in a worker process: its accounting and its rejects; its rows and bill lines are written to
    the Arrow stream files `spool`.rows and `spool`.bills batch by batch (BATCH_ROWS each), so that the worker
    holds one batch at a time, never the file's rows. Made Arrow without pa.array (arrow_records.py), which would
    import pandas in the worker."""
    import pyarrow as pa

    from finops.schema import ARROW_SCHEMA, BILLING_ARROW_SCHEMA

    from . import arrow_records

    stats = FileStats(path=path, format=fmt)
    rows: list[dict[str, Any]] = []
    bills: list[dict[str, Any]] = []
    rejects: list[tuple[str, int, str]] = []
    with pa.OSFile(f"{spool}.rows", "wb") as row_file, pa.OSFile(f"{spool}.bills", "wb") as bill_file, \
            pa.ipc.new_stream(row_file, ARROW_SCHEMA) as row_out, \
            pa.ipc.new_stream(bill_file, BILLING_ARROW_SCHEMA) as bill_out:

        def on_row(record: dict[str, Any]) -> None:
            rows.append(record)
            if len(rows) >= BATCH_ROWS:
                row_out.write_table(arrow_records.table(rows, ARROW_SCHEMA))
                rows.clear()

        def on_bill(record: dict[str, Any]) -> None:
            bills.append(record)
            if len(bills) >= BATCH_ROWS:
                bill_out.write_table(arrow_records.table(bills, BILLING_ARROW_SCHEMA))
                bills.clear()

        def on_table(table: fast_claude_code.Rows | pa.Table) -> None:
            row_out.write_table(table if isinstance(table, pa.Table) else table.to_table())

        read_file(Path(path), stats, on_row, lambda *r: rejects.append(r), on_bill, on_table)
        if rows:
            row_out.write_table(arrow_records.table(rows, ARROW_SCHEMA))
        if bills:
            bill_out.write_table(arrow_records.table(bills, BILLING_ARROW_SCHEMA))
    return stats, rejects


def _spooled(path: str) -> Iterator[pa.RecordBatch]:
    """The batches a worker wrote to an Arrow stream file, one at a time."""
    import pyarrow as pa

    with pa.OSFile(path, "rb") as f:
        yield from pa.ipc.open_stream(f)


def _size(path: Path) -> int:
    """A file's size for the progress bar; 0 for one that is gone or is not a file (it is reported, not read)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def read_file(path: Path, stats: FileStats, on_row: Callable[[dict[str, Any]], None],
              on_reject: Callable[[str, int, str], None],
              on_bill: Callable[[dict[str, Any]], None] | None = None,
              on_table: Callable[[fast_claude_code.Rows | pa.Table], None] | None = None) -> None:
    """Read one file with its format's Python reader; a file-level failure is recorded in stats.error.
    on_bill takes money-only bill lines (table `billing`); without it they are counted as ignored lines. on_table
    takes rows in ARROW_SCHEMA, as columns (fast_claude_code.Rows, a transcript's fast path) or as an Arrow table
    (the CUR's columnar reader); without it, every row comes through on_row."""
    if (on_table is not None and stats.format == claude_code.FORMAT and fast_claude_code.eligible(path)
            and fast_claude_code.read(path, stats, on_row, on_reject, on_table)):
        return
    emit = Emitter(stats, on_row, on_reject, on_bill, on_table)
    try:
        with open_binary(path) as stream:
            READERS[stats.format].read(path, stream, emit)
    except READ_ERRORS as e:
        stats.error = f"reading stopped after {stats.rows_read} records: {e}"
    finally:  # notes and errors may quote input text: always writable
        stats.notes = [writable(n) for n in stats.notes]
        stats.error = writable(stats.error) if stats.error else stats.error


def _deduplicate(con: duckdb.DuckDBPyConnection, result: IngestResult, parts: list[str]) -> None:
    """Keep one row per record_id: the one with the most tokens (the final streaming snapshot). parts: more
    tables of staged rows (the fast path's), named by code, dropped here."""
    # The best row of each record is chosen on a few narrow columns; the other rows are deleted where they are
    # staged and the tables become `usage` (the largest renamed, the others appended and dropped one by one): the
    # rows are never held twice, so memory stays near one copy of them.
    tables = ["usage_raw", *parts]
    staged = " UNION ALL ".join(f"SELECT *, {i} AS staged_table, rowid AS staged_row FROM {table}"
                                for i, table in enumerate(tables))
    con.execute(f"CREATE TEMP TABLE dedup_best AS SELECT staged_table, staged_row FROM ({staged}) {KEEP_BEST}")
    kept = dict(con.execute("SELECT staged_table, count(*) FROM dedup_best GROUP BY 1").fetchall())
    sizes = []
    for i, table in enumerate(tables):
        rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
        if rows > kept.get(i, 0):
            con.execute(f"DELETE FROM {table} WHERE rowid NOT IN "
                        "(SELECT staged_row FROM dedup_best WHERE staged_table = ?)", [i])
        sizes.append(kept.get(i, 0))
    con.execute("DROP TABLE dedup_best")
    largest = sizes.index(max(sizes))
    con.execute(f"ALTER TABLE {tables[largest]} RENAME TO usage")
    for i, table in enumerate(tables):
        if i != largest:
            con.execute(f"INSERT INTO usage BY NAME SELECT * FROM {table}")
            con.execute(f"DROP TABLE {table}")
    for path, rows in overlap.drop_covered(con, "usage").items():  # one record under two keys (overlap.py)
        for stats in result.files:
            if stats.path == path:
                stats.notes.append(overlap.NOTE.format(n=rows))
    con.execute(f"CREATE TABLE billing AS SELECT {', '.join(BILLING_NAMES)} FROM billing_raw {BILL_KEEP_FIRST}")
    con.execute("DROP TABLE billing_raw")
    for path, (_, note) in bill_groupings.drop_coarser(con, "billing").items():  # one grouping per period
        for stats in result.files:
            if stats.path == path:
                stats.notes.append(note)
    loaded = dict(con.execute("""
        SELECT source_file, count(*) FROM (
            SELECT source_file FROM usage UNION ALL SELECT source_file FROM billing WHERE NOT derived)
        GROUP BY 1""").fetchall())
    for stats in result.files:
        stats.rows_loaded = loaded.get(stats.path, 0)
        stats.rows_duplicate = stats.rows_staged - stats.rows_loaded
