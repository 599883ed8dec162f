"""Fast path for Claude Code transcripts: DuckDB splits the files into lines and extracts the usage fields.

The Python reader (claude_code.py) stays the reference: this path only decides lines whose outcome it can
prove is the same, and hands every other line to claude_code.handle_line with its file and line number, so
rejects keep their reason and every file's accounting identity holds. A line goes to Python when DuckDB cannot
parse it, when it could parse differently (duplicate keys, trailing commas, escapes in a field that is used),
when it has no type but a message role (claude_code.is_response decides), or when any used value is not of the
plain type the fast path expects (a token count that is not a small non-negative integer, a timestamp not in
Claude Code's own format, a string that masking could change, a costUSD with more than 6 decimals). Whole files
go to Python when they are gzip, when they are large enough to hold a line longer than the reader's limit, when
their name would be read as a glob pattern or is not UTF-8, or when DuckDB cannot read them as UTF-8.
Memory stays flat: files are read in batches of at most BATCH_BYTES.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from finops.schema import COLUMNS, KEEP_BEST

from . import claude_code
from .common import GZIP_MAGIC, MAX_LINE_BYTES, Emitter, FileStats, display_path, model_fields, text

BATCH_BYTES = 128 * 1024 * 1024
THREADS = max(1, min(4, os.cpu_count() or 1))  # concurrent read_text scans
GLOB_CHARS = set("*?[]{}")
# Larger counts are valid up to the reader's own limits, which may change: Python decides them.
MAX_TOKENS = 1_000_000  # the largest context window

# Top-level and message fields read, in the order of the `p` list below.
PATHS = ["$.type", "$.isApiErrorMessage", "$.requestId", "$.sessionId", "$.timestamp", "$.costUSD",
         "$.message.model", "$.message.id", "$.message.stop_reason", "$.message.usage", "$.message.role"]
USAGE_PATHS = ["$.input_tokens", "$.output_tokens", "$.cache_creation_input_tokens", "$.cache_creation",
               "$.cache_creation.ephemeral_5m_input_tokens", "$.cache_creation.ephemeral_1h_input_tokens",
               "$.output_tokens_details", "$.output_tokens_details.thinking_tokens", "$.server_tool_use",
               "$.server_tool_use.web_search_requests", "$.inference_geo", "$.service_tier", "$.speed",
               "$.cache_read_input_tokens"]


def eligible(path: Path) -> bool:
    """Whether a file can take the fast path (else the Python reader reads it whole)."""
    name = str(path)
    if GLOB_CHARS & set(name) or os.environ.get("FINOPS_NO_FAST_PATH") or display_path(path) != name:
        return False  # a name that is not UTF-8 (shown escaped) cannot be passed to DuckDB
    try:
        if path.stat().st_size >= MAX_LINE_BYTES:
            return False
        with open(path, "rb") as f:
            return f.read(2) != GZIP_MAGIC
    except OSError:
        return False


def batches(paths: list[Path]) -> list[list[Path]]:
    """Group files so one DuckDB read holds at most BATCH_BYTES of text."""
    out: list[list[Path]] = []
    size = 0
    for path in paths:
        n = path.stat().st_size
        if not out or size + n > BATCH_BYTES:
            out.append([])
            size = 0
        out[-1].append(path)
        size += n
    return out


# JSON text of a plain string value: no escapes, no characters masking could touch.
PLAIN = r"""regexp_full_match({v}, '"[A-Za-z0-9_.:/+=-]{{0,500}}"') AND NOT contains({v}, 'sk-ant-')"""
INT = r"regexp_full_match({v}, '[0-9]{{1,14}}')"


def _opt_str(v: str) -> str:
    """SQL: the plain string value of JSON text v, NULL when absent, null or empty (as finops.ingest.common.text)."""
    return f"nullif(CASE WHEN {v} IS NULL OR {v} = 'null' THEN NULL ELSE {v}[2:-2] END, '')"


def _str_ok(v: str) -> str:
    return f"({v} IS NULL OR {v} = 'null' OR {PLAIN.format(v=v)})"


def _int_ok(i: int, required: bool = False) -> str:
    """SQL: usage field i (1-based in USAGE_PATHS) is a JSON integer from 0 to MAX_TOKENS (or absent)."""
    check = f"(t[{i + 1}] = 'UBIGINT' AND try_cast(q[{i}] AS BIGINT) <= {MAX_TOKENS})"
    return check if required else f"(t[{i + 1}] IS NULL OR {check})"


def _classify_sql() -> str:
    p = [f"p[{i}]" for i in range(1, len(PATHS) + 1)]
    q = [f"q[{i}]" for i in range(1, len(USAGE_PATHS) + 1)]
    typ, api_err, req, sess, ts, cost, model, mid, stop, usage, role = p
    inp, out, cw, split, w5, w1, det, think, srv, web, geo, tier, speed, rd = q
    num = {name: i for i, name in enumerate(
        ["inp", "out", "cw", "split", "w5", "w1", "det", "think", "srv", "web", "geo", "tier", "speed", "rd"], start=1)}

    def obj_ok(name: str) -> str:
        return f"(t[{num[name] + 1}] IS NULL OR t[{num[name] + 1}] = 'OBJECT')"

    def big(v: str) -> str:
        return f"coalesce(try_cast({v} AS BIGINT), 0)"

    ts_ok = (f"""regexp_full_match({ts}, '"[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}T[0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}"""
             f"""(\\.[0-9]{{3}}|\\.[0-9]{{6}})?Z"')""")
    valid = " AND ".join([
        "t[1] = 'OBJECT'",
        "uk IS NOT NULL", *[f"coalesce(len(list_distinct(uk[{i}])) = len(uk[{i}]), true)" for i in range(1, 5)],
        _int_ok(num["inp"], True), _int_ok(num["out"], True), _int_ok(num["cw"]), _int_ok(num["rd"]),
        obj_ok("split"), _int_ok(num["w5"]), _int_ok(num["w1"]),
        obj_ok("det"), _int_ok(num["think"]),
        f"{big(think)} <= {big(out)}",
        f"{big(inp)} + {big(cw)} + {big(w5)} + {big(w1)} + {big(rd)} <= {MAX_TOKENS}",
        obj_ok("srv"), _int_ok(num["web"]),
        _str_ok(geo), f"NOT contains(coalesce({tier}, ''), '\\')", f"NOT contains(coalesce({speed}, ''), '\\')",
        ts_ok, "ts_value IS NOT NULL AND year(ts_value) BETWEEN 2020 AND 2100",
        f"({cost} IS NULL OR regexp_full_match({cost}, '[0-9]{{1,12}}(\\.[0-9]{{1,6}})?'))",
        f"({mid} IS NULL OR {mid} = 'null' OR {PLAIN.format(v=mid)})",
        _str_ok(req), _str_ok(sess), _str_ok(stop),
        f"({model} IS NULL OR {model} = 'null' OR (starts_with({model}, '\"') AND NOT contains({model}, '\\')))",
    ])
    return f"""
    CREATE OR REPLACE TEMP TABLE cc_class AS
    WITH lines AS (
        SELECT filename, n, line, total,
            CASE WHEN contains(line, '"usage"') OR contains(line, '"assistant"') THEN 'cand'
                 WHEN line = '' OR starts_with(line, '{{')
                      AND (ends_with(line, '}}') OR ends_with(line, '}}' || chr(13)))
                 THEN 'skip' ELSE 'odd' END AS kind
        FROM (
            SELECT filename, unnest(s) AS line, generate_subscripts(s, 1) AS n, total
            FROM (SELECT filename, s, len(s) - (s[-1] = '')::INT AS total
                  FROM (SELECT filename, string_split(content, chr(10)) AS s FROM read_text($paths))))
        WHERE n <= total
    ),
    parsed AS (
        SELECT filename, n, total, kind,
            CASE WHEN kind = 'cand' THEN try(json_extract(line, {PATHS!r}))::VARCHAR[] END AS p,
            CASE WHEN kind = 'cand' THEN try(json_keys(line, ['$', '$.message'])) END AS k,
            kind = 'cand' AND regexp_matches(line, ',[ \t\r\n]*[\\]}}]') AS trailing_comma
        FROM lines WHERE n = 1 OR kind <> 'skip'
    ),
    used AS (
        SELECT *, try(json_extract({usage}, {USAGE_PATHS!r}))::VARCHAR[] AS q,
            try(json_type({usage}, {["$", *USAGE_PATHS]!r})) AS t,
            try(json_keys({usage}, ['$', '$.cache_creation', '$.output_tokens_details', '$.server_tool_use']))
                AS uk,
            try_cast(replace(trim({ts}, '"'), 'Z', '') AS TIMESTAMP) AS ts_value
        FROM parsed
    ),
    classified AS (
        SELECT filename, n, total, p, q, ts_value,
            CASE
                WHEN kind = 'skip' THEN 'ignore'
                WHEN kind = 'odd' THEN 'python'
                WHEN p IS NULL OR k IS NULL THEN 'python'
                WHEN len(list_distinct(k[1])) < len(k[1]) OR len(list_distinct(k[2])) < len(k[2]) THEN 'python'
                WHEN trailing_comma THEN 'python'
                WHEN {typ} IS DISTINCT FROM '"assistant"' THEN
                    CASE WHEN contains(coalesce({typ}, ''), '\\') THEN 'python'
                         -- no type, but a message role: claude_code.is_response decides
                         WHEN coalesce({typ}, 'null') = 'null' AND coalesce({role}, 'null') <> 'null' THEN 'python'
                         ELSE 'ignore' END
                WHEN {usage} IS NULL OR {usage} = 'null' THEN 'ignore'
                WHEN contains(coalesce({api_err}, '') || coalesce({model}, ''), '\\') THEN 'python'
                WHEN {api_err} = 'true' OR {model} = '"<synthetic>"' THEN 'ignore'
                WHEN {valid} THEN 'row'
                ELSE 'python'
            END AS status
        FROM used
    )
    SELECT filename, n, total, status, CASE WHEN status = 'row' THEN p END AS p,
        CASE WHEN status = 'row' THEN q END AS q, ts_value
    FROM classified
    """


