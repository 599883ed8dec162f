"""The two rules that compare whole sources (ingest/overlap.py: telemetry a transcript already counts;
ingest/bill_groupings.py: cost queries a finer grouping covers) run in Spark, from the SQL a local run executes:
the rows they keep, the duplicates per file and the notes are a local run's, and none of the rows they judge is
handed to the driver (issue #16: only small results come back)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers import NEEDS_SPARK, load_files

from finops import spark_ingest

pytestmark = NEEDS_SPARK

OTEL_LOGS = Path(__file__).parent / "fixtures" / "claude_code_otel" / "logs.jsonl"
OTEL_METRICS = Path(__file__).parent / "fixtures" / "claude_code_otel" / "metrics.jsonl"
SESSION_1 = "6f1c2b7e-0d7a-4f7e-9a51-3d2f0c9b8e11"  # events A (req_011OT1) and B (req_011OT2, 08:02:10, Haiku)
SESSION_2 = "7a2d3c8f-1e8b-4a8f-8b62-4e3a1d0c9f22"  # event C: no request id, 09:15:00, Opus 100 in / 50 out
USER_A = "de….com #d7bc52"  # the user of session 1's events, as the reader writes it
USER_C = "a1b2c3d4-0000-4000-8000-00000000abcd"


def _assistant(session: str, uuid: str, at: str, model: str, tokens: tuple[int, int],
               request_id: str | None) -> dict[str, Any]:
    line = {"type": "assistant", "sessionId": session, "uuid": uuid, "timestamp": at,
            "message": {"id": f"msg_{uuid}", "model": model,
                        "usage": {"input_tokens": tokens[0], "output_tokens": tokens[1]}}}
    return {**line, "requestId": request_id} if request_id else line


def _cost_page(day: str, end: str, dim: str, amounts: dict[str | None, str]) -> str:
    """One Analytics cost page from day to end grouped by one dimension: cents by the dimension's value."""
    return json.dumps({"data": [
        {"starting_at": f"{day}T00:00:00Z", "ending_at": f"{end}T00:00:00Z",
         "group": {"workspace_id": None, "model": None, dim: value},
         "cost": {"amount": cents, "list_amount": cents, "currency": "USD"}}
        for value, cents in amounts.items()], "has_more": False, "next_page": None})


def _token_point(user: str) -> dict[str, Any]:
    """1000 input tokens of Sonnet by user, 2026-12-01 10:00-10:01, of no session."""
    return {"startTimeUnixNano": "1796119200000000000", "timeUnixNano": "1796119260000000000", "asInt": "1000",
            "attributes": [{"key": "user.account_uuid", "value": {"stringValue": user}},
                           {"key": "model", "value": {"stringValue": "claude-sonnet-4-6"}},
                           {"key": "type", "value": {"stringValue": "input"}}]}


def _inputs(folder: Path) -> None:
    """Telemetry with a transcript that holds every one of its calls, one way each, and cost queries of the same
    days in several groupings (one of them pulled in pages)."""
    otel = folder / "otel"
    otel.mkdir()
    shutil.copy(OTEL_LOGS, otel / "logs.jsonl")
    shutil.copy(OTEL_METRICS, otel / "metrics.jsonl")
    # Metrics without a session (OTEL_METRICS_INCLUDE_SESSION_ID=false): C's user has events that day, so its
    # point is covered; another user's is not.
    (otel / "no_session.jsonl").write_text(json.dumps({"resourceMetrics": [{"scopeMetrics": [{"metrics": [{
        "name": "claude_code.token.usage", "sum": {"aggregationTemporality": 1, "dataPoints": [
            _token_point(USER_C), _token_point("b2c3d4e5-0000-4000-8000-00000000bcde")]}}]}]}]}) + "\n")
    transcript = folder / "projects" / "-home-dev1-app" / "transcript.jsonl"
    transcript.parent.mkdir(parents=True)
    transcript.write_text("".join(json.dumps(line) + "\n" for line in [
        # A: the same request id. Kept, it takes the event's user.
        _assistant(SESSION_1, "a", "2026-12-01T08:00:31Z", "claude-sonnet-4-6", (312, 1180), "req_011OT1"),
        # B without a request id here: the same session, model and tokens, 2 min 50 s after the event.
        _assistant(SESSION_1, "b", "2026-12-01T08:05:00Z", "claude-haiku-4-5", (1000, 200), None),
        # C has no request id in the telemetry: the same session, model and tokens 2 s later; and the same call
        # shape 25 minutes later, another call that stays.
        _assistant(SESSION_2, "c", "2026-12-01T09:15:02Z", "claude-opus-4-6", (100, 50), "req_011TRX"),
        _assistant(SESSION_2, "d", "2026-12-01T09:40:00Z", "claude-opus-4-6", (100, 50), "req_011TRY")]))
    bills = folder / "bills"
    bills.mkdir()
    # 2026-10-01, pulled by workspace in two pages, and October ungrouped in one line: the pages count.
    (bills / "2026-10-01_2026-10-02_1d_page0001.json").write_text(
        _cost_page("2026-10-01", "2026-10-02", "workspace_id", {"wrkspc_A": "300", "wrkspc_B": "200"}))
    (bills / "2026-10-01_2026-10-02_1d_page0002.json").write_text(
        _cost_page("2026-10-01", "2026-10-02", "workspace_id", {None: "100"}))
    (bills / "a_cost_ungrouped.json").write_text(
        _cost_page("2026-10-01", "2026-11-01", "workspace_id", {None: "600"}))
    # 2026-11-03 by workspace and by model: one dimension each, so the first grouping by name (model) counts.
    (bills / "cost_by_workspace.json").write_text(
        _cost_page("2026-11-03", "2026-11-04", "workspace_id", {"wrkspc_A": "300", "wrkspc_B": "200"}))
    (bills / "cost_by_model.json").write_text(
        _cost_page("2026-11-03", "2026-11-04", "model", {"claude-sonnet-4-6": "400", "claude-opus-4-6": "100"}))


