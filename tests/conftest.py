import os
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).parent))
from budget import PROFILE  # noqa: E402  (tests/ on the path first)

# Property-test budgets (tests/budget.py). A property test states no max_examples of its own, so the profile decides
# how deep every one of them goes: "dev" (the default) keeps `make test` short, "ci" (loaded whenever CI is set, as
# CI runs with CI=true) tries five times as many examples, derandomized like Hypothesis' own "ci" profile so that
# a CI run never turns red by chance. HYPOTHESIS_PROFILE=ci runs the deep profile by hand. Tests whose examples
# cost next to nothing ask for a multiple of the profile's budget (settings.default.max_examples * n).
# No deadline: the machine is shared, and a slow example is not a failure.
settings.register_profile("dev", max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", settings.get_profile("ci"), max_examples=100, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(PROFILE)

# The Spark tests' JVM (tests/test_spark*.py) lives a minute or two on tiny tables: its optimising JIT compiler
# (C2) and parallel garbage collector burn more CPU than they save in that time, on a machine whose two cores
# the other xdist worker needs. The quick compiler alone and the serial collector cut the JVM's CPU by about a
# third (tests/test_spark.py alone: 167 s -> 116 s of JVM CPU); the results do not depend on how it compiles.
# Two more: the quick compiler alone gets a 48 MiB code cache, which Spark's code filled after three report runs
# in one JVM ("CodeCache is full. Compiler has been disabled": the rest interpreted); 256 MiB leaves room. And
# Spark's default 1 GiB driver heap (spark.driver.memory below: 2 GiB) holds ~460 MiB of live tables and plans,
# leaving a young generation of ~230 MiB, collected ~90 times in tests/test_spark_report.py alone (a sixth of its
# JVM CPU); one of 1 GiB fills four times less often. tests/test_spark*.py: 76 s -> 66 s of JVM CPU (bench/tree.py,
# under load; peak 1.3 -> 2.3 GiB). A JAVA_TOOL_OPTIONS of the user's own is left as it is.
os.environ.setdefault("JAVA_TOOL_OPTIONS",
                      "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:ReservedCodeCacheSize=256m -Xmn1g")



# ---- how the files are shared out over the xdist workers --------------------------------------------------------
# `--dist loadfile` keeps a file on one worker, so a module-scoped fixture (a full hostile run, a wheel build) is
# built once. Two changes to its plan: every Spark file is one unit, so one worker starts one JVM (a session-scoped
# SparkSession serves them all) instead of each worker starting its own; and that unit goes out first, since it is
# the longest, while the other worker drains the rest. The rest go out longest first, by the seconds each took in
# this checkout's last run (pytest's cache), so that no long file is left for the end while the other worker has
# nothing left to do (two short-counted but long files last cost 8 s of idle worker); files not timed yet go out
# first, most tests first, as on a fresh clone. The order changes when the last worker finishes, never a result.
SECONDS_KEY = "finops/seconds_by_file"
LAST_RUN_KEY = "finops/seconds_by_file_last_run"  # this run's files alone (bench/suite.py prints them)
_seconds: dict[str, float] = {}


def _unit(nodeid: str) -> str:
    path = nodeid.split("::", 1)[0]
    return "spark" if Path(path).name.startswith("test_spark") else path


def pytest_collection_modifyitems(config: pytest.Config, items: list) -> None:
    counts: dict[str, int] = {}
    for item in items:
        counts[_unit(item.nodeid)] = counts.get(_unit(item.nodeid), 0) + 1
    cache = getattr(config, "cache", None)
    seconds = (cache.get(SECONDS_KEY, {}) if cache is not None else {}) or {}

    def order(item: pytest.Item) -> tuple[bool, bool, float, int, str]:
        unit = _unit(item.nodeid)
        return unit != "spark", unit in seconds, -seconds.get(unit, 0.0), -counts[unit], unit

    items.sort(key=order)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Seconds per file, setup (module fixtures) and teardown included: in the process that sees every report."""
    _seconds[_unit(report.nodeid)] = _seconds.get(_unit(report.nodeid), 0.0) + report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    cache = getattr(session.config, "cache", None)
    if hasattr(session.config, "workerinput") or cache is None or not _seconds:
        return  # a worker: the controller sees every file's reports
    this_run = {k: round(v, 1) for k, v in _seconds.items()}
    cache.set(SECONDS_KEY, {**(cache.get(SECONDS_KEY, {}) or {}), **this_run})
    cache.set(LAST_RUN_KEY, this_run)


def pytest_xdist_make_scheduler(config, log):  # noqa: ANN001, ANN201 (only called when xdist runs)
    from xdist.scheduler import LoadFileScheduling

    class SparkFirst(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _unit(nodeid)

    if config.getvalue("dist") != "loadfile":
        return None
    config.option.loadscopereorder = False  # the order set above
    return SparkFirst(config, log)


# ---- one SparkSession for every Spark test of a worker ------------------------------------------------------------
# Starting the JVM is the largest cost of the Spark tests: tests/test_spark*.py share this one (the scheduler above
# sends them to one worker). Tiny inputs: two cores, one shuffle partition, no UI, and plans interpreted rather
# than compiled (the SQL's results do not depend on it); a 2 GiB heap (see JAVA_TOOL_OPTIONS above).
SPARK_TEST_CONF = {"spark.sql.shuffle.partitions": "1", "spark.default.parallelism": "2", "spark.ui.enabled": "false",
                   "spark.sql.codegen.wholeStage": "false", "spark.sql.codegen.factoryMode": "NO_CODEGEN",
                   "spark.sql.adaptive.enabled": "false", "spark.driver.memory": "2g"}


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory):
    from finops import spark_engine

    # Python turns Spark timestamps into local time: hold the test process to UTC, like the Spark session.
    os.environ["TZ"] = "UTC"
    time.tzset()
    # Tables a test creates (the script of `finops sql`) in a temp folder, not spark-warehouse/ in the checkout.
    warehouse = {"spark.sql.warehouse.dir": str(tmp_path_factory.mktemp("spark-warehouse"))}
    archive, options = _class_archive()
    session = spark_engine.session("local[2]", {**SPARK_TEST_CONF, **warehouse,
                                                "spark.driver.extraJavaOptions": options})
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    if archive is not None:
        _archive_classes(session, archive)


# ---- the JVM's classes, loaded from an archive ---------------------------------------------------------------------
# Half of a Spark JVM's start is loading and verifying its classes (a session and one query: 6.2 -> 2.9 CPU-s
# with them archived). The first Spark run of a machine's tests writes the classes its JVM loaded to a class-data
# archive (Java's CDS, -XX:ArchiveClassesAtExit, as the JVM exits; ~190 MB) in the temp folder, named by the Java and
# pyspark it was made with; later runs map it (-XX:SharedArchiveFile): tests/test_spark*.py, 75 -> 68 CPU-s of JVM.
# An archive that does not fit the JVM is ignored by the JVM, which then loads its classes as before: it changes how
# fast the classes load, never what they do.


def _class_archive() -> tuple[Path | None, str]:
    """(the archive to write when this JVM exits, None: one is used), and the JVM options that do either."""
    import hashlib
    import tempfile

    import pyspark

    home = os.environ.get("JAVA_HOME")
    java = shutil.which("java", path=os.path.join(home, "bin") if home else None)
    made_by = f"{pyspark.__version__} {os.path.realpath(java or 'java')} {os.stat(java).st_mtime if java else 0}"
    name = hashlib.sha256(made_by.encode()).hexdigest()[:16]
    archive = Path(tempfile.gettempdir()) / f"finops-tests-spark-{name}.jsa"
    if archive.is_file():
        return None, f"-XX:SharedArchiveFile={archive}"
    return archive, f"-XX:ArchiveClassesAtExit={archive}.{os.getpid()}"


def _archive_classes(session, archive: Path) -> None:
    """End the stopped session's JVM (it writes its archive as it exits) and put the archive in place, whole."""
    written = Path(f"{archive}.{os.getpid()}")
    gateway = type(session.sparkContext)._gateway  # the JVM's py4j gateway, kept after stop()
    proc = getattr(gateway, "proc", None)
    if proc is None:
        return
    gateway.shutdown()
    proc.stdin.close()  # the gateway's signal to exit
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        return
    if written.is_file() and written.stat().st_size > 0:
        os.replace(written, archive)


@pytest.fixture(scope="session")
def sample_logs_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, int]:
    """sample_logs/ ingested into a store and exported as `finops export parquet` writes it: (store, export folder,
    rows exported). Made once for the Spark tests that read it (they only read it)."""
    from finops import store

    folder = tmp_path_factory.mktemp("sample_logs_export")
    db, out = folder / "usage.duckdb", folder / "parquet"
    store.ingest([Path(__file__).parent.parent / "sample_logs"], db)
    return db, out, store.export_parquet(db, out)


