"""Claude Code analytics report (`GET /v1/organizations/usage_report/claude_code`): per actor and UTC day.

Each item of a page's `data` is one actor's day (formats-2026.md 3): `actor` (`user_actor` with `email_address`, or
`api_actor` with `api_key_name`), `date` (documented as YYYY-MM-DD, shown as an ISO timestamp: both read),
`customer_type`, `terminal_type`, and `model_breakdown[]` with each model's `tokens` {input, output, cache_read,
cache_creation} and `estimated_cost` {amount in cents, a JSON number; an estimate, not a bill}.

Each model of an item becomes an aggregated `usage` row (granularity 'bucket', grouping '1d:actor,model') for that
day: user_id is the actor (an email address masked with a short hash, see common.person; an API actor's key name,
also as api_key_id), the estimated cost as source_cost (in dollars), product, terminal and organisation as tags.
The report gives cache writes as one total: they are priced as 5-minute writes and flagged (cache_ttl_assumed).
There is no request count (requests NULL).

An actor-day under a Claude subscription (`customer_type` "subscription") is usage paid by seats, not API spend: it
is counted as an ignored line and the file's notes say how many. An item with no models used is ignored too.

In the spend basis this report covers Claude Code only: on a day with no organisation-wide source (usage report,
Analytics API, bill) it replaces the Claude Code transcripts and telemetry of that day, and the other request logs
still count (finops/sql/price_usage.sql).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from .common import Emitter, RowError, line_of, model_fields, money, person, stable_id, text, timestamp, tokens
from .report_pages import page_items, read_pages

FORMAT = "claude_code_report"
LABEL = "Claude Code analytics report (/v1/organizations/usage_report/claude_code)"
GROUPING = "1d:actor,model"


def sniff(sample: Any) -> bool:
    head = sample.head
    return '"data"' in head and ('"model_breakdown"' in head or '"core_metrics"' in head and '"actor"' in head)


def read(path: Path, stream: IO[bytes], emit: Emitter) -> None:
    subscription = [0]
    read_pages(stream, emit, lambda page, where, counter: _page(page, where, counter, emit, subscription))
    if subscription[0]:
        emit.stats.notes.append(f"{subscription[0]} actor-day(s) under a Claude subscription (customer_type "
                                "subscription): paid by seats, not API spend; not loaded")


def _page(page: Any, where: int, counter: bool, emit: Emitter, subscription: list[int]) -> None:
    items = page_items(page, where, emit)
    if items is None:
        return
    for item in items:
        try:
            if isinstance(item, dict) and item.get("customer_type") == "subscription":
                subscription[0] += 1
                emit.ignore()
                continue
            records = item_records(item)
        except RowError as e:
            emit.reject(line_of(emit, where, counter), str(e))
            continue
        except RecursionError:
            emit.reject(line_of(emit, where, counter), "invalid JSON: nested too deeply")
            continue
        if not records:
            emit.ignore()  # an actor-day with no model used: nothing to price
        for record in records:
            line = line_of(emit, where, counter)
            if isinstance(record, RowError):
                emit.reject(line, str(record))
            else:
                emit.row(record, line)


def _actor(actor: Any) -> tuple[str, dict[str, Any]]:
    """(identity for the record id, user_id and api_key_id columns)."""
    if not isinstance(actor, dict):
        raise RowError("missing actor")
    if actor.get("type") == "api_actor" or "api_key_name" in actor:
        name = actor.get("api_key_name")
        if not isinstance(name, str) or not name:
            raise RowError("api_actor without api_key_name")
        return f"api:{name}", {"user_id": text(name), "api_key_id": text(name)}
    email = actor.get("email_address")
    if not isinstance(email, str) or not email:
        raise RowError("user_actor without email_address")
    return f"user:{email.lower()}", {"user_id": person(email), "api_key_id": None}


def _cents(value: Any) -> Any:
    amount = money(value, "estimated_cost.amount")
    return None if amount is None else money(amount / 100, "estimated_cost.amount")


def item_records(item: Any) -> list[dict[str, Any] | RowError]:
    """One row per model of an actor-day; a model entry that cannot be read is a RowError of its own."""
    if not isinstance(item, dict):
        raise RowError("item is not an object")
    identity, who = _actor(item.get("actor"))
    start = timestamp(item.get("date"), "date").replace(hour=0, minute=0, second=0, microsecond=0)
    breakdown = item.get("model_breakdown")
    if breakdown is None:
        breakdown = []
    if not isinstance(breakdown, list):
        raise RowError("model_breakdown is not a list")
    tags = {k: item.get(k) for k in ("customer_type", "subscription_type", "terminal_type", "organization_id")
            if isinstance(item.get(k), str)}
    tags["product"] = "claude_code"
    out: list[dict[str, Any] | RowError] = []
    for entry in breakdown:
        try:
            out.append(_model_row(entry, identity, who, start, tags))
        except RowError as e:
            out.append(e)
    return out


def _model_row(entry: Any, identity: str, who: dict[str, Any], start: Any, tags: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise RowError("model_breakdown entry is not an object")
    raw_tokens = entry.get("tokens")
    if not isinstance(raw_tokens, dict):
        raise RowError("missing tokens")
    cost = entry.get("estimated_cost") if isinstance(entry.get("estimated_cost"), dict) else {}
    currency = cost.get("currency")
    if currency is not None and str(currency).strip().upper() != "USD":
        raise RowError(f"estimated cost in {str(currency).strip()[:12]}, not USD: amounts are not converted")
    writes = tokens(raw_tokens.get("cache_creation"), "cache_creation") or 0
    model = entry.get("model")
    return {
        "record_id": stable_id(FORMAT, start.date(), identity, model),
        "granularity": "bucket",
        "grouping": GROUPING,
        "charge_period_start": start,
        "charge_period_end": start + timedelta(days=1),
        **model_fields(model),
        "platform": "anthropic",
        **who,
        "tags": text(json.dumps(tags, sort_keys=True)),
        "requests": None,
        "input_tokens": tokens(raw_tokens.get("input"), "input", required=True),
        "cache_write_5m_tokens": writes,
        "cache_write_1h_tokens": 0,
        "cache_ttl_assumed": writes > 0,
        "cache_read_tokens": tokens(raw_tokens.get("cache_read"), "cache_read") or 0,
        "output_tokens": tokens(raw_tokens.get("output"), "output", required=True),
        "web_search_requests": 0,
        "service_tier": "standard",
        "speed": "standard",
        "source_cost": _cents(cost.get("amount")),
    }
