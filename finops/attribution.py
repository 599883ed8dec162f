"""Spend by workspace, API key and project, each table on one base, with "All other" worked out on that base.

report.json `attribution`: per dimension, the base its spend is summed over (the spend basis for workspaces and
keys; the request-level logs for projects, which only they carry), the base's total, the largest values, the rest
as "All other" (the base's total minus the rows shown, so rows + All other = total, for cost, tokens and
requests), the sources that never carry the dimension, and ids that look like another value's name (with the
finops.toml lines that would merge them).

Requests are the logged requests (request-level rows) of each value, whatever the spend basis: usage reports and
bills count tokens, not requests. A value seen only in sources that count no requests has requests None ("not
recorded"), never 0; a value seen only in logs that are not the spend basis has a cost of 0 on this base.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import duckdb

from . import ingest
from .overview import ATTRIBUTION_BASIS, ATTRIBUTION_ROWS
from .report import Report

SHOWN = 15  # values listed per dimension; the rest are "All other"
NOT_RECORDED = "(not recorded)"
TOKEN_COLUMNS = ("input_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens", "cache_read_tokens",
                 "output_tokens")
# finops.toml table that names the ids of a dimension (finops/names.py) and the prefixes its ids carry.
ID_SECTIONS = {"workspace": ("workspaces", ("wrkspc_", "wrkspc-")), "api_key_id": ("api_keys", ("apikey_", "apikey-"))}
ZERO = Decimal(0)


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def _dimension(con: duckdb.DuckDBPyConnection, column: str) -> dict[str, Any]:
    base = ATTRIBUTION_ROWS[column]  # both are code constants, never input
    # Logged requests: every request-level row when the base is the spend basis (the logs are detail beside a
    # usage report); else the base's own request-level rows (a view of part of the spend, e.g. Claude Code).
    logged_rows = "granularity = 'request'" + ("" if base == "in_totals" else f" AND ({base})")
    tokens = ", ".join(f"sum(coalesce({t}, 0))::BIGINT AS {t}" for t in TOKEN_COLUMNS)
    values = _rows(con, f"""
        WITH spend AS (
            SELECT coalesce({column}, '{NOT_RECORDED}') AS name, {tokens}, sum(cost) AS cost,
                list(DISTINCT platform ORDER BY platform) AS platforms
            FROM priced_usage WHERE {base} GROUP BY 1),
        logged AS (
            SELECT coalesce({column}, '{NOT_RECORDED}') AS name, count(*) AS requests,
                list(DISTINCT platform ORDER BY platform) AS platforms
            FROM priced_usage WHERE {logged_rows} GROUP BY 1)
        SELECT name, {", ".join(f"coalesce(s.{t}, 0) AS {t}" for t in TOKEN_COLUMNS)},
            coalesce(s.cost, 0) AS cost, coalesce(s.platforms, l.platforms) AS platforms, l.requests
        FROM spend s FULL JOIN logged l USING (name)
        ORDER BY cost DESC, l.requests DESC NULLS LAST, name""")
    # The base's totals and, in the same scan (one Spark job), its logged requests: those whose value has no spend
    # on this base count in the total too (they are in "All other").
    base_tokens = ", ".join(f"sum(coalesce({t}, 0)) FILTER (WHERE {base})::BIGINT AS {t}" for t in TOKEN_COLUMNS)
    total = _rows(con, f"""
        SELECT {base_tokens}, coalesce(sum(cost) FILTER (WHERE {base}), 0) AS cost,
            count(*) FILTER (WHERE {logged_rows}) AS requests
        FROM priced_usage""")[0]
    lacking = [r["source_format"] for r in _rows(con, f"""
        SELECT source_format FROM priced_usage GROUP BY 1 HAVING bool_and({column} IS NULL)
        ORDER BY 1""")]
    shown = values[:SHOWN]
    for v in shown:
        v["tokens"] = sum(int(v[t]) for t in TOKEN_COLUMNS)
    rest = _rest(shown, values[SHOWN:], total)
    labels = ingest.formats()
    return {
        "basis": ATTRIBUTION_BASIS[column],
        "total": {"cost": total["cost"], "requests": total["requests"],
                  "tokens": sum(int(total[t] or 0) for t in TOKEN_COLUMNS)},
        "rows": [{"name": v["name"], "cost": v["cost"], "requests": v["requests"], "tokens": v["tokens"],
                  "platforms": v["platforms"]} for v in shown],
        "other": rest,
        "sources_without": [labels.get(s, s) for s in lacking],
        "same_as": _same_as(con, column),
    }


def _rest(shown: list[dict[str, Any]], hidden: list[dict[str, Any]], total: dict[str, Any]) -> dict[str, Any] | None:
    """The base's total minus the rows shown: "All other", on the same base as the rows (None when nothing is left)."""
    cost = Decimal(total["cost"]) - sum((Decimal(v["cost"] or 0) for v in shown), ZERO)
    requests = int(total["requests"]) - sum(int(v["requests"] or 0) for v in shown)
    tokens = sum(int(total[t] or 0) for t in TOKEN_COLUMNS) - sum(v["tokens"] for v in shown)
    if not hidden and cost == 0 and requests == 0 and tokens == 0:
        return None
    return {"values": len(hidden), "cost": cost, "requests": requests, "tokens": tokens}


def _key(text: str, prefixes: tuple[str, ...]) -> str:
    """An id or a name reduced to its letters and digits: wrkspc_data_platform and "Data Platform" both give
    dataplatform; apikey_01DocPipelineProd and doc-pipeline-prod both give docpipelineprod."""
    lowered = text.lower()
    for prefix in prefixes:
        if lowered.startswith(prefix):
            text = re.sub(r"^\d+", "", text[len(prefix):])
            break
    return re.sub(r"[^0-9a-z]", "", text.lower())


def _same_as(con: duckdb.DuckDBPyConnection, column: str) -> list[dict[str, str]]:
    """Ids (wrkspc_..., apikey_...) that look like another value's name: probably one workspace or key, twice."""
    if column not in ID_SECTIONS:
        return []
    section, prefixes = ID_SECTIONS[column]
    names = [r[0] for r in con.execute(
        f"SELECT DISTINCT {column} FROM priced_usage WHERE {column} IS NOT NULL ORDER BY 1").fetchall()]
    ids = [n for n in names if n.lower().startswith(prefixes)]
    others = [n for n in names if not n.lower().startswith(prefixes)]
    out = []
    for i in ids:
        matches = [n for n in others if _key(n, prefixes) and _key(n, prefixes) == _key(i, prefixes)]
        if len(matches) == 1:
            key = i if re.fullmatch(r"[A-Za-z0-9_-]+", i) else json.dumps(i)
            out.append({"id": i, "name": matches[0], "section": section,
                        "toml": f"{key} = {json.dumps(matches[0], ensure_ascii=False)}"})
    return out


def build(con: duckdb.DuckDBPyConnection, report: Report) -> dict[str, Any] | None:
    """Report.sections['attribution']: one entry per dimension of spend_by (workspace, api_key_id, project, and
    user_id when a source names Claude Code's users)."""
    return {column: _dimension(con, column) for column in report.spend_by if column in ATTRIBUTION_ROWS}
