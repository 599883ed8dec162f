"""The fast path for CSV bills (ingest/fast_bills.py) reads every file exactly as the reference reader does.

The reference reader parses every line in Python; the fast path skips, unparsed, the lines it proves the reader
would ignore. For every fixture and hostile case of the four bill formats, and for a file of irregular lines made
here, both read the file and must give the same rows, bill lines, rejects (line and reason) and per-file
accounting, with the fast path's blocks at their real size and at a few bytes (every line boundary, long-line and
gzip-failure path then falls inside a block edge).
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from budget import DEEP
from finops.ingest import cloud_common, fast_bills, fast_claude_code, read_file
from finops.ingest.common import FileStats, RowError

HERE = Path(__file__).parent
FORMATS = ("bedrock_cur", "aws_focus", "focus", "gcp_billing")
FILES = sorted(p for root in ("fixtures", "hostile") for fmt in FORMATS for p in (HERE / root / fmt).iterdir())


def read(path: Path, fmt: str, fast: bool, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Everything a reader hands on for one file: rows, bill lines, rejects and the file's accounting."""
    monkeypatch.setattr(cloud_common, "FAST", fast)
    rows: list[dict[str, Any]] = []
    bills: list[dict[str, Any]] = []
    rejects: list[tuple[str, int, str]] = []
    stats = FileStats(path=str(path), format=fmt)
    read_file(path, stats, rows.append, lambda *r: rejects.append(r), bills.append)
    return {"rows": rows, "bills": bills, "rejects": rejects, "stats": dataclasses.asdict(stats)}


def both(path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], dict[str, Any]]:
    return read(path, fmt, False, monkeypatch), read(path, fmt, True, monkeypatch)


def read_tables(path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], list[Any]]:
    """read() by the fast path with a reader that also takes Arrow tables (as ingest.load's Stager does), so that
    lines read as columns (ingest/bulk_columns.py) come as tables: rows (each with every usage column), bill lines,
    rejects and accounting, and the tables that came."""
    from finops.schema import NAMES

    monkeypatch.setattr(cloud_common, "FAST", True)
    rows: list[dict[str, Any]] = []
    tables: list[Any] = []
    bills: list[dict[str, Any]] = []
    rejects: list[tuple[str, int, str]] = []
    stats = FileStats(path=str(path), format=fmt)
    read_file(path, stats, rows.append, lambda *r: rejects.append(r), bills.append, tables.append)
    every = [{name: row.get(name) for name in NAMES} for row in rows] + [r for t in tables for r in t.to_pylist()]
    return {"rows": every, "bills": bills, "rejects": rejects, "stats": dataclasses.asdict(stats)}, tables


def as_tables(result: dict[str, Any]) -> dict[str, Any]:
    """read()'s result as read_tables gives it: each row with every usage column, the rows in line order (a table's
    rows are handed on together, after the block's other rows)."""
    from finops.schema import NAMES

    rows = [{name: row.get(name) for name in NAMES} for row in result["rows"]]
    return {**result, "rows": sorted(rows, key=lambda r: (r["source_line"], r["record_id"]))}


def assert_tables_read_like_the_reference(path: Path, fmt: str, reference: dict[str, Any],
                                          monkeypatch: pytest.MonkeyPatch) -> int:
    """The fast path with tables gives the reference's rows (in any order), bill lines, rejects and accounting;
    returns how many tables came."""
    found, tables = read_tables(path, fmt, monkeypatch)
    assert as_tables(found) == as_tables(reference), path.name
    return len(tables)


@pytest.mark.parametrize("block", [fast_bills.BLOCK_BYTES, 7, 300])
@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}/{p.name}")
def test_fast_path_reads_every_fixture_and_hostile_case_like_the_reference(
        path: Path, block: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fast_bills, "BLOCK_BYTES", block)
    monkeypatch.setattr(fast_bills, "LONG_LINE", max(block, 200))
    reference, fast = both(path, path.parent.name, monkeypatch)
    assert fast == reference
    assert_tables_read_like_the_reference(path, path.parent.name, reference, monkeypatch)


HEADER = ("identity/LineItemId,lineItem/LineItemType,lineItem/UsageAccountId,lineItem/UsageType,"
          "lineItem/UsageStartDate,lineItem/UsageEndDate,lineItem/UsageAmount,pricing/unit,lineItem/UnblendedRate,"
          "lineItem/UnblendedCost,lineItem/CurrencyCode,lineItem/LineItemDescription,product/ProductName")  # 13
CLAUDE = ("Usage,111122223333,USE1-MP:USE1_InputTokenCount_Global-Units,2026-10-05T00:00:00Z,2026-10-06T00:00:00Z,"
          "2,Units,3,6,USD,input,Claude Sonnet 4.6 (Amazon Bedrock Edition)")
EC2 = "Usage,111122223333,BoxUsage:m5.large,2026-10-05T00:00:00Z,2026-10-06T00:00:00Z,24,Hrs,0.096,2.304,USD"


def irregular_lines() -> list[bytes]:
    """One line per shape the fast path must not take for an ignored line (each with its own line item id), and
    the plain lines it skips. Counted by hand in the test below."""
    return [
        b"a1," + EC2.encode() + b",$0.096 per On Demand Linux m5.large,Amazon Elastic Compute Cloud",  # skipped
        b"a2," + EC2.encode() + b',"$0.096 per hour, Linux","Amazon Web Services, Inc."',  # quoted: skipped
        b"a3," + EC2.encode() + b',"say ""hi""",EC2',  # doubled quotes: skipped
        b"c1," + CLAUDE.encode(),  # Claude: a row
        b"c2," + CLAUDE.replace("Claude", "CLAUDE").encode(),  # any case: a row
        b"r1," + EC2.encode() + b',ab"c,d"e,EC2',  # quote inside a field: csv reads 14 fields -> rejected
        b"r2," + EC2.encode() + b',"a"b,EC2',  # text after a closing quote: 13 fields, ignored
        b"r3," + EC2.encode() + b',"unterminated,EC2',  # one field to the end: 12 fields -> rejected
        b"r4," + EC2.encode() + b",one,two,three",  # 14 fields -> rejected
        b"r5," + EC2.encode(),  # 11 fields -> rejected
        b"",  # blank: not a line of the bill
        b",,,,,,,,,,,,",  # commas only: not a line of the bill
        b" \t ,  ,,,,,,,,,,,",  # whitespace only
        "\u00a0,\u00a0,,,,,,,,,,,".encode(),  # Unicode spaces only: not a line either
        b"w1," + EC2.encode() + b",desc\r,EC2",  # CR inside a line: csv cannot read it -> rejected
        b"w2," + EC2.encode() + b",desc,EC2\r",  # a CRLF line end: ignored
        b"w3," + EC2.encode() + b",desc,EC2\r\r",  # two CRs: ignored
        b"w4," + EC2.encode() + b",d\x00esc,EC2",  # NUL
        b"w5," + EC2.encode() + ",Z\u00fcrich,EC2".encode(),  # UTF-8
        b"w6," + EC2.encode() + b",Z\xfcrich,EC2",  # Latin-1
        b"\xef\xbb\xbfw7," + EC2.encode() + b",bom,EC2",  # a BOM at the start of a later line
        b"w8," + EC2.encode() + b",C:\\temp,EC2",  # backslash
        b"w9," + EC2.encode() + b",\\u0063laude,EC2",  # an escape that a JSON column would read as claude
        b"w10," + EC2.encode() + b",\x1b[31mred,EC2",  # terminal escape
        b"x1," + EC2.encode() + b"," + b"y" * 900 + b",EC2",  # long (over the small blocks' long-line limit)
        b"x2," + EC2.encode() + b",after the long line,EC2",
        b"c3," + CLAUDE.encode(),  # a Claude row after it
    ]


