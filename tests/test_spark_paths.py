"""`finops analyze --engine spark` on inputs given as URLs (file://, the same code path as s3a://, gs://,
abfss://, dbfs:/): Spark lists and reads the files, and the report is the DuckDB report of the same files, every
file named as the user gave it. Skipped, with the reason, only where pyspark or Java is missing."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from helpers import NEEDS_SPARK

from finops import spark_ingest

ROOT = Path(__file__).parent.parent

pytestmark = NEEDS_SPARK


def test_a_folder_given_as_a_url_gives_the_duckdb_report(reports_on_both_engines):
    run = reports_on_both_engines  # part of sample_logs/ by URL, other files by path (tests/conftest.py)
    # The same report, each file named by its URL as given: file:///.../by-url/x.jsonl for .../by-url/x.jsonl.
    assert run.url in run.spark
    assert json.loads(run.spark.replace(run.url.rstrip("/"), str(run.by_url))) == json.loads(run.duckdb)
    # Read, not merely listed: the files given by URL (nested folders among them) gave rows.
    by_url = [f for f in json.loads(run.spark)["inputs"] if f["path"].startswith(run.url)]
    assert any(f["rows_loaded"] for f in by_url) and any("/claude-code/projects/" in f["path"] for f in by_url)


def test_a_file_url_keeps_its_name_rejects_lines_and_gzip(spark, tmp_path):
    # A gzipped request log of three lines: one request, a broken line (line 2), the same request again.
    first = (ROOT / "sample_logs/api-logs/gateway-2026-11-18_2026-11-20.jsonl").read_bytes().splitlines()[0]
    log = tmp_path / "gw.jsonl.gz"
    log.write_bytes(gzip.compress(first + b"\n{broken\n" + first + b"\n"))
    url = f"file://{log}"
    read = spark_ingest.read(spark, [url])
    [stats] = read.result.files
    assert (stats.path, stats.rows_read, stats.rows_loaded, stats.rows_rejected, stats.rows_duplicate) == (
        url, 3, 1, 1, 1)
    assert [(r[0], r[1]) for r in read.rejects.collect()] == [(url, 2)]
    assert [r[0] for r in read.usage.select("source_file").collect()] == [url]


def test_a_missing_url_is_an_error_not_an_empty_report(spark, tmp_path):
    from finops.errors import IngestError

    with pytest.raises(IngestError, match="no such file or folder"):
        spark_ingest.read(spark, [f"file://{tmp_path}/nothing-here/"])


def _export_rows(con: Any, folder: Path) -> list[tuple[Any, ...]]:
    """An export's rows as DuckDB reads them (Hive partitions), in the store's column types, sorted."""
    from finops.schema import NAMES, create_table_sql

    con.execute("DROP TABLE IF EXISTS exported")
    con.execute(create_table_sql("exported"))
    con.execute("ALTER TABLE exported ADD COLUMN month VARCHAR")
    files = str(folder / "**" / "*.parquet")
    con.execute("INSERT INTO exported BY NAME SELECT * FROM read_parquet(?, hive_partitioning = true)", [files])
    # Files named as given: file:///x for /x.
    columns = ", ".join("regexp_replace(source_file, '^file://', '')" if n == "source_file" else n for n in NAMES)
    return con.execute(f"SELECT month, {columns} FROM exported ORDER BY ALL").fetchall()


def test_export_parquet_on_spark_writes_the_rows_of_the_duckdb_export(spark, sample_logs_export, tmp_path):
    import duckdb

    from finops import spark_pipeline
    from finops.schema import NAMES

    _, duck_export, _ = sample_logs_export  # sample_logs/ ingested into a store and exported (tests/conftest.py)
    rows, result = spark_pipeline.export_parquet(spark, [f"file://{ROOT}/sample_logs"], tmp_path / "spark")

    def partitions(folder: Path) -> list[str]:
        return sorted({str(p.parent.relative_to(folder)) for p in folder.rglob("*.parquet")})

    assert partitions(tmp_path / "spark") == partitions(duck_export)
    assert any(p.startswith("month=2026-10/platform=") for p in partitions(tmp_path / "spark"))
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    on_spark = _export_rows(con, tmp_path / "spark")
    assert rows == len(on_spark) > 0
    duck = _export_rows(con, duck_export)
    assert [(i, a, b) for i, (a, b) in enumerate(zip(on_spark, duck, strict=True)) if a != b][:1] == []
    # What `analyze --engine spark --from-parquet` reads: every row, every column.
    assert spark.read.parquet(str(tmp_path / "spark")).selectExpr(*NAMES).count() == rows


def test_export_parquet_says_which_arguments_each_engine_takes(tmp_path):
    from click.testing import CliRunner

    from finops.cli import cli

    runner = CliRunner()
    no_store = runner.invoke(cli, ["export", "parquet", str(tmp_path / "out")])
    assert no_store.exit_code == 2 and "give --db STORE and OUT_DIR" in no_store.output
    store_on_spark = runner.invoke(cli, ["export", "parquet", "--engine", "spark", "--db", "x.duckdb", "out"])
    assert store_on_spark.exit_code == 2 and "--engine spark reads PATHS, not a store" in store_on_spark.output
    missing = runner.invoke(cli, ["export", "parquet", "--engine", "spark", str(tmp_path / "nope"), "out"])
    assert missing.exit_code == 2 and "no such file or folder" in missing.output
