"""Claude Console cost export (Console -> Cost -> Export), parsed by header name: three column generations.

Money, not tokens: one amount per day, model (a display name, "Claude Opus 4.6"), workspace, API key and token
type. Rows go to the `billing` table (platform anthropic). `cost_usd` is in dollars (unlike the cost report's
cents); `list_price_usd`, in the 2026-03 and later exports, is kept as the line's list cost.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from .cloud_common import Table, bill_model, required_rows
from .common import Emitter, RowError, money, stable_id, text, timestamp
from .console_usage_csv import CONTEXT

FORMAT = "console_cost_csv"
LABEL = "Claude Console cost CSV export (the bill)"
REQUIRED = ("usage_date_utc", "model", "cost_usd")
TOKEN_TYPES = {"input_no_cache": "input", "input_cache_read": "cache_read", "input_cache_write_5m": "cache_write_5m",
               "input_cache_write_1h": "cache_write_1h", "output": "output", "input_cache_write": "cache_write_5m"}
COST_TYPES = {"token": "tokens", "tokens": "tokens", "web_search": "web_search",
              "code_execution": "code_execution"}


def sniff(sample: Any) -> bool:
    names = set(sample.header or [])
    return {"usage_date_utc", "cost_usd"} <= names and bool({"token_type", "cost_type"} & names)


def read(path: Path, stream: IO[bytes], emit: Emitter) -> None:
    for number, row in required_rows(Table(path, stream), emit, REQUIRED):
        try:
            emit.bill(record(row), number)
        except RowError as e:
            emit.reject(number, str(e))


def record(row: dict[str, str]) -> dict[str, Any]:
    date_text = row["usage_date_utc"]
    start = timestamp(date_text, "usage_date_utc")
    end = start + (timedelta(hours=1) if len(date_text) > 10 else timedelta(days=1))
    cost = money(row.get("cost_usd"), "cost_usd")
    if cost is None:
        raise RowError("missing cost_usd")
    currency = row.get("currency")
    if currency and currency.upper() != "USD":
        raise RowError(f"cost in {currency[:12]}, not USD: amounts are not converted")
    name = row.get("model") or ""
    model = bill_model(name)
    token_type = (row.get("token_type") or "").lower()
    cost_type = COST_TYPES.get((row.get("cost_type") or "token").lower(), text((row.get("cost_type") or "")[:40]))
    tier = (row.get("usage_type") or "").lower()
    geo = text(row.get("inference_geo"))
    key = [row.get(c) for c in ("usage_date_utc", "model", "workspace", "api_key", "api_key_id", "usage_type",
                                "context_window", "token_type", "cost_type", "inference_geo", "speed")]
    return {
        "record_id": stable_id(FORMAT, *key),
        "platform": "anthropic",
        "charge_period_start": start,
        "charge_period_end": end,
        "charge_kind": "usage",
        "cost_type": cost_type,
        "token_class": TOKEN_TYPES.get(token_type),
        "model_raw": text(name),
        "model": model,
        "workspace": text(row.get("workspace")),
        "api_key_id": text(row.get("api_key_id") or row.get("api_key")),
        "service_tier": tier if tier in ("batch", "priority") else "standard",
        "context_window": CONTEXT.get(row.get("context_window") or ""),
        "inference_geo": geo.lower() if geo else None,
        "speed": "fast" if (row.get("speed") or "").lower() == "fast" else "standard",
        "description": None,
        "billed_cost": cost,
        "list_cost": money(row.get("list_price_usd"), "list_price_usd"),
    }
