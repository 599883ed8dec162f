"""`finops analyze --engine spark`: reading, deduplication, pricing and every analysis on Apache Spark.

Spark reads the files on its executors (finops/spark_ingest.py), prices them and runs each analysis with the SQL
finops/dialects.py generates from the files a local run executes. The driver receives the files' accounting, each
analysis's offending records and the results of the report's queries, which run in Spark on its cached
`priced_usage` (finops/spark_queries.py): the report is then made by the code of a local run, from the same SQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from finops import analysis, dialects, pricing, spark_engine, spark_ingest, spark_queries
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


def _finding_rows(spark: Any, a: analysis.Analysis, overrides: dict[str, Any] | None) -> pa.Table:
    """One analysis run in Spark: its offending records (few), as Arrow."""
    try:
        return spark_queries.naive(spark.sql(dialects.analysis_query(a, "spark", overrides)).toArrow())
    except Exception as e:  # Spark's errors have no common base class across classic and Connect
        raise FinopsError(f"{a.id}: {e}") from e


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
    their rows summed into Findings, in order, by the code of a local run."""
    local = con.local
    with ThreadPoolExecutor(ANALYSES_AT_ONCE) as pool:
        pending = [pool.submit(_finding_rows, spark, a, params.get(a.id)) for a in analyses]
        found = []
        for a, future in zip(analyses, pending, strict=True):
            bound = analysis.coerce_params(a, params.get(a.id) or {})
            # The columns a local run's query gives, filled with Spark's rows: its integer sums come back as
            # DECIMAL(38, 0), and the report shows a column by its type.
            local.execute(f"CREATE OR REPLACE TEMP TABLE finding_rows AS SELECT * FROM ({a.sql}) LIMIT 0", bound)
            local.register("finding_arrow", future.result())
            try:
                local.execute("INSERT INTO finding_rows BY NAME SELECT * FROM finding_arrow")
            finally:
                local.unregister("finding_arrow")
            if (finding := analysis.summarise(local, a, bound, spend)) is not None:
                found.append(finding)
    return found


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