# ---- one Spark run of sample_logs/ and tests/fixtures/, by both reading routes --------------------------------------
# A Spark run costs some 15 s of JVM CPU even on these few thousand rows: the planning of its report's ~65 queries,
# not the data. One run serves every test that compares a Spark report with the DuckDB one: its inputs are part of
# sample_logs/ given as a file:// URL (listed and read by Spark: nested folders, file dates, pages read with their
# siblings), the rest of it given as a path (read by path on the executors), and tests/fixtures/ (one file of every
# format) by path.
URL_ROUTE = ("admin-api", "batches", "claude-code", "README.md")  # the rest of sample_logs/ goes by path


class BothEngines(NamedTuple):
    url: str  # the folder read through Spark's listing, as given: file:///.../by-url/
    by_url: Path  # that folder as a path (how the DuckDB run names it)
    paths: list[Path]  # the folders read by path in both runs
    duckdb: str  # report.json of the DuckDB run of [by_url, *paths]
    spark: str  # report.json of the Spark run of [url, *paths]
    driver_rows: dict[str, int]  # rows of the Spark run's driver tables (none: its queries ran in Spark)
    flagged: int  # the DuckDB run's flagged records, one per finding and record (rows of its finding_savings)
    multi_change: int  # the DuckDB run's records flagged by more than one finding (stacking replays them)
    pulled: dict[str, list[int]]  # rows of each Spark result the driver received, while analysing and stacking


