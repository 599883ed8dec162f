"""Which rows make the totals and which feed findings when aggregated reports and request logs overlap."""

from __future__ import annotations

from decimal import Decimal

from helpers import usage_con

DAY = "2026-09-10T00:00:00"


def test_aggregated_report_is_the_spend_basis_for_its_day_and_logs_feed_findings():
    con = usage_con([
        # The usage report (all traffic that day): Opus 4.6 and Opus 4.1, daily buckets.
        dict(granularity="bucket", grouping="1d:model", source_format="anthropic_usage_report",
             model="claude-opus-4-6", charge_period_start=DAY, input_tokens=2_000_000),
        dict(granularity="bucket", grouping="1d:model", source_format="anthropic_usage_report",
             model="claude-opus-4-1", charge_period_start=DAY, input_tokens=1_000_000),
        # Request logs of one app that day: part of the Opus 4.6 traffic above.
        dict(model="claude-opus-4-6", charge_period_start="2026-09-10T10:00:00", input_tokens=500_000),
        # A request log on a day without a report: it is the basis there.
        dict(model="claude-opus-4-6", charge_period_start="2026-09-11T10:00:00", input_tokens=100_000),
    ])
    rows = con.execute("""SELECT record_id, in_totals, in_findings FROM priced_usage ORDER BY record_id""").fetchall()
    assert rows == [
        ("r1", True, False),   # Opus 4.6 bucket: in totals; its day and model have request rows for findings
        ("r2", True, True),    # Opus 4.1 bucket: no request rows for that model, so findings read it
        ("r3", False, True),   # request detail under the report: findings only
        ("r4", True, True),
    ]
    total = con.execute("SELECT sum(cost) FROM priced_usage WHERE in_totals").fetchone()[0]
    # 2M x $5 + 1M x $15 + 0.1M x $5 = 10 + 15 + 0.5
    assert total == Decimal("25.5")


def test_finest_aggregated_grouping_wins_and_usage_report_beats_console_export():
    con = usage_con([
        dict(granularity="bucket", grouping="1d:model", source_format="anthropic_usage_report",
             model="claude-opus-4-6", charge_period_start=DAY, input_tokens=1_000_000),
        dict(granularity="bucket", grouping="1d:model,workspace_id", source_format="anthropic_usage_report",
             model="claude-opus-4-6", charge_period_start=DAY, input_tokens=400_000),
        dict(granularity="bucket", grouping="1d:model,workspace_id", source_format="anthropic_usage_report",
             model="claude-opus-4-6", charge_period_start=DAY, input_tokens=600_000),
        dict(granularity="bucket", grouping="1d:console", source_format="console_usage_csv",
             model="claude-opus-4-6", charge_period_start=DAY, input_tokens=1_000_000),
    ])
    got = con.execute("SELECT record_id FROM priced_usage WHERE in_totals ORDER BY record_id").fetchall()
    assert got == [("r2",), ("r3",)]
