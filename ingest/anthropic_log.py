"""Anthropic request/response logs: one JSON object per line with `timestamp`, `request`, `response`, `metadata`.

This is what an application or gateway writes when it logs each Messages API call; the README recommends it.
`request` is the body as sent, `response` the body as received (or an error), `metadata` optional attribution:
api_key_id, workspace, project, user, tags, latency_ms, request_id, platform, endpoint_scope, region.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

from .common import (
    Emitter,
    RowError,
    json_lines,
    model_fields,
    money,
    stable_id,
    text,
    timestamp,
)
from .fast_logs import loads, prompt_columns_fast
from .request_features import PromptColumns, estimated_thinking_tokens, request_columns
from .usage_fields import usage_columns

FORMAT = "anthropic_log"
LABEL = "Anthropic request/response logs"
PLATFORMS = {"anthropic", "bedrock", "vertex"}
FAST = True  # the prompt fingerprints by ingest/fast_logs.py (same values); False: the reference computation


def sniff(sample: Any) -> bool:
    obj = sample.first_obj
    return bool(obj) and "request" in obj and "response" in obj


def read(path: Path, stream: IO[bytes], emit: Emitter) -> None:
    foreign: dict[str, int] = {}  # currency -> rows whose stated cost is not in USD
    prompt = prompt_columns_fast if FAST else None
    for number, obj in json_lines(stream, emit, loads=loads if FAST else json.loads):
        try:
            emit.row(record(obj, path, number, prompt), number)
        except RowError as e:
            emit.reject(number, str(e))
            continue
        except RecursionError:
            emit.reject(number, "invalid JSON: nested too deeply")
            continue
        currency = _foreign_currency(obj.get("metadata"))
        if currency:
            foreign[currency] = foreign.get(currency, 0) + 1
    for currency, rows in sorted(foreign.items()):
        emit.stats.notes.append(f"{rows} row(s) state cost_usd in {currency}, not USD: that stated cost was not "
                                "kept; every row is priced from its tokens in USD")


def _foreign_currency(meta: Any) -> str | None:
    """The currency a record's metadata names for its cost_usd, when it is not USD."""
    currency = meta.get("currency") if isinstance(meta, dict) else None
    if currency is None or str(currency).strip().upper() == "USD":
        return None
    return text(str(currency).strip().upper()[:12])


def record(obj: Any, path: Path, number: int, prompt: PromptColumns | None = None) -> dict[str, Any]:
    """One usage row from a logged call; raises RowError for calls that were not billed or cannot be read.
    prompt: how the prompt fingerprints are computed (request_features.request_columns)."""
    if not isinstance(obj, dict):
        raise RowError("line is not a JSON object")
    response = obj.get("response")
    request = obj.get("request") if isinstance(obj.get("request"), dict) else {}
    if not isinstance(response, dict):
        raise RowError("missing response")
    if response.get("type") == "error" or "error" in response and "usage" not in response:
        err = response.get("error")
        kind = err.get("type") if isinstance(err, dict) else None
        raise RowError(f"not billed: error response ({kind or 'unknown error'})")
    usage = response.get("usage")
    if not isinstance(usage, dict):
        raise RowError("missing usage in response")
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    columns = usage_columns(usage)
    if columns["thinking_tokens"] is None:
        estimate = estimated_thinking_tokens(response)
        if estimate is not None:
            columns["thinking_tokens"] = min(estimate, columns["output_tokens"])
            columns["thinking_estimated"] = True
    model = model_fields(response.get("model") or request.get("model"))
    sent = model_fields(request.get("model")) if isinstance(request.get("model"), str) else None
    if sent and (model["model"] is None or sent["platform"] != "anthropic"):
        # Bedrock and Vertex SDKs send a platform id (us.anthropic..., ...@date) and get a 1P id back: the
        # request's id says where the call ran, which decides the regional premium.
        model = {**sent, "model_raw": model["model_raw"] or sent["model_raw"],
                 "model": model["model"] or sent["model"]}
    platform = meta.get("platform")
    if platform in PLATFORMS:
        model["platform"] = platform
    if meta.get("endpoint_scope") in ("global", "regional"):
        model["endpoint_scope"] = meta["endpoint_scope"]
    if meta.get("region"):
        model["region"] = text(meta["region"])
    message_id = response.get("id")
    request_id = obj.get("request_id") or meta.get("request_id")
    key = (stable_id(FORMAT, message_id) if isinstance(message_id, str) and message_id
           else stable_id(FORMAT, path, number))
    return {
        "record_id": key,
        "granularity": "request",
        "grouping": "request",
        "charge_period_start": timestamp(obj.get("timestamp")),
        "workspace": text(meta.get("workspace")),
        "api_key_id": text(meta.get("api_key_id")),
        "project": text(meta.get("project")),
        "user_id": text(meta.get("user")),
        "tags": text(meta.get("tags")),
        "session_id": text(meta.get("session_id")),
        "request_id": text(request_id),
        "requests": 1,
        "stop_reason": text(response.get("stop_reason")),
        # A cost stated in another currency is not a USD amount: it is not kept (read() notes it).
        "source_cost": None if _foreign_currency(meta) else money(meta.get("cost_usd"), "metadata.cost_usd"),
        **model,
        **columns,
        **request_columns(request, prompt),
    }
