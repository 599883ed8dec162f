"""Pricing and every analysis on Apache Spark (local mode) give the DuckDB figures: money to the last decimal, every
count, every row. Skipped, with the reason, only where pyspark or Java is missing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
from helpers import NEEDS_SPARK, read_csv_rows, usage_con

from finops import analysis, dialects, pricing, spark_engine

ROOT = Path(__file__).parent.parent
CASES = Path(__file__).parent / "analysis_cases"
ANALYSES = analysis.load_all()

pytestmark = NEEDS_SPARK


def _rows(records: list[dict[str, Any]], *key: str) -> list[dict[str, Any]]:
    return sorted(records, key=lambda r: tuple(str(r[k]) for k in key))


def _same(duck: list[dict[str, Any]], spark: list[dict[str, Any]], what: str) -> None:
    """Equal, not close: every column of every row (Decimal compares by value, to the last digit)."""
    assert len(spark) == len(duck), f"{what}: {len(spark)} rows in Spark, {len(duck)} in DuckDB"
    for d, s in zip(duck, spark, strict=True):
        assert set(s) == set(d), f"{what}: columns differ"
        diffs = {k: (d[k], s[k]) for k in d if d[k] != s[k]}
        assert not diffs, f"{what} {d.get('record_id')}: (DuckDB, Spark) {diffs}"


@pytest.fixture(scope="module")
def reference_tables(spark: Any) -> None:
    """The default price, model and rule tables as Spark views, copied once for every test below: each of them
    prices with the defaults (pricing.install without a file), and nothing in this module replaces them."""
    con = duckdb.connect()
    pricing.install(con)
    spark_engine.register_reference_tables(spark, con)
    con.close()


def _compare(spark: Any, con: duckdb.DuckDBPyConnection, overrides: dict[str, dict[str, str]],
             analyses: list[analysis.Analysis] = ANALYSES) -> None:
    """`usage` is loaded in both engines: price and run the analyses in each, then compare. Both price with the
    default tables (con by pricing.install(), Spark by the reference_tables fixture)."""
    spark_engine.price(spark)
    pricing.price_usage(con)
    key = ("record_id", "source_file", "source_line")
    _same(_rows(con.sql("SELECT * FROM priced_usage").to_arrow_table().to_pylist(), *key),
          _rows([r.asDict() for r in spark.sql("SELECT * FROM priced_usage").collect()], *key), "priced_usage")
    analysis.prepare(con)
    for a in analyses:
        params = analysis.coerce_params(a, overrides.get(a.id, {}))
        duck = con.sql(a.sql, params=params).to_arrow_table().to_pylist()
        _same(_rows(duck, "record_id"), _rows(spark_engine.run_analysis(spark, a, overrides.get(a.id)), "record_id"),
              a.id)


def test_the_script_finops_sql_prints_for_spark_runs_there(spark, reference_tables, sample_logs_export, tmp_path):
    """`finops sql --dialect spark --tables DIR`, run statement by statement as printed, on the export of
    sample_logs/ and the reference tables it wrote: priced_usage and every analysis's rows are DuckDB's (its SET
    included: the session is switched back to Spark's rounding default first, so the script's own setting is what
    keeps the digits). Its statements are the very queries `--engine spark` runs (dialects.pricing_query and
    analysis_query, checked below), so this is also the row-by-row check of the engine's pricing and analyses on
    sample_logs/ (a second Spark run of them cost some 13 CPU-s of `make test`)."""
    from click.testing import CliRunner

    from finops.cli import cli

    _, out, _ = sample_logs_export
    printed = CliRunner().invoke(cli, ["sql", "--dialect", "spark", "--tables", str(tmp_path / "ref")])
    assert printed.exit_code == 0, printed.output
    spark.read.parquet(str(out)).createOrReplaceTempView("usage")  # the export as it is, month column and all
    spark.catalog.dropTempView("priced_usage")  # an earlier test's view would hide the script's table
    for name in spark_engine.REFERENCE_TABLES:
        spark.read.parquet(str(tmp_path / "ref" / f"{name}.parquet")).createOrReplaceTempView(name)
    spark.conf.set("spark.sql.decimalOperations.allowPrecisionLoss", "true")
    found: dict[str, list[dict[str, Any]]] = {}
    try:
        for statement in printed.output.split(";\n"):  # every statement ends a line with ';' (dialects.script)
            comments = [line for line in statement.strip().splitlines() if line.startswith("-- ")]
            name = comments[-1][3:].split(":")[0] if comments else ""
            if statement.strip() and not all(line.startswith("--") for line in statement.strip().splitlines()):
                found[name] = [r.asDict() for r in spark.sql(statement).collect()]
        found["pricing"] = [r.asDict() for r in spark.sql("SELECT * FROM priced_usage").collect()]
    finally:
        spark.conf.set("spark.sql.decimalOperations.allowPrecisionLoss", "false")
        spark.sql("DROP TABLE IF EXISTS priced_usage")  # the script's table (the warehouse: tests/conftest.py)
        con = duckdb.connect()
        pricing.install(con)
        spark_engine.register_reference_tables(spark, con)  # the module's tables again (reference_tables)
    assert set(found) >= {"pricing", *(a.id for a in ANALYSES)}
    statements = [statement.strip() for statement in printed.output.split(";\n")]
    assert f"CREATE TABLE priced_usage AS\n{dialects.pricing_query('spark')}" in "\n".join(statements)
    for a in ANALYSES:
        assert any(statement.endswith(dialects.analysis_query(a, "spark")) for statement in statements), a.id
    con.execute("CREATE TABLE usage AS SELECT * FROM read_parquet(?, hive_partitioning = true)",
                [str(out / "**" / "*.parquet")])
    pricing.price_usage(con)
    key = ("record_id", "source_file", "source_line")
    _same(_rows(con.sql("SELECT * FROM priced_usage").to_arrow_table().to_pylist(), *key),
          _rows(found["pricing"], *key), "priced_usage")
    analysis.prepare(con)
    for a in ANALYSES:
        duck = con.sql(a.sql, params=analysis.coerce_params(a, {})).to_arrow_table().to_pylist()
        _same(_rows(duck, "record_id"), _rows(found[a.id], "record_id"), a.id)


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if (p / "usage.csv").is_file()))
def test_analysis_cases_give_the_same_rows_in_spark(spark, reference_tables, case):
    con = usage_con(read_csv_rows(CASES / case / "usage.csv"))
    overrides = {}
    if (CASES / case / "params.csv").is_file():
        overrides[case] = {r["name"]: r["value"] for r in read_csv_rows(CASES / case / "params.csv")}
    spark.createDataFrame(con.sql("SELECT * FROM usage").to_arrow_table()).createOrReplaceTempView("usage")
    _compare(spark, con, overrides, [a for a in ANALYSES if a.id == case])  # its own analysis: Spark is slow


def test_a_setting_only_a_starting_jvm_takes_reaches_it(spark: Any) -> None:
    """spark_engine.session starts the JVM with its extra settings: spark.driver.memory (2g in the tests'
    SPARK_TEST_CONF) sizes the heap only when given to the JVM as it starts; after, getOrCreate drops it and the
    heap stays at Spark's default of 1 GiB."""
    runtime = spark.sparkContext._jvm.java.lang.Runtime.getRuntime()
    assert runtime.maxMemory() > 1.5 * 2**30


