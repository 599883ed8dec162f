"""Records that two sources describe under different keys, counted once (run after the files are read).

Claude Code's telemetry and its transcripts can hold the same API call, and the telemetry's metrics repeat what its
events say. They share no record id (a transcript's is its message id, which the telemetry does not carry), so the
rule is explicit:

1. A `claude_code.api_request` event (claude_code_otel, a request row) is a duplicate of a Claude Code transcript
   row with the same request id (Claude Code writes the event's `request_id` as the transcript's `requestId`), or,
   when one of the two has no request id, of a transcript row of the same session and model with the same
   uncached input, cache read, cache write and output tokens within ten minutes, paired one to one in time order
   (two such events and one transcript row are two calls). The transcript's row is kept (it
   has the 5-minute/1-hour cache-write split) and takes the event's user when it has none.
2. A metric row (claude_code_otel, aggregated) is a duplicate when its session has request-level rows (events or
   a transcript: a session is one Claude Code process, whose every call they hold); a metric row without a session
   (OTEL_METRICS_INCLUDE_SESSION_ID=false), when the same user has events that UTC day.

Duplicates leave the table and count as their file's duplicates (rows read = loaded + rejected + duplicates).
"""

from __future__ import annotations

import duckdb

OTEL = "claude_code_otel"
TRANSCRIPT = "claude_code"
FORMATS = (OTEL, TRANSCRIPT)  # only a file of these can make or meet such a duplicate


# One call's shape: the same session, model and tokens; rows of one shape are numbered in time order (n).
_SHAPE = ("session_id, model, input_tokens, output_tokens, cache_read_tokens, "
          "cache_write_5m_tokens + cache_write_1h_tokens")
# Within ten minutes, as exact timestamp arithmetic (the same in every engine, unlike epoch seconds as a float).
_PAIRED = ("e.session_id = t.session_id AND e.model IS NOT DISTINCT FROM t.model AND e.n = t.n "
           "AND e.input_tokens = t.input_tokens AND e.output_tokens = t.output_tokens "
           "AND e.cache_read_tokens = t.cache_read_tokens "
           "AND e.cache_write_5m_tokens + e.cache_write_1h_tokens = t.cache_write_5m_tokens + t.cache_write_1h_tokens "
           "AND e.charge_period_start >= t.charge_period_start - INTERVAL 600 SECOND "
           "AND e.charge_period_start <= t.charge_period_start + INTERVAL 600 SECOND")
# The temp table (a Spark view in a Spark run) of the rows covered_query gives.
COVERED = "covered"
# Per kept transcript row without a user, the user of the events it covers (the first by name).
USERS_GAINED = (f"SELECT kept AS record_id, min(user_id) AS user_id FROM {COVERED} "
                "WHERE kept IS NOT NULL AND user_id IS NOT NULL GROUP BY kept")
DROPPED_PER_FILE = f"SELECT source_file, count(*) AS n FROM {COVERED} GROUP BY source_file"


def _ranked(source: str, where: str) -> str:
    """The rows of a CTE that can pair by shape, each with its rank n among the rows of its shape."""
    return (f"SELECT *, row_number() OVER (PARTITION BY {_SHAPE} ORDER BY charge_period_start, record_id) AS n "
            f"FROM {source} WHERE session_id IS NOT NULL AND ({where})")


def covered_query(table: str) -> str:
    """The rows of `table` (an internal table name) another row already counts: record_id, source_file, and for a
    request event its user_id and the transcript row kept in its place (kept). A SELECT in DuckDB's dialect, which
    a Spark run executes as generated for Spark (finops/spark_ingest.py): the rule has one text."""
    return f"""
        WITH events AS (SELECT * FROM {table} WHERE source_format = '{OTEL}' AND granularity = 'request'),
        transcripts AS (SELECT * FROM {table} WHERE source_format = '{TRANSCRIPT}'),
        by_id AS (
            SELECT e.record_id, e.source_file, e.user_id, min(t.record_id) AS kept
            FROM events e JOIN transcripts t ON e.request_id = t.request_id
            GROUP BY e.record_id, e.source_file, e.user_id
        ),
        -- Without a request id on one side, calls of one session, model and size pair in time order, one to one:
        -- two such events and one transcript row are two calls, of which the transcript holds one.
        open_events AS (SELECT * FROM events WHERE record_id NOT IN (SELECT record_id FROM by_id)),
        open_transcripts AS (SELECT * FROM transcripts WHERE record_id NOT IN (SELECT kept FROM by_id)),
        no_event_id AS (
            SELECT e.record_id, e.source_file, e.user_id, t.record_id AS kept
            FROM ({_ranked("open_events", "request_id IS NULL")}) e
            JOIN ({_ranked("open_transcripts", "TRUE")}) t ON {_PAIRED}
        ),
        no_transcript_id AS (
            SELECT e.record_id, e.source_file, e.user_id, t.record_id AS kept
            FROM ({_ranked("open_events", "request_id IS NOT NULL")}) e
            JOIN ({_ranked("open_transcripts", "request_id IS NULL AND record_id NOT IN "
                           "(SELECT kept FROM no_event_id)")}) t ON {_PAIRED}
        ),
        same_call AS (
            SELECT * FROM by_id UNION ALL SELECT * FROM no_event_id UNION ALL SELECT * FROM no_transcript_id
        ),
        sessions AS (
            SELECT DISTINCT session_id FROM {table}
            WHERE granularity = 'request' AND source_format IN ('{OTEL}', '{TRANSCRIPT}') AND session_id IS NOT NULL
        ),
        user_days AS (
            SELECT DISTINCT user_id, CAST(charge_period_start AS DATE) AS day FROM events WHERE user_id IS NOT NULL
        ),
        metric AS (
            SELECT m.record_id, m.source_file FROM {table} m
            WHERE m.source_format = '{OTEL}' AND m.granularity = 'bucket'
              AND (m.session_id IN (SELECT session_id FROM sessions)
                   OR m.session_id IS NULL AND EXISTS (
                       SELECT 1 FROM user_days d
                       WHERE d.user_id = m.user_id AND d.day = CAST(m.charge_period_start AS DATE)))
        )
        SELECT record_id, source_file, user_id, kept FROM same_call
        UNION ALL SELECT record_id, source_file, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR) FROM metric"""


def drop_covered(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, int]:
    """Delete from `table` (an internal table name) the telemetry rows another row already counts.
    Returns rows dropped per source file."""
    found = con.execute(f"SELECT count(*) FROM {table} WHERE source_format = ?", [OTEL]).fetchone()
    if not found or not found[0]:
        return {}
    con.execute(f"CREATE OR REPLACE TEMP TABLE {COVERED} AS {covered_query(table)}")
    # In place (the store's table keeps its rows where they are): the kept row takes the user it lacks; the
    # covered rows go. A Spark run selects the same outcome (spark_ingest._kept).
    con.execute(f"""
        UPDATE {table} SET user_id = g.user_id FROM ({USERS_GAINED}) g
        WHERE {table}.record_id = g.record_id AND {table}.user_id IS NULL""")
    con.execute(f"DELETE FROM {table} WHERE record_id IN (SELECT record_id FROM {COVERED})")
    dropped = dict(con.execute(DROPPED_PER_FILE).fetchall())
    con.execute(f"DROP TABLE {COVERED}")
    return {str(k): int(v) for k, v in dropped.items()}


NOTE = ("{n} row(s) already counted from another source (a telemetry event also in a Claude Code transcript, or "
        "metrics of a session whose calls are logged): counted as duplicates")
