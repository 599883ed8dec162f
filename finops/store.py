"""A persistent DuckDB store: `finops ingest PATH... --db FILE` adds files to it, `finops analyze --db` reads it.

Tables (the store is a plain DuckDB file; any DuckDB client can read it):

- `files`: one row per input file ever offered: path, size, sha256 of the content, format (NULL when the file
  was skipped, with skip_reason), the accounting (rows_read = rows_loaded + rows_rejected + rows_duplicate),
  lines_ignored, error, notes, reject reasons, when it was loaded, and the number of the last ingest that saw
  it (last_seen; store_meta `last_ingest` is the latest ingest's number).
- `usage`: the normalised usage table (finops/schema.py), deduplicated on record_id across every file loaded.
- `billing`: money-only bill lines (finops/schema.py BILLING_COLUMNS: Anthropic's cost report and Console cost
  export, the credits, tax and other non-usage lines of cloud bills), deduplicated on record_id across every file
  loaded, as the in-memory run does (the first by file and line is kept).
- `usage_duplicates`, `billing_duplicates`: the copies of a record that lost to a copy in another file, one per
  record and file (a file's own repeats of a record are settled when it is read and not kept).
- `rejects`: every rejected record with its file, line and reason.

A file is named by its absolute path, its folder resolved, so it is one file however its path was spelled.
Each file is loaded in its own transaction: an interrupted ingest leaves the store as it was before the file it
was reading, and running the same ingest again finishes the job. A file already loaded with the same path, size
and content hash is skipped. A record already in the store (same record_id) is not added twice: the row with
more tokens is kept (ties: the earlier file and line), exactly as one in-memory run over all the files keeps it,
the losing copy goes to the duplicates table, and the accounting of the file whose row lost is updated in the
same transaction. A file whose content changed since it was loaded is loaded again: its earlier rows, bill lines,
losing copies and rejects are withdrawn, and a record whose kept row was its own goes back to the best copy left
in another file. So the store equals one in-memory run over every file it has seen, each as last read, without
reading unchanged files again. Bill lines count in a file's accounting like usage rows (a derived line, such as
the credits split from a GCP usage row, is kept but is not a record of its own).

Cost of keeping that invariant: new records only (the common case) cost what they did before (the staged rows are
joined with the kept ones on record_id; the statements that move losing copies run only when there is one). The
duplicates tables hold one row per cross-file copy. A changed file costs one more pass over the kept rows' file
column (to find the records it held) and a look-up of those records in the duplicates tables.

Stores of version 1 are migrated when opened read-write: they gain the `billing` table (files whose bill lines
were then dropped are read again), the duplicates tables (files with duplicates are read again, so their losing
copies are there), and `last_seen`; a file they recorded under another spelling of its path (relative, `.`,
`..`) is replaced by the same file (name, size, content) met under its resolved path, which is read again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

try:
    import fcntl
except ImportError:  # Windows: work folders are not locked (work_folder)
    fcntl = None  # type: ignore[assignment]

from finops import names as naming
from finops.errors import FinopsError
from finops.ingest import (
    IngestResult,
    Stager,
    bill_groupings,
    detect,
    iter_files,
    overlap,
    read_file,
)
from finops.ingest.common import FileStats, display_path
from finops.schema import BILLING_NAMES, NAMES, TOKEN_COLUMNS, create_billing_sql, create_table_sql

STORE_VERSION = 2  # 2: paths resolved, losing copies kept; version 1 stores are migrated
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
TOTAL = " + ".join(f"coalesce({{t}}.{c}, 0)" for c in TOKEN_COLUMNS)
# Tests only: pause for this many seconds before committing the N-th file loaded (FINOPS_TEST_PAUSE=N:SECONDS),
# after touching FINOPS_TEST_PAUSE_MARKER, so a test can kill the process in the middle of a file.
PAUSE_ENV = "FINOPS_TEST_PAUSE"
# The note that finops versions whose store had no `billing` table left on files whose bill lines they dropped
# (ingest/common.py Emitter.bill): such files are read again once the table exists.
BILLS_DROPPED_NOTE = "bill lines (money without tokens, table billing) are not kept here"

FILES_DDL = """
CREATE TABLE IF NOT EXISTS files (
  path VARCHAR, size BIGINT, sha256 VARCHAR, format VARCHAR,
  rows_read BIGINT, rows_loaded BIGINT, rows_rejected BIGINT, rows_duplicate BIGINT, lines_ignored BIGINT,
  error VARCHAR, notes VARCHAR, reasons VARCHAR, skip_reason VARCHAR, loaded_at TIMESTAMP, last_seen BIGINT
)"""


class StoreError(FinopsError):
    """The store cannot be opened or used."""


@dataclass
class IngestSummary:
    """What one `finops ingest` did."""

    loaded: list[FileStats] = field(default_factory=list)  # files read in this run
    unchanged: int = 0  # files skipped: same path, size and content hash as already loaded
    skipped: list[tuple[str, str]] = field(default_factory=list)  # files in no known format
    rows_added: int = 0
    run: int = 0  # this ingest's number (store_meta last_ingest)
    seen: list[str] = field(default_factory=list)  # the unchanged files: marked seen by this run at the end


def connect(db: Path) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) a store file read-write."""
    try:
        con = duckdb.connect(str(db))
    except duckdb.Error as e:
        raise open_error(db, e) from e
    configure(con)
    con.execute("CREATE TABLE IF NOT EXISTS store_meta (key VARCHAR, value VARCHAR)")
    version = con.execute("SELECT value FROM store_meta WHERE key = 'version'").fetchone()
    if version is None:
        con.execute("INSERT INTO store_meta VALUES ('version', ?)", [str(STORE_VERSION)])
    elif int(version[0]) not in (1, STORE_VERSION):
        raise StoreError(f"{db}: store version {version[0]}, this finops reads version {STORE_VERSION}")
    con.execute(FILES_DDL)
    con.execute("ALTER TABLE files ADD COLUMN IF NOT EXISTS last_seen BIGINT")  # stores of version 1
    con.execute(create_table_sql("usage").replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS", 1))
    con.execute("CREATE TABLE IF NOT EXISTS rejects (source_file VARCHAR, source_line BIGINT, reason VARCHAR)")
    con.execute(NAMES_DDL)
    _add_billing(con)
    _add_losers(con)
    con.execute("UPDATE store_meta SET value = ? WHERE key = 'version'", [str(STORE_VERSION)])
    return con


def open_error(db: Path, error: duckdb.Error) -> StoreError:
    """The one-line error for a store that cannot be opened; DuckDB's lock conflict in words a user can act on."""
    text = str(error)
    if "Could not set lock" in text or "Conflicting lock" in text:
        pid = re.search(r"\(PID (\d+)\)", text)
        who = f" (PID {pid.group(1)})" if pid else ""
        return StoreError(f"{db}: another finops process{who} is using the store; wait for it to finish, "
                          "or use another --db")
    return StoreError(f"{db}: cannot open the store: {text}")


def _add_billing(con: duckdb.DuckDBPyConnection) -> None:
    """Migration: give a store made before bill lines were kept its `billing` table, and have the next ingest
    read again the files whose bill lines were dropped (same path, size and hash would otherwise skip them)."""
    if _has_table(con, "billing"):
        return
    con.begin()
    try:
        con.execute(create_billing_sql("billing").replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS", 1))
        con.execute("UPDATE files SET sha256 = NULL WHERE contains(notes, ?)", [BILLS_DROPPED_NOTE])
        con.commit()
    except BaseException:
        con.rollback()
        raise


def _add_losers(con: duckdb.DuckDBPyConnection) -> None:
    """Migration: give a store made before the losing copies of a record were kept its `usage_duplicates` and
    `billing_duplicates`, and have the next ingest read again the files that had a duplicate (their copies were
    dropped), so that those copies are there if the file holding the kept one changes."""
    if _has_table(con, "usage_duplicates"):
        return
    con.begin()
    try:
        con.execute(create_table_sql("usage_duplicates"))
        con.execute(create_billing_sql("billing_duplicates"))
        con.execute("UPDATE files SET sha256 = NULL WHERE rows_duplicate > 0")
        con.commit()
    except BaseException:
        con.rollback()
        raise


def _has_table(con: duckdb.DuckDBPyConnection, name: str, database: str | None = None) -> bool:
    """Whether a base table of that name is in the given attached database (default: the current one)."""
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = coalesce(?, current_database()) "
        "AND schema_name = 'main' AND table_name = ?",
        [database, name],
    ).fetchone()
    return bool(row and row[0])


DEFAULT_MEMORY_LIMIT = "1GB"  # FINOPS_MEMORY_LIMIT when not set


def configure(con: duckdb.DuckDBPyConnection) -> None:
    """Bound DuckDB's memory (FINOPS_MEMORY_LIMIT, default DEFAULT_MEMORY_LIMIT; it spills to disk beyond) so peak
    memory stays flat however large the input."""
    limit = os.environ.get("FINOPS_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)
    con.execute(f"SET memory_limit = '{_size_setting(limit)}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    # Spill to the system temp folder, not a .tmp folder in whatever directory finops runs from.
    con.execute("SET temp_directory = ?", [str(Path(tempfile.gettempdir()) / "finops-duckdb")])


# Rows per row group of a run's working database: DuckDB compresses a table a row group at a time as it is written
# (below); at its default (122,880 rows) the rows of 1 GB of transcripts were one group, held uncompressed.
WORK_ROW_GROUP_ROWS = 16_384


def work_in_file(con: duckdb.DuckDBPyConnection) -> None:
    """Hold a run's tables in a temporary database file instead of in memory, so that they are compressed.

    DuckDB compresses a table held in memory only at a checkpoint, so `usage` and `priced_usage` took 160 MiB
    for the 158K rows of 1 GB of transcripts (peak RSS grew with the rows: 1.9x from 100 MB to 1 GB). In a file
    it writes each full row group compressed as it is inserted (20 MiB for the same rows) and keeps its blocks in
    the buffer pool only up to the memory limit. The file is unlinked at once (the connection keeps it open, it
    goes when the connection closes) and never synced: nothing in it outlives the run. Temporary tables stay in
    memory; the settings are the connection's DuckDB instance's (pipeline.run opens one of its own). The folder
    (which holds DuckDB's WAL) is removed when the connection goes, or by the next run if this one is killed
    (work_folder)."""
    folder, lock = work_folder()
    weakref.finalize(con, _remove_folder, folder, lock)  # what is left (its WAL) when the connection goes
    path = folder / "work.duckdb"
    con.execute(f"ATTACH ? AS work (ROW_GROUP_SIZE {WORK_ROW_GROUP_ROWS})", [str(path)])
    con.execute("USE work")
    con.execute("SET fsync_mode = 'NONE'")
    con.execute("SET write_buffer_row_group_count = 1")  # each full row group written (compressed) at once
    try:
        path.unlink()
    except OSError:  # a system that cannot remove an open file: removed with its folder when the connection goes
        pass


WORK_PREFIX = "finops-work-"
OWNER_LOCK = "owner.lock"  # locked (flock) by the process that uses the folder, for as long as it lives


def work_folder() -> tuple[Path, Any]:
    """A new work folder in the system temp folder, and the open lock file that marks it as this process's.

    A run that is killed cannot remove its folder, but the kernel releases its lock: each run first removes the
    folders whose lock nobody holds (remove_stale_work_folders). The folder is made under another name and renamed
    once locked, so no other run ever sees it unlocked. Without fcntl (Windows) folders are not locked and a
    killed run's folder stays."""
    remove_stale_work_folders()
    starting = Path(tempfile.mkdtemp(prefix="finops-starting-"))
    lock = None
    if fcntl is not None:
        lock = open(starting / OWNER_LOCK, "w")  # noqa: SIM115  # held open until the folder is removed
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # a file system without locks (some network ones): an unlocked folder, as on Windows
            lock.close()
            (starting / OWNER_LOCK).unlink()  # no lock file: never taken for a killed run's folder
            lock = None
    folder = starting.with_name(WORK_PREFIX + starting.name.removeprefix("finops-starting-"))
    starting.rename(folder)
    return folder, lock


def remove_stale_work_folders() -> list[Path]:
    """Remove the work folders of runs that are gone: those whose lock file no live process holds. A folder
    without a lock file (made by an earlier finops, or not locked yet) is left alone. Returns those removed."""
    removed: list[Path] = []
    if fcntl is None:
        return removed
    for folder in Path(tempfile.gettempdir()).glob(WORK_PREFIX + "*"):
        try:
            lock = os.open(folder / OWNER_LOCK, os.O_RDONLY)  # no lock file: OSError, left alone
        except OSError:
            continue
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # held by a live run: OSError, left alone
            shutil.rmtree(folder)
            removed.append(folder)
        except OSError:  # locked, or removed by another run meanwhile
            continue
        finally:
            os.close(lock)
    return removed


def _remove_folder(folder: Path, lock: Any) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    if lock is not None:
        lock.close()


_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([KMGT])(i?)B", re.IGNORECASE)


def _size_setting(text: str) -> str:
    if not _SIZE.fullmatch(text.strip()):
        raise StoreError(f"FINOPS_MEMORY_LIMIT={text!r}: use a size such as 512MB or 2GB")
    return text.strip()


def memory_limit_bytes(text: str | None = None) -> int:
    """A memory limit in bytes as DuckDB reads it (1GB = 1,000,000,000 bytes, 1GiB = 2**30): `text`, else
    FINOPS_MEMORY_LIMIT, else the default."""
    setting = _size_setting(text if text is not None else os.environ.get("FINOPS_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT))
    number, prefix, binary = _SIZE.fullmatch(setting).groups()  # type: ignore[union-attr]  # checked just above
    power = "KMGT".index(prefix.upper()) + 1
    return int(float(number) * (1024 if binary else 1000) ** power)


# polars' allocator (jemalloc) keeps the pages it frees for about 10 s: reading a large bill, 40 to 70 MiB more at
# a process's peak. Told to give them back at once, it costs reading bills 6 to 10% more time (bench/RESULTS.md).
_ALLOCATOR = "_RJEM_MALLOC_CONF"
_GIVE_BACK_AT_ONCE = "background_thread:true,dirty_decay_ms:0,muzzy_decay_ms:0"


def prefer_memory_to_speed() -> None:
    """With a small footprint (small_footprint), have polars' allocator give freed memory back at once: set for
    this process before polars is loaded (the allocator reads it then) and for the worker processes it starts;
    a setting of the user's own is kept. A FINOPS_MEMORY_LIMIT that cannot be read is left to the commands that
    use it to report."""
    try:
        small = small_footprint()
    except StoreError:
        return
    if small and "polars" not in sys.modules:
        os.environ.setdefault(_ALLOCATOR, _GIVE_BACK_AT_ONCE)


def small_footprint() -> bool:
    """Whether FINOPS_MEMORY_LIMIT asks for less memory than the default: the reading then holds less outside
    DuckDB's limit (bills in one process: ingest._read_bills_apart)."""
    return memory_limit_bytes() < memory_limit_bytes(DEFAULT_MEMORY_LIMIT)


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def ingest(paths: Iterable[Path], db: Path, progress: Callable[[Path, int], None] | None = None) -> IngestSummary:
    """Add the files under paths to the store, one transaction per file, and the names files among them."""
    paths = list(paths)
    files = list(dict.fromkeys(identity(p) for p in iter_files(paths)))  # one file however often it was named
    found_names = {identity(p): naming.read_file(p) for p in naming.discover(paths)}  # a bad one stops us first
    with Ingesting(db) as run:
        run.start()
        for path in files:
            _ingest_file(run.con, path, run.summary, run.pause, run.legacy)
            if progress:
                progress(path, path.stat().st_size if path.is_file() else 0)
        for path, mapping in found_names.items():
            _keep_names(run.con, path, mapping)
    return run.summary


class Ingesting:
    """One ingest into the store: the store opened (a lock held by another process is a StoreError), this
    ingest numbered, and at the end the unchanged files marked seen by it and the store closed. Also the
    ingest of `finops ingest --engine spark` (finops/spark_store.py), which reads the files elsewhere."""

    def __init__(self, db: Path) -> None:
        self.db = db

    def __enter__(self) -> Ingesting:
        self.pause = _pause_setting()
        self.con = connect(self.db)
        self.summary = IngestSummary()
        self.legacy: dict[tuple[str, int, str | None], list[str]] = {}
        return self

    def start(self) -> None:
        """Number this ingest: from here on, a file it does not see counts as not seen (files_not_seen)."""
        self.summary.run = _next_run(self.con)
        self.legacy = _legacy_paths(self.con)

    def __exit__(self, *exc: object) -> None:
        try:
            if self.summary.run:
                self.con.execute("UPDATE files SET last_seen = ? WHERE path IN (SELECT unnest(?::VARCHAR[]))",
                                 [self.summary.run, self.summary.seen])
        except duckdb.Error:  # only a mark: those files would be counted as not seen, their rows are intact
            pass
        self.con.close()

    def to_read(self, name: str, leaf: str, size: int, digest: str | None) -> list[str] | None:
        return _to_read(self.con, name, leaf, size, digest, self.summary, self.legacy)

    def load(self, name: str, size: int, digest: str | None, stale: list[str], fmt: str | None, why: str,
             stage: Callable[[FileStats], None]) -> None:
        _ingest_once(self.con, name, size, digest, stale, fmt, why, self.summary, self.pause, stage)

    def keep_names(self, path: Path, mapping: dict[str, dict[str, str]]) -> None:
        _keep_names(self.con, path, mapping)


# Workspace and API key names from the names files (finops-names.toml) ingested: the store keeps them, as it keeps
# the rows, so `analyze --db` names the ids without the pulled folder at hand.
NAMES_DDL = "CREATE TABLE IF NOT EXISTS names (source VARCHAR, section VARCHAR, id VARCHAR, name VARCHAR)"


def _keep_names(con: duckdb.DuckDBPyConnection, path: Path, mapping: dict[str, dict[str, str]]) -> None:
    """Replace what the store holds from this names file with what it says now (a file gone keeps its names)."""
    rows = [(str(path), section, ident, name) for section, pairs in mapping.items() for ident, name in pairs.items()]
    con.begin()
    try:
        con.execute("DELETE FROM names WHERE source = ?", [str(path)])
        if rows:
            con.executemany("INSERT INTO names VALUES (?, ?, ?, ?)", rows)
        con.commit()
    except BaseException:
        con.rollback()
        raise


def kept_names(con: duckdb.DuckDBPyConnection, schema: str = "store") -> dict[str, dict[str, str]]:
    """The names an attached store keeps, merged as a one-shot run merges its names files (path order)."""
    if not _has_table(con, "names", schema):
        return {}
    layers: dict[str, dict[str, dict[str, str]]] = {}
    for source, section, ident, name in con.execute(
            f"SELECT source, section, id, name FROM {schema}.names ORDER BY source, section, id").fetchall():
        layers.setdefault(source, {}).setdefault(section, {})[ident] = name
    return naming.merge(*layers.values())


def _next_run(con: duckdb.DuckDBPyConnection) -> int:
    """Number this ingest (store_meta last_ingest), so the files it does not see can be told apart."""
    row = con.execute("SELECT value FROM store_meta WHERE key = 'last_ingest'").fetchone()
    run = int(row[0]) + 1 if row else 1
    con.execute("DELETE FROM store_meta WHERE key = 'last_ingest'")
    con.execute("INSERT INTO store_meta VALUES ('last_ingest', ?)", [str(run)])
    return run


def files_not_seen(con: duckdb.DuckDBPyConnection, schema: str = "store") -> int | None:
    """How many files of the attached store the last ingest did not see (gone from their folder, or not given):
    their rows stay. None for a store no ingest of this version has run on."""
    if not _has_table(con, "store_meta", schema):
        return None
    row = con.execute(f"SELECT value FROM {schema}.store_meta WHERE key = 'last_ingest'").fetchone()
    if row is None:
        return None
    return _count(con, f"SELECT count(*) FROM {schema}.files WHERE last_seen IS DISTINCT FROM ?", [int(row[0])])


def identity(path: Path) -> Path:
    """A file's name in the store: absolute, its folder resolved (`.`, `..`, links to folders), so a file is one
    file however its path is spelled. The name itself is kept: a link to a file is a file of its own, as in a
    one-shot run."""
    return path.parent.resolve() / path.name


def _legacy_paths(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, int, str | None], list[str]]:
    """Files recorded by older finops versions under the path as given (relative, or with `.` or `..`), by name,
    size and content hash (None: a file that a migration marked to be read again): the same file met under its
    resolved path replaces them. A URL (`finops ingest --engine spark`) is named as given, never a legacy spelling."""
    from finops.spark_files import is_url

    found: dict[tuple[str, int, str | None], list[str]] = {}
    for path, size, digest in con.execute("SELECT path, size, sha256 FROM files").fetchall():
        if not is_url(path) and (not os.path.isabs(path) or os.path.normpath(path) != path):
            found.setdefault((Path(path).name, size, digest), []).append(path)
    return found


def _pause_setting() -> tuple[int, float] | None:
    value = os.environ.get(PAUSE_ENV)
    if not value:
        return None
    n, seconds = value.split(":")
    return int(n), float(seconds)


def size_and_hash(path: Path) -> tuple[int, str | None]:
    """What the store compares to tell a file unchanged: its size and content hash (0 and None for what is never
    opened: a link to a folder, a pipe, a broken link, reported as skipped; None for an unreadable file)."""
    size, digest = 0, None
    if path.is_file():
        size = path.stat().st_size
        try:
            digest = file_hash(path)
        except OSError:  # unreadable: detect() says why
            pass
    return size, digest


def _ingest_file(con: duckdb.DuckDBPyConnection, path: Path, summary: IngestSummary,
                 pause: tuple[int, float] | None, legacy: dict[tuple[str, int, str | None], list[str]]) -> None:
    name = display_path(path)
    size, digest = size_and_hash(path)
    stale = _to_read(con, name, path.name, size, digest, summary, legacy)
    if stale is None:
        return
    fmt, why = detect(path)
    _ingest_once(con, name, size, digest, stale, fmt, why, summary, pause,
                 lambda stats: _load(con, path, stats))


def _to_read(con: duckdb.DuckDBPyConnection, name: str, leaf: str, size: int, digest: str | None,
            summary: IngestSummary, legacy: dict[tuple[str, int, str | None], list[str]]) -> list[str] | None:
    """None when the file (name; leaf: its last part) is loaded already with this size and hash (counted
    unchanged, marked seen); else the names whose rows must go before it is read (its own earlier version, and
    its earlier spellings)."""
    known = con.execute("SELECT size, sha256 FROM files WHERE path = ?", [name]).fetchone()
    # Its earlier spellings go, and the file is read again: its accounting was shared with them.
    stale = legacy.pop((leaf, size, digest), []) + legacy.pop((leaf, size, None), [])
    if known == (size, digest) and not stale:
        summary.unchanged += 1
        summary.seen.append(name)
        return None
    if known is not None:
        stale.append(name)
    return stale


def _ingest_once(con: duckdb.DuckDBPyConnection, name: str, size: int, digest: str | None,
                 stale: list[str], fmt: str | None, why: str, summary: IngestSummary,
                 pause: tuple[int, float] | None, stage: Callable[[FileStats], None]) -> None:
    """One file in one transaction: what its earlier versions put in the store withdrawn, then (stage: reads it
    into the `staged` and `billing_raw` temp tables and `rejects`, filling stats) its rows merged, and its files
    row written."""
    con.begin()
    try:
        for old in stale:
            _forget(con, old)
        now = datetime.now(UTC).replace(tzinfo=None)
        if fmt is None:
            con.execute("INSERT INTO files (path, size, sha256, skip_reason, loaded_at, last_seen) "
                        "VALUES (?, ?, ?, ?, ?, ?)", [name, size, digest, why, now, summary.run])
            summary.skipped.append((name, why))
        else:
            stats = FileStats(path=name, format=fmt)
            stage_tables(con)
            stage(stats)
            _settle(con, stats)
            _record_file(con, stats, name, size, digest, now, summary, pause)
        con.commit()
    except BaseException:
        con.rollback()
        raise


def _record_file(con: duckdb.DuckDBPyConnection, stats: FileStats, name: str, size: int, digest: str | None,
                 now: datetime, summary: IngestSummary, pause: tuple[int, float] | None) -> None:
    """The files row of a file read: loaded with its accounting, or skipped when its reader found nothing of ours
    in it (a FOCUS export with no Claude line)."""
    if stats.skip_reason and stats.rows_read == 0:
        con.execute("INSERT INTO files (path, size, sha256, skip_reason, loaded_at, last_seen) "
                    "VALUES (?, ?, ?, ?, ?, ?)", [name, size, digest, stats.skip_reason, now, summary.run])
        summary.skipped.append((name, stats.skip_reason))
        return
    con.execute("INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)", [
        name, size, digest, stats.format, stats.rows_read, stats.rows_loaded, stats.rows_rejected,
        stats.rows_duplicate, stats.lines_ignored, stats.error, json.dumps(stats.notes),
        json.dumps(stats.reasons, sort_keys=True), now, summary.run])
    summary.loaded.append(stats)
    summary.rows_added += stats.rows_loaded
    if pause and len(summary.loaded) == pause[0]:
        marker = os.environ.get(PAUSE_ENV + "_MARKER")
        if marker:
            Path(marker).write_text(name)
        time.sleep(pause[1])


def _forget(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop what an earlier version of this file put in the store. A record whose kept row was this file's goes
    back to its best copy in another file (from the duplicates tables), whose accounting gains the row."""
    for kind in KINDS:
        _withdraw(con, name, kind)
    con.execute("DELETE FROM rejects WHERE source_file = ?", [name])
    con.execute("DELETE FROM files WHERE path = ?", [name])
    _restore_covered(con)


def _withdraw(con: duckdb.DuckDBPyConnection, name: str, kind: Kind) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE gone AS SELECT record_id FROM {kind.target} WHERE source_file = ?",
                [name])
    con.execute(f"DELETE FROM {kind.target} WHERE source_file = ?", [name])
    con.execute(f"DELETE FROM {kind.losers} WHERE source_file = ?", [name])
    if _count(con, "SELECT count(*) FROM gone"):
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE back AS SELECT * FROM {kind.losers} s SEMI JOIN gone USING (record_id)
            QUALIFY row_number() OVER (PARTITION BY record_id ORDER BY {kind.terms("s")}) = 1""")
        con.execute(f"INSERT INTO {kind.target} SELECT {kind.columns} FROM back")
        con.execute(f"DELETE FROM {kind.losers} WHERE (record_id, source_file) IN "
                    "(SELECT (record_id, source_file) FROM back)")
        con.execute(f"""
            UPDATE files SET rows_loaded = rows_loaded + c.n, rows_duplicate = rows_duplicate - c.n
            FROM (SELECT source_file, count(*) AS n FROM back b WHERE {kind.counted.format(t="b")} GROUP BY 1) c
            WHERE files.path = c.source_file""")
        con.execute("DROP TABLE back")
    con.execute("DROP TABLE gone")


def _drop_covered(con: duckdb.DuckDBPyConnection, stats: FileStats | None) -> None:
    """Move the telemetry rows another row already counts (overlap.py) to usage_duplicates, so they come back if
    the rows covering them are withdrawn; their files' accounting moves them from loaded to duplicate (stats: the
    file being read, whose files row is not written yet)."""
    if not _count(con, "SELECT count(*) FROM usage WHERE source_format = ?", [overlap.OTEL]):
        return
    columns = ", ".join(NAMES)
    con.execute(f"CREATE OR REPLACE TEMP TABLE telemetry AS SELECT {columns} FROM usage WHERE source_format = ?",
                [overlap.OTEL])
    covered = overlap.drop_covered(con, "usage")
    if covered:
        con.execute(f"INSERT INTO usage_duplicates SELECT {columns} FROM telemetry "
                    "WHERE record_id NOT IN (SELECT record_id FROM usage)")
    con.execute("DROP TABLE telemetry")
    for source, rows in covered.items():
        if stats is not None and source == stats.path:
            stats.rows_loaded -= rows
            stats.notes.append(overlap.NOTE.format(n=rows))
        else:
            con.execute("UPDATE files SET rows_loaded = rows_loaded - ?, rows_duplicate = rows_duplicate + ? "
                        "WHERE path = ?", [rows, rows, source])


def _restore_covered(con: duckdb.DuckDBPyConnection) -> None:
    """After a file is withdrawn: telemetry rows that were covered (in usage_duplicates, their record in no usage
    row) go back to usage, and are covered again only if something still covers them."""
    if not _count(con, "SELECT count(*) FROM usage_duplicates WHERE source_format = ?", [overlap.OTEL]):
        return
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE back AS SELECT * FROM usage_duplicates s
        WHERE source_format = ? AND record_id NOT IN (SELECT record_id FROM usage)
        QUALIFY row_number() OVER (PARTITION BY record_id ORDER BY {KINDS[0].terms("s")}) = 1""", [overlap.OTEL])
    if _count(con, "SELECT count(*) FROM back"):
        con.execute(f"INSERT INTO usage SELECT {KINDS[0].columns} FROM back")
        con.execute("DELETE FROM usage_duplicates WHERE (record_id, source_file) IN "
                    "(SELECT (record_id, source_file) FROM back)")
        con.execute("""
            UPDATE files SET rows_loaded = rows_loaded + c.n, rows_duplicate = rows_duplicate - c.n
            FROM (SELECT source_file, count(*) AS n FROM back GROUP BY 1) c WHERE files.path = c.source_file""")
        _drop_covered(con, None)
    con.execute("DROP TABLE back")


def _count(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> int:
    row = con.execute(sql, params or []).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def stage_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The temp tables one file's rows (`staged`) and bill lines (`billing_raw`) are read into."""
    con.execute(create_table_sql("staged").replace("CREATE TABLE", "CREATE OR REPLACE TEMP TABLE", 1))
    # Stager writes bill lines to `billing_raw`, as in ingest.load; here a temp table, one file's lines.
    con.execute(create_billing_sql("billing_raw").replace("CREATE TABLE", "CREATE OR REPLACE TEMP TABLE", 1))


def _load(con: duckdb.DuckDBPyConnection, path: Path, stats: FileStats) -> None:
    """Read one file into the transaction's staging tables (its rejects straight into `rejects`); fills stats."""
    staging = Stager(con, usage_table="staged")
    read_file(path, stats, staging.row, staging.reject, staging.bill, staging.table)
    staging.flush()


def _settle(con: duckdb.DuckDBPyConnection, stats: FileStats) -> None:
    """Merge the staged rows into `usage` and the staged bill lines into `billing`; completes stats."""
    stats.rows_loaded = sum(_merge(con, kind) for kind in KINDS)
    # One record under two keys (Claude Code telemetry and transcripts, ingest/overlap.py), whichever came first.
    if stats.format in overlap.FORMATS:
        _drop_covered(con, stats)
    stats.rows_duplicate = stats.rows_staged - stats.rows_loaded
    con.execute("DROP TABLE staged")
    con.execute("DROP TABLE billing_raw")


@dataclass(frozen=True)
class Kind:
    """A table of records deduplicated across files: where one file's rows are staged, where the kept row of each
    record is, where the other files' copies wait (losers: one row per record and file), and how a record staged
    twice is settled (rank: SQL terms over alias {t}, lower wins, as in ingest.load; counted: which rows are
    records, a derived bill line is kept but is not one)."""

    staged: str
    target: str
    losers: str
    names: tuple[str, ...]
    rank: tuple[str, ...]
    counted: str = "true"

    @property
    def columns(self) -> str:
        return ", ".join(self.names)

    def terms(self, t: str) -> str:
        return ", ".join(term.format(t=t) for term in self.rank)


# Usage keeps the row with most tokens, then the earliest file and line; bills keep the earliest line.
KINDS = (
    Kind("staged", "usage", "usage_duplicates", tuple(NAMES),
         (f"-({TOTAL})", "{t}.source_file", "{t}.source_line")),
    Kind("billing_raw", "billing", "billing_duplicates", tuple(BILLING_NAMES),
         ("{t}.source_file", "{t}.source_line"), "NOT {t}.derived"),
)


def _merge(con: duckdb.DuckDBPyConnection, kind: Kind) -> int:
    """Move the staged rows into the target: one per record_id, the lowest rank, whether staged now or stored by
    an earlier file (whose accounting then moves one row from loaded to duplicate). The copy that loses, new or
    stored, goes to the losers table, so that it takes over if the winner's file changes. Returns how many staged
    records stay."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE best AS SELECT * FROM {kind.staged} s "
                f"QUALIFY row_number() OVER (PARTITION BY record_id ORDER BY {kind.terms('s')}) = 1")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE clash AS
        SELECT b.record_id, u.source_file AS old_file, {kind.counted.format(t="u")} AS old_counted,
            ({kind.terms("b")}) < ({kind.terms("u")}) AS new_wins
        FROM best b JOIN {kind.target} u ON u.record_id = b.record_id""")
    # The common case (new records only) skips the statements that would scan the target for no row.
    if _count(con, "SELECT count(*) FROM clash WHERE new_wins"):
        con.execute(f"INSERT INTO {kind.losers} SELECT {kind.columns} FROM {kind.target} "
                    "WHERE record_id IN (SELECT record_id FROM clash WHERE new_wins)")
        con.execute(f"DELETE FROM {kind.target} WHERE record_id IN (SELECT record_id FROM clash WHERE new_wins)")
        con.execute("""
            UPDATE files SET rows_loaded = rows_loaded - c.n, rows_duplicate = rows_duplicate + c.n
            FROM (SELECT old_file, count(*) AS n FROM clash WHERE new_wins AND old_counted GROUP BY 1) c
            WHERE files.path = c.old_file""")
    if _count(con, "SELECT count(*) FROM clash WHERE NOT new_wins"):
        con.execute(f"INSERT INTO {kind.losers} SELECT {kind.columns} FROM best "
                    "WHERE record_id IN (SELECT record_id FROM clash WHERE NOT new_wins)")
        con.execute("DELETE FROM best WHERE record_id IN (SELECT record_id FROM clash WHERE NOT new_wins)")
    con.execute(f"INSERT INTO {kind.target} SELECT {kind.columns} FROM best")
    kept = _count(con, f"SELECT count(*) FROM best b WHERE {kind.counted.format(t='b')}")
    con.execute("DROP TABLE best")
    con.execute("DROP TABLE clash")
    return kept


# ---- reading the store -------------------------------------------------------------------------------------


def month_bounds(month: str) -> tuple[str, str]:
    """[first day, first day of the next month) of a YYYY-MM month."""
    if not MONTH.match(month):
        raise StoreError(f"{month!r} is not a month: use YYYY-MM, e.g. 2026-10")
    year, mon = int(month[:4]), int(month[5:])
    nxt = f"{year + 1:04d}-01" if mon == 12 else f"{year:04d}-{mon + 1:02d}"
    return f"{month}-01", f"{nxt}-01"


def attach(con: duckdb.DuckDBPyConnection, db: Path, month: str | None = None) -> IngestResult:
    """Expose the store to a working connection as the `usage`, `billing` and `rejects` the pipeline reads
    (views, so nothing is copied; with month, only that month's usage and bill lines, by the start of their
    period), and return its files' accounting."""
    if not db.exists():
        raise StoreError(f"{db}: no such store (create it with `finops ingest PATH... --db {db}`)")
    try:
        con.execute("ATTACH ? AS store (READ_ONLY)", [str(db)])
    except duckdb.Error as e:
        raise open_error(db, e) from e
    where = ""
    if month:
        start, end = month_bounds(month)
        where = f" WHERE charge_period_start >= TIMESTAMP '{start}' AND charge_period_start < TIMESTAMP '{end}'"
    # where is built from month_bounds' validated YYYY-MM-DD dates only (a view cannot take parameters).
    con.execute(f"CREATE OR REPLACE VIEW usage AS SELECT * FROM store.usage{where}")
    lost: dict[str, tuple[int, str]] = {}
    if _has_table(con, "billing", "store"):
        # A copy (bill lines are few): cost queries of other groupings for the same days count once, as when the
        # files are read together (ingest/bill_groupings.py); the store keeps every line, so a later file can win.
        con.execute(f"CREATE OR REPLACE TABLE billing AS SELECT * FROM store.billing{where}")
        lost = bill_groupings.drop_coarser(con, "billing")
    else:  # a store made before bill lines were kept, opened read-only: it holds none
        con.execute(create_billing_sql("billing").replace("CREATE TABLE", "CREATE OR REPLACE TABLE", 1))
    con.execute("CREATE OR REPLACE VIEW rejects AS SELECT * FROM store.rejects")
    result = files_result(con, "store.files")
    for stats in result.files:
        if stats.path in lost:
            n, note = lost[stats.path]
            stats.rows_loaded -= n
            stats.rows_duplicate += n
            stats.notes.append(note)
    return result


def files_result(con: duckdb.DuckDBPyConnection, table: str = "files") -> IngestResult:
    """The files table as the pipeline's IngestResult (inputs and skipped, in path order)."""
    result = IngestResult()
    for row in con.execute(f"""
            SELECT path, format, rows_read, rows_loaded, rows_rejected, rows_duplicate, lines_ignored, error,
                notes, reasons, skip_reason FROM {table} ORDER BY path""").fetchall():
        path, fmt, read, loaded, rejected, dup, ignored, error, notes, reasons, why = row
        if fmt is None:
            result.skipped.append((path, why or ""))
            continue
        result.files.append(FileStats(
            path=path, format=fmt, rows_read=read, rows_staged=loaded + dup, rows_rejected=rejected,
            lines_ignored=ignored, rows_loaded=loaded, rows_duplicate=dup, error=error,
            notes=json.loads(notes or "[]"), reasons=json.loads(reasons or "{}")))
    return result


def export_parquet(db: Path, out: Path) -> int:
    """Write the store's usage as Hive-partitioned Parquet (month=YYYY-MM/platform=...); returns rows written."""
    if not db.exists():
        raise StoreError(f"{db}: no such store")
    con = duckdb.connect()
    configure(con)
    try:
        try:
            con.execute("ATTACH ? AS store (READ_ONLY)", [str(db)])
        except duckdb.Error as e:
            raise open_error(db, e) from e
        out.mkdir(parents=True, exist_ok=True)
        rows = con.execute("SELECT count(*) FROM store.usage").fetchone()[0]  # type: ignore[index]
        con.execute(f"""
            COPY (SELECT *, coalesce(strftime(charge_period_start, '%Y-%m'), 'unknown') AS month
                  FROM store.usage)
            TO '{_quote_path(out)}' (FORMAT parquet, PARTITION_BY (month, platform), OVERWRITE_OR_IGNORE,
                                     WRITE_PARTITION_COLUMNS true,
                                     FILENAME_PATTERN 'usage_{{i}}')""")
        return int(rows)
    finally:
        con.close()


def _quote_path(path: Path) -> str:
    return str(path).replace("'", "''")
