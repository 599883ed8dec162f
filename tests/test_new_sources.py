"""The sources of 2026 (issue 13): the Usage and Cost Analytics API, Claude Code's analytics report, Claude Code
OpenTelemetry, FOCUS from any provider. Each fixture in tests/fixtures/<format>/ was built from the documented
shapes in formats-2026.md; every expected number below was worked out by hand from the fixture (see comments).

List prices used by hand ($ per million tokens): Sonnet 4.6 3 input, 3.75 5m write, 6 1h write, 0.30 read, 15
output; Opus 4.6 5 / 6.25 / 10 / 0.5 / 25 (US-only inference x1.1); Haiku 4.5 1 / 1.25 / 2 / 0.1 / 5. Web search
$0.01 each.
"""

from __future__ import annotations

import gzip
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
from helpers import load_files

from finops import ingest, reconcile

FIX = Path(__file__).parent / "fixtures"
A_USAGE = FIX / "anthropic_analytics_usage" / "usage_2026-11_pages.jsonl"
A_COST = FIX / "anthropic_analytics_cost" / "cost_2026-11-01.json"
CC_REPORT = FIX / "claude_code_report" / "claude_code_2026-11-20.json"
FOCUS_GCP = FIX / "focus" / "gcp_focus_1_3_2026-10.csv"
FOCUS_AZURE = FIX / "focus" / "azure_focus_1_4_no_claude.csv"
FOCUS_RESELLER = FIX / "focus" / "reseller_focus_1_2.jsonl"
OTEL_LOGS = FIX / "claude_code_otel" / "logs.jsonl"
OTEL_METRICS = FIX / "claude_code_otel" / "metrics.jsonl"
TOKENS = ("input_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens", "cache_read_tokens", "output_tokens")


def load(*paths: Path, price: bool = True) -> tuple[duckdb.DuckDBPyConnection, ingest.IngestResult]:
    return load_files(*paths, price=price)


def rows(con: duckdb.DuckDBPyConnection, sql: str, *params: Any) -> list[dict[str, Any]]:
    cursor = con.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def counts(result: ingest.IngestResult, path: Path) -> tuple[str, int, int, int, int, int]:
    (s,) = [f for f in result.files if f.path == str(path)]
    assert s.rows_read == s.rows_loaded + s.rows_rejected + s.rows_duplicate, s
    return s.format, s.rows_read, s.rows_loaded, s.rows_rejected, s.rows_duplicate, s.lines_ignored


def toks(row: dict[str, Any]) -> tuple[int, ...]:
    return tuple(row[c] for c in TOKENS)


# ---- Usage and Cost Analytics API ----------------------------------------------------------------------------


def test_a_pulled_querys_pages_in_separate_files_are_one_grouping(tmp_path: Path) -> None:
    # `finops pull` saves each page of a query as its own file (<start>_<end>_<width>_pageNNNN.json). Page 2 of
    # the fixture holds only a default-workspace row (workspace_id null): judged alone it would look grouped by
    # fewer dimensions, compete with page 1 for the same day in the spend basis, and drop out of the totals.
    folder = tmp_path / "analytics_usage" / "2026-11"
    folder.mkdir(parents=True)
    pages = A_USAGE.read_text(encoding="utf-8").splitlines()
    for number, page in enumerate(pages, 1):
        (folder / f"2026-11-01T00Z_2026-12-01T00Z_1d_page{number:04d}.json").write_text(page, encoding="utf-8")
    con, _ = load(tmp_path)
    got = rows(con, "SELECT model, grouping, in_totals, list_cost FROM priced_usage ORDER BY model")
    assert len({r["grouping"] for r in got}) == 1, got
    assert all(r["in_totals"] for r in got)
    # The same three rows as the one-file fixture: 1.7475 + 1.415 + 1.0 (worked out in the next test).
    assert sum(r["list_cost"] for r in got) == Decimal("4.1625")


def test_each_saved_page_of_a_query_is_read_once_as_a_sibling(tmp_path: Path) -> None:
    # Every page asks its siblings how the query groups; 12 pages used to mean 12 x 11 = 132 sibling reads.
    from finops.ingest import analytics_usage

    folder = tmp_path / "analytics_usage" / "2026-11"
    folder.mkdir(parents=True)
    page = A_USAGE.read_text(encoding="utf-8").splitlines()[0]
    for number in range(1, 13):
        (folder / f"2026-11-01T00Z_2026-12-01T00Z_1d_page{number:04d}.json").write_text(page, encoding="utf-8")
    analytics_usage.page_dims.cache_clear()
    load(tmp_path)
    assert analytics_usage.page_dims.cache_info().misses == 12


