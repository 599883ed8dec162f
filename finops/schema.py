"""The one normalised table, `usage`: one row per request (request-level sources) or per billed bucket."""

from __future__ import annotations

from typing import Any

# (name, DuckDB type, Arrow type by name (pyarrow is imported when an Arrow schema is first asked for), meaning).
# Token columns are disjoint: nothing is counted twice.
# Unknown stays NULL; it is never guessed to 0.
COLUMNS: list[tuple[str, str, str, str]] = [
    ("record_id", "VARCHAR", "string", "dedupe key: the same record read twice has the same id"),
    ("source_format", "VARCHAR", "string", "reader id, e.g. claude_code"),
    ("source_file", "VARCHAR", "string", "path of the input file"),
    ("source_line", "BIGINT", "int64", "1-based line (JSONL), row (CSV) or result index (JSON)"),
    ("granularity", "VARCHAR", "string", "request | bucket"),
    ("grouping", "VARCHAR", "string", "bucket width and group-by dimensions of aggregated sources"),
    ("platform", "VARCHAR", "string", "anthropic | bedrock | vertex, or the host of a FOCUS export (platforms.py)"),
    ("charge_period_start", "TIMESTAMP", "timestamp[us]", "UTC time of the request or bucket start"),
    ("charge_period_end", "TIMESTAMP", "timestamp[us]", "UTC bucket end (NULL for requests)"),
    ("workspace", "VARCHAR", "string", "workspace id or name"),
    ("api_key_id", "VARCHAR", "string", "API key id or name (secrets are masked at ingest)"),
    ("project", "VARCHAR", "string", "project (Claude Code: the project folder)"),
    ("user_id", "VARCHAR", "string", "user or account"),
    ("tags", "VARCHAR", "string", "JSON array or object of tags"),
    ("session_id", "VARCHAR", "string", "session or conversation id"),
    ("request_id", "VARCHAR", "string", "provider request id"),
    ("model_raw", "VARCHAR", "string", "model string as logged"),
    ("model", "VARCHAR", "string", "canonical model id; NULL when unknown (then unpriced)"),
    ("requests", "BIGINT", "int64", "requests in the row: 1 for request rows, NULL if a bucket does not say"),
    ("input_tokens", "BIGINT", "int64", "uncached input tokens"),
    ("cache_write_5m_tokens", "BIGINT", "int64", "5-minute cache writes"),
    ("cache_write_1h_tokens", "BIGINT", "int64", "1-hour cache writes"),
    ("cache_ttl_assumed", "BOOLEAN", "bool", "the source gave no TTL split; writes booked as 5-minute"),
    ("cache_read_tokens", "BIGINT", "int64", "cache reads"),
    ("output_tokens", "BIGINT", "int64", "output tokens, thinking included"),
    ("thinking_tokens", "BIGINT", "int64", "thinking tokens (part of output), when known"),
    ("thinking_estimated", "BOOLEAN", "bool", "thinking_tokens estimated from thinking text (chars / 4)"),
    ("web_search_requests", "BIGINT", "int64", "server-side web searches"),
    ("service_tier", "VARCHAR", "string", "standard | batch | priority"),
    ("speed", "VARCHAR", "string", "standard | fast"),
    ("inference_geo", "VARCHAR", "string", "global | us | not_available"),
    ("endpoint_scope", "VARCHAR", "string", "global | regional (Bedrock, Vertex)"),
    ("region", "VARCHAR", "string", "cloud region, when known"),
    ("context_window", "VARCHAR", "string", "context tier stated by aggregated sources: 0-200k | 200k-1M"),
    ("thinking_type", "VARCHAR", "string", "enabled | adaptive | disabled (from the request)"),
    ("thinking_budget", "BIGINT", "int64", "thinking budget_tokens (from the request)"),
    ("max_tokens", "BIGINT", "int64", "max_tokens (from the request)"),
    ("stream", "BOOLEAN", "bool", "streamed response"),
    ("tool_count", "INTEGER", "int32", "tools offered in the request"),
    ("system_fingerprint", "VARCHAR", "string", "hash of tools + system: stable across a conversation's turns"),
    ("prefix_fingerprint", "VARCHAR", "string", "hash of tools + system + all but the last message"),
    ("prefix_chars", "BIGINT", "int64", "characters in that prefix"),
    ("prompt_chars", "BIGINT", "int64", "characters in the whole prompt"),
    ("cache_control", "BOOLEAN", "bool", "the request asked for prompt caching"),
    ("stop_reason", "VARCHAR", "string", "stop reason of the response"),
    ("source_cost", "DECIMAL(18,6)", "decimal128(18, 6)", "cost in USD stated by the source itself"),
]

