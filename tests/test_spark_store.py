"""`finops ingest --engine spark` fills the store as `finops ingest` does: the same rows, losing copies, rejects
and per-file accounting, the same answer to a changed, a vanished and an unchanged file, the same lock message;
`finops analyze --db` on either store gives the same report.json. Skipped, with the reason, only where pyspark or
Java is missing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner
from helpers import NEEDS_SPARK

from finops import spark_pipeline
from finops.cli import cli

ROOT = Path(__file__).parent.parent
FIXTURES = Path(__file__).parent / "fixtures"  # one file of every format, waste included (read by test_ingest)
# Every table of the store, and the files table without the time each file was loaded.
TABLES = ("usage", "billing", "usage_duplicates", "billing_duplicates", "rejects", "names", "store_meta")
FILES = ("path, size, sha256, format, rows_read, rows_loaded, rows_rejected, rows_duplicate, lines_ignored, error, "
         "notes, reasons, skip_reason, last_seen")

pytestmark = NEEDS_SPARK


@pytest.fixture
def on_spark(spark, monkeypatch):
    """The CLI's Spark session is the tests' one, left as it is."""
    monkeypatch.setattr(spark_pipeline, "connect", lambda master, remote: spark)


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def contents(db: Path, url_of: str | None = None) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted; url_of: a folder whose files were given as file:// URLs, named here by
    their path (file:///x/a.jsonl as /x/a.jsonl) to compare with a store of the same files given as paths."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        found = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES}
        found["files"] = con.execute(f"SELECT {FILES} FROM files ORDER BY ALL").fetchall()
    finally:
        con.close()
    if url_of is None:
        return found
    as_path = lambda v: v.replace(f"file://{url_of}", url_of) if isinstance(v, str) else v  # noqa: E731
    return {t: sorted((tuple(map(as_path, row)) for row in rows), key=repr) for t, rows in found.items()}


def report(db: Path, out: Path) -> dict[str, Any]:
    invoke("analyze", "--db", str(db), "-o", str(out), "--format", "json", "--quiet")
    data = json.loads((out / "report.json").read_text())
    data.pop("generated_at")
    return data


def test_sample_logs_and_fixtures_ingested_on_spark_are_the_duckdb_store(on_spark, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    inputs = ["tests/../sample_logs", "tests/fixtures"]  # a path spelled with `..`: resolved as the store does
    duck, spark = tmp_path / "duck" / "usage.duckdb", tmp_path / "spark" / "usage.duckdb"
    duck.parent.mkdir()
    spark.parent.mkdir()
    said = invoke("ingest", *inputs, "--db", str(duck))
    assert invoke("ingest", *inputs, "--db", str(spark), "--engine", "spark") == said.replace(str(duck), str(spark))
    stored = contents(spark)
    assert stored == contents(duck)
    # Not equal by being empty: rows, losing copies, rejects with their lines, every file under its resolved path.
    assert stored["usage"] and stored["billing"] and stored["usage_duplicates"]
    assert stored["rejects"] and all(line > 0 for _, line, _ in stored["rejects"])
    assert all(f[0].startswith((str(ROOT / "sample_logs") + "/", str(FIXTURES) + "/")) for f in stored["files"])
    assert all(f[4] == f[5] + f[6] + f[7] for f in stored["files"] if f[3] is not None)  # read = loaded + rej + dup
    assert report(spark, tmp_path / "r-spark") == report(duck, tmp_path / "r-duck")


def cc_line(msg_id: str, inp: int, out: int) -> str:
    """One Claude Code transcript line: an assistant message with its usage."""
    return json.dumps({
        "sessionId": "s1", "uuid": f"u-{msg_id}-{out}", "type": "assistant", "requestId": f"req_{msg_id}",
        "timestamp": "2026-07-01T10:00:00.000Z",
        "message": {"id": msg_id, "model": "claude-sonnet-4-5", "type": "message", "role": "assistant",
                    "content": [], "usage": {"input_tokens": inp, "output_tokens": out,
                                             "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0}}})


def logs_folder(root: Path) -> Path:
    """a: R (5 output tokens) and a broken line 2; b: R (50 output tokens: it wins) and S; c: T; notes.txt: no
    format (skipped)."""
    logs = root / "logs"
    logs.mkdir()
    (logs / "a.jsonl").write_text(cc_line("msg_R", 10, 5) + "\n{broken\n")
    (logs / "b.jsonl").write_text(cc_line("msg_R", 10, 50) + "\n" + cc_line("msg_S", 2, 2) + "\n")
    (logs / "c.jsonl").write_text(cc_line("msg_T", 1, 1) + "\n")
    (logs / "notes.txt").write_text("not a log\n")
    return logs


def accounting(db: Path) -> dict[str, tuple[int, ...]]:
    """Each file's (rows_read, rows_loaded, rows_rejected, rows_duplicate), by file name."""
    return {Path(f[0]).name: tuple(f[4:8]) for f in contents(db)["files"] if f[3] is not None}


