"""A run's tables live in a temporary database file (store.work_in_file), where DuckDB compresses them as they are
written: what keeps peak memory from growing with the rows (measured in bench/, never here)."""

from __future__ import annotations

import gc
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from finops import pipeline, store

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