def test_analytics_usage_rows_map_every_dimension() -> None:
    con, result = load(A_USAGE)
    # two pages, one per line: page 1 holds 2 items, page 2 one.
    assert counts(result, A_USAGE) == ("anthropic_analytics_usage", 3, 3, 0, 0, 0)
    got = {r["model"]: r for r in rows(con, "SELECT * FROM priced_usage")}
    sonnet, opus, haiku = got["claude-sonnet-4-6"], got["claude-opus-4-6"], got["claude-haiku-4-5"]
    assert (sonnet["source_line"], opus["source_line"], haiku["source_line"]) == (1, 1, 2)  # the pages' lines
    assert toks(sonnet) == (100_000, 50_000, 10_000, 2_000_000, 40_000)
    assert (sonnet["granularity"], sonnet["platform"], sonnet["workspace"], sonnet["session_id"]) == (
        "bucket", "anthropic", "wrkspc_01Data", "sess_01A")
    # The grouping is what the file's query grouped by: the keys non-null on any of its items. Page 2's only row
    # is in the default workspace (null): still the same query, the same grouping (one source in the basis).
    assert sonnet["grouping"] == "1d:actor,inference_geo,model,product,session_id,workspace_id"
    assert haiku["grouping"] == opus["grouping"] == sonnet["grouping"]
    assert json.loads(sonnet["tags"]) == {"product": "claude_code"}
    assert sonnet["user_id"].startswith("de….com #") and "dev1@" not in sonnet["user_id"]  # masked, hashed
    assert haiku["user_id"].startswith("de….com #") and haiku["user_id"] != sonnet["user_id"]  # two people
    assert (opus["api_key_id"], opus["user_id"], opus["inference_geo"], opus["requests"]) == (
        "apikey_01Pipeline", "apikey_01Pipeline", "us", 50)
    assert (haiku["inference_geo"], haiku["workspace"]) == ("not_available", None)
    # Sonnet: 0.1 x 3 + 0.05 x 3.75 + 0.01 x 6 + 2 x 0.30 + 0.04 x 15 = 0.3 + 0.1875 + 0.06 + 0.6 + 0.6 = 1.7475
    # Opus, US-only x1.1: (0.2 x 5 + 0.01 x 25) x 1.1 = 1.375, plus 4 searches x 0.01 = 1.415
    # Haiku: 0.5 x 1 + 0.1 x 5 = 1.0
    assert (sonnet["list_cost"], opus["list_cost"], haiku["list_cost"]) == (
        Decimal("1.7475"), Decimal("1.415"), Decimal("1.0"))
    assert all(r["in_totals"] for r in got.values())
    (s,) = result.files  # the pages group by inference_geo, not by tier or speed: said in the notes
    assert s.notes == ["3 row(s) from pages not grouped by service_tier: priced as standard tier",
                       "3 row(s) from pages not grouped by speed: priced as standard speed"]


def test_analytics_cost_is_the_bill_with_its_own_list_amount() -> None:
    con, result = load(A_COST, price=False)
    # 5 items: 4 bill lines, the fifth in EUR (rejected). Numbered by position in the document.
    assert counts(result, A_COST) == ("anthropic_analytics_cost", 5, 4, 1, 0, 0)
    assert con.execute("SELECT source_line, reason FROM rejects").fetchall() == [
        (5, "amount in EUR, not USD: amounts are not converted")]
    bills = {r["source_line"]: r for r in rows(con, "SELECT * FROM billing")}
    # Cents: "1534.20" = $15.342; "88.915" = $0.88915; "2250" billed and "2500" at list = $22.50 and $25.
    assert (bills[1]["billed_cost"], bills[1]["list_cost"], bills[1]["token_class"]) == (
        Decimal("15.342"), Decimal("15.342"), "input")
    assert (bills[1]["api_key_id"], bills[1]["model"], bills[1]["platform"], bills[1]["cost_type"]) == (
        "apikey_01Rj2N8SVvo6BePZj99NhmiT", "claude-sonnet-4-6", "anthropic", "tokens")
    assert (bills[2]["billed_cost"], bills[2]["token_class"]) == (Decimal("0.88915"), "cache_read")
    assert (bills[3]["billed_cost"], bills[3]["list_cost"], bills[3]["token_class"]) == (
        Decimal("22.5"), Decimal("25"), "output")
    assert (bills[4]["cost_type"], bills[4]["token_class"], bills[4]["billed_cost"]) == (
        "web_search", None, Decimal("0.04"))


def test_analytics_reconciliation_uses_the_bills_list_amount() -> None:
    con, _ = load(A_USAGE, A_COST)
    data = reconcile.reconcile(con)
    assert data is not None
    (pair,) = data["pairs"]
    assert (pair["platform"], pair["month"], pair["bill_source"]) == (
        "anthropic", "2026-11", "Anthropic Analytics API cost")
    # Bill: billed 15.342 + 0.88915 + 22.5 + 0.04 = 38.77115; its own list 15.342 + 0.88915 + 25 + 0.04 = 41.27115
    assert (pair["billed_usd"], pair["bill_list_usd"], pair["bill_list_complete"]) == (
        Decimal("38.77115"), Decimal("41.27115"), True)
    # The logs (the analytics usage): 1.7475 + 1.415 + 1.0 = 4.1625
    assert pair["logs_list_usd"] == Decimal("4.1625")
    causes = {(c["cause"], c["detail"]): c["amount_usd"] for c in pair["causes"]}
    assert causes[("discounts", "billed below list")] == Decimal("-2.5")  # 22.5 - 25
    (realised,) = data["realised"]
    assert realised["basis"] == "the bill's own tokens at list"
    assert realised["list_usd"] == Decimal("41.27115")


def test_new_formats_are_detected_from_content(tmp_path: Path) -> None:
    for path, fmt in ((A_USAGE, "anthropic_analytics_usage"), (A_COST, "anthropic_analytics_cost"),
                      (CC_REPORT, "claude_code_report"), (OTEL_LOGS, "claude_code_otel"),
                      (OTEL_METRICS, "claude_code_otel"), (FOCUS_GCP, "focus"), (FOCUS_RESELLER, "focus")):
        renamed = tmp_path / f"x{path.suffix}.gz"
        renamed.write_bytes(gzip.compress(path.read_bytes()))
        assert ingest.detect(renamed) == (fmt, ""), path
    # ... and every fixture of the older formats is still detected as the format of its folder.
    folders = {"usage_report": "anthropic_usage_report", "unrelated": None}
    new = {"anthropic_analytics_usage", "anthropic_analytics_cost", "claude_code_report", "claude_code_otel",
           "focus"}
    for path in sorted(p for p in FIX.rglob("*") if p.is_file()):
        folder = path.relative_to(FIX).parts[0]
        if folder in new:
            continue
        expected = folders.get(folder, folder)
        got = ingest.detect(path)[0]
        if folder == "unrelated":
            assert got not in new, path
        else:
            assert got == expected, path


# ---- hostile cases -------------------------------------------------------------------------------------------

