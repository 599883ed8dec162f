"""The HTML/PDF report, rendered from a fixed, made-up Report (never from sample_logs).

The golden file pins the whole document; regenerate it on purpose with FINOPS_UPDATE_GOLDEN=1.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import finops.reports as reports
import pytest
from bs4 import BeautifulSoup
from finops.analysis import Finding
from finops.ingest.common import FileStats
from finops.reports import filters, render_html, write_pdf
from helpers import usage_con

from finops import analysis, comparison, evidence, overview
from finops.report import Report, Totals

GOLDEN = Path(__file__).parent / "golden" / "report.html"
D = Decimal
MONEY = re.compile(r"^-?\$\d{1,3}(,\d{3})*\.\d{2}$")


def tokens(inp: int, w5: int, w1: int, read: int, out: int) -> dict[str, int]:
    return {"input_tokens": inp, "cache_write_5m_tokens": w5, "cache_write_1h_tokens": w1,
            "cache_read_tokens": read, "output_tokens": out}


def cost(amount: str | None) -> dict[str, Decimal | None]:
    return {"list_cost": D(amount) if amount else None, "cost": D(amount) if amount else None}


def month(when: str, model: str, requests: int, amount: str | None) -> dict[str, Any]:
    return {"month": when, "model": model, "requests": requests, **tokens(requests * 1000, 0, 0, 0, 1),
            **cost(amount)}


def rates(*values: str) -> dict[str, Decimal]:
    names = ("input", "cache_write_5m", "cache_write_1h", "cache_read", "output")
    return {name: D(v) for name, v in zip(names, values, strict=True)}


def _stub(con: Any, savings: str = "0") -> Report:
    start, end = overview.period(con)
    return Report(generated_at=datetime(2026, 3, 1, 9, 30), period_start=start, period_end=end, inputs=[],
                  skipped=[], totals=overview.totals(con), unpriced=[], spend_by_model=[], spend_by_month=[],
                  spend_by={}, findings=[], savings_standalone=D(savings), savings_stacked=D(savings),
                  prices=overview.price_rows(con), params={}, quality={})


def _opus(day: str, millions: int, **extra: Any) -> dict[str, Any]:
    return dict(model="claude-opus-4-5", charge_period_start=day, input_tokens=millions * 1_000_000,
                workspace="research", **extra)


def make_sections(months: int = 4) -> dict[str, Any]:
    """Section data from the real builders on hand-written rows: 28 Nov 2025 to Feb 2026 (November in part),
    Opus 4.1 traffic moving to Opus 4.5."""
    days = ["2025-11-28T00:00:00", "2025-12-10T00:00:00", "2026-01-10T00:00:00", "2026-02-28T12:00:00"][-months:]
    rows = [_opus(d, m) for d, m in zip(days, (20, 24, 22, 26)[-months:], strict=True)]
    rows += [dict(model="claude-opus-4-1", charge_period_start=days[-2], input_tokens=4_000_000,
                  workspace="research"),
             dict(model="claude-opus-4-1", charge_period_start=days[-1], input_tokens=1_000_000,
                  workspace="research"),
             dict(model="claude-haiku-4-5", charge_period_start=days[-1], input_tokens=2_000_000,
                  cache_read_tokens=6_000_000, service_tier="batch")]
    con = usage_con(rows)
    analysis.prepare(con)
    n = len(rows)
    con.executemany("INSERT INTO finding_savings VALUES (?, ?, ?)",
                    [("legacy_model", f"r{n - 2}", D("40")), ("legacy_model", f"r{n - 1}", D("10"))])
    stub = _stub(con, "85")
    return {"comparison": comparison.build(con, stub), "evidence": evidence.build(con, stub)}


@functools.cache
def shared_sections() -> dict[str, Any]:
    """make_sections(), built once a process and only when a test asks (a collection of test files does not)."""
    return make_sections()


def make_report(**changes: Any) -> Report:
    """A small report with made-up numbers: spend $1,234.56, savings $340.00 stacked ($345.67 standalone)."""
    legacy = Finding(
        id="legacy_model", title="Legacy and retired models", severity="high", confidence="measured",
        recommendation="Move these workloads to the successor model named in each row: the same capability "
                       "tier at a lower price, or at least a model that is still supported.",
        method="Each row's tokens at the successor's rates on the row's date; savings = cost minus that.",
        params={"min_savings_usd": 0}, affected_requests=420, affected_cost=D("900.00"), savings=D("300.00"),
        evidence_columns=["workspace", "api_key_id", "model", "successor", "retired_on", "requests", "cost",
                          "successor_cost", "savings", "prompt"],
        evidence=[
            {"workspace": "research", "api_key_id": "key_01", "model": "claude-opus-4-1",
             "successor": "claude-opus-4-6", "retired_on": date(2026, 8, 5), "requests": 400,
             "cost": D("850.123456"), "successor_cost": D("570.10"), "savings": D("280.023456"),
             "prompt": "SECRET PROMPT TEXT"},
            {"workspace": None, "api_key_id": "key_02", "model": "claude-opus-4-1",
             "successor": "claude-opus-4-6", "retired_on": date(2026, 8, 5), "requests": 20,
             "cost": D("49.876544"), "successor_cost": D("29.90"), "savings": D("19.976544"),
             "prompt": "SECRET PROMPT TEXT"},
        ],
        evidence_total_rows=2,
    )
    cache = Finding(
        id="cache_missed", title="Repeated prompt prefixes sent without prompt caching", severity="medium",
        confidence="estimated", recommendation="Put a cache_control breakpoint after the repeated prefix.",
        method="Groups of requests sharing a prefix fingerprint, replayed under a 5-minute cache.",
        params={"min_savings_usd": 0.01, "min_group_requests": 2}, affected_requests=150,
        affected_cost=D("120.00"), savings=D("45.67"), stacked_savings=D("40.00"),
        evidence_columns=["project", "model", "requests", "prefix_tokens", "cost", "savings"],
        evidence=[{"project": "chatbot", "model": "claude-sonnet-4-5", "requests": 150,
                   "prefix_tokens": 1_234_567, "cost": D("120.00"), "savings": D("45.67")}],
        evidence_total_rows=31,
    )
    report = Report(
        generated_at=datetime(2026, 3, 1, 9, 30),
        period_start=datetime(2026, 1, 5, 8, 0),
        period_end=datetime(2026, 2, 27, 18, 0),
        inputs=[
            FileStats(path="logs/gateway/calls.jsonl", format="anthropic_log", rows_read=1210,
                      rows_staged=1207, rows_rejected=3, rows_loaded=1200, rows_duplicate=7,
                      notes=["cache TTL assumed 5-minute"]),
            FileStats(path="logs/projects/app/s1.jsonl", format="claude_code", rows_read=10, rows_staged=10,
                      rows_loaded=10, lines_ignored=12),
        ],
        skipped=[("logs/notes.txt", "not a recognised log, usage or billing format")],
        totals=Totals(requests=1210, **tokens(5_000_000, 200_000, 0, 9_000_000, 700_000),
                      web_search_requests=0, list_cost=D("1234.56"), billed_cost=D("1234.56"), rows=1210),
        unpriced=[{"model": "claude-mystery-9", "platform": "anthropic", "reason": "unknown model", "rows": 4,
                   "requests": 4, **tokens(1000, 0, 0, 0, 200), "first_row": "logs/gateway/calls.jsonl:17"}],
        spend_by_model=[
            {"platform": "anthropic", "model": "claude-opus-4-1", "requests": 420,
             **tokens(3_000_000, 100_000, 0, 5_000_000, 400_000), **cost("900.00"), "priced": True},
            {"platform": "anthropic", "model": "claude-sonnet-4-5", "requests": 786,
             **tokens(2_000_000, 100_000, 0, 4_000_000, 300_000), **cost("334.56"), "priced": True},
            {"platform": "anthropic", "model": "claude-mystery-9", "requests": 4,
             **tokens(1000, 0, 0, 0, 200), **cost(None), "priced": False},
        ],
        spend_by_month=[
            month("2026-01", "claude-opus-4-1", 300, "600.00"),
            month("2026-01", "claude-sonnet-4-5", 400, "134.56"),
            month("2026-02", "claude-opus-4-1", 120, "300.00"),
            month("2026-02", "claude-sonnet-4-5", 386, "200.00"),
            month("2026-02", "claude-mystery-9", 4, None),
        ],
        spend_by={
            "workspace": [
                {"workspace": "research", "requests": 700, **tokens(3_000_000, 0, 0, 0, 0),
                 "cost": D("1000.00"), "platforms": ["anthropic"]},
                {"workspace": "(not recorded)", "requests": 10, **tokens(1000, 0, 0, 0, 0),
                 "cost": D("34.56"), "platforms": ["anthropic"]},
            ],
            "api_key_id": [{"api_key_id": "key_01", "requests": 1210, **tokens(5_000_000, 0, 0, 0, 0),
                            "cost": D("1234.56"), "platforms": ["anthropic"]}],
            "project": [{"project": "chatbot", "requests": 1000, **tokens(4_000_000, 0, 0, 0, 0),
                         "cost": D("1100.00"), "platforms": ["anthropic"]}],
        },
        findings=[legacy, cache],
        savings_standalone=D("345.67"),
        savings_stacked=D("340.00"),
        prices=[
            {"model": "claude-opus-4-1", "platform": "anthropic", "variant": "standard",
             "valid_from": date(2025, 8, 5), "threshold": None, **rates("15", "18.75", "30", "1.5", "75"),
             "negotiated": False, "source": "pricing.md 1.1", "note": ""},
            {"model": "claude-sonnet-4-5", "platform": "anthropic", "variant": "long_context",
             "valid_from": date(2025, 9, 29), "threshold": 200_000, **rates("6", "7.5", "12", "0.6", "22.5"),
             "negotiated": False, "source": "pricing.md 2.3", "note": "whole request at this rate when over"},
        ],
        params={"cache_missed": {"min_savings_usd": 0.01, "min_group_requests": 2},
                "legacy_model": {"min_savings_usd": 0}, "priority_tier": {}},
        quality={
            "rejects_by_reason": [{"reason": "invalid JSON", "rows": 2}, {"reason": "not billed", "rows": 1}],
            "pricing_notes": [{"note": "cache TTL not reported: writes priced as 5-minute", "rows": 289}],
            "detail_only_rows": [{"source_format": "anthropic_log", "rows": 12, "cost": D("3.21")}],
        },
        organisation="Example Co",
        sections=shared_sections(),
    )
    return replace(report, **changes)


@pytest.fixture(scope="module")
def html() -> str:
    return render_html(make_report())


@pytest.fixture(scope="module")
def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def text(node: Any) -> str:
    return " ".join(node.get_text(" ").split())


def test_golden_html(html: str) -> None:
    if os.environ.get("FINOPS_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(html, encoding="utf-8")
    assert GOLDEN.exists(), "no golden file yet: run with FINOPS_UPDATE_GOLDEN=1"
    assert html == GOLDEN.read_text(encoding="utf-8"), "HTML changed; if on purpose, FINOPS_UPDATE_GOLDEN=1"


def test_rendering_is_pure(html: str) -> None:
    assert render_html(make_report()) == html


def test_one_section_per_finding_anchored_by_id(soup: BeautifulSoup) -> None:
    sections = soup.select("section.finding")
    assert [s["id"] for s in sections] == ["legacy_model", "cache_missed"]
    assert len(soup.select("section#legacy_model")) == 1
    legacy = soup.select_one("section#legacy_model")
    assert "Legacy and retired models" in text(legacy.h3)
    assert "high severity" in text(legacy.select_one(".badges")).lower()
    assert "Move these workloads to the successor model" in text(legacy.select_one(".recommendation"))
    assert "successor's rates" in text(legacy.select_one(".method"))


def test_every_contents_link_has_a_target(soup: BeautifulSoup) -> None:
    links = [a["href"] for a in soup.select("nav.toc a")]
    assert "#legacy_model" in links and "#cache_missed" in links and "#data-quality" in links
    for href in links:
        assert soup.find(id=href[1:]) is not None, href


def test_summary_shows_the_totals(soup: BeautifulSoup) -> None:
    summary = text(soup.select_one("#summary"))
    assert "$1,234.56" in summary  # spend
    assert "$340.00" in summary  # stacked savings
    assert "27.5%" in summary  # 340 / 1234.56
    assert "$894.56" in summary  # spend after the savings
    assert "$345.67" in summary and "$5.67" in summary  # standalone and the overlap
    top = [text(a) for a in soup.select("#summary table.top a")]
    assert top == ["Legacy and retired models", "Repeated prompt prefixes sent without prompt caching"]
    assert "Move these workloads to the successor model named in each row." in summary  # one-line action
    # Each action names its largest workload (the evidence row saving the most) and its dollars.
    workloads = [text(w) for w in soup.select("#summary table.top .workload")]
    assert workloads == ["Largest: workspace research (claude-opus-4-1): $280.02 of the $300.00.",
                         "Largest: project chatbot (claude-sonnet-4-5): $45.67 of the $45.67."]
    assert "these workloads" not in " ".join(workloads)
    assert "2 files read, 1 skipped; 1,220 records read = 1,210 loaded + 3 rejected + 7 duplicates" in summary
    assert "rejects.csv" in summary
    assert soup.select_one("#findings svg.chart") is not None  # the waterfall, with the findings


def test_money_is_formatted_as_dollars(soup: BeautifulSoup) -> None:
    evidence = soup.select_one("section#legacy_model table.evidence")
    headers = [text(th) for th in evidence.select("thead th")]
    assert headers[-3:] == ["Cost", "Cost on successor", "Savings"]
    first = [text(td) for td in evidence.select("tbody tr")[0].select("td")]
    assert first[-4:] == ["400", "$850.12", "$570.10", "$280.02"]
    for td in soup.select("td.num:not(.rate)"):  # rates ($/MTok) may have more places
        value = text(td)
        if value.startswith(("$", "-$")):
            assert MONEY.match(value), value
    cache = soup.select_one("section#cache_missed table.evidence")
    assert "1,234,567" in [text(td) for td in cache.select("td")]  # tokens, exact in evidence
    assert "The first 1 of 31 rows" in text(soup.select_one("section#cache_missed"))


def test_evidence_never_shows_prompt_text(html: str) -> None:
    assert "SECRET PROMPT TEXT" not in html


def test_months_and_unpriced(soup: BeautifulSoup) -> None:
    rows = [[text(c) for c in tr.select("td")] for tr in soup.select("table.months tbody tr")]
    assert rows[0][0].startswith("Jan 2026") and "5–31 Jan only" in rows[0][0]
    assert rows[1][1:4] == ["$300.00", "$200.00", "—"]  # an unpriced model is "—", never $0.00
    assert "claude-mystery-9" in text(soup.select_one("#data-quality"))
    assert "unpriced" in text(soup.select_one("table.models"))


def test_appendices(soup: BeautifulSoup) -> None:
    quality = text(soup.select_one("#data-quality"))
    for fact in ("records read = loaded + rejected + duplicates", "notes.txt", "invalid JSON", "rejects.csv",
                 "cache TTL assumed 5-minute", "not added to the totals", "$3.21"):
        assert fact in quality, fact
    method = text(soup.select_one("#method"))
    for fact in ("claude-opus-4-1", "$18.75", "pricing.md 2.3", "over 200,000", "min_group_requests",
                 "priority_tier"):
        assert fact in method, fact


def test_formatters() -> None:
    assert filters.usd(D("1234.565")) == "$1,234.57"
    assert filters.usd(D("-0.5")) == "-$0.50"
    assert filters.usd(None) == "—"
    assert [filters.tokens(n) for n in (999_960, 1_234, 12)] == ["1.0M", "1.2K", "12"]
    assert filters.rate(D("0.375")) == "$0.375" and filters.rate(D("15")) == "$15.00"
    assert filters.first_sentence("Do this: because. Then that.") == "Do this: because."


HOSTILE_ORG = "Acme <script>alert(1)</script>"
HOSTILE_MODEL = '<img src="http://example.invalid/x.png">'
HOSTILE_PROJECT = "url(file:///etc/passwd)"


def hostile_report() -> Report:
    r = make_report()
    def rename(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**m, "model": HOSTILE_MODEL} if m["model"] == "claude-sonnet-4-5" else m for m in rows]

    spend_by = {**r.spend_by, "project": [{**r.spend_by["project"][0], "project": HOSTILE_PROJECT}]}
    evidence = [{**row, "workspace": HOSTILE_PROJECT, "model": HOSTILE_MODEL}
                for row in r.findings[0].evidence]
    findings = [replace(r.findings[0], evidence=evidence, title=f"Legacy {HOSTILE_MODEL}"), r.findings[1]]
    return replace(r, organisation=HOSTILE_ORG, spend_by_month=rename(r.spend_by_month),
                   spend_by_model=rename(r.spend_by_model), spend_by=spend_by, findings=findings,
                   unpriced=[{**r.unpriced[0], "model": HOSTILE_MODEL}])


def test_names_with_html_render_as_text() -> None:
    html = render_html(hostile_report())
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("script") is None
    assert soup.find("img") is None
    assert not soup.select("[src]")
    assert "<script>" not in html and '<img src="http' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert HOSTILE_MODEL in text(soup.select_one("table.models"))  # shown, as text
    assert HOSTILE_MODEL in " ".join(t.get_text() for t in soup.select("svg text"))  # chart legend, as text
    assert HOSTILE_PROJECT in text(soup.select_one("#spend-by-attribution"))
    styles = " ".join(s.get_text() for s in soup.find_all("style")) + " ".join(
        e["style"] for e in soup.select("[style]"))
    assert "url(" not in styles  # no input ever reaches CSS


def pdf_pages(path: Path, html: str) -> int:
    """The number of pages of the PDF at path: read by pdfinfo (poppler-utils), or where it is missing counted by
    laying the HTML out again (a second render, seconds long)."""
    import shutil
    import subprocess

    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
        return int(re.search(r"^Pages:\s+(\d+)$", info, re.MULTILINE).group(1))
    from weasyprint import HTML

    return len(HTML(string=html, base_url=str(reports.TEMPLATES) + "/").render().pages)


def test_pdf_of_hostile_names_fetches_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from weasyprint.urls import URLFetcher

    asked: list[str] = []
    fetched: list[str] = []
    allowed = reports._allowed
    original = URLFetcher.fetch

    def record_allowed(url: str) -> bool:
        asked.append(url)
        return allowed(url)

    def record_fetch(self: Any, url: str, *args: Any, **kwargs: Any) -> Any:
        fetched.append(url)
        return original(self, url, *args, **kwargs)

    monkeypatch.setattr(reports, "_allowed", record_allowed)
    monkeypatch.setattr(URLFetcher, "fetch", record_fetch)
    write_pdf(render_html(hostile_report()), tmp_path / "report.pdf")
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")
    assert [u for u in asked + fetched if not u.startswith("data:")] == []


def test_pdf_smoke(html: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="weasyprint")
    path = tmp_path / "report.pdf"
    write_pdf(html, path)
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    assert pdf_pages(path, html) > 1
    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []


def test_a_report_with_nothing_found_still_renders() -> None:
    empty = make_report(findings=[], savings_standalone=D(0), savings_stacked=D(0), spend_by_month=[],
                        unpriced=[], skipped=[], prices=[], params={}, period_start=None, period_end=None,
                        quality={"rejects_by_reason": [], "pricing_notes": [], "detail_only_rows": []})
    soup = BeautifulSoup(render_html(empty), "html.parser")
    assert soup.select("section.finding") == []
    assert "No analysis found savings" in text(soup.select_one("#summary"))
    assert "None: every record could be read." in text(soup.select_one("#data-quality"))


def test_screen_version_has_no_page_numbers() -> None:
    soup = BeautifulSoup(render_html(make_report(), for_print=False), "html.parser")
    assert soup.body["class"] == ["screen"]
    assert len(soup.select("section.finding")) == 2


# ---- sections, charts and tables added for the evidence pack and month over month ---------------------------


def test_sections_are_numbered_after_the_findings_and_listed_in_contents(soup: BeautifulSoup) -> None:
    toc = text(soup.select_one("nav.toc"))
    assert "6 Month over month" in toc and "7 Negotiation evidence pack" in toc
    assert "7.7 The commitment, per vendor" in toc and "C The numbers behind the charts" in toc
    chapters = [s["id"] for s in soup.select("section.chapter")]
    assert chapters.index("findings") < chapters.index("month-over-month") < chapters.index("evidence-pack") \
        < chapters.index("data-quality")


def test_month_over_month_adds_up(soup: BeautifulSoup) -> None:
    mom = soup.select_one("#month-over-month")
    assert "Feb 2026 against Jan 2026" in text(mom.h2)
    cells = [[text(td) for td in tr.select("td")] for tr in mom.select("table.causes tbody:not(.totals) tr")]
    amounts = [D(c[2].replace("+", "").replace("−", "-").replace("$", "").replace(",", "")) for c in cells]
    total = text(mom.select_one("table.causes tbody.totals td.num"))
    assert sum(amounts) == D(total.replace("+", "").replace("−", "-").replace("$", "").replace(",", ""))
    assert [c[0] for c in cells] == ["Volume", "Model mix", "Usage mix within models", "Price"]
    assert mom.select_one("svg.chart") is not None  # the bridge
    realised = text(mom.select_one("table.realised"))
    assert "legacy_model" in realised  # no title in the stub findings: the id
    assert "Share of opus tokens on claude-opus-4-1" in text(mom.select_one("table.levers"))


def test_evidence_pack_says_list_prices_and_sizes_on_the_baseline(soup: BeautifulSoup) -> None:
    pack = soup.select_one("#evidence-pack")
    body = text(pack)
    assert "Built from 3 full calendar months, Dec 2025 to Feb 2026" in body
    assert "Left out, because the data covers them only in part: Nov 2025 (28–30 Nov only)" in body
    assert "Every token here was priced at list" in body and "no discount to show" in body
    assert len(pack.select("table.ev-forecast tbody:not(.totals) tr")) == 12
    # The commitment: Anthropic spend Dec 120, Jan 110 + 60 (Opus 4.1), Feb 130 + 15 + 1.30 (Haiku at batch
    # rates); no savings in the stub: the lowest is December's $120.00
    assert "$120.00" in text(pack.select_one("table.ev-commitment tbody.totals"))
    assert len(pack.select("table.ev-above tbody tr")) == 12  # the recommendation, 10, 25, 50% above x 15, 20, 30%
    assert "$9,853.70 a month away" in body  # $10,000 - Feb's $146.30
    assert len(pack.select("svg.chart")) == 2  # forecast, cache hit ratio and batch share
    # Exact token counts in the pack's data table
    assert "26,000,000" in text(pack.select_one("table.ev-data"))
    assert soup.select_one("#cache-batch-data") is not None  # the chart's table, in Appendix C


def test_fewer_than_three_months_says_so() -> None:
    two = make_sections(months=2)
    soup = BeautifulSoup(render_html(make_report(sections=two)), "html.parser")
    pack = soup.select_one("#evidence-pack")
    assert "Fewer than 3 full months of data" in text(pack)
    assert pack.select("table.ev-above") == [] and pack.select("table.ev-forecast") == []
    assert "7.7 Monthly consumption in full" in text(soup.select_one("nav.toc"))


def test_a_report_without_sections_has_no_section_chapters() -> None:
    soup = BeautifulSoup(render_html(make_report(sections={})), "html.parser")
    assert soup.select_one("#evidence-pack") is None and soup.select_one("#month-over-month") is None
    assert "Month over month" not in text(soup.select_one("nav.toc"))
    assert soup.select_one("#cache-batch-data") is None


def test_evidence_tables_show_exact_tokens_and_rate_units() -> None:
    f = replace(make_report().findings[1], evidence_columns=["model", "rate_output", "prefix_tokens", "savings"],
                evidence=[{"model": "claude-opus-4-6", "rate_output": D("25"), "prefix_tokens": 293_612,
                           "savings": D("1.5")}])
    soup = BeautifulSoup(render_html(make_report(findings=[f])), "html.parser")
    table = soup.select_one("section#cache_missed table.evidence")
    assert [text(th) for th in table.select("th")] == ["Model", "Rate output ($/MTok)", "Prefix tokens", "Savings"]
    assert [text(td) for td in table.select("td")] == ["claude-opus-4-6", "$25.00", "293,612", "$1.50"]
    assert "rates in US dollars per million tokens ($/MTok)" in text(soup.select_one("section#cache_missed"))


def test_attribution_is_drawn_and_tabulated_in_the_appendix(soup: BeautifulSoup) -> None:
    chapter = soup.select_one("#spend-by-attribution")
    assert len(chapter.select("svg.chart")) == 3
    assert "research" in " ".join(t.get_text() for t in chapter.select("svg text"))
    data = soup.select_one("#attribution-data").find_parent("section")
    assert "research" in text(data) and "$1,000.00" in text(data)
    assert not data.select("tr.rest")  # a Report without the section: its rows are the whole table
    assert "Legacy and retired models" in text(soup.select_one("table.waterfall-data"))


def test_summary_gives_the_change_from_the_previous_month(soup: BeautifulSoup) -> None:
    summary = text(soup.select_one("#summary"))
    assert "In Feb 2026, the last full month, spend was" in summary and "on Jan 2026" in summary
    assert "a commitment would be about" not in summary  # never a figure from the trend


def test_summary_states_the_evidence_packs_commitment(soup: BeautifulSoup) -> None:
    # The pack's commitment (make_sections): the lowest of Dec $120, Jan $170, Feb $146.30, no savings: $120.
    line = " ".join(soup.select_one("#summary .commitment").get_text().split())
    assert line.startswith("Recommended commitment, per vendor: Anthropic API $120.00 a month (an Anthropic "
                           "commitment)") and line.endswith("(section 7).")


def test_summary_says_nothing_of_a_commitment_the_pack_does_not_state() -> None:
    from finops import summary

    for evidence_data in ({k: v for k, v in shared_sections()["evidence"].items() if k != "commitment"},
                          {**shared_sections()["evidence"], "commitment": {"recommended_per_month_usd": None}}):
        report = make_report(sections={**shared_sections(), "evidence": evidence_data})
        assert summary.build(None, report)["commitment"] is None
        assert "commitment" not in outputs_summary(report).lower()


def outputs_summary(report: Report) -> str:
    from finops import outputs

    return outputs.summary_markdown(report)


def test_no_placeholder_organisation_on_the_cover() -> None:
    soup = BeautifulSoup(render_html(make_report(organisation="")), "html.parser")
    assert text(soup.select_one("#cover h1")) == "Claude API spend audit"
    assert "organisation" not in text(soup).lower()
    assert text(soup.select_one("#summary .lead")).startswith("From 5 Jan 2026 to 27 Feb 2026, spend on the Claude API")


def attribution_section() -> dict[str, Any]:
    """Workspaces on all spend ($1,234.56), projects on request-level rows only ($1,100.00), two shown each."""
    return {
        "workspace": {"basis": "spend basis", "total": {"cost": D("1234.56"), "requests": 1210, "tokens": 9000},
                      "rows": [{"name": "wrkspc_research", "cost": D("1000.00"), "requests": 700, "tokens": 6000,
                                "platforms": ["anthropic"]},
                               {"name": "Research", "cost": D("200.00"), "requests": None, "tokens": 2000,
                                "platforms": ["anthropic"]}],
                      "other": {"values": 3, "cost": D("34.56"), "requests": 510, "tokens": 1000},
                      "sources_without": ["Claude Code transcripts"],
                      "same_as": [{"id": "wrkspc_research", "name": "Research", "section": "workspaces",
                                   "toml": 'wrkspc_research = "Research"'}]},
        "project": {"basis": "request-level logs", "total": {"cost": D("1100.00"), "requests": 1210, "tokens": 8000},
                    "rows": [{"name": "chatbot", "cost": D("800.00"), "requests": 900, "tokens": 5000,
                              "platforms": ["anthropic"]}],
                    "other": {"values": 4, "cost": D("300.00"), "requests": 310, "tokens": 3000},
                    "sources_without": ["Anthropic usage report"], "same_as": []},
    }


def test_attribution_other_rows_add_up_on_their_own_base() -> None:
    soup = BeautifulSoup(render_html(make_report(sections={**shared_sections(), "attribution": attribution_section()})),
                         "html.parser")
    tables = soup.select("#attribution-data ~ table.attribution-table")
    rows = {text(t.select_one("thead th")): [[text(td) for td in tr.select("th, td")] for tr in t.select("tbody tr")]
            for t in tables}
    # Workspaces: 1,000 + 200 + 34.56 = 1,234.56; 700 + 510 = 1,210 logged requests; "Research" has none logged.
    assert rows["Workspace"] == [
        ["wrkspc_research", "anthropic", "700", "6,000", "$1,000.00", "81.0%"],
        ["Research", "anthropic", "not recorded", "2,000", "$200.00", "16.2%"],
        ["All other workspaces (3)", "", "510", "1,000", "$34.56", "2.8%"],
        ["Total, all spend", "1,210", "9,000", "$1,234.56", "100.0%"]]
    # Projects: shares of the request-level total $1,100 (not of the $1,234.56 spend): 800 / 1,100 = 72.7%,
    # 300 / 1,100 = 27.3%; 900 + 310 = 1,210 requests, never negative.
    assert rows["Project"] == [
        ["chatbot", "anthropic", "900", "5,000", "$800.00", "72.7%"],
        ["All other projects (4)", "", "310", "3,000", "$300.00", "27.3%"],
        ["Total, request-level logs", "1,210", "8,000", "$1,100.00", "100.0%"]]
    chapter = text(soup.select_one("#spend-by-attribution"))
    assert "Sources with no workspace: Claude Code transcripts." in chapter
    assert "On the request-level logs only ($1,100.00 of the $1,234.56 spend)" in chapter
    assert "wrkspc_research and “Research” appear as separate rows" in chapter
    assert text(soup.select_one("#spend-by-attribution pre.toml")) == '[workspaces] wrkspc_research = "Research"'


def test_summary_reconciliation_names_what_explains_the_gap() -> None:
    pair = {"platform": "bedrock", "platform_label": "Amazon Bedrock", "month": "2026-10", "result": "pass",
            "gap_usd": D("40.63"), "usage_gap_usd": D("45.05"), "unexplained_usd": D("0"), "tolerance": D("0.01"),
            "explained": [{"group": "logs_missing", "label": "logs missing for",
                           "detail": "2026-10-01 to 2026-10-05; AWS account 444455556666", "amount_usd": D("45.05")},
                          {"group": "credits", "label": "credits", "detail": "", "amount_usd": D("-4.42")}]}
    sections = {**shared_sections(), "reconciliation": {"tolerance": D("0.01"), "pairs": [], "unmatched": [],
                                                        "realised": [], "causes": {}}}
    summary = {"spend_usd": D("1234.56"), "rows": 1210, "logged_requests": 1210,
               "savings": {"period_usd": D("340"), "month": "2026-01", "per_month_usd": D("150"),
                           "per_year_usd": D("1800")},
               "reconciliation": [pair], "actions": [], "commitment": None, "minor_finding_share": D("0.005"),
               "minor_findings": []}
    soup = BeautifulSoup(render_html(make_report(sections={**sections, "summary": summary})), "html.parser")
    row = [text(td) for td in soup.select("#summary table.summary-reconciliation tbody td")]
    assert row == ["Amazon Bedrock", "Oct 2026", "pass", "+$40.63",
                   "logs missing for 2026-10-01 to 2026-10-05; AWS account 444455556666 +$45.05, credits −$4.42 "
                   "(usage gap +$45.05, without credits and discounts)", "$0.00"]
    kpis = [text(td) for td in soup.select("#summary table.kpi td")]
    assert kpis[2:] == ["Savings per month $150.00 at Jan 2026's rate", "Savings per year $1,800.00 Jan 2026 × 12"]


def test_minor_findings_share_one_table() -> None:
    # $45.67 of $1,234.56 is 3.7%: under a 5% threshold it goes in the table of smaller findings, no page of its own.
    soup = BeautifulSoup(render_html(make_report(options={"minor_finding_share": D("0.05")})), "html.parser")
    assert [s["id"] for s in soup.select("section.finding")] == ["legacy_model", "minor-findings"]
    row = soup.select_one("#minor-findings tr#cache_missed")
    assert "Repeated prompt prefixes sent without prompt caching" in text(row) and "$45.67" in text(row)
    assert soup.find(id="cache_missed") is row  # the contents and index still link to it


def test_standalone_evidence_document(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from finops.reports import render_evidence_html

    html = render_evidence_html(make_report())
    soup = BeautifulSoup(html, "html.parser")
    assert soup.select_one("#evidence-pack h2").get_text(" ", strip=True).startswith("1 ")
    assert soup.select_one("#month-over-month") is None and soup.select("section.finding") == []
    assert "Appendix C.3" not in html and "The table is in the appendix" in text(soup)
    caplog.set_level(logging.WARNING, logger="weasyprint")
    write_pdf(html, tmp_path / "evidence.pdf")
    assert (tmp_path / "evidence.pdf").read_bytes().startswith(b"%PDF")
    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []


def test_hostile_names_in_the_sections_render_as_text() -> None:
    sections = {
        "comparison": {**shared_sections()["comparison"],
                       "by_model": [{**shared_sections()["comparison"]["by_model"][0], "model": HOSTILE_MODEL}]},
        "evidence": {**shared_sections()["evidence"],
                     "consumption": [{**shared_sections()["evidence"]["consumption"][0], "model": HOSTILE_MODEL}]},
    }
    html = render_html(replace(hostile_report(), sections=sections))
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("img") is None and soup.find("script") is None
    assert HOSTILE_MODEL in text(soup.select_one("table.mom-models"))
    assert HOSTILE_MODEL in text(soup.select_one("table.ev-prices"))


def test_attribution_builder_keeps_each_table_on_its_own_base(monkeypatch: pytest.MonkeyPatch) -> None:
    """A usage report (the spend basis, by workspace id) and four logged requests (projects, workspace by name)
    on the same day: projects are summed over the logs only, workspaces over the spend basis."""
    from finops import attribution

    day = "2026-01-05T00:00:00"
    report_row = dict(source_format="anthropic_usage_report", granularity="bucket", grouping="workspace",
                      requests=None, model="claude-sonnet-4-5", charge_period_start=day,
                      charge_period_end="2026-01-06T00:00:00", workspace="wrkspc_research", input_tokens=1_000_000)
    logged = [dict(model="claude-sonnet-4-5", charge_period_start=day, workspace="Research", project=p,
                   input_tokens=100_000) for p in ("chatbot", "chatbot", "search", None)]
    con = usage_con([report_row, *logged])
    monkeypatch.setattr(attribution, "SHOWN", 1)
    data = attribution.build(con, replace(_stub(con), spend_by=overview.by_attribution(con)))
    # Sonnet 4.5 input at $3 per million: the report's 1,000,000 tokens $3.00; each logged request $0.30.
    ws, projects = data["workspace"], data["project"]
    assert (ws["basis"], ws["total"]["cost"], ws["total"]["requests"]) == ("spend basis", D("3"), 4)
    assert [(r["name"], r["cost"], r["requests"]) for r in ws["rows"]] == [("wrkspc_research", D("3"), None)]
    # All other = the base's total minus the row shown: $3 - $3 = $0; 4 logged requests - 0 = 4 (all under
    # "Research", a name the spend basis never uses).
    assert ws["other"] == {"values": 1, "cost": D("0"), "requests": 4, "tokens": 0}  # 1,000,000 - 1,000,000 tokens
    assert (projects["basis"], projects["total"]["cost"], projects["total"]["requests"]) == (
        "request-level logs", D("1.2"), 4)
    assert [(r["name"], r["cost"], r["requests"]) for r in projects["rows"]] == [("chatbot", D("0.6"), 2)]
    # $1.20 - $0.60 = $0.60 and 4 - 2 = 2 requests for search and (not recorded): never the whole spend's $3.
    assert (projects["other"]["values"], projects["other"]["cost"], projects["other"]["requests"]) == (2, D("0.6"), 2)
    assert ws["same_as"] == [{"id": "wrkspc_research", "name": "Research", "section": "workspaces",
                              "toml": 'wrkspc_research = "Research"'}]
    assert ws["sources_without"] == []  # both sources carry a workspace
    assert projects["sources_without"] == ["Anthropic Usage & Cost API usage report"]


def test_savings_per_month_are_the_last_full_months_stacked_savings() -> None:
    from finops import summary

    assert summary.last_full_month(datetime(2026, 8, 1), datetime(2026, 11, 20, 23, 59)) == "2026-10"
    assert summary.last_full_month(datetime(2026, 1, 5), datetime(2026, 2, 28, 18)) == "2026-02"
    assert summary.last_full_month(datetime(2026, 1, 5), datetime(2026, 1, 31, 23)) is None  # only part of January
    # Two records on Jan 10 and Feb 28, $50 each (10M Opus 4.5 input tokens at $5 per million); one finding saves
    # $40 and $10 of them, stacked alone as it is. Feb is the last full month: its stacked savings are $10 a month,
    # $120 a year, of the $50 of the period.
    from test_stacking import finding

    from finops import stacking

    rows = [dict(model="claude-opus-4-5", charge_period_start=d, input_tokens=10_000_000)
            for d in ("2026-01-10T00:00:00", "2026-02-28T00:00:00")]
    con = usage_con(rows)
    analysis.prepare(con)
    con.executemany("INSERT INTO finding_savings VALUES (?, ?, ?)",
                    [("legacy_model", "r1", D("40")), ("legacy_model", "r2", D("10"))])
    stacked = stacking.stack(con, [finding("legacy_model", "migrate", D("50"))])
    report = replace(make_report(), period_start=datetime(2026, 1, 1), period_end=datetime(2026, 2, 28, 12),
                     savings_stacked=stacked["legacy_model"])
    s = summary.build(con, report)["savings"]
    assert (s["month"], s["per_month_usd"], s["per_year_usd"], s["period_usd"]) == (
        "2026-02", D("10"), D("120"), D("50"))


def test_a_wide_evidence_table_keeps_savings_on_the_row() -> None:
    """Twelve numeric columns do not fit the page: the extra numbers go on a line under their row, never into a
    second table away from the row's savings."""
    extra = [f"measure_{i}_tokens" for i in range(12)]
    row = {"workspace": "research", "api_key_id": "key_01", "model": "claude-opus-4-1", "requests": 7,
           **{c: 1_234_567_890 for c in extra}, "cost": D("10"), "savings": D("2.5")}
    wide = replace(make_report().findings[1], evidence_columns=["workspace", "api_key_id", "model", "requests",
                                                                *extra, "cost", "savings"], evidence=[row])
    soup = BeautifulSoup(render_html(make_report(findings=[make_report().findings[0], wide])), "html.parser")
    section = soup.select_one("section#cache_missed")
    assert len(section.select("table.evidence")) == 1 and "matched by #" not in text(section)
    headers = [text(th) for th in section.select("table.evidence thead th")]
    cells = [text(td) for td in section.select("table.evidence tbody tr:first-child td")]
    assert headers[-1] == "Savings" and cells[-1] == "$2.50" and headers[:3] == ["Workspace", "API key", "Model"]
    more = text(section.select_one("table.evidence tr.more"))
    shown = [h for h in headers if h.startswith("Measure")]
    assert len(shown) + more.count("Measure") == 12 and "1,234,567,890" in more
