"""Every output is byte-for-byte the same whatever order DuckDB happens to produce rows in.

An ORDER BY without a total tie-break lets rows that sort equal come out in either order: with one thread in the
order they were stored, with several in whichever order the threads finish. So each input is analysed twice, on
DuckDB connections that differ in exactly that: one thread with the loaded rows as read, against eight threads
with the loaded usage and bill rows stored in reverse. Everything written from the run must match.
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from finops.reports import render_evidence_html, render_html

from finops import outputs, pipeline, pricing
from finops.report import to_json

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 25)


def _reversed_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Store usage and billing again, last row first (by rowid: the order they were loaded in)."""
    for table in ("usage", "billing"):
        exists = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary",
                             [table]).fetchone()[0]
        if exists:
            con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM {table} ORDER BY rowid DESC")


def outputs_of(paths: list[Path], tmp: Path, threads: int, reverse: bool,
               monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    connect: Callable[..., duckdb.DuckDBPyConnection] = duckdb.connect

    def configured(*args, **kwargs):
        con = connect(*args, **kwargs)
        con.execute(f"SET threads = {threads}")
        return con

    price_usage = pricing.price_usage

    def reordered_then_priced(con: duckdb.DuckDBPyConnection) -> None:
        if reverse:
            _reversed_tables(con)
        price_usage(con)

    with monkeypatch.context() as m:
        m.setattr(pipeline.duckdb, "connect", configured)
        m.setattr(pricing, "price_usage", reordered_then_priced)
        if threads > 1:  # pricing, the analyses and the report on every thread too (pipeline.one_thread and
            m.setattr(pipeline, "one_thread", lambda con: contextlib.nullcontext())  # SMALL_RUN_ROWS)
            m.setattr(pipeline, "SMALL_RUN_ROWS", 0)
        audit = pipeline.run(paths, now=NOW)
    try:
        # still on as many threads as asked when the report was made (nothing in the run held it to fewer)
        assert audit.con.execute("SELECT current_setting('threads')").fetchone()[0] == threads
        report = audit.report
        tmp.mkdir()
        audit.write_rejects(tmp / "rejects.csv")
        outputs.write_findings_csv(report, tmp / "findings.csv")
        outputs.write_finding_evidence_csv(report, tmp / "finding_evidence.csv")
        outputs.write_evidence_csv(report, tmp / "evidence.csv")
        written = {p.name: p.read_bytes() for p in tmp.iterdir()}
        return {**written, "report.json": to_json(report).encode(),
                "report.html": render_html(report, for_print=False).encode(),
                "evidence.html": render_evidence_html(report, for_print=False).encode(),
                "evidence.json": outputs.evidence_json(report).encode(),
                "summary.md": outputs.summary_markdown(report).encode()}
    finally:
        audit.close()


@pytest.mark.parametrize("inputs", ["tests/fixtures", "sample_logs"])
def test_outputs_do_not_depend_on_row_order_or_threads(inputs: str, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    paths = [ROOT / inputs]
    one = outputs_of(paths, tmp_path / "one", threads=1, reverse=False, monkeypatch=monkeypatch)
    other = outputs_of(paths, tmp_path / "other", threads=8, reverse=True, monkeypatch=monkeypatch)
    assert sorted(one) == sorted(other)
    assert one["report.json"].count(b'"evidence"') > 1  # not vacuous: findings with evidence rows
    for name in one:
        if one[name] != other[name]:
            diff = "\n".join(list(difflib.unified_diff(one[name].decode().splitlines(),
                                                       other[name].decode().splitlines(), lineterm=""))[:40])
            pytest.fail(f"{name} differs between the two runs:\n{diff}")