def test_irregular_lines_read_like_the_reference(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = irregular_lines()
    plain = tmp_path / "cur.csv"
    plain.write_bytes(HEADER.encode() + b"\n" + b"\n".join(lines))  # the last line without a line end
    crlf = tmp_path / "cur-crlf.csv"
    crlf.write_bytes(HEADER.encode() + b"\r\n" + b"\r\n".join(lines) + b"\r\n")
    packed = tmp_path / "cur.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(packed.read_bytes()[: len(packed.read_bytes()) * 2 // 3])  # breaks off mid-file
    for block in (fast_bills.BLOCK_BYTES, 5, 64, 1000):
        monkeypatch.setattr(fast_bills, "BLOCK_BYTES", block)
        monkeypatch.setattr(fast_bills, "LONG_LINE", 300)
        for path in (plain, crlf, packed, cut):
            reference, fast = both(path, "bedrock_cur", monkeypatch)
            assert fast == reference, (block, path.name)
    # By hand, the plain file (27 lines after the header): c1, c2, c3 are rows; r1, r3, r4, r5 and w1 are
    # rejected (14, 12, 14, 11 fields; a CR inside a line); the 4 blank, comma or space lines are not lines of
    # the bill; the other 15 are ignored (a1-a3, r2, w2-w10, x1, x2).
    monkeypatch.setattr(fast_bills, "BLOCK_BYTES", 64)
    result = read(plain, "bedrock_cur", True, monkeypatch)
    stats = result["stats"]
    assert (stats["rows_read"], stats["rows_staged"], stats["rows_rejected"], stats["lines_ignored"]) == (8, 3, 5, 15)
    assert [line for _, line, _ in result["rejects"]] == [7, 9, 10, 11, 16]  # r1 r3 r4 r5 w1 (header is line 1)
    assert [r["source_line"] for r in result["rows"]] == [5, 6, 28]


def test_polars_splits_a_block_into_the_lines_python_splits() -> None:
    """fast_bills._lines: the lines polars splits a block into are Python's (decode, split), but for CRs at a line
    end (which the block checks strip), with every irregular line at the block's start, with and without a final
    line end, LF and CRLF; a block polars cannot split so (a NUL, a BOM at its start) is split by Python."""
    blocks = [b"\n", b"\n\n", b"a", b"\r", b"\r\r\n\r", b"\xef\xbb\xbf", b"\xef\xbb\xbfa\nb\n", b"a\n\xef\xbb\xbfb\n",
              b"a\r\r\n\r\n", b"\x00\n", b"\xe2\x80\n\xff", b"\xe2\n\xf0\x9f\x98\n", b"\"a\nb\"\n", b"#a\n b\n"]
    for end in (b"\n", b"\r\n"):
        data = end.join(irregular_lines()) + end
        for start in [0] + [i + 1 for i, byte in enumerate(data) if byte == ord("\n")][:-1]:
            blocks += [data[start:], data[start:-1]]
    by_polars = 0
    for block in blocks:
        python = block.decode("utf-8", errors="replace").split("\n")
        if block.endswith(b"\n"):
            python.pop()
        split = fast_bills._polars_lines(block)
        if split is None:
            assert b"\x00" in block or block.startswith(b"\xef\xbb\xbf"), block
        else:
            by_polars += 1
            assert [x.rstrip("\r") for x in split.get_column("l").to_list()] == [x.rstrip("\r") for x in python], block
        assert fast_bills._lines(block).height == len(python)
    assert by_polars > 30  # most blocks are split by polars (those that start after the NUL line)


def test_the_fast_path_skips_the_plain_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not a timing: the plain lines of other services are counted without being parsed (else the fast path would
    be the reference reader under another name)."""
    path = tmp_path / "cur.csv"
    path.write_bytes((HEADER + "\n" + "\n".join(
        f"e{i}," + EC2 + ",plain,Amazon Elastic Compute Cloud" for i in range(1000)) + "\nc1," + CLAUDE + "\n"
                      ).encode())
    parsed: list[int] = []
    original = cloud_common.Table._line

    def counting(self: cloud_common.Table, number: int, line: Any) -> Any:
        parsed.append(number)
        return original(self, number, line)

    monkeypatch.setattr(cloud_common.Table, "_line", counting)
    result = read(path, "bedrock_cur", True, monkeypatch)
    # Only the header: the EC2 lines are skipped, the Claude line (line 1002: header + 1,000 EC2 lines + 1) is
    # regular and read in bulk (ingest/bulk_cur.py), not parsed alone.
    assert parsed == [1]
    assert result["stats"]["lines_ignored"] == 1000 and result["stats"]["rows_staged"] == 1
    assert [r["source_line"] for r in result["rows"]] == [1002]


def dying_bill_worker(job: list[tuple[str, str]], spool: str) -> None:
    """A bill worker (run in a spawned process) that takes a file, spools its rows and dies before saying so."""
    import os

    from finops.ingest import workers

    from finops import ingest

    k = workers.next_file(ingest._TAKEN, len(job))
    if k is not None:
        ingest.read_apart(*job[k], os.path.join(spool, str(k)))
    os._exit(3)


@pytest.mark.parametrize("dies", [False, True], ids=["the worker lives", "the worker dies"])
def test_bills_read_in_worker_processes_load_what_one_process_loads(monkeypatch: pytest.MonkeyPatch,
                                                                    dies: bool) -> None:
    """Several large bills are read here and by a worker process (ingest._read_bills_apart), each taking the next
    file when free; the tables and the accounting are those of reading them here, one after the other. This
    process takes its first file only once the worker has taken one, so both read. A worker that dies after
    spooling its file leaves the files it took to be read here: the same tables again, nothing twice."""
    import time

    from finops.ingest import workers

    from finops import ingest

    bills = [p for p in FILES if p.parent.name in ("bedrock_cur", "aws_focus", "focus", "gcp_billing")]
    apart_read: list[set[Path]] = []
    original, original_next = ingest._read_bills_apart, workers.next_file

    def recording(*args: Any) -> set[Path]:
        apart_read.append(original(*args))
        return apart_read[-1]

    waited: list[int] = []  # files the worker had taken when this process took its first

    def after_the_worker(taken: Any, files: int) -> int | None:
        if not waited:
            deadline = time.monotonic() + 60
            while taken.value == 0 and time.monotonic() < deadline:
                time.sleep(0.01)
            waited.append(taken.value)
        return original_next(taken, files)

    monkeypatch.setattr(ingest, "_read_bills_apart", recording)
    monkeypatch.setattr(workers, "next_file", after_the_worker)  # this process's only: a worker imports its own
    if dies:
        monkeypatch.setattr(ingest, "read_apart_taking", dying_bill_worker)
    one, apart = _loaded(bills, False, monkeypatch), _loaded(bills, True, monkeypatch)
    assert apart_read[0] == set() and waited[0] >= 1  # the second load: the worker took a file before this one
    assert len(apart_read[1]) == len(bills) - (waited[0] if dies else 0)  # a dead worker's files: read after
    assert apart == one
    assert len(one[0]) > 10 and len(one[1]) > 10 and one[4]  # rows, rejects, bill lines: the comparison has teeth


@pytest.mark.parametrize(("limit", "small"), [(None, False), ("1GB", False), ("1000MB", False), ("954MiB", False),
                                            ("953MiB", True), ("999MB", True), ("256MiB", True)])
def test_a_memory_limit_below_the_default_asks_for_a_small_footprint(limit: str | None, small: bool,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """store.small_footprint: FINOPS_MEMORY_LIMIT below the default of 1GB (1,000,000,000 bytes, as DuckDB reads
    it). 954 MiB is 1,000,341,504 bytes; 953 MiB is 999,292,928."""
    from finops import store

    if limit is None:
        monkeypatch.delenv("FINOPS_MEMORY_LIMIT", raising=False)
    else:
        monkeypatch.setenv("FINOPS_MEMORY_LIMIT", limit)
    assert store.small_footprint() is small


@pytest.mark.parametrize(("limit", "own", "expected"), [
    ("256MiB", None, "background_thread:true,dirty_decay_ms:0,muzzy_decay_ms:0"),
    (None, None, None),  # the default
    ("2GB", None, None),
    ("256MiB", "narenas:1", "narenas:1"),  # a setting of the user's own is kept
    ("lots", None, None),  # unreadable: reported by the command that uses it, not here
])
def test_with_a_small_footprint_polars_gives_freed_memory_back_at_once(
        limit: str | None, own: str | None, expected: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """store.prefer_memory_to_speed, which the `finops` command calls at its start: with FINOPS_MEMORY_LIMIT below
    the default, polars' allocator is set (before polars is loaded) to give freed pages back at once."""
    import sys

    from finops import store

    monkeypatch.delitem(sys.modules, "polars", raising=False)  # as in the command, which has not loaded it yet
    for name, value in (("FINOPS_MEMORY_LIMIT", limit), ("_RJEM_MALLOC_CONF", own)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    store.prefer_memory_to_speed()
    assert os.environ.get("_RJEM_MALLOC_CONF") == expected


def test_with_a_small_footprint_bills_are_read_in_this_process_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """A memory limit below the default: several large bills are read without a worker process (a bill worker holds
    200 to 300 MiB of its own, outside DuckDB's limit), into the tables one process always made."""
    import duckdb

    from finops import ingest

    bills = [p for p in FILES if p.parent.name in ("bedrock_cur", "aws_focus", "focus", "gcp_billing")]
    monkeypatch.setattr(ingest, "APART_MIN_BYTES", 0)
    monkeypatch.setattr(ingest, "PROCESSES", 2)
    monkeypatch.setenv("FINOPS_MEMORY_LIMIT", "256MiB")
    apart: list[set[Path]] = []
    original = ingest._read_bills_apart

    def recording(*args: Any) -> set[Path]:
        apart.append(original(*args))
        return apart[-1]

    monkeypatch.setattr(ingest, "_read_bills_apart", recording)
    result = ingest.load(bills, duckdb.connect())
    assert apart == [set()]
    assert sum(f.rows_staged for f in result.files) > 10  # read all the same, here


def test_an_error_while_reading_a_bill_here_stops_the_workers_taking_files(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """An error while this process reads a bill is raised at once: the workers take no further file (without that,
    leaving the process pool would wait for a worker to read every file left). Here this process fails on its first
    file, before the worker has started; the worker's spool (kept for the test) shows what it read."""
    import contextlib
    import tempfile

    import duckdb

    from finops import ingest

    bills = [p for p in FILES if p.parent.name in ("bedrock_cur", "aws_focus", "focus", "gcp_billing")]
    spool = tmp_path / "spool"
    spool.mkdir()

    def failing(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("on purpose")

    monkeypatch.setattr(ingest, "APART_MIN_BYTES", 0)
    monkeypatch.setattr(ingest, "PROCESSES", 2)
    monkeypatch.setattr(ingest, "read_file", failing)  # this process's only: a worker imports its own
    monkeypatch.setattr(tempfile, "TemporaryDirectory", lambda **kwargs: contextlib.nullcontext(str(spool)))
    with pytest.raises(RuntimeError, match="on purpose"):
        ingest.load(bills, duckdb.connect())
    assert len(list(spool.glob("*.rows"))) <= 1 < len(bills) - 2  # it would have read all but this one's


def test_a_gzipped_file_is_shared_out_by_the_size_it_unpacks_to(tmp_path: Path) -> None:
    """workers.largest_first: the order in which processes take bills and request logs. A gzipped file by its
    unpacked size (gzip's last four bytes), capped at the expansion the reader allows; a plain file, or one too short
    for a trailer, by its size on disk."""
    import gzip

    from finops.ingest import common, workers

    plain = tmp_path / "plain.csv"
    plain.write_bytes(b"a,b\n" * 100_000)
    packed = tmp_path / "packed.csv.gz"
    unpacked = "".join(f"{i},{i * 7919 % 10007}\n" for i in range(40_000)).encode()
    packed.write_bytes(gzip.compress(unpacked))  # a few times smaller than unpacked, far from the ratio's cap
    forged = tmp_path / "forged.gz"
    forged.write_bytes(common.GZIP_MAGIC + b"\x00" * 20 + (2**32 - 1).to_bytes(4, "little"))  # claims 4 GiB
    short = tmp_path / "short"
    short.write_bytes(common.GZIP_MAGIC + b"\x00")
    assert workers.work_size(plain) == 400_000
    assert workers.work_size(packed) == len(unpacked) > 2 * packed.stat().st_size
    assert workers.work_size(forged) == 26 * common.MAX_GZIP_RATIO
    assert workers.work_size(short) == 3
    assert workers.work_size(tmp_path / "gone") == 0
    # by its size on disk the packed file would come after the plain one
    assert packed.stat().st_size < plain.stat().st_size < len(unpacked)
    twin = tmp_path / "twin.csv"
    twin.write_bytes(plain.read_bytes())
    assert workers.largest_first([short, plain, forged, packed, twin]) == [3, 1, 4, 2, 0]  # ties as given


def test_parquet_bills_read_like_the_reference(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Parquet: the rows that name no Claude word in the columns the reader tests (maps, lists and structs
    included) are not converted to Python; every other row is, and the result is the reference reader's."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    claude = "Claude Sonnet 4.6 (Amazon Bedrock Edition)"
    rows = 12_000  # more than one record batch (5,000 rows)
    usage_type = ["USE1-MP:USE1_InputTokenCount_Global-Units" if i % 7 == 0 else "BoxUsage:m5.large"
                  for i in range(rows)]
    product = [[("product_name", claude if i % 7 == 0 else "Amazon EC2"), ("region_code", "us-east-1")]
               if i % 11 else None for i in range(rows)]
    table = pa.table({
        "identity_line_item_id": [f"id{i}" for i in range(rows)],
        "line_item_line_item_type": ["Usage"] * rows,
        "line_item_usage_account_id": ["111122223333"] * rows,
        "line_item_usage_type": usage_type,
        "line_item_usage_start_date": pa.array([datetime(2026, 10, 5)] * rows, pa.timestamp("us")),
        "line_item_usage_end_date": pa.array([datetime(2026, 10, 6)] * rows, pa.timestamp("us")),
        "line_item_usage_amount": [2.0 if i % 13 else -1.0 for i in range(rows)],
        "pricing_unit": ["Units"] * rows,
        "line_item_unblended_rate": ["3"] * rows,
        "line_item_unblended_cost": ["6"] * rows,
        "line_item_currency_code": ["USD" if i % 17 else "EUR" for i in range(rows)],
        # Claude named only inside a map, or only in a list, or through a JSON escape: still read
        "product": pa.array(product, pa.map_(pa.string(), pa.string())),
        "notes": pa.array([["x", "CLAUDE"] if i % 19 == 0 else ["x"] for i in range(rows)], pa.list_(pa.string())),
        "line_item_line_item_description": ["\\u0063laude" if i % 23 == 0 else "plain" for i in range(rows)],
    })
    path = tmp_path / "cur2.parquet"
    pq.write_table(table, path, row_group_size=4_000)
    reference, fast = both(path, "bedrock_cur", monkeypatch)
    assert fast == reference
    assert reference["stats"]["rows_read"] > 1000 and reference["rejects"]  # rows and rejects to compare


def test_a_parquet_row_is_tested_on_the_columns_the_reader_tests(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Not a timing: a row that names Claude only in a column the CUR reader's test does not read (a tag) is
    counted as ignored without being converted, like a row that names it nowhere; the result is the reference's."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = 300
    path = tmp_path / "cur.parquet"
    pq.write_table(pa.table({
        "identity_line_item_id": [f"id{i}" for i in range(rows)],
        "line_item_usage_type": ["BoxUsage:m5.large"] * rows,
        "line_item_usage_amount": ["24"] * rows,
        "line_item_unblended_cost": ["2.3"] * rows,
        "product_product_name": ["Amazon EC2"] * rows,
        "resource_tags_user_team": ["claude-evals"] * rows,  # a team's name: not what makes a Claude line
    }), path)
    found: list[list[int] | None] = []
    original = fast_bills.parquet_candidates

    def recording(*args: Any) -> list[int] | None:
        found.append(original(*args))
        return found[-1]

    monkeypatch.setattr(fast_bills, "parquet_candidates", recording)
    reference, fast = both(path, "bedrock_cur", monkeypatch)
    assert fast == reference and reference["stats"]["lines_ignored"] == rows and not reference["rows"]
    assert found == [[]]  # one batch, no row to convert


def corrupt_column(path: Path, row_group: int, column: str) -> None:
    """Overwrite one column's pages in one row group of a Parquet file: its page header no longer decodes."""
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    chunk = meta.row_group(row_group).column(meta.schema.to_arrow_schema().get_field_index(column))
    data = bytearray(path.read_bytes())
    start = chunk.dictionary_page_offset or chunk.data_page_offset
    data[start:start + chunk.total_compressed_size] = b"\xff" * chunk.total_compressed_size
    path.write_bytes(bytes(data))


def bill_parquet(path: Path, columns: dict[str, Any], rows: int, dictionary: bool = False) -> Path:
    """A Parquet bill of text columns (values: a function of the row), two row groups of 5,000 rows (one record
    batch each), plus a column no bill reader uses; its text dictionary-encoded or (by default) plain."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = {name: pa.array([value(i) for i in range(rows)], pa.string()) for name, value in columns.items()}
    table["bill_invoice_note"] = pa.array([f"note {i}" for i in range(rows)], pa.string())
    pq.write_table(pa.table(table), path, row_group_size=5_000, use_dictionary=dictionary)
    return path


CUR_COLUMNS = {
    "identity_line_item_id": lambda i: f"id{i}",
    "line_item_line_item_type": lambda i: "Usage",
    "line_item_usage_account_id": lambda i: "111122223333",
    "line_item_usage_type": lambda i: "USE1-MP:USE1_InputTokenCount_Global-Units" if i % 7 == 0 else "BoxUsage",
    "line_item_usage_start_date": lambda i: "2026-10-05T00:00:00Z",
    "line_item_usage_end_date": lambda i: "2026-10-06T00:00:00Z",
    "line_item_usage_amount": lambda i: "2",
    "pricing_unit": lambda i: "1M tokens",
    "line_item_unblended_cost": lambda i: "6",
    "line_item_currency_code": lambda i: "USD",
    "product_product_name": lambda i: "Claude Sonnet 4.6 (Amazon Bedrock Edition)" if i % 7 == 0 else "Amazon EC2",
}
FOCUS_COLUMNS = {
    "BilledCost": lambda i: "6",
    "BillingCurrency": lambda i: "USD",
    "ChargeCategory": lambda i: "Usage",
    "ChargeDescription": lambda i: "input tokens" if i % 7 == 0 else "t3.micro",
    "ChargePeriodStart": lambda i: "2026-10-05T00:00:00Z",
    "ChargePeriodEnd": lambda i: "2026-10-06T00:00:00Z",
    "PricingQuantity": lambda i: "2",
    "PricingUnit": lambda i: "1M tokens",
    "PublisherName": lambda i: "Anthropic" if i % 7 == 0 else "Amazon Web Services",
    "ServiceName": lambda i: "Claude Sonnet 4.6 (Amazon Bedrock Edition)" if i % 7 == 0 else "Amazon EC2",
    "SubAccountId": lambda i: "111122223333",
    "x_UsageType": lambda i: "USE1-MP:USE1_InputTokenCount_Global-Units" if i % 7 == 0 else "USE1-BoxUsage",
}


@pytest.mark.parametrize(("fmt", "columns", "used"), [("bedrock_cur", CUR_COLUMNS, "line_item_usage_amount"),
                                                      ("aws_focus", FOCUS_COLUMNS, "PricingQuantity")])
def test_a_corrupt_parquet_column_stops_a_file_only_when_the_reader_uses_it(
        fmt: str, columns: dict[str, Any], used: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A page that does not decode in a column the reader never reads does not stop the file (that column is not
    read at all); in a column it reads, the file stops after the last whole record batch, the reference reader and
    the fast path alike. 10,000 rows, every 7th a Claude usage line (1,429 of them: rows 0, 7, ..., 9996)."""
    unused = bill_parquet(tmp_path / "unused.parquet", columns, 10_000)
    corrupt_column(unused, 1, "bill_invoice_note")
    reference, fast = both(unused, fmt, monkeypatch)
    assert fast == reference
    assert reference["stats"]["error"] is None
    assert len(reference["rows"]) == 1_429 and reference["stats"]["lines_ignored"] == 10_000 - 1_429
    assert sum(r["input_tokens"] for r in reference["rows"]) == 1_429 * 2_000_000  # 2 million tokens each

    stopped = bill_parquet(tmp_path / "used.parquet", columns, 10_000)
    corrupt_column(stopped, 1, used)  # rows 5,000 to 9,999
    reference, fast = both(stopped, fmt, monkeypatch)
    assert fast == reference
    assert reference["stats"]["error"].startswith("reading stopped after row 5000: ")
    # rows 0, 7, ..., 4998 of the first row group: 715 Claude lines, the other 4,285 ignored
    assert len(reference["rows"]) == 715 and reference["stats"]["lines_ignored"] == 5_000 - 715


@pytest.mark.parametrize(("fmt", "columns", "word"), [("bedrock_cur", CUR_COLUMNS, "product_product_name"),
                                                      ("aws_focus", FOCUS_COLUMNS, "ServiceName")])
def test_a_dictionary_encoded_parquet_bill_is_tested_value_by_value(
        fmt: str, columns: dict[str, Any], word: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bill whose text is dictionary-encoded (as most writers write it): the columns the word test looks at are
    read as dictionaries, each distinct value tested once; rows, rejects and accounting are the reference reader's,
    also when a page of such a column does not decode (the file stops after the last whole record batch)."""
    tested: list[str] = []
    original = fast_bills.parquet_candidates

    def recording(batch: Any, *args: Any) -> list[int] | None:
        tested.append(str(batch.schema.field(word).type))
        return original(batch, *args)

    monkeypatch.setattr(fast_bills, "parquet_candidates", recording)
    path = bill_parquet(tmp_path / "dictionary.parquet", columns, 10_000, dictionary=True)
    reference, fast = both(path, fmt, monkeypatch)
    assert fast == reference and reference["stats"]["error"] is None
    assert len(reference["rows"]) == 1_429 and reference["stats"]["lines_ignored"] == 10_000 - 1_429
    assert tested == ["dictionary<values=string, indices=int32, ordered=0>"] * 2  # two batches, as dictionaries

    stopped = bill_parquet(tmp_path / "stopped.parquet", columns, 10_000, dictionary=True)
    corrupt_column(stopped, 1, word)  # rows 5,000 to 9,999
    reference, fast = both(stopped, fmt, monkeypatch)
    assert fast == reference
    assert reference["stats"]["error"].startswith("reading stopped after row 5000: ")
    assert len(reference["rows"]) == 715 and reference["stats"]["lines_ignored"] == 5_000 - 715


class Recording(dict):  # type: ignore[type-arg]
    """A row that notes every column a reader looks up in it."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.seen: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.seen.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self.seen.add(key)
        return super().__getitem__(key)


@pytest.mark.parametrize("path", [p for p in FILES if p.parent.name in ("bedrock_cur", "aws_focus")
                                  and p.name.endswith((".csv", ".csv.gz"))],
                         ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}/{p.name}")
def test_the_bill_readers_look_only_at_the_columns_they_read_from_parquet(path: Path) -> None:
    """The Parquet projection (uses_column) holds every column cur_line and focus_line look up, on every row of
    the fixtures and hostile files, so that reading only those columns changes nothing but the cost."""
    import csv

    from finops.ingest import aws_focus, bedrock_cur

    module = bedrock_cur if path.parent.name == "bedrock_cur" else aws_focus
    to_line = bedrock_cur.cur_line if module is bedrock_cur else aws_focus.focus_line
    with (gzip.open if path.suffix == ".gz" else open)(path, "rt", errors="replace") as f:
        lines: list[list[str]] = []
        try:
            for values in csv.reader(f):
                lines.append(values)
        except (EOFError, OSError, csv.Error):
            pass  # a file csv cannot read whole (a cut gzip, a NUL): the lines before the break are checked
    header = [cloud_common.snake(h) for h in lines[0]] if lines else []
    seen: set[str] = set()
    for values in lines[1:]:
        row = Recording(zip(header, values, strict=False))
        try:
            to_line(row)
        except RowError:  # a rejected row: what it looked up before counts all the same
            pass
        seen |= row.seen
    assert seen and all(module.uses_column(name) for name in seen), sorted(n for n in seen
                                                                          if not module.uses_column(n))


def test_the_field_check_without_the_one_regular_expression(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the one-expression field check cannot be built (a header too wide for the regex engine), the check
    made of smaller expressions gives the same reading."""
    path = tmp_path / "cur.csv"
    path.write_bytes(HEADER.encode() + b"\n" + b"\n".join(irregular_lines()) + b"\n")
    reference = read(path, "bedrock_cur", False, monkeypatch)
    monkeypatch.setattr(fast_bills, "_FIELD", "(")  # does not compile: the other check is used
    monkeypatch.setattr(fast_bills, "BLOCK_BYTES", 64)
    monkeypatch.setattr(fast_bills, "LONG_LINE", 300)
    assert read(path, "bedrock_cur", True, monkeypatch) == reference
    assert reference["stats"]["lines_ignored"] == 15


def test_the_library_reads_in_one_process_and_the_command_in_several(monkeypatch):
    # A spawned worker imports the caller's main module again: a user's unguarded script would run twice. So the
    # library never starts processes by itself; the `finops` command, whose entry point is guarded, asks for them.
    import os
    import subprocess
    import sys

    from click.testing import CliRunner

    from finops import ingest
    from finops.cli import cli

    fresh = subprocess.run([sys.executable, "-c", "import finops.ingest as i; print(i.PROCESSES)"],
                           capture_output=True, text=True, check=True)
    assert fresh.stdout.strip() == "1"
    monkeypatch.setattr(ingest, "PROCESSES", 1)
    assert CliRunner().invoke(cli, ["formats"]).exit_code == 0
    assert ingest.PROCESSES == min(2, os.cpu_count() or 1)


# ---- bulk reading of the Claude lines (ingest/bulk_cur.py): every bulk path against the reference, line by line


def parquet_copy(source: Path, target: Path, nulls: bool) -> Path:
    """A CSV bill as Parquet with every column text (as CUR 2.0 Parquet exports are read): the lines csv splits
    into the header's field count, values as csv gives them; nulls: empty values on odd lines become nulls."""
    import csv

    import pyarrow as pa
    import pyarrow.parquet as pq

    data = bytearray()
    with (gzip.open if source.suffix == ".gz" else open)(source, "rb") as f:
        try:
            while chunk := f.read(1):  # a file that breaks off: what came before the break
                data += chunk
        except EOFError:
            pass
    data = bytes(data)
    text = data.decode("utf-8", errors="replace")
    lines = list(csv.reader(text.splitlines()))
    header, body = lines[0], [r for r in lines[1:] if len(r) == len(lines[0])]
    columns = {f"{name}#{i}" if name in header[:i] else name: [
        None if nulls and k % 2 and r[i] == "" else r[i] for k, r in enumerate(body)]
        for i, name in enumerate(header)}
    pq.write_table(pa.table({n: pa.array(v, pa.string()) for n, v in columns.items()}), target, row_group_size=7)
    return target


CSV_BILLS = [p for p in FILES if p.name.endswith((".csv", ".csv.gz"))]


@pytest.mark.parametrize("path", CSV_BILLS, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}/{p.name}")
def test_every_csv_bill_as_parquet_reads_like_the_reference(path: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    for nulls in (False, True):
        copy = parquet_copy(path, tmp_path / f"{path.name}-{nulls}.parquet", nulls)
        reference, fast = both(copy, path.parent.name, monkeypatch)
        assert fast == reference, nulls


# Values a bill line can hold, field by field, the odd ones among them: the mutation corpus below draws from these.
MUTATIONS: dict[str, list[str]] = {
    "identity/LineItemId": ["id", "", " id ", "x\u00e9", "a,b", 'q"q', "\ufeffid"],  # a BOM: dropped at a line start
    "lineItem/LineItemType": ["Usage", "DiscountedUsage", "SavingsPlanCoveredUsage", "Credit", "Tax", "Refund", "",
                              "usage", "Edp Discount", "Fee"],
    "lineItem/UsageAccountId": ["111122223333", "", " 444455556666 ", "acct\u00fc", "sk-ant-api03-" + "a" * 40,
                                "\u00a0acct", "acct\u2028", "\x85acct", "\u2003acct", "\u3000", "\ufeffacct",
                                "acct\udcfc"],  # the last: the byte 0xfc, not UTF-8 (written with surrogateescape)
    "lineItem/UsageType": ["USE1-MP:USE1_InputTokenCount-Units", "USE1-MP:USE1_OutputTokenCount_Global-Units",
                           "USE1-MP:USE1_CacheWrite1hInputTokenCount-Units", "EUW1-MP:EUW1_CacheReadInputTokenCount",
                           "USE1-MP:USE1_input_tokens_global_standard-Units", "USE1-Claude3Haiku-input-tokens",
                           "USE1-anthropic.claude-haiku-4-5-mantle-output-tokens-standard",
                           "USE1-MP:USE1_InputTokenCount_Batch-Units", "USE1-MP:USE1_MillionBatchInputTokens-Units",
                           "USE1-MP:USE1_LongContextInputTokenCount-Units", "USE1-MP:USE1_Search-Units",
                           "BoxUsage:m5.large", ""],
    "lineItem/UsageStartDate": ["2026-10-05T00:00:00Z", "2026-10-05T00:00:00+02:00", "2026-10-05", "",
                                "2026-10-05 00:00:00 UTC", "yesterday", "1791158400", "2026-10-05T00:00:00.000Z"],
    "lineItem/UsageEndDate": ["2026-10-06T00:00:00Z", "", "soon", "2026-10-05T01:00:00Z"],
    "lineItem/UsageAmount": ["2", "2.0", "0", "0.000001", "1E+2", "1e-3", "-2", "12345678.123456789012345", "",
                             " 3 ", "abc", "NaN", "Infinity", "1,000", "0.5", "2.5", "1e20", "\u0661", "0.0000015",
                             "0.0000025", "1.0000005", "999999999999.5", "10000000.0000005", "0.000000000001",
                             "007"],
    "pricing/unit": ["Units", "1M tokens", "1K Tokens", "tokens", "", "Count", "hours"],
    "lineItem/UnblendedRate": ["3", "0.003", "0.000003", "", "0", "3e0", "x", "-3", "1000"],
    "lineItem/UnblendedCost": ["6", "6.0000005", "6.0000015", "-0.5", "", "1e30", "6E-7", "0.1234567890123",
                               "x", " 6 ", "-0.0000025", "-0.0000035", "0.00000050001", "99999999999.9999995", "-0",
                               "0.1081742"],
    "lineItem/CurrencyCode": ["USD", "usd", " USD ", "EUR", ""],
    "lineItem/LineItemDescription": ["input", "", "Claude input", 'said "hi", twice', "Z\u00fcrich", "tab\there",
                                     "cr\rinside", "em \u2014 dash", "\u2028", "\ufffd", "\x85next"],
    "product/ProductName": ["Claude Sonnet 4.6 (Amazon Bedrock Edition)", "CLAUDE HAIKU 4.5", "Claude 3 Haiku",
                            "Claude Opus 9 (Amazon Bedrock Edition)", "", "Amazon EC2", "claude"],
}
MUTATED_HEADER = [*MUTATIONS, "product/region", "lineItem/ResourceId", "resourceTags/user:team",
                  "resourceTags/user:env", "identity/TimeInterval"]
EXTRA = {"product/region": ["us-east-1", "", "eu-west-1"],
         "lineItem/ResourceId": ["", "arn:aws:bedrock:us-east-1:111122223333:inference-profile/"
                                 "us.anthropic.claude-opus-4-1-20250805-v1:0", "i-0abc"],
         "resourceTags/user:team": ["ml", "", "t\u00e9am", "{\"a\": 1}"],
         "resourceTags/user:env": ["prod", ""],
         "identity/TimeInterval": ["2026-10-05T00:00:00Z/2026-10-06T00:00:00Z", "", "broken"]}
BASE = {"identity/LineItemId": "id", "lineItem/LineItemType": "Usage", "lineItem/UsageAccountId": "111122223333",
        "lineItem/UsageType": "USE1-MP:USE1_InputTokenCount-Units", "lineItem/UsageStartDate": "2026-10-05T00:00:00Z",
        "lineItem/UsageEndDate": "2026-10-06T00:00:00Z", "lineItem/UsageAmount": "2", "pricing/unit": "Units",
        "lineItem/UnblendedRate": "3", "lineItem/UnblendedCost": "6", "lineItem/CurrencyCode": "USD",
        "lineItem/LineItemDescription": "input", "product/ProductName": "Claude Sonnet 4.6 (Amazon Bedrock Edition)",
        "product/region": "us-east-1", "lineItem/ResourceId": "", "resourceTags/user:team": "ml",
        "resourceTags/user:env": "prod", "identity/TimeInterval": "2026-10-05T00:00:00Z/2026-10-06T00:00:00Z"}


def mutated_bill(seed: int, lines: int) -> bytes:
    """A legacy CUR of mutated Claude lines (mutated_csv, a twentieth of them with spaces before fields); line item
    ids kept unique."""

    def unique_id(n: int, values: dict[str, str], rng: Any) -> None:
        if values["identity/LineItemId"] in ("id", " id ", "\ufeffid"):
            values["identity/LineItemId"] = values["identity/LineItemId"].replace("id", f"id{n}")

    return mutated_csv({name: BASE[name] for name in MUTATED_HEADER}, {**MUTATIONS, **EXTRA}, seed, lines,
                       lambda n: {}, unique_id, spaced=0.05)


def bulk_line_counts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the batches of lines the bill readers read in bulk (CurBulk.lines, shared by CUR, FOCUS and
    GCP), appended as they are read: a line that is not counted went to the per-line reader."""
    from finops.ingest import bulk_cur

    original = bulk_cur.CurBulk.lines
    bulk: list[int] = []

    def counting(self: Any, frame: Any) -> list[Any]:
        bulk.append(frame.height)
        return original(self, frame)

    monkeypatch.setattr(bulk_cur.CurBulk, "lines", counting)
    return bulk


BILL_SEEDS = [1, 2, 3] if DEEP else [1]  # the bill mutation corpora read, each a different 400 lines


def assert_corpus_reads_like_the_reference(data: bytes, stem: str, fmt: str, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch, parquet: bool = True) -> None:
    """A mutation corpus as CSV, CRLF CSV, gzip and (parquet=True) text Parquet with and without nulls, read at the
    real block size and at a tiny one: the fast reader gives exactly the reference reader's rows, bill lines,
    rejects, notes and accounting, and the corpus holds all three kinds.

    At the tiny block size, lines are also read in bulk in batches of 7 (a batch boundary every few lines), in
    every file. Batches of 7 cost about 60 bulk calls a file, most of a corpus's CPU time: so `make test` reads one
    corpus of each kind (BILL_SEEDS) and CI all three (tests/budget.py)."""
    plain = tmp_path / f"{stem}.csv"
    plain.write_bytes(data)
    crlf = tmp_path / f"{stem}-crlf.csv"
    crlf.write_bytes(data.replace(b"\n", b"\r\n"))
    packed = tmp_path / f"{stem}.csv.gz"
    packed.write_bytes(gzip.compress(data))
    paths = [plain, crlf, packed]
    if parquet:
        paths += [parquet_copy(plain, tmp_path / f"{stem}.parquet", False),
                  parquet_copy(plain, tmp_path / f"{stem}-nulls.parquet", True)]
    real_batch = fast_bills.BULK_ROWS
    for block in (fast_bills.BLOCK_BYTES, 1000):
        for path in paths:
            tiny = block == 1000
            monkeypatch.setattr(fast_bills, "BLOCK_BYTES", block)
            monkeypatch.setattr(fast_bills, "BULK_ROWS", 7 if tiny else real_batch)
            reference, fast = both(path, fmt, monkeypatch)
            assert fast == reference, (block, tiny, path.name)
            assert reference["rows"] and reference["rejects"] and reference["bills"]  # all three compared
            tables = assert_tables_read_like_the_reference(path, fmt, reference, monkeypatch)
            assert tables > 0  # the plain usage lines are read as columns


@pytest.mark.parametrize("seed", BILL_SEEDS)
def test_a_mutation_corpus_of_claude_lines_reads_like_the_reference(seed: int, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Odd quoting, exponents and long decimals, empty fields, negative and credit lines, Unicode, CRs, bad
    numbers and dates: every Claude line read in bulk or handed back gives exactly the reference reader's rows,
    rejects, notes and accounting, as CSV, CRLF CSV, gzip and text Parquet."""
    data = mutated_bill(seed, 400)
    assert_corpus_reads_like_the_reference(data, "cur", "bedrock_cur", tmp_path, monkeypatch)


def test_the_regular_claude_lines_are_read_in_bulk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not a timing: regular Claude lines of CSV and text Parquet become rows without the per-line reader (else
    bulk reading would be the reference reader under another name); an irregular one goes to it."""

    path = tmp_path / "cur.csv"
    path.write_bytes(mutated_bill(0, 0) + b"\n".join(
        ",".join(dict(BASE, **{"identity/LineItemId": f"id{i}"}).values()).encode() for i in range(50))
        + b"\nodd,\"unterminated\n")
    bulk = bulk_line_counts(monkeypatch)
    result = read(path, "bedrock_cur", True, monkeypatch)
    # 50 regular lines (2 fields quoted: "Claude Sonnet..." has no comma, so none) in one block, read in bulk;
    # line 52 has 2 fields where the header has 18: rejected by the reference reader
    assert bulk == [50] and len(result["rows"]) == 50
    assert [(line, reason) for _, line, reason in result["rejects"]] == [(52, "expected 18 fields, found 2")]
    bulk.clear()
    copy = parquet_copy(path, tmp_path / "cur.parquet", False)
    assert len(read(copy, "bedrock_cur", True, monkeypatch)["rows"]) == 50 and sum(bulk) == 50


def test_plain_claude_lines_read_as_columns_by_hand(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Lines whose values bulk_columns.py works out itself, the figures worked out here by hand: the period from the
    interval, no end at all, amounts and costs halfway between two values (rounded half to even, as Decimal rounds),
    the unit told by the rate. Each is read as columns (one table) and equals the reference's row."""
    import hashlib

    lines = {  # line item id: the fields changed from BASE
        "a": {"lineItem/UsageStartDate": ""},  # the start from the interval
        "b": {"lineItem/UsageEndDate": "", "identity/TimeInterval": ""},  # no end
        "c": {"pricing/unit": "1M tokens", "lineItem/UsageAmount": "0.0000025"},  # 2.5 tokens -> 2
        "d": {"pricing/unit": "1M tokens", "lineItem/UsageAmount": "0.0000035"},  # 3.5 tokens -> 4
        "e": {"lineItem/UnblendedCost": "-0.0000025"},  # -> -0.000002
        "f": {"lineItem/UnblendedCost": "0.0000035"},  # -> 0.000004
        "g": {"pricing/unit": "1K Tokens", "lineItem/UsageAmount": "1.0005"},  # 1000.5 tokens -> 1000
    }
    path = tmp_path / "cur.csv"
    path.write_bytes(mutated_bill(0, 0) + b"\n".join(
        ",".join(dict(BASE, **{"identity/LineItemId": key}, **change).values()).encode()
        for key, change in lines.items()) + b"\n")
    reference = read(path, "bedrock_cur", False, monkeypatch)
    found, tables = read_tables(path, "bedrock_cur", monkeypatch)
    assert [t.num_rows for t in tables] == [7] and as_tables(found) == as_tables(reference)
    rows = {row["record_id"]: row for row in found["rows"]}

    def record_id(key: str, end: str) -> str:  # stable_id: the parts joined by \x1f, SHA-256, 32 hex digits
        joined = "\x1f".join(["bedrock_cur", key, "2026-10-05 00:00:00", end])
        return hashlib.sha256(joined.encode()).hexdigest()[:32]

    def row(key: str, end: str = "2026-10-06 00:00:00") -> dict[str, Any]:
        return rows[record_id(key, end)]

    # BASE: 2 units at a rate of 3 per unit: Claude Sonnet 4.6's input list rate is $3 per million, so millions
    assert row("a")["input_tokens"] == 2_000_000 and row("a")["charge_period_start"] == datetime(2026, 10, 5)
    assert row("b", "")["charge_period_end"] is None and row("b", "")["input_tokens"] == 2_000_000
    assert row("c")["input_tokens"] == 2 and row("d")["input_tokens"] == 4 and row("g")["input_tokens"] == 1000
    assert str(row("e")["source_cost"]) == "-0.000002" and str(row("f")["source_cost"]) == "0.000004"
    assert found["stats"]["notes"] == ["4 line(s): usage amount in millions of tokens, by its rate against the list "
                                       "rate", "2 line(s): usage amount in millions of tokens, by its unit '1M tokens'",
                                       "1 line(s): usage amount in thousands of tokens, by its unit '1K Tokens'"]


def test_a_bulk_read_that_fails_hands_its_lines_to_the_reference(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import polars as pl

    path = tmp_path / "cur.csv"
    path.write_bytes(mutated_bill(4, 200))
    reference = read(path, "bedrock_cur", False, monkeypatch)

    def failing(*args: Any, **kwargs: Any) -> Any:
        raise pl.exceptions.ComputeError("simulated")

    monkeypatch.setattr(pl, "read_csv", failing)
    assert read(path, "bedrock_cur", True, monkeypatch) == reference
    assert len(reference["rows"]) > 50


# ---- request/response logs with bodies (ingest/fast_logs.py, ingest/workers.py) ------------------------------

LOG_FILES = sorted(p for root in ("fixtures", "hostile") for p in (HERE / root / "anthropic_log").iterdir())


def read_log(path: Path, fast: bool, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Everything the request-log reader hands on for one file, with the fast path on or off."""
    from finops.ingest import anthropic_log

    monkeypatch.setattr(anthropic_log, "FAST", fast)
    rows: list[dict[str, Any]] = []
    rejects: list[tuple[str, int, str]] = []
    stats = FileStats(path=str(path), format="anthropic_log")
    read_file(path, stats, rows.append, lambda *r: rejects.append(r))
    return {"rows": rows, "rejects": rejects, "stats": dataclasses.asdict(stats)}


@pytest.mark.parametrize("path", LOG_FILES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_fast_log_reader_reads_every_fixture_and_hostile_case_like_the_reference(
        path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert read_log(path, True, monkeypatch) == read_log(path, False, monkeypatch)


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def tricky_requests() -> list[str]:
    """Request bodies (JSON text) that orjson writes differently from json.dumps, or that only look like it, and
    the places a cache_control mark can hide. Each becomes one log line below."""
    msg = '{"role":"user","content":"q"}'
    return [
        '{"model":"claude-sonnet-4-6","max_tokens":5,"system":"s","messages":[' + msg + "]}",  # plain
        '{"system":"s","messages":[{"role":"user","content":[{"type":"text","text":"x","n":123456789012345678901}]},'
        + msg + "]}",  # an integer beyond 64 bits in a message
        '{"system":"s","messages":[' + msg + '],"metadata":{"n":-123456789012345678901}}',  # ... in the rest
        '{"system":"s","messages":[' + msg + '],"temperature":1e-7}',  # a float in exponent form, in the rest
        '{"system":"s","messages":[{"role":"user","content":[1.5e300,-0.0,1e16,0.7]},' + msg + "]}",
        '{"system":"s","tools":[{"name":"t","input_schema":{"max":NaN,"min":-Infinity}}],"messages":[' + msg + "]}",
        '{"system":"s","messages":[{"role":"user","content":"lone \\ud800 surrogate"},' + msg + "]}",
        '{"system":[{"type":"text","text":"s","cache\\u005fcontrol":{"type":"ephemeral"}}],"messages":[' + msg + "]}",
        '{"system":"s","messages":[{"role":"user","content":"cache_control"},' + msg + "]}",  # a value, not a key
        '{"system":"s","messages":[{"role":"user","content":"say \\"cache_control"},' + msg + "]}",
        '{"system":"s","messages":[{"role":"user","content":"cache_control \\"x"},' + msg + "]}",
        '{"system":"s","cache_control":{"type":"ephemeral"},"messages":[' + msg + "]}",  # top-level key
        '{"system":"s","tools":{"cache_control":1},"messages":[' + msg + "]}",  # tools not a list
        '{"system":"s","messages":"cache_control"}',  # messages not a list
        '{"system":"a","system":"b","messages":[' + msg + "," + msg + "]}",  # a repeated key: the last counts
        '{"system":[{"text":"s","cache_control":{"type":"ephemeral"},"cache_control":null}],"messages":[' + msg
        + "]}",
        '{"tools":[{"name":"t","cache_control":{"type":"ephemeral"},"input_schema":{"type":"object"}}],'
        '"messages":[{"role":"user","content":[{"type":"text","text":"q","cache_control":{"type":"ephemeral"}}]},'
        + msg + "]}",  # no system
        '{"system":"s","messages":[{"role":"user","content":' + _nested(250) + "}," + msg + "]}",  # orjson writes it
        '{"system":"s","messages":[{"role":"user","content":' + _nested(300) + "}," + msg + "]}",  # orjson cannot
        '{"system":"s","messages":[{"role":"user","content":' + _nested(600) + "}," + msg + "]}",  # too deep
        '{"system":"s","messages":[{"role":"user","content":' + _nested(5000) + "}]}",  # does not parse
        '{"system":"\\u0001\\u001f\\u007f\\u2028 \\u00e9\\ud83d\\ude00 caf\u00e9","messages":[' + msg + "]}",
        '{"tools":[{"name":"t","input_schema":{"\u00e9":1,"z":2,"\U0001f600":3,"\uffff":4,"Z":5,"":6}}],'
        '"messages":[]}',
        "{}",
        "[1]",
        '{"system":"s","messages":[' + msg + '],"thinking":{"type":"enabled","budget_tokens":-1}}',  # rejected
        '{"system":"s","messages":[' + msg + '],"max_tokens":"many"}',  # rejected
    ]


def tricky_log(tmp_path: Path) -> Path:
    lines = []
    for i, request in enumerate(tricky_requests()):
        response = (f'{{"id":"msg_t{i}","type":"message","model":"claude-sonnet-4-6","content":[],'
                    '"usage":{"input_tokens":10,"output_tokens":2}}')
        lines.append(f'{{"timestamp":"2026-09-01T10:00:00Z","request":{request},"response":{response}}}')
    lines.append('{"timestamp":"2026-09-01T10:00:00Z","request":{"messages":[]},"response":{"id":"msg_x",'
                 '"usage":{"input_tokens":1,"output_tokens":1}},"metadata":{"latency_ms":Infinity}}')
    path = tmp_path / "tricky.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_fast_log_reader_reads_tricky_requests_like_the_reference(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = tricky_log(tmp_path)
    fast, reference = read_log(path, True, monkeypatch), read_log(path, False, monkeypatch)
    assert fast == reference
    # By hand: 28 lines; rejected are the 600-deep line (nested too deeply), the 5000-deep one (does not parse), the
    # bad budget and the bad max_tokens (lines 20, 21, 26, 27); the other 24 are rows.
    assert [(line, reason) for _, line, reason in fast["rejects"]] == [
        (20, "invalid JSON: nested too deeply"), (21, "invalid JSON: truncated or malformed line"),
        (26, "thinking.budget_tokens is negative: -1"), (27, "max_tokens is not a number: 'many'")]
    assert len(fast["rows"]) == 24
    caching = {row["source_line"]: row["cache_control"] for row in fast["rows"]}
    # The lines whose request names "cache_control" as a key or as a string that ends with it after a quote or
    # is it (8 to 10, 12 to 14, 16, 17); not line 11 (the words followed by more text) nor 15
    assert sorted(n for n, asked in caching.items() if asked) == [8, 9, 10, 12, 13, 14, 16, 17]


def test_fast_prompt_columns_by_hand() -> None:
    """The fingerprints are the SHA-256 of the canonical JSON text (keys sorted, no spaces, no ASCII escapes, no
    cache_control keys) of tools + system, and of tools + system + all messages but the last, written out here."""
    import hashlib

    from finops.ingest.fast_logs import loads, prompt_columns_fast
    from finops.ingest.request_features import request_columns

    request = loads('{"model":"m","max_tokens":5,"system":[{"type":"text","text":"h\u00e9","cache_control":'
                    '{"type":"ephemeral"}}],"messages":[{"role":"user","content":"a"},{"content":"b","role":'
                    '"assistant"},{"role":"user","content":"\U0001f600"}]}')
    system = '{"system":[{"text":"h\u00e9","type":"text"}],"tools":[]}'
    prefix = ('{"messages":[{"content":"a","role":"user"},{"content":"b","role":"assistant"}],'
              '"system":[{"text":"h\u00e9","type":"text"}],"tools":[]}')
    last = '[{"content":"\U0001f600","role":"user"}]'
    columns = request_columns(request, prompt_columns_fast)
    assert columns["system_fingerprint"] == hashlib.sha256(system.encode()).hexdigest()[:24]
    assert columns["prefix_fingerprint"] == hashlib.sha256(prefix.encode()).hexdigest()[:24]
    # prefix, in characters: '{"messages":[' 13, the first message 29, ',' 1, the second 34, '],"system":' 11,
    # the system list 29 (the é is one character), ',"tools":[]}' 12: 129. last: '[' + 29 + ']' = 31 (the emoji is
    # one character, four bytes).
    assert columns["prefix_chars"] == 129 and len(prefix) == 129
    assert columns["prompt_chars"] == 129 + 31 and len(last) == 31
    assert columns["cache_control"] is True and columns["tool_count"] == 0 and columns["max_tokens"] == 5


def test_fast_log_reader_does_not_fall_back_on_plain_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not a timing: plain lines are fingerprinted by the fast code, not handed to the reference computation."""
    from finops.ingest import fast_logs

    called: list[int] = []
    original = fast_logs.prompt_columns
    monkeypatch.setattr(fast_logs, "prompt_columns", lambda *a: called.append(1) or original(*a))
    path = tricky_log(tmp_path)
    result = read_log(path, True, monkeypatch)
    # By hand, from tricky_requests(): nine lines go to the reference: 2 to 7 (integers beyond 64 bits, floats in
    # exponent form, NaN, a lone surrogate), 19 and 20 (nested beyond orjson's 255 levels) and 28 (Infinity in the
    # metadata). Line 21, nested 5,000 deep, does not parse. The other 18 lines are the fast code's.
    assert len(called) == 9
    assert len(result["rows"]) == 24


def test_orjson_writes_strings_and_key_order_as_json_dumps() -> None:
    """The two facts the fast fingerprints rest on, checked over every code point but the surrogates."""
    import json

    from finops.ingest.fast_logs import _part

    text = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    assert _part(text) == (json.dumps(text, ensure_ascii=False).encode("utf-8"), False)
    keys = {c: i for i, c in enumerate(text[::97])}
    assert _part(keys) == (json.dumps(keys, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode(), False)


def _json_values() -> Any:
    from hypothesis import strategies as st

    text = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, blacklist_categories=()), max_size=8)
    keys = st.sampled_from(["cache_control", "type", "text", "content", "\u00e9", "Z", ""]) | text
    strings = st.sampled_from(["cache_control", 'x"cache_control', "cache_control\"", "\u2028"]) | text
    scalars = (st.none() | st.booleans() | st.integers() | st.integers(-2**64 - 2, 2**64 + 2)
               | st.floats(allow_nan=True, allow_infinity=True) | strings)
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
                        max_leaves=20)


def test_fast_prompt_columns_equal_the_reference_on_random_requests() -> None:
    """Random requests (any JSON value in system, tools, messages and the rest: huge integers, every float, lone
    surrogates, cache_control as key and value), written as a log would write them and parsed by the fast path's
    parser: the fast columns are the reference's."""
    import json

    from finops.ingest import fast_logs
    from finops.ingest.request_features import prompt_columns, request_columns
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    values = _json_values()
    requests = st.fixed_dictionaries({}, optional={
        "system": values, "tools": st.lists(values, max_size=3) | values, "messages": st.lists(values, max_size=4)
        | values, "cache_control": values, "metadata": values, "temperature": st.floats()})

    # Cheap examples: four times the profile's budget (80 in `make test`, 400 under CI: tests/conftest.py).
    @settings(max_examples=settings.default.max_examples * 4, deadline=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(requests)
    def check(request: dict[str, Any]) -> None:
        parsed = fast_logs.loads(json.dumps(request))  # ASCII escapes: a lone surrogate travels as \\udXXX
        assert request_columns(parsed, fast_logs.prompt_columns_fast) == request_columns(parsed, prompt_columns)

    check()


REQUEST_LOGS = sorted(p for root in ("fixtures", "hostile") for fmt in ("anthropic_log", "bedrock_invocation")
                      for p in (HERE / root / fmt).iterdir())


def _loaded(paths: list[Path], apart: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, ...]:
    """Tables and accounting after ingest.load, large files read by worker processes or in this one: usage,
    rejects, per-file accounting, skipped files, bill lines."""
    import duckdb

    from finops import ingest

    monkeypatch.setattr(ingest, "APART_MIN_BYTES", 0 if apart else 2**62)
    monkeypatch.setattr(ingest, "PROCESSES", 2)
    con = duckdb.connect()
    result = ingest.load(paths, con)
    usage = con.execute("SELECT * FROM usage ORDER BY source_file, source_line, record_id").fetchall()
    rejects = con.execute("SELECT * FROM rejects ORDER BY ALL").fetchall()
    billing = con.execute("SELECT * FROM billing ORDER BY source_file, source_line, record_id").fetchall()
    return usage, rejects, [dataclasses.asdict(s) for s in result.files], result.skipped, billing


@pytest.mark.parametrize("here", [False, True], ids=["every share in a worker", "the first share read here"])
def test_request_logs_read_in_worker_processes_load_what_one_process_loads(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, here: bool) -> None:
    """With this process reading files too (as ingest.load does), it may read them all before a spawned worker
    starts: without it, every file goes through a worker, its rows through the queue and the inserts."""
    from finops.ingest import workers

    from finops import ingest

    monkeypatch.setattr(workers, "BATCH_ROWS", 3)  # many batches per file: rows, rejects and files interleave
    monkeypatch.setattr(workers, "INSERT_ROWS", 5)  # rows received inserted as they come, not only at the end
    paths = [*REQUEST_LOGS, tricky_log(tmp_path)]
    apart_read: list[set[Path]] = []
    original = ingest._read_logs_apart
    monkeypatch.setattr(ingest, "_read_logs_apart", lambda *a: apart_read.append(original(*a)) or apart_read[-1])
    inserted: list[int] = []  # rows in each insert of received rows
    original_insert, original_read = workers._insert, workers.read

    def counted(con: Any, table: str, pending: list[Any]) -> None:
        inserted.append(sum(t.num_rows for t in pending))
        original_insert(con, table, pending)

    monkeypatch.setattr(workers, "_insert", counted)
    if not here:
        monkeypatch.setattr(workers, "read", lambda *a, **kw: original_read(*a, **{**kw, "here": None}))
    one, apart = _loaded(paths, False, monkeypatch), _loaded(paths, True, monkeypatch)
    logs = {p for p in paths if ingest.detect(p)[0]}  # all but the empty file
    assert apart_read[0] == set() and apart_read[1] == logs and len(logs) == len(paths) - 1  # all apart the 2nd time
    assert apart == one
    assert len(one[0]) > 40 and len(one[1]) > 20  # rows and rejects from several files: the comparison has teeth
    if not here:  # every row staged came from a worker, in several inserts while they read
        assert sum(inserted) == sum(f["rows_staged"] for f in one[2]) and len([n for n in inserted if n]) > 2


class _DyingChannel:
    """A worker's queue that, instead of saying its files-th file is finished, dies (its batches were sent)."""

    def __init__(self, channel: Any, files: int) -> None:
        self.channel, self.files = channel, files

    def put(self, message: tuple[str, int, Any]) -> None:
        import os

        if message[0] == "file":
            self.files -= 1
            if self.files == 0:
                self.channel.close()
                self.channel.join_thread()  # every batch sent is in the pipe
                os._exit(3)
        self.channel.put(message)


def dying_worker(w: int, job: list[tuple[str, str, str]], taken: Any, channel: Any, batch_rows: int) -> None:
    """A worker (run in a spawned process) that dies as it is about to say its second file is finished."""
    from finops.ingest import workers

    workers.work(w, job, taken, _DyingChannel(channel, 2), batch_rows)


@pytest.mark.parametrize("here", [False, True], ids=["every share in a worker", "the first share read here"])
def test_files_of_a_worker_that_died_are_read_again_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         here: bool) -> None:
    """A worker that dies mid-file: the rows and rejects it sent of that file are removed and the file is read in
    this process: the tables and accounting are those of one process (each worker dies at its second file, with
    rows and rejects sent: kept twice, they would show). With this process reading files too (as ingest.load
    does), the one worker dies the same way."""
    import time

    from finops.ingest import workers

    paths = [*REQUEST_LOGS, tricky_log(tmp_path)]
    one = _loaded(paths, False, monkeypatch)
    # Small batches, inserted as they come: the rows a worker sent of the file it died in are in the table already
    monkeypatch.setattr(workers, "BATCH_ROWS", 3)
    monkeypatch.setattr(workers, "INSERT_ROWS", 5)
    original, original_next = workers.read, workers.next_file
    died: list[set[Path]] = []
    counters: list[Any] = []  # the shared counter of files taken, as this process takes its own

    def next_here(taken: Any, files: int) -> int | None:
        counters.append(taken)
        return original_next(taken, files)

    def dying(*args: Any, **kwargs: Any) -> Any:
        read_here = kwargs.pop("here", None)
        if here:  # held back until the worker, however slow to start, has taken two files (it dies at its second)
            mine = 0

            def slowly(*a: Any) -> None:
                nonlocal mine
                mine += 1
                deadline = time.monotonic() + 60
                while counters[-1].value - mine < 2 and time.monotonic() < deadline:
                    time.sleep(0.01)
                read_here(*a)

            kwargs["here"] = slowly
        done, tables = original(*args, target=dying_worker, **kwargs)
        died.append({p for p, _ in args[0]} - done)
        return done, tables

    monkeypatch.setattr(workers, "read", dying)
    monkeypatch.setattr(workers, "next_file", next_here)  # this process's only: a spawned worker imports its own
    assert _loaded(paths, True, monkeypatch) == one
    # the worker left at least its second file (and, with no file read here, every file it had taken), read here
    assert len(died) == 1 and len(died[0]) >= (1 if here else 2)


def test_sample_objects_are_parsed_as_far_as_a_sniff_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sample's JSON objects are parsed lazily (ingest.ParsedObjects): the same objects in the same order as
    parsing every line first, and a Claude Code transcript is detected after parsing its first line only."""
    import json

    import finops.ingest as ingest_module

    lines = ['{"a": 1}', "not json", '  {"b": [2]}', "[1, 2]", '{"c": 3', "", '{"d": {"e": null}}', '"x"']
    objects = ingest_module.ParsedObjects(lines)
    assert objects[:2] == [{"a": 1}, {"b": [2]}]  # by hand: the lines that are whole JSON objects
    assert list(objects) == [{"a": 1}, {"b": [2]}, {"d": {"e": None}}] and len(objects) == 3
    partial = ingest_module.ParsedObjects(lines)
    assert next(iter(partial)) == {"a": 1} and list(partial) == [{"a": 1}, {"b": [2]}, {"d": {"e": None}}]
    transcript = tmp_path / "projects" / "p" / "s.jsonl"
    transcript.parent.mkdir(parents=True)
    record = {"sessionId": "s1", "uuid": "u1", "type": "user", "message": {"role": "user", "content": "hi"}}
    transcript.write_text("\n".join(json.dumps({**record, "uuid": f"u{i}"}) for i in range(20)) + "\n")
    parsed: list[str] = []
    original = json.loads

    def counting(text: Any, *args: Any, **kwargs: Any) -> Any:
        parsed.append(text)
        return original(text, *args, **kwargs)

    monkeypatch.setattr(ingest_module.json, "loads", counting)
    assert ingest_module.detect(transcript) == ("claude_code", "")
    assert len(parsed) == 2  # the first line for first_obj, and again as the first of the objects


# ---- bulk reading of the AWS FOCUS export's Claude lines (ingest/bulk_focus.py) -------------------------------

FOCUS_MUTATIONS: dict[str, list[str]] = {
    "BilledCost": ["6", "6.0000005", "-0.5", "", "1e30", "6E-7", "x", " 6 ", "0", "-0", "-0.0000004", "0.0000025",
                   "-0.0000035", "007.5", "0.1234567890123", "99999999999.9999995"],
    "BillingAccountId": ["999988887777", "", "acct\u00fc"],
    "BillingCurrency": ["USD", "usd", " USD ", "EUR", ""],
    "ChargeCategory": ["Usage", "usage", " Usage ", "Credit", "Tax", "Adjustment", "Purchase", "", "Other"],
    "ChargeDescription": ["input", "", "Claude input", 'said "hi", twice', "Z\u00fcrich", "cr\rinside"],
    "ChargePeriodStart": ["2026-10-05T00:00:00Z", "2026-10-05T00:00:00+02:00", "2026-10-05", "", "yesterday",
                          "2026-10-05 00:00:00 UTC"],
    "ChargePeriodEnd": ["2026-10-06T00:00:00Z", "", "soon", "2026-10-05T01:00:00Z"],
    "ConsumedQuantity": ["2000000", "2", "", "0", "-2", "1E+2", "abc", "NaN", "2.5", " 3 ", "1,000", "1e20", "007",
                         "0.0000001", "0.0000000", "000.5", "3.5", "0.00000010", "10000000000000.4"],
    "ConsumedUnit": ["Tokens", "Units", "unit", "", "1K tokens", "Count", "hours"],
    "ContractedUnitPrice": ["3", "0.003", "", "0", "x", "-3", "1000"],
    "PricingQuantity": ["2", "2.0", "", "0.000001", "abc", "12345678.123456789012345", "0.5", "0.0000025",
                        "0.0000035", "1.0005", "00", "0.000000", "0.0000001", "002.50"],
    "PricingUnit": ["Units", "1M tokens", "1K Tokens", "tokens", "", "Units"],
    "PublisherName": ["Anthropic", " anthropic ", "", "Amazon Web Services", "ANTHROPIC PBC"],
    "RegionId": ["us-east-1", "", "eu-west-1"],
    "ResourceId": ["", "arn:aws:bedrock:us-east-1:111122223333:inference-profile/"
                   "us.anthropic.claude-opus-4-1-20250805-v1:0", "i-0abc"],
    "ServiceName": ["Claude Sonnet 4.6 (Amazon Bedrock Edition)", "CLAUDE HAIKU 4.5", "Claude 3 Haiku",
                    "Claude Opus 9 (Amazon Bedrock Edition)", "", "Amazon EC2", "claude"],
    "SubAccountId": ["111122223333", "", " 444455556666 ", "sk-ant-api03-" + "a" * 40, "\u00a0acct", "acct\u2028",
                     "\x85acct", "\u2003acct", "\ufeffacct", "Z\u00fcrich \u2014 1", "acct\udcfc"],
    "Tags": ['{"user:team":"search"}', "", "{}", '{"b":1,"a":[1,2]}', "not json", '["x"]', '{"t":"\\u00e9"}',
             '{"t":"\\ud800"}', '{"t":null}'],
    "x_UsageType": ["USE1-MP:USE1_InputTokenCount_Global-Units", "USE1-MP:USE1_OutputTokenCount-Units",
                    "EUW1-MP:EUW1_CacheReadInputTokenCount", "USE1-MP:USE1_CacheWrite1hInputTokenCount-Units",
                    "USE1-Claude3Haiku-input-tokens", "USE1-MP:USE1_MillionBatchInputTokens-Units",
                    "USE1-MP:USE1_Search-Units", "BoxUsage:m5.large", ""],
}
FOCUS_BASE = {"BilledCost": "6", "BillingAccountId": "999988887777", "BillingCurrency": "USD",
              "ChargeCategory": "Usage", "ChargeDescription": "input", "ChargePeriodStart": "2026-10-05T00:00:00Z",
              "ChargePeriodEnd": "2026-10-06T00:00:00Z", "ConsumedQuantity": "2000000", "ConsumedUnit": "Tokens",
              "ContractedUnitPrice": "3", "PricingQuantity": "2", "PricingUnit": "Units",
              "PublisherName": "Anthropic", "RegionId": "us-east-1", "ResourceId": "",
              "ServiceName": "Claude Sonnet 4.6 (Amazon Bedrock Edition)", "SubAccountId": "111122223333",
              "Tags": '{"user:team":"search"}', "x_UsageType": "USE1-MP:USE1_InputTokenCount_Global-Units"}


def mutated_csv(base: dict[str, str], mutations: dict[str, list[str]], seed: int, lines: int,
                line_values: Any, tweak: Any = None, spaced: float = 0.0) -> bytes:
    """A bill of Claude lines as CSV, each the base line with line_values(n) (what makes its record id unique) and
    a few fields changed to odd values (seeded), then tweak(n, values, rng) if given, with the quoting a bill may
    use: minimal, every field quoted, (a `spaced` share of lines) spaces before fields, an extra or a missing
    field."""
    import csv
    import io
    import random

    rng = random.Random(seed)
    header = list(base)
    out = io.StringIO()
    out.write(",".join(header) + "\n")
    for n in range(lines):
        values = dict(base, **line_values(n))
        for name in rng.sample(header, rng.choice([0, 1, 1, 2, 3])):
            values[name] = rng.choice(mutations[name])
        if tweak is not None:
            tweak(n, values, rng)
        fields = [values[name] for name in header]
        style = rng.random()
        if style < 0.15:
            out.write(",".join('"' + f.replace('"', '""') + '"' for f in fields) + "\n")  # every field quoted
        elif style < 0.15 + spaced:
            out.write(",".join(f" {f}" if "," not in f and '"' not in f else f'"{f}"' for f in fields) + "\n")
        elif style < 0.2 + spaced:  # an extra or a missing field
            out.write(",".join(fields + ["extra"] if rng.random() < 0.5 else fields[:-1]) + "\n")
        else:
            row = io.StringIO()
            csv.writer(row, lineterminator="\n").writerow(fields)
            out.write(row.getvalue())
    return out.getvalue().encode("utf-8", "surrogateescape")


def mutated_focus(seed: int, lines: int) -> bytes:
    """An AWS FOCUS export of mutated Claude lines; a line's period start is made unique (its record id is made from
    its values)."""

    def same_units(n: int, values: dict[str, str], rng: Any) -> None:
        if rng.random() < 0.1:  # the consumed unit is the priced one: the contracted price is the line's rate
            values["ConsumedUnit"] = values["PricingUnit"] = rng.choice(["hours", "Tokens", "Units", ""])

    return mutated_csv(FOCUS_BASE, FOCUS_MUTATIONS, seed, lines,
                       lambda n: {"ChargePeriodStart": f"2026-10-{1 + n % 28:02d}T{n % 24:02d}:00:00Z",
                                  "ChargePeriodEnd": f"2026-10-{1 + n % 28:02d}T{n % 24:02d}:59:00Z"}, same_units)


@pytest.mark.parametrize("seed", BILL_SEEDS)
def test_a_mutation_corpus_of_focus_lines_reads_like_the_reference(seed: int, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The AWS FOCUS export's Claude lines, read in bulk or handed back, give exactly the reference reader's rows,
    bill lines, rejects, notes and accounting, as CSV, CRLF CSV, gzip and text Parquet (with and without nulls)."""
    data = mutated_focus(seed, 400)
    assert_corpus_reads_like_the_reference(data, "focus", "aws_focus", tmp_path, monkeypatch)


def test_the_regular_focus_lines_are_read_in_bulk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not a timing: regular FOCUS Claude lines become rows without the per-line reader, CSV and Parquet."""
    import csv
    import io


    lines = io.StringIO()
    for n in range(40):  # the base line, each in its own hour (quoted Tags: a wholly quoted field is regular)
        csv.writer(lines, lineterminator="\n").writerow(dict(
            FOCUS_BASE, ChargePeriodStart=f"2026-10-05T{n % 24:02d}:00:00Z",
            ChargePeriodEnd=f"2026-10-{5 + n // 24:02d}T{n % 24:02d}:59:00Z").values())
    path = tmp_path / "focus.csv"
    path.write_bytes(mutated_focus(0, 0) + lines.getvalue().encode() + b"odd,\"unterminated\n")
    bulk = bulk_line_counts(monkeypatch)
    result = read(path, "aws_focus", True, monkeypatch)
    # 40 regular lines, each its own period: 40 rows, in bulk; line 42 has 2 fields where the header has 19:
    # rejected by the reference reader
    assert bulk == [40] and len(result["rows"]) == 40
    assert [(line, reason) for _, line, reason in result["rejects"]] == [(42, "expected 19 fields, found 2")]
    assert len({r["record_id"] for r in result["rows"]}) == 40
    bulk.clear()
    copy = parquet_copy(path, tmp_path / "focus.parquet", False)
    assert len(read(copy, "aws_focus", True, monkeypatch)["rows"]) == 40 and sum(bulk) == 40


def focus_lines(changes: list[dict[str, str]]) -> bytes:
    """An AWS FOCUS export: FOCUS_BASE's header, then FOCUS_BASE changed by each of `changes`, one line each."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FOCUS_BASE)
    for change in changes:
        writer.writerow(dict(FOCUS_BASE, **change).values())
    return out.getvalue().encode()


def test_plain_focus_lines_read_as_columns_by_hand(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """FOCUS lines whose values bulk_focus.focus_rows works out itself, the figures worked out here by hand: which
    quantity is the amount, the amount as its record id writes it, halves rounded to even, the unit told by the
    rate. All come in one table and equal the reference's rows; an amount below 10**-6 (written with an exponent in
    the record id) is read line by line."""
    import hashlib

    lines = [  # each its own hour; FOCUS_BASE: 2,000,000 consumed Tokens (not mere units: the consumed quantity)
        {},
        {"ConsumedUnit": "Units", "PricingQuantity": "0.0000025", "PricingUnit": "1M tokens"},  # priced: 2.5 -> 2
        {"ConsumedUnit": "Units", "PricingQuantity": "0.0000035", "PricingUnit": "1M tokens"},  # priced: 3.5 -> 4
        {"ConsumedQuantity": "007", "ConsumedUnit": "1K tokens"},  # 7 thousands; "7" in the record id
        {"ConsumedUnit": "Units"},  # priced: 2 Units at a rate of 3 = Sonnet 4.6's $3 input: millions
        {"BilledCost": "-0.0000025"},  # -> -0.000002
        {"ConsumedQuantity": "", "PricingQuantity": "002.50", "PricingUnit": "1K tokens"},  # 2,500; "2.50"
        {"ConsumedUnit": "Units", "PricingQuantity": "0.0000001", "PricingUnit": "1M tokens"},  # "1E-7": by line
    ]
    path = tmp_path / "focus.csv"
    path.write_bytes(focus_lines([dict(change, ChargePeriodStart=f"2026-10-05T{n:02d}:00:00Z",
                                       ChargePeriodEnd=f"2026-10-05T{n:02d}:59:00Z")
                                  for n, change in enumerate(lines)]))
    reference = read(path, "aws_focus", False, monkeypatch)
    found, tables = read_tables(path, "aws_focus", monkeypatch)
    assert [t.num_rows for t in tables] == [7] and as_tables(found) == as_tables(reference)
    rows = {row["record_id"]: row for row in found["rows"]}

    def row(hour: int, amount: str, cost: str = "6.000000") -> dict[str, Any]:
        # stable_id(FORMAT, start, end, usage type, account, resource, line type, description, product, amount,
        # cost, tags as JSON): the parts joined by \x1f, SHA-256, 32 hex digits
        joined = "\x1f".join(["aws_focus", f"2026-10-05 {hour:02d}:00:00", f"2026-10-05 {hour:02d}:59:00",
                              FOCUS_BASE["x_UsageType"], "111122223333", "", "usage", "input",
                              FOCUS_BASE["ServiceName"], amount, cost, '{"user:team": "search"}'])
        return rows[hashlib.sha256(joined.encode()).hexdigest()[:32]]

    assert row(0, "2000000")["input_tokens"] == 2_000_000 and row(1, "0.0000025")["input_tokens"] == 2
    assert row(2, "0.0000035")["input_tokens"] == 4 and row(3, "7")["input_tokens"] == 7_000
    assert row(4, "2")["input_tokens"] == 2_000_000 and row(6, "2.50")["input_tokens"] == 2_500
    assert str(row(5, "2000000", "-0.000002")["source_cost"]) == "-0.000002"
    assert row(7, "1E-7")["input_tokens"] == 0  # 0.1 tokens, read line by line
    assert found["stats"]["notes"] == [
        "1 line(s): usage amount in millions of tokens, by its rate against the list rate",
        "3 line(s): usage amount in millions of tokens, by its unit '1M tokens'",
        "2 line(s): usage amount in thousands of tokens, by its unit '1K tokens'",
        "2 line(s): usage amount in tokens, by its unit 'Tokens'"]


# ---- bulk reading of the Google Cloud billing export's Claude rows (ingest/bulk_gcp.py) ------------------------

_SKU = "Claude Sonnet 4.6 \u2014 Input Tokens \u2014 global \u2014 Context Window Size from 0 to 200000 Tokens"
GCP_MUTATIONS: dict[str, list[str]] = {
    "billing_account_id": ["01ABCD", "", " 01ABCD "],
    "service.description": ["", "", "Claude Opus 4.1", "Vertex AI"],
    "service_description": ["Claude Sonnet 4.6", "claude haiku 4.5", " Claude 3 Haiku", "AI Dev Tools: Claude Code",
                            "Vertex AI", "", "CLAUDE OPUS 4.1"],
    "sku_description": [_SKU, "Claude Sonnet 4.6 \u2014 Output Tokens \u2014 us-east5",
                        "Claude Sonnet 4.6 \u2014 Input Cache Write Tokens (TTL 3600 seconds) \u2014 europe-west1 "
                        "\u2014 Context Window Size from 200000 to 1000000 Tokens",
                        "Claude Sonnet 4.6 \u2013 Input Cache Read Tokens \u2013 global", "Claude 3 Haiku Input Tokens",
                        "Claude Sonnet 4.6 \u2014 Batch Input Tokens \u2014 global",
                        "Claude Sonnet 4.6 \u2014 Web Search \u2014 global", "", "Gemini \u2014 Input"],
    "sku_id": ["K1", ""],
    "usage_start_time": ["2026-07-15T00:00:00Z", "", "soon", "2026-07-15"],
    "usage_end_time": ["", "2026-07-01 00:00:00 UTC", "x"],
    "project_id": ["acme-ml-prod", "", " p ", "Z\u00fcrich", "\u00a0p"],
    "project_name": ["Acme", ""],
    "location_region": ["europe-west1", "", "global"],
    "location_location": ["us", ""],
    "resource_name": ["", "r1"],
    "cost": ["5.5", "0", "", "-1", "x", "1e30", "5.5000005", " 2 ", "-0", "0.0000025", "-0.0000035", "007.5",
             "99999999999.9999995", "0.1234567890123"],
    "currency": ["USD", "usd", "EUR", ""],
    "usage_amount": ["1000000", "", "1.5", "-5", "abc", "1E+3", "1e20", "2.5", "0.5", "007", "0", "10000000000000",
                     "10000000000000.5", "10000000000001"],
    "usage_unit": ["count", "tokens", "", "requests", "1M tokens", " Count "],
    "usage_amount_in_pricing_units": ["1", "", "0.5", "x"],
    "usage_pricing_unit": ["1M tokens", "1K tokens", "", "requests"],
    "cost_type": ["regular", "", "tax", "adjustment", "rounding_error", "Regular", "other"],
    "credits": ["[]", "", '[{"name":"Promo","amount":-0.25,"type":"PROMOTION"}]', '[{"amount":0}]', "garbage"],
    "labels": ['[{"key":"team","value":"docs"}]', "[]", "", '{"a":"b"}', '[{"key":"t","value":"\\ud800"}]', "x"],
}
GCP_BASE = {"billing_account_id": "01ABCD", "service.description": "", "service_description": "Claude Sonnet 4.6",
            "sku_description": _SKU, "sku_id": "K1", "usage_start_time": "", "usage_end_time": "",
            "project_id": "acme-ml-prod", "project_name": "Acme", "location_region": "global",
            "location_location": "us", "resource_name": "", "cost": "3", "currency": "USD", "usage_amount": "1000000",
            "usage_unit": "count", "usage_amount_in_pricing_units": "1", "usage_pricing_unit": "1M tokens",
            "cost_type": "regular", "credits": "[]", "labels": '[{"key":"team","value":"docs"}]'}


def mutated_gcp(seed: int, lines: int) -> bytes:
    """A Google Cloud billing export (CSV) of mutated Claude rows, each row in its own hour (its record id is made
    from its values)."""
    return mutated_csv(GCP_BASE, GCP_MUTATIONS, seed, lines,
                       lambda n: {"usage_start_time": f"2026-07-{1 + n % 28:02d} {n % 24:02d}:00:00 UTC",
                                  "usage_end_time": f"2026-07-{1 + n % 28:02d} {n % 24:02d}:59:00 UTC"})


@pytest.mark.parametrize("seed", BILL_SEEDS)
def test_a_mutation_corpus_of_gcp_rows_reads_like_the_reference(seed: int, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The Google Cloud billing export's Claude rows, read in bulk or handed back, give exactly the reference
    reader's rows, bill lines (credits included), rejects, notes and accounting, as CSV, CRLF CSV and gzip."""
    data = mutated_gcp(seed, 400)
    assert_corpus_reads_like_the_reference(data, "gcp", "gcp_billing", tmp_path, monkeypatch, parquet=False)


def test_the_regular_gcp_rows_are_read_in_bulk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not a timing: regular Google Cloud Claude rows (em dashes in their SKUs) become rows without the per-line
    reader."""

    path = tmp_path / "gcp.csv"
    path.write_bytes(mutated_gcp(0, 0) + b"\n".join(
        ",".join(dict(GCP_BASE, usage_start_time=f"2026-07-15 {n:02d}:00:00 UTC", labels="[]").values()).encode()
        for n in range(20)) + b"\nodd,\"unterminated\n")
    bulk = bulk_line_counts(monkeypatch)
    result = read(path, "gcp_billing", True, monkeypatch)
    # 20 regular rows, each its own hour: 20 rows, in bulk; line 22 has 2 fields where the header has 21: rejected
    assert bulk == [20] and len(result["rows"]) == 20 and len({r["record_id"] for r in result["rows"]}) == 20
    assert [(line, reason) for _, line, reason in result["rejects"]] == [(22, "expected 21 fields, found 2")]
    assert result["stats"]["notes"] == ["20 row(s): tokens from usage.amount (count)"]


def test_plain_gcp_rows_read_as_columns_by_hand(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Google Cloud rows whose values bulk_gcp.gcp_rows works out itself, the figures worked out here by hand:
    halves rounded to even, costs rounded to 6 decimals, a negative zero cost, the record id's parts. The rows
    counted in tokens come in one table and equal the reference's rows; an end before the start is rejected and a
    unit other than a count read line by line."""
    import hashlib

    changes = [  # each its own hour; GCP_BASE: 1,000,000 input tokens counted, $3
        {}, {"usage_amount": "2.5"}, {"usage_amount": "3.5"}, {"usage_amount": "007"}, {"cost": "0.0000025"},
        {"cost": "-0"}, {"cost": "-0.0000035", "resource_name": "r1"},
        {"usage_unit": "requests"},  # not a count: the pricing units (1 x 1M tokens), line by line
        {"usage_end_time": "2026-07-15 00:00:00 UTC"},  # an end before the start: rejected
    ]
    import csv
    import io

    out = io.StringIO()  # the labels quoted (they hold commas and quotes), a regular field
    for n, change in enumerate(changes):
        csv.writer(out, lineterminator="\n").writerow(dict(
            GCP_BASE, usage_start_time=f"2026-07-15 {n + 1:02d}:00:00 UTC",
            **{"usage_end_time": f"2026-07-15 {n + 1:02d}:59:00 UTC", **change}).values())
    path = tmp_path / "gcp.csv"
    path.write_bytes(mutated_gcp(0, 0) + out.getvalue().encode())
    reference = read(path, "gcp_billing", False, monkeypatch)
    found, tables = read_tables(path, "gcp_billing", monkeypatch)
    assert [t.num_rows for t in tables] == [7] and as_tables(found) == as_tables(reference)
    rows = {row["record_id"]: row for row in found["rows"]}

    def row(n: int, cost: str = "3.000000", resource: str = "") -> dict[str, Any]:
        # stable_id(FORMAT, account, service, sku, sku id, start, end, project, region, resource, labels as JSON,
        # kind, cost)
        joined = "\x1f".join(["gcp_billing", "01ABCD", "Claude Sonnet 4.6", _SKU, "K1", f"2026-07-15 {n:02d}:00:00",
                              f"2026-07-15 {n:02d}:59:00", "acme-ml-prod", "global", resource,
                              '{"team": "docs"}', "usage", cost])
        return rows[hashlib.sha256(joined.encode()).hexdigest()[:32]]

    assert row(1)["input_tokens"] == 1_000_000 and row(1)["tags"] == '{"team": "docs"}'
    assert row(2)["input_tokens"] == 2 and row(3)["input_tokens"] == 4 and row(4)["input_tokens"] == 7
    assert str(row(5, "0.000002")["source_cost"]) == "0.000002" and row(6, "-0.000000")["source_cost"] == 0
    assert str(row(7, "-0.000004", "r1")["source_cost"]) == "-0.000004"
    assert row(8)["input_tokens"] == 1_000_000
    assert [(line, reason) for _, line, reason in found["rejects"]] == [
        (10, "usage_end_time is not after usage_start_time")]
    assert found["stats"]["notes"] == ["7 row(s): tokens from usage.amount (count)",
                                       "1 row(s): tokens from usage.amount_in_pricing_units x '1M tokens'"]


# ---- Claude Code transcripts (ingest/fast_claude_code.py): msgspec's reader against the reference ------------------
# The fast path builds only each file's best row per record (finops.schema.KEEP_BEST within the file; the other rows
# are counted as staged and dropped by deduplication, as the reference's are): both sides are compared after
# keeping, per record, the row KEEP_BEST keeps: most tokens (the five token columns), then file, then line.

TRANSCRIPTS = sorted(p for root in ("fixtures", "hostile") for p in (HERE / root / "claude_code").rglob("*")
                     if p.is_file()) + sorted((HERE.parent / "sample_logs" / "claude-code").rglob("*.jsonl"))


def best_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from finops.schema import TOKEN_COLUMNS

    kept: dict[str, dict[str, Any]] = {}
    for row in rows:
        rank = (-sum(row[c] or 0 for c in TOKEN_COLUMNS), row["source_file"], row["source_line"])
        if row["record_id"] not in kept or rank < kept[row["record_id"]]["rank"]:
            kept[row["record_id"]] = {"rank": rank, "row": row}
    return sorted((k["row"] for k in kept.values()), key=lambda r: (r["source_line"], r["record_id"]))


def transcript(path: Path, fast: bool) -> dict[str, Any]:
    """A transcript read by the fast path (rows as columns) or the reference: kept rows, rejects, accounting. The
    rows as DuckDB holds them once staged, each path's own way (ingest.Stager: the reference's as Arrow tables,
    the fast path's through a JSON file, fast_claude_code.Rows.insert)."""
    import duckdb
    from finops.ingest import Stager

    from finops.schema import create_table_sql

    con = duckdb.connect()
    con.execute(create_table_sql("usage_raw"))
    stager = Stager(con)
    tables: list[Any] = []
    rejects: list[tuple[str, int, str]] = []
    stats = FileStats(path=str(path), format="claude_code")

    def table(rows: Any) -> None:
        tables.append(rows)
        stager.table(rows)

    read_file(path, stats, stager.row, lambda *r: rejects.append(r), None, table if fast else None)
    stager.flush()
    staged = con.execute("SELECT * FROM usage_raw")
    names = [column[0] for column in staged.description]
    every = [dict(zip(names, row, strict=True)) for row in staged.fetchall()]
    return {"rows": best_rows(every), "rejects": rejects, "stats": dataclasses.asdict(stats), "tables": len(tables)}


def same_transcript(path: Path) -> dict[str, Any]:
    reference, fast = transcript(path, False), transcript(path, True)
    assert reference.pop("tables") == 0
    tables = fast.pop("tables")
    assert fast["rows"] == reference["rows"]
    assert fast["rejects"] == reference["rejects"]
    assert fast["stats"] == reference["stats"]
    return {**fast, "tables": tables}


# The fast path decodes a chunk of lines in one call, a chunk that fails line by line: at its real size, a chunk of
# one line (every line decoded in bulk alone) and of a few lines (bad lines among good ones, at each chunk edge).
CHUNKS = [fast_claude_code.CHUNK_BYTES, 0, 700]
# Rows staged per line of Rows.insert's JSON file, with each chunk size: the real one, one, a few.
LINE_ROWS = {fast_claude_code.CHUNK_BYTES: fast_claude_code.LINE_ROWS, 0: 1, 700: 3, 1500: 2}


@pytest.mark.parametrize("chunk", CHUNKS)
@pytest.mark.parametrize("path", TRANSCRIPTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_transcripts_read_by_msgspec_like_the_reference(path: Path, chunk: int,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FINOPS_NO_FAST_PATH", raising=False)
    monkeypatch.setattr(fast_claude_code, "CHUNK_BYTES", chunk)
    monkeypatch.setattr(fast_claude_code, "LINE_ROWS", LINE_ROWS[chunk])
    same_transcript(path)


ASSISTANT = {"parentUuid": "p", "isSidechain": False, "sessionId": "s-1", "type": "assistant", "uuid": "u",
             "requestId": "req_1", "timestamp": "2026-09-01T10:00:01.000Z",
             "message": {"model": "claude-opus-4-6", "id": "msg_1", "type": "message", "role": "assistant",
                         "content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn",
                         "usage": {"input_tokens": 3, "cache_creation_input_tokens": 100,
                                   "cache_read_input_tokens": 50, "output_tokens": 10, "service_tier": "standard",
                                   "cache_creation": {"ephemeral_5m_input_tokens": 40,
                                                      "ephemeral_1h_input_tokens": 60}}}}
# (where, values): a field set to one of the values; where is a path of keys into ASSISTANT.
TRANSCRIPT_MUTATIONS: list[tuple[tuple[str, ...], list[Any]]] = [
    (("message", "usage", "input_tokens"), [0, 7, -1, 1.0, 2.5, "12", "1,000", True, None, 10**7, 10**7 + 1,
                                            10**13, 10**20, 2**64]),
    (("message", "usage", "output_tokens"), [0, 1, 99, None, "x", False, 5_000_000]),
    (("message", "usage", "cache_read_input_tokens"), [0, None, 9_999_999, 50_000_000, "50", -3]),
    (("message", "usage", "cache_creation_input_tokens"), [0, None, 30, 500, 1.5]),
    (("message", "usage", "cache_creation"), [None, {}, {"ephemeral_5m_input_tokens": 7}, [], "x", 3,
                                              {"ephemeral_1h_input_tokens": 200, "ephemeral_5m_input_tokens": 1},
                                              {"ephemeral_5m_input_tokens": -1}]),
    (("message", "usage", "output_tokens_details"), [None, {"thinking_tokens": 4}, {"thinking_tokens": 11},
                                                     {"thinking_tokens": None}, [], {"thinking_tokens": "2"}]),
    (("message", "usage", "server_tool_use"), [None, {"web_search_requests": 2}, {"web_search_requests": -2}, 5]),
    (("message", "usage", "service_tier"), ["batch", "priority", "priority_on_demand", None, 3, ["batch"]]),
    (("message", "usage", "speed"), ["fast", "slow", None, 1]),
    (("message", "usage", "inference_geo"), ["US", "global", "", None, 5, "x" * 600, "a\u0007b"]),
    (("message", "usage"), [None, [], "usage", 0, {}]),
    (("message", "model"), ["<synthetic>", "", None, 7, "anthropic.claude-3-5-sonnet-20241022-v2:0",
                            "claude-3-5-haiku@20241022", "Claude \u00e9", "gpt-4o"]),
    (("message", "id"), ["", None, 5, "msg_2", "msg\u001f1", "m\u00e9"]),
    (("message", "role"), ["assistant", "user", None]),
    (("message", "stop_reason"), [None, "tool_use", 3, "a\nb", "sk-ant-api03-abcdefghijklmnop"]),
    (("message",), [None, [], "m"]),
    (("type",), ["user", None, "Assistant", 1, "summary"]),
    (("isApiErrorMessage",), [True, False, "true", 1, None]),
    (("requestId",), [None, "", 5, "req_\u00e9", "a" * 700, "jane.doe@example.com", "x\ty"]),
    (("sessionId",), [None, "", ["s"], "Bearer abcdefghijklmnop", "\u202e"]),
    (("timestamp",), ["2026-09-01T10:00:01Z", "2026-09-01T10:00:01.123456Z", "2026-09-01T10:00:01.1234567Z",
                      "2026-09-01T10:00:01.12Z", "2026-09-01T10:00:01z", "2026-09-01T10:00:01+02:00",
                      "2026-09-01 10:00:01", "2026-02-29T00:00:00Z", "2028-02-29T00:00:00.000Z",
                      "2026-04-31T00:00:00Z", "2100-01-01T00:00:00Z", "2019-12-31T23:59:59Z",
                      "2026-13-01T00:00:00Z", "2026-09-01T24:00:00Z", "2026-09-01T10:60:00Z", " 2026-09-01T10:00:01Z",
                      1790000000, 1790000000000, None, "", "yesterday"]),
    (("costUSD",), [0, 1, 0.0123, 0.00000051, 1e-7, 12.3456789, -0.5, 1e12, 999999999999.99, "0.5", True, 1e300]),
]
# Raw text changes after the line is written: JSON that json.loads and msgspec might read apart.
TRANSCRIPT_TEXT = [
    lambda t: t.replace('"output_tokens":', '"output_tokens":99,"output_tokens":', 1),  # repeated keys: last wins
    lambda t: t.replace('"type":"assistant"', '"type":"assistant","type":"user"', 1),
    lambda t: t.replace('"type":"assistant"', '"type":"user","type":"assistant"', 1),
    lambda t: t.replace('"usage":{', '"usage":{"input_tokens":1,"output_tokens":1},"usage":{', 1),
    lambda t: t.replace('"message":{', '"message":{"usage":null},"message":{', 1),
    lambda t: t.replace('"id":"', '"i\\u0064":"', 1),  # an escaped key
    lambda t: t.replace('"hi"', '"\\ud800"'),  # a lone surrogate, unused
    lambda t: t.replace('"req_1"', '"req_\\udc00"'),  # a lone surrogate, used
    lambda t: t.replace('"hi"', '"\\ud83d\\ude00"'),  # a pair
    lambda t: t.replace('"hi"', 'NaN'),
    lambda t: t.replace('"hi"', 'Infinity'),
    lambda t: t.replace('"hi"', '1e400'),
    lambda t: t.replace('"hi"', '123456789012345678901234567890'),
    lambda t: t.replace('"hi"', '[' * 600 + ']' * 600),
    lambda t: t.replace('"hi"', '[' * 2000 + ']' * 2000),
    lambda t: t.replace('"hi"', '"' + "{[" * 300 + '"'),  # brackets in a string: not nesting
    lambda t: t.replace('"hi"', '"a\\tb\\u0000c\\/"'),
    lambda t: t.replace('"hi"', '"\t"'),  # a raw control character
    lambda t: t[:-1] + ",}",  # a trailing comma
    lambda t: t[: len(t) // 2],  # cut short
    lambda t: t + " ",
    lambda t: " " + t,
    lambda t: t + "x",
    lambda t: "[" + t + "]",
    lambda t: t.replace("3,", "3 ,", 1),
    lambda t: t.replace('"hi"', '"the \\"assistant\\" said"'),
    # An escaped type reads as "assistant" (json.loads and msgspec alike), but only the text passes the pre-filter:
    # with "usage" still written the line is a row; with every "assistant" and "usage" escaped, an ignored line.
    lambda t: t.replace('"type":"assistant"', '"type":"\\u0061ssistant"', 1),
    lambda t: t.replace('"assistant"', '"\\u0061ssistant"').replace('"usage"', '"\\u0075sage"'),
]
TRANSCRIPT_BYTES = [
    lambda b: b"\xef\xbb\xbf" + b,  # a BOM
    lambda b: b + b"\r",  # CRLF
    lambda b: b + b"\r\r",
    lambda b: b.replace(b'"hi"', b'"\xff\xfe"'),  # not UTF-8, in an unused field
    lambda b: b.replace(b'"claude-opus-4-6"', b'"claude-\xe9"'),  # not UTF-8, in a used field
    lambda b: b.replace(b'"hi"', "\"caf\u00e9 \u2603\"".encode()),  # UTF-8
    lambda b: b.replace(b'"hi"', b'"\xed\xa0\x80"'),  # an encoded surrogate
    lambda b: b.replace(b'"s-1"', b'"s-\xc3\xa9"'),
]
OTHER_LINES = [b"", b"   ", b"\r", b"not json", b"{}", b'{"type":"user","message":{"role":"user","content":"hi"}}',
               b'{"type":"summary","summary":"assistant","leafUuid":"l"}', b"[1,2]", b'"assistant"', b"{bad}",
               b'{"usage": 1', b'{"message":{"role":"assistant","usage":{"input_tokens":1,"output_tokens":1},'
               b'"model":"claude-haiku-4-5"},"timestamp":"2026-09-01T10:00:00Z"}', b"\xef\xbb\xbf{}", b"\x00\x01",
               b'{"type":"user","message":{"content":"\\"usage\\""}}', b"{\"a\":1}\r", b"{\xff}", b"[1,",
               b"[bad]", b'{"a":1', b"1", b"null", b"{\"a\":1}x",
               # two objects on one line, as a JSON stream or an array reader would split them
               b'{"type":"user"} {"type":"user"}', b'{"type":"user"}],[{"type":"user"}', b'{"a":[[{}', b'{}]]}']


def mutated_transcript(seed: int, lines: int) -> bytes:
    """Lines of ASSISTANT with a few fields changed (seeded), some then changed as text or bytes, among other
    lines; message ids drawn from a few, so that records repeat and the best row of each must be chosen."""
    import json
    import random

    rng = random.Random(seed)
    out = []
    for _ in range(lines):
        if rng.random() < 0.1:
            out.append(rng.choice(OTHER_LINES))
            continue
        obj = json.loads(json.dumps(ASSISTANT))
        obj["message"]["id"] = f"msg_{rng.randint(1, lines // 4)}"
        obj["message"]["usage"]["output_tokens"] = rng.randint(0, 40)
        for where, values in rng.sample(TRANSCRIPT_MUTATIONS, rng.choice([0, 0, 1, 1, 2, 3])):
            target = obj
            for key in where[:-1]:
                target = target.get(key) if isinstance(target, dict) else None
            if isinstance(target, dict):
                target[where[-1]] = rng.choice(values)
        text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
        if rng.random() < 0.25:
            text = rng.choice(TRANSCRIPT_TEXT)(text)
        data = text.encode("utf-8", "surrogatepass")
        if rng.random() < 0.15:
            data = rng.choice(TRANSCRIPT_BYTES)(data)
        out.append(data)
    return b"\n".join(out) + (b"\n" if seed % 2 else b"")


@pytest.mark.parametrize("chunk", CHUNKS)
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_a_mutation_corpus_of_transcript_lines_reads_like_the_reference(seed: int, chunk: int, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FINOPS_NO_FAST_PATH", raising=False)
    monkeypatch.setattr(fast_claude_code, "CHUNK_BYTES", chunk)
    monkeypatch.setattr(fast_claude_code, "LINE_ROWS", LINE_ROWS[chunk])
    path = tmp_path / "projects" / "-home-dev-app" / "session.jsonl"
    path.parent.mkdir(parents=True)
    path.write_bytes(mutated_transcript(seed, 600))
    result = same_transcript(path)
    stats = result["stats"]
    assert stats["rows_rejected"] > 20 and stats["lines_ignored"] > 20 and len(result["rows"]) > 50


@pytest.mark.parametrize("chunk", CHUNKS)
def test_deeply_nested_lines_read_like_the_reference(chunk: int, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """json.loads and msgspec stop at nearly the same depth, which moves with the caller's stack: every depth
    around it, one record each, read alike (the fast path hands such lines to the reference)."""
    import json

    monkeypatch.delenv("FINOPS_NO_FAST_PATH", raising=False)
    monkeypatch.setattr(fast_claude_code, "CHUNK_BYTES", chunk)
    monkeypatch.setattr(fast_claude_code, "LINE_ROWS", LINE_ROWS[chunk])
    lines = []
    for depth in range(400, 1100):
        obj = json.loads(json.dumps(ASSISTANT))
        obj["message"]["id"] = f"msg_{depth}"
        lines.append(json.dumps(obj, separators=(",", ":")).replace('"hi"', "[" * depth + "]" * depth))
    path = tmp_path / "deep.jsonl"
    path.write_text("\n".join(lines) + "\n")
    stats = same_transcript(path)["stats"]
    assert stats["rows_rejected"] > 50 and stats["rows_staged"] > 400  # both sides of json.loads' limit


def test_every_mutation_is_met_in_the_corpus() -> None:
    """The corpus above holds each of its changes: a change never drawn would test nothing."""
    import json

    corpus = b"\n".join(mutated_transcript(seed, 600) for seed in (1, 2, 3, 4))
    assert all(line in corpus.split(b"\n") for line in OTHER_LINES if line)
    for where, values in TRANSCRIPT_MUTATIONS:
        for value in values:
            if isinstance(value, str | int | float) and not isinstance(value, bool) and value != "":
                written = json.dumps({where[-1]: value}, ensure_ascii=False, separators=(",", ":"))[1:-1]
                assert written.encode() in corpus, (where, value)


def _assistant_line(message_id: str, tokens: int) -> str:
    line = json.loads(json.dumps(ASSISTANT))
    line["message"]["id"], line["message"]["usage"]["input_tokens"] = message_id, tokens
    return json.dumps(line)


@pytest.mark.parametrize("between", [
    ["   ", "{A} {B}"],  # a blank line and two values on one line: as many values as lines, one per line no more
    ["{A} {B}"],
    ["{A}\r{B}"],  # a CR alone parts JSON values too
    ["", "{A}", "\t"],
])
def test_a_chunk_whose_values_are_not_one_per_line_reads_like_the_reference(between: list[str], tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunk with lines of whitespace alone and lines of two JSON values reads like the reference. A reader that
    took a chunk's values apart by whitespace (msgspec's decode_lines) would skip the blank line and read two values
    from the other: as many values as lines, each shifted onto another line's number (tried: bench/RESULTS.md)."""
    monkeypatch.delenv("FINOPS_NO_FAST_PATH", raising=False)
    lines = [_assistant_line("msg_1", 1)]
    for n, text in enumerate(between):
        lines.append(text.replace("{A}", _assistant_line(f"msg_a{n}", 20 + n)).replace(
            "{B}", _assistant_line(f"msg_b{n}", 40 + n)))
    lines.append(_assistant_line("msg_9", 9))
    path = tmp_path / "session.jsonl"
    path.write_text("\n".join(lines) + "\n")
    read = same_transcript(path)
    assert [r["source_line"] for r in read["rows"]][:1] == [1] and read["rows"][-1]["source_line"] == len(lines)


def test_plain_transcript_lines_take_the_fast_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not a timing: Claude Code's own lines are read by msgspec, not handed to the reference one by one (else the
    fast path would be the reference under another name)."""
    import subprocess
    import sys

    from finops.ingest import claude_code

    monkeypatch.delenv("FINOPS_NO_FAST_PATH", raising=False)
    out = tmp_path / "cc"
    subprocess.run([sys.executable, str(HERE.parent / "bench" / "generate.py"), "claude-code", "2MB", str(out)],
                   check=True, capture_output=True)
    [first, *_] = sorted(out.rglob("*.jsonl"))
    assert len(same_transcript(first)["rows"]) > 20
    routed: list[int] = []
    original = claude_code.handle_line
    monkeypatch.setattr(claude_code, "handle_line", lambda line, n, *a: (routed.append(n), original(line, n, *a)))
    assert transcript(first, True)["tables"] == 1 and routed == []


@pytest.mark.parametrize("line_rows", [1, 2, 2048])
def test_transcript_rows_staged_through_json_by_hand(line_rows: int, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path's rows reach DuckDB through a JSON file (Rows.insert): fractions of a second, amounts, text
    beyond ASCII, control characters and nulls arrive as written, worked out here by hand, and as the reference
    stages them; over several lines of the file (line_rows rows a line)."""
    import json
    from decimal import Decimal

    monkeypatch.delenv("FINOPS_NO_FAST_PATH", raising=False)
    monkeypatch.setattr(fast_claude_code, "LINE_ROWS", line_rows)
    stamps = ["2026-09-01T10:00:01.123Z", "2026-09-01T10:00:02.123456Z", "2026-09-01T23:59:59.999999Z"]
    costs = [0.0123, None, 12.3456789]
    sessions = ["Z\u00fcrich \u2603 \U0001f600", "tab\there", None]
    lines = []
    for i, (stamp, cost, session) in enumerate(zip(stamps, costs, sessions, strict=True)):
        obj = json.loads(json.dumps(ASSISTANT))
        obj["message"]["id"] = f"msg_{i}"
        obj["timestamp"] = stamp
        obj["sessionId"] = session
        if cost is not None:
            obj["costUSD"] = cost
        if i == 2:
            del obj["requestId"], obj["message"]["usage"]["cache_creation"]
        lines.append(json.dumps(obj, ensure_ascii=False))
    path = tmp_path / "projects" / "-home-dev-app" / "session.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = same_transcript(path)["rows"]
    assert [r["charge_period_start"] for r in rows] == [datetime(2026, 9, 1, 10, 0, 1, 123000),
                                                          datetime(2026, 9, 1, 10, 0, 2, 123456),
                                                          datetime(2026, 9, 1, 23, 59, 59, 999999)]
    assert [r["source_cost"] for r in rows] == [Decimal("0.012300"), None, Decimal("12.345679")]  # 6 places
    assert rows[0]["session_id"] == "Z\u00fcrich \u2603 \U0001f600" and rows[2]["session_id"] is None
    assert [r["request_id"] for r in rows] == ["req_1", "req_1", None]
    # the 5m/1h split as given (40 + 60), and without it all 100 writes booked as 5-minute, assumed
    assert [(r["cache_write_5m_tokens"], r["cache_write_1h_tokens"], r["cache_ttl_assumed"]) for r in rows] == [
        (40, 60, False), (40, 60, False), (100, 0, True)]
    assert [(r["source_line"], r["project"], r["input_tokens"], r["cache_read_tokens"]) for r in rows] == [
        (1, "-home-dev-app", 3, 50), (2, "-home-dev-app", 3, 50), (3, "-home-dev-app", 3, 50)]


def test_msgspec_reads_numbers_as_json_loads_does() -> None:
    """costUSD is a float in older transcripts: msgspec must give the double json.loads gives, digit for digit
    (money() writes it with str()). Random decimals and exponents, and the shortest form of random doubles."""
    import json
    import random
    import struct

    import msgspec

    rng = random.Random(7)
    decode = msgspec.json.Decoder().decode
    for _ in range(20_000):
        kind = rng.random()
        if kind < 0.4:
            text = f"{rng.randint(0, 10 ** rng.randint(1, 20))}.{rng.randint(0, 10 ** rng.randint(1, 25))}"
        elif kind < 0.7:
            text = f"{rng.randint(0, 10 ** rng.randint(1, 25))}e{rng.randint(-300, 300)}"
        else:
            text = repr(struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0])
            if "n" in text:  # nan, inf
                continue
        try:
            value = decode(text.encode())
        except msgspec.DecodeError:  # out of a double's range: json.loads gives inf, the line goes to the reference
            assert json.loads(text) in (float("inf"), float("-inf"))
            continue
        assert value == json.loads(text) and str(value) == str(json.loads(text)), text


@pytest.mark.parametrize("chunk", [fast_claude_code.CHUNK_BYTES, 0, 1500])
def test_a_bad_line_among_lines_decoded_together(chunk: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Lines are decoded a chunk at a time without a line of Python each: a line msgspec refuses in the middle of a
    chunk is read alone, with its own line number, and the lines around it stay rows with theirs. By hand: lines
    1-3 and 5-7 are responses msg_1..msg_6, line 4 is cut short (a reject), line 8 is blank (ignored)."""
    import json

    monkeypatch.delenv("FINOPS_NO_FAST_PATH", raising=False)
    monkeypatch.setattr(fast_claude_code, "CHUNK_BYTES", chunk)
    monkeypatch.setattr(fast_claude_code, "LINE_ROWS", LINE_ROWS[chunk])
    good = []
    for i in range(1, 7):
        obj = json.loads(json.dumps(ASSISTANT))
        obj["message"]["id"] = f"msg_{i}"
        good.append(json.dumps(obj, separators=(",", ":")).encode())
    lines = good[:3] + [good[3][:40]] + good[3:] + [b""]
    path = tmp_path / "session.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    alone: list[int] = []
    original = fast_claude_code._line
    monkeypatch.setattr(fast_claude_code, "_line", lambda line, n, found: (alone.append(n), original(line, n, found)))
    result = same_transcript(path)
    assert [r["source_line"] for r in result["rows"]] == [1, 2, 3, 5, 6, 7]
    assert [r["request_id"] for r in result["rows"]] == ["req_1"] * 6
    assert [line for _, line, _ in result["rejects"]] == [4]
    stats = result["stats"]
    assert (stats["rows_read"], stats["rows_staged"], stats["rows_rejected"], stats["lines_ignored"]) == (7, 6, 1, 1)
    assert sorted(set(alone)) == [4, 8]  # only the lines msgspec refuses (the cut one, the blank one) are read alone


def test_columns_built_from_buffers_equal_pa_array() -> None:
    """ingest/arrow_columns.py builds the fast path's int, boolean and string columns from their buffers: each
    equals pa.array's on random lists, nulls at random places, at lengths around a bitmap byte."""
    import random

    import pyarrow as pa
    from finops.ingest import arrow_columns

    rng = random.Random(5)
    for _ in range(2000):
        n = rng.choice([0, 1, 7, 8, 9, 16, 17, 300])
        share = rng.choice([0.0, 0.3, 1.0])
        values = {
            pa.int64(): [rng.randint(-2**63, 2**63 - 1) for _ in range(n)],
            pa.bool_(): [rng.random() < 0.5 for _ in range(n)],
            pa.string(): ["".join(rng.choice("az\u00e9\u2603\U0001f600\x00") for _ in range(rng.randint(0, 4)))
                          for _ in range(n)],
        }
        for kind, column in values.items():
            column = [None if rng.random() < share else v for v in column]
            built = arrow_columns.column(column, kind)
            built.validate(full=True)
            assert built.equals(pa.array(column, kind)), (kind, column)


def test_the_fast_path_does_not_import_pandas(tmp_path: Path) -> None:
    """pa.array on Python lists imports pandas when it is installed (a third of a CPU-second, unused), and
    pyarrow's own import (with numpy's) costs 0.12 CPU-seconds and 75 MiB: reading transcripts and staging their
    rows imports none of them (fast_claude_code.Rows.insert)."""
    import subprocess
    import sys

    out = tmp_path / "cc"
    subprocess.run([sys.executable, str(HERE.parent / "bench" / "generate.py"), "claude-code", "1MB", str(out)],
                   check=True, capture_output=True)
    script = ("import sys, duckdb\nfrom pathlib import Path\nfrom finops import ingest\n"
              f"result = ingest.load([Path({str(out)!r})], duckdb.connect())\n"
              "assert sum(f.rows_loaded for f in result.files) > 100\n"
              "print([m for m in ('pandas', 'pyarrow', 'numpy') if m in sys.modules])\n")
    run = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True)
    assert run.stdout.strip() == "[]"
    # nor a whole run over them (pricing, analyses, report sections): pipeline.run imports finops.spark_files
    whole = ("import sys\nfrom datetime import UTC, datetime\nfrom pathlib import Path\nfrom finops import pipeline\n"
             f"pipeline.run([Path({str(out)!r})], now=datetime(2026, 12, 1, tzinfo=UTC))\n"
             "print([m for m in ('pandas', 'pyarrow', 'numpy') if m in sys.modules])\n")
    run = subprocess.run([sys.executable, "-c", whole], check=True, capture_output=True, text=True)
    assert run.stdout.strip() == "[]"


def test_a_run_over_every_format_does_not_import_pandas(tmp_path: Path) -> None:
    """Nor a run over every format (tests/fixtures/, a file of each: the Python readers' rows staged as Arrow,
    bills, pricing, analyses, the report and its CSVs): pandas' import was a fifth of a CPU-second of every such
    `finops analyze` (ingest.Stager.flush made its rows with pa.Table.from_pylist)."""
    import subprocess
    import sys

    script = ("import sys\nfrom finops.cli import cli\n"
              f"cli([\"analyze\", {str(HERE / 'fixtures')!r}, \"-o\", {str(tmp_path / 'out')!r}, "
              "\"--format\", \"json,csv\", \"--quiet\"], standalone_mode=False)\n"
              "print('pandas' in sys.modules)\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == "False"
    assert (tmp_path / "out" / "report.json").is_file()


def test_records_made_arrow_from_buffers_equal_from_pylist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ingest/arrow_records.py makes the records the readers hand on one at a time an Arrow table without pa.array
    (ingest.Stager, the workers): it equals pa.Table.from_pylist on every row and bill line read from each fixture
    and hostile case of every format and from the bill mutation corpora, and on values at the edges of each type
    (nulls, decimals with fewer or more decimals than the scale, beyond the precision, negative zero,
    microseconds, integers of every size); a value it does not build from buffers goes to pa.array (the same
    errors)."""
    import random
    from datetime import datetime as dt
    from decimal import Decimal

    import pyarrow as pa
    from finops.ingest import arrow_records

    from finops.schema import ARROW_SCHEMA, BILLING_ARROW_SCHEMA

    def same(records: list[dict[str, Any]], schema: Any) -> None:
        built = arrow_records.table(records, schema)
        built.validate(full=True)
        assert built.equals(pa.Table.from_pylist(records, schema=schema))

    corpora = []
    for fmt, data in (("bedrock_cur", mutated_bill(1, 400)), ("aws_focus", mutated_focus(1, 400)),
                      ("gcp_billing", mutated_gcp(1, 400))):
        corpora.append((tmp_path / f"{fmt}.csv", fmt))
        corpora[-1][0].write_bytes(data)
    from finops.ingest import detect

    others = []  # every other format's fixtures and hostile cases, as detected
    for path in sorted(p for root in ("fixtures", "hostile") for p in (HERE / root).rglob("*") if p.is_file()):
        fmt = detect(path)[0]
        if fmt is not None and fmt not in FORMATS:
            others.append((path, fmt))
    assert len({fmt for _, fmt in others}) == 12  # every format but the four bills
    rows_of = {}
    for path, fmt in [(p, p.parent.name) for p in FILES] + corpora + others:
        result = read(path, fmt, False, monkeypatch)
        same(result["rows"], ARROW_SCHEMA)
        same(result["bills"], BILLING_ARROW_SCHEMA)
        rows_of[fmt] = rows_of.get(fmt, 0) + len(result["rows"]) + len(result["bills"])
    assert all(rows_of[fmt] for _, fmt in others), sorted(rows_of.items())  # each format's records compared
    rng = random.Random(3)
    edges: dict[Any, list[Any]] = {
        pa.decimal128(18, 6): [Decimal("0.006644"), Decimal("-0.000000"), Decimal("6"), Decimal("-1.5"),
                               Decimal("999999999999.999999"), Decimal("-999999999999.999999"), Decimal("1E+3"),
                               Decimal("0.000001")],
        pa.timestamp("us"): [dt(2026, 3, 1), dt(1969, 12, 31, 23, 59, 59, 999999), dt(2100, 1, 1, 0, 0, 0, 1),
                             dt(1970, 1, 1)],
        pa.int64(): [0, -1, 2**63 - 1, -2**63, 10**13],
        pa.int32(): [0, -1, 2**31 - 1, -2**31],
        pa.bool_(): [True, False],
        pa.string(): ["", "x", "Z\u00fcrich \u2014 1", "\U0001f600"],
    }
    for kind, values in edges.items():
        for _ in range(200):
            column = [None if rng.random() < 0.3 else rng.choice(values) for _ in range(rng.choice([1, 8, 9, 17]))]
            built = arrow_records.column(column, kind)
            built.validate(full=True)
            assert built.equals(pa.array(column, kind)), (kind, column)
    # not built from buffers: more decimals than the scale, beyond the precision, another Python type
    for kind, value in ((pa.decimal128(18, 6), Decimal("0.0000001")), (pa.decimal128(18, 6), Decimal("1E+12")),
                        (pa.decimal128(18, 6), Decimal("1.0000000")), (pa.int64(), True), (pa.int64(), 2**63)):
        try:
            expected = pa.array([value, None], kind)
        except (pa.ArrowException, OverflowError) as e:
            with pytest.raises(type(e)):
                arrow_records.column([value, None], kind)
        else:
            assert arrow_records.column([value, None], kind).equals(expected)


def test_a_bill_worker_does_not_import_pandas(tmp_path: Path) -> None:
    """A bill read in a worker process (ingest.read_apart) stages its rows, bill lines and rejects without pa.array
    on Python lists, which imports pandas (ingest/arrow_records.py): every kind of line, each bill format."""
    import subprocess
    import sys

    for fmt, data in (("bedrock_cur", mutated_bill(1, 200)), ("aws_focus", mutated_focus(1, 200)),
                      ("gcp_billing", mutated_gcp(1, 200))):
        path = tmp_path / f"{fmt}.csv"
        path.write_bytes(data)
        script = ("import sys\nfrom finops import ingest\n"
                  f"stats, rejects = ingest.read_apart({str(path)!r}, {fmt!r}, {str(tmp_path / fmt)!r})\n"
                  "assert stats.rows_staged > 100 and rejects\n"
                  "print('pandas' in sys.modules)\n")
        run = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True,
                             cwd=tmp_path)
        assert run.stdout.strip() == "False", fmt


def test_a_load_that_fails_leaves_no_transaction_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ingest.load stages the files it reads itself in one transaction: an error while reading rolls it back and
    is raised, and the connection can be used again."""
    import json

    import duckdb

    from finops import ingest

    path = tmp_path / "session.jsonl"
    path.write_text(json.dumps(ASSISTANT) + "\n")

    def failing(*args: Any) -> None:
        raise RuntimeError("disk gone")

    monkeypatch.setattr(ingest, "read_file", failing)
    con = duckdb.connect()
    with pytest.raises(RuntimeError, match="disk gone"):
        ingest.load([path], con)
    con.begin()  # would fail inside a transaction left open
    con.rollback()


def test_an_insert_that_fails_in_a_transaction_raises_its_own_error_and_leaves_no_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows.insert runs inside ingest.load's and the store's transactions: when its INSERT fails there (here a
    timestamp DuckDB cannot read), DuckDB aborts the transaction and refuses every later statement. The caller
    must see the INSERT's own error, not the refusal of the settings' restore, and the temporary file of rows
    (session and request ids) must be gone."""
    import duckdb

    from finops.schema import create_table_sql

    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    con = duckdb.connect()
    con.execute(create_table_sql("usage_raw"))
    rows = fast_claude_code.Rows({"record_id": ["r1"], "charge_period_start": ["not a time"]})
    con.begin()
    with pytest.raises(duckdb.ConversionException):
        rows.insert(con, "usage_raw")
    con.rollback()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("data", [b"\n", b"\n\n", b" \n", b"\r\n", b""], ids=repr)
def test_a_transcript_of_blank_lines_is_counted_like_the_reference(data: bytes, tmp_path: Path) -> None:
    """A file that is only line ends: each line is a blank line the reference counts as ignored (one for b"\\n",
    whose one line is empty), and the fast path counts the same."""
    path = tmp_path / "blank.jsonl"
    path.write_bytes(data)
    assert same_transcript(path)["stats"]["lines_ignored"] == data.count(b"\n")
