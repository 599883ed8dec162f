"""`finops analyze --engine spark`: reading, deduplication, pricing and every analysis on Apache Spark.

Spark reads the files on its executors (finops/spark_ingest.py), prices them and runs each analysis with the SQL
finops/dialects.py generates from the files a local run executes. The driver receives the files' accounting, each
analysis's totals and first evidence rows, the stacked sums and the results of the report's queries, which run in
Spark on its cached `priced_usage` (finops/spark_queries.py): the report is then made by the code of a local run,
from the same SQL. The offending records stay in Spark: each analysis's rows, every finding's per-record savings
(`finding_savings`) and stacking's records are Spark views; the records touched by several findings are replayed
on the executors (stacking.partial_sums).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from finops import analysis, dialects, pricing, spark_engine, spark_ingest, spark_queries, stacking
from finops.errors import FinopsError
from finops.schema import BILLING_NAMES, NAMES, create_billing_sql, create_table_sql

ENGINES = ("duckdb", "spark")
ANALYSES_AT_ONCE = 4


def connect(master: str | None = None, remote: str | None = None) -> Any:
    """The SparkSession: Spark Connect with remote (sc://HOST:15002), else master, else the master Spark's own
    settings name (spark_engine.configured_master: spark-submit, spark-defaults.conf, MASTER; local[*] if none)."""
    if remote:
        return spark_engine.remote_session(remote)
    return spark_engine.session(master or spark_engine.configured_master())


def _names(spark: Any, frame: Any, names: dict[str, dict[str, str]]) -> Any:
    """Workspace and API key ids replaced by their names, as names.apply does for a local run."""
    from pyspark.sql import functions as F

    from finops.names import SECTIONS

    for section, column in SECTIONS.items():
        mapping = names.get(section) or {}
        if not mapping:
            continue
        table = spark.createDataFrame(list(mapping.items()), "finops_id string, finops_name string")
        frame = (frame.join(F.broadcast(table), frame[column] == table["finops_id"], "left")
                 .withColumn(column, F.coalesce(F.col("finops_name"), F.col(column)))
                 .drop("finops_id", "finops_name"))
    return frame


def load(spark: Any, paths: Iterable[Path | str], names: dict[str, dict[str, str]],
         from_parquet: Path | None = None) -> Any:
    """Read and price on Spark: `usage`, `billing`, `rejects` and `priced_usage` (cached) become Spark views, which
    the report's queries read in Spark (finops/spark_queries.py). The reference tables must be in Spark already
    (spark_engine.register_reference_tables). Returns the files' accounting (ingest.IngestResult)."""
    from finops import ingest

    if from_parquet is not None:  # a `finops export parquet` store: usage only, accounted for at export
        usage = spark.read.parquet(str(from_parquet)).selectExpr(*NAMES)
        empty = spark.createDataFrame([], spark_ingest.spark_schema())
        read = spark_ingest.SparkInput(usage, empty.selectExpr(*BILLING_NAMES),
                                       empty.selectExpr("source_file", "source_line", "reason"), ingest.IngestResult())
    else:
        read = spark_ingest.read(spark, paths)
    usage, billing = read.usage, read.billing
    if names:
        usage, billing = _names(spark, usage, names), _names(spark, billing, names)
    for name, frame in (("usage", usage), ("billing", billing), ("rejects", read.rejects)):
        frame.localCheckpoint().createOrReplaceTempView(name)  # plans that start here, not at the files
    for frame in (read.usage, read.billing):
        frame.unpersist()
    spark_engine.price(spark)
    return read.result


def _offending_records(spark: Any, a: analysis.Analysis, overrides: dict[str, Any] | None) -> Any:
    """One analysis run in Spark: its offending records, computed now and held by the executors (each summary
    query reads them, as `finding_rows`, without running the analysis again)."""
    try:
        return spark.sql(dialects.analysis_query(a, "spark", overrides)).localCheckpoint()
    except Exception as e:  # Spark's errors have no common base class across classic and Connect
        raise FinopsError(f"{a.id}: {e}") from e


def queries(spark: Any, local: duckdb.DuckDBPyConnection) -> spark_queries.SparkQueries:
    """The connection the report code runs its SQL on: in Spark for the run's tables and its tables of records."""
    return spark_queries.SparkQueries(spark, local, spark_queries.SPARK_TABLES | spark_queries.RECORD_TABLES)


def driver_tables(local: duckdb.DuckDBPyConnection) -> None:
    """`usage`, `billing`, `rejects` and `priced_usage` on the driver, empty, of a local run's types: the report
    code asks whether a table exists, the analyses' macros are bound to them (DuckDB checks), and each analysis's
    rows are typed by its local query (bound, never run: LIMIT 0). Every query that reads them runs in Spark
    (finops/spark_queries.py)."""
    local.execute(create_table_sql("usage"))
    local.execute(create_billing_sql("billing"))
    local.execute("CREATE TABLE rejects (source_file VARCHAR, source_line BIGINT, reason VARCHAR)")
    pricing.price_usage(local)


def run_analyses(spark: Any, con: spark_queries.SparkQueries, analyses: list[analysis.Analysis],
                 params: dict[str, dict[str, Any]], spend: Any) -> list[analysis.Finding]:
    """Every analysis run in Spark, several at a time (each is a small job: planning and scheduling overlap);
    each summed into its Finding in Spark by the code of a local run (analysis.summarise), in order. The rows'
    savings make the Spark view `finding_savings`; the driver's tables of records stay empty."""
    local = con.local
    # The summaries' results typed as a local run's: Spark sums integers as DECIMAL(38, 0), and the report shows
    # a column by its type.
    summaries = spark_queries.SparkQueries(spark, local, con.spark_tables, typed=True)
    summaries.copy_to_spark("finding_savings")  # empty (analysis.prepare): each summary appends its rows
    with ThreadPoolExecutor(ANALYSES_AT_ONCE) as pool:
        pending = [pool.submit(_offending_records, spark, a, params.get(a.id)) for a in analyses]
        found = []
        for a, future in zip(analyses, pending, strict=True):
            bound = analysis.coerce_params(a, params.get(a.id) or {})
            # On the driver, empty, of the columns and types of a local run's query: the summary's queries are
            # typed by it.
            local.execute(f"CREATE OR REPLACE TEMP TABLE finding_rows AS SELECT * FROM ({a.sql}) LIMIT 0", bound)
            future.result().createOrReplaceTempView("finding_rows")
            if (finding := analysis.summarise(summaries, a, bound, spend)) is not None:
                found.append(finding)
    # Every finding's savings computed once, held by the executors, the analyses' rows no longer needed.
    spark.table("finding_savings").localCheckpoint().createOrReplaceTempView("finding_savings")
    spark.catalog.dropTempView("finding_rows")
    return found


def replay_on_executors(con: spark_queries.SparkQueries, sql: str, kinds: list[str], stacked: list[Decimal],
                        by_month: stacking.Sums) -> None:
    """stacking.stack's replay in a Spark run: the records touched by several findings (sql, in Spark) replayed on
    the executors by the code of a local run; only each partition's sums per finding and per month and platform
    come back, as text, added up exactly on the driver."""
    def replayed(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        return stacking.partial_sums(batches, kinds)

    sums = con.frame(sql).mapInArrow(replayed, stacking.PARTIAL_COLUMNS)
    try:
        rows = sums.toArrow().to_pylist()
    except Exception as e:  # Spark's errors have no common base class across classic and Connect
        raise FinopsError(f"stacking: {e}") from e
    stacking.add_partial_sums(rows, stacked, by_month)


def export_parquet(spark: Any, paths: Iterable[Path | str], out: Path | str) -> tuple[int, Any]:
    """`finops export parquet --engine spark`: the files read and deduplicated on Spark, their usage rows written
    by Spark in the layout of the store's export (store.export_parquet): OUT/month=YYYY-MM/platform=NAME/, the
    month and platform in the folder names (Spark keeps partition columns out of the files). Only the partitions
    written are replaced. Returns the rows written and the files' accounting (ingest.IngestResult)."""
    from pyspark.sql import functions as F

    read = spark_ingest.read(spark, paths)
    month = F.coalesce(F.date_format("charge_period_start", "yyyy-MM"), F.lit("unknown"))
    usage = read.usage.withColumn("month", month)
    (usage.repartition("month", "platform").write.partitionBy("month", "platform")
     .option("partitionOverwriteMode", "dynamic").mode("overwrite").parquet(str(out)))
    return usage.count(), read.result
