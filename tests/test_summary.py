"""The executive summary's savings per month: the stacked savings of that month, as the evidence pack has them."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from helpers import usage_con
from test_stacking import finding, with_savings

from finops import overview, stacking, summary
from finops.report import Report

D = Decimal


def test_savings_per_month_are_the_stacked_savings_of_that_month() -> None:
    # Claude Opus 4.6 input is $5 per million tokens: 20M tokens = $100. September: one request of $100 that only
    # batch touches (saves $50). October: one request of $100 that batch ($50) and premium ($50, on its own) both
    # touch, and a $0 request on 31 October so that October is covered in full.
    # Stacked, in order: batch halves October's request (saves 50), then the premium finding removes half of what
    # is left (50 / 100 of the request: saves 25). October's stacked savings: 75; the period's: 50 + 75 = 125.
    # Spread in proportion to the standalone savings instead, October would get 125 x 100 / 150 = $83.33: more
    # than the findings can save together that month.
    con = usage_con([
        dict(model="claude-opus-4-6", charge_period_start="2026-09-01T00:00:00", input_tokens=20_000_000),
        dict(model="claude-opus-4-6", charge_period_start="2026-10-01T00:00:00", input_tokens=20_000_000),
        dict(model="claude-opus-4-6", charge_period_start="2026-10-31T12:00:00", input_tokens=0)])
    with_savings(con, [("batch_candidates", "r1", D(50)), ("batch_candidates", "r2", D(50)),
                       ("us_only_premium", "r2", D(50))])
    found = [finding("batch_candidates", "batch", D(100)), finding("us_only_premium", "premium", D(50))]
    stacked = stacking.stack(con, found)
    assert sum(stacked.values()) == D(125)
    start, end = overview.period(con)
    report = Report(generated_at=datetime(2026, 12, 1), period_start=start, period_end=end, inputs=[], skipped=[],
                    totals=overview.totals(con), unpriced=[], spend_by_model=[], spend_by_month=[], spend_by={},
                    findings=[replace(f, stacked_savings=stacked[f.id]) for f in found],
                    savings_standalone=D(150), savings_stacked=D(125), prices=[], params={}, quality={})
    got = summary.build(con, report)["savings"]
    assert got["month"] == "2026-10"
    assert got["per_month_usd"] == D(75) and got["per_year_usd"] == D(900)


def test_the_summary_never_pools_an_anthropic_commitment_with_a_cloud_drawdown(tmp_path) -> None:
    # Anthropic $300.00 a month (an Anthropic commitment) and Bedrock $200.00 a month (draws down an AWS
    # commitment): two agreements with two vendors. The summary must not offer "$500.00 a month" as one
    # recommended commitment, in any output.
    from io import StringIO

    from rich.console import Console
    from test_report import make_report

    from finops import outputs, terminal

    vendors = [{"vendor": "Anthropic", "platform": "anthropic", "label": "Anthropic API", "kind": "commitment",
                "recommended_per_month_usd": D("300.00")},
               {"vendor": "AWS", "platform": "bedrock", "label": "Amazon Bedrock", "kind": "drawdown",
                "recommended_per_month_usd": D("200.00")}]
    base = make_report()
    report = replace(base, sections={**base.sections, "evidence": {"commitment": {
        "recommended_per_month_usd": D("500.00"), "basis": "per vendor", "vendors": vendors}}})
    sm = summary.build(None, report)
    assert [(v["label"], v["per_month_usd"]) for v in sm["commitment"]["vendors"]] == [
        ("Anthropic API", D("300.00")), ("Amazon Bedrock", D("200.00"))]
    report = replace(report, sections={**report.sections, "summary": sm})
    md = outputs.summary_markdown(report)
    buffer = StringIO()
    terminal.console = Console(file=buffer, width=200)
    terminal.print_summary(report, [])
    from bs4 import BeautifulSoup
    from finops.reports import render_html

    alone = replace(report, sections={k: v for k, v in report.sections.items() if k != "evidence"})
    html = BeautifulSoup(render_html(alone), "html.parser").select_one("p.commitment").get_text(" ", strip=True)
    for text in (md, buffer.getvalue(), html):
        assert "$500.00" not in text
        assert "Anthropic API $300.00 a month" in text and "Amazon Bedrock $200.00 a month" in text


def test_one_unpriced_row_is_said_in_the_singular() -> None:
    from bs4 import BeautifulSoup
    from finops.reports import render_html
    from test_report import make_report

    base = make_report()
    report = replace(base, unpriced=[{**base.unpriced[0], "rows": 1}])
    text = " ".join(BeautifulSoup(render_html(report), "html.parser").select_one("#summary").get_text().split())
    assert "1 unpriced row (claude-mystery-9) has no known price" in text


def test_the_summarys_month_over_month_says_what_is_new_coverage() -> None:
    # Sep $344.78 -> Oct $563.90 (+$219.12), of which $156.15 is Bedrock and Vertex bills that start in October:
    # the summary must not leave "up $219.12" to be read as growth.
    from bs4 import BeautifulSoup
    from finops.reports import render_html
    from test_report import make_report, shared_sections

    from finops import outputs

    causes = [{"cause": "coverage", "label": "Coverage", "explanation": "", "amount_usd": D("156.146465"),
               "sources": [{"platform": "bedrock", "source": "aggregated", "source_formats": ["bedrock_cur"],
                            "change": "new"},
                           {"platform": "vertex", "source": "aggregated", "source_formats": ["gcp_billing"],
                            "change": "new"}]},
              {"cause": "volume", "label": "Volume", "explanation": "", "amount_usd": D("62.973535")}]
    comparison = {**shared_sections()["comparison"], "spend_usd": D("563.90"), "previous_spend_usd": D("344.78"),
                  "change_usd": D("219.12"), "causes": causes}
    base = make_report()
    report = replace(base, sections={**base.sections, "comparison": comparison})
    want = "+$156.15 of it is Amazon Bedrock, Google Vertex AI new in the data"
    assert want in outputs.summary_markdown(report)
    html = " ".join(BeautifulSoup(render_html(report), "html.parser").select_one("#summary").get_text().split())
    assert want in html
