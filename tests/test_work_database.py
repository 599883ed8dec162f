"""A run's tables live in a temporary database file (store.work_in_file), where DuckDB compresses them as they are
written: what keeps peak memory from growing with the rows (measured in bench/, never here)."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from finops import analysis, pipeline, pricing, store

FIXTURES = Path(__file__).parent / "fixtures"
ROWS = 3 * store.WORK_ROW_GROUP_ROWS  # three full row groups


def _compressed_segments(con: duckdb.DuckDBPyConnection) -> int:
    con.execute(f"CREATE TABLE t AS SELECT i, 'model-' || (i % 7) AS model, CAST(i AS DECIMAL(38, 12)) AS cost "
                f"FROM range({ROWS}) r(i)")
    return con.execute("SELECT count(*) FROM pragma_storage_info('t') "
                       "WHERE compression <> 'Uncompressed'").fetchone()[0]  # type: ignore[index]


def test_tables_are_compressed_as_they_are_written():
    plain = duckdb.connect()
    assert _compressed_segments(plain) == 0  # in memory, DuckDB compresses only at a checkpoint
    plain.close()
    con = duckdb.connect()
    store.work_in_file(con)
    assert _compressed_segments(con) > 0
    assert con.execute("SELECT count(*), sum(i) FROM t").fetchone() == (ROWS, ROWS * (ROWS - 1) // 2)
    con.close()


def test_the_work_file_is_gone_from_disk_and_its_folder_with_the_connection():
    audit = pipeline.run([FIXTURES / "claude_code"], now=datetime(2026, 12, 1, tzinfo=UTC))
    path = audit.con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
                             ).fetchone()[0]  # type: ignore[index]
    folder = Path(path).parent
    assert folder.parent == Path(tempfile.gettempdir())
    assert not Path(path).exists()  # unlinked at once: DuckDB keeps it open
    assert audit.con.execute("SELECT count(*) FROM priced_usage").fetchone()[0] > 0  # type: ignore[index]
    audit.close()
    del audit
    gc.collect()
    assert not folder.exists()


# A process that opens a work database, says where its folder is, and holds it until its stdin closes.
HOLDER = """
import sys, duckdb
from finops import store
con = duckdb.connect()
store.work_in_file(con)
print(con.execute("SELECT path FROM duckdb_databases() WHERE database_name = 'work'").fetchone()[0], flush=True)
sys.stdin.read()
"""


def _holder(tmp: Path) -> tuple[subprocess.Popen[str], Path]:
    process = subprocess.Popen([sys.executable, "-c", HOLDER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               text=True, env={**os.environ, "TMPDIR": str(tmp)}, cwd=tmp)
    assert process.stdout is not None
    return process, Path(process.stdout.readline().strip()).parent


def test_a_killed_runs_folder_is_removed_by_the_next_run_and_a_live_runs_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    killed, killed_folder = _holder(tmp_path)
    live, live_folder = _holder(tmp_path)
    earlier = tmp_path / "finops-work-abc123"  # an earlier finops's folder, with no lock file: nobody's to judge
    earlier.mkdir()
    try:
        killed.send_signal(signal.SIGKILL)  # no finalizer runs: the folder stays
        killed.wait(timeout=30)
        assert killed_folder.is_dir() and live_folder.is_dir()
        con = duckdb.connect()
        store.work_in_file(con)  # the next run
        assert not killed_folder.exists()
        assert live_folder.is_dir() and earlier.is_dir()
        con.close()
    finally:
        live.communicate("", timeout=60)  # stdin closed: it ends normally and removes its own folder
    assert live.returncode == 0
    assert not live_folder.exists()


def test_a_run_prices_and_analyses_on_one_thread_and_gives_the_others_back(monkeypatch):
    seen = []
    price_usage, run_analysis = pricing.price_usage, analysis.run

    def threads(con: duckdb.DuckDBPyConnection) -> int:
        return int(con.execute("SELECT current_setting('threads')").fetchone()[0])  # type: ignore[index]

    def priced(con: duckdb.DuckDBPyConnection) -> None:
        seen.append(("pricing", threads(con)))
        price_usage(con)

    def analysed(con: duckdb.DuckDBPyConnection, *args, **kwargs):
        seen.append(("analysis", threads(con)))
        return run_analysis(con, *args, **kwargs)

    monkeypatch.setattr(pricing, "price_usage", priced)
    monkeypatch.setattr(analysis, "run", analysed)
    monkeypatch.setattr(pipeline, "SMALL_RUN_ROWS", 0)  # not a small run: the other threads come back
    audit = pipeline.run([FIXTURES / "claude_code"], now=datetime(2026, 12, 1, tzinfo=UTC))
    try:
        assert seen[0] == ("pricing", 1) and len(seen) > 1
        assert {n for _, n in seen} == {1}
        assert threads(audit.con) == (os.cpu_count() or 1)  # DuckDB's default, one thread per core, given back
    finally:
        audit.close()


def test_a_run_of_fewer_rows_than_small_run_rows_keeps_one_thread_to_the_end(monkeypatch):
    def threads_at_the_end(small_run_rows: int) -> tuple[int, int]:
        monkeypatch.setattr(pipeline, "SMALL_RUN_ROWS", small_run_rows)
        audit = pipeline.run([FIXTURES / "claude_code"], now=datetime(2026, 12, 1, tzinfo=UTC))
        try:
            loaded = sum(f.rows_loaded for f in audit.report.inputs)
            return loaded, int(audit.con.execute("SELECT current_setting('threads')").fetchone()[0])
        finally:
            audit.close()

    loaded, _ = threads_at_the_end(0)
    assert loaded > 1
    assert threads_at_the_end(loaded + 1) == (loaded, 1)  # fewer rows than the bound: one thread to the end
    assert threads_at_the_end(loaded) == (loaded, os.cpu_count() or 1)  # as many: the default given back


def test_a_file_system_without_locks_still_gives_a_work_folder(tmp_path, monkeypatch):
    """flock fails on some network file systems: the run still gets its folder, unlocked and with no lock file (so
    no other run takes it for a killed run's), and it goes with the connection."""
    def no_locks(*_):
        raise OSError(95, "Operation not supported")

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(store.fcntl, "flock", no_locks)
    con = duckdb.connect()
    store.work_in_file(con)
    con.execute("CREATE TABLE t AS SELECT 1 AS x")
    [folder] = list(tmp_path.glob(store.WORK_PREFIX + "*"))
    assert not (folder / store.OWNER_LOCK).exists()
    assert list(tmp_path.glob("finops-starting-*")) == []
    con.close()
    del con
    gc.collect()
    assert not folder.exists()
