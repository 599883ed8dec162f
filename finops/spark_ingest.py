"""Reading on Apache Spark: the input files split across executors, each read by the same finops reader as a
local run (ingest.read_file), deduplicated in Spark by the rules of a local run.

The files are a DataFrame of paths; mapInArrow runs ingest.detect and ingest.read_file on each, on an executor, and
yields everything the file gave as Arrow batches of one wide schema, `kind` saying what a row is: a usage row, a
bill line, a reject, or the file's accounting (FileStats as JSON, one row per file). The usage rows keep one row per
record_id by KEEP_BEST and the bill lines by BILL_KEEP_FIRST (finops/schema.py, the SQL a local run executes,
generated for Spark by sqlglot). The two rules that compare whole sources run in Spark too, from the queries a local
run executes: telemetry overlap (ingest/overlap.py, covered_query, only when there is telemetry) and bill groupings
(ingest/bill_groupings.py, lost_query). Only their counts and notes per file come back to the driver.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import sqlglot

from finops import dialects
from finops.schema import ARROW_SCHEMA, BILL_KEEP_FIRST, BILLING_ARROW_SCHEMA, BILLING_NAMES, KEEP_BEST, NAMES

ROW, BILL, REJECT, FILE, SKIPPED = "row", "bill", "reject", "file", "skipped"
# One schema for everything a file gives: the usage columns, the bill columns they lack, a reject's reason and a
# file's accounting. Columns a kind does not use are null.
STAGED_SCHEMA = pa.schema([
    pa.field("kind", pa.string()),
    *ARROW_SCHEMA,
    *(f for f in BILLING_ARROW_SCHEMA if f.name not in ARROW_SCHEMA.names),
    pa.field("reason", pa.string()),
    pa.field("file_stats", pa.string()),
])
BATCH_ROWS = 10_000


@dataclass
class SparkInput:
    """What the executors read: the deduplicated usage and bill lines and the rejects as DataFrames, and the
    files' accounting (small) on the driver, as a local run's IngestResult."""

    usage: Any
    billing: Any
    rejects: Any
    result: Any  # ingest.IngestResult


def _batch(kind: str, records: list[dict[str, Any]]) -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist([{**r, "kind": kind} for r in records], schema=STAGED_SCHEMA)


def read_one(path: str) -> Iterator[pa.RecordBatch]:
    """Everything one file gives, as a local run reads it: rows, bill lines and rejects in batches, then one row
    with its accounting (or the reason it was skipped)."""
    from finops import ingest
    from finops.ingest.common import FileStats, display_path

    fmt, why = ingest.detect(Path(path))
    if fmt is None:
        yield _batch(SKIPPED, [{"source_file": display_path(path), "reason": why}])
        return
    stats = FileStats(path=display_path(path), format=fmt)
    pending: dict[str, list[dict[str, Any]]] = {ROW: [], BILL: [], REJECT: []}
    out: list[pa.RecordBatch] = []

    def add(kind: str, record: dict[str, Any]) -> None:
        pending[kind].append(record)
        if len(pending[kind]) >= BATCH_ROWS:
            out.append(_batch(kind, pending[kind]))
            pending[kind] = []

    ingest.read_file(Path(path), stats, lambda r: add(ROW, r),
                     lambda f, line, reason: add(REJECT, {"source_file": f, "source_line": line, "reason": reason}),
                     lambda b: add(BILL, b))
    out.extend(_batch(kind, records) for kind, records in pending.items() if records)
    yield from out
    yield _batch(FILE, [{"source_file": stats.path, "file_stats": json.dumps(dataclasses.asdict(stats))}])


def read_batches(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """mapInArrow's function: the files of one partition, read one after the other."""
    from finops import spark_files

    for batch in batches:
        for path, name in zip(batch.column("path").to_pylist(), batch.column("name").to_pylist(), strict=True):
            yield from (read_one(path) if path == name else spark_files.renamed(Path(path), name))


def parallelism(spark: Any) -> int:
    """How many tasks Spark runs at once (spark.default.parallelism where set)."""
    return int(spark.conf.get("spark.default.parallelism", None) or spark.conf.get("spark.sql.shuffle.partitions"))