def test_a_changed_and_a_vanished_file_are_ingested_again_as_duckdb_does(on_spark, tmp_path):
    logs = logs_folder(tmp_path)
    duck, spark = tmp_path / "duck.duckdb", tmp_path / "spark.duckdb"
    for db, engine in ((duck, "duckdb"), (spark, "spark")):
        said = invoke("ingest", str(logs), "--db", str(db), "--engine", engine)
        # a read 2 = 0 loaded + 1 rejected + 1 duplicate (b's R has more tokens); rows added as each file came:
        # a's R, then b's R and S, then c's T.
        assert "3 file(s) loaded, 0 unchanged, 1 skipped; 4 rows added, 1 rejected" in said, said
    assert accounting(spark) == {"a.jsonl": (2, 0, 1, 1), "b.jsonl": (2, 2, 0, 0), "c.jsonl": (1, 1, 0, 0)}
    assert contents(spark) == contents(duck)

    (logs / "b.jsonl").write_text(cc_line("msg_S", 2, 2) + "\n")  # b drops R: a's copy of R is kept again
    (logs / "c.jsonl").unlink()  # c vanishes: its rows stay, it is not seen by this ingest
    for db, engine in ((duck, "duckdb"), (spark, "spark")):
        said = invoke("ingest", str(logs), "--db", str(db), "--engine", engine)
        assert "1 file(s) loaded, 2 unchanged, 0 skipped; 1 rows added, 0 rejected" in said, said
    assert accounting(spark) == {"a.jsonl": (2, 1, 1, 0), "b.jsonl": (1, 1, 0, 0), "c.jsonl": (1, 1, 0, 0)}
    stored = contents(spark)
    assert stored == contents(duck)
    assert [f[-1] for f in stored["files"]] == [2, 2, 1, 2]  # last_seen: a, b, c (run 1), notes.txt


def test_a_folder_given_as_a_url_is_named_as_given_and_not_read_twice(on_spark, tmp_path):
    logs = logs_folder(tmp_path)
    duck, spark = tmp_path / "duck.duckdb", tmp_path / "spark.duckdb"
    invoke("ingest", str(logs), "--db", str(duck))
    missing = CliRunner().invoke(cli, ["ingest", f"file://{tmp_path}/nothing/", "--db", str(spark),
                                       "--engine", "spark"])
    assert missing.exit_code == 1 and "nothing/: no such file or folder" in missing.output, missing.output
    url = f"file://{logs}/"
    invoke("ingest", url, "--db", str(spark), "--engine", "spark")
    stored = contents(spark)
    assert [f[0] for f in stored["files"]] == [f"file://{logs}/{n}" for n in ("a.jsonl", "b.jsonl", "c.jsonl",
                                                                            "notes.txt")]
    assert [r[:2] for r in stored["rejects"]] == [(f"file://{logs}/a.jsonl", 2)]
    # The same rows as the paths' store, and one ingest counted (the failed one above did not count).
    assert contents(spark, url_of=str(logs)) == contents(duck, url_of=str(logs))
    again = invoke("ingest", url, "--db", str(spark), "--engine", "spark")
    assert "0 file(s) loaded, 4 unchanged, 0 skipped; 0 rows added" in again, again


def test_a_store_in_use_fails_with_the_lock_message_before_spark_starts(tmp_path, monkeypatch):
    db = tmp_path / "usage.duckdb"
    alone = CliRunner().invoke(cli, ["ingest", str(FIXTURES), "--db", str(db), "--spark-master", "local[1]"])
    assert alone.exit_code == 2 and "--spark-master and --spark-remote need --engine spark" in alone.output
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('open', flush=True); time.sleep(120)", str(db)], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "open"  # type: ignore[union-attr]

        def no_spark(master: str | None, remote: str | None) -> None:
            raise AssertionError("Spark started for a store in use")

        monkeypatch.setattr(spark_pipeline, "connect", no_spark)
        for engine in ("duckdb", "spark"):
            result = CliRunner().invoke(cli, ["ingest", str(FIXTURES), "--db", str(db), "--engine", engine])
            assert result.exit_code == 1, result.output
            assert result.output.strip() == (f"Error: {db}: another finops process (PID {holder.pid}) is using "
                                             "the store; wait for it to finish, or use another --db"), result.output
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert os.path.exists(db)