def _insert_sql(table: str, new: bool = False) -> str:
    """SQL: the rows classified into cc_class, as usage rows, appended to `table` (or, new, a table made of them)."""
    p = {name: f"p[{i}]" for i, name in enumerate(
        ["typ", "api_err", "req", "sess", "ts", "cost", "model", "mid", "stop", "usage"], start=1)}
    q = {name: f"q[{i}]" for i, name in enumerate(
        ["inp", "out", "cw", "split", "w5", "w1", "det", "think", "srv", "web", "geo", "tier", "speed", "rd"],
        start=1)}
    cw = f"coalesce(CAST({q['cw']} AS BIGINT), 0)"
    w5 = f"coalesce(CAST({q['w5']} AS BIGINT), 0)"
    w1 = f"coalesce(CAST({q['w1']} AS BIGINT), 0)"
    has_split = f"({q['split']} IS NOT NULL)"
    message_id = _opt_str(p["mid"])
    request_id = _opt_str(p["req"])
    geo = _opt_str(q["geo"])
    expr = {
        "record_id": (f"left(sha256(CASE WHEN {message_id} IS NOT NULL "
                      f"THEN 'claude_code' || chr(31) || {message_id} "
                      f"ELSE 'claude_code' || chr(31) || c.filename || chr(31) || c.n::VARCHAR END), 32)"),
        "source_format": "'claude_code'",
        "source_file": "c.filename",
        "source_line": "c.n",
        "granularity": "'request'",
        "grouping": "'request'",
        "platform": "m.platform",
        "charge_period_start": "c.ts_value",
        "project": "f.project",
        "session_id": _opt_str(p["sess"]),
        "request_id": request_id,
        "model_raw": "m.model_raw",
        "model": "m.model",
        "requests": "1",
        "input_tokens": f"CAST({q['inp']} AS BIGINT)",
        "cache_write_5m_tokens": f"CASE WHEN {has_split} AND {cw} > {w5} + {w1} THEN {cw} - {w1} "
                                 f"WHEN {has_split} THEN {w5} ELSE {cw} END",
        "cache_write_1h_tokens": f"CASE WHEN {has_split} THEN {w1} ELSE 0 END",
        "cache_ttl_assumed": f"CASE WHEN {has_split} THEN {cw} > {w5} + {w1} ELSE {cw} > 0 END",
        "cache_read_tokens": f"coalesce(CAST({q['rd']} AS BIGINT), 0)",
        "source_cost": f"CAST({p['cost']} AS DECIMAL(18, 6))",
        "output_tokens": f"CAST({q['out']} AS BIGINT)",
        "thinking_tokens": f"CAST({q['think']} AS BIGINT)",
        "thinking_estimated": f"CASE WHEN {q['think']} IS NOT NULL THEN false END",
        "web_search_requests": f"coalesce(CAST({q['web']} AS BIGINT), 0)",
        "service_tier": f"CASE WHEN {q['tier']} IN ('\"batch\"', '\"priority\"', '\"priority_on_demand\"') "
                        f"THEN CASE WHEN {q['tier']} = '\"batch\"' THEN 'batch' ELSE 'priority' END "
                        f"ELSE 'standard' END",
        "speed": f"CASE WHEN {q['speed']} = '\"fast\"' THEN 'fast' ELSE 'standard' END",
        "inference_geo": f"lower({geo})",
        "endpoint_scope": "m.endpoint_scope",
        "region": "m.region",
        "stop_reason": _opt_str(p["stop"]),
    }
    cols = ", ".join(f"CAST({expr[name]} AS {duck}) AS {name}" if name in expr else f"NULL::{duck} AS {name}"
                     for name, duck, _, _ in COLUMNS)
    rows = f"""
    SELECT {cols}
    FROM cc_class c JOIN cc_files f ON f.path = c.filename
    LEFT JOIN cc_models m ON m.key = coalesce(c.{p['model']}, 'null')
    WHERE c.status = 'row'
    """
    # Claude Code writes all of a response's snapshots to one file: a new table keeps each record's best row
    # already (the choice ingest._deduplicate makes over all rows), which halves what is held until then.
    return f"CREATE TABLE {table} AS SELECT * FROM ({rows}) {KEEP_BEST}" if new else f"INSERT INTO {table} {rows}"