def _record_driver_results(patch: pytest.MonkeyPatch, spark: Any) -> list[tuple[list[str], int]]:
    """Every Spark result handed to the driver from now on (DataFrame.toArrow, collect): its columns and rows."""
    pulled: list[tuple[list[str], int]] = []
    frame = type(spark.range(0))

    def recorded(original: Any, size: Any) -> Any:
        def pull(self: Any, *args: Any, **kwargs: Any) -> Any:
            result = original(self, *args, **kwargs)
            pulled.append((list(self.columns), size(result)))
            return result
        return pull

    patch.setattr(frame, "toArrow", recorded(frame.toArrow, lambda table: table.num_rows))
    patch.setattr(frame, "collect", recorded(frame.collect, len))
    return pulled


def _files(result: Any) -> dict[str, tuple[int, int, int, list[str]]]:
    return {Path(f.path).name: (f.rows_read, f.rows_loaded, f.rows_duplicate, f.notes) for f in result.files}


def test_overlap_and_bill_groupings_run_in_spark_as_locally(spark, tmp_path):
    _inputs(tmp_path)
    con, local = load_files(tmp_path)
    with pytest.MonkeyPatch.context() as patch:
        pulled = _record_driver_results(patch, spark)
        read = spark_ingest.read(spark, [tmp_path])
    # The driver got the files' accounting and the rules' counts per file, never a row of usage or billing.
    files = len(local.files) + len(local.skipped)
    assert pulled and all("record_id" not in columns and rows <= files for columns, rows in pulled), pulled
    assert not hasattr(spark_ingest, "_on_driver")

    # Both rules fired, as worked out by hand: the three events are the transcript's calls A (by request id), B
    # (no request id in the transcript) and C (none in the event); session 1's metric interval is covered by its
    # events, and C's user's metric without a session by C's event that day; the ungrouped October line and the
    # 2026-11-03 lines by workspace are covered by finer groupings.
    by_name = _files(local)
    assert by_name["logs.jsonl"][:3] == (3, 0, 3)
    assert by_name["metrics.jsonl"][:3] == (4, 3, 1)
    assert by_name["no_session.jsonl"][:3] == (2, 1, 1)
    assert by_name["transcript.jsonl"][:3] == (4, 4, 0)
    assert by_name["a_cost_ungrouped.json"][:3] == (1, 0, 1)
    assert by_name["cost_by_workspace.json"][:3] == (2, 0, 2)
    assert by_name["cost_by_model.json"][:3] == (2, 2, 0)
    assert any("cost_by_model.json" in note for note in by_name["cost_by_workspace.json"][3])
    kept_users = dict(con.execute("SELECT strftime(charge_period_start, '%H:%M'), user_id FROM usage "
                                  "WHERE source_format = 'claude_code'").fetchall())
    # The transcript's rows take the users of the events they cover (A and B session 1's, C its own); D none.
    assert kept_users == {"08:00": USER_A, "08:05": USER_A, "09:15": USER_C, "09:40": None}

    # Spark's run: the same accounting and notes, and the same rows kept, with the same users.
    assert _files(read.result) == by_name
    columns = "record_id, source_format, source_file, user_id"
    assert sorted(tuple(r) for r in read.usage.selectExpr(*columns.split(", ")).collect()) == sorted(
        con.execute(f"SELECT {columns} FROM usage").fetchall())
    assert sorted(tuple(r) for r in read.billing.selectExpr("record_id", "source_file").collect()) == sorted(
        con.execute("SELECT record_id, source_file FROM billing").fetchall())

