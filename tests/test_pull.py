"""`finops pull anthropic` against a real HTTP server on 127.0.0.1 (tests/fake_admin_api.py), then `finops analyze`.

No network beyond 127.0.0.1, and no real waiting: the retry waits are recorded instead of slept, and the backoff
base is tiny. The one real wait is the client's --timeout (1 s) on the slow answer: long enough that no other
answer of this local server reaches it on a loaded machine (at 0.3 s one did, at load 12: a fifth retry).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from fake_admin_api import PATHS, FakeAdminAPI

from finops import names, pipeline
from finops.cli import cli
from finops.pull import client as pull_client
from finops.pull.endpoints import MESSAGES_GROUP_BY
from finops.pull.pages import PageStore
from finops.pull.run import gaps

KEY = "sk-ant-admin01-" + "Qx7Lm2" * 12 + "-Tail"
MONTH_FILES = {  # what a pull of 2026-10-30 to 2026-11-01 saves (tests/fake_admin_api.py: one item a page)
    # the usage and cost reports: one bucket a day, so two pages for October's two days, one for November's
    *{f"{e}/2026-10/2026-10-30T00Z_2026-11-01T00Z_1d_page000{n}.json" for e in ("usage_report_messages",
                                                                                  "cost_report") for n in (1, 2)},
    *{f"{e}/2026-11/2026-11-01T00Z_2026-11-02T00Z_1d_page0001.json" for e in ("usage_report_messages",
                                                                               "cost_report")},
    # analytics usage: two items (one per model) a day
    *(f"analytics_usage/2026-10/2026-10-30T00Z_2026-11-01T00Z_1d_page000{n}.json" for n in (1, 2, 3, 4)),
    *(f"analytics_usage/2026-11/2026-11-01T00Z_2026-11-02T00Z_1d_page000{n}.json" for n in (1, 2)),
    # Claude Code: one query a day, two actors a day
    *(f"usage_report_claude_code/{d[:7]}/{d}_page000{n}.json" for d in ("2026-10-30", "2026-10-31", "2026-11-01")
      for n in (1, 2)),
    "workspaces/page0001.json", "workspaces/page0002.json", "api_keys/page0001.json", "finops-names.toml",
}


@pytest.fixture
def api():
    fake = FakeAdminAPI(key=KEY)
    server, url = fake.serve()
    fake.url = url
    yield fake
    fake.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def waits(monkeypatch):
    recorded: list[float] = []
    monkeypatch.setattr(pull_client, "sleep", recorded.append)
    return recorded


def pull(api, out: Path, *args: str, key: str = KEY):
    env = {"ANTHROPIC_ADMIN_KEY": key, "FINOPS_PULL_BACKOFF": "0.001", "CI": "1"}
    return CliRunner(env=env).invoke(cli, ["pull", "anthropic", "-o", str(out), "--base-url", api.url,
                                           "--timeout", "1", *args])


def analyze(inputs: list[Path], report: Path) -> dict:
    result = CliRunner(env={"COLUMNS": "80"}).invoke(cli, ["analyze", *map(str, inputs), "-o", str(report),
                                                           "--format", "json,csv,md,html"])
    assert result.exit_code == 0, result.output
    return json.loads((report / "report.json").read_text())


def files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def assert_no_key(*roots: Path) -> None:
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file():
                assert KEY.encode() not in path.read_bytes(), path
                assert KEY[15:40].encode() not in path.read_bytes(), path  # not even a long piece of it


def bills(report: dict) -> dict[str, str]:
    return {p["month"]: p["billed_usd"] for p in report["reconciliation"]["pairs"] if p["platform"] == "anthropic"}


def test_pull_saves_every_page_as_received_through_faults_and_analyze_reads_them(api, waits, tmp_path):
    # Faults on each endpoint's first request: a 429 with retry-after: 7, a 500, a body cut off half-way, and an
    # answer slower than --timeout 1.
    api.faults = {"messages": ["429"], "cost": ["500"], "analytics_usage": ["cut"], "claude_code": ["slow"]}
    out = tmp_path / "exports" / "anthropic"
    result = pull(api, out, "--since", "2026-10-30", "--until", "2026-11-02")
    assert result.exit_code == 0, result.output
    assert "analytics_cost: skipped: not available to this organisation (HTTP 404: Not found)" in result.output
    assert files(out) == MONTH_FILES
    # Every page exactly as the server sent it, once; nothing of the failed answers.
    saved = sorted(p.read_bytes() for p in out.rglob("*.json"))
    assert saved == sorted(api.sent)
    assert waits[0] == 7.0  # the 429's retry-after, honoured (recorded here rather than slept)
    assert all(w < 0.01 for w in waits[1:]) and len(waits) == 4  # 429, 500, cut body, timeout: one retry each

    for r in api.requests:
        assert r.headers["x-api-key"] == KEY and r.headers["anthropic-version"] == "2023-06-01"
    messages = [r for r in api.requests if r.path == PATHS["messages"]]
    first = dict(messages[0].query)
    assert [v for k, v in messages[0].query if k == "group_by[]"] == list(MESSAGES_GROUP_BY)
    assert (first["starting_at"], first["ending_at"], first["bucket_width"], first["limit"]) == \
        ("2026-10-30T00:00:00Z", "2026-11-01T00:00:00Z", "1d", "31")
    assert messages[0].headers["anthropic-beta"] == "fast-mode-2026-02-01"
    # October (the 429, then pages 1 and 2, the second by its cursor), then November
    assert [dict(m.query).get("page") for m in messages] == [None, None, "page_1", None]
    analytics = [r for r in api.requests if r.path == PATHS["analytics_usage"]]
    assert analytics[0].headers["anthropic-beta"] == "analytics-usage-cost-2026-08-24"
    assert dict(analytics[0].query)["time_bucket_width"] == "1d"
    assert [dict(r.query)["starting_at"] for r in api.requests if r.path == PATHS["claude_code"]
            and "page" not in dict(r.query)] == ["2026-10-30", "2026-10-30", "2026-10-31", "2026-11-01"]

    names_file = tomllib.loads((out / "finops-names.toml").read_text())
    assert names_file == {"workspaces": {"wrkspc_A": "Production", "wrkspc_B": 'Research "R&D"'},
                          "api_keys": {"apikey_A": "ci-bot"}}

    report = analyze([tmp_path / "exports"], tmp_path / "report")
    # Three days (2026-10-30, 10-31, 11-01) of the same two results a day (fake_admin_api.RESULTS):
    # uncached input 3 x (1,000 + 2,000) = 9,000; cache reads 3 x 500 = 1,500; 5-minute writes 3 x 200 = 600;
    # 1-hour writes 3 x 400 = 1,200; output 3 x (100 + 300) = 1,200.
    t = report["totals"]
    assert (t["input_tokens"], t["cache_read_tokens"], t["cache_write_5m_tokens"], t["cache_write_1h_tokens"],
            t["output_tokens"]) == (9000, 1500, 600, 1200, 1200)
    # The cost report, in cents: 1,234.5 + 55.5 = 1,290 cents = $12.90 a day; October has two days: $25.80.
    assert bills(report) == {"2026-10": "25.800000", "2026-11": "12.900000"}
    # The names file among the inputs names the ids.
    workspaces = {r["workspace"] for r in report["spend_by"]["workspace"]}
    assert workspaces == {"Production", 'Research "R&D"'}
    skipped = {s["path"].split("anthropic/")[1]: s["reason"] for s in report["skipped"]}
    listed = "(not usage data): finops pull writes their names to finops-names.toml"
    assert {k: v for k, v in skipped.items() if k.startswith(("finops-names", "workspaces/", "api_keys/"))} == {
        "finops-names.toml": "names of workspaces and API keys (not usage data): finops analyze applies them to "
                             "their ids",
        "workspaces/page0001.json": f"Admin API list of workspaces {listed}",
        "workspaces/page0002.json": f"Admin API list of workspaces {listed}",
        "api_keys/page0001.json": f"Admin API list of API keys {listed}"}
    assert_no_key(out, tmp_path / "report")
    assert KEY not in result.output


def test_the_next_day_adds_only_the_new_day(api, waits, tmp_path):
    out = tmp_path / "anthropic"
    assert pull(api, out, "--since", "2026-10-30", "--until", "2026-11-02").exit_code == 0
    before = {name: (out / name).read_bytes() for name in files(out)}
    asked = len(api.requests)
    result = pull(api, out, "--since", "2026-10-30", "--until", "2026-11-03")  # the same cron line, a day later
    assert result.exit_code == 0, result.output
    added = files(out) - set(before)
    assert added == {"usage_report_messages/2026-11/2026-11-02T00Z_2026-11-03T00Z_1d_page0001.json",
                     "cost_report/2026-11/2026-11-02T00Z_2026-11-03T00Z_1d_page0001.json",
                     "analytics_usage/2026-11/2026-11-02T00Z_2026-11-03T00Z_1d_page0001.json",
                     "analytics_usage/2026-11/2026-11-02T00Z_2026-11-03T00Z_1d_page0002.json",
                     "usage_report_claude_code/2026-11/2026-11-02_page0001.json",
                     "usage_report_claude_code/2026-11/2026-11-02_page0002.json"}
    assert all((out / name).read_bytes() == body for name, body in before.items())
    # (the analytics cost, which this organisation does not have, is asked for the whole period again)
    starts = {dict(r.query).get("starting_at") for r in api.requests[asked:] if r.path != PATHS["analytics_cost"]}
    assert starts == {"2026-11-02T00:00:00Z", "2026-11-02", None}  # None: the workspace and key lists
    # Once more, without --since (from the end of what is saved): nothing dated is asked for.
    asked = len(api.requests)
    assert pull(api, out, "--until", "2026-11-03").exit_code == 0
    assert {dict(r.query).get("starting_at") for r in api.requests[asked:]
            if r.path != PATHS["analytics_cost"]} == {None}
    report = analyze([out], tmp_path / "report")
    # Four days now: 4 x 3,000 uncached input, 4 x 400 output; the bill 4 x $12.90, two days in each month.
    assert (report["totals"]["input_tokens"], report["totals"]["output_tokens"]) == (12000, 1600)
    assert bills(report) == {"2026-10": "25.800000", "2026-11": "25.800000"}


def test_a_pull_stopped_half_way_leaves_whole_pages_and_the_next_run_completes_it(api, waits, tmp_path):
    api.fail_page = {"messages": (2, 503)}  # every query's second page fails, every time
    out = tmp_path / "anthropic"
    result = pull(api, out, "--since", "2026-10-30", "--until", "2026-11-02", "--tries", "2")
    assert result.exit_code == 1
    assert "usage_report_messages: failed: gave up: HTTP 503 (2 tries)" in result.output
    assert result.output.strip().splitlines()[-1] == ("Error: usage_report_messages not complete: run the same "
                                                      "command again to fetch what is missing")
    # The usage report stopped at October's second page: the first is saved whole; the other endpoints went on.
    assert sorted(files(out / "usage_report_messages")) == ["2026-10/2026-10-30T00Z_2026-11-01T00Z_1d_page0001.json"]
    assert (out / "cost_report" / "2026-11").is_dir()
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    for path in out.rglob("*.json"):
        json.loads(path.read_bytes())  # every file whole
    api.fail_page = {}
    assert pull(api, out, "--since", "2026-10-30", "--until", "2026-11-02").exit_code == 0
    assert files(out) == MONTH_FILES
    report = analyze([out], tmp_path / "report")
    assert report["totals"]["input_tokens"] == 9000  # 3 days x 3,000: the first try's page counted once


def test_a_query_stopped_half_way_gives_way_to_the_next_days_longer_one(api, waits, tmp_path):
    api.fail_page = {"messages": (2, 500)}
    out = tmp_path / "anthropic"
    assert pull(api, out, "--since", "2026-11-01", "--until", "2026-11-03", "--tries", "1").exit_code == 1
    assert files(out / "usage_report_messages") == {"2026-11/2026-11-01T00Z_2026-11-03T00Z_1d_page0001.json"}
    api.fail_page = {}
    assert pull(api, out, "--since", "2026-11-01", "--until", "2026-11-04").exit_code == 0
    # The query of the next day covers the unfinished one: its page is gone, so no day is there twice.
    assert files(out / "usage_report_messages") == {
        f"2026-11/2026-11-01T00Z_2026-11-04T00Z_1d_page000{n}.json" for n in (1, 2, 3)}


def test_a_pull_killed_mid_query_leaves_whole_pages_and_a_rerun_is_exact(api, waits, tmp_path):
    # A real process, killed (SIGKILL: no clean-up of any kind) while it waits for October's second page.
    api.faults = {"messages": ["", "slow"]}
    out = tmp_path / "anthropic"
    env = {**os.environ, "ANTHROPIC_ADMIN_KEY": KEY, "CI": "1"}
    process = subprocess.Popen(
        [sys.executable, "-c", "from finops.cli import cli; cli()", "pull", "anthropic", "-o", str(out),
         "--base-url", api.url, "--since", "2026-10-30", "--until", "2026-11-02"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert api.stalled.wait(60), "the pull never asked for the second page"
    finally:
        process.kill()
        process.wait()
    assert files(out) == {"usage_report_messages/2026-10/2026-10-30T00Z_2026-11-01T00Z_1d_page0001.json"}
    api.release.set()
    result = pull(api, out)  # the same folder, no --since: nothing complete is saved, so it starts over
    assert result.exit_code == 1 and "nothing pulled into" in result.output
    assert pull(api, out, "--since", "2026-10-30", "--until", "2026-11-02").exit_code == 0
    assert files(out) == MONTH_FILES
    report = analyze([out], tmp_path / "report")
    assert report["totals"]["input_tokens"] == 9000  # 3 days x 3,000, the killed try's page counted once


@pytest.mark.parametrize(("status", "line"), [
    (401, "Error: the Admin API refused the key (HTTP 401): it is not an Admin API key (sk-ant-admin01…) "
          "(invalid x-api-key)"),
    (403, "Error: the Admin API refused the key (HTTP 403): it lacks access to "
          "/v1/organizations/usage_report/messages (not allowed)"),
])
def test_a_key_that_is_refused_is_one_line(api, waits, tmp_path, status, line):
    if status == 403:
        api.status = 403
    key = KEY if status == 403 else KEY.replace("Qx7", "Bad")
    result = pull(api, tmp_path / "out", "--since", "2026-11-01", "--until", "2026-11-02", key=key)
    assert result.exit_code == 1
    assert result.output.strip() == line
    assert key not in result.output and len(api.requests) == 1


def test_the_key_comes_from_the_environment_only(api, tmp_path):
    result = CliRunner(env={"ANTHROPIC_ADMIN_KEY": ""}).invoke(
        cli, ["pull", "anthropic", "-o", str(tmp_path), "--base-url", api.url, "--since", "2026-11-01"])
    assert result.exit_code == 1
    assert result.output.strip() == ("Error: set ANTHROPIC_ADMIN_KEY to an Admin API key (sk-ant-admin01…): "
                                     "finops reads the key from the environment only")
    result = CliRunner(env={"MY_KEY": KEY}).invoke(
        cli, ["pull", "anthropic", "-o", str(tmp_path / "o"), "--base-url", api.url, "--since", "2026-11-01",
              "--until", "2026-11-02", "--admin-key-env", "MY_KEY", "--quiet"])
    assert result.exit_code == 0, result.output
    assert api.requests and all(r.headers["x-api-key"] == KEY for r in api.requests)


def test_a_first_pull_needs_since_and_widths_are_not_mixed(api, waits, tmp_path):
    result = pull(api, tmp_path / "o")
    assert result.exit_code == 1 and "nothing pulled into" in result.output and "--since" in result.output
    assert pull(api, tmp_path / "o", "--since", "2026-11-01", "--until", "2026-11-02").exit_code == 0
    result = pull(api, tmp_path / "o", "--bucket-width", "1h", "--until", "2026-11-02")
    assert result.exit_code == 1
    assert "holds 1d buckets: pull with --bucket-width 1d" in result.output


def test_gaps_between_saved_ranges():
    d = lambda day: datetime(2026, 11, day)  # noqa: E731
    assert gaps((d(1), d(10)), []) == [(d(1), d(10))]
    assert gaps((d(1), d(10)), [(d(1), d(3)), (d(5), d(6))]) == [(d(3), d(5)), (d(6), d(10))]
    assert gaps((d(2), d(4)), [(d(1), d(5))]) == []


def test_an_interrupted_write_leaves_no_file(tmp_path, monkeypatch):
    from finops.pull import pages

    def interrupted(_fd):  # Ctrl-C while the page is being written
        raise KeyboardInterrupt

    monkeypatch.setattr(pages.os, "fsync", interrupted)
    target = tmp_path / "x" / "page0001.json"
    with pytest.raises(KeyboardInterrupt):
        PageStore(tmp_path).write(target, b'{"data": []}')
    assert not target.exists() and not list((tmp_path / "x").iterdir())


def test_names_files_round_trip_and_finops_toml_wins(tmp_path):
    odd = {"workspaces": {"wrkspc_1": 'quote " back \\ tab \t bell \x07 del \x7f é'}, "api_keys": {}}
    path = tmp_path / names.NAMES_FILE
    path.write_bytes(names.to_toml(odd, header="a header\non two lines"))
    assert tomllib.loads(path.read_text()) == odd  # every character survives, as TOML reads it
    page = {"data": [{"starting_at": "2026-11-01T00:00:00Z", "ending_at": "2026-11-02T00:00:00Z", "results": [
        {"workspace_id": "wrkspc_1", "model": "claude-sonnet-4-6", "uncached_input_tokens": 10, "output_tokens": 1},
        {"workspace_id": "wrkspc_2", "model": "claude-sonnet-4-6", "uncached_input_tokens": 20, "output_tokens": 2}]}],
        "has_more": False, "next_page": None}
    (tmp_path / "usage").mkdir()
    (tmp_path / "usage" / "page.json").write_text(json.dumps(page))
    path.write_bytes(names.to_toml({"workspaces": {"wrkspc_1": "from file", "wrkspc_2": "two"}}))
    # next to the input folder, and finops.toml's entry wins over the file's
    audit = pipeline.run([tmp_path / "usage"], now=datetime(2026, 12, 1),
                         names={"workspaces": {"wrkspc_1": "from finops.toml"}})
    try:
        by = {r["workspace"]: r["input_tokens"] for r in audit.report.spend_by["workspace"]}
        assert by == {"from finops.toml": 10, "two": 20}
    finally:
        audit.close()


def test_the_key_never_crosses_a_network_in_plain_http(tmp_path):
    result = CliRunner(env={"ANTHROPIC_ADMIN_KEY": KEY}).invoke(
        cli, ["pull", "anthropic", "-o", str(tmp_path), "--base-url", "http://proxy.example:8080", "--since",
              "2026-11-01"])
    assert result.exit_code == 2 and "give an https URL (plain http only to localhost" in result.output
    assert not list(tmp_path.iterdir())
    result = CliRunner(env={"ANTHROPIC_ADMIN_KEY": KEY}).invoke(  # a URL that does not parse: no traceback
        cli, ["pull", "anthropic", "-o", str(tmp_path), "--base-url", "https://[::1", "--since", "2026-11-01"])
    assert result.exit_code == 2 and "give an https URL" in result.output


def test_progress_bars_only_on_a_terminal_and_never_in_ci(monkeypatch):
    from finops.pull.command import _Bars

    monkeypatch.setenv("FORCE_COLOR", "1")  # rich then takes stderr for a terminal
    monkeypatch.delenv("CI", raising=False)
    assert _Bars(enabled=True).enabled and not _Bars(enabled=False).enabled  # --quiet
    monkeypatch.setenv("CI", "true")
    assert not _Bars(enabled=True).enabled
    monkeypatch.delenv("FORCE_COLOR")
    monkeypatch.delenv("CI")
    monkeypatch.setenv("TTY_COMPATIBLE", "0")
    assert not _Bars(enabled=True).enabled  # not a terminal (pytest captures stderr)


def test_retry_after_in_seconds_or_as_a_date_and_never_past_five_minutes(waits):
    import httpx

    from finops.pull.client import AdminClient, GaveUp, Secret, _retry_after

    assert _retry_after("7") == 7.0 and _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a past date
    assert _retry_after("soon") is None and _retry_after(None) is None
    answers = iter([httpx.Response(503, headers={"retry-after": "2"}),
                    httpx.Response(429, headers={"retry-after": "3600"})])
    client = AdminClient("https://api.example", Secret(KEY), backoff=0,
                         transport=httpx.MockTransport(lambda _request: next(answers)))
    with pytest.raises(GaveUp, match=r"^HTTP 429, retry-after 3600 s is longer than 300 s \(2 tries\)$"):
        client.get("/v1/organizations/cost_report", [])
    assert waits == [2.0]  # the 503's retry-after waited; an hour is not


def test_hourly_buckets_for_the_usage_reports_and_daily_for_the_cost_report(api, waits, tmp_path):
    out = tmp_path / "o"
    assert pull(api, out, "--since", "2026-11-01", "--until", "2026-11-02", "--bucket-width", "1h").exit_code == 0
    asked = {r.path: dict(r.query) for r in api.requests}
    assert (asked[PATHS["messages"]]["bucket_width"], asked[PATHS["messages"]]["limit"]) == ("1h", "168")
    assert asked[PATHS["analytics_usage"]]["time_bucket_width"] == "1h"
    assert (asked[PATHS["cost"]]["bucket_width"], asked[PATHS["cost"]]["limit"]) == ("1d", "31")
    assert files(out / "usage_report_messages") == {"2026-11/2026-11-01T00Z_2026-11-02T00Z_1h_page0001.json"}
    assert files(out / "cost_report") == {"2026-11/2026-11-01T00Z_2026-11-02T00Z_1d_page0001.json"}


@pytest.mark.parametrize("bad", ["\x01Z9", "é", " Z9", "\nZ9"])
def test_a_key_with_a_character_no_key_has_is_one_line_that_does_not_show_it(api, tmp_path, bad):
    # A key pasted with a control character, a non-ASCII letter or inner whitespace: httpx cannot send it
    # (non-ASCII raised a traceback) or h11 refuses it quoting the whole header value. It is refused before
    # any request, naming the variable, never the key.
    key = KEY[:30] + bad + KEY[30:]
    result = pull(api, tmp_path / "out", "--since", "2026-11-01", "--until", "2026-11-02", key=key)
    assert result.exit_code == 1
    assert result.output.strip() == ("Error: ANTHROPIC_ADMIN_KEY holds a character no API key has (a space, a "
                                     "control or non-ASCII character): copy the key again")
    assert not api.requests
