"""The persistent store: incremental ingest, idempotence, cross-file dedupe, crash safety, reports, Parquet export."""

from __future__ import annotations

import csv
import gzip
import json
import os
import re
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import duckdb
from click.testing import CliRunner

from finops import store
from finops.cli import cli
from finops.schema import BILLING_NAMES, NAMES

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE_LOGS = Path(__file__).parent.parent / "sample_logs"  # the brief asks for the bundled demo input here
COST_REPORT = SAMPLE_LOGS / "billing" / "anthropic_cost_report_2026-10.json.gz"
COST_CSV = SAMPLE_LOGS / "billing" / "claude_api_cost_2026-11-01_2026-11-20.csv.gz"


def cc_line(msg_id: str, day: str, inp: int, out: int, model: str = "claude-sonnet-4-5") -> str:
    return json.dumps(
        {
            "parentUuid": None,
            "sessionId": "s1",
            "uuid": f"u-{msg_id}-{out}",
            "type": "assistant",
            "requestId": f"req_{msg_id}",
            "timestamp": f"{day}T10:00:00.000Z",
            "message": {
                "id": msg_id,
                "model": model,
                "type": "message",
                "role": "assistant",
                "content": [],
                "usage": {
                    "input_tokens": inp,
                    "cache_read_input_tokens": 0,
                    "cache_creation_input_tokens": 0,
                    "output_tokens": out,
                },
            },
        },
        separators=(",", ":"),
    )


