"""Reconciliation of logs against bills, with every number worked out by hand (comments give the arithmetic).

List prices ($ per million tokens): Sonnet 4.6 input 3, output 15; Haiku 4.5 input 1; Opus 4.6 input 5, output 25;
web search $0.01 each.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from finops.cli import cli
from finops.pipeline import run

NOW = datetime(2026, 11, 1)
SONNET = "Claude Sonnet 4.6 (Amazon Bedrock Edition)"
CUR_HEADER = ["identity_line_item_id", "line_item_line_item_type", "line_item_usage_account_id",
              "line_item_usage_type", "line_item_usage_start_date", "line_item_usage_end_date",
              "line_item_usage_amount", "pricing_unit", "line_item_unblended_cost", "line_item_currency_code",
              "product_product_name", "product_region_code"]


def invocation(day: int, request: str, model: str, inp: int, out: int) -> str:
    return json.dumps({"schemaType": "ModelInvocationLog", "schemaVersion": "1.0",
                       "timestamp": f"2026-10-{day:02d}T12:00:00Z", "accountId": "111122223333",
                       "region": "us-east-1", "requestId": request, "operation": "InvokeModel", "modelId": model,
                       "identity": {"arn": "arn:aws:iam::111122223333:user/app"},
                       "input": {"inputTokenCount": inp}, "output": {"outputTokenCount": out}})


def cur_line(n: int, kind: str, account: str, usage_type: str, day: int, amount: str, cost: str,
             product: str = SONNET, region: str = "us-east-1", end_day: int | None = None) -> list[str]:
    start = datetime(2026, 10, day)
    end = start + timedelta(days=(end_day or day + 1) - day)  # end_day 32: 1 November
    return [f"li-{n}", kind, account, usage_type, f"{start:%Y-%m-%d}T00:00:00Z", f"{end:%Y-%m-%d}T00:00:00Z",
            amount, "1M tokens", cost, "USD", product, region]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_text(buf.getvalue())
    return path


@pytest.fixture
def bedrock(tmp_path: Path) -> Path:
    """Logs on 6 and 7 October; a CUR for 5-7 October with a 5% rate cut from the 6th, an unlogged account, a
    credit, a tax line, and 200,000 more input on the 7th than the logs show."""
    folder = tmp_path / "bedrock"
    folder.mkdir()
    model = "global.anthropic.claude-sonnet-4-6"
    (folder / "invocations.jsonl").write_text(
        invocation(6, "r1", model, 1_000_000, 100_000) + "\n" + invocation(7, "r2", model, 1_000_000, 100_000) + "\n")
    a, b = "111122223333", "444455556666"
    inp, out = "USE1-MP:USE1_InputTokenCount_Global-Units", "USE1-MP:USE1_OutputTokenCount_Global-Units"
    write_csv(folder / "cur.csv", CUR_HEADER, [
        cur_line(1, "Usage", a, inp, 5, "1", "3"),  # before the logs start: list 3, billed 3
        cur_line(2, "Usage", a, inp, 6, "1", "2.85"),  # list 3
        cur_line(3, "Usage", a, out, 6, "0.1", "1.425"),  # list 1.5
        cur_line(4, "Usage", a, inp, 7, "1.2", "3.42"),  # list 3.6: 200,000 more than logged
        cur_line(5, "Usage", a, out, 7, "0.1", "1.425"),  # list 1.5
        cur_line(6, "Usage", b, "USW2-MP:USW2_InputTokenCount_Global-Units", 6, "1", "1",
                 "Claude Haiku 4.5 (Amazon Bedrock Edition)", "us-west-2"),  # never logged: list 1
        cur_line(7, "Credit", a, inp, 6, "0", "-0.5"),
        cur_line(8, "Tax", a, "", 1, "0", "0.3", end_day=32),
    ])
    return folder


def section(paths: list[Path], **kwargs: Any) -> dict[str, Any]:
    audit = run(paths, now=NOW, **kwargs)
    try:
        return {"report": audit.report, **audit.report.sections["reconciliation"]}
    finally:
        audit.close()


def test_bedrock_gap_split_into_named_causes(bedrock: Path) -> None:
    data = section([bedrock])
    (p,) = data["pairs"]
    assert (p["platform"], p["month"], p["logs_source"], p["bill_source"]) == (
        "bedrock", "2026-10", "Bedrock invocation logs", "AWS Cost and Usage Report")
    # Logs: 2 x (1,000,000 x 3 + 100,000 x 15) / 1e6 = 2 x 4.5 = 9.
    assert p["logs_list_usd"] == Decimal("9")
    # Bill at list: 3 + 3 + 1.5 + 3.6 + 1.5 + 1 = 13.6; billed: 3 + 2.85 + 1.425 + 3.42 + 1.425 + 1 - 0.5 = 12.62.
    assert (p["bill_list_usd"], p["bill_value_usd"], p["billed_usd"], p["tax_usd"]) == (
        Decimal("13.6"), Decimal("13.6"), Decimal("12.62"), Decimal("0.3"))
    assert p["gap_usd"] == Decimal("3.62")  # 12.62 - 9
    causes = {(c["cause"], c["detail"]): c["amount_usd"] for c in p["causes"]}
    assert causes == {
        ("credits", "credit"): Decimal("-0.5"),
        # (2.85 - 3) + (1.425 - 1.5) + (3.42 - 3.6) + (1.425 - 1.5)
        ("discounts", "billed below list"): Decimal("-0.48"),
        ("outside_range", "2026-10-05"): Decimal("3"),
        ("no_logs_model", "model claude-haiku-4-5, region us-west-2, AWS account 444455556666"): Decimal("1"),
        # matched bill at list 3 + 1.5 + 3.6 + 1.5 = 9.6 against the logs' 9
        ("unexplained", "largest on 2026-10-07 (+$0.60)"): Decimal("0.6"),
    }
    assert sum(causes.values()) == p["gap_usd"]  # the causes add up to the gap exactly
    # Usage gap = 3.62 + 0.5 + 0.48 = 4.6 = 13.6 - 9; 4.6 / 13.6 = 0.338235 (shown, labelled "usage gap").
    assert (p["usage_gap_usd"], p["usage_gap_share"]) == (Decimal("4.6"), Decimal("0.338235"))
    # The result follows the part not explained: 0.6 / 13.6 = 0.044118 > 1%: fail.
    assert (p["unexplained_usd"], p["unexplained_share"], p["result"]) == (
        Decimal("0.6"), Decimal("0.044118"), "fail")
    # Explained, in groups a reader can act on: logs missing for a day (3) and an account (1), credits, discounts.
    assert [(g["group"], g["amount_usd"], g["detail"]) for g in p["explained"]] == [
        ("logs_missing", Decimal("4"),
         "2026-10-05; model claude-haiku-4-5, region us-west-2, AWS account 444455556666"),
        ("credits", Decimal("-0.5"), ""),
        ("discounts", Decimal("-0.48"), ""),
    ]
    (realised,) = data["realised"]
    # 12.62 / 13.6 = 0.927941; discount 0.072059
    assert (realised["platform"], realised["list_usd"], realised["billed_usd"], realised["realised_rate"],
            realised["discount"]) == ("bedrock", Decimal("13.6"), Decimal("12.62"), Decimal("0.927941"),
                                      Decimal("0.072059"))


def test_the_bill_is_the_spend_basis_and_logs_are_detail(bedrock: Path) -> None:
    report = section([bedrock])["report"]
    # Totals count the CUR's tokens at list (13.6), not the logs' (9): they are detail for findings.
    assert report.totals.list_cost == Decimal("13.6")
    assert {r["source_format"]: r["rows"] for r in report.quality["detail_only_rows"]} == {"bedrock_invocation": 2}


def test_tolerance_decides_pass_or_fail(bedrock: Path) -> None:
    # Not explained: 0.6 / 13.6 = 0.044118 (the usage gap's 0.338 does not decide).
    assert section([bedrock], tolerance=Decimal("0.045"))["pairs"][0]["result"] == "pass"
    assert section([bedrock], tolerance=Decimal("0.044"))["pairs"][0]["result"] == "fail"


def test_tolerance_on_the_command_line(bedrock: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["analyze", str(bedrock), "-o", str(out), "--format", "json",
                                      "--tolerance", "40%"])
    assert result.exit_code == 0, result.output
    rec = json.loads((out / "report.json").read_text())["reconciliation"]
    assert (rec["tolerance"], rec["pairs"][0]["result"], rec["pairs"][0]["gap_usd"]) == ("0.400000", "pass",
                                                                                        "3.620000")
    bad = CliRunner().invoke(cli, ["analyze", str(bedrock), "-o", str(out), "--tolerance", "lots"])
    assert bad.exit_code == 2 and "tolerance 'lots' is not a share" in bad.output


def test_a_monthly_bill_line_covers_its_whole_month(tmp_path: Path) -> None:
    """A CUR of monthly granularity (one line for 1 October to 1 November) is the basis for every October day."""
    model = "global.anthropic.claude-sonnet-4-6"
    (tmp_path / "inv.jsonl").write_text(invocation(15, "r1", model, 1_000_000, 0) + "\n")
    write_csv(tmp_path / "cur.csv", CUR_HEADER, [
        cur_line(1, "Usage", "111122223333", "USE1-MP:USE1_InputTokenCount_Global-Units", 1, "1", "3",
                 end_day=32)])
    data = section([tmp_path])
    assert data["report"].totals.list_cost == Decimal("3")  # the bill's line, not bill + logs
    (p,) = data["pairs"]
    # The monthly line overlaps the logs' only day: matched; 3 - 3 = 0.
    assert (p["gap_usd"], p["result"]) == (Decimal("0"), "pass")


def usage_page(results: list[dict[str, Any]]) -> str:
    return json.dumps({"data": [{"starting_at": "2026-09-01T00:00:00Z", "ending_at": "2026-09-02T00:00:00Z",
                                 "results": results}], "has_more": False})


def test_anthropic_cost_report_against_the_usage_report(tmp_path: Path) -> None:
    """The cost report states money only: each line counts at what it billed."""
    (tmp_path / "usage.json").write_text(usage_page([{
        "workspace_id": "wrkspc_a", "model": "claude-opus-4-6", "context_window": "0-200k",
        "uncached_input_tokens": 100_000, "cache_read_input_tokens": 0,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
        "output_tokens": 10_000, "server_tool_use": {"web_search_requests": 10}}]))
    cost = [  # cents
        {"amount": "50", "currency": "USD", "cost_type": "tokens", "model": "claude-opus-4-6",
         "token_type": "uncached_input_tokens", "workspace_id": "wrkspc_a"},
        {"amount": "25", "currency": "USD", "cost_type": "tokens", "model": "claude-opus-4-6",
         "token_type": "output_tokens", "workspace_id": "wrkspc_a"},
        {"amount": "10", "currency": "USD", "cost_type": "web_search", "model": None, "workspace_id": "wrkspc_a"},
        {"amount": "30", "currency": "USD", "cost_type": "tokens", "model": "claude-sonnet-4-6",
         "token_type": "uncached_input_tokens", "workspace_id": "wrkspc_z"},
        {"amount": "40", "currency": "USD", "cost_type": "tokens", "model": "claude-opus-9-preview",
         "token_type": "output_tokens", "workspace_id": "wrkspc_a"},
    ]
    (tmp_path / "cost.json").write_text(json.dumps({"data": [{
        "starting_at": "2026-09-01T00:00:00Z", "ending_at": "2026-09-02T00:00:00Z", "results": cost}]}))
    data = section([tmp_path])
    (p,) = data["pairs"]
    # Logs: 100,000 x 5 + 10,000 x 25 = 0.75, + 10 searches x 0.01 = 0.85. Billed 0.5 + 0.25 + 0.1 + 0.3 + 0.4.
    assert (p["logs_list_usd"], p["billed_usd"], p["bill_value_usd"], p["bill_list_usd"]) == (
        Decimal("0.85"), Decimal("1.55"), Decimal("1.55"), None)
    assert p["bill_list_complete"] is False
    causes = {(c["cause"], c["detail"]): c["amount_usd"] for c in p["causes"]}
    assert causes == {
        ("unpriced", "claude-opus-9-preview"): Decimal("0.4"),
        ("no_logs_model", "model claude-sonnet-4-6, workspace wrkspc_z"): Decimal("0.3"),
        ("unexplained", ""): Decimal("0"),  # 0.5 + 0.25 + 0.1 matched against 0.85
    }
    # A usage gap of 0.7 / 1.55 = 45%, all of it explained (an unpriced model, a workspace the logs lack): pass.
    assert (p["gap_usd"], p["usage_gap_share"], p["unexplained_usd"], p["result"]) == (
        Decimal("0.7"), Decimal("0.451613"), Decimal("0"), "pass")
    assert [(g["group"], g["amount_usd"]) for g in p["explained"]] == [
        ("unpriced", Decimal("0.4")), ("logs_missing", Decimal("0.3"))]
    (realised,) = data["realised"]  # no list on the bill: the logs' list
    assert (realised["list_usd"], realised["billed_usd"], realised["realised_rate"]) == (
        Decimal("0.85"), Decimal("1.55"), Decimal("1.823529"))
    assert realised["basis"] == "the logs at list (the bill states no list price)"


def test_logs_with_no_bill_count_against_and_bills_alone_are_listed(tmp_path: Path) -> None:
    model = "global.anthropic.claude-sonnet-4-6"
    # Logs on 6 and 20 October; the CUR covers 6 October only; a September CUR line has no logs.
    (tmp_path / "inv.jsonl").write_text(invocation(6, "r1", model, 1_000_000, 0) + "\n"
                                        + invocation(20, "r2", model, 2_000_000, 0) + "\n")
    rows = [cur_line(1, "Usage", "111122223333", "USE1-MP:USE1_InputTokenCount_Global-Units", 6, "1", "3")]
    september = ["li-9", "Usage", "111122223333", "USE1-MP:USE1_InputTokenCount_Global-Units",
                 "2026-09-10T00:00:00Z", "2026-09-11T00:00:00Z", "1", "1M tokens", "3", "USD", SONNET, "us-east-1"]
    write_csv(tmp_path / "cur.csv", CUR_HEADER, [*rows, september])
    data = section([tmp_path])
    (p,) = data["pairs"]
    causes = {(c["cause"], c["detail"]): c["amount_usd"] for c in p["causes"]}
    # Logged 20 October (2,000,000 x 3 = 6) is after the bill's last day: -6; the rest matches.
    assert causes == {("no_bill_days", ""): Decimal("-6"), ("unexplained", ""): Decimal("0")}
    assert p["gap_usd"] == Decimal("-6")  # billed 3 - logs 9
    assert [(u["platform"], u["month"], u["billed_usd"]) for u in data["unmatched"]] == [
        ("bedrock", "2026-09", Decimal("3"))]


def test_no_bill_no_section(tmp_path: Path) -> None:
    (tmp_path / "inv.jsonl").write_text(invocation(6, "r1", "global.anthropic.claude-sonnet-4-6", 10, 1) + "\n")
    audit = run([tmp_path], now=NOW)
    assert "reconciliation" not in audit.report.sections
    audit.close()


def test_findings_run_on_bedrock_and_vertex_rows(tmp_path: Path) -> None:
    """A regional Bedrock profile and a regional Vertex endpoint carry the premium finding; a legacy model on
    Bedrock the legacy finding, from the CUR's bucket rows as from logs."""
    (tmp_path / "inv.jsonl").write_text(
        invocation(6, "r1", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", 1_000_000, 0) + "\n")
    write_csv(tmp_path / "cur.csv", CUR_HEADER, [
        cur_line(1, "Usage", "111122223333", "USE1-MP:USE1_OutputTokenCount-Units", 8, "0.1", "7.5",
                 "Claude Opus 4.1 (Amazon Bedrock Edition)")])
    (tmp_path / "vertex.jsonl").write_text(json.dumps({
        "timestamp": "2026-10-06T10:00:00Z",
        "request": {"model": "claude-haiku-4-5@20251001", "max_tokens": 100, "messages": []},
        "response": {"id": "msg_v1", "model": "claude-haiku-4-5@20251001",
                     "usage": {"input_tokens": 1_000_000, "output_tokens": 0}},
        "metadata": {"platform": "vertex", "region": "us-east5", "endpoint_scope": "regional"}}) + "\n")
    audit = run([tmp_path], now=NOW)
    found = {f.id: f for f in audit.report.findings}
    audit.close()
    regional = found["regional_endpoint_premium"]
    # Sonnet 4.5 us. profile: 1,000,000 x 3 x 0.10 = 0.30; Vertex Haiku 4.5 us-east5: 1,000,000 x 1 x 0.10 = 0.10.
    assert regional.savings == Decimal("0.4")
    assert {r["platform"] for r in regional.evidence} == {"bedrock", "vertex"}
    # Opus 4.1 output from the CUR, regional: 100,000 x 75 / 1e6 = 7.5 against its successor Opus 4.6 on a
    # regional endpoint, 100,000 x 25 x 1.1 / 1e6 = 2.75: 4.75. Sonnet 4.5 -> 4.6 costs the same: 0.
    legacy = found["legacy_model"]
    assert {r["model"] for r in legacy.evidence} == {"claude-opus-4-1", "claude-sonnet-4-5"}
    assert legacy.savings == Decimal("4.75")
