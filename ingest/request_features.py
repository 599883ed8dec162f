"""What a Messages API request body says about cost, without keeping any prompt text."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from .common import text, tokens


def _strip_cache_control(value: Any) -> Any:
    # Breakpoint markers do not change the cached bytes, so requests with and without them share a prefix.
    if isinstance(value, dict):
        return {k: _strip_cache_control(v) for k, v in value.items() if k != "cache_control"}
    if isinstance(value, list):
        return [_strip_cache_control(v) for v in value]
    return value


def _canonical(value: Any) -> str:
    return json.dumps(_strip_cache_control(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def request_columns(request: Any, prompt: PromptColumns | None = None) -> dict[str, Any]:
    """Request features: thinking, max_tokens, stream, tools, caching, and a fingerprint of the prompt prefix.

    prompt: what computes the prompt columns (default prompt_columns; ingest/fast_logs.py has a quicker one that
    gives the same values)."""
    if not isinstance(request, dict):
        return {}
    thinking = request.get("thinking")
    thinking_type = thinking.get("type") if isinstance(thinking, dict) else None
    budget = None
    if isinstance(thinking, dict) and thinking.get("budget_tokens") is not None:
        budget = tokens(thinking.get("budget_tokens"), "thinking.budget_tokens")
    tools = request.get("tools") if isinstance(request.get("tools"), list) else []
    messages = request.get("messages") if isinstance(request.get("messages"), list) else []
    columns = (prompt or prompt_columns)(request, tools, messages)
    return {
        "thinking_type": text(thinking_type) if isinstance(thinking_type, str) else None,
        "thinking_budget": budget,
        "max_tokens": tokens(request.get("max_tokens"), "max_tokens"),
        "stream": bool(request.get("stream")) if request.get("stream") is not None else False,
        "tool_count": len(tools),
        **columns,
    }


PromptColumns = Callable[[dict[str, Any], list[Any], list[Any]], dict[str, Any]]


def prompt_columns(request: dict[str, Any], tools: list[Any], messages: list[Any]) -> dict[str, Any]:
    """Fingerprints and sizes of the prompt (the reference computation), and whether the request asks for caching."""
    # The prefix is what repeats between calls: tools, system, then every message but the newest one.
    system = _canonical({"tools": tools, "system": request.get("system")})
    prefix = _canonical({"tools": tools, "system": request.get("system"), "messages": messages[:-1]})
    last = _canonical(messages[-1:])
    return {
        "system_fingerprint": hashlib.sha256(system.encode("utf-8", "surrogatepass")).hexdigest()[:24],
        "prefix_fingerprint": hashlib.sha256(prefix.encode("utf-8", "surrogatepass")).hexdigest()[:24],
        "prefix_chars": len(prefix),
        "prompt_chars": len(prefix) + len(last),
        "cache_control": '"cache_control"' in json.dumps(request, ensure_ascii=False),
    }


def estimated_thinking_tokens(response: dict[str, Any]) -> int | None:
    """Thinking tokens estimated from returned thinking text (characters / 4); None without thinking blocks."""
    content = response.get("content")
    if not isinstance(content, list):
        return None
    chars = [len(b.get("thinking") or "") for b in content if isinstance(b, dict) and b.get("type") == "thinking"]
    if not chars:
        return None
    return sum(chars) // 4