CLASSIFY = _classify_sql()


def _load(cur: duckdb.DuckDBPyConnection, paths: list[Path], table: str, new: bool = False) -> None:
    """Classify the files' lines into cc_class and insert the fast rows into `table`, or with new into a new
    table of that name (DuckDB work only)."""
    names = [str(p) for p in paths]
    cur.execute(CLASSIFY, {"paths": names})
    cur.register("cc_files_arrow", pa.table({
        "path": names, "project": [text(claude_code.project_of(p)) for p in paths]}))
    cur.execute("CREATE OR REPLACE TEMP TABLE cc_files AS SELECT * FROM cc_files_arrow")
    cur.unregister("cc_files_arrow")
    models = [r[0] for r in cur.execute(
        "SELECT DISTINCT p[7] FROM cc_class WHERE status = 'row' AND p[7] IS NOT NULL").fetchall()]
    mapped = []
    for key in models + ["null"]:
        raw = None if key == "null" else key[1:-1]
        mapped.append({"key": key, **model_fields(raw)})
    cur.register("cc_models_arrow", pa.Table.from_pylist(mapped, schema=pa.schema([
        ("key", pa.string()), ("model_raw", pa.string()), ("model", pa.string()), ("platform", pa.string()),
        ("endpoint_scope", pa.string()), ("region", pa.string())])))
    cur.execute("CREATE OR REPLACE TEMP TABLE cc_models AS SELECT * FROM cc_models_arrow")
    cur.unregister("cc_models_arrow")
    cur.execute(_insert_sql(table, new))