def invoke(*args: str):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def snapshot(db: Path) -> tuple:
    """Row counts of every table and a content hash of usage, billing and rejects (order-independent)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        counts = tuple(
            con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("files", "usage", "billing", "rejects")
        )
        usage = con.execute(f"SELECT count(*), sum(hash({', '.join(NAMES)})) FROM usage").fetchone()
        billing = con.execute(f"SELECT count(*), sum(hash({', '.join(BILLING_NAMES)})) FROM billing").fetchone()
        rejects = con.execute("SELECT sum(hash(source_file, source_line, reason)) FROM rejects").fetchone()
        files = con.execute(
            "SELECT list(struct_pack(path, size, sha256, rows_read, rows_loaded, rows_rejected, "
            "rows_duplicate, lines_ignored) ORDER BY path) FROM files"
        ).fetchone()
        return counts, usage, billing, rejects, files
    finally:
        con.close()


def report(args: list[str], out: Path) -> dict:
    invoke("analyze", *args, "-o", str(out), "--format", "json", "--quiet")
    data = json.loads((out / "report.json").read_text())
    data.pop("generated_at")
    return data


def same_order(data: dict) -> dict:
    """A report with the one list whose order the two paths tell apart put in one order: the store lists files by
    path, a run in the order it read them. Every other list is in a total order (tests/test_determinism.py)."""
    key = lambda row: json.dumps(row, sort_keys=True)  # noqa: E731
    for name in ("inputs", "skipped"):
        data[name].sort(key=key)
    return data


def test_ingest_twice_changes_nothing(tmp_path: Path):
    db = tmp_path / "store.duckdb"
    first = invoke("ingest", str(FIXTURES), "--db", str(db))
    assert "0 unchanged" in first.output
    before = snapshot(db)
    second = invoke("ingest", str(FIXTURES), "--db", str(db))
    assert "0 file(s) loaded" in second.output and "0 rows added" in second.output
    assert snapshot(db) == before
    counts, (rows, _), (bills, _), _, _ = before
    assert rows > 0 and counts[1] == rows
    assert bills > 0 and counts[2] == bills  # the fixtures hold bills: kept, and not added twice


def test_store_report_equals_the_in_memory_report(tmp_path: Path):
    """Every fixture format, bills included: the report from the store is the in-memory one, reconciliation and
    per-file accounting too."""
    db = tmp_path / "store.duckdb"
    invoke("ingest", str(FIXTURES), "--db", str(db))
    from_store = report(["--db", str(db)], tmp_path / "a")
    direct = report([str(FIXTURES)], tmp_path / "b")
    assert from_store["data_quality"].pop("files_not_seen_in_last_ingest") == 0  # the store's own fact
    assert from_store["reconciliation"] is not None
    assert same_order(from_store) == same_order(direct)
    assert (tmp_path / "a" / "rejects.csv").read_text() == (tmp_path / "b" / "rejects.csv").read_text()
    for f in from_store["inputs"]:
        assert f["rows_read"] == f["rows_loaded"] + f["rows_rejected"] + f["rows_duplicate"]


def test_analyze_db_adds_paths_first(tmp_path: Path):
    db = tmp_path / "store.duckdb"
    data = report(["--db", str(db), str(FIXTURES / "claude_code")], tmp_path / "a")
    assert data["inputs"] and all(i["format"] == "claude_code" for i in data["inputs"])
    assert snapshot(db)[0][0] == len(data["inputs"]) + len(data["skipped"])


def test_records_in_several_files_count_once_whatever_the_order(tmp_path: Path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text(cc_line("msg_1", "2026-07-01", 10, 5) + "\n" + cc_line("msg_2", "2026-07-01", 1, 1) + "\n")
    b.write_text(cc_line("msg_1", "2026-07-01", 10, 50) + "\n" + cc_line("msg_3", "2026-07-02", 2, 2) + "\n")
    one, two = tmp_path / "one.duckdb", tmp_path / "two.duckdb"
    invoke("ingest", str(a), "--db", str(one))
    invoke("ingest", str(b), "--db", str(one))
    invoke("ingest", str(b), "--db", str(two))
    invoke("ingest", str(a), "--db", str(two))
    for db in (one, two):
        con = duckdb.connect(str(db), read_only=True)
        assert con.execute("SELECT sum(output_tokens), count(*) FROM usage").fetchone() == (53, 3)
        files = {
            r[0]: r[1:]
            for r in con.execute("SELECT path, rows_read, rows_loaded, rows_duplicate FROM files").fetchall()
        }
        assert files == {str(a): (2, 1, 1), str(b): (2, 2, 0)}  # msg_1 kept from b: more tokens
        con.close()
    assert snapshot(one)[1] == snapshot(two)[1]


def test_a_changed_file_is_loaded_again(tmp_path: Path):
    f = tmp_path / "s.jsonl"
    db = tmp_path / "store.duckdb"
    f.write_text(cc_line("msg_1", "2026-07-01", 10, 5) + "\n")
    invoke("ingest", str(f), "--db", str(db))
    f.write_text(cc_line("msg_1", "2026-07-01", 10, 5) + "\n" + cc_line("msg_2", "2026-07-01", 1, 1) + "\n{bad\n")
    out = invoke("ingest", str(f), "--db", str(db)).output
    assert "1 file(s) loaded" in out
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM usage").fetchone()[0] == 2
    assert con.execute("SELECT count(*) FROM files").fetchone()[0] == 1
    assert con.execute("SELECT source_line, reason FROM rejects").fetchall() == [
        (3, "invalid JSON: truncated or malformed line")
    ]
    con.close()


def test_month_restricts_the_report_to_that_month(tmp_path: Path):
    f = tmp_path / "s.jsonl"
    f.write_text(cc_line("msg_1", "2026-07-01", 1000, 10) + "\n" + cc_line("msg_2", "2026-08-03", 7, 3) + "\n")
    db = tmp_path / "store.duckdb"
    invoke("ingest", str(f), "--db", str(db))
    data = report(["--db", str(db), "--month", "2026-08"], tmp_path / "a")
    assert data["totals"]["input_tokens"] == 7 and data["totals"]["requests"] == 1
    assert data["period"]["start"].startswith("2026-08-03")
    assert data["inputs"][0]["rows_loaded"] == 2  # accounting is the file's, from the files table


def test_store_errors_are_one_line(tmp_path: Path):
    result = CliRunner().invoke(cli, ["analyze", "--db", str(tmp_path / "none.duckdb"), "-o", str(tmp_path / "o")])
    assert result.exit_code != 0 and "no such store" in result.output
    result = CliRunner().invoke(cli, ["analyze", "-o", str(tmp_path / "o")])
    assert result.exit_code != 0 and "PATHS" in result.output


def test_export_parquet_partitions_by_month_and_platform(tmp_path: Path):
    db = tmp_path / "store.duckdb"
    invoke("ingest", str(FIXTURES), "--db", str(db))
    out = tmp_path / "parquet"
    result = invoke("export", "parquet", "--db", str(db), str(out))
    con = duckdb.connect()
    con.execute("ATTACH ? AS s (READ_ONLY)", [str(db)])
    total = con.execute("SELECT count(*) FROM s.usage").fetchone()[0]
    assert result.output.startswith(f"{total} rows")
    glob = str(out / "**" / "*.parquet")
    back = con.execute(f"SELECT * FROM read_parquet('{glob}', hive_partitioning = true)")
    columns = [d[0] for d in back.description]
    assert columns == [*NAMES, "month"]  # each file is self-contained: partition columns are written too
    assert len(back.fetchall()) == total
    cols = ", ".join(NAMES)
    same = con.execute(
        f"SELECT count(*) FROM (SELECT {cols} FROM read_parquet('{glob}', hive_partitioning = true) "
        f"EXCEPT ALL SELECT {cols} FROM s.usage)"
    ).fetchone()[0]
    assert same == 0
    dirs = {p.relative_to(out).parts[:2] for p in out.rglob("*.parquet")}
    assert ("month=2026-10", "platform=anthropic") in dirs
    assert all(m.startswith("month=") and p.startswith("platform=") for m, p in dirs)


def test_a_killed_ingest_leaves_the_store_consistent_and_a_rerun_finishes(tmp_path: Path):
    folder = tmp_path / "logs"
    folder.mkdir()
    for n in range(4):
        (folder / f"s{n}.jsonl").write_text(
            "".join(cc_line(f"msg_{n}_{i}", "2026-07-01", i, 1) + "\n" for i in range(200))
        )
    db, reference = tmp_path / "store.duckdb", tmp_path / "reference.duckdb"
    invoke("ingest", str(folder), "--db", str(reference))
    marker = tmp_path / "marker"
    env = {**os.environ, store.PAUSE_ENV: "2:60", store.PAUSE_ENV + "_MARKER": str(marker)}
    cmd = [sys.executable, "-c", "from finops.cli import cli; cli()", "ingest", str(folder), "--db", str(db)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 60
        while not marker.exists() and time.time() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert marker.exists(), proc.stderr.read().decode() if proc.poll() is not None else "no marker"
        proc.send_signal(signal.SIGKILL)  # in the middle of the second file: staged and merged, not committed
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    con = duckdb.connect(str(db), read_only=True)
    files = con.execute("SELECT path, rows_loaded FROM files").fetchall()
    assert [Path(p).name for p, _ in files] == ["s0.jsonl"]
    assert con.execute("SELECT count(*), count(DISTINCT source_file) FROM usage").fetchone() == (200, 1)
    assert files[0][1] == 200
    con.close()
    invoke("ingest", str(folder), "--db", str(db))
    assert snapshot(db) == snapshot(reference)


def test_the_readme_documents_every_usage_column_in_order():
    from finops.schema import COLUMNS

    text = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    block = text.split("<!-- usage-columns")[1].split("<!-- /usage-columns -->")[0]
    rows = [r.split("|")[1:4] for r in block.splitlines() if r.startswith("| `")]
    documented = [(name.strip().strip("`"), duck.strip(), meaning.strip()) for name, duck, meaning in rows]
    expected = [(name, duck, meaning.replace("|", "/")) for name, duck, _, meaning in COLUMNS]
    assert documented[: len(expected)] == expected and [d[0] for d in documented[len(expected) :]] == ["month"]


# ---- bill lines (table billing) ------------------------------------------------------------------------------
# Expected numbers come from reading the bill files with the standard library, not from finops.


def cost_report_lines() -> list[dict]:
    """The cost report's lines: one per result of each daily bucket."""
    with gzip.open(COST_REPORT, "rt", encoding="utf-8") as f:
        data = json.load(f)
    return [{**r, "starting_at": b["starting_at"]} for b in data["data"] for r in b["results"]]


