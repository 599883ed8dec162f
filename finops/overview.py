"""Spend overview queries: totals, by month, by model, by attribution, unpriced rows, the price table used."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import duckdb

from .pricing import lifecycle_checks
from .report import Totals

TOKEN_SUMS = """
    sum(coalesce(requests, 0))::BIGINT AS requests,
    sum(coalesce(input_tokens, 0))::BIGINT AS input_tokens,
    sum(coalesce(cache_write_5m_tokens, 0))::BIGINT AS cache_write_5m_tokens,
    sum(coalesce(cache_write_1h_tokens, 0))::BIGINT AS cache_write_1h_tokens,
    sum(coalesce(cache_read_tokens, 0))::BIGINT AS cache_read_tokens,
    sum(coalesce(output_tokens, 0))::BIGINT AS output_tokens
"""
ATTRIBUTION = ("workspace", "api_key_id", "project", "user_id")
CLAUDE_CODE_SOURCES = "('claude_code_report', 'claude_code', 'claude_code_otel')"
# Workspaces and keys come with the spend basis (usage reports carry them); projects only exist in
# request-level logs, so project roll-ups read every request-level row (never a bucket, never twice).
# Users: Claude Code's spend per user, from the best Claude Code source of each day (its analytics report where it
# covers the day, else the telemetry and transcripts), whatever the spend basis is: a view of Claude Code only.
ATTRIBUTION_ROWS = {
    "workspace": "in_totals", "api_key_id": "in_totals", "project": "granularity = 'request'",
    "user_id": f"""source_format IN {CLAUDE_CODE_SOURCES} AND (source_format = 'claude_code_report' OR NOT EXISTS (
        SELECT 1 FROM priced_usage r WHERE r.source_format = 'claude_code_report'
            AND r.platform = priced_usage.platform AND r.usage_date = priced_usage.usage_date))""",
}
ATTRIBUTION_BASIS = {"workspace": "spend basis", "api_key_id": "spend basis", "project": "request-level logs",
                     "user_id": "Claude Code sources"}


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def totals(con: duckdb.DuckDBPyConnection) -> Totals:
    row = _rows(con, f"""
        SELECT {TOKEN_SUMS},
            sum(coalesce(web_search_requests, 0))::BIGINT AS web_search_requests,
            coalesce(sum(list_cost), 0) AS list_cost, coalesce(sum(cost), 0) AS billed_cost,
            count(*) AS rows, count(*) FILTER (WHERE granularity = 'bucket') AS bucket_rows
        FROM priced_usage WHERE in_totals""")[0]
    row["logged_requests"] = con.execute(
        "SELECT count(*) FROM priced_usage WHERE granularity = 'request'").fetchone()[0]
    return Totals(**{k: (Decimal(v) if k.endswith("cost") else int(v or 0)) for k, v in row.items()})


def period(con: duckdb.DuckDBPyConnection) -> tuple[Any, Any]:
    return con.execute(
        # A bucket's end is exclusive: the period ends just before it.
        "SELECT min(charge_period_start), "
        "max(coalesce(charge_period_end - INTERVAL 1 MICROSECOND, charge_period_start)) FROM priced_usage"
    ).fetchone() or (None, None)


def by_model(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return _rows(con, f"""
        SELECT platform, coalesce(model, model_raw, 'unknown') AS model, {TOKEN_SUMS},
            sum(list_cost) AS list_cost, sum(cost) AS cost, bool_and(priced) AS priced
        FROM priced_usage WHERE in_totals
        GROUP BY ALL ORDER BY cost DESC NULLS LAST, model, platform""")  # ties in a stable order


def by_month(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return _rows(con, f"""
        SELECT strftime(charge_period_start, '%Y-%m') AS month, coalesce(model, model_raw, 'unknown') AS model,
            {TOKEN_SUMS}, sum(list_cost) AS list_cost, sum(cost) AS cost
        FROM priced_usage WHERE in_totals
        GROUP BY ALL ORDER BY month, cost DESC NULLS LAST, model""")


def by_attribution(con: duckdb.DuckDBPyConnection, limit: int = 15) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for column in ATTRIBUTION:
        # The column name comes from the fixed tuple above, never from input.
        out[column] = _rows(con, f"""
            SELECT coalesce({column}, '(not recorded)') AS {column}, {TOKEN_SUMS},
                sum(cost) AS cost, list(DISTINCT platform ORDER BY platform) AS platforms
            FROM priced_usage WHERE {ATTRIBUTION_ROWS[column]}
            GROUP BY 1 ORDER BY cost DESC NULLS LAST, 1 LIMIT ?""", [limit])  # ties (and the cut) by name
    if not any(r["user_id"] != "(not recorded)" for r in out["user_id"]):
        del out["user_id"]  # no source names Claude Code's users: no such view
    return out


def unpriced(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return _rows(con, f"""
        SELECT coalesce(model_raw, '(no model given)') AS model, platform, unpriced_reason AS reason,
            count(*) AS rows, {TOKEN_SUMS},
            min(source_file || ':' || source_line) AS first_row
        FROM priced_usage WHERE NOT priced AND in_totals
        GROUP BY ALL ORDER BY rows DESC, model, platform, reason""")  # ties in a stable order


def quality(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    rejects = _rows(con, """
        SELECT split_part(reason, ':', 1) AS reason, count(*) AS rows
        FROM rejects GROUP BY 1 ORDER BY rows DESC, reason""")
    notes = _rows(con, """
        SELECT note, count(*) AS rows FROM (
            SELECT unnest(string_split(pricing_notes, '; ')) AS note FROM priced_usage WHERE pricing_notes IS NOT NULL)
        GROUP BY 1 ORDER BY rows DESC, note""")
    detail_only = _rows(con, """
        SELECT source_format, count(*) AS rows, sum(cost) AS cost FROM priced_usage WHERE NOT in_totals
        GROUP BY 1 ORDER BY rows DESC, source_format""")
    return {"rejects_by_reason": rejects, "pricing_notes": notes, "detail_only_rows": detail_only,
            "lifecycle": lifecycle_checks(con),
            "attribution_rows": ATTRIBUTION_BASIS}


def price_rows(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The rows of the price table that priced at least one usage row (or all of them when none did)."""
    return _rows(con, """
        SELECT p.model, p.platform, p.variant, p.valid_from, p.threshold,
            p.eff_input AS input, p.eff_cache_write_5m AS cache_write_5m, p.eff_cache_write_1h AS cache_write_1h,
            p.eff_cache_read AS cache_read, p.eff_output AS output, p.negotiated, p.source, p.note
        FROM prices p
        WHERE (p.platform, p.model, p.variant, p.valid_from) IN (
            SELECT (platform, model, price_variant, price_valid_from) FROM priced_usage WHERE priced)
        ORDER BY ALL""")  # model, platform, variant, valid_from, threshold, then the rates: a total order


def bill_only(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """When the inputs hold bills but no usage: what the bills charged (tax apart), over what period, in how many
    lines. None when there is usage (or no bill either)."""
    if con.execute("SELECT count(*) FROM priced_usage").fetchone()[0]:  # type: ignore[index]
        return None
    row = con.execute("""
        SELECT count(*) FILTER (WHERE NOT derived),
            coalesce(sum(billed_cost) FILTER (WHERE coalesce(charge_kind, '') <> 'tax'), 0),
            coalesce(sum(billed_cost) FILTER (WHERE charge_kind = 'tax'), 0), min(charge_period_start),
            max(coalesce(charge_period_end - INTERVAL 1 MICROSECOND, charge_period_start))
        FROM billing""").fetchone()
    if not row or not row[0]:
        return None
    lines, billed, tax, start, end = row
    return {"bill_lines": int(lines), "billed_cost": Decimal(billed), "tax_cost": Decimal(tax),
            "period_start": start, "period_end": end}