def test_stacking_on_spark_replays_on_the_executors_to_the_local_figures(spark: Any) -> None:
    """stacking.stack on a Spark run's connection: the savings in a Spark view, the records touched by several
    findings replayed by the executors (spark_pipeline.replay_on_executors). The figures worked by hand in
    tests/test_stacking.py, and the DuckDB run's to the last digit, stacked_savings included."""
    from decimal import Decimal as D

    from test_stacking import finding

    from finops import spark_pipeline, stacking

    con = usage_con([
        # Opus 4.1, 22.80: migration saves 15.20, batch then halves the 7.60 left: 3.80 (test_stacking)
        dict(model="claude-opus-4-1", charge_period_start="2026-07-01T00:00:00", input_tokens=1_000_000,
             cache_read_tokens=200_000, output_tokens=100_000),
        # Sonnet 4.6, 4.50: batch saves 2.25, caching's 1.80 of the 3.00 input side then saves 0.90
        dict(model="claude-sonnet-4-6", charge_period_start="2026-08-01T00:00:00", input_tokens=1_000_000,
             output_tokens=100_000),
        # One change only: its standalone saving, 1.00
        dict(model="claude-sonnet-4-6", charge_period_start="2026-08-02T00:00:00", input_tokens=1_000_000)])
    savings = [("legacy_model", "r1", D("15.20")), ("batch_candidates", "r1", D("11.40")),
               ("batch_candidates", "r2", D("2.25")), ("cache_missed", "r2", D("1.80")),
               ("cache_missed", "r3", D("1.00"))]
    findings = [finding("batch_candidates", "batch"), finding("legacy_model", "migrate"),
                finding("cache_missed", "cache")]
    analysis.prepare(con)
    con.executemany("INSERT INTO finding_savings VALUES (?, ?, ?)", savings)
    local_stacked = stacking.stack(con, findings)
    local_months = con.execute("SELECT * FROM stacked_savings ORDER BY ALL").fetchall()

    spark.createDataFrame(con.sql("SELECT * FROM priced_usage").to_arrow_table()).createOrReplaceTempView(
        "priced_usage")
    spark.createDataFrame(savings, "finding_id string, record_id string, savings decimal(38, 12)"
                          ).createOrReplaceTempView("finding_savings")
    driver = duckdb.connect()
    pricing.install(driver)
    spark_pipeline.driver_tables(driver)
    on_spark = spark_pipeline.queries(spark, driver)
    stacked = stacking.stack(on_spark, findings, replay=spark_pipeline.replay_on_executors)

    assert stacked == {"legacy_model": D("15.20"), "batch_candidates": D("6.05"), "cache_missed": D("1.90")}
    assert stacked == local_stacked
    assert driver.execute("SELECT * FROM stacked_savings ORDER BY ALL").fetchall() == local_months == [
        ("2026-07", "anthropic", D("19.00")), ("2026-08", "anthropic", D("4.15"))]
    assert not spark.catalog.tableExists("stack_records")  # dropped, as a local run drops it