HOSTILE = Path(__file__).parent / "hostile"
# file -> (read, loaded, rejected, duplicate, ignored) and its rejects (line, reason prefix), by hand:
HOSTILE_CASES: dict[str, dict[str, tuple[tuple[int, ...], list[tuple[int, str]]]]] = {
    # bad_items.jsonl, one page per line. Page 1 (line 1): 6 items, the first good; then ending before it starts,
    # output 'lots', a list, no usage, no uncached input. Line 2 a page cut short; 3 not a page; 4 a page grouped
    # by rbac_group_id (2 items: they overstate usage). truncated.json: one document cut short (its line 40).
    "anthropic_analytics_usage": {
        "bad_items.jsonl": ((10, 1, 9, 0, 0), [
            (1, "ending_at is not after starting_at"), (1, "item is not an object"), (1, "missing uncached_input"),
            (1, "missing usage"), (1, "output_tokens is not a number: 'lots'"), (2, "invalid JSON: truncated"),
            (3, "page has no data list"), (4, "grouped by rbac_group_id"), (4, "grouped by rbac_group_id")]),
        "truncated.json": ((1, 0, 1, 0, 0), [(40, "invalid JSON: truncated or malformed document")])},
    # bad_items.json, one document of 7 items numbered by position: 1 good; 2 amount 'abc', 3 no cost, 4 list NaN,
    # 5 in GBP, 6 a group that is a string, 7 an amount of 1e30 cents.
    "anthropic_analytics_cost": {
        "bad_items.json": ((7, 1, 6, 0, 0), [
            (2, "amount is not an amount: 'abc'"), (3, "missing cost"), (4, "list_amount is not a finite amount"),
            (5, "amount in GBP, not USD"), (6, "group is not an object"), (7, "amount is implausibly large")])},
    # bad_items.json, 8 actor-days numbered by record: 1 good; 2 no actor, 3 an API actor without a key name,
    # 4 date 'yesterday', 5 model_breakdown a string; 6 holds 4 models, each bad (negative input, a cost in EUR,
    # no tokens, output 'many': records 6-9); 7 no models (ignored); 8 good, its key name a planted secret (masked).
    "claude_code_report": {
        "bad_items.json": ((10, 2, 8, 0, 1), [
            (2, "missing actor"), (3, "api_actor without api_key_name"), (4, "date is not a timestamp"),
            (5, "model_breakdown is not a list"), (6, "input is negative"), (7, "estimated cost in EUR, not USD"),
            (8, "missing tokens"), (9, "output is not a number: 'many'")])},
    # bad_rows.csv: 2 good; 3 negative quantity, 4 billed in JPY, 5 no start, 6 BilledCost NaN, 7 fields short,
    # 8 a unit of 'Bytes'; 9 provisioned throughput (no token class: a bill line); 10 Cloud Storage (ignored).
    # The sub-account holds a planted key: masked.
    "focus": {
        "bad_rows.csv": ((8, 2, 6, 0, 1), [
            (3, "usage quantity is negative"), (4, "billed in JPY, not USD"), (5, "missing ChargePeriodStart"),
            (6, "BilledCost is not a finite amount"), (7, "expected 14 fields, found 5"),
            (8, "usage unit not understood: 'Bytes'")])},
    # mixed.jsonl: 1 a good event (its user an email, a key planted in terminal.type: both masked); 2 a batch cut
    # short; 3 a list; 4 six log records: input 'abc', no output, cost 'lots', timestamp 'soon', input -5, a
    # string; 5 five token points: type 'weird', 1.5 tokens, -7, time 'abc', and a good one (a row); 6 spans
    # (ignored); 7 resourceLogs a string.
    "claude_code_otel": {
        "mixed.jsonl": ((15, 2, 13, 0, 1), [
            (2, "invalid JSON: truncated or malformed line"), (3, "line is not a JSON object"),
            (4, "cost_usd is not an amount: 'lots'"), (4, "event.timestamp is not a timestamp: 'soon'"),
            (4, "input_tokens is negative"), (4, "input_tokens is not a number: 'abc'"),
            (4, "log record is not an object"), (4, "missing output_tokens"),
            (5, "claude_code.token.usage value is negative"), (5, "claude_code.token.usage value is not a whole"),
            (5, "timeUnixNano is not a time in nanoseconds"), (5, "token type not understood: 'weird'"),
            (7, "resourceLogs is not a list")])},
}


def test_hostile_cases_keep_the_accounting() -> None:
    for fmt, cases in HOSTILE_CASES.items():
        con, result = load(HOSTILE / fmt, price=False)
        assert result.skipped == []
        for name, (expected, reasons) in cases.items():
            path = HOSTILE / fmt / name
            assert counts(result, path) == (fmt, *expected), name
            got = sorted(con.execute("SELECT source_line, reason FROM rejects WHERE source_file = ?",
                                     [str(path)]).fetchall())
            assert len(got) == len(reasons), (name, got)
            for (line, reason), (want_line, prefix) in zip(got, sorted(reasons), strict=True):
                assert line == want_line and reason.startswith(prefix), (name, line, reason)
        leaks = con.execute("SELECT count(*) FROM usage WHERE api_key_id LIKE '%QQQQQQQQQQQQQQQQ%' OR tags LIKE "
                            "'%QQQQQQQQQQQQQQQQ%' OR user_id LIKE '%@%' OR workspace LIKE '%QQQQQQQQQQQQQQQQ%'"
                            ).fetchone()
        assert leaks == (0,)  # keys and email addresses are kept masked


# ---- Claude Code analytics report -----------------------------------------------------------------------------



