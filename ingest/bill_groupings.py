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
PULLED_PAGE = r"_(1d|1h|1m)_page[0-9]{4,}\.json$"
NOTE = ("{n} line(s) grouped by {mine} are also in {kept} (grouped by {theirs}) for the same days: the same money, "
        "counted once, from that file (the most dimensions, then the first grouping by name)")


def drop_coarser(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, tuple[int, str]]:
    """Delete from `table` (an internal billing table name) the lines of cost queries another query of the same
    source and platform describes for the same days. Returns, per file that lost lines, how many and its note."""
    formats = ", ".join(f"'{f}'" for f in FORMATS)
    found = con.execute(f"SELECT count(DISTINCT source_file) FROM {table} WHERE source_format IN ({formats})"
                        ).fetchone()
    if not found or found[0] < 2:
        return {}
    filled = ", ".join(f"CASE WHEN bool_or(t.{column} IS NOT NULL) THEN '{name}' END"
                       for column, name in DIMENSIONS.items())
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE bill_lines AS
        SELECT record_id, source_file, source_format, platform, charge_period_start AS first_moment,
            coalesce(charge_period_end, charge_period_start + INTERVAL 1 MICROSECOND) AS end_moment,
            CASE WHEN regexp_matches(source_file, '{PULLED_PAGE}')
                 THEN regexp_replace(source_file, '_page[0-9]{{4,}}\\.json$', '') ELSE source_file END AS query
        FROM {table} WHERE source_format IN ({formats})""")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE bill_queries AS
        SELECT b.source_format, b.platform, b.query, concat_ws(', ', {filled}) AS grouping
        FROM bill_lines b JOIN {table} t ON t.record_id = b.record_id
        GROUP BY b.source_format, b.platform, b.query""")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE bill_lost AS
        SELECT l.record_id, l.source_file,
            arg_min(w.source_file, (w.ndims * -1, w.grouping, w.query, w.source_file)) AS kept_file,
            arg_min(w.grouping, (w.ndims * -1, w.grouping, w.query, w.source_file)) AS kept_grouping,
            any_value(l.grouping) AS grouping
        FROM (SELECT b.*, q.grouping, length(q.grouping) - length(replace(q.grouping, ',', ''))
                     + (q.grouping <> '')::INT AS ndims
              FROM bill_lines b JOIN bill_queries q USING (source_format, platform, query)) l
        JOIN (SELECT b.*, q.grouping, length(q.grouping) - length(replace(q.grouping, ',', ''))
                     + (q.grouping <> '')::INT AS ndims
              FROM bill_lines b JOIN bill_queries q USING (source_format, platform, query)) w
          ON w.source_format = l.source_format AND w.platform = l.platform AND w.query <> l.query
         AND w.first_moment < l.end_moment AND l.first_moment < w.end_moment
         AND (w.ndims > l.ndims OR w.ndims = l.ndims AND (w.grouping < l.grouping
              OR w.grouping = l.grouping AND w.query < l.query))
        GROUP BY l.record_id, l.source_file""")
    notes = {}
    for path, n, grouping, kept, theirs in con.execute("""
            SELECT source_file, count(*), any_value(grouping), min(kept_file), arg_min(kept_grouping, kept_file)
            FROM bill_lost GROUP BY source_file ORDER BY source_file""").fetchall():
        notes[path] = (n, NOTE.format(n=n, mine=grouping or "nothing", kept=kept, theirs=theirs or "nothing"))
    con.execute(f"DELETE FROM {table} WHERE record_id IN (SELECT record_id FROM bill_lost)")
    for name in ("bill_lines", "bill_queries", "bill_lost"):
        con.execute(f"DROP TABLE {name}")
    return notes
