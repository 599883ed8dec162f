"""The DuckDB fast path for Claude Code transcripts gives exactly what the Python reader gives, and reading stays
in bounded batches. (Speed and memory are measured by bench/, never timed here.)"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from finops import ingest

ROOT = Path(__file__).parent.parent
FIXTURES = Path(__file__).parent / "fixtures"


def load(paths: list[Path], fast: bool, monkeypatch: pytest.MonkeyPatch) -> tuple:
    if fast:
        monkeypatch.delenv("FINOPS_NO_FAST_PATH", raising=False)
    else:
        monkeypatch.setenv("FINOPS_NO_FAST_PATH", "1")
    con = duckdb.connect()
    result = ingest.load(paths, con)
    rows = con.execute("SELECT * FROM usage ORDER BY record_id").fetchall()
    rejects = con.execute("SELECT * FROM rejects ORDER BY ALL").fetchall()
    stats = [(f.path, f.format, f.rows_read, f.rows_loaded, f.rows_rejected, f.rows_duplicate, f.lines_ignored,
              f.error, f.reasons) for f in result.files]
    con.close()
    return rows, rejects, stats, result.skipped


def assert_same(paths: list[Path], monkeypatch: pytest.MonkeyPatch) -> tuple:
    fast = load(paths, True, monkeypatch)
    slow = load(paths, False, monkeypatch)
    for name, a, b in zip(("rows", "rejects", "files", "skipped"), fast, slow, strict=True):
        assert a == b, f"fast path differs from the Python reader in {name}"
    for f in fast[2]:
        assert f[2] == f[3] + f[4] + f[5]
    return fast


BASE = {"parentUuid": None, "isSidechain": False, "userType": "external", "cwd": "/home/dev/x",
        "sessionId": "5b1c7e2a-0000-4000-8000-000000000009", "version": "2.1.114", "type": "assistant",
        "requestId": "req_011X", "timestamp": "2026-09-01T10:00:01.000Z",
        "message": {"model": "claude-opus-4-6", "id": "msg_01X", "type": "message", "role": "assistant",
                    "content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn",
                    "usage": {"input_tokens": 3, "cache_creation_input_tokens": 100, "cache_read_input_tokens": 50,
                              "cache_creation": {"ephemeral_5m_input_tokens": 40, "ephemeral_1h_input_tokens": 60},
                              "output_tokens": 10, "service_tier": "standard"}}}


def line(n: int, **changes) -> str:
    obj = json.loads(json.dumps(BASE))
    obj["message"]["id"] = f"msg_{n}"
    obj["requestId"] = f"req_{n}"
    for path, value in changes.items():
        target = obj
        keys = path.split("__")
        for k in keys[:-1]:
            target = target[k]
        if value is DELETE:
            target.pop(keys[-1], None)
        else:
            target[keys[-1]] = value
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


DELETE = object()

EDGE_LINES = [
    line(1),
    line(2, message__usage__cache_creation=DELETE),
    line(3, message__usage__cache_creation={"ephemeral_5m_input_tokens": 10}),  # split short of the total
    line(4, message__usage__input_tokens="12"),  # a string of digits: Python decides
    line(5, message__usage__input_tokens=1.0),
    line(6, message__usage__input_tokens=-1),
    line(7, message__usage__output_tokens=True),
    line(8, message__usage__output_tokens=None),
    line(9, message__usage__cache_read_input_tokens=5_000_000),  # above the fast path's bound
    line(10, message__usage__output_tokens_details={"thinking_tokens": 99}),  # more thinking than output
    line(11, message__usage__output_tokens_details={"thinking_tokens": 4}),
    line(12, message__usage__server_tool_use={"web_search_requests": 2}),
    line(13, message__usage__service_tier="batch"),
    line(14, message__usage__service_tier="priority_on_demand"),
    line(15, message__usage__speed="fast"),
    line(16, message__usage__inference_geo="US"),
    line(17, timestamp="2026-09-01T12:00:00+05:30"),
    line(18, timestamp=1790000000),
    line(19, timestamp="2026-02-30T10:00:00.000Z"),
    line(20, timestamp="2019-01-01T00:00:00Z"),
    line(21, costUSD=0.0123),
    line(22, costUSD=0.00000051),
    line(23, message__id=DELETE),
    line(24, message__id=""),
    line(25, requestId=DELETE),
    line(26, sessionId="jane.doe@example.com"),
    line(27, sessionId="sk-ant-api03-abcdefghijklmnop"),
    line(28, message__model="<synthetic>"),
    line(29, isApiErrorMessage=True),
    line(30, type="user"),
    line(31, message__usage=None),
    line(32, message__usage=[1, 2]),
    line(33, message__model="anthropic.claude-3-5-sonnet-20241022-v2:0"),
    line(34, message__model=DELETE),
    line(35, message__model=7),
    line(36, message__stop_reason="café ☕"),
    line(37, requestId=123),
    line(38, message__usage__cache_creation=None),
    line(39, message__usage__cache_creation="x"),
    line(1, message__usage__output_tokens=30),  # same record, more tokens: this one is kept
    line(1, message__usage__output_tokens=2),
    '{"type":"assistant","type":"user","message":{"usage":{"input_tokens":1,"output_tokens":1}}}',
    line(40).replace('"output_tokens":10', '"output_tokens":10,"output_tokens":99'),
    line(41).replace('"service_tier":"standard"}', '"service_tier":"standard",}'),
    line(42).replace('"msg_42"', '"msg_\\u0034\\u0032"'),
    line(43).replace('"assistant"', '"assist\\u0061nt"', 1),
    line(44).replace('"hi"', '"\\ud800"'),
    line(45).replace('"output_tokens":10', '"output_tokens":NaN'),
    line(46).replace('"output_tokens":10', '"output_tokens":1e1'),
    line(47).replace('"input_tokens":3', '"input_tokens":18446744073709551616'),
    '\ufeff' + line(48),
    line(49) + "\r",
    line(50)[:-30],
    "",
    "   ",
    "not json at all",
    '{"type":"summary","summary":"x","leafUuid":"y"}',
    '{"type":"user","message":{"role":"user","content":"the \\"assistant\\" said"}}',
    "[1, 2, 3]",
    '"assistant"',
    line(51).replace('"type":"message"', '"type":"message","usage":{"input_tokens":1,"output_tokens":1}'),
    line(52, message__content=[{"type": "text", "text": "x" * 5000}]),
    # Snapshots of one response with the same token count: the first line's row is kept (KEEP_BEST's tie-break)
    line(53, message__stop_reason=None),
    line(53, message__stop_reason="tool_use"),
    line(53, message__usage__output_tokens=4, message__usage__input_tokens=9),  # 4 + 9 = 13 tokens too
    line(54).replace('"role":"assistant"', '"role":"assistant","id":"msg_other"'),  # a repeated message key
    line(55).replace('"ephemeral_5m_input_tokens":40', '"ephemeral_5m_input_tokens":40,"ephemeral_5m_input_tokens":7'),
]


def test_edge_cases_give_the_same_rows_rejects_and_accounting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "projects" / "-home-dev-x"
    folder.mkdir(parents=True)
    (folder / "a.jsonl").write_text("\n".join(EDGE_LINES) + "\n", encoding="utf-8")
    (folder / "b.jsonl").write_text("\n".join(reversed(EDGE_LINES)), encoding="utf-8")  # no final newline
    (folder / "c.jsonl").write_bytes(line(60).encode() + b"\n" + line(61).encode("utf-8").replace(
        b'"hi"', b'"\xff\xfe"') + b"\n")  # not UTF-8: the whole file goes to Python
    (folder / "d[1].jsonl").write_text(line(62) + "\n")  # a glob character in the name
    (folder / "e.jsonl").write_text("\n\n" + line(63) + "\n\n\n")
    rows, rejects, files, _ = assert_same([tmp_path], monkeypatch)
    assert len(rows) > 20 and len(rejects) > 10
    kept = [r for r in rows if r[15] == "req_1"]
    assert len(kept) == 1 and kept[0][24] == 30
    # msg_53: three snapshots of 3 + 100 + 50 + 10 = 163 tokens (the third: 9 + 100 + 50 + 4); the first one's row
    # is kept in a.jsonl (stop reason null), where it comes first.
    [tie] = [r for r in rows if r[15] == "req_53" and r[2].endswith("a.jsonl")]
    assert tie[3] == EDGE_LINES.index(line(53, message__stop_reason=None)) + 1


def test_fixtures_and_hostile_inputs_are_read_the_same(monkeypatch: pytest.MonkeyPatch):
    paths = [FIXTURES, ROOT / "sample_logs"]
    hostile = Path(__file__).parent / "hostile"
    if hostile.exists():
        paths.append(hostile)
    assert_same(paths, monkeypatch)


def test_generated_transcripts_are_read_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    out = tmp_path / "cc"
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "claude-code", "3MB", str(out)],
                   check=True, capture_output=True)
    monkeypatch.setattr(ingest, "PROCESSES", 2)  # as the `finops` command reads, however small the input
    monkeypatch.setattr(ingest, "APART_MIN_BYTES", 0)  # (transcripts stay in this process all the same)
    rows, _, files, _ = assert_same([out], monkeypatch)
    assert len(files) > 2 and len(rows) > 100
    # The same token totals as a plain DuckDB scan that keeps one line per message id and request id.
    con = duckdb.connect()
    scan = con.execute(f"""
        SELECT sum(i), sum(o) FROM (
            SELECT DISTINCT ON (j->>'$.message.id', j->>'$.requestId')
                CAST(j->'$.message.usage.input_tokens' AS BIGINT) AS i,
                CAST(j->'$.message.usage.output_tokens' AS BIGINT) AS o
            FROM read_ndjson_objects('{out}/**/*.jsonl') t(j) WHERE contains(j::VARCHAR, '"usage":{{'))""").fetchone()
    assert scan == (sum(r[19] for r in rows), sum(r[24] for r in rows))


def test_request_log_generator_output_is_read_with_every_record_accounted(tmp_path: Path):
    out = tmp_path / "logs"
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "request-logs", "2MB", str(out)],
                   check=True, capture_output=True)
    con = duckdb.connect()
    result = ingest.load([out], con)
    assert result.files and all(f.format == "anthropic_log" for f in result.files)
    for f in result.files:
        assert f.rows_read == f.rows_loaded + f.rows_rejected + f.rows_duplicate
    assert con.execute("SELECT count(*) FROM usage WHERE prefix_fingerprint IS NOT NULL").fetchone()[0] > 10


def test_cur_generator_output_is_read_with_every_line_accounted(tmp_path: Path):
    out = tmp_path / "cur"
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "cur", "3MB", str(out)],
                   check=True, capture_output=True)
    con = duckdb.connect()
    result = ingest.load([out], con)
    assert result.files and all(f.format == "bedrock_cur" for f in result.files)
    assert any(f.path.endswith(".csv.gz") for f in result.files) and any(f.path.endswith(".csv") for f in result.files)
    for f in result.files:
        with gzip.open(f.path, "rt") if f.path.endswith(".gz") else open(f.path) as lines:
            physical = sum(1 for _ in lines) - 1  # the header
        assert f.rows_read == f.rows_loaded and f.rows_read + f.lines_ignored == physical
        assert f.lines_ignored > f.rows_read  # Claude lines are a minority of the bill
    notes = " ".join(n for f in result.files for n in f.notes)
    assert "by its rate" in notes and "by its usage type" in notes and "in thousands of tokens" in notes
    rows = con.execute("""
        SELECT count(*) FILTER (WHERE model IS NULL), count(DISTINCT model), count(DISTINCT workspace),
            bool_or(endpoint_scope = 'global') AND bool_or(endpoint_scope = 'regional'),
            bool_or(service_tier = 'batch'), sum(cache_write_1h_tokens) > 0, sum(cache_write_5m_tokens) > 0
        FROM usage""").fetchone()
    assert rows[0] == 0 and rows[1] >= 4 and rows[2] >= 2 and all(rows[3:])
    kinds = {k for (k,) in con.execute("SELECT DISTINCT charge_kind FROM billing").fetchall()}
    assert {"discount", "tax", "credit"} <= kinds


def test_the_usage_table_is_freed_once_priced_and_holds_the_same_rows(monkeypatch: pytest.MonkeyPatch):
    """After pricing, `usage` is a view of priced_usage (one table held through the analyses, not two): its rows
    are those ingest.load stages on a fresh connection, and a priced_usage that is not the same rows keeps it."""
    from datetime import UTC, datetime

    from finops import pipeline

    monkeypatch.delenv("FINOPS_NO_FAST_PATH", raising=False)
    paths = [FIXTURES, ROOT / "sample_logs"]
    audit = pipeline.run(paths, now=datetime(2026, 12, 1, tzinfo=UTC))
    con = audit.con
    assert con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'usage'").fetchone() == (1,)
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'usage'").fetchone() == (0,)
    viewed = con.execute("SELECT * FROM usage ORDER BY record_id").fetchall()
    audit.close()
    fresh = duckdb.connect()
    ingest.load(paths, fresh)
    assert viewed == fresh.execute("SELECT * FROM usage ORDER BY record_id").fetchall() and len(viewed) > 50
    fresh.close()
    # Two usage rows, one of them priced twice and the other not at all: the counts agree, the record ids do not.
    con = duckdb.connect()
    con.execute("CREATE TABLE usage AS SELECT * FROM (VALUES ('a'), ('b')) t(record_id)")
    con.execute("CREATE TABLE priced_usage AS SELECT * FROM (VALUES ('a'), ('a')) t(record_id)")
    pipeline._usage_from_priced(con)
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'usage'").fetchone() == (1,)
