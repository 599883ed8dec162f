"""Map an Anthropic Messages API `usage` object to the table's disjoint token columns."""

from __future__ import annotations

from typing import Any

from .common import RowError, text, tokens

MAX_REQUEST_TOKENS = 100_000_000  # per request and token direction: 100x the largest context window


def usage_columns(usage: dict[str, Any]) -> dict[str, Any]:
    """Token and modifier columns from a Messages API usage object (input_tokens excludes cache tokens)."""
    if not isinstance(usage, dict):
        raise RowError("usage is not an object")
    input_tokens = tokens(usage.get("input_tokens"), "input_tokens", required=True)
    output_tokens = tokens(usage.get("output_tokens"), "output_tokens", required=True)
    write_total = tokens(usage.get("cache_creation_input_tokens"), "cache_creation_input_tokens") or 0
    split = usage.get("cache_creation")
    if isinstance(split, dict):
        w5, w1, ttl_assumed = cache_writes(
            write_total, tokens(split.get("ephemeral_5m_input_tokens"), "ephemeral_5m_input_tokens") or 0,
            tokens(split.get("ephemeral_1h_input_tokens"), "ephemeral_1h_input_tokens") or 0)
    else:
        w5, w1, ttl_assumed = cache_writes(write_total)
    details = usage.get("output_tokens_details")
    thinking = tokens(details.get("thinking_tokens"), "thinking_tokens") if isinstance(details, dict) else None
    if thinking is not None and output_tokens is not None and thinking > output_tokens:
        raise RowError(f"thinking_tokens {thinking} exceed output_tokens {output_tokens}")
    cache_read = tokens(usage.get("cache_read_input_tokens"), "cache_read_input_tokens") or 0
    # One request cannot hold more than its context window: a count far beyond any model's is corrupt data.
    prompt = (input_tokens or 0) + w5 + w1 + cache_read
    if prompt > MAX_REQUEST_TOKENS or (output_tokens or 0) > MAX_REQUEST_TOKENS:
        raise RowError(f"implausible for one request: {prompt} input and {output_tokens} output tokens "
                       f"(limit {MAX_REQUEST_TOKENS})")
    server = usage.get("server_tool_use")
    searches = tokens(server.get("web_search_requests"), "web_search_requests") if isinstance(server, dict) else None
    geo = text(usage.get("inference_geo"))
    return {
        "input_tokens": input_tokens,
        "cache_write_5m_tokens": w5,
        "cache_write_1h_tokens": w1,
        "cache_ttl_assumed": ttl_assumed,
        "cache_read_tokens": cache_read,
        "output_tokens": output_tokens,
        "thinking_tokens": thinking,
        "thinking_estimated": False if thinking is not None else None,
        "web_search_requests": searches or 0,
        "service_tier": _tier(usage.get("service_tier")),
        "speed": "fast" if usage.get("speed") == "fast" else "standard",
        "inference_geo": geo.lower() if geo else None,
    }


def cache_writes(write_total: int, w5: int | None = None, w1: int | None = None) -> tuple[int, int, bool]:
    """The 5-minute and 1-hour cache writes of a usage object, and whether the TTL was assumed: w5 and w1 from its
    `cache_creation` split (None: no split, the whole total booked as 5m, assumed when there is any). A split that
    does not cover the total has the rest booked as 5m, and says so."""
    if w5 is None or w1 is None:
        return write_total, 0, write_total > 0
    if write_total > w5 + w1:
        return write_total - w1, w1, True
    return w5, w1, False


def _tier(value: Any) -> str:
    if value in ("batch", "priority"):
        return str(value)
    if value in ("priority_on_demand",):
        return "priority"
    return "standard"
