"""One grouping of Anthropic's bill per period: cost queries grouped differently describe the same money once.

An Analytics API cost query (and the older cost report) returns the bill split by the dimensions it was grouped by.
Two queries of the same days with different `group_by` (one by workspace, one by model) are the same money twice,
under record ids that differ (the id holds the group). So, as the usage side's spend basis takes one grouping per
day (finops/sql/price_usage.sql, by the same rule), the bill keeps one query wherever two overlap in time: the finest
(the most dimensions grouped), then the first grouping by name, then the first query by file name. The other
query's lines over those days are duplicates of its file (rows read = loaded + rejected + duplicates), with a note
naming the file kept.

A query is a file, or the pages of one pulled query (`finops pull` saves each page as
`<start>_<end>_<width>_pageNNNN.json`): a page on which a grouped dimension is null everywhere (the default
workspace) is the same query as its siblings, never a coarser one. The grouping is the set of dimension columns a
query fills on any of its lines.

Known limit: a line is dropped when any finer query overlaps it, even one itself dropped for a still finer query that
does not reach that line's days; with queries of daily buckets (what `finops pull` asks for) this cannot happen.
"""

from __future__ import annotations

import duckdb

FORMATS = ("anthropic_analytics_cost", "anthropic_cost_report")
# Dimension columns of a bill line, and the group_by name each stands for.
DIMENSIONS = {"workspace": "workspace_id", "api_key_id": "api_key_id", "model_raw": "model",
              "service_tier": "service_tier", "context_window": "context_window", "inference_geo": "inference_geo",
              "token_class": "token_type", "cost_type": "cost_type", "description": "other dimensions"}
PULLED_PAGE = r"_(1d|1h|1m)_page[0-9]{4,}[.]json$"  # [.]: no backslash, which string literals escape
NOTE = ("{n} line(s) grouped by {mine} are also in {kept} (grouped by {theirs}) for the same days: the same money, "
        "counted once, from that file (the most dimensions, then the first grouping by name)")


# The temp table (a Spark view in a Spark run) of the lines lost_query gives.
LOST = "bill_lost"
# Per file that lost lines: how many, its grouping, and the file (and grouping) kept in their place.
LOST_PER_FILE = f"""
    SELECT source_file, count(*) AS n, min(grouping) AS grouping, min(kept_file) AS kept_file,
        min_by(kept_grouping, kept_file) AS kept_grouping
    FROM {LOST} GROUP BY source_file ORDER BY source_file"""


def lost_query(table: str) -> str:
    """The lines of `table` (an internal billing table name) another query of the same source and platform
    describes for the same days: record_id, source_file, the line's grouping, and the file and grouping kept. A
    SELECT in DuckDB's dialect, which a Spark run executes as generated for Spark (finops/spark_ingest.py)."""
    formats = ", ".join(f"'{f}'" for f in FORMATS)
    filled = ", ".join(f"CASE WHEN bool_or(t.{column} IS NOT NULL) THEN '{name}' END"
                       for column, name in DIMENSIONS.items())
    return f"""
        WITH bill_lines AS (
            SELECT record_id, source_file, source_format, platform, charge_period_start AS first_moment,
                coalesce(charge_period_end, charge_period_start + INTERVAL 1 MICROSECOND) AS end_moment,
                CASE WHEN regexp_matches(source_file, '{PULLED_PAGE}')
                     THEN regexp_replace(source_file, '_page[0-9]{{4,}}[.]json$', '') ELSE source_file END AS query
            FROM {table} WHERE source_format IN ({formats})
        ),
        bill_queries AS (
            SELECT b.source_format, b.platform, b.query, concat_ws(', ', {filled}) AS grouping
            FROM bill_lines b JOIN {table} t ON t.record_id = b.record_id
            GROUP BY b.source_format, b.platform, b.query
        ),
        graded AS (
            SELECT b.*, q.grouping, length(q.grouping) - length(replace(q.grouping, ',', ''))
                + CAST(q.grouping <> '' AS INT) AS ndims
            FROM bill_lines b JOIN bill_queries q
              ON q.source_format = b.source_format AND q.platform = b.platform AND q.query = b.query
        ),
        -- Each line against every finer (or first) query overlapping it, the winner first: the most dimensions,
        -- then the first grouping, query and file by name.
        beaten AS (
            SELECT l.record_id, l.source_file, l.grouping, w.source_file AS kept_file, w.grouping AS kept_grouping,
                row_number() OVER (PARTITION BY l.record_id, l.source_file
                                   ORDER BY w.ndims DESC, w.grouping, w.query, w.source_file) AS place
            FROM graded l JOIN graded w
              ON w.source_format = l.source_format AND w.platform = l.platform AND w.query <> l.query
             AND w.first_moment < l.end_moment AND l.first_moment < w.end_moment
             AND (w.ndims > l.ndims OR w.ndims = l.ndims AND (w.grouping < l.grouping
                  OR w.grouping = l.grouping AND w.query < l.query))
        )
        SELECT record_id, source_file, grouping, kept_file, kept_grouping FROM beaten WHERE place = 1"""


def drop_coarser(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, tuple[int, str]]:
    """Delete from `table` (an internal billing table name) the lines of cost queries another query of the same
    source and platform describes for the same days. Returns, per file that lost lines, how many and its note."""
    formats = ", ".join(f"'{f}'" for f in FORMATS)
    found = con.execute(f"SELECT count(DISTINCT source_file) FROM {table} WHERE source_format IN ({formats})"
                        ).fetchone()
    if not found or found[0] < 2:
        return {}
    con.execute(f"CREATE OR REPLACE TEMP TABLE {LOST} AS {lost_query(table)}")
    notes = notes_per_file(con.execute(LOST_PER_FILE).fetchall())
    con.execute(f"DELETE FROM {table} WHERE record_id IN (SELECT record_id FROM {LOST})")
    con.execute(f"DROP TABLE {LOST}")
    return notes


def notes_per_file(lost: list[tuple[str, int, str | None, str, str | None]]) -> dict[str, tuple[int, str]]:
    """The rows of LOST_PER_FILE as each file's count and note."""
    return {path: (n, NOTE.format(n=n, mine=grouping or "nothing", kept=kept, theirs=theirs or "nothing"))
            for path, n, grouping, kept, theirs in lost}
