"""Read files in worker processes, one per core, their rows streamed back in bounded batches.

Each worker reads files with the format's reader (ingest.read_file) and sends rows, rejects and bill lines back as
they come, in batches of BATCH_ROWS, through a queue that holds at most QUEUE_BATCHES of them: a worker waits when
this process is behind, so neither side ever holds a file's rows, or a worker's, whole. Each process takes the next
file, largest first (a gzipped one by the size it unpacks to), from a shared counter. Every worker's rows go to one
table, in the order they arrive: which rows it holds does not depend on which process ran faster, their order does
(nothing reads `usage` in its physical order: DuckDB runs with preserve_insertion_order off); one table, not one
per worker, so that deduplication renames it into `usage` instead of copying a second table's rows into the first
(the rows held twice: 1 GB of request logs, peak RSS while reading 246 -> 197 MiB). A worker that dies: the files
it had not finished lose the rows and rejects it had sent, and are left to the caller, which reads them in this
process. The caller may take files itself (read's `here`): one process fewer to start, and it would only wait
otherwise. Rows travel as Arrow stream bytes and are inserted INSERT_ROWS at a time.
"""

from __future__ import annotations

import multiprocessing
import os
import queue as queues
import signal
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from finops.schema import create_table_sql

if TYPE_CHECKING:
    import pyarrow as pa

from .common import GZIP_MAGIC, MAX_GZIP_RATIO, FileStats

BATCH_ROWS = 2_000  # rows (about 2 MB of Arrow for request logs) per message from a worker
QUEUE_BATCHES = 4  # messages waiting at most: the bound on what is in flight
# Rows received are inserted this many at a time: held until then (about 5 MB of Arrow for request logs), and
# copied once more by the INSERT. 20,000 raised 1 GB of request logs' peak by about 19 MiB over all processes
# (270 -> 251 MiB, medians of 5 alternated runs, wall time the same within 1%; bench/RESULTS.md, seventh session).
INSERT_ROWS = 5_000
POLL_SECONDS = 1.0  # how often a quiet queue is checked for a worker that died


def largest_first(paths: list[Path]) -> list[int]:
    """The order in which processes take `paths` (their places): by work_size, largest first, ties as given, so
    that the files left for the end, when a process may wait for another, are the small ones."""
    return sorted(range(len(paths)), key=lambda i: (-work_size(paths[i]), i))


def work_size(path: Path) -> int:
    """A file's size for sharing out the work: a gzipped file's by the size it unpacks to (its last four bytes,
    modulo 4 GiB; never less than its size on disk, never more than the expansion the reader allows); 0 for a file
    that cannot be read."""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if f.read(2) != GZIP_MAGIC or size < 4:
                return size
            f.seek(-4, os.SEEK_END)
            unpacked = int.from_bytes(f.read(4), "little")
    except OSError:
        return 0
    return max(size, min(unpacked, size * MAX_GZIP_RATIO))


def read(files: list[tuple[Path, FileStats]], con: duckdb.DuckDBPyConnection, processes: int,
         on_reject: Callable[[str, int, str], None], size: Callable[[Path], int],
         progress: Callable[[Path, int], None] | None = None, target: Callable[..., None] | None = None,
         here: Callable[[Path, FileStats], None] | None = None) -> tuple[set[Path], list[str]]:
    """Read `files` in `processes` workers into a table of their own (created here) and billing_raw; rejects go to
    on_reject. Returns the paths read (a dead worker's unfinished files are not among them) and [that table].
    Each process takes the next file, largest first (largest_first: a gzipped file by the size it unpacks to), when
    it is free (a shared counter): a process that started late or runs slower takes fewer. target: what a worker
    runs (work; a test passes one that dies). here: reads one file in this process, which then takes files too
    instead of starting one process more (a worker costs its start and imports, about 0.45 CPU-seconds, and its
    rows a trip through the queue), taking what the workers send between its files."""
    import pyarrow as pa  # here, not at start: ingest imports this module on every run (a transcript run needs neither)

    order = largest_first([p for p, _ in files])
    table = "usage_apart"
    con.execute(create_table_sql(table))
    context = multiprocessing.get_context("spawn")  # not fork: this process's DuckDB threads must not be copied
    channel = context.Queue(QUEUE_BATCHES)
    taken = context.Value("i", 0)  # files handed out so far, in `order`
    job = [(str(files[i][0]), files[i][1].path, files[i][1].format) for i in order]
    count = processes - 1 if here is not None else processes
    workers = [context.Process(target=target or work, args=(w, job, taken, channel, BATCH_ROWS), daemon=True)
               for w in range(count)]
    for worker in workers:
        worker.start()
    running = set(range(len(workers)))
    done: set[Path] = set()
    pending: list[pa.Table] = []  # rows received, not yet inserted

    def take(block: bool) -> bool:
        """Handle one message from a worker; False when none came (none waiting, unless block)."""
        try:
            kind, w, payload = channel.get(timeout=POLL_SECONDS) if block else channel.get_nowait()
        except queues.Empty:  # nothing in flight: a worker that is gone has sent all it ever will
            running.difference_update({w for w in running if not workers[w].is_alive()})
            return False
        if kind == "rows":
            pending.append(pa.ipc.open_stream(payload).read_all())
            if sum(t.num_rows for t in pending) >= INSERT_ROWS:
                _insert(con, table, pending)
        elif kind == "bills":
            bills = pa.ipc.open_stream(payload).read_all()  # noqa: F841 (read by DuckDB)
            con.execute("INSERT INTO billing_raw SELECT * FROM bills")
        elif kind == "rejects":
            for reject in payload:
                on_reject(*reject)
        elif kind == "file":
            k, stats = payload
            path, mine = files[order[k]]
            vars(mine).update(vars(stats))
            done.add(path)
            if progress:
                progress(path, size(path))
        else:  # "done"
            running.discard(w)
        return True

    try:
        while here is not None and (k := next_file(taken, len(job))) is not None:
            path, stats = files[order[k]]
            here(path, stats)
            done.add(path)
            if progress:
                progress(path, size(path))
            while running and take(block=False):
                pass
        while running:
            take(block=True)
    finally:
        for worker in workers:
            worker.join(timeout=POLL_SECONDS)
            if worker.is_alive():
                worker.kill()
    _insert(con, table, pending)
    return done, [table]


