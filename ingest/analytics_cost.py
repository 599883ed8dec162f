"""Anthropic Usage and Cost Analytics API, cost (`GET /v1/organizations/analytics/cost`, beta since 2026-10).

Each item of a page's `data` is `{"starting_at", "ending_at", "group": {...}, "cost": {"amount", "list_amount",
"currency", "requests"}}` (formats-2026.md 2.4): Anthropic's bill for one bucket and combination of the grouped
dimensions. Lines go to the `billing` table (platform anthropic), like the older cost report's.

Units: `amount` (after discounts, before credits) and `list_amount` (before discounts) are decimal strings in
cents, fractional cents allowed: "123.45" is $1.2345. finops divides by 100 and keeps 6 decimal places. The list
amount is the line's list cost, so the reconciliation and the realised discount use the bill's own list figure.
Any currency other than USD is rejected: amounts are never converted.

Group dimensions map as in the usage reader (analytics_usage.py): workspace, API key, model, service tier,
context window, inference geo, speed, token type and cost type to columns; the others (actor, product, session,
agent, ...) have no column in `billing`: they are part of the line's identity and are named in its description.
A page grouped by `rbac_group_id` is rejected (rows overstate the bill).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

from .analytics_usage import TAG_KEYS, actor_fields, dimension_fields, file_pages, group_of, grouped, period
from .anthropic_cost_report import TOKEN_TYPES, _cents
from .common import Emitter, RowError, clean, line_of, model_fields, stable_id, text

FORMAT = "anthropic_analytics_cost"
LABEL = "Anthropic Usage and Cost Analytics API cost (/v1/organizations/analytics/cost; the bill)"


def sniff(sample: Any) -> bool:
    head = sample.head
    return ('"data"' in head and '"group"' in head and '"cost"' in head and '"starting_at"' in head
            and ('"list_amount"' in head or '"amount"' in head) and '"results"' not in head)


def read(path: Path, stream: IO[bytes], emit: Emitter) -> None:
    for items, where, counter in file_pages(stream, emit):
        _page(items, where, counter, emit)


def _page(items: list[Any], where: int, counter: bool, emit: Emitter) -> None:
    page_dims = grouped(items)  # a page grouped by rbac_group_id is rejected (group_of)
    for item in items:
        line = line_of(emit, where, counter)
        try:
            emit.bill(record(item, page_dims), line)
        except RowError as e:
            emit.reject(line, str(e))
        except RecursionError:
            emit.reject(line, "invalid JSON: nested too deeply")


def _description(group: dict[str, Any]) -> str | None:
    """The dimensions billing has no column for, as 'key value; ...' (the actor masked like a user id)."""
    parts = []
    who = actor_fields(group.get("actor"))["user_id"] if group.get("actor") is not None else None
    if who:
        parts.append(f"actor {who}")
    for key in ("session_id", *TAG_KEYS):
        if group.get(key) is not None:
            parts.append(f"{key} {clean(str(group[key]), 80)}")
    return text("; ".join(parts)) if parts else None


def record(item: Any, page_dims: set[str]) -> dict[str, Any]:
    group = group_of(item, page_dims)
    start, end = period(item)
    cost = item.get("cost")
    if not isinstance(cost, dict):
        raise RowError("missing cost")
    currency = cost.get("currency")
    if currency is not None and str(currency).strip().upper() != "USD":
        raise RowError(f"amount in {str(currency).strip()[:12]}, not USD: amounts are not converted")
    amount = _cents(cost.get("amount"), "amount")
    if amount is None:
        raise RowError("missing amount")
    token_type = group.get("token_type")
    cost_type = group.get("cost_type") if isinstance(group.get("cost_type"), str) else None
    fields = dimension_fields(group)
    model = model_fields(group.get("model")) if isinstance(group.get("model"), str) else {"model_raw": None,
                                                                                          "model": None}
    return {
        "record_id": stable_id(FORMAT, start, end, json.dumps(group, sort_keys=True, default=str)),
        "platform": "anthropic",
        "charge_period_start": start,
        "charge_period_end": end,
        "charge_kind": "usage",
        "cost_type": text(cost_type) or ("tokens" if token_type else None),
        "token_class": TOKEN_TYPES.get(token_type) if isinstance(token_type, str) else None,
        "model_raw": model["model_raw"],
        "model": model["model"],
        "workspace": fields["workspace"],
        "api_key_id": fields["api_key_id"],
        "service_tier": fields["service_tier"] if group.get("service_tier") else None,
        "context_window": fields["context_window"],
        "inference_geo": fields["inference_geo"],
        "speed": fields["speed"],
        "description": _description(group),
        "billed_cost": amount,
        "list_cost": _cents(cost.get("list_amount"), "list_amount"),
    }
