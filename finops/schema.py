"""The one normalised table, `usage`: one row per request (request-level sources) or per billed bucket."""

from __future__ import annotations

import pyarrow as pa

# (name, DuckDB type, Arrow type, meaning). Token columns are disjoint: nothing is counted twice.
# Unknown stays NULL; it is never guessed to 0.
COLUMNS: list[tuple[str, str, pa.DataType, str]] = [
    ("record_id", "VARCHAR", pa.string(), "dedupe key: the same record read twice has the same id"),
    ("source_format", "VARCHAR", pa.string(), "reader id, e.g. claude_code"),
    ("source_file", "VARCHAR", pa.string(), "path of the input file"),
    ("source_line", "BIGINT", pa.int64(), "1-based line (JSONL), row (CSV) or result index (JSON)"),
    ("granularity", "VARCHAR", pa.string(), "request | bucket"),
    ("grouping", "VARCHAR", pa.string(), "bucket width and group-by dimensions of aggregated sources"),
    ("platform", "VARCHAR", pa.string(), "anthropic | bedrock | vertex, or the host of a FOCUS export (platforms.py)"),
    ("charge_period_start", "TIMESTAMP", pa.timestamp("us"), "UTC time of the request or bucket start"),
    ("charge_period_end", "TIMESTAMP", pa.timestamp("us"), "UTC bucket end (NULL for requests)"),
    ("workspace", "VARCHAR", pa.string(), "workspace id or name"),
    ("api_key_id", "VARCHAR", pa.string(), "API key id or name (secrets are masked at ingest)"),
    ("project", "VARCHAR", pa.string(), "project (Claude Code: the project folder)"),
    ("user_id", "VARCHAR", pa.string(), "user or account"),
    ("tags", "VARCHAR", pa.string(), "JSON array or object of tags"),
    ("session_id", "VARCHAR", pa.string(), "session or conversation id"),
    ("request_id", "VARCHAR", pa.string(), "provider request id"),
    ("model_raw", "VARCHAR", pa.string(), "model string as logged"),
    ("model", "VARCHAR", pa.string(), "canonical model id; NULL when unknown (then unpriced)"),
    ("requests", "BIGINT", pa.int64(), "requests in the row: 1 for request rows, NULL if a bucket does not say"),
    ("input_tokens", "BIGINT", pa.int64(), "uncached input tokens"),
    ("cache_write_5m_tokens", "BIGINT", pa.int64(), "5-minute cache writes"),
    ("cache_write_1h_tokens", "BIGINT", pa.int64(), "1-hour cache writes"),
    ("cache_ttl_assumed", "BOOLEAN", pa.bool_(), "the source gave no TTL split; writes booked as 5-minute"),
    ("cache_read_tokens", "BIGINT", pa.int64(), "cache reads"),
    ("output_tokens", "BIGINT", pa.int64(), "output tokens, thinking included"),
    ("thinking_tokens", "BIGINT", pa.int64(), "thinking tokens (part of output), when known"),
    ("thinking_estimated", "BOOLEAN", pa.bool_(), "thinking_tokens estimated from thinking text (chars / 4)"),
    ("web_search_requests", "BIGINT", pa.int64(), "server-side web searches"),
    ("service_tier", "VARCHAR", pa.string(), "standard | batch | priority"),
    ("speed", "VARCHAR", pa.string(), "standard | fast"),
    ("inference_geo", "VARCHAR", pa.string(), "global | us | not_available"),
    ("endpoint_scope", "VARCHAR", pa.string(), "global | regional (Bedrock, Vertex)"),
    ("region", "VARCHAR", pa.string(), "cloud region, when known"),
    ("context_window", "VARCHAR", pa.string(), "context tier stated by aggregated sources: 0-200k | 200k-1M"),
    ("thinking_type", "VARCHAR", pa.string(), "enabled | adaptive | disabled (from the request)"),
    ("thinking_budget", "BIGINT", pa.int64(), "thinking budget_tokens (from the request)"),
    ("max_tokens", "BIGINT", pa.int64(), "max_tokens (from the request)"),
    ("stream", "BOOLEAN", pa.bool_(), "streamed response"),
    ("tool_count", "INTEGER", pa.int32(), "tools offered in the request"),
    ("system_fingerprint", "VARCHAR", pa.string(), "hash of tools + system: stable across a conversation's turns"),
    ("prefix_fingerprint", "VARCHAR", pa.string(), "hash of tools + system + all but the last message"),
    ("prefix_chars", "BIGINT", pa.int64(), "characters in that prefix"),
    ("prompt_chars", "BIGINT", pa.int64(), "characters in the whole prompt"),
    ("cache_control", "BOOLEAN", pa.bool_(), "the request asked for prompt caching"),
    ("stop_reason", "VARCHAR", pa.string(), "stop reason of the response"),
    ("source_cost", "DECIMAL(18,6)", pa.decimal128(18, 6), "cost in USD stated by the source itself"),
]