def test_claude_code_report_rows_per_user_and_model() -> None:
    con, result = load(CC_REPORT)
    # 3 actor-days: dev1 with 2 models (2 rows), ci-bot with 1; the third is a subscription seat (ignored).
    assert counts(result, CC_REPORT) == ("claude_code_report", 3, 3, 0, 0, 1)
    (s,) = result.files
    assert s.notes == ["1 actor-day(s) under a Claude subscription (customer_type subscription): paid by seats, "
                       "not API spend; not loaded"]
    got = {r["model"]: r for r in rows(con, "SELECT * FROM priced_usage")}
    sonnet, opus, haiku = got["claude-sonnet-4-6"], got["claude-opus-4-6"], got["claude-haiku-4-5"]
    # cache_creation is one total: booked as 5-minute writes, flagged
    assert toks(sonnet) == (38_120, 41_000, 0, 512_000, 9_110) and sonnet["cache_ttl_assumed"]
    assert sonnet["user_id"] == opus["user_id"] and sonnet["user_id"].startswith("de….com #")
    assert (haiku["user_id"], haiku["api_key_id"]) == ("ci-bot", "ci-bot")
    assert str(sonnet["charge_period_start"]) == str(haiku["charge_period_start"]) == "2026-11-20 00:00:00"
    assert (sonnet["granularity"], sonnet["grouping"], sonnet["requests"], sonnet["platform"]) == (
        "bucket", "1d:actor,model", None, "anthropic")
    assert json.loads(haiku["tags"])["terminal_type"] == "non-interactive"
    # estimated_cost is in cents: 55.836 -> $0.55836
    assert (sonnet["source_cost"], opus["source_cost"], haiku["source_cost"]) == (
        Decimal("0.55836"), Decimal("0.055"), Decimal("0.0355"))
    # Sonnet: 0.03812 x 3 + 0.041 x 3.75 + 0.512 x 0.3 + 0.00911 x 15 = 0.11436 + 0.15375 + 0.1536 + 0.13665
    # = 0.55836; Opus: 0.001 x 5 + 0.002 x 25 = 0.055 (no geo: no premium);
    # Haiku: 0.009 x 1 + 0.008 x 1.25 + 0.06 x 0.1 + 0.0021 x 5 = 0.009 + 0.01 + 0.006 + 0.0105 = 0.0355
    assert (sonnet["list_cost"], opus["list_cost"], haiku["list_cost"]) == (
        Decimal("0.55836"), Decimal("0.055"), Decimal("0.0355"))


def _transcript_and_log(tmp_path: Path) -> tuple[Path, Path]:
    """A Claude Code transcript and an application's request log, both on 2026-11-20."""
    transcript = tmp_path / "projects" / "-home-dev1-app" / "sess-1.jsonl"
    transcript.parent.mkdir(parents=True)
    transcript.write_text(json.dumps({
        "type": "assistant", "sessionId": "sess-1", "uuid": "u1", "timestamp": "2026-11-20T10:00:00Z",
        "requestId": "req_011CC1", "message": {"id": "msg_01CC1", "model": "claude-sonnet-4-6", "usage": {
            "input_tokens": 1000, "output_tokens": 100, "cache_read_input_tokens": 0,
            "cache_creation_input_tokens": 0}}}) + "\n")
    log = tmp_path / "api" / "gateway.jsonl"
    log.parent.mkdir(parents=True)
    log.write_text(json.dumps({
        "timestamp": "2026-11-20T11:00:00Z", "request": {"model": "claude-haiku-4-5", "max_tokens": 100,
                                                          "messages": [{"role": "user", "content": "hi"}]},
        "response": {"id": "msg_01LOG", "model": "claude-haiku-4-5", "content": [], "stop_reason": "end_turn",
                     "usage": {"input_tokens": 10000, "output_tokens": 1000}}}) + "\n")
    return transcript, log


def test_claude_code_report_replaces_claude_code_logs_only(tmp_path: Path) -> None:
    from finops import overview

    transcript, log = _transcript_and_log(tmp_path)
    con, _ = load(CC_REPORT, transcript, log)
    counted = dict(con.execute("SELECT source_format, bool_and(in_totals) FROM priced_usage GROUP BY 1").fetchall())
    # The report covers Claude Code that day: the transcript is detail; the application's log still counts.
    assert counted == {"claude_code_report": True, "claude_code": False, "anthropic_log": True}
    # 0.64886 (the report: 0.55836 + 0.055 + 0.0355) + the log's 0.01 x 1 + 0.001 x 5 = 0.015 -> 0.66386
    assert overview.totals(con).list_cost == Decimal("0.66386")
    users = {r["user_id"]: r["cost"] for r in overview.by_attribution(con)["user_id"]}
    # Claude Code's users from the report (the transcript, with no user, is not that day's Claude Code source):
    # dev1 0.55836 + 0.055 = 0.61336, ci-bot 0.0355.
    assert sorted(users.values()) == [Decimal("0.0355"), Decimal("0.61336")]
    assert users["ci-bot"] == Decimal("0.0355")
    # Without the report, the transcript counts with the log, and no source names a user: no user view.
    con, _ = load(transcript, log)
    assert overview.totals(con).list_cost == Decimal("0.0195")  # 0.0045 + 0.015
    assert "user_id" not in overview.by_attribution(con)


# ---- Claude Code OpenTelemetry ----------------------------------------------------------------------------------

SESSION_1 = "6f1c2b7e-0d7a-4f7e-9a51-3d2f0c9b8e11"  # its calls are logged as events
SESSION_2 = "7a2d3c8f-1e8b-4a8f-8b62-4e3a1d0c9f22"  # one event without a request id


