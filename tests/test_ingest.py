"""Readers: each hand-written fixture in tests/fixtures/<format>/ loaded through finops.ingest.load.

Every expected number below was worked out by hand from the fixture lines (see the comments), not copied
from the code's output.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from finops.ingest.common import FileStats
from hypothesis import given
from hypothesis import strategies as st

from finops import ingest
from finops.schema import NAMES

FIX = Path(__file__).parent / "fixtures"
CC_DIR = FIX / "claude_code" / "projects" / "-home-dev-alpha"
CC1 = CC_DIR / "5b1c7e2a-0000-4000-8000-000000000001.jsonl"
CC2 = CC_DIR / "5b1c7e2a-0000-4000-8000-000000000002.jsonl"
LOG = FIX / "anthropic_log" / "requests.jsonl"
MARKER = (
    "MARKER-PROMPT-7f3a"  # appears in prompts, answers and thinking in the fixtures; must never be stored
)
NOT_RECOGNISED = "not a recognised log, usage or billing format"
TOKENS = (
    "input_tokens",
    "cache_write_5m_tokens",
    "cache_write_1h_tokens",
    "cache_read_tokens",
    "output_tokens",
)


# ---- helpers ---------------------------------------------------------------------------------------------


def load(*paths: Path) -> tuple[duckdb.DuckDBPyConnection, ingest.IngestResult]:
    con = duckdb.connect()
    return con, ingest.load(list(paths), con)


def rows(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    cursor = con.execute("SELECT * FROM usage ORDER BY source_file, source_line")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def at(con: duckdb.DuckDBPyConnection, path: Path, line: int) -> dict[str, Any]:
    found = [r for r in rows(con) if r["source_file"] == str(path) and r["source_line"] == line]
    assert len(found) == 1, f"expected one row from {path.name}:{line}, found {len(found)}"
    return found[0]


def toks(row: dict[str, Any]) -> tuple[int, ...]:
    """(uncached input, 5m writes, 1h writes, cache reads, output)."""
    return tuple(row[c] for c in TOKENS)


def stats(result: ingest.IngestResult, path: Path) -> FileStats:
    (found,) = [f for f in result.files if f.path == str(path)]
    return found


def counts(s: FileStats) -> tuple[int, int, int, int]:
    """(read, loaded, rejected, duplicate), after checking the accounting identity."""
    assert s.rows_read == s.rows_loaded + s.rows_rejected + s.rows_duplicate, s
    return s.rows_read, s.rows_loaded, s.rows_rejected, s.rows_duplicate


def rejects(con: duckdb.DuckDBPyConnection, path: Path) -> list[tuple[int, str]]:
    return con.execute(
        "SELECT source_line, reason FROM rejects WHERE source_file = ? ORDER BY 1", [str(path)]
    ).fetchall()


# ---- the table ----------------------------------------------------------------------------------------


def test_every_fixture_loads_into_the_one_schema() -> None:
    con, result = load(FIX)
    assert [r[0] for r in con.execute("DESCRIBE usage").fetchall()] == NAMES
    assert {f.format for f in result.files} == set(ingest.formats())
    for f in result.files:
        counts(f)  # the identity holds for every file
        assert f.error is None


# ---- Claude Code transcripts ------------------------------------------------------------------------------


def test_claude_code_rows_and_token_columns() -> None:
    con, _ = load(CC_DIR)
    # msg A is written as three lines (thinking, text, tool_use; output 10, 120, 250) and replayed in file 2:
    # the final line of file 1 is kept.
    a = at(con, CC1, 5)
    assert toks(a) == (3, 0, 1000, 5000, 250)
    assert (a["model"], a["platform"], a["request_id"]) == ("claude-opus-4-6", "anthropic", "req_011AlphaA")
    assert a["charge_period_start"] == datetime(2026, 9, 1, 10, 0, 3)
    assert (a["project"], a["session_id"]) == ("-home-dev-alpha", "5b1c7e2a-0000-4000-8000-000000000001")
    assert (a["granularity"], a["requests"], a["cache_ttl_assumed"]) == ("request", 1, False)
    assert a["thinking_tokens"] is None and a["stop_reason"] == "tool_use"
    # msg B: no cache_creation split, so the 400 written tokens are booked as 5-minute writes, flagged.
    b = at(con, CC1, 7)
    assert toks(b) == (12, 400, 0, 0, 80)
    assert b["cache_ttl_assumed"] is True
    assert (b["model"], b["model_raw"]) == ("claude-sonnet-4-5", "claude-sonnet-4-5-20250929")
    assert b["charge_period_start"] == datetime(2026, 9, 1, 10, 30)  # 12:30+02:00
    # msg D: a Bedrock cross-region (us.) inference profile.
    d = at(con, CC1, 11)
    assert toks(d) == (50, 0, 0, 0, 20)
    assert (d["model"], d["platform"], d["endpoint_scope"]) == ("claude-sonnet-4-5", "bedrock", "regional")
    # msg E: fast mode.
    e = at(con, CC1, 12)
    assert toks(e) == (4, 0, 0, 2000, 300)
    assert (e["model"], e["speed"], e["service_tier"]) == ("claude-opus-4-8", "fast", "standard")
    # msg F (file 2): a Vertex id, split 300 + 200 = 500 written.
    f = at(con, CC2, 4)
    assert toks(f) == (7, 300, 200, 0, 40)
    assert (f["model"], f["platform"], f["cache_ttl_assumed"]) == ("claude-opus-4-5", "vertex", False)
    assert con.execute("SELECT count(*) FROM usage").fetchone() == (5,)


def test_claude_code_accounting_dedupe_and_rejects() -> None:
    con, result = load(CC_DIR)
    # File 1: 8 assistant lines are records (A x3, B, truncated, negative, D, E); the summary, the user turn,
    # the tool result and the <synthetic> API-error placeholder are ignored. A's first two lines are
    # duplicates of its final one.
    s1 = stats(result, CC1)
    assert counts(s1) == (8, 4, 2, 2)
    assert s1.lines_ignored == 4
    # File 2: A replayed twice (both duplicates of file 1's final line) and F; the user turn is ignored.
    s2 = stats(result, CC2)
    assert counts(s2) == (3, 1, 0, 2)
    assert s2.lines_ignored == 1
    assert rejects(con, CC1) == [
        (8, "invalid JSON: truncated or malformed line"),
        (9, "output_tokens is negative: -5"),
    ]
    assert rejects(con, CC2) == []
    # Across both files, message A is counted once.
    assert con.execute("SELECT count(*) FROM usage WHERE request_id = 'req_011AlphaA'").fetchone() == (1,)


def test_claude_code_within_one_file_keeps_the_line_with_most_tokens() -> None:
    con, result = load(CC1)
    assert counts(stats(result, CC1)) == (8, 4, 2, 2)
    a = con.execute(
        "SELECT source_line, output_tokens FROM usage WHERE request_id = 'req_011AlphaA'"
    ).fetchall()
    assert a == [(5, 250)]


# ---- Anthropic request/response logs ----------------------------------------------------------------------


def test_request_log_rows_and_request_features() -> None:
    con, _ = load(LOG)
    one = at(con, LOG, 1)
    assert toks(one) == (20, 1500, 0, 0, 300)
    assert (one["thinking_tokens"], one["thinking_estimated"], one["web_search_requests"]) == (120, False, 2)
    assert (one["model"], one["model_raw"], one["platform"]) == (
        "claude-sonnet-4-5",
        "claude-sonnet-4-5-20250929",
        "anthropic",
    )
    assert (one["service_tier"], one["inference_geo"], one["speed"]) == (
        "standard",
        "not_available",
        "standard",
    )
    assert (one["workspace"], one["api_key_id"], one["project"], one["tags"]) == (
        "wrkspc_fixture",
        "apikey_01Fixture",
        "alpha",
        '["prod"]',
    )
    assert "jane.doe@" not in one["user_id"]  # emails are masked at ingest
    assert (one["thinking_type"], one["thinking_budget"], one["max_tokens"]) == ("enabled", 2048, 1024)
    assert (one["stream"], one["tool_count"], one["cache_control"]) == (True, 2, True)
    assert one["charge_period_start"] == datetime(2026, 10, 5, 9, 15)

    two = at(con, LOG, 2)
    assert toks(two) == (100, 0, 0, 3000, 50)
    assert two["charge_period_start"] == datetime(2026, 10, 5, 6, 30)  # 12:00+05:30
    assert (two["service_tier"], two["inference_geo"], two["cache_ttl_assumed"]) == ("priority", "us", False)
    assert (two["stream"], two["tool_count"], two["cache_control"], two["thinking_type"]) == (
        False,
        0,
        False,
        None,
    )
    assert two["thinking_tokens"] is None

    seven = at(con, LOG, 7)  # Vertex; 200 written with no split -> 5-minute, flagged
    assert toks(seven) == (400, 200, 0, 0, 60)
    assert seven["cache_ttl_assumed"] is True
    assert (seven["model"], seven["platform"], seven["region"], seven["endpoint_scope"]) == (
        "claude-opus-4-5",
        "vertex",
        "us-east5",
        "regional",
    )

    ten = at(con, LOG, 10)  # no thinking_tokens field: 400 characters of thinking text / 4 = 100, estimated
    assert toks(ten) == (10, 0, 0, 0, 500)
    assert (ten["thinking_tokens"], ten["thinking_estimated"]) == (100, True)
    assert (ten["speed"], ten["thinking_type"], ten["model"]) == ("fast", "adaptive", "claude-opus-4-8")
    assert ten["charge_period_start"] == datetime(2026, 10, 7, 10, 0, 0, 250_000)

    eleven = at(con, LOG, 11)  # a Bedrock global inference profile
    assert toks(eleven) == (30, 0, 0, 0, 5)
    assert (eleven["model"], eleven["platform"], eleven["endpoint_scope"]) == (
        "claude-sonnet-4-5",
        "bedrock",
        "global",
    )
    assert eleven["inference_geo"] is None and eleven["web_search_requests"] == 0


def test_request_log_accounting_and_rejects() -> None:
    con, result = load(LOG)
    # 11 lines: 1 empty (not a record); 2, 1, 7, 10, 11 loaded; line 8 repeats line 1 (same response id);
    # 3 error response, 4 truncated, 5 no usage, 6 negative.
    assert counts(stats(result, LOG)) == (10, 5, 4, 1)
    assert rejects(con, LOG) == [
        (3, "not billed: error response (overloaded_error)"),
        (4, "invalid JSON: truncated or malformed line"),
        (5, "missing usage in response"),
        (6, "input_tokens is negative: -1"),
    ]


def test_request_log_bedrock_profile_in_request_model(tmp_path: Path) -> None:
    record = {
        "timestamp": "2026-10-08T00:00:00Z",
        "request": {
            "model": "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "max_tokens": 64,
            "messages": [{"role": "user", "content": "ping"}],
        },
        "response": {
            "id": "msg_bdrk_x",
            "type": "message",
            "model": "claude-sonnet-4-5-20250929",
            "usage": {"input_tokens": 30, "output_tokens": 5},
        },
    }
    path = tmp_path / "bedrock.jsonl"
    path.write_text(json.dumps(record) + "\n")
    con, _ = load(path)
    assert con.execute("SELECT platform, endpoint_scope FROM usage").fetchall() == [("bedrock", "regional")]


# ---- .gz and detection by content --------------------------------------------------------------------------


def _member_with_every_header_field(data: bytes) -> bytes:
    """A gzip member whose header has FEXTRA, FNAME, FCOMMENT and FHCRC (gzip.compress writes none of them)."""
    import struct
    import zlib

    deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = deflate.compress(data) + deflate.flush()
    header = b"\x1f\x8b\x08" + bytes([0x02 | 0x04 | 0x08 | 0x10]) + b"\x00" * 4 + b"\x00\xff"
    header += struct.pack("<H", 4) + b"ab\x00\x01" + b"name.jsonl\x00" + b"a comment\x00"
    header += struct.pack("<H", zlib.crc32(header) & 0xFFFF)
    return header + body + struct.pack("<II", zlib.crc32(data), len(data))


_TEXT = b"".join(b'{"n": %d, "pad": "%s"}\n' % (i, b"x" * (i % 97)) for i in range(20_000))
_ONE = gzip.compress(_TEXT, mtime=0)


@pytest.mark.parametrize("blob", [
    _ONE,
    _ONE + gzip.compress(b"second member\n") + gzip.compress(b""),  # members, an empty one last
    _ONE + b"\x00" * 1000,  # zero padding after the last member
    _member_with_every_header_field(_TEXT),
    _ONE[:-8] + bytes([_ONE[-8] ^ 1]) + _ONE[-7:],  # CRC wrong
    _ONE[:-1] + bytes([_ONE[-1] ^ 1]),  # length wrong
    _ONE[:40] + bytes([_ONE[40] ^ 0xFF]) + _ONE[41:],  # deflate data corrupt
    _ONE[:-20],  # cut short
    _ONE + b"garbage",  # not another member
], ids=["one member", "members", "padding", "header fields", "bad crc", "bad length", "corrupt", "truncated",
        "trailing garbage"])
def test_a_gzip_file_reads_as_pythons_gzip_reads_it(blob: bytes, tmp_path: Path) -> None:
    """common.open_binary (ISA-L's inflater behind the expansion limit) gives the bytes Python's gzip module gives,
    and fails, with one of the errors a reader stops a file on, where it fails."""
    import zlib

    from finops.ingest import common

    path = tmp_path / "f.jsonl.gz"
    path.write_bytes(blob)
    try:
        expected: bytes | None = gzip.decompress(blob)
    except (OSError, EOFError, zlib.error):  # BadGzipFile is an OSError
        expected = None
    with common.open_binary(path) as stream:
        if expected is None:
            with pytest.raises(common.READ_ERRORS):
                stream.read()
        else:
            assert stream.read() == expected


def test_gzip_input_is_read_and_duplicates_across_files_count_once(tmp_path: Path) -> None:
    packed = gzip.compress(LOG.read_bytes())
    named = tmp_path / "requests.jsonl.gz"
    unnamed = tmp_path / "copy.bin"  # gzip recognised by its magic bytes, not its name
    named.write_bytes(packed)
    unnamed.write_bytes(packed)
    con, result = load(tmp_path)
    assert {f.format for f in result.files} == {"anthropic_log"}
    # Same 5 records in both: "copy.bin" sorts first, so it keeps them; every staged row of the other is a
    # duplicate (5 + its own repeated line 8).
    assert counts(stats(result, unnamed)) == (10, 5, 4, 1)
    assert counts(stats(result, named)) == (10, 0, 4, 6)
    # input 20 + 100 + 400 + 10 + 30, output 300 + 50 + 60 + 500 + 5
    assert con.execute("SELECT sum(input_tokens), sum(output_tokens) FROM usage").fetchone() == (560, 915)


def test_renamed_files_are_detected_by_content(tmp_path: Path) -> None:
    copies = {
        "notes.txt": (CC1, "claude_code"),
        "export.csv": (LOG, "anthropic_log"),
        "batch.log": (FIX / "anthropic_batch" / "results.jsonl", "anthropic_batch"),
        "data.txt": (FIX / "usage_report" / "page_object.json", "anthropic_usage_report"),
        "report.json": (FIX / "console_usage_csv" / "usage_2026_08.csv", "console_usage_csv"),
    }
    for name, (source, _) in copies.items():
        shutil.copy(source, tmp_path / name)
    _, result = load(tmp_path)
    assert {Path(f.path).name: f.format for f in result.files} == {n: fmt for n, (_, fmt) in copies.items()}
    assert result.skipped == []


def test_unrelated_files_are_skipped_with_a_reason(tmp_path: Path) -> None:
    broken = tmp_path / "cut.jsonl.gz"
    broken.write_bytes(gzip.compress(LOG.read_bytes())[:200])  # gzip stream cut short
    con, result = load(FIX / "unrelated", broken)
    # An Admin API cost report is not a usage report: it is read as the bill (table billing), never as usage.
    assert [(Path(f.path).name, f.format) for f in result.files] == [("cost_report.json", "anthropic_cost_report")]
    reasons = {Path(p).name: why for p, why in result.skipped}
    assert reasons.pop("cut.jsonl.gz").startswith("cannot read")
    assert reasons == {
        "empty.jsonl": "empty or binary file",
        "inventory.csv": NOT_RECOGNISED,
        "package.json": NOT_RECOGNISED,
    }
    assert con.execute("SELECT count(*) FROM usage").fetchone() == (0,)


# ---- Message Batches results -----------------------------------------------------------------------------


def test_batch_results_are_batch_tier_and_unbilled_results_rejected() -> None:
    path = FIX / "anthropic_batch" / "results.jsonl"
    con, result = load(path)
    assert counts(stats(result, path)) == (5, 2, 3, 0)
    assert stats(result, path).notes == []
    one = at(con, path, 1)
    assert toks(one) == (1000, 0, 0, 400, 200)
    assert (one["service_tier"], one["stream"], one["request_id"]) == ("batch", False, "req-1")
    assert one["charge_period_start"] == datetime(2026, 11, 18, 2, 0)
    two = at(con, path, 2)  # the docs' sample line: usage has no service_tier, still a batch
    assert toks(two) == (11, 0, 0, 0, 36)
    assert (two["service_tier"], two["model"]) == ("batch", "claude-opus-5")
    assert two["charge_period_start"] == datetime(2026, 11, 18, 2, 0)  # 03:00+01:00
    assert rejects(con, path) == [
        (3, "not billed: batch result errored"),
        (4, "not billed: batch result canceled"),
        (5, "not billed: batch result expired"),
    ]


def test_batch_results_without_timestamps_are_dated_by_the_file(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    shutil.copy(FIX / "anthropic_batch" / "results_undated.jsonl", path)
    when = datetime(2026, 11, 1, 12, 0, tzinfo=UTC).timestamp()
    os.utime(path, (when, when))
    con, result = load(path)
    assert counts(stats(result, path)) == (1, 1, 0, 0)
    assert stats(result, path).notes == [
        "batch results carry no timestamps: dated by the file's modification time"
    ]
    row = at(con, path, 1)
    assert row["charge_period_start"] == datetime(2026, 11, 1, 12, 0)
    assert toks(row) == (5, 0, 0, 0, 7)


# ---- Usage & Cost API usage report ---------------------------------------------------------------------


def test_usage_report_object_array_and_jsonl_pages() -> None:
    obj, arr, lines = (
        FIX / "usage_report" / n for n in ("page_object.json", "pages_array.json", "pages.jsonl")
    )
    con, result = load(FIX / "usage_report")
    # A pretty-printed page object: two results on 09-01, an empty bucket on 09-02.
    assert counts(stats(result, obj)) == (2, 2, 0, 0)
    opus = at(con, obj, 1)
    assert toks(opus) == (1500, 500, 1000, 200, 500)  # uncached_input_tokens, 5m, 1h, reads, output
    assert (opus["web_search_requests"], opus["workspace"], opus["model"]) == (
        10,
        "wrkspc_A",
        "claude-opus-4-6",
    )
    assert (opus["granularity"], opus["grouping"]) == ("bucket", "1d:model,workspace_id")
    assert (opus["charge_period_start"], opus["charge_period_end"]) == (
        datetime(2026, 9, 1),
        datetime(2026, 9, 2),
    )
    assert (opus["requests"], opus["cache_ttl_assumed"]) == (None, False)  # a bucket does not say how many
    assert opus["source_cost"] is None  # token counts only: no cents anywhere
    haiku = at(con, obj, 2)
    assert toks(haiku) == (700, 0, 0, 0, 70)
    assert (haiku["model"], haiku["workspace"], haiku["web_search_requests"]) == ("claude-haiku-4-5", None, 0)
    # An array of two pages: a daily page, then an hourly page grouped differently with one bad result.
    assert counts(stats(result, arr)) == (3, 2, 1, 0)
    assert toks(at(con, arr, 1)) == (2000, 800, 0, 10000, 900)
    hourly = at(con, arr, 2)
    assert toks(hourly) == (250000, 0, 0, 0, 3000)
    assert (hourly["grouping"], hourly["service_tier"], hourly["context_window"]) == (
        "1h:context_window,model,service_tier",
        "priority",
        "200k-1M",
    )
    assert (hourly["charge_period_start"], hourly["charge_period_end"]) == (
        datetime(2026, 9, 4, 10),
        datetime(2026, 9, 4, 11),
    )
    assert rejects(con, arr) == [(3, "output_tokens is negative: -3")]
    # One page per line: a new page, a truncated page, and a page repeating page_object's first result.
    assert counts(stats(result, lines)) == (3, 1, 1, 1)
    geo = at(con, lines, 1)
    assert toks(geo) == (42, 5, 3, 7, 11)
    assert (geo["inference_geo"], geo["web_search_requests"]) == ("us", 1)
    assert geo["grouping"] == "1d:inference_geo,model,workspace_id"
    assert rejects(con, lines) == [(2, "invalid JSON: truncated or malformed page")]
    assert con.execute("SELECT count(*) FROM usage").fetchone() == (5,)


# ---- Claude Console usage CSV -----------------------------------------------------------------------------


def test_console_csv_current_header() -> None:
    path = FIX / "console_usage_csv" / "usage_2026_08.csv"
    con, result = load(path)
    assert counts(stats(result, path)) == (5, 3, 2, 0)
    daily = at(con, path, 2)
    assert toks(daily) == (46981, 15969, 0, 0, 16932)
    assert (daily["model"], daily["api_key_id"], daily["workspace"]) == (
        "claude-opus-5",
        "Closer App",
        "Default",
    )
    assert (daily["context_window"], daily["inference_geo"], daily["service_tier"], daily["speed"]) == (
        "0-200k",
        "global",
        "standard",
        "standard",
    )
    assert (daily["charge_period_start"], daily["charge_period_end"], daily["grouping"]) == (
        datetime(2026, 8, 5),
        datetime(2026, 8, 6),
        "1d:console",
    )
    hourly = at(con, path, 3)
    assert toks(hourly) == (1124832, 0, 0, 0, 254558)
    assert (hourly["charge_period_start"], hourly["charge_period_end"], hourly["grouping"]) == (
        datetime(2026, 8, 5, 14),
        datetime(2026, 8, 5, 15),
        "1h:console",
    )
    assert (hourly["model"], hourly["inference_geo"]) == ("claude-haiku-4-5", "not_available")
    premium = at(con, path, 4)
    assert toks(premium) == (100, 0, 2000, 50, 10)
    assert (
        premium["service_tier"],
        premium["context_window"],
        premium["speed"],
        premium["inference_geo"],
    ) == ("priority", "200k-1M", "fast", "us")
    assert premium["web_search_requests"] == 3
    assert rejects(con, path) == [
        (5, "usage_input_tokens_no_cache is negative: -5"),
        (6, "expected 14 fields, found 8"),
    ]


def test_console_csv_is_parsed_by_header_name() -> None:
    reordered = FIX / "console_usage_csv" / "reordered.csv"  # BOM, CRLF, capitalised and shuffled columns
    old = FIX / "console_usage_csv" / "usage_2025_06_single_write.csv"  # one cache-write column, no TTL split
    con, result = load(reordered, old)
    assert counts(stats(result, reordered)) == (1, 1, 0, 0)
    row = at(con, reordered, 2)
    assert toks(row) == (654, 34, 12, 987, 321)
    assert (row["model"], row["workspace"], row["api_key_id"], row["charge_period_start"]) == (
        "claude-sonnet-4-6",
        "Research",
        "notebook-key",
        datetime(2026, 8, 9),
    )
    assert counts(stats(result, old)) == (2, 2, 0, 0)
    first, second = at(con, old, 2), at(con, old, 3)
    assert toks(first) == (1000, 300, 0, 50, 100)
    assert first["cache_ttl_assumed"] is True
    assert (first["model"], first["context_window"], first["inference_geo"]) == (
        "claude-sonnet-4",
        None,
        None,
    )
    assert toks(second) == (1000, 0, 0, 0, 100)
    assert second["cache_ttl_assumed"] is False  # nothing written, nothing assumed


# ---- cross-cutting -------------------------------------------------------------------------------------


def test_cache_ttl_split_versus_no_split() -> None:
    con, _ = load(
        CC1,
        LOG,
        FIX / "usage_report" / "page_object.json",
        FIX / "console_usage_csv" / "usage_2025_06_single_write.csv",
    )
    split = [(CC1, 5), (LOG, 1), (FIX / "usage_report" / "page_object.json", 1)]
    unsplit = [(CC1, 7), (LOG, 7), (FIX / "console_usage_csv" / "usage_2025_06_single_write.csv", 2)]
    assert [at(con, p, n)["cache_ttl_assumed"] for p, n in split] == [False, False, False]
    assert [at(con, p, n)["cache_ttl_assumed"] for p, n in unsplit] == [True, True, True]
    # With no split, every written token is a 5-minute write and none is a 1-hour write.
    assert [at(con, p, n)["cache_write_1h_tokens"] for p, n in unsplit] == [0, 0, 0]
    assert [at(con, p, n)["cache_write_5m_tokens"] for p, n in unsplit] == [400, 200, 300]


def test_timestamps_with_offsets_are_converted_to_utc() -> None:
    batch = FIX / "anthropic_batch" / "results.jsonl"
    con, _ = load(CC1, LOG, batch)
    assert at(con, CC1, 7)["charge_period_start"] == datetime(2026, 9, 1, 10, 30)  # 12:30+02:00
    assert at(con, LOG, 2)["charge_period_start"] == datetime(2026, 10, 5, 6, 30)  # 12:00+05:30
    assert at(con, batch, 2)["charge_period_start"] == datetime(2026, 11, 18, 2, 0)  # 03:00+01:00
    assert con.execute("SELECT typeof(charge_period_start) FROM usage LIMIT 1").fetchone() == ("TIMESTAMP",)


def test_no_prompt_or_answer_text_reaches_the_table() -> None:
    con, _ = load(FIX)
    text_columns = [r[0] for r in con.execute("DESCRIBE usage").fetchall() if r[1] == "VARCHAR"]
    for column in text_columns:
        # Column names come from the table itself; the marker is bound as a parameter.
        hits = con.execute(f'SELECT count(*) FROM usage WHERE "{column}" LIKE ?', [f"%{MARKER}%"]).fetchone()
        assert hits == (0,), column
    assert con.execute("SELECT count(*) FROM rejects WHERE reason LIKE ?", [f"%{MARKER}%"]).fetchone() == (0,)
    # The marker really is in the inputs that were loaded.
    assert MARKER in CC1.read_text() and MARKER in LOG.read_text()


# ---- property: corrupted lines never cost a valid record ---------------------------------------------------

TOK = st.integers(min_value=0, max_value=5_000_000)
VALID = st.tuples(TOK, TOK, TOK, TOK, TOK, st.booleans())  # input, 5m, 1h, read, output, TTL split given
GARBAGE = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=60)
CORRUPT = st.one_of(st.sampled_from(["truncated", "negative", "error", "no_usage"]), GARBAGE)


def _usage(rec: tuple[int, int, int, int, int, bool]) -> dict[str, Any]:
    inp, w5, w1, read, out, split = rec
    usage: dict[str, Any] = {
        "input_tokens": inp,
        "cache_creation_input_tokens": w5 + w1,
        "cache_read_input_tokens": read,
        "output_tokens": out,
    }
    if split:
        usage["cache_creation"] = {"ephemeral_5m_input_tokens": w5, "ephemeral_1h_input_tokens": w1}
    return usage


def _cc(key: str, usage: dict[str, Any] | None, *, api_error: bool = False) -> str:
    message: dict[str, Any] = {"id": f"msg_{key}", "model": "claude-opus-4-6", "role": "assistant"}
    if usage is not None:
        message["usage"] = usage
    obj: dict[str, Any] = {
        "parentUuid": None,
        "sessionId": "s-1",
        "type": "assistant",
        "uuid": f"u-{key}",
        "timestamp": "2026-09-01T10:00:00Z",
        "requestId": f"req_{key}",
        "message": message,
    }
    if api_error:
        obj["isApiErrorMessage"] = True
    return json.dumps(obj)


def _log(key: str, usage: dict[str, Any] | None, *, error: bool = False) -> str:
    response: dict[str, Any] = {"id": f"msg_{key}", "type": "message", "model": "claude-opus-4-6"}
    if error:
        response = {"type": "error", "error": {"type": "api_error", "message": "Internal server error"}}
    elif usage is not None:
        response["usage"] = usage
    return json.dumps(
        {
            "timestamp": "2026-09-01T10:00:00Z",
            "response": response,
            "request": {"model": "claude-opus-4-6", "max_tokens": 16, "messages": []},
        }
    )


def _corrupt(kind: str, fmt: str, key: str) -> str:
    make = _cc if fmt == "cc" else _log
    bad_usage = {"input_tokens": -1, "output_tokens": 3}
    if kind == "truncated":
        line = make(key, _usage((1, 2, 3, 4, 5, True)))
        return line[: len(line) // 2]
    if kind == "negative":
        return make(key, bad_usage)
    if kind == "error":
        return (
            _cc(key, _usage((1, 0, 0, 0, 1, False)), api_error=True)
            if fmt == "cc"
            else _log(key, None, error=True)
        )
    if kind == "no_usage":
        return make(key, None)
    return kind  # free text


@given(
    valid=st.lists(VALID, min_size=1, max_size=10),
    bad=st.lists(CORRUPT, max_size=8),
    shuffle=st.randoms(use_true_random=False),
)
def test_corrupted_lines_keep_the_identity_and_lose_no_valid_record(
    valid: list[tuple[int, int, int, int, int, bool]], bad: list[str], shuffle: random.Random
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = {"cc": Path(tmp) / "projects" / "-p" / "s.jsonl", "log": Path(tmp) / "log.jsonl"}
        for fmt, path in paths.items():
            make = _cc if fmt == "cc" else _log
            good = [make(f"{fmt}{i}", _usage(rec)) for i, rec in enumerate(valid)]
            rest = good[1:] + [_corrupt(kind, fmt, f"bad{fmt}{i}") for i, kind in enumerate(bad)]
            shuffle.shuffle(rest)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join([good[0], *rest]) + "\n", encoding="utf-8")  # first line: detectable
        con, result = load(Path(tmp))
        assert {Path(f.path).name: f.format for f in result.files} == {
            "s.jsonl": "claude_code",
            "log.jsonl": "anthropic_log",
        }
        for f in result.files:
            read, loaded, _, duplicate = counts(f)
            assert (loaded, duplicate) == (len(valid), 0)
        expected = (
            sum(r[0] for r in valid),
            sum(r[1] + r[2] for r in valid),
            sum(r[2] for r in valid if r[5]),
            sum(r[3] for r in valid),
            sum(r[4] for r in valid),
        )
        for fmt in ("claude_code", "anthropic_log"):
            got = con.execute(
                "SELECT sum(input_tokens), sum(cache_write_5m_tokens + cache_write_1h_tokens), "
                "sum(cache_write_1h_tokens), sum(cache_read_tokens), sum(output_tokens) "
                "FROM usage WHERE source_format = ?",
                [fmt],
            ).fetchone()
            assert got == expected, fmt
        con.close()


def test_transcript_starting_with_bookkeeping_lines_is_still_detected(tmp_path: Path) -> None:
    # Newer Claude Code versions open a transcript with queue-operation lines that carry no usage.
    project = tmp_path / "projects" / "-home-dev-x"
    project.mkdir(parents=True)
    assistant = {"parentUuid": "u1", "sessionId": "s", "uuid": "a1", "type": "assistant", "requestId": "req_1",
                 "timestamp": "2026-10-01T10:00:00Z",
                 "message": {"id": "msg_1", "model": "claude-haiku-4-5",
                             "usage": {"input_tokens": 7, "output_tokens": 3}}}
    lines = [{"type": "queue-operation", "operation": "enqueue", "timestamp": "2026-10-01T09:59:59Z"}] * 3
    (project / "s.jsonl").write_text("\n".join(json.dumps(x) for x in [*lines, assistant]) + "\n")
    assert ingest.detect(project / "s.jsonl")[0] == "claude_code"


@pytest.mark.parametrize("fast", [True, False], ids=["fast path", "python reader"])
def test_side_chain_replay_under_a_new_request_id_counts_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             fast: bool) -> None:
    # Claude Code's /btw side-chain writes the parent's earlier response again (same message.id, new requestId,
    # isSidechain true) before its own answer: that response was billed once (ccusage #913).
    if not fast:
        monkeypatch.setenv("FINOPS_NO_FAST_PATH", "1")
    folder = tmp_path / "projects" / "app"
    folder.mkdir(parents=True)

    def line(msg: str, req: str, side: bool, inp: int, out: int) -> str:
        return json.dumps({"parentUuid": None, "isSidechain": side, "sessionId": "s-1", "type": "assistant",
                           "uuid": f"u-{msg}-{req}", "timestamp": "2026-09-01T10:00:00.000Z", "requestId": req,
                           "message": {"id": msg, "model": "claude-sonnet-4-5", "role": "assistant",
                                       "usage": {"input_tokens": inp, "output_tokens": out}}},
                          separators=(",", ":"))

    (folder / "session.jsonl").write_text(line("msg_A", "req_1", False, 100, 10) + "\n")
    (folder / "agent-side.jsonl").write_text(line("msg_A", "req_9", True, 100, 10) + "\n"
                                             + line("msg_B", "req_10", True, 7, 3) + "\n")
    con, result = load(tmp_path)
    # Two responses: msg_A (100 in, 10 out) once, and the side-chain's own msg_B (7 in, 3 out).
    assert con.execute("SELECT count(*), sum(input_tokens), sum(output_tokens) FROM usage").fetchone() == (2, 107, 13)
    read = sum(f.rows_read for f in result.files)
    loaded = sum(f.rows_loaded for f in result.files)
    duplicates = sum(f.rows_duplicate for f in result.files)
    assert (read, loaded, duplicates) == (3, 2, 1)