NAMES = [c[0] for c in COLUMNS]
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
BILLING_COLUMNS: list[tuple[str, str, str, str]] = [
    ("record_id", "VARCHAR", "string", "dedupe key"),
    ("source_format", "VARCHAR", "string", "reader id, e.g. anthropic_cost_report"),
    ("source_file", "VARCHAR", "string", "path of the input file"),
    ("source_line", "BIGINT", "int64", "1-based line, row or result index"),
    ("derived", "BOOLEAN", "bool", "split from another record (a GCP usage row's credits): not a record itself"),
    ("platform", "VARCHAR", "string", "anthropic | bedrock | vertex, or the host of a FOCUS export (platforms.py)"),
    ("charge_period_start", "TIMESTAMP", "timestamp[us]", "UTC start of the charge"),
    ("charge_period_end", "TIMESTAMP", "timestamp[us]", "UTC end of the charge (exclusive)"),
    ("charge_kind", "VARCHAR", "string", "usage | credit | discount | refund | tax | adjustment"),
    ("cost_type", "VARCHAR", "string", "tokens | web_search | code_execution | session_usage | ..."),
    ("token_class", "VARCHAR", "string", "input | cache_write_5m | cache_write_1h | cache_read | output"),
    ("model_raw", "VARCHAR", "string", "model as the bill names it"),
    ("model", "VARCHAR", "string", "canonical model id; NULL when unknown"),
    ("workspace", "VARCHAR", "string", "workspace, AWS account or GCP project"),
    ("api_key_id", "VARCHAR", "string", "API key, when the bill names it"),
    ("region", "VARCHAR", "string", "cloud region, when known"),
    ("service_tier", "VARCHAR", "string", "standard | batch | priority"),
    ("context_window", "VARCHAR", "string", "0-200k | 200k-1M"),
    ("inference_geo", "VARCHAR", "string", "global | us | not_available"),
    ("speed", "VARCHAR", "string", "standard | fast"),
    ("description", "VARCHAR", "string", "the bill's own description of the line"),
    ("billed_cost", "DECIMAL(18,6)", "decimal128(18, 6)", "amount charged, USD (credits negative)"),
    ("list_cost", "DECIMAL(18,6)", "decimal128(18, 6)", "list-price amount when the bill states it, USD"),
]
BILLING_NAMES = [c[0] for c in BILLING_COLUMNS]


def create_billing_sql(table: str) -> str:
    """DDL for a table with the billing columns (internal table names only)."""
    cols = ",\n  ".join(f"{name} {duck}" for name, duck, _, _ in BILLING_COLUMNS)
    return f"CREATE TABLE {table} (\n  {cols}\n)"


# The Arrow schemas, made when first asked for (PEP 562): a transcript run stages its rows without pyarrow, whose
# import (with numpy's) costs about 0.12 CPU-seconds and 75 MiB of resident memory (bench/RESULTS.md).
_SCHEMAS = {"ARROW_SCHEMA": COLUMNS, "BILLING_ARROW_SCHEMA": BILLING_COLUMNS}


def __getattr__(name: str) -> Any:
    if name not in _SCHEMAS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import pyarrow as pa

    kinds = {"string": pa.string(), "int64": pa.int64(), "bool": pa.bool_(), "timestamp[us]": pa.timestamp("us"),
             "int32": pa.int32(), "decimal128(18, 6)": pa.decimal128(18, 6)}
    schema = pa.schema([(column, kinds[arrow]) for column, _, arrow, _ in _SCHEMAS[name]])
    globals()[name] = schema
    return schema