@pytest.fixture(scope="session")
def reports_on_both_engines(spark, tmp_path_factory: pytest.TempPathFactory) -> BothEngines:
    from finops import pipeline
    from finops.report import to_json

    root = tmp_path_factory.mktemp("reports_on_both_engines")
    by_url, by_path = root / "by-url", root / "by-path"
    by_url.mkdir()
    by_path.mkdir()
    for entry in (Path(__file__).parent.parent / "sample_logs").iterdir():
        into = (by_url if entry.name in URL_ROUTE else by_path) / entry.name
        if entry.is_dir():
            shutil.copytree(entry, into)  # with the files' dates (Batch results are dated by theirs)
        else:
            shutil.copy2(entry, into)
    url, paths = f"file://{by_url}/", [by_path, Path(__file__).parent / "fixtures"]
    now = datetime(2026, 12, 1)
    duck = pipeline.run([by_url, *paths], now=now)
    try:
        duck_json = to_json(duck.report)
        flagged, multi_change = duck.con.execute(
            "SELECT count(*), (SELECT count(*) FROM (SELECT record_id FROM finding_savings GROUP BY ALL "
            "HAVING count(*) > 1)) FROM finding_savings").fetchone()
    finally:
        duck.close()
    pulled: dict[str, list[int]] = {"analyses": [], "stacking": []}
    with pytest.MonkeyPatch.context() as patch:
        _count_rows_to_driver(patch, spark, pulled)
        on_spark = pipeline.run([url, *paths], now=now, engine="spark", spark=spark)
    try:
        rows = {t: on_spark.con.local.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("usage", "billing", "rejects", "priced_usage", "finding_rows", "finding_savings")}
        spark_json = to_json(on_spark.report)
    finally:
        on_spark.close()
    return BothEngines(url, by_url, paths, duck_json, spark_json, rows, flagged, multi_change, pulled)


def _count_rows_to_driver(patch: pytest.MonkeyPatch, spark, pulled: dict[str, list[int]]) -> None:
    """Record the rows of every Spark result handed to the driver (DataFrame.toArrow, collect) while the analyses
    run (spark_pipeline.run_analyses) and their savings are stacked (stacking.stack), in pulled[that phase]."""
    from finops import spark_pipeline, stacking

    phase: list[str] = []

    def counted(original, size):
        def pull(self, *args, **kwargs):
            result = original(self, *args, **kwargs)
            if phase:
                pulled[phase[-1]].append(size(result))
            return result
        return pull

    def during(original, label: str):
        def run(*args, **kwargs):
            phase.append(label)
            try:
                return original(*args, **kwargs)
            finally:
                phase.pop()
        return run

    frame = type(spark.range(0))
    patch.setattr(frame, "toArrow", counted(frame.toArrow, lambda table: table.num_rows))
    patch.setattr(frame, "collect", counted(frame.collect, len))
    patch.setattr(spark_pipeline, "run_analyses", during(spark_pipeline.run_analyses, "analyses"))
    patch.setattr(stacking, "stack", during(stacking.stack, "stacking"))