def _finish(cur: duckdb.DuckDBPyConnection, paths: list[Path], stats: dict[str, FileStats],
            on_row: Callable[[dict[str, Any]], None], on_reject: Callable[[str, int, str], None]) -> None:
    """Count each file's rows and ignored lines, and hand the lines routed to Python to the reference reader."""
    names = [str(p) for p in paths]
    counts = {name: (total, kept, ignored, rows) for name, total, kept, ignored, rows in cur.execute(
        "SELECT filename, max(total), count(*), count(*) FILTER (WHERE status = 'ignore'), "
        "count(*) FILTER (WHERE status = 'row') FROM cc_class GROUP BY 1").fetchall()}
    for name in names:
        st = stats[name]
        total, kept, ignored, rows = counts.get(name, (0, 0, 0, 0))
        st.rows_read += rows
        st.rows_staged += rows
        st.lines_ignored += total - kept + ignored  # lines never kept were blank or whole objects: ignored
    by_name = dict(zip(names, paths, strict=True))
    # Lines routed to Python (rare): read again, only from the files that have them.
    routed = [r[0] for r in cur.execute("SELECT DISTINCT filename FROM cc_class WHERE status = 'python'").fetchall()]
    if routed:
        cur.execute("""
            CREATE OR REPLACE TEMP TABLE cc_python AS
            SELECT filename, n, line FROM (
                SELECT filename, unnest(s) AS line, generate_subscripts(s, 1) AS n
                FROM (SELECT filename, string_split(content, chr(10)) AS s FROM read_text($paths)))
            SEMI JOIN (SELECT filename, n FROM cc_class WHERE status = 'python') USING (filename, n)""",
                    {"paths": routed})
        last: tuple[str, int] = ("", 0)
        while batch := cur.execute(  # keyset pages: on_row may write to the connection between pages
                "SELECT filename, n, line FROM cc_python WHERE (filename, n) > (?, ?) ORDER BY 1, 2 LIMIT 2000",
                list(last)).fetchall():
            last = (batch[-1][0], batch[-1][1])
            for name, number, line in batch:
                path = by_name[name]
                emit = Emitter(stats[name], on_row, on_reject)
                claude_code.handle_line(line.lstrip("\ufeff").rstrip("\r\n"), number,
                                        claude_code.project_of(path), path, emit)
    for t in ("cc_class", "cc_files", "cc_models", "cc_python"):
        cur.execute(f"DROP TABLE IF EXISTS {t}")