def next_file(taken: Any, files: int) -> int | None:
    """The next file to read (its place in the order), or None when all are taken."""
    with taken.get_lock():
        k = taken.value
        if k >= files:
            return None
        taken.value = k + 1
    return k


def _insert(con: duckdb.DuckDBPyConnection, table: str, pending: list[pa.Table]) -> None:
    """The rows received so far, in one INSERT (each costs DuckDB milliseconds however few its rows: a transcript's
    rows come a file at a time, and one INSERT per file was as much CPU as reading them)."""
    if pending:
        import pyarrow as pa

        rows = pa.concat_tables(pending)  # noqa: F841 (read by DuckDB)
        con.execute(f"INSERT INTO {table} SELECT * FROM rows")
        pending.clear()


def forget(con: duckdb.DuckDBPyConnection, tables: list[str], stats: FileStats) -> None:
    """Remove what a worker sent of a file it did not finish, and its accounting, before the file is read again."""
    for table in [*tables, "billing_raw", "rejects"]:
        con.execute(f"DELETE FROM {table} WHERE source_file = ?", [stats.path])
    vars(stats).update(vars(FileStats(path=stats.path, format=stats.format)))


def work(w: int, job: list[tuple[str, str, str]], taken: Any, channel: Any, batch_rows: int) -> None:
    """A worker: read the next file of `job` (taken: the shared counter) until none is left, sending rows, rejects
    and bill lines in batches of batch_rows, then the file's accounting; "done" at the end."""
    from . import read_file  # here: the package imports this module

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it ends the workers
    try:
        while (k := next_file(taken, len(job))) is not None:
            path, name, fmt = job[k]
            sink = _Sink(w, channel, batch_rows)
            stats = FileStats(path=name, format=fmt)
            read_file(Path(path), stats, sink.row, sink.reject, sink.bill)
            sink.flush()
            channel.put(("file", w, (k, stats)))
    except Exception:  # noqa: BLE001 (no traceback here: the parent reads the unfinished files itself, and reports)
        return
    channel.put(("done", w, None))


class _Sink:
    """A worker's batches of one file, sent when full."""

    def __init__(self, w: int, channel: Any, batch_rows: int) -> None:
        self.w = w
        self.channel = channel
        self.batch_rows = batch_rows
        self.rows: list[dict[str, Any]] = []
        self.bills: list[dict[str, Any]] = []
        self.rejects: list[tuple[str, int, str]] = []

    def row(self, record: dict[str, Any]) -> None:
        self.rows.append(record)
        if len(self.rows) >= self.batch_rows:
            self._send_rows()

    def bill(self, record: dict[str, Any]) -> None:
        self.bills.append(record)
        if len(self.bills) >= self.batch_rows:
            self._send_bills()

    def reject(self, path: str, line: int, reason: str) -> None:
        self.rejects.append((path, line, reason))
        if len(self.rejects) >= self.batch_rows:
            self._send_rejects()

    def flush(self) -> None:
        self._send_rows()
        self._send_bills()
        self._send_rejects()

    def _send_rows(self) -> None:
        if self.rows:
            from finops.schema import ARROW_SCHEMA

            from . import arrow_records

            self.channel.put(("rows", self.w, _stream(arrow_records.table(self.rows, ARROW_SCHEMA))))
            self.rows = []

    def _send_bills(self) -> None:
        if self.bills:
            from finops.schema import BILLING_ARROW_SCHEMA

            from . import arrow_records

            self.channel.put(("bills", self.w, _stream(arrow_records.table(self.bills, BILLING_ARROW_SCHEMA))))
            self.bills = []

    def _send_rejects(self) -> None:
        if self.rejects:
            self.channel.put(("rejects", self.w, self.rejects))
            self.rejects = []


def _stream(table: pa.Table) -> bytes:
    """A table as Arrow stream bytes: what goes through the queue. (Pickling the table itself makes pyarrow import
    pandas on both sides: 0.4 CPU-seconds in each worker and again in this process.)"""
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as out:
        out.write_table(table)
    return sink.getvalue().to_pybytes()
