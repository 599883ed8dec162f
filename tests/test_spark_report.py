"""`finops analyze --engine spark` gives the report of a DuckDB run: report.json equal field by field (money to the
sixth decimal, every count, the findings' rows and savings, the stacked total, month over month, evidence,
reconciliation, per-file accounting). Skipped, with the reason, only where pyspark or Java is missing."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers import NEEDS_SPARK

from finops import spark_ingest, spark_pipeline
from finops.cli import cli

ROOT = Path(__file__).parent.parent
FIXTURES = Path(__file__).parent / "fixtures"  # one file of every format, waste included (read by test_ingest)

pytestmark = NEEDS_SPARK


def _differences(duck: Any, spark: Any, where: str = "report") -> list[str]:
    """Every place the two documents differ, by path (for a readable failure)."""
    if isinstance(duck, dict) and isinstance(spark, dict):
        return [d for k in sorted(set(duck) | set(spark), key=str)
                for d in _differences(duck.get(k), spark.get(k), f"{where}.{k}")]
    if isinstance(duck, list) and isinstance(spark, list) and len(duck) == len(spark):
        return [d for i, (a, b) in enumerate(zip(duck, spark, strict=True))
                for d in _differences(a, b, f"{where}[{i}]")]
    return [] if duck == spark and type(duck) is type(spark) else [f"{where}: DuckDB {duck!r}, Spark {spark!r}"]


def test_the_report_on_spark_is_the_duckdb_report(reports_on_both_engines):
    # One Spark run of sample_logs/ and tests/fixtures/ (one file of every format, waste included) for the tests
    # that compare reports (tests/conftest.py).
    run = reports_on_both_engines
    # The report's queries ran in Spark: the driver's own tables of the run's rows and flagged records stayed empty.
    assert run.driver_rows == {"usage": 0, "billing": 0, "rejects": 0, "priced_usage": 0, "finding_rows": 0,
                               "finding_savings": 0}
    # Part of sample_logs/ was given as a URL, so named by it: file:///.../by-url/x for .../by-url/x.
    duck, on_spark = json.loads(run.duckdb), json.loads(run.spark.replace(run.url.rstrip("/"), str(run.by_url)))
    assert _differences(duck, on_spark) == []
    # Not equal by being empty: the sections the issue names are there, with money in them.
    assert Decimal(on_spark["totals"]["billed_cost_usd"]) > 0
    assert on_spark["inputs"] and all(
        f["rows_read"] == f["rows_loaded"] + f["rows_rejected"] + f["rows_duplicate"] for f in on_spark["inputs"])
    assert on_spark["findings"] and Decimal(on_spark["savings"]["stacked_usd"]) > 0
    for section in ("comparison", "evidence", "reconciliation"):
        assert on_spark[section], section
    # Every file of tests/fixtures/ is in it, read.
    fixtures = {p for p in FIXTURES.rglob("*") if p.is_file()}
    listed = {Path(f["path"]) for f in on_spark["inputs"]} | {Path(f["path"]) for f in on_spark["skipped"]}
    assert fixtures <= listed
    assert any(f["rows_loaded"] for f in on_spark["inputs"] if FIXTURES in Path(f["path"]).parents)


def test_the_flagged_records_stay_in_spark(reports_on_both_engines):
    """Issue #16: only small results come back to the driver. Each analysis's records are summed in Spark (its
    totals and first evidence rows come back, not its records), and stacking replays the records several findings
    touch on the executors (per-finding and per-month sums come back): on inputs where the DuckDB run flags
    thousands of records, many of them by several findings, with the DuckDB run's stacked savings."""
    from finops.analysis import EVIDENCE_ROWS

    run = reports_on_both_engines
    assert run.flagged > 1_000 and run.multi_change > 100  # the DuckDB run's numbers: a fixture that flags many
    duck, on_spark = json.loads(run.duckdb), json.loads(run.spark)
    analyses, stacking = run.pulled["analyses"], run.pulled["stacking"]
    assert analyses and stacking  # Spark answered both steps
    # An analysis's results are one row of totals or its first evidence rows, never its records.
    assert max(analyses) <= EVIDENCE_ROWS
    assert sum(analyses) <= (1 + EVIDENCE_ROWS) * len(duck["findings"])
    # Stacking's results are sums per finding, month and platform: far fewer rows than the records replayed.
    assert sum(stacking) < run.multi_change / 4
    assert sum(analyses) + sum(stacking) < run.flagged / 4
    # The same money as the DuckDB run, to the last digit; less than the standalone sum, as records touched by
    # several findings are replayed (each change acts on what the ones before left).
    assert on_spark["savings"] == duck["savings"]
    assert Decimal(on_spark["savings"]["stacked_usd"]) < Decimal(on_spark["savings"]["standalone_usd"])
    assert {f["id"]: f["stacked_savings_usd"] for f in on_spark["findings"]} == {
        f["id"]: f["stacked_savings_usd"] for f in duck["findings"]}


def _cost_page(dim: str, amounts: dict[str, str]) -> str:
    """One Analytics cost page of 2026-10-01 grouped by one dimension: cents by the dimension's value."""
    return json.dumps({"data": [
        {"starting_at": "2026-10-01T00:00:00Z", "ending_at": "2026-10-02T00:00:00Z",
         "group": {"workspace_id": None, "model": None, dim: value},
         "cost": {"amount": cents, "list_amount": cents, "currency": "USD"}}
        for value, cents in amounts.items()], "has_more": False, "next_page": None})


