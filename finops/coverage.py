"""Coverage: which sources cover which platform on which days, month by month (report.json `coverage`).

A platform with no source in a month is *not covered* that month: its spend there is unknown, never $0. The
month over month, the stability and trend figures, the forecast and the commitment are computed on covered months
only (finops/comparison.py, finops/evidence.py).

One row per platform, source format and month: the first and last UTC day with rows, how many distinct days have
rows, and how many rows (every usage row, spend basis or detail). A bucket covers every UTC day from its start to
just before its end (a monthly bill line covers its month), as in the spend basis (finops/sql/price_usage.sql).

A platform's month is *covered in full* when the platform has rows that month and its sources together span the
whole month: its first day in the data is on or before the month's first day and its last day on or after the
month's last day. So the month a source starts in (Bedrock logs from 6 October) is covered only in part, while a
quiet day inside a platform's span is no gap.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

import duckdb

from .platforms import PLATFORM_LABEL, VENDOR  # noqa: F401 (read from here by the report modules)

_DAYS = """
    WITH spans AS (
        SELECT DISTINCT platform, source_format, CAST(charge_period_start AS DATE) AS first_day,
            CASE WHEN granularity = 'bucket' AND charge_period_end > charge_period_start + INTERVAL 1 DAY
                 THEN CAST(charge_period_end - INTERVAL 1 MICROSECOND AS DATE)
                 ELSE CAST(charge_period_start AS DATE) END AS last_day
        FROM usage WHERE charge_period_start IS NOT NULL),
    days AS (
        SELECT DISTINCT platform, source_format,
            CAST(unnest(generate_series(first_day, last_day, INTERVAL 1 DAY)) AS DATE) AS day
        FROM spans),
    row_counts AS (
        SELECT platform, source_format, strftime(charge_period_start, '%Y-%m') AS month, count(*) AS rows
        FROM usage WHERE charge_period_start IS NOT NULL GROUP BY ALL)
    SELECT d.platform, d.source_format, strftime(d.day, '%Y-%m') AS month, min(d.day) AS first_day,
        max(d.day) AS last_day, count(*) AS days, coalesce(any_value(r.rows), 0)::BIGINT AS rows
    FROM days d LEFT JOIN row_counts r
        ON r.platform = d.platform AND r.source_format = d.source_format AND r.month = strftime(d.day, '%Y-%m')
    GROUP BY d.platform, d.source_format, strftime(d.day, '%Y-%m')
    ORDER BY d.platform, month, d.source_format"""


def matrix(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The coverage rows: platform, source_format, month, first_day, last_day (dates), days, rows.
    Worked out once per run (a temp table), since the comparison and the evidence pack read it too."""
    done = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'coverage_matrix'")
    if not done.fetchone()[0]:  # type: ignore[index]
        con.execute(f"CREATE TEMP TABLE coverage_matrix AS {_DAYS}")
    cursor = con.execute("SELECT * FROM coverage_matrix ORDER BY platform, month, source_format")
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def build(con: duckdb.DuckDBPyConnection, report: Any = None) -> list[dict[str, Any]] | None:
    """Report.sections['coverage']: the matrix; None without dated rows."""
    return matrix(con) or None


def month_bounds(month: str) -> tuple[date, date]:
    y, m = (int(p) for p in month.split("-"))
    return date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])


def platform_months(rows: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """Per platform, its covered months: {platform: {month: {first_day, last_day, full, sources}}}.
    A month missing from a platform's dict is not covered (no source has a row that month)."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    span: dict[str, tuple[date, date]] = {}
    for r in rows:
        p = r["platform"]
        lo, hi = span.get(p, (r["first_day"], r["last_day"]))
        span[p] = (min(lo, r["first_day"]), max(hi, r["last_day"]))
        cell = out.setdefault(p, {}).setdefault(r["month"], {"first_day": r["first_day"], "last_day": r["last_day"],
                                                            "sources": []})
        cell["first_day"] = min(cell["first_day"], r["first_day"])
        cell["last_day"] = max(cell["last_day"], r["last_day"])
        cell["sources"].append(r["source_format"])
    for p, months in out.items():
        lo, hi = span[p]
        for month, cell in months.items():
            first, last = month_bounds(month)
            cell["full"] = lo <= first and hi >= last
            cell["sources"] = sorted(set(cell["sources"]))
    return out


def covered_full(rows: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Per platform, the months it covers in full, in order."""
    return {p: sorted(m for m, c in months.items() if c["full"]) for p, months in platform_months(rows).items()}