def test_otel_events_and_metrics() -> None:
    con, result = load(OTEL_LOGS, OTEL_METRICS)
    # logs.jsonl, one batch: 5 log records, 3 api_request events (rows), a user_prompt and a tool_result (ignored).
    assert counts(result, OTEL_LOGS) == ("claude_code_otel", 3, 3, 0, 0, 2)
    # metrics.jsonl: session.count is ignored (twice: line 1 is exported again as line 4). Rows: session 1's
    # interval (its events cover it: a duplicate), session 3's interval, and session 4's two intervals made from
    # its cumulative points (lines 2 and 3, out of time order).
    assert counts(result, OTEL_METRICS) == ("claude_code_otel", 4, 3, 0, 1, 2)
    (metrics,) = [f for f in result.files if f.path == str(OTEL_METRICS)]
    assert "10 metric point(s) exported twice: counted once" in metrics.notes  # line 4: 8 token + 2 cost points
    got = rows(con, "SELECT * FROM priced_usage ORDER BY charge_period_start, model")
    events = {r["request_id"] or r["session_id"]: r for r in got if r["granularity"] == "request"}
    a = events["req_011OT1"]  # token counts as stringValue, cost_usd '0.041676'
    assert toks(a) == (312, 2048, 0, 51200, 1180) and a["cache_ttl_assumed"]
    assert (a["session_id"], a["source_cost"], a["user_id"][:8]) == (SESSION_1, Decimal("0.041676"), "de….com ")
    assert json.loads(a["tags"]) == {"app_version": "2.1.162", "organization_id": "0f9a4c1e-1111-4c2d-9e3f-"
                                     "123456789abc", "product": "claude_code", "query_source": "repl_main_thread",
                                     "terminal_type": "vscode"}
    assert toks(events["req_011OT2"]) == (1000, 0, 0, 0, 200)  # intValue counts, doubleValue cost
    c = events[SESSION_2]  # eventName at the top level, no request id, the user by account uuid
    assert (c["model"], c["user_id"], toks(c)) == ("claude-opus-4-6", "a1b2c3d4-0000-4000-8000-00000000abcd",
                                                   (100, 0, 0, 0, 50))
    buckets = [r for r in got if r["granularity"] == "bucket"]
    assert [(toks(r), r["source_cost"]) for r in buckets] == [
        ((1000, 0, 0, 0, 100), None),  # session 4 (Haiku), cumulative 1000/100 at 08:01 ...
        ((2000, 0, 0, 10000, 500), Decimal("0.0165")),  # session 3 (Sonnet), delta, 08:00-08:01
        ((2000, 0, 0, 0, 200), None)]  # ... session 4 then 3000/300 at 08:02: the difference, 08:01-08:02
    # A: 312 x 3 + 2048 x 3.75 + 51200 x 0.3 + 1180 x 15 = 936 + 7680 + 15360 + 17700 = 41676 -> 0.041676
    # B: 1000 x 1 + 200 x 5 = 0.002; C: 100 x 5 + 50 x 25 = 0.00175; session 3: 6000 + 3000 + 7500 -> 0.0165;
    # session 4 (Haiku): 3000 x 1 + 300 x 5 = 0.0045. Sum 0.066426.
    assert sum(r["list_cost"] for r in got if r["in_totals"]) == Decimal("0.066426")


