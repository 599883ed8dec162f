"""Claude Console usage export (Console -> Usage -> Export), parsed by header name: columns drift over time."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from .cloud_common import Table, required_rows
from .common import Emitter, RowError, model_fields, stable_id, text, timestamp, tokens

FORMAT = "console_usage_csv"
LABEL = "Claude Console usage CSV export"
REQUIRED = ("usage_date_utc", "model_version", "usage_input_tokens_no_cache", "usage_output_tokens")
CONTEXT = {"≤ 200k": "0-200k", "<= 200k": "0-200k", "0-200k": "0-200k", "> 200k": "200k-1M",
           "200k-1m": "200k-1M", "200k-1M": "200k-1M"}


def sniff(sample: Any) -> bool:
    return bool(sample.header) and "usage_input_tokens_no_cache" in sample.header


def read(path: Path, stream: IO[bytes], emit: Emitter) -> None:
    table = Table(path, stream)
    for number, row in required_rows(table, emit, REQUIRED):
        try:
            emit.row(_record(row, "usage_input_tokens_cache_write_5m" in (table.header or [])), number)
        except RowError as e:
            emit.reject(number, str(e))


def _record(row: dict[str, str], split: bool) -> dict[str, Any]:
    date_text = row["usage_date_utc"]
    start = timestamp(date_text, "usage_date_utc")
    hourly = len(date_text) > 10
    end = start + (timedelta(hours=1) if hourly else timedelta(days=1))
    if split:
        w5 = tokens(row.get("usage_input_tokens_cache_write_5m"), "usage_input_tokens_cache_write_5m") or 0
        w1 = tokens(row.get("usage_input_tokens_cache_write_1h"), "usage_input_tokens_cache_write_1h") or 0
        assumed = False
    else:  # older exports: one write column with no TTL split, booked as 5-minute writes
        w5 = tokens(row.get("usage_input_tokens_cache_write"), "usage_input_tokens_cache_write") or 0
        w1, assumed = 0, w5 > 0
    tier = (row.get("usage_type") or "standard").lower()
    geo = text(row.get("inference_geo"))
    grouping = ("1h" if hourly else "1d") + ":console"
    key = [row.get(c) for c in ("usage_date_utc", "model_version", "api_key", "workspace", "usage_type",
                                "context_window", "inference_geo", "speed")]
    return {
        "record_id": stable_id(FORMAT, grouping, *key),
        "granularity": "bucket",
        "grouping": grouping,
        "charge_period_start": start,
        "charge_period_end": end,
        "workspace": text(row.get("workspace")),
        "api_key_id": text(row.get("api_key")),
        **model_fields(row.get("model_version")),
        "input_tokens": tokens(row.get("usage_input_tokens_no_cache"), "usage_input_tokens_no_cache",
                               required=True),
        "cache_write_5m_tokens": w5,
        "cache_write_1h_tokens": w1,
        "cache_ttl_assumed": assumed,
        "cache_read_tokens": tokens(row.get("usage_input_tokens_cache_read"), "usage_input_tokens_cache_read") or 0,
        "output_tokens": tokens(row.get("usage_output_tokens"), "usage_output_tokens", required=True),
        "web_search_requests": tokens(row.get("web_search_count"), "web_search_count") or 0,
        "service_tier": tier if tier in ("batch", "priority") else "standard",
        "speed": "fast" if (row.get("speed") or "").lower() == "fast" else "standard",
        "inference_geo": geo.lower() if geo else None,
        "context_window": CONTEXT.get(row.get("context_window") or ""),
    }
