"""Property: after any sequence of ingests, the store equals one run over the files it has seen.

The model. A folder `logs` holds a few small files (claude_code transcripts or anthropic_log request logs, a
handful of records with overlapping message ids and differing token counts, sometimes a bad line or no line at
all). A random sequence of operations writes a file (creating or changing it), deletes one, or ingests the folder
into the store under a random spelling of its path (`.`, its absolute path, `./../logs/`, `../logs`, from inside
the folder). After each ingest, let SEEN be, for every file name that some ingest has read, its content as that
name's latest ingest read it: the current content when the file is in the folder now, else the content it had
when it was last ingested (a file gone from the folder keeps its rows in the store). The store must then equal a
one-shot in-memory run (`finops.ingest.load`) over a folder holding exactly SEEN:

- the same usage rows, every column (paths compared by file name: the two folders differ, names do not),
  hence the same totals and the same copy kept of every record;
- the same per-file accounting (read, loaded, rejected, duplicates, ignored lines), with read = loaded +
  rejected + duplicates for every file; the same skipped files and the same rejects (file, line, reason).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from finops import ingest, store
from finops.schema import NAMES

NAMES_OF_FILES = ["a.jsonl", "b.jsonl", "c.jsonl"]
IDS = ["msg_1", "msg_2", "msg_3", "msg_4"]
SPELLINGS = [".", "ABSOLUTE", "./../logs/", "../logs"]


def claude_code_line(msg_id: str, out: int) -> str:
    return json.dumps({
        "parentUuid": None, "sessionId": "s1", "uuid": f"u-{msg_id}-{out}", "type": "assistant",
        "requestId": f"req_{msg_id}", "timestamp": "2026-07-01T10:00:00.000Z",
        "message": {"id": msg_id, "model": "claude-sonnet-4-5", "type": "message", "role": "assistant",
                    "content": [], "usage": {"input_tokens": 10, "cache_read_input_tokens": 0,
                                             "cache_creation_input_tokens": 0, "output_tokens": out}}})


def anthropic_log_line(msg_id: str, out: int) -> str:
    return json.dumps({
        "timestamp": "2026-07-01T10:00:00Z",
        "request": {"model": "claude-sonnet-4-5", "max_tokens": 1024, "messages": [{"role": "user", "content": "hi"}]},
        "response": {"id": msg_id, "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
                     "content": [], "stop_reason": "end_turn",
                     "usage": {"input_tokens": 10, "output_tokens": out}}})


LINE = {"claude_code": claude_code_line, "anthropic_log": anthropic_log_line}

records = st.lists(st.one_of(st.tuples(st.sampled_from(IDS), st.integers(1, 4)), st.just("bad")), max_size=4)
writes = st.tuples(st.just("write"), st.sampled_from(NAMES_OF_FILES), st.sampled_from(sorted(LINE)), records)
deletes = st.tuples(st.just("delete"), st.sampled_from(NAMES_OF_FILES))
ingests = st.tuples(st.just("ingest"), st.sampled_from(SPELLINGS))
operations = st.lists(st.one_of(writes, deletes, ingests), min_size=1, max_size=8)


def content(fmt: str, lines: list) -> str:
    return "".join(("{not json" if r == "bad" else LINE[fmt](*r)) + "\n" for r in lines)


def by_name(path: str) -> str:
    return Path(path).name


def store_view(db: Path) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return view(con, "files", "path, format, rows_read, rows_loaded, rows_rejected, rows_duplicate, "
                    "lines_ignored, skip_reason")
    finally:
        con.close()


def one_shot_view(folder: Path) -> dict:
    con = duckdb.connect()
    store.configure(con)
    result = ingest.load([folder], con)
    con.execute("CREATE TABLE files (path VARCHAR, format VARCHAR, rows_read BIGINT, rows_loaded BIGINT, "
                "rows_rejected BIGINT, rows_duplicate BIGINT, lines_ignored BIGINT, skip_reason VARCHAR)")
    for f in result.files:
        con.execute("INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, NULL)", [
            f.path, f.format, f.rows_read, f.rows_loaded, f.rows_rejected, f.rows_duplicate, f.lines_ignored])
    for path, why in result.skipped:
        con.execute("INSERT INTO files (path, skip_reason) VALUES (?, ?)", [path, why])
    try:
        return view(con, "files", "path, format, rows_read, rows_loaded, rows_rejected, rows_duplicate, "
                    "lines_ignored, skip_reason")
    finally:
        con.close()


def view(con: duckdb.DuckDBPyConnection, files: str, columns: str) -> dict:
    """Usage rows, rejects and files with paths cut to the file name, each sorted: comparable across folders."""
    other = [n for n in NAMES if n != "source_file"]
    usage = sorted(
        (by_name(r[0]), *map(str, r[1:]))
        for r in con.execute(f"SELECT source_file, {', '.join(other)} FROM usage").fetchall())
    rejects = sorted((by_name(f), line, why) for f, line, why in con.execute(
        "SELECT source_file, source_line, reason FROM rejects").fetchall())
    accounting = sorted((by_name(r[0]), *r[1:]) for r in con.execute(f"SELECT {columns} FROM {files}").fetchall())
    totals = con.execute("SELECT count(*), sum(input_tokens), sum(output_tokens) FROM usage").fetchone()
    return {"usage": usage, "rejects": rejects, "files": accounting, "totals": totals}


# Each example runs a few ingests and one-shot runs (about a second): a tenth of the examples the profile in force
# gives a cheap property test (tests/conftest.py: small by default, deeper under CI=true).
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow],
          max_examples=max(3, settings.default.max_examples // 10))
@given(operations)
# b's copy of msg_1 wins, then b loses it: a's copy must come back (issue 11, "lost record").
@example([("write", "a.jsonl", "claude_code", [("msg_1", 1)]),
          ("write", "b.jsonl", "claude_code", [("msg_1", 3), ("msg_2", 1)]), ("ingest", "ABSOLUTE"),
          ("write", "b.jsonl", "claude_code", [("msg_2", 1)]), ("ingest", "ABSOLUTE")])
# One file under three spellings of its folder (issue 11, "same file, other spelling").
@example([("write", "a.jsonl", "anthropic_log", [("msg_1", 1), "bad"]), ("ingest", "."), ("ingest", "ABSOLUTE"),
          ("ingest", "./../logs/")])
def test_the_store_equals_one_run_over_the_files_it_has_seen(ops: list) -> None:
    home = Path.cwd()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        live, db = root / "live" / "logs", root / "store.duckdb"
        live.mkdir(parents=True)
        seen: dict[str, str] = {}  # file name -> content as its latest ingest read it
        os.chdir(live)
        try:
            for op in [*ops, ("ingest", ".")]:
                if op[0] == "write":
                    (live / op[1]).write_text(content(op[2], op[3]))
                elif op[0] == "delete":
                    (live / op[1]).unlink(missing_ok=True)
                else:
                    spelling = str(live) if op[1] == "ABSOLUTE" else op[1]
                    store.ingest([Path(spelling)], db)
                    seen.update({p.name: p.read_text() for p in live.iterdir()})
                    model = root / f"model{len(os.listdir(root))}" / "logs"
                    model.mkdir(parents=True)
                    for name, text in seen.items():
                        (model / name).write_text(text)
                    got, expected = store_view(db), one_shot_view(model)
                    assert got == expected, op
                    for f in got["files"]:
                        if f[1] is not None:  # read = loaded + rejected + duplicates
                            assert f[2] == f[3] + f[4] + f[5], f
        finally:
            os.chdir(home)
