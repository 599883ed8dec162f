"""Message Batches results files: one line per request, `custom_id` and `result`; billed at batch rates.

Results lines carry no time. A line may add its own `timestamp` (some exporters do); otherwise rows are dated
by the file's modification time, and the report says so.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from .common import (
    Emitter,
    RowError,
    json_lines,
    model_fields,
    stable_id,
    text,
    timestamp,
)
from .request_features import estimated_thinking_tokens
from .usage_fields import usage_columns

FORMAT = "anthropic_batch"
LABEL = "Anthropic Message Batches results"


def sniff(sample: Any) -> bool:
    obj = sample.first_obj
    return bool(obj) and "custom_id" in obj and isinstance(obj.get("result"), dict)


def read(path: Path, stream: IO[bytes], emit: Emitter) -> None:
    file_time = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None)
    dated_by_file = False
    for number, obj in json_lines(stream, emit):
        try:
            row = _record(obj, path, file_time)
        except RowError as e:
            emit.reject(number, str(e))
            continue
        except RecursionError:
            emit.reject(number, "invalid JSON: nested too deeply")
            continue
        dated_by_file = dated_by_file or row.pop("_dated_by_file")
        emit.row(row, number)
    if dated_by_file:
        emit.stats.notes.append("batch results carry no timestamps: dated by the file's modification time")


def _record(obj: Any, path: Path, file_time: datetime) -> dict[str, Any]:
    if not isinstance(obj, dict) or not isinstance(obj.get("result"), dict):
        raise RowError("missing result")
    result = obj["result"]
    kind = result.get("type")
    if kind != "succeeded":
        raise RowError(f"not billed: batch result {kind or 'of unknown type'}")
    message = result.get("message")
    if not isinstance(message, dict):
        raise RowError("missing result.message")
    columns = usage_columns(message.get("usage"))
    columns["service_tier"] = "batch"  # every batch result is billed at batch rates
    if columns["thinking_tokens"] is None:
        estimate = estimated_thinking_tokens(message)
        if estimate is not None:
            columns["thinking_tokens"] = min(estimate, columns["output_tokens"])
            columns["thinking_estimated"] = True
    stamp = obj.get("timestamp") or obj.get("ended_at")
    custom_id = text(obj.get("custom_id"))
    message_id = message.get("id")
    return {
        "record_id": stable_id("anthropic_batch", message_id or (path, custom_id)),
        "granularity": "request",
        "grouping": "request",
        "charge_period_start": timestamp(stamp) if stamp else file_time,
        "_dated_by_file": not stamp,
        "request_id": custom_id,
        "requests": 1,
        "stream": False,
        "stop_reason": text(message.get("stop_reason")),
        **model_fields(message.get("model")),
        **columns,
    }