def _split(paths: list[Path], parts: int) -> list[list[Path]]:
    """Balance files over parts by size (largest first)."""
    groups: list[list[Path]] = [[] for _ in range(parts)]
    sizes = [0] * parts
    for path in sorted(paths, key=lambda p: -p.stat().st_size):
        i = sizes.index(min(sizes))
        groups[i].append(path)
        sizes[i] += path.stat().st_size
    return [g for g in groups if g]


def stage(con: duckdb.DuckDBPyConnection, paths: list[Path], stats: dict[str, FileStats],
          on_row: Callable[[dict[str, Any]], None], on_reject: Callable[[str, int, str], None],
          table: str = "usage_raw", threads: int = 1, parts: list[str] | None = None) -> list[Path]:
    """Read these transcripts into `table` (rows) and through on_row/on_reject (lines routed to Python).

    stats maps str(path) to the file's FileStats, which this updates. Returns the files it could not read,
    untouched, for the Python reader. threads > 1 reads groups of files on that many cursors at once (DuckDB
    reads one read_text scan on one core); with threads=1 everything happens on `con`, inside the caller's
    transaction. With parts, rows go to new tables named after `table` instead (listed in parts, for the caller
    to read and drop): appending to one table from several cursors at once makes them wait for each other.
    """
    groups = _split(paths, threads) if threads > 1 and len(paths) > 1 else [list(paths)]
    cursors = [con.cursor() for _ in groups] if len(groups) > 1 else [con]
    errors: list[BaseException | None] = [None] * len(groups)
    targets = [f"{table}_part{len(parts) + i}" for i in range(len(groups))] if parts is not None else None

    def work(i: int) -> None:
        try:
            _load(cursors[i], groups[i], targets[i] if targets else table, new=targets is not None)
        except duckdb.Error as e:
            errors[i] = e

    if len(groups) > 1:
        pool = [threading.Thread(target=work, args=(i,)) for i in range(len(groups))]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
    else:
        work(0)
    if parts is not None and targets:
        parts += [name for name, error in zip(targets, errors, strict=True) if error is None]
    failed: list[Path] = []
    for cur, group, error in zip(cursors, groups, errors, strict=True):
        if error is None:
            _finish(cur, group, stats, on_row, on_reject)
        elif len(group) == 1:
            failed += group
        else:  # find the unreadable file(s); read the rest one by one
            for path in group:
                failed += stage(con, [path], stats, on_row, on_reject, table, parts=parts)
        if cur is not con:
            cur.close()
    return failed
