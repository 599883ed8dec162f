"""Amazon Bedrock model invocation logs (S3 or CloudWatch Logs delivery; JSON lines, also gzipped).

One record per request (`schemaType` "ModelInvocationLog"): `timestamp`, `accountId`, `region`, `requestId`,
`operation` (InvokeModel, InvokeModelWithResponseStream, Converse, ConverseStream), `modelId` (a base model id,
an inference profile id such as `us.anthropic.claude-sonnet-4-5-20250929-v1:0`, or an ARN), `identity.arn`,
`input.inputTokenCount` (uncached input), `input.cacheReadInputTokenCount`, `input.cacheWriteInputTokenCount`,
`output.outputTokenCount`, optional `requestMetadata`, and the bodies when text delivery is on. Also read: lines
exported from CloudWatch Logs with a timestamp before the JSON, and CloudWatch subscription envelopes
(`{"messageType": "DATA_MESSAGE", "logEvents": [{"message": "<record>"}]}`).

- The record's counts are the billed tokens. They have no 5-minute/1-hour split of cache writes: the split is taken
  from the response body when it has one (an Anthropic `usage.cache_creation`, a Converse `usage.cacheDetails`),
  else the writes are booked as 5-minute writes and the row is marked `cache_ttl_assumed`.
- The model id or ARN gives the canonical model, the platform (bedrock) and the endpoint scope: `global.` is the
  global endpoint; base ids and geo profiles (`us.`, `eu.`, `apac.`, `jp.`, `au.`) are regional. An application
  inference profile ARN names no model: the response body's `model` is used when there is one, else the row is
  unpriced. The account is the workspace, the identity ARN the key, `requestMetadata` the tags (and its `project`
  or `application` the project).
- Request bodies feed the request features (caching, thinking budget, tools, prompt-prefix fingerprints) like any
  request log: InvokeModel bodies are Anthropic Messages bodies; Converse bodies are mapped (`system`, `messages`,
  `toolConfig.tools`, `inferenceConfig.maxTokens`, `additionalModelRequestFields.thinking`, `cachePoint` blocks).
  Thinking tokens are estimated from the thinking text in the response (characters / 4), streamed or not.
- A record with `errorCode` was not billed: rejected with the error as reason. Prompt text is never stored.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import IO, Any

from .common import (
    JSON_ERRORS,
    Emitter,
    RowError,
    clean,
    json_records,
    model_fields,
    stable_id,
    text,
    timestamp,
    tokens,
)
from .request_features import estimated_thinking_tokens, request_columns
from .usage_fields import MAX_REQUEST_TOKENS

FORMAT = "bedrock_invocation"
LABEL = "Amazon Bedrock model invocation logs"
# A line exported from CloudWatch Logs starts with its timestamp (and, from `aws logs tail`, the log stream name):
# "2026-10-06T09:00:00.000Z {...}". A line that starts as JSON has no prefix.
_PREFIX = re.compile(r"^(?!\{)\S+\s+(?:[^\s{]\S*\s+)?(?=\{)")
# Inference-profile prefixes before the provider in a model id (us.anthropic.claude-..., apac.amazon.nova-...).
_GEOS = {"us", "eu", "apac", "jp", "au", "ca", "global", "us-gov"}
_PROVIDER = re.compile(r"[a-z][a-z0-9-]*")
NOTED_FAMILIES = 5


def sniff(sample: Any) -> bool:
    return "ModelInvocationLog" in sample.head and "modelId" in sample.head


def read(path: Path, stream: IO[bytes], emit: Emitter) -> None:
    """Records from JSON Lines (as delivered to S3 or exported), or a pretty-printed copy: one record, an array of
    them, or several one after another (json_records); CloudWatch subscription envelopes and `aws logs` output
    (`{"events": [...]}`) hold records as log events."""
    others: Counter[str] = Counter()  # records of other Bedrock models, by family
    try:
        for number, obj in json_records(stream, emit, prefix=_PREFIX):
            events = obj.get("logEvents", obj.get("events")) if isinstance(obj, dict) else None
            if isinstance(events, list):
                if obj.get("messageType") not in (None, "DATA_MESSAGE"):
                    emit.ignore()  # CONTROL_MESSAGE: a delivery check, not a record
                    continue
                for index, event in enumerate(events):
                    message = event.get("message") if isinstance(event, dict) else None
                    try:
                        inner = json.loads(message) if isinstance(message, str) else message
                    except JSON_ERRORS:
                        emit.reject(number, f"invalid JSON: log event {index + 1} is truncated or malformed")
                        continue
                    _one(inner, path, number, emit, index, others)
                continue
            _one(obj, path, number, emit, None, others)
    finally:
        if others:
            listed = ", ".join(f"{clean(family, 60)} ({count})" for family, count in
                               sorted(others.items(), key=lambda kv: (-kv[1], kv[0]))[:NOTED_FAMILIES])
            more = len(others) - NOTED_FAMILIES
            emit.stats.notes.append(
                f"{sum(others.values())} record(s) of other Bedrock models ignored (not Claude): {listed}"
                + (f" and {more} more famil{'y' if more == 1 else 'ies'}" if more > 0 else ""))


def other_model_family(obj: Any) -> str | None:
    """The provider and family of a record's model when it is not Claude ('amazon.nova', 'meta.llama3'); None for
    a Claude model (known or not) and for an id that names no provider (an application inference profile)."""
    model_id = obj.get("modelId") if isinstance(obj, dict) else None
    if not isinstance(model_id, str):
        return None
    ident = model_id.rsplit("/", 1)[-1].strip().lower()
    if "claude" in ident or "anthropic" in ident or model_fields(model_id)["model"] is not None:
        return None
    parts = ident.split(".")
    if len(parts) > 2 and parts[0] in _GEOS:
        parts = parts[1:]
    if len(parts) < 2 or not _PROVIDER.fullmatch(parts[0]):
        return None
    return f"{parts[0]}.{re.split(r'[-:_]', parts[1])[0]}"


def _one(obj: Any, path: Path, number: int, emit: Emitter, index: int | None, others: Counter[str]) -> None:
    family = other_model_family(obj)
    if family is not None:
        others[family] += 1
        emit.ignore()  # a Nova, Llama, Mistral... request: not Claude usage, never an unpriced Claude row
        return
    try:
        emit.row(record(obj, path, number, index), number)
    except RowError as e:
        emit.reject(number, str(e))
    except RecursionError:
        emit.reject(number, "invalid JSON: nested too deeply")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _body(value: Any) -> Any:
    """A body as logged: an object, a list of stream events, or (some deliveries) the same as a JSON string."""
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except JSON_ERRORS:
            return None
    return value


def record(obj: Any, path: Path, number: int, index: int | None = None) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise RowError("line is not a JSON object")
    if obj.get("errorCode"):
        raise RowError(f"not billed: error ({text(str(obj['errorCode']))[:60]})")
    inp, out = _dict(obj.get("input")), _dict(obj.get("output"))
    request = _body(inp.get("inputBodyJson"))
    response = _body(out.get("outputBodyJson"))
    operation = str(obj.get("operation") or "")
    converse = operation.startswith("Converse") or (isinstance(request, dict) and (
        "inferenceConfig" in request or "toolConfig" in request))
    body_usage = _response_usage(response)
    input_tokens = tokens(inp.get("inputTokenCount"), "input.inputTokenCount")
    output_tokens = tokens(out.get("outputTokenCount"), "output.outputTokenCount")
    if input_tokens is None:
        input_tokens = tokens(body_usage.get("input_tokens", body_usage.get("inputTokens")), "usage.input_tokens")
    if output_tokens is None:
        output_tokens = tokens(body_usage.get("output_tokens", body_usage.get("outputTokens")),
                               "usage.output_tokens")
    if input_tokens is None:
        raise RowError("missing input.inputTokenCount")
    if output_tokens is None:
        raise RowError("missing output.outputTokenCount")
    cache_read = tokens(inp.get("cacheReadInputTokenCount"), "input.cacheReadInputTokenCount")
    if cache_read is None:
        cache_read = tokens(body_usage.get("cache_read_input_tokens", body_usage.get("cacheReadInputTokens")),
                            "usage.cache_read_input_tokens") or 0
    writes = tokens(inp.get("cacheWriteInputTokenCount"), "input.cacheWriteInputTokenCount")
    if writes is None:
        writes = tokens(body_usage.get("cache_creation_input_tokens", body_usage.get("cacheWriteInputTokens")),
                        "usage.cache_creation_input_tokens") or 0
    w1 = _one_hour_writes(body_usage)
    if w1 is not None and w1 <= writes:
        w5, assumed = writes - w1, False
    else:
        w1, w5, assumed = 0, writes, writes > 0
    prompt = input_tokens + writes + cache_read
    if prompt > MAX_REQUEST_TOKENS or output_tokens > MAX_REQUEST_TOKENS:
        raise RowError(f"implausible for one request: {prompt} input and {output_tokens} output tokens "
                       f"(limit {MAX_REQUEST_TOKENS})")
    model = model_fields(obj.get("modelId"))
    if model["model"] is None and isinstance(response, dict) and isinstance(response.get("model"), str):
        model["model"] = model_fields(response["model"])["model"]
    model["platform"] = "bedrock"
    model["region"] = text(obj.get("region")) or model["region"]
    meta = _dict(obj.get("requestMetadata"))
    request_id = obj.get("requestId")
    key = (stable_id(FORMAT, request_id) if isinstance(request_id, str) and request_id
           else stable_id(FORMAT, path, number, index))
    thinking = _thinking_tokens(response, body_usage)
    features = request_columns(_as_messages_request(request) if converse else request)
    if features and isinstance(request, dict):
        features["cache_control"] = features["cache_control"] or '"cachePoint"' in json.dumps(request)
        features["stream"] = operation.endswith("Stream")
    return {
        "record_id": key,
        "granularity": "request",
        "grouping": "request",
        "charge_period_start": timestamp(obj.get("timestamp")),
        "workspace": text(obj.get("accountId")),
        "api_key_id": text(_dict(obj.get("identity")).get("arn")),
        "project": text(meta.get("project") or meta.get("application") or meta.get("app")),
        "tags": text(meta) if meta else None,
        "session_id": text(meta.get("session_id") or meta.get("sessionId")),
        "request_id": text(request_id),
        "requests": 1,
        **model,
        "input_tokens": input_tokens,
        "cache_write_5m_tokens": w5,
        "cache_write_1h_tokens": w1,
        "cache_ttl_assumed": assumed,
        "cache_read_tokens": cache_read,
        "output_tokens": output_tokens,
        "thinking_tokens": min(thinking, output_tokens) if thinking is not None else None,
        "thinking_estimated": None if thinking is None else body_usage.get("thinking_exact") is None,
        "web_search_requests": 0,
        "service_tier": "standard",
        "speed": "standard",
        "stop_reason": text(_stop_reason(response)),
        **features,
    }


def _events(response: Any) -> list[dict[str, Any]]:
    """Stream events, unwrapped: Anthropic events ({"type": ...}) and Converse events ({"contentBlockDelta": ...}),
    also when each is wrapped as {"chunk": {"bytes": ...}} already decoded."""
    if not isinstance(response, list):
        return []
    out = []
    for event in response:
        event = _body(event)
        if isinstance(event, dict):
            out.append(event)
    return out


def _response_usage(response: Any) -> dict[str, Any]:
    """The usage object of a response body (Anthropic or Converse, whole or streamed); {} when there is none."""
    if isinstance(response, dict):
        return _dict(response.get("usage"))
    usage: dict[str, Any] = {}
    for event in _events(response):
        start = _dict(event.get("message")) if event.get("type") == "message_start" else {}
        for part in (_dict(start.get("usage")), _dict(event.get("usage")),
                     _dict(_dict(event.get("metadata")).get("usage")),
                     _dict(event.get("amazon-bedrock-invocationMetrics"))):
            usage.update({k: v for k, v in part.items() if v is not None})
    return usage


def _one_hour_writes(usage: dict[str, Any]) -> int | None:
    """1-hour cache writes stated by the response: Anthropic cache_creation, Converse cacheDetails."""
    split = usage.get("cache_creation")
    if isinstance(split, dict) and "ephemeral_1h_input_tokens" in split:
        return tokens(split.get("ephemeral_1h_input_tokens"), "ephemeral_1h_input_tokens") or 0
    details = usage.get("cacheDetails")
    if isinstance(details, list) and details:
        total = 0
        for detail in details:
            if isinstance(detail, dict) and str(detail.get("ttl", "")).lower() in ("1h", "3600", "3600s", "60m"):
                total += tokens(detail.get("inputTokens"), "cacheDetails.inputTokens") or 0
        return total
    return None


def _thinking_tokens(response: Any, usage: dict[str, Any]) -> int | None:
    details = usage.get("output_tokens_details")
    if isinstance(details, dict) and details.get("thinking_tokens") is not None:
        usage["thinking_exact"] = True
        return tokens(details.get("thinking_tokens"), "thinking_tokens")
    if isinstance(response, dict):
        estimate = estimated_thinking_tokens(response)
        if estimate is not None:
            return estimate
        content = _dict(_dict(response.get("output")).get("message")).get("content")  # Converse
        if isinstance(content, list):
            texts = [_dict(_dict(b.get("reasoningContent")).get("reasoningText")).get("text") or ""
                     for b in content if isinstance(b, dict) and "reasoningContent" in b]
            return sum(len(t) for t in texts) // 4 if texts else None
        return None
    chars, seen = 0, False
    for event in _events(response):
        delta = _dict(event.get("delta"))
        if delta.get("type") == "thinking_delta":
            chars, seen = chars + len(delta.get("thinking") or ""), True
        reasoning = _dict(_dict(_dict(event.get("contentBlockDelta")).get("delta")).get("reasoningContent"))
        if reasoning:
            chars, seen = chars + len(reasoning.get("text") or ""), True
    return chars // 4 if seen else None


def _stop_reason(response: Any) -> Any:
    if isinstance(response, dict):
        return response.get("stop_reason") or response.get("stopReason")
    for event in reversed(_events(response)):
        reason = (_dict(event.get("delta")).get("stop_reason") or _dict(event.get("messageStop")).get("stopReason"))
        if reason:
            return reason
    return None


def _as_messages_request(body: Any) -> dict[str, Any] | None:
    """A Converse request body in the Messages API's terms, for the request features."""
    if not isinstance(body, dict):
        return None
    config = _dict(body.get("inferenceConfig"))
    extra = _dict(body.get("additionalModelRequestFields"))
    tools = _dict(body.get("toolConfig")).get("tools")
    return {
        "system": body.get("system"),
        "messages": body.get("messages"),
        "tools": tools if isinstance(tools, list) else [],
        "max_tokens": config.get("maxTokens"),
        "thinking": extra.get("thinking") or extra.get("reasoning_config"),
    }
