"""`finops analyze --engine spark`: reading, deduplication, pricing and every analysis on Apache Spark.

Spark reads the files on its executors (finops/spark_ingest.py), prices them and runs each analysis with the SQL
finops/dialects.py generates from the files a local run executes. The driver receives the files' accounting, each
analysis's offending records and, for the report's sections, the priced rows Spark wrote as Parquet to a work
folder, which the driver's DuckDB reads in place (views, memory-bounded, never turned into Python rows): the report
is then made by the code of a local run, from the same tables.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from finops import analysis, dialects, pricing, spark_engine, spark_ingest
from finops.errors import FinopsError
from finops.schema import BILLING_NAMES, NAMES, create_billing_sql, create_table_sql

ENGINES = ("duckdb", "spark")
ANALYSES_AT_ONCE = 4


def connect(master: str | None = None, remote: str | None = None) -> Any:
    """The SparkSession: Spark Connect with remote (sc://HOST:15002), else master (default local[*], or the
    spark.master of SPARK_* settings / spark-defaults.conf when spark-submit set one)."""
    if remote:
        return spark_engine.remote_session(remote)
    if master is None and "--master" in os.environ.get("PYSPARK_SUBMIT_ARGS", ""):
        return spark_engine.session(None)  # the master spark-submit's arguments name
    return spark_engine.session(master or "local[*]")


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


def _duck_types(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """The column types of usage, billing and priced_usage in a local run (made empty, then dropped)."""
    con.execute(create_table_sql("usage"))
    con.execute(create_billing_sql("billing"))
    pricing.price_usage(con)
    types = {t: {name: kind for name, kind, *_ in con.execute(f"DESCRIBE {t}").fetchall()}
             for t in ("usage", "billing", "priced_usage")}
    for t in ("priced_usage", "usage", "billing"):
        con.execute(f"DROP TABLE {t}")
    return types


def _view(con: duckdb.DuckDBPyConnection, name: str, folder: Path, types: dict[str, str]) -> None:
    """A view `name` over the Parquet Spark wrote, each column cast to the type a local run gives it (Spark
    writes its own decimal widths and UTC-adjusted timestamps)."""
    con.read_parquet(str(folder / name / "*.parquet")).create_view(f"{name}_spark")
    casts = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in types.items())  # names and types from DuckDB
    con.execute(f"CREATE VIEW {name} AS SELECT {casts} FROM {name}_spark")


def load(spark: Any, con: duckdb.DuckDBPyConnection, paths: Iterable[Path], work: Path,
         names: dict[str, dict[str, str]], from_parquet: Path | None = None) -> Any:
    """Read and price on Spark; leave `usage`, `billing`, `rejects` and `priced_usage` as views in con and the
    reference tables as Spark views. Returns the files' accounting (ingest.IngestResult)."""
    from finops import ingest

    types = _duck_types(con)
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
    usage.createOrReplaceTempView("usage")
    spark_engine.register_reference_tables(spark, con)
    priced = spark_engine.price(spark)
    for name, frame in (("usage", usage), ("billing", billing), ("rejects", read.rejects),
                        ("priced_usage", priced)):
        frame.coalesce(max(1, min(8, _partitions(spark)))).write.mode("overwrite").parquet(str(work / name))
    for name in ("usage", "billing", "priced_usage"):
        _view(con, name, work, types[name])
    _view(con, "rejects", work, {"source_file": "VARCHAR", "source_line": "BIGINT", "reason": "VARCHAR"})
    return read.result


def _partitions(spark: Any) -> int:
    return int(spark.conf.get("spark.sql.shuffle.partitions"))


def _naive(table: pa.Table) -> pa.Table:
    """Spark hands timestamps over as UTC-zoned Arrow; a local run's are naive UTC."""
    for i, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type) and field.type.tz is not None:
            table = table.set_column(i, field.name, table.column(i).cast(pa.timestamp("us")))
    return table


def _finding_rows(spark: Any, a: analysis.Analysis, overrides: dict[str, Any] | None) -> pa.Table:
    """One analysis run in Spark: its offending records (few), as Arrow."""
    try:
        return _naive(spark.sql(dialects.analysis_query(a, "spark", overrides)).toArrow())
    except Exception as e:  # Spark's errors have no common base class across classic and Connect
        raise FinopsError(f"{a.id}: {e}") from e


def run_analyses(spark: Any, con: duckdb.DuckDBPyConnection, analyses: list[analysis.Analysis],
                 params: dict[str, dict[str, Any]], spend: Any) -> list[analysis.Finding]:
    """Every analysis run in Spark, several at a time (each is a small job: planning and scheduling overlap);
    their rows summed into Findings, in order, by the code of a local run."""
    with ThreadPoolExecutor(ANALYSES_AT_ONCE) as pool:
        pending = [pool.submit(_finding_rows, spark, a, params.get(a.id)) for a in analyses]
        found = []
        for a, future in zip(analyses, pending, strict=True):
            rows = future.result()  # noqa: F841 (read by DuckDB)
            bound = analysis.coerce_params(a, params.get(a.id) or {})
            # The columns a local run's query gives (bound, never run: LIMIT 0), filled with Spark's rows: its
            # integer sums come back as DECIMAL(38, 0), and the report shows a column by its type.
            con.execute(f"CREATE OR REPLACE TEMP TABLE finding_rows AS SELECT * FROM ({a.sql}) LIMIT 0", bound)
            con.execute("INSERT INTO finding_rows BY NAME SELECT * FROM rows")
            if (finding := analysis.summarise(con, a, bound, spend)) is not None:
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