def staged_frame(spark: Any, files: list[tuple[str, str]], named: dict[str, str],
                 partitions: int | None = None) -> Any:
    """Everything the files give (STAGED_SCHEMA), read on the executors: files, local ones as (path an executor
    opens, name), split into as many tasks as Spark runs at once (partitions: else); named, files Spark lists and
    reads (its path -> the name given, finops/spark_files.py)."""
    from finops import spark_files

    parts = []
    if files:
        slices = min(len(files), partitions or parallelism(spark))
        paths_df = spark.createDataFrame([(i, path, name) for i, (path, name) in enumerate(files)],
                                         "i long, path string, name string")
        parts.append(paths_df.repartition(slices, "i").mapInArrow(read_batches, spark_schema()))
    if named:
        parts.append(spark_files.staged(spark, named, spark_schema()))
    return parts[0] if len(parts) == 1 else parts[0].unionByName(parts[1])


def spark_schema() -> Any:
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(STAGED_SCHEMA, prefer_timestamp_ntz=True)


def _spark_sql(duckdb_sql: str) -> str:
    """A query of the local run, written for Spark by finops/dialects.py (QUALIFY becomes a filtered subquery)."""
    return dialects.generate(sqlglot.parse_one(duckdb_sql, read=dialects.SOURCE_DIALECT), "spark")


def read(spark: Any, paths: Iterable[Path | str], partitions: int | None = None) -> SparkInput:
    """Read every file under paths on the executors; deduplicate as a local run does. A path is a local path
    (read by path on the executors, which must see it too) or a URL Spark lists and reads (finops/spark_files.py)."""
    from finops import ingest, spark_files
    from finops.ingest import bill_groupings, overlap
    from finops.ingest.common import FileStats, display_path

    paths = list(paths)
    urls = [p for p in paths if spark_files.is_url(p)]
    listed = spark_files.list_files(spark, urls) if urls else {}
    named = {spark_path: name for files in listed.values() for spark_path, name in files.items()}
    order: list[str] = []  # every file's name, in the order of a local run
    files: list[str] = []  # the local ones, read by path
    for path in paths:
        if spark_files.is_url(path):
            order.extend(listed[str(path)].values())
        else:
            found = [str(p) for p in ingest.iter_files([Path(path)])]
            files.extend(found)
            order.extend(display_path(f) for f in found)
    result = ingest.IngestResult()
    if not order:
        empty = spark.createDataFrame([], spark_schema())
        return SparkInput(empty.selectExpr(*NAMES), empty.selectExpr(*BILLING_NAMES),
                          empty.selectExpr("source_file", "source_line", "reason"), result)
    # Opened by absolute path (an executor's working folder is not the driver's: Spark Connect gives each session
    # its own), named as given, as a local run names them.
    staged = staged_frame(spark, [(os.path.abspath(f), f) for f in files], named, partitions).persist()
    staged.createOrReplaceTempView("finops_staged")

    by_path: dict[str, Any] = {}
    for kind, source_file, reason, stats_json in spark.sql(
            "SELECT kind, source_file, reason, file_stats FROM finops_staged WHERE kind IN ('file', 'skipped')"
    ).collect():  # one row per file
        by_path[source_file] = (kind, reason, stats_json)

    for name in dict.fromkeys(order):  # in the order of a local run, each file once
        kind, reason, stats_json = by_path[name]
        if kind == SKIPPED:
            result.skipped.append((name, reason))
        else:
            result.files.append(FileStats(**json.loads(stats_json)))
    for stats in [s for s in result.files if s.skip_reason and s.rows_read == 0]:
        result.files.remove(stats)  # read, and found to hold nothing of ours (listed last, as a local run does)
        result.skipped.append((stats.path, stats.skip_reason or ""))

    columns = ", ".join(NAMES)
    usage = spark.sql(_spark_sql(f"SELECT {columns} FROM finops_staged WHERE kind = 'row' {KEEP_BEST}"))
    bills = ", ".join(BILLING_NAMES)
    billing = spark.sql(_spark_sql(f"SELECT {bills} FROM finops_staged WHERE kind = 'bill' {BILL_KEEP_FIRST}"))
    rejects = spark.sql("SELECT source_file, source_line, reason FROM finops_staged WHERE kind = 'reject'")

    formats = [s.format for s in result.files]
    if overlap.OTEL in formats:
        usage, notes = _drop_covered(spark, usage)
        _note(result, notes)
    if sum(f in bill_groupings.FORMATS for f in formats) >= 2:  # one query alone covers nothing
        billing, notes = _drop_coarser(spark, billing)
        _note(result, notes)
    usage = usage.persist()
    billing = billing.persist()
    loaded = dict(usage.groupBy("source_file").count().collect())
    for path, n in billing.where("NOT derived").groupBy("source_file").count().collect():
        loaded[path] = loaded.get(path, 0) + n
    for stats in result.files:
        stats.rows_loaded = loaded.get(stats.path, 0)
        stats.rows_duplicate = stats.rows_staged - stats.rows_loaded
    return SparkInput(usage, billing, rejects, result)