def test_a_bill_pulled_with_two_groupings_counts_once_on_spark(spark, tmp_path):
    # The same $5.00 of 2026-10-01, once by workspace ($3 + $2), once by model ($4 + $1): one grouping counts
    # (ingest/bill_groupings.py: the same number of dimensions, so the first grouping by name, "model").
    by_workspace = tmp_path / "cost_by_workspace.json"
    by_workspace.write_text(_cost_page("workspace_id", {"wrkspc_A": "300", "wrkspc_B": "200"}))
    by_model = tmp_path / "cost_by_model.json"
    by_model.write_text(_cost_page("model", {"claude-sonnet-4-6": "400", "claude-opus-4-6": "100"}))
    read = spark_ingest.read(spark, [tmp_path])
    assert read.billing.selectExpr("sum(billed_cost)").first()[0] == Decimal("5.00")
    files = {Path(f.path).name: (f.rows_read, f.rows_loaded, f.rows_duplicate) for f in read.result.files}
    assert files == {"cost_by_model.json": (2, 2, 0), "cost_by_workspace.json": (2, 0, 2)}
    (ws,) = [f for f in read.result.files if f.path == str(by_workspace)]
    assert any("grouped by workspace_id" in n and "cost_by_model.json" in n for n in ws.notes), ws.notes


def test_cli_analyses_an_exported_store_on_spark(spark, sample_logs_export, tmp_path, monkeypatch):
    """`--engine spark --from-parquet`: the store's export, read by Spark, gives the store's spend and findings."""
    monkeypatch.setattr(spark_pipeline, "connect", lambda master, remote: spark)  # the tests' session, unchanged
    db, export, _ = sample_logs_export  # sample_logs/ in a store, and its export
    runner = CliRunner()
    args = ["--only", "legacy_model", "--format", "json", "--quiet"]
    duck = runner.invoke(cli, ["analyze", "--db", str(db), "-o", str(tmp_path / "duck"), *args])
    assert duck.exit_code == 0, duck.output
    on_spark = runner.invoke(cli, ["analyze", "--engine", "spark", "--from-parquet", str(export),
                                   "-o", str(tmp_path / "spark"), *args])
    assert on_spark.exit_code == 0, on_spark.output
    duck_doc, spark_doc = (json.loads((tmp_path / name / "report.json").read_text()) for name in ("duck", "spark"))
    assert spark_doc["totals"] == duck_doc["totals"]
    assert spark_doc["findings"] == duck_doc["findings"] and spark_doc["findings"]


def test_spark_options_need_the_spark_engine(tmp_path):
    result = CliRunner().invoke(cli, ["analyze", str(ROOT / "sample_logs"), "--spark-master", "local[1]",
                                      "-o", str(tmp_path)])
    assert result.exit_code != 0 and "--engine spark" in result.output


def test_workspace_and_key_names_replace_their_ids_on_spark(spark):
    usage = spark.createDataFrame([("r1", "wrkspc_A", "apikey_1"), ("r2", "wrkspc_B", None)],
                                  "record_id string, workspace string, api_key_id string")
    named = spark_pipeline._names(spark, usage, {"workspaces": {"wrkspc_A": "Support"},
                                                 "api_keys": {"apikey_1": "prod key"}})
    # A mapped id takes its name; an id without one, and a missing key, stay as they are.
    assert sorted(tuple(r) for r in named.select("record_id", "workspace", "api_key_id").collect()) == [
        ("r1", "Support", "prod key"), ("r2", "wrkspc_B", None)]


def test_without_spark_master_the_master_is_the_one_sparks_own_settings_name(tmp_path):
    """As for any pyspark program: spark.master in spark-defaults.conf (SPARK_CONF_DIR) is the master when
    --spark-master is not given; local[*] only when no setting names one. (The session is not started: only the
    JVM that reads the settings.)"""
    import os
    import subprocess
    import sys

    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "spark-defaults.conf").write_text("spark.master local[1]\nspark.sql.shuffle.partitions 3\n")
    show = ("from finops import spark_engine, spark_pipeline; "
            "print('settings:', spark_engine.settings('local[1]')); "
            "spark_engine.session = lambda master, extra=None: print('master:', master); "
            "spark_pipeline.connect(None, None); spark_pipeline.connect('local[2]', None)")
    env = {k: v for k, v in os.environ.items() if k not in ("MASTER", "PYSPARK_SUBMIT_ARGS", "SPARK_CONF_DIR")}
    said = [line for line in subprocess.run([sys.executable, "-c", show], env={**env, "SPARK_CONF_DIR": str(conf)},
                                            capture_output=True, text=True, timeout=300).stdout.splitlines()
            if line.startswith(("master:", "settings:"))]
    assert said[1:] == ["master: local[1]", "master: local[2]"]  # --spark-master still wins
    # The settings finops gives a local session leave out what spark-defaults.conf sets (shuffle partitions),
    # never what its SQL needs (exact decimals).
    assert "'spark.sql.shuffle.partitions'" not in said[0] and "'spark.ui.enabled': 'false'" in said[0]
    assert "'spark.ui.showConsoleProgress': 'false'" in said[0]  # pyspark's own setting turns the bars on
    assert "'spark.sql.decimalOperations.allowPrecisionLoss': 'false'" in said[0]


def test_spark_remote_without_the_connect_client_says_which_extra_to_install(tmp_path):
    """In a process of its own: where a classic session is running (the tests' one), pyspark hands that one out
    for a remote URL rather than fail. Run where the client is not installed (the test extra leaves gRPC out)."""
    import importlib.util
    import subprocess
    import sys

    if importlib.util.find_spec("grpc") is not None:
        pytest.skip("the Spark Connect client (grpc) is installed here")
    finops = str(Path(sys.executable).parent / "finops")  # the installed command
    result = subprocess.run([finops, "analyze", str(ROOT / "sample_logs"), "--engine", "spark",
                             "--spark-remote", "sc://localhost:15002", "-o", str(tmp_path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1 and "pip install 'finops[spark-connect]'" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