def test_a_call_in_both_telemetry_and_a_transcript_counts_once(tmp_path: Path) -> None:
    transcript = tmp_path / "projects" / "-home-dev1-app" / f"{SESSION_1}.jsonl"
    transcript.parent.mkdir(parents=True)
    lines = [  # the same calls as events A (by request id) and C (no id: by session, model, tokens and time)
        {"type": "assistant", "sessionId": SESSION_1, "uuid": "u1", "timestamp": "2026-12-01T08:00:31.400Z",
         "requestId": "req_011OT1", "message": {"id": "msg_01A", "model": "claude-sonnet-4-6", "usage": {
             "input_tokens": 312, "output_tokens": 1180, "cache_read_input_tokens": 51200,
             "cache_creation_input_tokens": 2048,
             "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 2048}}}},
        {"type": "assistant", "sessionId": SESSION_2, "uuid": "u2", "timestamp": "2026-12-01T09:15:02Z",
         "requestId": "req_011TRX", "message": {"id": "msg_01C", "model": "claude-opus-4-6", "usage": {
             "input_tokens": 100, "output_tokens": 50}}},
        {"type": "assistant", "sessionId": SESSION_2, "uuid": "u3", "timestamp": "2026-12-01T09:40:00Z",
         "requestId": "req_011TRY", "message": {"id": "msg_01D", "model": "claude-opus-4-6", "usage": {
             "input_tokens": 100, "output_tokens": 50}}}]  # same tokens 25 minutes later: another call
    transcript.write_text("".join(json.dumps(line) + "\n" for line in lines))
    con, result = load(OTEL_LOGS, transcript)
    # Events A and C are duplicates of transcript rows; B stays. The transcript's 3 rows stay.
    assert counts(result, OTEL_LOGS) == ("claude_code_otel", 3, 1, 0, 2, 2)
    assert counts(result, transcript)[1:5] == (3, 3, 0, 0)
    kept = {r["request_id"]: r for r in rows(con, "SELECT * FROM priced_usage")}
    assert set(kept) == {"req_011OT1", "req_011OT2", "req_011TRX", "req_011TRY"}
    a = kept["req_011OT1"]
    assert (a["source_format"], a["cache_write_1h_tokens"]) == ("claude_code", 2048)  # the transcript's split
    assert a["user_id"].startswith("de….com #")  # the event's user, carried over
    # A at its 1-hour write rate: 936 + 2048 x 6 (12288) + 15360 + 17700 = 46284 -> 0.046284; B 0.002;
    # C 0.00175 twice (the transcript's two calls). Sum 0.051784.
    assert sum(r["list_cost"] for r in kept.values() if r["in_totals"]) == Decimal("0.051784")


def test_two_identical_events_and_one_transcript_row_drop_one_event(tmp_path: Path) -> None:
    """Matching without a request id pairs one event with one transcript row: two calls of the same size a minute
    apart, and a transcript that holds only one of them, leave the other event counted."""
    batch = json.loads(OTEL_LOGS.read_text().splitlines()[0])
    (c,) = [r for rl in batch["resourceLogs"] for sl in rl["scopeLogs"] for r in sl["logRecords"]
            if r.get("eventName") == "claude_code.api_request"]  # event C: session 2, no request id, 09:15:00
    later = {**c, "timeUnixNano": str(int(c["timeUnixNano"]) + 60 * 10**9)}  # the same call shape at 09:16:00
    otel = tmp_path / "otel.jsonl"
    otel.write_text(json.dumps({"resourceLogs": [{"resource": {"attributes": []}, "scopeLogs": [
        {"scope": {"name": "com.anthropic.claude_code.events"}, "logRecords": [c, later]}]}]}) + "\n")
    transcript = tmp_path / "projects" / "p" / f"{SESSION_2}.jsonl"
    transcript.parent.mkdir(parents=True)
    transcript.write_text(json.dumps({
        "type": "assistant", "sessionId": SESSION_2, "uuid": "u2", "timestamp": "2026-12-01T09:15:02Z",
        "requestId": "req_011TRX", "message": {"id": "msg_01C", "model": "claude-opus-4-6", "usage": {
            "input_tokens": 100, "output_tokens": 50}}}) + "\n")
    con, result = load(otel, transcript)
    assert counts(result, otel)[1:5] == (2, 1, 0, 1)  # one event is the transcript's call, the other is not
    assert counts(result, transcript)[1:5] == (1, 1, 0, 0)
    # Two calls of 100 input and 50 output on Opus 4.6: 2 x (100 x 5 + 50 x 25) = 3500 -> $0.0035
    assert sum(r["list_cost"] for r in rows(con, "SELECT * FROM priced_usage") if r["in_totals"]) == Decimal("0.0035")


def test_otel_overlap_in_the_store_whichever_file_comes_first(tmp_path: Path) -> None:
    from finops import store

    transcript = tmp_path / "projects" / "p" / f"{SESSION_1}.jsonl"
    transcript.parent.mkdir(parents=True)
    transcript.write_text(json.dumps({
        "type": "assistant", "sessionId": SESSION_1, "uuid": "u1", "timestamp": "2026-12-01T08:00:31Z",
        "requestId": "req_011OT1", "message": {"id": "msg_01A", "model": "claude-sonnet-4-6", "usage": {
            "input_tokens": 312, "output_tokens": 1180, "cache_read_input_tokens": 51200,
            "cache_creation_input_tokens": 2048}}}) + "\n")
    for order in ((OTEL_LOGS, transcript), (transcript, OTEL_LOGS)):
        db = tmp_path / f"store-{order[0].name}.duckdb"
        for path in order:
            store.ingest([path], db)
        con = duckdb.connect(str(db), read_only=True)
        files = dict(con.execute("SELECT path, (rows_read, rows_loaded, rows_duplicate) FROM files").fetchall())
        assert files[str(OTEL_LOGS)] == (3, 2, 1), order  # event A counted once, from the transcript
        assert files[str(transcript)] == (1, 1, 0), order
        assert con.execute("SELECT count(*) FROM usage").fetchone() == (3,)
        con.close()


# ---- FOCUS from any provider -------------------------------------------------------------------------------------


def test_focus_from_google_cloud() -> None:
    con, result = load(FOCUS_GCP)
    # 6 rows: BigQuery (line 6) is not Claude; 2, 3, 4, 7 usage; 5 a credit (billing).
    assert counts(result, FOCUS_GCP) == ("focus", 5, 5, 0, 0, 1)
    got = {r["source_line"]: r for r in rows(con, "SELECT * FROM priced_usage")}
    assert set(got) == {2, 3, 4, 7}
    assert all(r["platform"] == "vertex" and r["model"] == "claude-sonnet-4-6" for r in got.values())
    assert toks(got[2]) == (2_000_000, 0, 0, 0, 0)  # ConsumedQuantity in Tokens
    assert (got[2]["endpoint_scope"], got[2]["workspace"], json.loads(got[2]["tags"])) == (
        "global", "acme-ml-prod", {"team": "search"})
    assert toks(got[3]) == (0, 0, 0, 0, 500_000)  # PricingQuantity 0.5 x '1000000 Tokens'
    assert (got[3]["endpoint_scope"], got[3]["region"]) == ("regional", "us-east5")
    assert toks(got[4]) == (0, 0, 0, 1_000_000, 0)  # SkuPriceDetails: Input + Read
    assert toks(got[7]) == (0, 0, 100_000, 0, 0)  # Input + Write, x_CacheTtl 1h
    (credit,) = rows(con, "SELECT * FROM billing")
    assert (credit["source_line"], credit["charge_kind"], credit["billed_cost"], credit["platform"]) == (
        5, "credit", Decimal("-1"), "vertex")
    # List: 2 x 3 = 6; regional x1.1: 0.5 x 15 x 1.1 = 8.25; 1 x 0.3 = 0.3; 0.1 x 6 = 0.6. Sum 15.15, as billed.
    assert sum(r["list_cost"] for r in got.values()) == Decimal("15.15")
    assert sum(r["source_cost"] for r in got.values()) == Decimal("15.15")
    (s,) = result.files
    # EffectiveCost: 5.40 + 8.25 + 0.30 + 0.60 = 14.55 (a commitment covered part of line 2)
    assert ("4 Claude usage line(s): BilledCost $15.150000, ListCost $15.150000, ContractedCost $15.150000, "
            "EffectiveCost $14.550000") in s.notes


def test_focus_from_a_reseller_in_json_lines() -> None:
    con, result = load(FOCUS_RESELLER)
    assert counts(result, FOCUS_RESELLER) == ("focus", 2, 2, 0, 0, 0)
    got = {r["source_line"]: r for r in rows(con, "SELECT * FROM priced_usage")}
    # '1K Tokens': 40 x 1,000 output and 100 x 1,000 input; a Microsoft host: its own platform, priced at the
    # Anthropic API's list rates.
    assert (toks(got[1]), toks(got[2])) == ((0, 0, 0, 0, 40_000), (100_000, 0, 0, 0, 0))
    assert {r["platform"] for r in got.values()} == {"microsoft"}
    assert ("2 line(s) hosted by Microsoft (platform 'microsoft'): priced at the Anthropic API's list rates"
            in result.files[0].notes)
    # 0.04 x 25 + 0.1 x 5 = 1.5
    assert sum(r["list_cost"] for r in got.values()) == Decimal("1.5")


def test_a_focus_export_from_another_host_adds_to_anthropic_usage_never_competes(tmp_path: Path) -> None:
    """Microsoft's FOCUS lines are Claude bought through Microsoft: other money than the organisation's own Anthropic
    API traffic the same day, so both count, and the bill is reconciled on its own platform."""
    report = tmp_path / "usage_report.json"
    report.write_text(json.dumps({"data": [{
        "starting_at": "2026-10-14T00:00:00Z", "ending_at": "2026-10-15T00:00:00Z",
        "results": [{"workspace_id": None, "model": "claude-opus-4-6", "uncached_input_tokens": 1_000_000,
                     "cache_read_input_tokens": 0, "output_tokens": 0,
                     "cache_creation": {"ephemeral_1h_input_tokens": 0, "ephemeral_5m_input_tokens": 0}}]}],
        "has_more": False, "next_page": None}))
    con, _ = load(report, FOCUS_RESELLER)
    totals = dict(con.execute("SELECT platform, sum(cost) FROM priced_usage WHERE in_totals GROUP BY ALL").fetchall())
    # Anthropic API: 1M x $5 = 5.00; Microsoft: 0.04M out x $25 + 0.1M in x $5 = 1.00 + 0.50 = 1.50. Both count.
    assert totals == {"anthropic": Decimal("5.00"), "microsoft": Decimal("1.50")}
    found = reconcile.reconcile(con)
    assert found is not None
    # Microsoft's bill stands on its own platform: no Anthropic log is matched to it, none is compared with it.
    assert [(u["platform"], u["billed_usd"]) for u in found["unmatched"]] == [("microsoft", Decimal("1.50"))]
    assert all(p["platform"] != "anthropic" for p in found["pairs"])
    # The FOCUS export (1.4) names Microsoft as the host and service provider of those lines.
    from finops import focus

    out = tmp_path / "focus.csv"
    focus.write(con, out)
    import csv

    with open(out, newline="", encoding="utf-8") as f:
        hosts = {(r["x_Platform"], r["HostProviderName"], r["ServiceProviderName"]) for r in csv.DictReader(f)}
    assert hosts == {("anthropic", "Anthropic", "Anthropic"), ("microsoft", "Microsoft", "Microsoft")}


def test_a_focus_file_without_claude_is_skipped_saying_why(tmp_path: Path) -> None:
    con, result = load(FOCUS_AZURE)
    assert result.files == []
    assert result.skipped == [(str(FOCUS_AZURE), "FOCUS 1.4 export from Microsoft: 3 line(s), none names a Claude "
                               "model in ServiceName/SkuId/SkuPriceId/SkuMeter/ChargeDescription/SkuPriceDetails")]
    own = tmp_path / "focus.csv"  # finops's own FOCUS export is not a bill: skipped with that reason
    own.write_text("BilledCost,ChargePeriodStart,ServiceName,x_FinopsRecordId\n1,2026-10-01,x,z\n")
    assert ingest.detect(own) == (None, "finops's own FOCUS export (x_FinopsRecordId): not read back as a bill, "
                                        "its rows are the usage finops read from other files")
    from finops import store

    db = tmp_path / "store.duckdb"
    summary = store.ingest([FOCUS_AZURE], db)
    assert (summary.loaded, summary.skipped) == ([], result.skipped)


def test_focus_parquet_reads_like_its_csv(tmp_path: Path) -> None:
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    path = tmp_path / "part-0.parquet"  # typed columns: timestamps, doubles
    pq.write_table(pa_csv.read_csv(FOCUS_GCP), path)
    con, result = load(path)
    assert counts(result, path) == ("focus", 5, 5, 0, 0, 1)
    # the same lines as the CSV: 2 x 3 + 0.5 x 15 x 1.1 + 1 x 0.3 + 0.1 x 6 = 15.15
    assert con.execute("SELECT sum(list_cost) FROM priced_usage").fetchone() == (Decimal("15.15"),)



def _metric_line(metric: str, value: Any, kind: str | None = None, key: str = "asDouble", start: int = 0,
                 end: int = 60, cumulative: bool = False) -> str:
    attrs = [{"key": "session.id", "value": {"stringValue": "s-huge"}},
             {"key": "model", "value": {"stringValue": "claude-sonnet-4-6"}}]
    if kind:
        attrs.append({"key": "type", "value": {"stringValue": kind}})
    t0 = 1796112000  # 2026-12-01T08:00:00Z
    point = {"startTimeUnixNano": str((t0 + start) * 10**9), "timeUnixNano": str((t0 + end) * 10**9), key: value,
             "attributes": attrs}
    return json.dumps({"resourceMetrics": [{"scopeMetrics": [{"metrics": [{"name": metric, "sum": {
        "aggregationTemporality": 2 if cumulative else 1, "dataPoints": [point]}}]}]}]}) + "\n"


def test_otel_metric_points_too_large_are_rejected_not_a_crash(tmp_path: Path) -> None:
    cost = "claude_code.cost.usage"
    path = tmp_path / "metrics.jsonl"
    path.write_text(
        _metric_line(cost, 1e300)  # line 1: a cost over what DECIMAL(18,6) holds
        + _metric_line("claude_code.token.usage", "99999999999999999999", "input", "asInt")  # 2: 1e20 tokens
        + _metric_line("claude_code.token.usage", "1e400", "output")  # 3: an exponent, never expanded to an int
        + _metric_line("claude_code.token.usage", 7, "input", "asInt")  # 4: fine
        # 5-7, one series mixing temporalities: cumulative 1 at 08:01 and 600000000001 at 08:02 (a delta of 6e11
        # for 08:01-08:02), then a delta point of 6e11 for the same interval: each fits, the sum (1.2e12) does not,
        # so the last is rejected.
        + _metric_line(cost, 1, start=0, end=60, cumulative=True)
        + _metric_line(cost, 600000000001, start=0, end=120, cumulative=True)
        + _metric_line(cost, 600000000000, start=60, end=120))
    con, result = load(path, price=False)
    # Rows: 08:00-08:01 (7 input tokens, cost 1) and 08:01-08:02 (cost 6e11); lines 1, 2, 3 and 7 rejected.
    assert counts(result, path) == ("claude_code_otel", 6, 2, 4, 0, 0)
    got = con.execute("SELECT input_tokens, output_tokens, source_cost FROM usage ORDER BY charge_period_start")
    assert got.fetchall() == [(7, 0, Decimal(1)), (0, 0, Decimal(600000000000))]


def test_an_event_and_a_transcript_row_with_different_request_ids_are_two_calls(tmp_path: Path) -> None:
    """The session, model and tokens rule is for an event without a request id: two calls that both carry one,
    and different ones, are two calls even with the same tokens a minute apart (README: 'or, without one')."""
    transcript = tmp_path / "projects" / "p" / f"{SESSION_1}.jsonl"
    transcript.parent.mkdir(parents=True)
    transcript.write_text(json.dumps({  # event B's session, model and tokens, 08:03, another request id
        "type": "assistant", "sessionId": SESSION_1, "uuid": "u9", "timestamp": "2026-12-01T08:03:00Z",
        "requestId": "req_011OTHER", "message": {"id": "msg_09", "model": "claude-haiku-4-5", "usage": {
            "input_tokens": 1000, "output_tokens": 200}}}) + "\n")
    con, result = load(OTEL_LOGS, transcript)
    assert counts(result, OTEL_LOGS) == ("claude_code_otel", 3, 3, 0, 0, 2)  # no event is a duplicate
    assert counts(result, transcript)[1:5] == (1, 1, 0, 0)
    # Events A 0.041676 + B 0.002 + C 0.00175, and the transcript's call: 1000 x 1 + 200 x 5 -> 0.002. 0.047426.
    assert con.execute("SELECT sum(list_cost) FROM priced_usage WHERE in_totals").fetchone() == (
        Decimal("0.047426"),)


def _cost_page(day: str, dim: str, amounts: dict[str | None, str], end: str | None = None) -> str:
    """One Analytics cost page of a day (or up to `end`) grouped by one dimension: cents by the dimension's value."""
    end = end or f"{day[:8]}{int(day[8:10]) + 1:02d}"
    return json.dumps({"data": [
        {"starting_at": f"{day}T00:00:00Z", "ending_at": f"{end}T00:00:00Z",
         "group": {"workspace_id": None, "model": None, dim: value},
         "cost": {"amount": cents, "list_amount": cents, "currency": "USD"}}
        for value, cents in amounts.items()], "has_more": False, "next_page": None})


def test_two_analytics_cost_queries_of_one_day_grouped_differently_count_the_bill_once(tmp_path: Path) -> None:
    # The same $5.00 of 2026-10-01, once by workspace ($3 + $2), once by model ($4 + $1): one grouping counts.
    by_workspace = tmp_path / "cost_by_workspace.json"
    by_workspace.write_text(_cost_page("2026-10-01", "workspace_id", {"wrkspc_A": "300", "wrkspc_B": "200"}))
    by_model = tmp_path / "cost_by_model.json"
    by_model.write_text(_cost_page("2026-10-01", "model", {"claude-sonnet-4-6": "400", "claude-opus-4-6": "100"}))
    con, result = load(by_workspace, by_model)
    assert con.execute("SELECT sum(billed_cost) FROM billing").fetchone() == (Decimal("5.00"),)
    # Both groupings have one dimension: the rule keeps the first grouping by name ("model" before
    # "workspace_id"); the other file's two lines are duplicates of it, with a note.
    assert counts(result, by_model) == ("anthropic_analytics_cost", 2, 2, 0, 0, 0)
    assert counts(result, by_workspace) == ("anthropic_analytics_cost", 2, 0, 0, 2, 0)
    (ws,) = [f for f in result.files if f.path == str(by_workspace)]
    assert any("grouped by workspace_id" in n and "cost_by_model.json" in n for n in ws.notes), ws.notes
    found = reconcile.reconcile(con)
    assert found is not None and [u["billed_usd"] for u in found["unmatched"]] == [Decimal("5.00")]


def test_pages_of_one_pulled_cost_query_are_one_grouping_even_when_a_page_looks_coarser(tmp_path: Path) -> None:
    # `finops pull` saves each page as a file; page 2 holds only the default workspace (null), so alone it looks
    # ungrouped. It is the same query as page 1 (grouped by workspace), which is finer than an ungrouped query of
    # October in one bucket ($6.00, all on that day): the pages count, $3.00 + $2.00 + $1.00 = 6.00, and the
    # ungrouped line is a duplicate.
    page1 = tmp_path / "2026-10-01_2026-10-02_1d_page0001.json"
    page1.write_text(_cost_page("2026-10-01", "workspace_id", {"wrkspc_A": "300", "wrkspc_B": "200"}))
    page2 = tmp_path / "2026-10-01_2026-10-02_1d_page0002.json"
    page2.write_text(_cost_page("2026-10-01", "workspace_id", {None: "100"}))
    whole = tmp_path / "a_cost_ungrouped.json"
    whole.write_text(_cost_page("2026-10-01", "workspace_id", {None: "600"}, end="2026-11-01"))
    con, result = load(page1, page2, whole)
    assert con.execute("SELECT sum(billed_cost) FROM billing").fetchone() == (Decimal("6.00"),)
    assert [counts(result, p)[2:5] for p in (page1, page2, whole)] == [(2, 0, 0), (1, 0, 0), (0, 0, 1)]
