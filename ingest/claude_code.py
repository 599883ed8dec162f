"""Claude Code transcripts (~/.claude/projects/<project>/<session>.jsonl): one row per API response.

Claude Code writes several lines per API response (one per content block or streaming snapshot), all with
the same message.id and requestId; the pipeline keeps the one with the most tokens, as ccusage does. The key is
message.id alone: a side-chain (/btw) replays earlier responses with their message.id but a new requestId, and
a resumed session copies them; both are the same response, billed once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

from .common import (
    JSON_ERRORS,
    Emitter,
    LineTooLong,
    RowError,
    display_path,
    iter_lines,
    model_fields,
    money,
    stable_id,
    text,
    timestamp,
)
from .usage_fields import usage_columns

FORMAT = "claude_code"
LABEL = "Claude Code transcripts"


def sniff(sample: Any) -> bool:
    # Any of the first lines may be a bookkeeping line (summary, file-history-snapshot, queue-operation):
    # one transcript-shaped line is enough.
    for obj in sample.objects:
        if "sessionId" in obj and ("parentUuid" in obj or "uuid" in obj or "message" in obj):
            return True
        if obj.get("type") in {"summary", "file-history-snapshot"} and ("leafUuid" in obj or "snapshot" in obj):
            return True
    return False


def project_of(path: Path) -> str:
    """The project folder name: the directory right under `projects/`, else the file's parent."""
    parts = path.parts
    if "projects" in parts:
        i = len(parts) - 1 - parts[::-1].index("projects")
        if i + 1 < len(parts) - 1:
            return display_path(parts[i + 1])
    return display_path(path.parent.name)


def read(path: Path, stream: IO[bytes], emit: Emitter) -> None:
    project = project_of(path)
    for number, line in iter_lines(stream):
        if isinstance(line, LineTooLong):
            emit.reject(number, f"line too long: {line.size} bytes")
            continue
        handle_line(line, number, project, path, emit)


def handle_line(line: str, number: int, project: str, path: Path, emit: Emitter) -> None:
    """One decoded line: a row, a reject or an ignored line (ingest/fast_claude_code.py routes lines here too)."""
    # Cheap pre-filter: only assistant lines carry usage; everything else is not a record. A line that is not a
    # whole JSON object (cut short, garbage) may have been one, though: it is rejected, never ignored.
    if '"usage"' not in line and '"assistant"' not in line:
        bare = line.strip()
        if not bare or bare[0] == "{" and bare[-1] == "}" or _is_json(bare):
            emit.ignore()
        else:
            emit.reject(number, "invalid JSON: truncated or malformed line")
        return
    try:
        obj = json.loads(line)
    except JSON_ERRORS:
        emit.reject(number, "invalid JSON: truncated or malformed line")
        return
    if not isinstance(obj, dict) or not is_response(obj):
        emit.ignore()
        return
    message = obj.get("message")
    usage = message.get("usage") if isinstance(message, dict) else None
    if usage is None:
        emit.ignore()
        return
    if obj.get("isApiErrorMessage") is True or message.get("model") == "<synthetic>":
        emit.ignore()  # Claude Code's own placeholder for a failed call: no API usage
        return
    try:
        emit.row(_record(obj, message, usage, project, path, number), number)
    except RowError as e:
        emit.reject(number, str(e))
    except RecursionError:
        emit.reject(number, "invalid JSON: nested too deeply")


def is_response(obj: dict[str, Any]) -> bool:
    """Whether a transcript line is an API response: type "assistant", or (lines written without a type) a
    message that says so itself: role "assistant", a usage object, and an id or a model."""
    kind = obj.get("type")
    if kind is not None:
        return kind == "assistant"
    message = obj.get("message")
    return (isinstance(message, dict) and message.get("role") == "assistant"
            and isinstance(message.get("usage"), dict) and bool(message.get("id") or message.get("model")))


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except JSON_ERRORS:
        return False
    return True


def _record(obj: dict[str, Any], message: dict[str, Any], usage: Any, project: str, path: Path,
            number: int) -> dict[str, Any]:
    if not isinstance(usage, dict):
        raise RowError("usage is not an object")
    message_id = message.get("id")
    request_id = obj.get("requestId")
    # One API response, one message.id (unique per response): its streaming snapshots, its copies in resumed
    # sessions and its replays in side-chains (written again with a new requestId, ccusage #913) count once.
    record_id = (stable_id(FORMAT, message_id) if isinstance(message_id, str) and message_id
                 else stable_id(FORMAT, path, number))
    return {
        "record_id": record_id,
        "granularity": "request",
        "grouping": "request",
        "charge_period_start": timestamp(obj.get("timestamp")),
        "project": text(project),
        "session_id": text(obj.get("sessionId")),
        "request_id": text(request_id),
        "requests": 1,
        "stop_reason": text(message.get("stop_reason")),
        "source_cost": money(obj.get("costUSD"), "costUSD"),
        **model_fields(message.get("model")),
        **usage_columns(usage),
    }
