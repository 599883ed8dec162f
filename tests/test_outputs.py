"""The other outputs: findings and evidence as CSV, the Markdown summary, `finops evidence`, `--format` lists."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from test_report import HOSTILE_MODEL, make_report

from finops import outputs
from finops.cli import cli

D = Decimal


def read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_findings_csv(tmp_path: Path) -> None:
    path = tmp_path / "findings.csv"
    assert outputs.write_findings_csv(make_report(), path) == 2
    rows = read(path)
    assert [r["id"] for r in rows] == ["legacy_model", "cache_missed"]
    assert rows[0]["savings_usd"] == "300.000000" and rows[0]["stacked_savings_usd"] == "300.000000"
    assert rows[1]["stacked_savings_usd"] == "40.000000" and rows[1]["evidence_rows_total"] == "31"
    assert rows[0]["recommendation"].startswith("Move these workloads")


def test_finding_evidence_csv_has_exact_numbers_and_no_prompt(tmp_path: Path) -> None:
    path = tmp_path / "finding_evidence.csv"
    assert outputs.write_finding_evidence_csv(make_report(), path) == 3
    rows = read(path)
    assert "prompt" not in rows[0] and "SECRET" not in path.read_text()
    assert rows[0]["finding_id"] == "legacy_model" and rows[0]["row"] == "1"
    assert rows[0]["cost_usd"] == "850.123456" and rows[0]["successor_cost_usd"] == "570.100000"
    assert rows[0]["retired_on"] == "2026-08-05"
    assert rows[2]["finding_id"] == "cache_missed" and rows[2]["prefix_tokens"] == "1234567"


def test_evidence_csv_is_the_packs_monthly_rows(tmp_path: Path) -> None:
    path = tmp_path / "evidence.csv"
    n = outputs.write_evidence_csv(make_report(), path)
    rows = read(path)
    assert n == len(rows) == len(make_report().sections["evidence"]["rows"])
    assert list(rows[0]) == list(outputs.EVIDENCE_COLUMNS)
    feb = [r for r in rows if r["month"] == "2026-02" and r["model"] == "claude-opus-4-5"][0]
    # 26M input tokens of Opus 4.5 at $5 per million
    assert feb["input_tokens"] == "26000000" and feb["cost_usd"] == "130.000000" and feb["full_month"] == "true"
    assert sum(D(r["cost_usd"]) for r in rows) == sum(
        (r["cost_usd"] for r in make_report().sections["evidence"]["rows"]), D(0))


def test_csv_cells_cannot_become_formulas(tmp_path: Path) -> None:
    r = make_report()
    f = replace(r.findings[0], title="=HYPERLINK(\"http://x\")", evidence=[{**r.findings[0].evidence[0],
                                                                             "workspace": "@SUM(A1)"}])
    path = tmp_path / "findings.csv"
    outputs.write_findings_csv(replace(r, findings=[f]), path)
    assert read(path)[0]["title"].startswith("'=")
    outputs.write_finding_evidence_csv(replace(r, findings=[f]), tmp_path / "e.csv")
    assert read(tmp_path / "e.csv")[0]["workspace"] == "'@SUM(A1)"


def test_markdown_summary() -> None:
    text = outputs.summary_markdown(make_report())
    assert text.startswith("## Claude API spend audit: Example Co")
    assert "| Spend in the period (1,210 requests) | **$1,234.56** |" in text
    assert "**$340.00** (27.5%)" in text and "| Spend after the savings | $894.56 |" in text
    assert "| Feb 2026 against Jan 2026 |" in text
    # The evidence pack's commitment (test_report.make_sections: the lowest month, December's $120), never a trend.
    assert ("| Recommended commitment, per vendor (the usage meets it even if nothing grows) | "
            "Anthropic API $120.00 a month (an Anthropic commitment) |") in text
    # The action names its largest workload: the evidence row saving the most ($280.02 of the $300.00).
    assert ("| 1 | Legacy and retired models | high (measured) | $300.00 | Move these workloads to the successor "
            "model named in each row. | workspace research (claude-opus-4-1): $280.02 of the $300.00 |") in text
    assert "**Coverage:** 2 files read, 1 skipped; 1,220 records read = 1,210 loaded + 3 rejected + 7 duplicates" \
        in text and "4 unpriced rows" in text
    assert len(text.splitlines()) < 40  # fits a pull request comment or a chat message


def test_markdown_summary_makes_names_inert() -> None:
    r = make_report()
    f = replace(r.findings[0], title=f"Legacy | {HOSTILE_MODEL} [x](http://e.invalid) *bold*")
    text = outputs.summary_markdown(replace(r, findings=[f], organisation="Acme_<b>"))
    assert "<img" not in text and "<b>" not in text
    assert "\\[x\\](http://e.invalid)" in text and "\\*bold\\*" in text and "Legacy \\| " in text
    assert "Acme\\_&lt;b>" in text


def test_evidence_json_carries_no_float(tmp_path: Path) -> None:
    doc = json.loads(outputs.evidence_json(make_report()), parse_float=lambda s: pytest.fail(f"float {s}"))
    assert doc["evidence"]["forecast"]["months"][0]["month"] == "2026-03"
    assert doc["spend_usd"] == "1234.560000"


# ---- the command line ------------------------------------------------------------------------------------

def invoke(*args: str):
    return CliRunner(env={"COLUMNS": "80"}).invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    from test_cli import line

    folder = tmp_path / "logs" / "projects" / "-home-dev-app"
    folder.mkdir(parents=True)
    (folder / "s1.jsonl").write_text("\n".join(
        line(f"msg_{m}", "claude-opus-4-1-20250805" if m % 2 else "claude-opus-4-6", f"2026-{m:02d}-15",
             1_000_000, 0, 100_000) for m in range(5, 11)) + "\n")
    return tmp_path / "logs"


def test_format_takes_a_list_and_writes_csv_and_markdown(logs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("analyze", str(logs), "-o", str(out), "--format", "json,csv,md", "--quiet")
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == ["evidence.csv", "finding_evidence.csv", "findings.csv", "report.json", "summary.md"]
    assert "legacy_model" in {r["id"] for r in read(out / "findings.csv")}
    assert (out / "summary.md").read_text().startswith("## Claude API spend audit")
    report = json.loads((out / "report.json").read_text())
    # 15 May to 15 October: June to September are the full months; the last of them is compared
    assert report["comparison"]["month"] == "2026-09" and report["comparison"]["previous"] == "2026-08"
    assert report["evidence"]["enough_months"]
    assert report["evidence"]["full_months"] == ["2026-06", "2026-07", "2026-08", "2026-09"]


def test_unknown_format_and_bad_month_are_refused(logs: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["analyze", str(logs), "-o", str(tmp_path), "--format", "pdf,docx"])
    assert result.exit_code == 2 and "csv" in result.output and "md" in result.output
    result = CliRunner().invoke(cli, ["analyze", str(logs), "-o", str(tmp_path), "--month", "2026-13"])
    assert result.exit_code == 2 and "YYYY-MM" in result.output


def test_month_option_picks_the_month(logs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert invoke("analyze", str(logs), "-o", str(out), "--format", "json", "--month", "2026-08").exit_code == 0
    report = json.loads((out / "report.json").read_text())
    assert (report["comparison"]["month"], report["comparison"]["chosen"]) == ("2026-08", "given")
    assert {c["cause"] for c in report["comparison"]["causes"]} >= {"volume", "model_mix", "usage_mix", "price"}


def test_evidence_command_writes_the_pack_alone(logs: Path, tmp_path: Path) -> None:
    out = tmp_path / "ev"
    result = invoke("evidence", str(logs), "-o", str(out), "--format", "html,json,csv", "--quiet")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["evidence.csv", "evidence.html", "evidence.json"]
    doc = json.loads((out / "evidence.json").read_text())
    assert doc["evidence"]["window"] and doc["spend_usd"]
    html = (out / "evidence.html").read_text()
    assert "Negotiation evidence pack" in html and 'id="month-over-month"' not in html
    result = CliRunner().invoke(cli, ["evidence", str(logs), "-o", str(out), "--format", "md"])
    assert result.exit_code == 2


# ---- one figure everywhere -------------------------------------------------------------------------------

SAMPLE_LOGS = Path(__file__).parent.parent / "sample_logs"


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def quick_start(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    """The README's quick start, `finops analyze sample_logs/ -o report/` with the default outputs, run once for the
    tests below that only read what it wrote (a PDF of sample_logs/ takes seconds to render)."""
    out = tmp_path_factory.mktemp("quick_start")
    result = CliRunner().invoke(cli, ["analyze", str(SAMPLE_LOGS), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return result, out


@pytest.mark.skipif(not SAMPLE_LOGS.is_dir(), reason="sample_logs/ not present")
def test_sample_logs_end_to_end(quick_start: tuple[Any, Path]) -> None:
    """The README's quick start: every output written, every input detected, accounting holds, and the summary
    has no line that ends in a space (rich pads wrapped lines and table cells; piped to a file they would stay)."""
    result, out = quick_start
    assert [line for line in result.output.splitlines() if line.endswith(" ")] == []
    for name in ("report.pdf", "report.html", "report.json"):
        assert (out / name).stat().st_size > 0
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")
    report = json.loads((out / "report.json").read_text())
    for source in report["inputs"]:
        assert source["rows_read"] == source["rows_loaded"] + source["rows_rejected"] + source["rows_duplicate"]
    assert Decimal(report["savings"]["stacked_usd"]) <= Decimal(report["totals"]["billed_cost_usd"])
    assert Decimal(report["savings"]["stacked_usd"]) <= Decimal(report["savings"]["standalone_usd"])


@pytest.fixture(scope="module")
def every_output(quick_start: tuple[Any, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """sample_logs/ in every output: terminal, PDF (as text), HTML and JSON from the quick start's run, and the
    Markdown summary from a run that writes it alone (the figures are deterministic: the same in both runs)."""
    import subprocess

    from bs4 import BeautifulSoup

    result, out = quick_start
    md_out = tmp_path_factory.mktemp("md")
    md = CliRunner().invoke(cli, ["analyze", str(SAMPLE_LOGS), "-o", str(md_out), "--format", "md"])
    assert md.exit_code == 0, md.output
    pdf = subprocess.run(["pdftotext", "-layout", str(out / "report.pdf"), "-"], capture_output=True, text=True,
                         check=True).stdout
    html = BeautifulSoup((out / "report.html").read_text(encoding="utf-8"), "html.parser").get_text(" ")
    return {"terminal": words(result.output), "pdf": words(pdf), "html": words(html),
            "md": words((md_out / "summary.md").read_text(encoding="utf-8")),
            "json": json.loads((out / "report.json").read_text(encoding="utf-8"))}


@pytest.mark.skipif(not SAMPLE_LOGS.is_dir(), reason="sample_logs/ not present")
def test_every_output_shows_the_same_figures(every_output: dict[str, object]) -> None:
    doc = every_output["json"]
    texts = {k: v for k, v in every_output.items() if k != "json"}
    assert isinstance(doc, dict)
    # The figures as report.json states them, each with its label, must read the same in every output.
    spend = D(doc["totals"]["billed_cost_usd"])
    stacked = D(doc["savings"]["stacked_usd"])
    s = doc["summary"]
    assert D(s["spend_usd"]) == spend and D(s["savings"]["period_usd"]) == stacked
    per_month, per_year = D(s["savings"]["per_month_usd"]), D(s["savings"]["per_year_usd"])
    assert per_year == per_month * 12  # annualised from the last full month
    bedrock = next(p for p in doc["reconciliation"]["pairs"] if p["platform"] == "bedrock")
    # Whole gap = billed - the logs at list; usage gap = the bill's usage at list - the logs at list.
    assert D(bedrock["gap_usd"]) == D(bedrock["billed_usd"]) - D(bedrock["logs_list_usd"])
    assert D(bedrock["usage_gap_usd"]) == D(bedrock["bill_value_usd"]) - D(bedrock["logs_list_usd"])
    # Explained: five days and an AWS account the logs do not have; nothing unexplained, so it passes.
    assert (bedrock["result"], D(bedrock["unexplained_usd"])) == ("pass", D(0))
    requests, rows = doc["totals"]["logged_requests"], s["rows"]
    assert requests == sum(r["requests"] or 0 for r in doc["attribution"]["project"]["rows"]) + (
        (doc["attribution"]["project"]["other"] or {}).get("requests", 0))  # projects add up to the requests

    def dollars(x: D) -> str:
        return f"${x.quantize(D('0.01')):,}"

    expected = {
        "spend": dollars(spend), "savings": dollars(stacked), "per month": dollars(per_month),
        "per year": dollars(per_year), "whole gap": f"+{dollars(D(bedrock['gap_usd']))}",
        "usage gap": f"usage gap +{dollars(D(bedrock['usage_gap_usd']))}",
        "requests": f"{requests:,} logged requests", "rows": f"{rows:,} rows of usage reports and bills",
    }
    if s["commitment"]:  # the evidence pack's figure, to the cent: rounding up would promise more than it is met
        assert s["commitment"]["per_month_usd"] == doc["evidence"]["commitment"]["recommended_per_month_usd"]
        for v in doc["evidence"]["commitment"]["vendors"]:  # one figure per vendor, never their sum
            if v["recommended_per_month_usd"] is not None:
                expected[f"commitment {v['vendor']}"] = (
                    f"{v['label']} {dollars(D(v['recommended_per_month_usd']))} a month")
    for name, text in texts.items():
        assert isinstance(text, str)
        for what, figure in expected.items():
            assert figure in text, f"{name}: {what} {figure}"
        assert "whole gap" in text.lower(), name
        assert "Your organisation" not in text and "a commitment would be about" not in text, name


def test_minor_finding_share_setting() -> None:
    from finops import config
    from finops.errors import FinopsError

    assert config.minor_finding_share({}) == D("0.005")  # default: 0.5% of spend
    assert config.minor_finding_share({"report": {"minor_finding_share": 0.02}}) == D("0.02")
    for bad in ({"report": {"minor_finding_share": 2}}, {"report": {"minor_finding_share": "lots"}},
                {"report": {"minor_finding_shares": 0.01}}, {"report": 3}):
        with pytest.raises(FinopsError, match=r"\[report\]"):
            config.minor_finding_share(bad)