def cost_csv_rows() -> list[dict]:
    with gzip.open(COST_CSV, "rt", encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_sample_logs_from_the_store_reconcile_as_from_the_files(tmp_path: Path):
    db = tmp_path / "store.duckdb"
    invoke("ingest", str(SAMPLE_LOGS), "--db", str(db))
    from_store = report(["--db", str(db)], tmp_path / "a")
    direct = report([str(SAMPLE_LOGS)], tmp_path / "b")
    same_order(from_store), same_order(direct)
    assert from_store["data_quality"].pop("files_not_seen_in_last_ingest") == 0  # the store's own fact
    assert from_store["reconciliation"] == direct["reconciliation"]
    assert from_store["inputs"] == direct["inputs"]  # per-file accounting: read, loaded, rejected, duplicate
    assert from_store == direct  # and everything else

    lines, rows = cost_report_lines(), cost_csv_rows()
    assert len(lines) > 0 and len(rows) > 0
    inputs = {f["path"]: f for f in from_store["inputs"]}
    for path, n in ((COST_REPORT, len(lines)), (COST_CSV, len(rows))):
        f = inputs[str(path)]
        assert (f["rows_read"], f["rows_loaded"], f["rows_rejected"], f["rows_duplicate"]) == (n, n, 0, 0)
    for f in inputs.values():
        assert f["rows_read"] == f["rows_loaded"] + f["rows_rejected"] + f["rows_duplicate"]
    pairs = {(p["platform"], p["month"]): p for p in from_store["reconciliation"]["pairs"]}
    assert pairs[("anthropic", "2026-10")]["bill_source"] == "Anthropic cost report"
    assert pairs[("anthropic", "2026-11")]["bill_source"] == "Claude Console cost export"

    con = duckdb.connect(str(db), read_only=True)
    got = dict(con.execute("SELECT source_file, count(*) FROM billing GROUP BY 1").fetchall())
    cents = con.execute("SELECT sum(billed_cost) FROM billing WHERE source_file = ?", [str(COST_REPORT)]).fetchone()
    dollars = con.execute("SELECT sum(billed_cost) FROM billing WHERE source_file = ?", [str(COST_CSV)]).fetchone()
    con.close()
    assert got[str(COST_REPORT)] == len(lines) and got[str(COST_CSV)] == len(rows)
    assert cents[0] == sum(Decimal(r["amount"]) for r in lines) / 100  # the cost report is in cents
    assert dollars[0] == sum(Decimal(r["cost_usd"]) for r in rows)

    before = snapshot(db)
    again = invoke("ingest", str(SAMPLE_LOGS), "--db", str(db))
    assert "0 file(s) loaded" in again.output and "0 rows added" in again.output
    assert snapshot(db) == before


def test_month_restricts_bill_lines_by_their_period(tmp_path: Path):
    db = tmp_path / "store.duckdb"
    invoke("ingest", str(SAMPLE_LOGS / "billing"), "--db", str(db))
    months = {r["starting_at"][:7] for r in cost_report_lines()} | {r["usage_date_utc"][:7] for r in cost_csv_rows()}
    assert months == {"2026-10", "2026-11"}
    for month in sorted(months):
        expected = {
            str(COST_REPORT): sum(r["starting_at"][:7] == month for r in cost_report_lines()),
            str(COST_CSV): sum(r["usage_date_utc"][:7] == month for r in cost_csv_rows()),
        }
        con = duckdb.connect()
        store.attach(con, db, month)
        got = dict(con.execute("SELECT source_file, count(*) FROM billing GROUP BY 1").fetchall())
        assert got == {k: v for k, v in expected.items() if v}
        con.close()


def test_a_bill_in_two_files_counts_once_whatever_the_order(tmp_path: Path):
    a, b = tmp_path / "a.csv.gz", tmp_path / "b.csv.gz"
    a.write_bytes(COST_CSV.read_bytes())
    b.write_bytes(COST_CSV.read_bytes())
    n = len(cost_csv_rows())
    one, two = tmp_path / "one.duckdb", tmp_path / "two.duckdb"
    invoke("ingest", str(a), "--db", str(one))
    invoke("ingest", str(b), "--db", str(one))
    invoke("ingest", str(b), "--db", str(two))
    invoke("ingest", str(a), "--db", str(two))  # a's lines win (first by file, line): b's accounting moves
    for db in (one, two):
        con = duckdb.connect(str(db), read_only=True)
        assert con.execute(
            "SELECT count(*), count(DISTINCT record_id), any_value(source_file), "
            "count(DISTINCT source_file) FROM billing"
        ).fetchone() == (n, n, str(a), 1)
        files = {
            r[0]: r[1:]
            for r in con.execute("SELECT path, rows_read, rows_loaded, rows_duplicate FROM files").fetchall()
        }
        assert files == {str(a): (n, n, 0), str(b): (n, 0, n)}
        con.close()
    assert snapshot(one)[2] == snapshot(two)[2]


def test_a_store_without_a_billing_table_opens_and_gains_it(tmp_path: Path, monkeypatch):
    """A store made before bill lines were kept: its bill files counted their lines as ignored. It still opens,
    and the next ingest adds the table and reads those files again."""
    db = tmp_path / "store.duckdb"
    n = len(cost_report_lines())

    read_file = store.read_file

    def without_bills(path, stats, on_row, on_reject, on_bill=None, on_table=None):  # what the store did before
        read_file(path, stats, on_row, on_reject)

    monkeypatch.setattr(store, "read_file", without_bills)
    store.ingest([COST_REPORT], db)
    monkeypatch.undo()
    con = duckdb.connect(str(db))
    con.execute("DROP TABLE billing")
    assert con.execute("SELECT rows_read, rows_loaded, lines_ignored FROM files").fetchone() == (0, 0, n)
    con.close()

    con = duckdb.connect()  # read-only, as analyze --db opens it: an empty billing table
    result = store.attach(con, db)
    assert [f.lines_ignored for f in result.files] == [n]
    assert con.execute("SELECT count(*) FROM billing").fetchone()[0] == 0
    con.close()

    out = invoke("ingest", str(COST_REPORT), "--db", str(db)).output
    assert "1 file(s) loaded" in out
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM billing").fetchone()[0] == n
    assert con.execute("SELECT rows_read, rows_loaded, rows_duplicate, lines_ignored FROM files").fetchone() == (
        n,
        n,
        0,
        0,
    )
    con.close()
    before = snapshot(db)
    assert "0 file(s) loaded" in invoke("ingest", str(COST_REPORT), "--db", str(db)).output
    assert snapshot(db) == before


# ---- a store after any sequence of ingests equals one run over the files as they are now ----------------------


def store_state(db: Path) -> tuple[dict, dict]:
    """The usage rows by message id (file, output tokens) and each file's accounting (read, loaded, rejected, dup)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = {(r[0] or "").removeprefix("req_"): r[1:]
                for r in con.execute("SELECT request_id, source_file, output_tokens FROM usage").fetchall()}
        files = {r[0]: r[1:] for r in con.execute(
            "SELECT path, rows_read, rows_loaded, rows_rejected, rows_duplicate FROM files").fetchall()}
        return rows, files
    finally:
        con.close()


def test_a_record_whose_kept_copy_is_withdrawn_comes_back_from_the_other_file(tmp_path: Path):
    """a holds R; b holds R with more tokens (b's copy wins) and S. b then loses R: a's copy of R is the one left,
    as a one-shot run over a and b as they are now keeps it."""
    logs, db = tmp_path / "logs", tmp_path / "store.duckdb"
    logs.mkdir()
    a, b = logs / "a.jsonl", logs / "b.jsonl"
    a.write_text(cc_line("msg_R", "2026-07-01", 10, 5) + "\n")
    b.write_text(cc_line("msg_R", "2026-07-01", 10, 50) + "\n" + cc_line("msg_S", "2026-07-02", 2, 2) + "\n")
    invoke("ingest", str(logs), "--db", str(db))
    rows, files = store_state(db)
    assert {k: v[1] for k, v in rows.items()} == {"msg_R": 50, "msg_S": 2}
    assert files[str(a)] == (1, 0, 0, 1) and files[str(b)] == (2, 2, 0, 0)

    b.write_text(cc_line("msg_S", "2026-07-02", 2, 2) + "\n")
    invoke("ingest", str(logs), "--db", str(db))
    rows, files = store_state(db)
    # R is a's again (5 output tokens), S is b's; a: 1 read = 1 loaded; b: 1 read = 1 loaded.
    assert rows == {"msg_R": (str(a), 5), "msg_S": (str(b), 2)}
    assert files == {str(a): (1, 1, 0, 0), str(b): (1, 1, 0, 0)}
    direct = report([str(a), str(b)], tmp_path / "direct")
    from_store = report(["--db", str(db)], tmp_path / "store")
    assert from_store["totals"] == direct["totals"] and from_store["inputs"] == direct["inputs"]

    b.write_text(cc_line("msg_R", "2026-07-01", 10, 70) + "\n")  # b takes R back, S is gone with b's old copy
    invoke("ingest", str(logs), "--db", str(db))
    rows, files = store_state(db)
    assert rows == {"msg_R": (str(b), 70)}
    assert files == {str(a): (1, 0, 0, 1), str(b): (1, 1, 0, 0)}


def eight_records(folder: Path) -> Path:
    """5 good records and 3 bad lines: 8 read = 5 loaded + 3 rejected + 0 duplicates."""
    folder.mkdir()
    f = folder / "s.jsonl"
    good = [cc_line(f"msg_{i}", "2026-07-01", 10 + i, 1) for i in range(5)]
    f.write_text("\n".join([*good[:2], "{bad", *good[2:4], "{\"broken\": ", good[4], "not json"]) + "\n")
    return f


def test_a_file_named_three_ways_is_one_file(tmp_path: Path, monkeypatch):
    f = eight_records(tmp_path / "name")
    db = tmp_path / "store.duckdb"
    monkeypatch.chdir(tmp_path / "name")
    for spelling in (".", str(tmp_path / "name"), "./../name/"):
        invoke("ingest", spelling, "--db", str(db))
    rows, files = store_state(db)
    assert files == {str(f): (8, 5, 3, 0)} and len(rows) == 5
    out = invoke("analyze", "--db", str(db), "-o", str(tmp_path / "out"), "--format", "json").output
    assert re.search(r"8 read = 5 loaded \+ 3 rejected \+ 0 duplicates, from 1 file(?!s)", " ".join(out.split()))
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM rejects").fetchone()[0] == 3
    con.close()


def test_an_older_store_with_a_file_under_three_spellings_counts_it_once(tmp_path: Path, monkeypatch):
    """A version 1 store recorded paths as given and kept no losing copies: the file under its resolved path
    replaces its other spellings and is read again, so its accounting is exact."""
    f = eight_records(tmp_path / "name")
    db = tmp_path / "store.duckdb"
    monkeypatch.chdir(tmp_path / "name")
    monkeypatch.setattr(store, "identity", lambda p: p)  # what version 1 did: paths as given
    monkeypatch.setattr(store, "_legacy_paths", lambda con: {})
    for spelling in (".", str(tmp_path / "name"), "./../name/"):
        store.ingest([Path(spelling)], db)
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path / "name")
    con = duckdb.connect(str(db))
    con.execute("DROP TABLE usage_duplicates")
    con.execute("DROP TABLE billing_duplicates")
    con.execute("UPDATE store_meta SET value = '1' WHERE key = 'version'")
    assert con.execute("SELECT sum(rows_read) FROM files").fetchone()[0] == 24  # the defect: 3 x 8
    con.close()
    invoke("ingest", ".", "--db", str(db))
    rows, files = store_state(db)
    assert files == {str(f): (8, 5, 3, 0)} and len(rows) == 5
    before = snapshot(db)
    assert "0 file(s) loaded, 1 unchanged" in invoke("ingest", "../name", "--db", str(db)).output
    assert snapshot(db) == before


FINOPS = [sys.executable, "-c", "from finops.cli import cli; cli()"]


def test_a_store_in_use_by_another_ingest_is_one_line_that_says_what_to_do(tmp_path: Path):
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "s.jsonl").write_text(cc_line("msg_1", "2026-07-01", 1, 1) + "\n")
    db, marker = tmp_path / "store.duckdb", tmp_path / "marker"
    env = {**os.environ, store.PAUSE_ENV: "1:60", store.PAUSE_ENV + "_MARKER": str(marker)}
    holder = subprocess.Popen([*FINOPS, "ingest", str(folder), "--db", str(db)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 60
        while not marker.exists() and time.time() < deadline and holder.poll() is None:
            time.sleep(0.05)
        assert marker.exists(), "the first ingest never reached its pause"
        for args in (["ingest", str(folder), "--db", str(db)],
                     ["analyze", "--db", str(db), "-o", str(tmp_path / "out"), "--format", "json"]):
            run = subprocess.run([*FINOPS, *args], capture_output=True, text=True, timeout=120)
            said = (run.stdout + run.stderr).strip()
            assert run.returncode != 0, said
            assert len(said.splitlines()) == 1 and "Traceback" not in said and "IO Error" not in said, said
            assert f"another finops process (PID {holder.pid}) is using the store" in said
            assert "wait for it to finish, or use another --db" in said
    finally:
        holder.kill()
        holder.wait(timeout=30)


def test_a_file_gone_from_the_folder_keeps_its_rows_and_the_report_counts_it(tmp_path: Path):
    logs, db = tmp_path / "logs", tmp_path / "store.duckdb"
    logs.mkdir()
    (logs / "a.jsonl").write_text(cc_line("msg_1", "2026-07-01", 100, 10) + "\n")
    (logs / "b.jsonl").write_text(cc_line("msg_2", "2026-07-01", 7, 3) + "\n")
    invoke("ingest", str(logs), "--db", str(db))
    assert report(["--db", str(db)], tmp_path / "r0")["data_quality"]["files_not_seen_in_last_ingest"] == 0
    (logs / "b.jsonl").unlink()  # pruned at the source: the store keeps its history
    invoke("ingest", str(logs), "--db", str(db))
    data = report(["--db", str(db)], tmp_path / "r1")
    assert data["data_quality"]["files_not_seen_in_last_ingest"] == 1
    assert data["totals"]["input_tokens"] == 107 and data["totals"]["output_tokens"] == 13  # 100 + 7, 10 + 3
    assert [Path(i["path"]).name for i in data["inputs"]] == ["a.jsonl", "b.jsonl"]
    out = invoke("analyze", "--db", str(db), "-o", str(tmp_path / "r2"), "--format", "html,json").output
    assert "Store: 1 file(s) not seen by the last ingest; their rows are kept" in " ".join(out.split())
    html = " ".join((tmp_path / "r2" / "report.html").read_text().split())
    assert "1 file of the store was not seen by its last ingest" in html


def test_a_bill_line_whose_kept_copy_is_withdrawn_comes_back_from_the_other_file(tmp_path: Path):
    """The same three Console cost lines in a.csv and b.csv: a's are kept (first file). a then keeps one line only:
    the other two come back from b, as one run over a and b as they are now keeps them."""
    header, *lines = gzip.decompress(COST_CSV.read_bytes()).decode("utf-8-sig").splitlines()[:4]
    logs, db = tmp_path / "logs", tmp_path / "store.duckdb"
    logs.mkdir()
    a, b = logs / "a.csv", logs / "b.csv"
    a.write_text("\n".join([header, *lines]) + "\n")
    b.write_text("\n".join([header, *lines]) + "\n")
    invoke("ingest", str(logs), "--db", str(db))
    a.write_text("\n".join([header, lines[0]]) + "\n")
    invoke("ingest", str(logs), "--db", str(db))
    con = duckdb.connect(str(db), read_only=True)
    kept = con.execute("SELECT source_file, source_line FROM billing ORDER BY source_file, source_line").fetchall()
    files = dict(con.execute("SELECT path, (rows_read, rows_loaded, rows_rejected, rows_duplicate) FROM files")
                 .fetchall())
    con.close()
    # Line numbers count the header as line 1: a keeps its line 2; b's lines 3 and 4 come back.
    assert kept == [(str(a), 2), (str(b), 3), (str(b), 4)]
    assert files == {str(a): (1, 1, 0, 0), str(b): (3, 2, 0, 1)}


def test_a_link_to_a_folder_and_a_broken_link_are_skipped_not_a_traceback(tmp_path: Path):
    logs, db = tmp_path / "logs", tmp_path / "store.duckdb"
    logs.mkdir()
    (logs / "s.jsonl").write_text(cc_line("msg_1", "2026-07-01", 1, 1) + "\n")
    (tmp_path / "elsewhere").mkdir()
    (logs / "folder-link").symlink_to(tmp_path / "elsewhere")
    (logs / "broken-link.jsonl").symlink_to(tmp_path / "missing.jsonl")
    assert "1 file(s) loaded, 0 unchanged, 2 skipped" in invoke("ingest", str(logs), "--db", str(db)).output
    assert "0 file(s) loaded, 3 unchanged, 0 skipped" in invoke("ingest", str(logs), "--db", str(db)).output
    con = duckdb.connect(str(db), read_only=True)
    skipped = dict(con.execute("SELECT path, skip_reason FROM files WHERE format IS NULL").fetchall())
    con.close()
    assert skipped == {
        str(logs / "folder-link"): "a link to a folder: not followed (pass the folder itself to read it)",
        str(logs / "broken-link.jsonl"): "not a regular file (a pipe, socket, device or broken link)",
    }


def test_a_telemetry_event_covered_by_a_transcript_comes_back_when_the_transcript_loses_the_call(tmp_path: Path):
    """Claude Code telemetry: event A (request req_011OT1) is counted from the transcript that holds the same call
    (ingest/overlap.py). The transcript then no longer holds it: the event counts again, as in a one-shot run."""
    from finops import ingest

    logs, db = tmp_path / "logs", tmp_path / "store.duckdb"
    (logs / "p").mkdir(parents=True)
    otel = logs / "otel.jsonl"
    otel.write_bytes((FIXTURES / "claude_code_otel" / "logs.jsonl").read_bytes())
    transcript = logs / "p" / "t.jsonl"
    call = {"type": "assistant", "sessionId": "6f1c2b7e-0d7a-4f7e-9a51-3d2f0c9b8e11", "uuid": "u1",
            "timestamp": "2026-12-01T08:00:31Z", "requestId": "req_011OT1", "message": {
                "id": "msg_01A", "model": "claude-sonnet-4-6", "usage": {
                    "input_tokens": 312, "output_tokens": 1180, "cache_read_input_tokens": 51200,
                    "cache_creation_input_tokens": 2048}}}
    transcript.write_text(json.dumps(call) + "\n")
    invoke("ingest", str(logs), "--db", str(db))
    assert store_state(db)[1][str(otel)] == (3, 2, 0, 1)  # A is the transcript's
    other = {**call, "requestId": "req_other", "timestamp": "2026-12-02T08:00:00Z",
             "message": {**call["message"], "id": "msg_other"}}
    transcript.write_text(json.dumps(other) + "\n")
    invoke("ingest", str(logs), "--db", str(db))
    rows, files = store_state(db)
    assert files[str(otel)] == (3, 3, 0, 0) and files[str(transcript)] == (1, 1, 0, 0)
    con = duckdb.connect()
    result = ingest.load([logs], con)
    assert {f.path: (f.rows_read, f.rows_loaded, f.rows_rejected, f.rows_duplicate) for f in result.files} == files
    one_shot = con.execute("SELECT sum(input_tokens), sum(output_tokens), count(*) FROM usage").fetchone()
    con.close()
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT sum(input_tokens), sum(output_tokens), count(*) FROM usage").fetchone() == one_shot
    con.close()


def test_cost_queries_grouped_differently_ingested_apart_count_the_bill_once(tmp_path: Path):
    # The same $5.00 of 2026-10-01, by workspace ($3 + $2) ingested first, by model ($4 + $1) later: the report
    # from the store counts it once, from the grouping the rule keeps ("model" before "workspace_id", both one
    # dimension: ingest/bill_groupings.py), and the workspace file's two lines are its duplicates.
    def page(dim: str, amounts: dict[str, str]) -> str:
        return json.dumps({"data": [
            {"starting_at": "2026-10-01T00:00:00Z", "ending_at": "2026-10-02T00:00:00Z",
             "group": {"workspace_id": None, "model": None, dim: value},
             "cost": {"amount": cents, "list_amount": cents, "currency": "USD"}} for value, cents in amounts.items()],
            "has_more": False, "next_page": None})

    by_workspace = tmp_path / "cost_by_workspace.json"
    by_workspace.write_text(page("workspace_id", {"wrkspc_A": "300", "wrkspc_B": "200"}))
    by_model = tmp_path / "cost_by_model.json"
    by_model.write_text(page("model", {"claude-sonnet-4-6": "400", "claude-opus-4-6": "100"}))
    db = tmp_path / "store.duckdb"
    store.ingest([by_workspace], db)
    store.ingest([by_model], db)
    con = duckdb.connect()
    result = store.attach(con, db)
    assert con.execute("SELECT sum(billed_cost) FROM billing").fetchone() == (Decimal("5.00"),)
    stats = {Path(f.path).name: (f.rows_read, f.rows_loaded, f.rows_duplicate) for f in result.files}
    assert stats == {"cost_by_workspace.json": (2, 0, 2), "cost_by_model.json": (2, 2, 0)}