NAMES = [c[0] for c in COLUMNS]
ARROW_SCHEMA = pa.schema([(name, arrow) for name, _, arrow, _ in COLUMNS])
TOKEN_COLUMNS = [
    "input_tokens",
    "cache_write_5m_tokens",
    "cache_write_1h_tokens",
    "cache_read_tokens",
    "output_tokens",
]
# The row kept of a record staged more than once: the one with most tokens (a response's final streaming
# snapshot), then the earliest file and line.
KEEP_BEST = ("QUALIFY row_number() OVER (PARTITION BY record_id ORDER BY "
             + " + ".join(f"coalesce({c}, 0)" for c in TOKEN_COLUMNS) + " DESC, source_file, source_line) = 1")
# Bill lines: one per record_id too (the same bill exported twice), the first by file and line.
BILL_KEEP_FIRST = "QUALIFY row_number() OVER (PARTITION BY record_id ORDER BY source_file, source_line) = 1"


def create_table_sql(table: str) -> str:
    """DDL for a table with the usage columns (table names are internal constants, never user input)."""
    cols = ",\n  ".join(f"{name} {duck}" for name, duck, _, _ in COLUMNS)
    return f"CREATE TABLE {table} (\n  {cols}\n)"


# ---- the billing table: money-only bill lines ----------------------------------------------------------------
# Anthropic's own bill (cost report, Console cost CSV) states money per model and token class, not tokens, and
# cloud bills carry lines that are not usage (credits, discounts, refunds, tax). They go to `billing`, never to
# `usage`: reconciliation (finops/reconcile.py) reads both. Rows are counted per file like usage rows.
BILLING_COLUMNS: list[tuple[str, str, pa.DataType, str]] = [
    ("record_id", "VARCHAR", pa.string(), "dedupe key"),
    ("source_format", "VARCHAR", pa.string(), "reader id, e.g. anthropic_cost_report"),
    ("source_file", "VARCHAR", pa.string(), "path of the input file"),
    ("source_line", "BIGINT", pa.int64(), "1-based line, row or result index"),
    ("derived", "BOOLEAN", pa.bool_(), "split from another record (a GCP usage row's credits): not a record itself"),
    ("platform", "VARCHAR", pa.string(), "anthropic | bedrock | vertex, or the host of a FOCUS export (platforms.py)"),
    ("charge_period_start", "TIMESTAMP", pa.timestamp("us"), "UTC start of the charge"),
    ("charge_period_end", "TIMESTAMP", pa.timestamp("us"), "UTC end of the charge (exclusive)"),
    ("charge_kind", "VARCHAR", pa.string(), "usage | credit | discount | refund | tax | adjustment"),
    ("cost_type", "VARCHAR", pa.string(), "tokens | web_search | code_execution | session_usage | ..."),
    ("token_class", "VARCHAR", pa.string(), "input | cache_write_5m | cache_write_1h | cache_read | output"),
    ("model_raw", "VARCHAR", pa.string(), "model as the bill names it"),
    ("model", "VARCHAR", pa.string(), "canonical model id; NULL when unknown"),
    ("workspace", "VARCHAR", pa.string(), "workspace, AWS account or GCP project"),
    ("api_key_id", "VARCHAR", pa.string(), "API key, when the bill names it"),
    ("region", "VARCHAR", pa.string(), "cloud region, when known"),
    ("service_tier", "VARCHAR", pa.string(), "standard | batch | priority"),
    ("context_window", "VARCHAR", pa.string(), "0-200k | 200k-1M"),
    ("inference_geo", "VARCHAR", pa.string(), "global | us | not_available"),
    ("speed", "VARCHAR", pa.string(), "standard | fast"),
    ("description", "VARCHAR", pa.string(), "the bill's own description of the line"),
    ("billed_cost", "DECIMAL(18,6)", pa.decimal128(18, 6), "amount charged, USD (credits negative)"),
    ("list_cost", "DECIMAL(18,6)", pa.decimal128(18, 6), "list-price amount when the bill states it, USD"),
]
BILLING_NAMES = [c[0] for c in BILLING_COLUMNS]
BILLING_ARROW_SCHEMA = pa.schema([(name, arrow) for name, _, arrow, _ in BILLING_COLUMNS])


def create_billing_sql(table: str) -> str:
    """DDL for a table with the billing columns (internal table names only)."""
    cols = ",\n  ".join(f"{name} {duck}" for name, duck, _, _ in BILLING_COLUMNS)
    return f"CREATE TABLE {table} (\n  {cols}\n)"
