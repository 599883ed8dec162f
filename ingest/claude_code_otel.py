"""Claude Code OpenTelemetry, as an OpenTelemetry Collector's `file` exporter writes it (OTLP JSON lines).

Each line is one OTLP batch (formats-2026.md 4.5): `{"resourceLogs": [...]}`, `{"resourceMetrics": [...]}` or
`{"resourceSpans": [...]}` (spans carry no usage: ignored). Attributes are lists of `{key, value: AnyValue}`;
numbers arrive as `stringValue`, `intValue` (an int64 as a string) or `doubleValue`, and all three are read.

- `claude_code.api_request` log events are request rows: model, `input_tokens` (uncached, as the API counts it:
  cache tokens are not subtracted), `cache_read_tokens`, `cache_creation_tokens` (one total: priced as 5-minute
  writes and flagged), `output_tokens`, `cost_usd` (Claude Code's own estimate) as source_cost, `request_id`,
  `session.id`, the user (`user.email` masked with a short hash, else `user.account_id`, `user.account_uuid`,
  `user.id`) and organisation, terminal and query source as tags. The event name is read from `eventName`, else the
  `event.name` attribute, else the body. Other events (prompts, tool results, API errors) are ignored lines.
- `claude_code.token.usage` (by `type`: input, output, cacheRead, cacheCreation) and `claude_code.cost.usage`
  metric points become aggregated rows (grouping 'otel_metrics'), one per series (session, user, model, ...) and
  interval, tokens by class and the cost. Delta points are summed; cumulative points (aggregationTemporality 2)
  are differenced per series, a drop in value being a restart. A point exported twice counts once (file notes).
  Other metrics are ignored.

A request counted twice is counted once (ingest/overlap.py, after the files are read): an api_request event whose
request id (or session, model and token counts within ten minutes) matches a Claude Code transcript's row is a
duplicate of that row (the transcript has the 5-minute/1-hour split), and metric rows of a session that has
request-level rows (events or a transcript) are duplicates of them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from .common import Emitter, RowError, json_lines, model_fields, money, person, stable_id, text, timestamp, tokens

FORMAT = "claude_code_otel"
LABEL = "Claude Code OpenTelemetry (OTLP JSON lines from a Collector file exporter)"
GROUPING = "otel_metrics"
API_REQUEST = "claude_code.api_request"
TOKEN_METRIC = "claude_code.token.usage"
COST_METRIC = "claude_code.cost.usage"
TOKEN_TYPES = {"input": "input_tokens", "output": "output_tokens", "cacheread": "cache_read_tokens",
               "cachecreation": "cache_write_5m_tokens"}
TAG_KEYS = {"organization.id": "organization_id", "terminal.type": "terminal_type", "query_source": "query_source",
            "service.version": "app_version", "effort": "effort"}
# Attributes that identify a metric series apart from the token type (the rest, e.g. terminal.type, is kept).
SERIES_SKIP = {"type"}
MAX_TOKENS = 10**13  # as common.tokens(): a larger count is corrupt


def sniff(sample: Any) -> bool:
    return any(isinstance(o, dict) and ("resourceLogs" in o or "resourceMetrics" in o) for o in sample.objects) \
        and "claude_code" in sample.head


def any_value(value: Any) -> Any:
    """An OTLP AnyValue as a plain value (kvlists as dicts, arrays as lists, int64 strings as they are)."""
    if not isinstance(value, dict):
        return value
    for key in ("stringValue", "intValue", "doubleValue", "boolValue", "bytesValue"):
        if key in value:
            return value[key]
    if isinstance(value.get("arrayValue"), dict):
        return [any_value(v) for v in value["arrayValue"].get("values") or []]
    if isinstance(value.get("kvlistValue"), dict):
        return attributes(value["kvlistValue"].get("values"))
    return None


def attributes(items: Any) -> dict[str, Any]:
    if not isinstance(items, list):
        return {}
    return {str(a["key"]): any_value(a.get("value")) for a in items if isinstance(a, dict) and "key" in a}


def _list(value: Any) -> list[Any]:
    """A repeated OTLP field: a list, or nothing (a missing or malformed field holds no records)."""
    return value if isinstance(value, list) else []


def _nanos(value: Any, name: str) -> datetime:
    if value is None or value == "":
        raise RowError(f"missing {name}")
    try:
        ns = int(value)
    except (TypeError, ValueError) as e:
        raise RowError(f"{name} is not a time in nanoseconds: {str(value)[:40]!r}") from e
    if ns <= 0:
        raise RowError(f"missing {name}")
    try:
        stamp = datetime.fromtimestamp(ns // 1_000_000_000, UTC).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError) as e:
        raise RowError(f"{name} out of range: {value!r}") from e
    stamp += timedelta(microseconds=(ns % 1_000_000_000) // 1000)
    if not 2020 <= stamp.year <= 2100:
        raise RowError(f"{name} out of range: {value!r}")
    return stamp


def _number(value: Any, name: str) -> Any:
    """A count that may arrive as text or a float with no fraction."""
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.endswith(".0"):
            stripped = stripped[:-2]
        return tokens(stripped, name)
    return tokens(value, name)


def _who(attrs: dict[str, Any]) -> str | None:
    email = attrs.get("user.email")
    if isinstance(email, str) and email:
        return person(email)
    for key in ("user.account_id", "user.account_uuid", "user.id"):
        if isinstance(attrs.get(key), str) and attrs[key]:
            return text(attrs[key])
    return None


def _tags(attrs: dict[str, Any]) -> str:
    tags = {name: attrs[key] for key, name in TAG_KEYS.items() if isinstance(attrs.get(key), str | int | float)}
    tags["product"] = "claude_code"
    return text(json.dumps(tags, sort_keys=True, default=str)) or ""


def read(path: Path, stream: IO[bytes], emit: Emitter) -> None:
    points: list[tuple[int, dict[str, Any]]] = []
    for number, batch in json_lines(stream, emit):
        if not isinstance(batch, dict):
            emit.reject(number, "line is not a JSON object")
            continue
        try:
            if "resourceLogs" in batch:
                _logs(batch["resourceLogs"], number, emit)
            elif "resourceMetrics" in batch:
                points.extend((number, p) for p in _metric_points(batch["resourceMetrics"], number, emit))
            else:
                emit.ignore()  # traces, or anything else: no usage
        except RecursionError:
            emit.reject(number, "invalid JSON: nested too deeply")
    _metric_rows(points, emit)


# ---- log events -------------------------------------------------------------------------------------------------


def _logs(resource_logs: Any, number: int, emit: Emitter) -> None:
    if not isinstance(resource_logs, list):
        emit.reject(number, "resourceLogs is not a list")
        return
    for rl in resource_logs:
        if not isinstance(rl, dict):
            emit.reject(number, "resourceLogs entry is not an object")
            continue
        resource = attributes((rl.get("resource") or {}).get("attributes")) if isinstance(
            rl.get("resource"), dict) else {}
        for sl in _list(rl.get("scopeLogs")):
            records = sl.get("logRecords") if isinstance(sl, dict) else None
            if not isinstance(records, list):
                emit.reject(number, "scopeLogs entry has no logRecords list")
                continue
            for log in records:
                _event(log, resource, number, emit)


def event_name(log: dict[str, Any], attrs: dict[str, Any]) -> str | None:
    name = log.get("eventName") or attrs.get("event.name")
    if not name:
        body = any_value(log.get("body"))
        name = body if isinstance(body, str) else None
    if isinstance(name, str) and name and not name.startswith("claude_code."):
        name = "claude_code." + name
    return name if isinstance(name, str) else None


def _event(log: Any, resource: dict[str, Any], number: int, emit: Emitter) -> None:
    if not isinstance(log, dict):
        emit.reject(number, "log record is not an object")
        return
    attrs = {**resource, **attributes(log.get("attributes"))}
    if event_name(log, attrs) != API_REQUEST:
        emit.ignore()
        return
    try:
        emit.row(_request(log, attrs), number)
    except RowError as e:
        emit.reject(number, str(e))


def _cost(attrs: dict[str, Any]) -> Decimal | None:
    if attrs.get("cost_usd") not in (None, ""):
        return money(attrs["cost_usd"], "cost_usd")
    micros = attrs.get("cost_usd_micros")
    if micros not in (None, ""):
        amount = money(micros, "cost_usd_micros")
        return None if amount is None else money(amount / 1_000_000, "cost_usd_micros")
    return None


def _request(log: dict[str, Any], attrs: dict[str, Any]) -> dict[str, Any]:
    if attrs.get("event.timestamp"):
        start = timestamp(attrs["event.timestamp"], "event.timestamp")
    else:
        start = _nanos(log.get("timeUnixNano") or log.get("observedTimeUnixNano"), "timeUnixNano")
    writes = _number(attrs.get("cache_creation_tokens"), "cache_creation_tokens") or 0
    request_id = attrs.get("request_id") if isinstance(attrs.get("request_id"), str) else None
    session = attrs.get("session.id")
    fields = {
        "input_tokens": _number(attrs.get("input_tokens"), "input_tokens"),
        "output_tokens": _number(attrs.get("output_tokens"), "output_tokens"),
        "cache_read_tokens": _number(attrs.get("cache_read_tokens"), "cache_read_tokens") or 0,
    }
    if fields["input_tokens"] is None or fields["output_tokens"] is None:
        raise RowError(f"missing {'input_tokens' if fields['input_tokens'] is None else 'output_tokens'}")
    # One event per API call: its request id is the key; without one, the event's own identity (a re-export of
    # the same event then counts once).
    key = request_id or json.dumps([session, attrs.get("prompt.id"), str(start), attrs.get("model"),
                                    fields["input_tokens"], fields["output_tokens"], writes], default=str)
    return {
        "record_id": stable_id(FORMAT, key),
        "granularity": "request",
        "grouping": "request",
        "charge_period_start": start,
        **model_fields(attrs.get("model")),
        "session_id": text(session),
        "request_id": text(request_id),
        "user_id": _who(attrs),
        "tags": _tags(attrs),
        "requests": 1,
        **fields,
        "cache_write_5m_tokens": writes,
        "cache_write_1h_tokens": 0,
        "cache_ttl_assumed": writes > 0,
        "web_search_requests": 0,
        "service_tier": "standard",
        "speed": "fast" if attrs.get("speed") == "fast" else "standard",
        "source_cost": _cost(attrs),
    }


# ---- metrics ----------------------------------------------------------------------------------------------------


def _metric_points(resource_metrics: Any, number: int, emit: Emitter) -> list[dict[str, Any]]:
    """The token and cost points of one line, each with its series and temporality; others ignored."""
    out: list[dict[str, Any]] = []
    if not isinstance(resource_metrics, list):
        emit.reject(number, "resourceMetrics is not a list")
        return out
    for rm in resource_metrics:
        if not isinstance(rm, dict):
            emit.reject(number, "resourceMetrics entry is not an object")
            continue
        resource = attributes((rm.get("resource") or {}).get("attributes")) if isinstance(
            rm.get("resource"), dict) else {}
        for sm in _list(rm.get("scopeMetrics")):
            metrics = sm.get("metrics") if isinstance(sm, dict) else None
            if not isinstance(metrics, list):
                emit.reject(number, "scopeMetrics entry has no metrics list")
                continue
            for metric in metrics:
                if not isinstance(metric, dict) or metric.get("name") not in (TOKEN_METRIC, COST_METRIC):
                    emit.ignore()
                    continue
                data = metric.get("sum") if isinstance(metric.get("sum"), dict) else metric.get("gauge")
                if not isinstance(data, dict) or not isinstance(data.get("dataPoints"), list):
                    emit.reject(number, f"{metric['name']} has no dataPoints")
                    continue
                cumulative = str(data.get("aggregationTemporality")) in ("2", "AGGREGATION_TEMPORALITY_CUMULATIVE")
                for point in data["dataPoints"]:
                    if not isinstance(point, dict):
                        emit.reject(number, "data point is not an object")
                        continue
                    out.append({"metric": metric["name"], "cumulative": cumulative, "point": point,
                                "attrs": {**resource, **attributes(point.get("attributes"))}})
    return out


def _value(point: dict[str, Any], metric: str) -> Decimal:
    raw = point.get("asInt", point.get("asDouble", 0))  # a zero value may be left out (OTLP defaults)
    if isinstance(raw, bool):
        raise RowError(f"{metric} value is not a number")
    try:
        value = Decimal(str(raw))
    except ArithmeticError as e:
        raise RowError(f"{metric} value is not a number: {str(raw)[:40]!r}") from e
    if not value.is_finite() or value < 0:
        raise RowError(f"{metric} value is negative or not finite: {str(raw)[:40]!r}")
    return value


def _metric_rows(points: list[tuple[int, dict[str, Any]]], emit: Emitter) -> None:
    """Points to rows: deltas per series (cumulative points differenced), merged per series and interval."""
    series: dict[tuple[str, str], list[tuple[datetime, datetime, Decimal, int, dict[str, Any], bool]]] = \
        defaultdict(list)
    seen: set[tuple[str, str, datetime, datetime]] = set()
    twice = 0
    for number, p in points:
        attrs = p["attrs"]
        try:
            start = _nanos(p["point"].get("startTimeUnixNano") or p["point"].get("timeUnixNano"),
                           "startTimeUnixNano")
            end = _nanos(p["point"].get("timeUnixNano"), "timeUnixNano")
            value = _value(p["point"], p["metric"])
            kind = str(attrs.get("type") or "").replace("_", "").lower() if p["metric"] == TOKEN_METRIC else "cost"
            if kind != "cost" and kind not in TOKEN_TYPES:
                raise RowError(f"token type not understood: {str(attrs.get('type'))[:40]!r}")
            if kind == "cost":
                money(value, COST_METRIC)  # within what the table holds, as any stated cost
            elif value > MAX_TOKENS:  # before to_integral/int(): an exponent such as 1e400 is never expanded
                raise RowError(f"{TOKEN_METRIC} value is implausibly large: {str(value)[:40]!r}")
            elif value != value.to_integral_value():
                raise RowError(f"{TOKEN_METRIC} value is not a whole number: {value}")
        except RowError as e:
            emit.reject(number, str(e))
            continue
        key = json.dumps({k: v for k, v in sorted(attrs.items()) if k not in SERIES_SKIP}, default=str)
        if (key, kind, start, end) in seen:
            twice += 1
            continue
        seen.add((key, kind, start, end))
        series[(key, kind)].append((start, end, value, number, attrs, p["cumulative"]))
    rows: dict[tuple[str, datetime, datetime], dict[str, Any]] = {}
    for (key, kind), values in sorted(series.items(), key=lambda kv: kv[0]):
        values.sort(key=lambda v: (v[0], v[1], v[3]))
        previous: tuple[datetime, datetime, Decimal] | None = None
        for start, end, value, number, attrs, cumulative in values:
            begin = start
            amount = value
            if cumulative:
                if previous is not None and previous[0] == start and value >= previous[2]:
                    begin, amount = previous[1], value - previous[2]
                previous = (start, end, value)
            row = rows.get((key, begin, end))
            column = "source_cost" if kind == "cost" else TOKEN_TYPES[kind]
            try:  # points of one interval add up (a series mixing temporalities): the sum must fit too
                before = (row[column] if row else None) or 0
                total = money(before + amount, COST_METRIC) if kind == "cost" else tokens(before + int(amount), column)
            except RowError as e:
                emit.reject(number, str(e))
                continue
            if row is None:
                row = rows[(key, begin, end)] = _metric_row(key, begin, end, attrs, number)
            row[column] = total
            if column == "cache_write_5m_tokens" and amount:
                row["cache_ttl_assumed"] = True
    for row in rows.values():
        line = row.pop("__line__")
        emit.row(row, line)
    if twice:
        emit.stats.notes.append(f"{twice} metric point(s) exported twice: counted once")


def _metric_row(key: str, start: datetime, end: datetime, attrs: dict[str, Any], line: int) -> dict[str, Any]:
    return {
        "__line__": line,
        "record_id": stable_id(FORMAT, GROUPING, key, start, end),
        "granularity": "bucket",
        "grouping": GROUPING,
        "charge_period_start": start,
        "charge_period_end": end if end > start else None,
        **model_fields(attrs.get("model")),
        "session_id": text(attrs.get("session.id")),
        "user_id": _who(attrs),
        "tags": _tags(attrs),
        "requests": None,
        "input_tokens": 0, "output_tokens": 0, "cache_read_tokens": 0, "cache_write_5m_tokens": 0,
        "cache_write_1h_tokens": 0, "cache_ttl_assumed": False, "web_search_requests": 0,
        "service_tier": "standard",
        "speed": "fast" if attrs.get("speed") == "fast" else "standard",
        "source_cost": None,
    }
