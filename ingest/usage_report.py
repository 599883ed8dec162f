"""Anthropic Usage & Cost API usage report (`/v1/organizations/usage_report/messages`), any group_by and width.

Accepts one page (a JSON object), a JSON array of pages, or pages one per line. Each result row is one bucket
of usage for one combination of the grouped dimensions; rows from overlapping exports of the same query have
the same record id, so they are counted once.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from .common import (
    JSON_ERRORS,
    Emitter,
    RowError,
    json_lines,
    line_of,
    model_fields,
    stable_id,
    text,
    timestamp,
    tokens,
)

FORMAT = "anthropic_usage_report"
LABEL = "Anthropic Usage & Cost API usage report"
DIMENSIONS = ("account_id", "api_key_id", "service_account_id", "workspace_id", "model", "service_tier",
              "context_window", "inference_geo", "speed")
MAX_DOCUMENT_BYTES = 256 * 1024 * 1024


def sniff(sample: Any) -> bool:
    head = sample.head
    return '"starting_at"' in head and '"results"' in head and (
        '"uncached_input_tokens":' in head or '"data"' in head and '"amount"' not in head)


def read(path: Path, stream: IO[bytes], emit: Emitter) -> None:
    first = stream.read(1)
    while first in (b" ", b"\n", b"\r", b"\t", b"\xef", b"\xbb", b"\xbf"):
        first = stream.read(1)
    rest = stream.read(MAX_DOCUMENT_BYTES)
    body = first + rest
    if stream.read(1):
        emit.stats.error = f"file larger than {MAX_DOCUMENT_BYTES} bytes: not read"
        return
    try:
        text_body = body.decode("utf-8")
    except UnicodeDecodeError:  # as the line readers do: Latin-1 never fails and keeps every byte
        text_body = body.decode("latin-1")
    try:
        document = json.loads(text_body)
    except JSON_ERRORS as e:
        if not pages_per_line(text_body):
            # One document that does not parse (cut short, most often): nothing in it can be trusted.
            where = f" (line {e.lineno}, column {e.colno})" if isinstance(e, json.JSONDecodeError) else ""
            emit.reject(e.lineno if isinstance(e, json.JSONDecodeError) else 1,
                        f"invalid JSON: truncated or malformed document{where}")
            return
    else:
        pages = document if isinstance(document, list) else [document]
        for index, page in enumerate(pages, start=1):
            _page(page, index, emit, counter=True)
        return
    # One page per line (JSON Lines).
    for number, page in json_lines(TextLines(text_body), emit, unit="page"):
        _page(page, number, emit, counter=False)


def pages_per_line(body: str) -> bool:
    """Whether the file holds one page per line: at least one line is a whole page on its own."""
    for line in body.splitlines():
        if line.lstrip().startswith("{") and '"data"' in line:
            try:
                page = json.loads(line)
            except JSON_ERRORS:
                continue
            if isinstance(page, dict) and "data" in page:
                return True
    return False


class TextLines:
    """A bytes stream over already-decoded text, for iter_lines."""

    def __init__(self, body: str) -> None:
        self._lines = iter(body.encode("utf-8", "surrogatepass").splitlines(keepends=True))

    def readline(self, _limit: int = -1) -> bytes:
        return next(self._lines, b"")


def _page(page: Any, where: int, emit: Emitter, counter: bool) -> None:
    buckets = page.get("data") if isinstance(page, dict) else None
    if not isinstance(buckets, list):
        emit.reject(where, "page has no data list")
        return
    present = {d for b in buckets if isinstance(b, dict) and isinstance(b.get("results"), list)
               for r in b["results"] if isinstance(r, dict) for d in DIMENSIONS if r.get(d) is not None}
    for bucket in buckets:
        results = bucket.get("results") if isinstance(bucket, dict) else None
        if not isinstance(results, list):
            emit.reject(line_of(emit, where, counter), "bucket has no results list")
            continue
        for result in results:
            line = line_of(emit, where, counter)
            try:
                emit.row(_record(bucket, result, present), line)
            except RowError as e:
                emit.reject(line, str(e))
            except RecursionError:
                emit.reject(line, "invalid JSON: nested too deeply")


def _width(start: datetime, end: datetime) -> str:
    seconds = (end - start).total_seconds()
    return {60: "1m", 3600: "1h", 86400: "1d"}.get(int(seconds), f"{int(seconds)}s")


def _record(bucket: dict[str, Any], result: Any, present: set[str]) -> dict[str, Any]:
    if not isinstance(result, dict):
        raise RowError("result is not an object")
    start = timestamp(bucket.get("starting_at"), "starting_at")
    end = timestamp(bucket.get("ending_at"), "ending_at")
    if end <= start:
        raise RowError("ending_at is not after starting_at")
    grouping = _width(start, end) + ":" + ",".join(sorted(present))
    split = result.get("cache_creation") if isinstance(result.get("cache_creation"), dict) else {}
    server = result.get("server_tool_use") if isinstance(result.get("server_tool_use"), dict) else {}
    geo = result.get("inference_geo")
    tier = result.get("service_tier")
    return {
        "record_id": stable_id(FORMAT, start, end, grouping, *(result.get(d) for d in DIMENSIONS)),
        "granularity": "bucket",
        "grouping": grouping,
        "charge_period_start": start,
        "charge_period_end": end,
        "workspace": text(result.get("workspace_id")),
        "api_key_id": text(result.get("api_key_id")),
        "user_id": text(result.get("account_id") or result.get("service_account_id")),
        **model_fields(result.get("model")),
        "input_tokens": tokens(result.get("uncached_input_tokens"), "uncached_input_tokens", required=True),
        "cache_write_5m_tokens": tokens(split.get("ephemeral_5m_input_tokens"), "ephemeral_5m_input_tokens") or 0,
        "cache_write_1h_tokens": tokens(split.get("ephemeral_1h_input_tokens"), "ephemeral_1h_input_tokens") or 0,
        "cache_ttl_assumed": False,
        "cache_read_tokens": tokens(result.get("cache_read_input_tokens"), "cache_read_input_tokens") or 0,
        "output_tokens": tokens(result.get("output_tokens"), "output_tokens", required=True),
        "web_search_requests": tokens(server.get("web_search_requests"), "web_search_requests") or 0,
        "service_tier": "priority" if tier in ("priority", "priority_on_demand") else
                        "batch" if tier == "batch" else "standard",
        "speed": "fast" if result.get("speed") == "fast" else "standard",
        "inference_geo": text(geo.lower()) if isinstance(geo, str) else None,
        "context_window": text(result["context_window"]) if isinstance(result.get("context_window"), str) else None,
    }