def _note(result: Any, notes: dict[str, str]) -> None:
    for stats in result.files:
        if stats.path in notes:
            stats.notes.append(notes[stats.path])


USAGE_VIEW, BILLING_VIEW = "finops_read_usage", "finops_read_billing"  # the rules' input, while they run


def _drop_covered(spark: Any, usage: Any) -> tuple[Any, dict[str, str]]:
    """ingest/overlap.py in Spark: the rows another row counts (its covered_query) leave usage, the kept rows take
    the users they gain (USERS_GAINED). Returns the kept rows and the note of each file that lost rows."""
    from finops.ingest import overlap

    usage.createOrReplaceTempView(USAGE_VIEW)
    covered = spark.sql(_spark_sql(overlap.covered_query(USAGE_VIEW))).localCheckpoint()  # on the executors
    covered.createOrReplaceTempView(overlap.COVERED)
    try:
        kept = _kept(usage, covered, spark.sql(_spark_sql(overlap.USERS_GAINED)).localCheckpoint())
        dropped = spark.sql(_spark_sql(overlap.DROPPED_PER_FILE)).collect()  # one row per file
    finally:
        for view in (overlap.COVERED, USAGE_VIEW):
            spark.catalog.dropTempView(view)
    return kept, {path: overlap.NOTE.format(n=n) for path, n in dropped}


def _drop_coarser(spark: Any, billing: Any) -> tuple[Any, dict[str, str]]:
    """ingest/bill_groupings.py in Spark: the lines of coarser cost queries (its lost_query) leave billing.
    Returns the kept lines and the note of each file that lost lines."""
    from finops.ingest import bill_groupings

    billing.createOrReplaceTempView(BILLING_VIEW)
    lost = spark.sql(_spark_sql(bill_groupings.lost_query(BILLING_VIEW))).localCheckpoint()
    lost.createOrReplaceTempView(bill_groupings.LOST)
    try:
        per_file = spark.sql(_spark_sql(bill_groupings.LOST_PER_FILE)).collect()  # one row per file
    finally:
        for view in (bill_groupings.LOST, BILLING_VIEW):
            spark.catalog.dropTempView(view)
    notes = bill_groupings.notes_per_file([tuple(row) for row in per_file])
    return _kept(billing, lost, None), {path: note for path, (_, note) in notes.items()}


def _kept(frame: Any, dropped: Any, gained: Any | None) -> Any:
    """What a local run's DELETE and UPDATE leave of a table (ingest/overlap.py, bill_groupings.py), as a lazy
    frame: the rows whose record_id is not in dropped, each taking the user_id gained gives it when it has none."""
    from pyspark.sql import functions as F

    kept = frame.join(dropped.select("record_id"), "record_id", "left_anti")
    if gained is not None:
        users = gained.select(F.col("record_id").alias("gained_record_id"), F.col("user_id").alias("gained_user"))
        kept = (kept.join(users, kept["record_id"] == users["gained_record_id"], "left")
                .withColumn("user_id", F.coalesce(F.col("user_id"), F.col("gained_user"))))
    return kept.select(*frame.columns)
