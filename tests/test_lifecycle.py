"""Lifecycle checks in data_quality: each fires on a hand-made row and stays silent on a clean one; flagged rows
stay priced as logged. Dates from the model table (Claude API retirements, pricing.md 1.2) and
finops/data/lifecycle.csv (retirements on other platforms, fast-mode withdrawals, pricing.md 1.2 and 2.6)."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from finops.reports import render_html
from helpers import usage_con

from finops import pricing
from finops.pipeline import run
from finops.report import to_dict


def checks(rows: list[dict[str, Any]]) -> list[tuple[str, str, str, int, str]]:
    con = usage_con([{"source_file": "logs.jsonl", "input_tokens": 1_000_000, **r} for r in rows])
    return [(c["check"], c["model"], c["platform"], c["rows"], c["first_row"]) for c in pricing.lifecycle_checks(con)]


@pytest.mark.parametrize("flagged, clean, expected", [
    # Opus 4.1 retired on the Claude API on 2026-08-05 (pricing.md 1.2): that day on is refused; on Bedrock it is
    # still offered, so a Bedrock row is clean.
    (dict(model="claude-opus-4-1", charge_period_start="2026-08-05T00:00:00"),
     dict(model="claude-opus-4-1", charge_period_start="2026-08-04T23:59:59"),
     ("after_retirement", "claude-opus-4-1", "anthropic")),
    (dict(model="claude-opus-4-1", charge_period_start="2026-09-01T00:00:00"),
     dict(model="claude-opus-4-1", charge_period_start="2026-09-01T00:00:00", platform="bedrock",
          endpoint_scope="regional"),
     ("after_retirement", "claude-opus-4-1", "anthropic")),
    # Haiku 3.5 shut down on Vertex AI on 2026-07-05 (Google's schedule, pricing.md 1.2).
    (dict(model="claude-3-5-haiku", charge_period_start="2026-07-05T10:00:00", platform="vertex",
          endpoint_scope="global"),
     dict(model="claude-3-5-haiku", charge_period_start="2026-07-04T10:00:00", platform="vertex",
          endpoint_scope="global"),
     ("after_retirement", "claude-3-5-haiku", "vertex")),
    # Opus 4.7 fast mode was withdrawn on 2026-07-24 (pricing.md 2.6).
    (dict(model="claude-opus-4-7", charge_period_start="2026-07-24T08:00:00", speed="fast"),
     dict(model="claude-opus-4-7", charge_period_start="2026-07-23T08:00:00", speed="fast"),
     ("fast_after_withdrawal", "claude-opus-4-7", "anthropic")),
    # Fast mode is not offered in the Batch API (pricing.md 2.1).
    (dict(model="claude-opus-4-8", charge_period_start="2026-09-01T00:00:00", speed="fast", service_tier="batch"),
     dict(model="claude-opus-4-8", charge_period_start="2026-09-01T00:00:00", speed="fast"),
     ("fast_in_batch", "claude-opus-4-8", "anthropic")),
    # The Message Batches API served Claude 3 Haiku, 3 Opus and 3.5 Sonnet from its launch (2024-10-08), never
    # Claude 3 Sonnet, 2.x or Instant (docs.anthropic.com/en/api/creating-message-batches): a batch row of theirs
    # is one the API would have refused. The same model outside a batch is clean.
    (dict(model="claude-3-sonnet", charge_period_start="2025-01-10T00:00:00", service_tier="batch"),
     dict(model="claude-3-sonnet", charge_period_start="2025-01-10T00:00:00"),
     ("batch_unsupported", "claude-3-sonnet", "anthropic")),
    (dict(model="claude-2-1", charge_period_start="2025-01-10T00:00:00", service_tier="batch"),
     dict(model="claude-3-haiku", charge_period_start="2025-01-10T00:00:00", service_tier="batch"),
     ("batch_unsupported", "claude-2-1", "anthropic")),
    # A Vertex row without its endpoint, on a model whose regional endpoints cost 1.1x (4.5 series on, pricing.md
    # 3.3); Sonnet 4 has one price, so its row without an endpoint is clean.
    (dict(model="claude-sonnet-4-5", charge_period_start="2026-05-01T00:00:00", platform="vertex"),
     dict(model="claude-sonnet-4", charge_period_start="2026-05-01T00:00:00", platform="vertex"),
     ("vertex_endpoint_unknown", "claude-sonnet-4-5", "vertex")),
    (dict(model="claude-sonnet-4-5", charge_period_start="2026-05-01T00:00:00", platform="vertex"),
     dict(model="claude-sonnet-4-5", charge_period_start="2026-05-01T00:00:00", platform="vertex",
          endpoint_scope="regional"),
     ("vertex_endpoint_unknown", "claude-sonnet-4-5", "vertex")),
])
def test_each_check_fires_on_its_row_and_not_on_a_clean_one(flagged: dict[str, Any], clean: dict[str, Any],
                                                            expected: tuple[str, str, str]) -> None:
    assert checks([clean]) == []
    # The flagged row is line 2 of logs.jsonl, after the clean one: counted once, and named as the first row.
    assert checks([clean, flagged]) == [(*expected, 1, "logs.jsonl:2")]


def test_counts_rows_and_names_the_first_by_line_number() -> None:
    late = dict(model="claude-opus-4-1", charge_period_start="2026-09-01T00:00:00")
    rows = [dict(late, source_line=n) for n in (12, 9, 30)]  # 9 sorts before 12 as a number, not as text
    assert checks(rows) == [("after_retirement", "claude-opus-4-1", "anthropic", 3, "logs.jsonl:9")]


def test_flagged_rows_stay_priced_as_logged() -> None:
    # Opus 4.1 after its retirement: still 1M input x $15 = 15; Opus 4.7 fast after the withdrawal: the fast
    # variant ended on 2026-07-24, so standard rates as the price table says, 1M x $5 = 5.
    con = usage_con([dict(model="claude-opus-4-1", charge_period_start="2026-09-01T00:00:00", input_tokens=1_000_000),
                     dict(model="claude-opus-4-7", charge_period_start="2026-08-01T00:00:00", speed="fast",
                          input_tokens=1_000_000)])
    assert con.execute("SELECT cost FROM priced_usage ORDER BY model").fetchall() == [(Decimal("15"),),
                                                                                       (Decimal("5"),)]


def test_report_json_and_appendix_show_the_checks(tmp_path: Path) -> None:
    log = tmp_path / "gateway.jsonl"
    ok = {"timestamp": "2026-07-01T10:00:00Z",
          "request": {"model": "claude-opus-4-1", "max_tokens": 10, "messages": [{"role": "user", "content": "x"}]},
          "response": {"id": "msg_ok", "model": "claude-opus-4-1", "usage": {"input_tokens": 10, "output_tokens": 1}}}
    late = json.loads(json.dumps(ok))
    late["timestamp"] = "2026-09-01T10:00:00Z"
    late["response"]["id"] = "msg_late"
    log.write_text(json.dumps(ok) + "\n" + json.dumps(late) + "\n")
    report = run([log], now=datetime(2026, 12, 3)).report
    lifecycle = to_dict(report)["data_quality"]["lifecycle"]
    assert [(c["check"], c["model"], c["platform"], c["rows"]) for c in lifecycle] == [
        ("after_retirement", "claude-opus-4-1", "anthropic", 1)]
    assert lifecycle[0]["first_row"].endswith("gateway.jsonl:2")
    html = render_html(report)
    assert "Lifecycle checks" in html and "used after its retirement on 2026-08-05" in html
