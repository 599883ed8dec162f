"""Anthropic Usage & Cost API cost report (`/v1/organizations/cost_report`; also the Analytics API cost report).

Money, not tokens: each result is one amount for one day and, depending on the query's group_by, one description
(model, token type, tier, context window, inference geo) and workspace. Rows go to the `billing` table (platform
anthropic), where reconciliation compares them with the usage report or logs of the same month.

`amount` is in the currency's lowest unit, cents, as a decimal string: "123.45" is $1.2345 (formats.md 2.2);
finops divides by 100 and keeps 6 decimal places. The Analytics API's `list_amount` (also cents) is kept as the
line's list cost. Any currency other than USD is rejected: amounts are never converted. When `model` is absent the
model is read from the description ("Claude Sonnet 4 Usage - Input Tokens"); when both are there, `model` wins.

Accepts one page (a JSON object), a JSON array of pages, or pages one per line, like the usage report reader.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from .cloud_common import bill_model
from .common import (
    Emitter,
    RowError,
    line_of,
    money,
    stable_id,
    text,
    timestamp,
)
from .common import (
    model_fields as _model_fields,
)
from .report_pages import read_pages

FORMAT = "anthropic_cost_report"
LABEL = "Anthropic Usage & Cost API cost report (the bill)"
TOKEN_TYPES = {
    "uncached_input_tokens": "input",
    "output_tokens": "output",
    "cache_read_input_tokens": "cache_read",
    "cache_creation.ephemeral_5m_input_tokens": "cache_write_5m",
    "cache_creation.ephemeral_1h_input_tokens": "cache_write_1h",
}
DIMENSIONS = ("workspace_id", "description", "model", "cost_type", "token_type", "service_tier", "context_window",
              "inference_geo", "speed", "currency")
_DESCRIPTION_MODEL = re.compile(r"^(?P<model>Claude .+?)\s+Usage\b", re.I)


def sniff(sample: Any) -> bool:
    head = sample.head
    return ('"starting_at"' in head and '"results"' in head and '"amount"' in head
            and ('"cost_type"' in head or '"currency"' in head) and '"uncached_input_tokens":' not in head)


def read(path: Path, stream: IO[bytes], emit: Emitter) -> None:
    read_pages(stream, emit, lambda page, where, counter: _page(page, where, emit, counter))




def _page(page: Any, where: int, emit: Emitter, counter: bool) -> None:
    buckets = page.get("data") if isinstance(page, dict) else None
    if not isinstance(buckets, list):
        emit.reject(where, "page has no data list")
        return
    for bucket in buckets:
        results = bucket.get("results") if isinstance(bucket, dict) else None
        if not isinstance(results, list):
            emit.reject(line_of(emit, where, counter), "bucket has no results list")
            continue
        for result in results:
            line = line_of(emit, where, counter)
            try:
                emit.bill(record(bucket, result), line)
            except RowError as e:
                emit.reject(line, str(e))
            except RecursionError:
                emit.reject(line, "invalid JSON: nested too deeply")


def _cents(value: Any, name: str) -> Decimal | None:
    amount = money(value, name)
    return None if amount is None else money(amount / 100, name)


def record(bucket: dict[str, Any], result: Any) -> dict[str, Any]:
    if not isinstance(result, dict):
        raise RowError("result is not an object")
    start = timestamp(bucket.get("starting_at"), "starting_at")
    end = timestamp(bucket.get("ending_at"), "ending_at")
    if end <= start:
        raise RowError("ending_at is not after starting_at")
    currency = result.get("currency")
    if currency is not None and str(currency).strip().upper() != "USD":
        raise RowError(f"amount in {str(currency).strip()[:12]}, not USD: amounts are not converted")
    amount = _cents(result.get("amount"), "amount")
    if amount is None:
        raise RowError("missing amount")
    description = result.get("description") if isinstance(result.get("description"), str) else None
    model_raw = result.get("model") if isinstance(result.get("model"), str) else None
    fields = _model_fields(model_raw) if model_raw else {"model_raw": None, "model": None}
    if not model_raw and description:
        found = _DESCRIPTION_MODEL.match(description)
        if found:
            fields = {"model_raw": text(found["model"]), "model": bill_model(found["model"])}
    token_type = result.get("token_type")
    cost_type = result.get("cost_type") if isinstance(result.get("cost_type"), str) else None
    tier = result.get("service_tier")
    geo = result.get("inference_geo")
    return {
        "record_id": stable_id(FORMAT, start, end, *(json.dumps(result.get(d), default=str) for d in DIMENSIONS)),
        "platform": "anthropic",
        "charge_period_start": start,
        "charge_period_end": end,
        "charge_kind": "usage",
        "cost_type": text(cost_type) or ("tokens" if token_type else None),
        "token_class": TOKEN_TYPES.get(token_type) if isinstance(token_type, str) else None,
        "model_raw": fields["model_raw"],
        "model": fields["model"],
        "workspace": text(result.get("workspace_id")),
        "service_tier": "batch" if tier == "batch" else "priority" if tier in ("priority", "priority_on_demand")
        else "standard" if tier else None,
        "context_window": text(result.get("context_window")),
        "inference_geo": text(geo.lower()) if isinstance(geo, str) else None,
        "speed": "fast" if result.get("speed") == "fast" else "standard",
        "description": text(description),
        "billed_cost": amount,
        "list_cost": _cents(result.get("list_amount"), "list_amount"),
    }
