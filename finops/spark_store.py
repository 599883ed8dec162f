"""`finops ingest --engine spark`: the files read on Spark's executors, the store (finops/store.py, one DuckDB file on
the driver) filled as `finops ingest` fills it.

The driver lists the files (local paths as store.ingest resolves them; URLs as Spark lists them,
finops/spark_files.py, named as given) and opens the store. The executors hash every file (size and sha256, the
store's test of an unchanged file); the files found new or changed are then read on the executors by the readers of
`finops analyze --engine spark` (spark_ingest.staged_frame: rows, bill lines, rejects and each file's accounting as
Arrow), a chunk of files at a time (CHUNK_BYTES of input, one Spark job each, the next chunk read while this one
is stored). Each chunk comes to the driver as Arrow (DataFrame.toArrow) and each of its files is stored in its own
transaction by the store's own code (store.Ingesting.load): the file's earlier version withdrawn, its rows merged
with the kept ones, the losing copies and its accounting kept. The store is therefore the one `finops ingest` makes
of the same files, file for file.

What bounds the driver's memory: two chunks of rows as Arrow (the one being stored and the one being read), in the
JVM while Spark hands them over and then in Python, plus DuckDB's limit (FINOPS_MEMORY_LIMIT). A chunk holds at
least one file, so a file larger than CHUNK_BYTES comes whole (bench/RESULTS.md: what it measured).
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from finops import names as naming
from finops import spark_files, spark_ingest, spark_queries, store
from finops.errors import IngestError
from finops.ingest import iter_files
from finops.ingest.common import FileStats, display_path
from finops.schema import BILLING_NAMES, NAMES

# Input bytes read by one Spark job: enough files to keep a cluster's cores busy, few enough rows for the driver.
CHUNK_BYTES = 256 * 1024 * 1024


@dataclass
class Entry:
    """One file to offer the store: its name there, the path an executor opens (local) or Spark's path (URL)."""

    name: str
    path: str
    url: bool
    size: int = 0
    digest: str | None = None
    stale: list[str] = field(default_factory=list)


def ingest(session: Callable[[], Any], paths: Iterable[Path | str], db: Path) -> store.IngestSummary:
    """Add the files under paths (local paths or URLs Spark reads) to the store, read on Spark: session gives the
    SparkSession, started once the store is open (a store in use fails before a JVM starts)."""
    paths = list(paths)
    # store.ingest's errors, in its order: a missing path, then a bad names file.
    found = {i: iter_files([Path(p)]) for i, p in enumerate(paths) if not spark_files.is_url(p)}
    found_names = {store.identity(p): naming.read_file(p)
                   for p in naming.discover([Path(p) for p in paths if not spark_files.is_url(p)])}
    with store.Ingesting(db) as run:
        spark = session()
        entries = _hashed(spark, _listed(spark, paths, found))
        run.start()  # numbered only now: a URL that names nothing fails the ingest before it counts
        wanted = []
        for entry in entries:
            stale = run.to_read(entry.name, posixpath.basename(entry.name), entry.size, entry.digest)
            if stale is not None:
                entry.stale = stale
                wanted.append(entry)
        for entry, part in _read(spark, wanted, entries):
            _store(run, entry, part)
        for path, mapping in found_names.items():
            run.keep_names(path, mapping)
    return run.summary


def _listed(spark: Any, paths: list[Path | str], found: dict[int, list[Path]]) -> list[Entry]:
    """Every file under paths, in store.ingest's order, each once: local ones (found: the files under the i-th
    path) named by store.identity, URLs' files by the URL given."""
    urls = [p for p in paths if isinstance(p, str) and spark_files.is_url(p)]
    listed = spark_files.list_files(spark, urls) if urls else {}
    entries: dict[str, Entry] = {}
    for i, path in enumerate(paths):
        if i in found:
            files = [Entry(display_path(p), str(p), False) for p in map(store.identity, found[i])]
        else:
            files = [Entry(name, spark_path, True) for spark_path, name in listed[str(path)].items()]
        for entry in files:
            entries.setdefault(entry.name, entry)
    return list(entries.values())


def _hashed(spark: Any, entries: list[Entry]) -> list[Entry]:
    """Each file's size and sha256, computed on the executors."""
    local = [e for e in entries if not e.url]
    if local:
        frame = spark.createDataFrame([(i, e.path) for i, e in enumerate(local)], "i long, path string")
        slices = min(len(local), spark_ingest.parallelism(spark))
        found = frame.repartition(slices, "i").mapInArrow(_hash_batches, "i long, size long, digest string")
        for row in found.toArrow().to_pylist():  # one small row a file
            local[row["i"]].size, local[row["i"]].digest = row["size"], row["digest"]
    urls = {e.path: e for e in entries if e.url}
    for path, (size, digest) in (spark_files.hashes(spark, list(urls)) if urls else {}).items():
        urls[path].size, urls[path].digest = size, digest
    return entries


