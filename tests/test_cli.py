"""The command line, end to end: exit codes, messages, files written, the report.json contract."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from finops.cli import cli

SAMPLE_LOGS = Path(__file__).parent.parent / "sample_logs"


def line(msg_id: str, model: str, day: str, inp: int, read: int, out: int) -> str:
    return json.dumps({
        "parentUuid": "p", "sessionId": "s1", "uuid": msg_id, "type": "assistant", "requestId": f"req_{msg_id}",
        "timestamp": f"{day}T10:00:00Z", "cwd": "/home/dev/app", "version": "2.1.0",
        "message": {"id": msg_id, "model": model, "type": "message", "role": "assistant", "content": [],
                    "usage": {"input_tokens": inp, "cache_read_input_tokens": read,
                              "cache_creation_input_tokens": 0, "output_tokens": out}}})


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    folder = tmp_path / "logs" / "projects" / "-home-dev-app"
    folder.mkdir(parents=True)
    (folder / "s1.jsonl").write_text("\n".join([
        line("msg_1", "claude-opus-4-1-20250805", "2026-07-01", 1_000_000, 200_000, 100_000),
        line("msg_2", "claude-opus-4-6", "2026-07-02", 1_000_000, 0, 100_000),
        line("msg_3", "claude-made-up-9", "2026-07-02", 10, 0, 10),
        '{"type": "assistant", "message": {"usage": ',
    ]) + "\n")
    return tmp_path / "logs"


def invoke(*args: str, cwd: Path | None = None):
    runner = CliRunner(env={"COLUMNS": "80"})
    return runner.invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize("command", ["analyze", "prices", "formats", "list-analyses"])
def test_every_command_has_help(command: str):
    result = invoke(command, "--help")
    assert result.exit_code == 0 and "Usage:" in result.output


def test_analyze_writes_json_and_accounts_for_every_row(logs: Path, tmp_path: Path):
    out = tmp_path / "out"
    result = invoke("analyze", str(logs), "-o", str(out), "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    # Opus 4.1: 1M x 15 + 0.2M x 1.5 + 0.1M x 75 = 22.80; Opus 4.6: 1M x 5 + 0.1M x 25 = 7.50
    assert report["totals"]["billed_cost_usd"] == "30.300000"
    assert report["totals"]["list_cost_usd"] == "30.300000"
    [source] = report["inputs"]
    assert source["rows_read"] == source["rows_loaded"] + source["rows_rejected"] + source["rows_duplicate"]
    assert (source["rows_read"], source["rows_loaded"], source["rows_rejected"]) == (4, 3, 1)
    assert report["unpriced"][0]["model"] == "claude-made-up-9" and report["unpriced"][0]["rows"] == 1
    legacy = next(f for f in report["findings"] if f["id"] == "legacy_model")
    # Same tokens on Opus 4.6: 1M x 5 + 0.2M x 0.5 + 0.1M x 25 = 7.60 -> saves 15.20
    assert legacy["savings_usd"] == "15.200000"
    assert report["savings"]["stacked_usd"] == "15.200000"
    assert all(re.fullmatch(r"-?\d+\.\d{6}", v) for v in (report["totals"]["list_cost_usd"],
                                                          report["savings"]["standalone_usd"]))
    rejects = (out / "rejects.csv").read_text().splitlines()
    assert rejects[0] == "file,line,reason" and rejects[1].endswith(",4,invalid JSON: truncated or malformed line")
    assert "Records: 4 read = 3 loaded + 1 rejected + 0 duplicates" in result.output


def test_report_json_has_the_documented_keys(logs: Path, tmp_path: Path):
    invoke("analyze", str(logs), "-o", str(tmp_path / "o"), "--format", "json")
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert {"schema_version", "period", "inputs", "totals", "unpriced", "spend_by_model", "findings",
            "savings"} <= set(report)
    assert set(report["period"]) == {"start", "end"}
    assert {"requests", "input_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens", "cache_read_tokens",
            "output_tokens", "list_cost_usd", "billed_cost_usd"} <= set(report["totals"])
    assert {"standalone_usd", "stacked_usd"} == set(report["savings"])
    for f in report["findings"]:
        assert {"id", "title", "severity", "confidence", "affected_requests", "affected_cost_usd", "savings_usd",
                "stacked_savings_usd", "recommendation", "evidence"} <= set(f)
        assert f["confidence"] in ("measured", "estimated")


def test_missing_path_is_a_usage_error(tmp_path: Path):
    result = invoke("analyze", str(tmp_path / "nope"))
    assert result.exit_code == 2 and "no such file or folder" in result.output


def test_no_usable_input_exits_1_with_one_line(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("hello\n")
    result = invoke("analyze", str(tmp_path), "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert result.output.startswith("Error: no usable input") and result.output.count("\n") == 1


def test_bad_param_and_format(logs: Path, tmp_path: Path):
    result = invoke("analyze", str(logs), "-o", str(tmp_path), "--param", "legacy_model.nope=1")
    assert result.exit_code == 1 and "has no parameter 'nope'" in result.output
    result = invoke("analyze", str(logs), "-o", str(tmp_path), "--param", "garbage")
    assert result.exit_code == 1 and "ID.NAME=VALUE" in result.output
    result = invoke("analyze", str(logs), "-o", str(tmp_path), "--format", "docx")
    assert result.exit_code == 2


def test_unwritable_output_is_a_clear_error(logs: Path, tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = invoke("analyze", str(logs), "-o", str(blocker / "sub"))
    assert result.exit_code == 1 and result.output.startswith("Error: cannot write to")


def test_negotiated_prices_change_billed_not_list(logs: Path, tmp_path: Path):
    prices = tmp_path / "negotiated.csv"
    prices.write_text("model,variant,valid_from,input,cache_write_5m,cache_write_1h,cache_read,output\n"
                      "claude-opus-4-6,standard,2026-01-01,4.00,5.00,8.00,0.40,20.00\n")
    invoke("analyze", str(logs), "-o", str(tmp_path / "o"), "--format", "json", "--prices", str(prices))
    totals = json.loads((tmp_path / "o" / "report.json").read_text())["totals"]
    # Opus 4.6 row at 4/20: 1M x 4 + 0.1M x 20 = 6.00 instead of 7.50; list stays 30.30
    assert Decimal(totals["billed_cost_usd"]) == Decimal("28.80")
    assert Decimal(totals["list_cost_usd"]) == Decimal("30.30")


def test_config_file_sets_params(logs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "finops.toml").write_text('organisation = "Acme"\n[params.legacy_model]\nmin_savings_usd = 100\n')
    monkeypatch.chdir(tmp_path)
    invoke("analyze", str(logs), "-o", str(tmp_path / "o"), "--format", "json")
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert "legacy_model" not in {f["id"] for f in report["findings"]}  # 15.20 < 100


def test_prices_command_prints_rates():
    result = invoke("prices", "--model", "claude-opus-4-1")
    assert result.exit_code == 0 and "15.00" in result.output and "75.00" in result.output
    csv_out = invoke("prices", "--csv").output.splitlines()
    assert csv_out[0].startswith("platform,model,variant,valid_from")


@pytest.mark.skipif(not SAMPLE_LOGS.is_dir(), reason="sample_logs/ not present")
def test_config_file_names_workspace_ids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "finops.toml").write_text('[workspaces]\nwrkspc_data_platform = "Data Platform"\n')
    monkeypatch.chdir(tmp_path)
    result = invoke("analyze", str(SAMPLE_LOGS), "-o", str(tmp_path / "o"), "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    workspaces = {r["workspace"] for r in report["spend_by"]["workspace"]}
    assert "Data Platform" in workspaces and "wrkspc_data_platform" not in workspaces
    (tmp_path / "finops.toml").write_text("[workspaces]\nwrkspc_data_platform = 5\n")
    result = CliRunner().invoke(cli, ["analyze", str(SAMPLE_LOGS), "-o", str(tmp_path / "o2")])
    assert result.exit_code != 0 and '[workspaces] expects id = "name" pairs' in result.output


def test_a_price_file_that_is_not_utf8_is_a_one_line_error(logs: Path, tmp_path: Path):
    prices = tmp_path / "negotiated.csv"
    prices.write_bytes(b"model,variant,valid_from,input,cache_write_5m,cache_write_1h,cache_read,output\n"
                       b"claude-opus-4-6,standard,2026-01-01,4.00,5.00,8.00,0.40,20.00 \xa3\n")
    result = CliRunner().invoke(cli, ["analyze", str(logs), "-o", str(tmp_path / "o"), "--prices", str(prices)])
    # The pound sign (0xa3) follows the header (78 characters and a line feed) and 62 bytes of the row: offset 141.
    assert result.exit_code == 1 and result.output.count("\n") == 1, result.output
    assert result.output == f"Error: {prices}: not UTF-8 text (byte 0xa3 at offset 141); save the price file as UTF-8\n"


KNOWN_IDS = "known: batch_candidates, cache_missed, cache_missed_estimated, cache_ttl"  # the list starts so


def one_line_error(result: Any) -> str:
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1, result.output
    return result.output


def test_a_typo_in_a_param_is_an_error_that_suggests_the_closest(logs: Path, tmp_path: Path):
    """--param with an unknown analysis id (or parameter) used to be ignored: the default stayed, exit 0."""
    out = str(tmp_path / "o")
    typo = one_line_error(invoke("analyze", str(logs), "-o", out, "--param", "thinking_over_budgt.cap_tokens=1"))
    assert ("thinking_over_budgt.cap_tokens: unknown analysis id 'thinking_over_budgt' "
            "(did you mean 'thinking_over_budget'?); " + KNOWN_IDS) in typo
    nothing_close = one_line_error(invoke("analyze", str(logs), "-o", out, "--param", "nonexistent.x=1"))
    assert "unknown analysis id 'nonexistent'; known: batch_candidates" in nothing_close
    name = one_line_error(invoke("analyze", str(logs), "-o", out, "--param", "thinking_over_budget.cap_tokenz=1"))
    assert "thinking_over_budget has no parameter 'cap_tokenz' (did you mean 'cap_tokens'?)" in name
    # Refused even for an analysis this run skips: it is a typo all the same.
    skipped = invoke("analyze", str(logs), "-o", out, "--skip", "legacy_model", "--param", "legacy_model.nope=1")
    assert "has no parameter 'nope'" in one_line_error(skipped)
    assert not (tmp_path / "o" / "report.json").exists()


def test_finops_toml_that_is_wrong_says_so(logs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "finops.toml"
    args = ("analyze", str(logs), "-o", str(tmp_path / "o"), "--format", "json")
    config.write_text("[params.thinking_over_budgt]\ncap_tokens = 8000\n")
    assert (f"Error: {config}: [params]: thinking_over_budgt.cap_tokens: unknown analysis id "
            "'thinking_over_budgt' (did you mean 'thinking_over_budget'?); ") in one_line_error(invoke(*args))
    config.write_text('organization = "Acme"\n')  # American spelling
    assert (f"Error: {config}: unknown setting 'organization' (did you mean 'organisation'?); known: api_keys, "
            "organisation, params, prices, reconciliation, report, workspaces") in one_line_error(invoke(*args))
    config.write_text("[params.thinking_over_budget]\ncap_tokens = 8000.5\n")
    assert "thinking_over_budget.cap_tokens: 8000.5 is not a whole number" in one_line_error(invoke(*args))
    config.unlink()
    config.mkdir()
    assert f"Error: {config}: not a file" in one_line_error(invoke(*args))
    assert not (tmp_path / "o" / "report.json").exists()