def _hash_batches(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        found = [store.size_and_hash(Path(p)) for p in batch.column("path").to_pylist()]
        yield pa.RecordBatch.from_arrays(
            [batch.column("i"), pa.array([s for s, _ in found], pa.int64()), pa.array([d for _, d in found])],
            names=["i", "size", "digest"])


def _chunks(wanted: list[Entry], entries: list[Entry]) -> list[tuple[list[Entry], list[Entry]]]:
    """wanted in order, cut into chunks of about CHUNK_BYTES: (the files to store, the files to read). A URL's
    pulled page is read with every page in its folder, stored or not: its reader looks at its siblings, which a
    local file finds on disk and a URL's only among the files handed over with it (spark_files.staged)."""
    pages: dict[str, list[Entry]] = {}  # a folder's pulled pages, by folder
    for entry in entries:
        if entry.url and spark_files.is_pulled_page(entry.path):
            pages.setdefault(posixpath.dirname(entry.path), []).append(entry)
    chunks: list[tuple[list[Entry], list[Entry]]] = []
    size = CHUNK_BYTES
    for entry in wanted:
        if size >= CHUNK_BYTES:
            chunks.append(([], []))
            size = 0
        stored, read = chunks[-1]
        stored.append(entry)
        siblings = pages.get(posixpath.dirname(entry.path), [])
        read.extend(e for e in (siblings if entry in siblings else [entry]) if e not in read)
        size += entry.size
    return chunks


def _read(spark: Any, wanted: list[Entry], entries: list[Entry]) -> Iterator[tuple[Entry, pa.Table]]:
    """What each wanted file gave (STAGED_SCHEMA rows, its accounting row last), in order: one Spark job a chunk,
    the next one running while the caller stores this one's files."""
    chunks = _chunks(wanted, entries)
    with ThreadPoolExecutor(1) as ahead:
        pending = ahead.submit(_fetch, spark, chunks[0][1]) if chunks else None
        for i, (stored, _) in enumerate(chunks):
            table = pending.result()  # type: ignore[union-attr]
            pending = ahead.submit(_fetch, spark, chunks[i + 1][1]) if i + 1 < len(chunks) else None
            by_file = _by_file(table)
            del table
            for entry in stored:
                if entry.name not in by_file:  # Spark listed it, then could not hand it over
                    raise IngestError(f"{entry.name}: Spark read nothing of it (removed while read?)")
                yield entry, by_file.pop(entry.name)
            del by_file


def _fetch(spark: Any, read: list[Entry]) -> pa.Table:
    frame = spark_ingest.staged_frame(spark, [(e.path, e.name) for e in read if not e.url],
                                      {e.path: e.name for e in read if e.url})
    return spark_queries.naive(frame.toArrow())  # timestamps naive UTC, as the store keeps them


def _by_file(table: pa.Table) -> dict[str, pa.Table]:
    """A chunk's rows by the file they came from (every row names it: source_file), as slices: a task yields each
    file's rows together, so each file is one run of rows unless Spark's order says otherwise (then a sorted copy)."""
    runs = pc.run_end_encode(table.column("source_file").combine_chunks())
    if len(set(runs.values.to_pylist())) < len(runs.values):
        table = table.sort_by("source_file")
        runs = pc.run_end_encode(table.column("source_file").combine_chunks())
    ends = runs.run_ends.to_pylist()
    return {name: table.slice(start, end - start)
            for name, start, end in zip(runs.values.to_pylist(), [0, *ends[:-1]], ends, strict=True)}


def _store(run: store.Ingesting, entry: Entry, part: pa.Table) -> None:
    """One file's rows stored in one transaction, as store.ingest stores a file it reads."""
    kinds = part.column("kind")
    (last,) = part.filter(pc.is_in(kinds, pa.array([spark_ingest.FILE, spark_ingest.SKIPPED]))).to_pylist()
    if last["kind"] == spark_ingest.SKIPPED:
        run.load(entry.name, entry.size, entry.digest, entry.stale, None, last["reason"], lambda stats: None)
        return
    read = FileStats(**json.loads(last["file_stats"]))

    def stage(stats: FileStats) -> None:
        vars(stats).update(vars(read))
        _insert(run.con, "staged", NAMES, part.filter(pc.equal(kinds, spark_ingest.ROW)))
        _insert(run.con, "billing_raw", BILLING_NAMES, part.filter(pc.equal(kinds, spark_ingest.BILL)))
        _insert(run.con, "rejects", ("source_file", "source_line", "reason"),
                part.filter(pc.equal(kinds, spark_ingest.REJECT)))

    run.load(entry.name, entry.size, entry.digest, entry.stale, read.format, "", stage)


def _insert(con: duckdb.DuckDBPyConnection, table: str, columns: Iterable[str], rows: pa.Table) -> None:
    if rows.num_rows:
        part = rows.select(list(columns))  # noqa: F841 (read by DuckDB)
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM part")  # internal table names only
