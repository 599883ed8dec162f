"""Google Cloud Billing export (standard or detailed usage cost, as exported from BigQuery: CSV or JSON lines, also
gzipped): the Claude on Vertex AI rows.

Each Claude model is a billing service of its own ("Claude Sonnet 4.6"); its SKUs name the token class, the
endpoint region and the context tier, em-dash delimited: "Claude Sonnet 4.6 — Input Cache Write Tokens (TTL 3600
seconds) — us-east5 — Context Window Size from 0 to 200000 Tokens" (older ones: "Claude 3 Haiku Input Tokens").
A row is taken as Claude when its service or SKU description starts with "Claude"; other rows are not records
(counted as ignored lines), and so are "AI Dev Tools: Claude ..." rows (Agent Builder seats, not tokens).

Each Claude usage row becomes an aggregated `usage` row (grouping 'gcp_billing') with the tokens of its class, the
project id as workspace, the labels as tags, the SKU's region (`global` is the global endpoint, any other region
or multi-region is regional) and `source_cost` = `cost` (before credits). Tokens: `usage.amount` when
`usage.unit` is a count of tokens, else `usage.amount_in_pricing_units` times `usage.pricing_unit` ("1M tokens",
"1K tokens"); a unit that says neither is rejected. Each row's `credits` (a list of {name, amount, type}) go to the
`billing` table as derived lines (they are part of the row, not records of their own); `cost_type` tax,
adjustment and rounding_error rows are bill lines too. Rows in a currency other than USD are rejected: amounts
are never converted.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import IO, Any

from . import fast_bills
from .cloud_common import (
    TOKEN_CLASSES,
    TOKEN_COLUMN,
    Table,
    bill_model,
    json_value,
    pick,
    quantity,
    unit_multiplier,
    whole_tokens,
)
from .common import Emitter, RowError, money, stable_id, text, timestamp

FORMAT = "gcp_billing"
LABEL = "Google Cloud billing export: Claude on Vertex AI"
GROUPING = "gcp_billing"
KINDS = {"regular": "usage", "tax": "tax", "adjustment": "adjustment", "rounding_error": "adjustment"}
_SKU_PARTS = re.compile(r"\s+[—–]\s+")
_CONTEXT = re.compile(r"from\s+(\d+)\s+to\s+(\d+)", re.I)
_COUNT_UNITS = {"count", "token", "tokens", "1"}


def _names(sample: Any) -> set[str]:
    if sample.header:
        return {n.replace("_", ".").replace("..", ".") for n in sample.header}
    names: set[str] = set()
    for obj in sample.objects[:3]:
        for key, value in obj.items():
            names.add(key)
            if isinstance(value, dict):
                names.update(f"{key}.{k}" for k in value)
    return names


def sniff(sample: Any) -> bool:
    names = _names(sample)
    return ("sku.description" in names and "service.description" in names and "cost" in names
            and bool({"usage.amount", "usage.amount.in.pricing.units"} & names))


def _get(row: dict[str, Any], dotted: str) -> Any:
    """A column by its dotted name, whichever way the export spelled it (service.description, service_description)."""
    return pick(row, dotted, dotted.replace(".", "_"))


def parse_sku(sku: str) -> tuple[str | None, str | None, str | None, str | None]:
    """(model text, token class, region, context window) from a Claude SKU description."""
    parts = _SKU_PARTS.split(sku.strip())
    if len(parts) >= 2:
        model_text, kind = parts[0], parts[1]
        region = parts[2].strip() if len(parts) > 2 else None
        context = parts[3] if len(parts) > 3 else ""
    else:  # "Claude 3 Haiku Input Tokens"
        found = re.match(r"^(?P<model>Claude.*?)\s+(?P<kind>(Input|Output|Cache).*Tokens.*)$", sku.strip(), re.I)
        if not found:
            return None, None, None, None
        model_text, kind, region, context = found["model"], found["kind"], None, ""
    k = kind.lower()
    if "cache" in k and "read" in k:
        token_class: str | None = "cache_read"
    elif "cache" in k and "write" in k:
        token_class = "cache_write_1h" if ("3600" in k or "1h" in k or "1 hour" in k) else "cache_write_5m"
    elif "input" in k:
        token_class = "input"
    elif "output" in k:
        token_class = "output"
    else:
        token_class = None
    window = None
    bounds = _CONTEXT.search(context or "")
    if bounds:
        window = "200k-1M" if int(bounds[1]) >= 200_000 else "0-200k"
    return model_text, token_class, region, window


def _labels(value: Any) -> dict[str, Any]:
    value = json_value(value)
    if isinstance(value, dict):
        return value
    if isinstance(value, list):
        return {str(x.get("key")): x.get("value") for x in value if isinstance(x, dict) and "key" in x}
    return {}


def _credits(value: Any) -> list[dict[str, Any]]:
    value = json_value(value)
    if isinstance(value, list):
        return [c for c in value if isinstance(c, dict)]
    return []


def read(path: Path, stream: IO[bytes], emit: Emitter) -> None:
    from .bedrock_cur import Done
    from .bulk_columns import ColumnRows
    from .bulk_gcp import GcpBulk  # the Claude rows of a CSV export read in bulk, as this module reads them

    # A row that does not name Claude is not a record (see _records): the fast path need not parse it.
    table = Table(path, stream, words=("claude",), stats=emit.stats, bulk=GcpBulk)
    table.tables = emit.takes_tables
    units: dict[str, int] = {}
    for number, row in table.rows():
        if type(row) is ColumnRows:  # a batch's plain usage rows read as columns (bulk_gcp.py)
            for how, count in row.notes():
                units[how] = units.get(how, 0) + count
            emit.rows_table(row.arrow(emit.stats.format, emit.stats.path))
            continue
        if type(row) is Done:  # read in bulk (bulk_gcp.py): the row _records would have made
            units[row.note] = units.get(row.note, 0) + 1
            emit.row(row.record, number, unicode_checked=True)  # from valid UTF-8 lines
            continue
        if row is fast_bills.IGNORED:
            emit.ignore()
            continue
        if isinstance(row, RowError):
            emit.reject(number, str(row))
            continue
        try:
            out = _records(row, units)
        except RowError as e:
            emit.reject(number, str(e))
            continue
        if out is None:
            emit.ignore()
            continue
        kind, record, credits = out
        if kind == "usage":
            emit.row(record, number)
        else:
            emit.bill(record, number)
        for credit in credits:
            emit.bill(credit, number, derived=True)
    if table.error:
        emit.stats.error = table.error
    for how, rows in sorted(units.items()):
        emit.stats.notes.append(f"{rows} row(s): tokens {how}")


def _records(row: dict[str, Any], units: dict[str, int]) -> tuple[str, dict[str, Any], list[dict[str, Any]]] | None:
    service = _get(row, "service.description")
    sku = _get(row, "sku.description")
    service_text = service.strip().lower() if isinstance(service, str) else ""
    sku_text = sku.strip().lower() if isinstance(sku, str) else ""
    if service_text.startswith("ai dev tools") or not (
            service_text.startswith("claude") or sku_text.startswith("claude")):
        return None  # not Claude; "AI Dev Tools: Claude ..." (Agent Builder) is not token usage either
    currency = _get(row, "currency")
    if currency is not None and str(currency).strip().upper() != "USD":
        raise RowError(f"billed in {str(currency).strip()[:12]}, not USD: amounts are not converted "
                       "(export the billing data in USD)")
    model_text, token_class, sku_region, window = parse_sku(sku if isinstance(sku, str) else "")
    model = bill_model(model_text) or bill_model(service)
    start = timestamp(_get(row, "usage_start_time"), "usage_start_time")
    end_value = _get(row, "usage_end_time")
    end = timestamp(end_value, "usage_end_time") if end_value not in (None, "") else None
    if end is not None and end <= start:
        raise RowError("usage_end_time is not after usage_start_time")
    region = text(sku_region) or text(_get(row, "location.region")) or text(_get(row, "location.location"))
    project = text(_get(row, "project.id")) or text(_get(row, "project.name"))
    cost = money(_get(row, "cost"), "cost")
    if cost is None:
        raise RowError("missing cost")
    kind = KINDS.get(str(_get(row, "cost_type") or "regular").strip().lower(), "adjustment")
    key = (_get(row, "billing_account_id"), service, sku, _get(row, "sku.id"), start, end, project, region,
           _get(row, "resource.name"), json.dumps(_labels(_get(row, "labels")), sort_keys=True, default=str),
           kind, str(cost))
    record_id = stable_id(FORMAT, *key)
    common = {"platform": "vertex", "charge_period_start": start, "charge_period_end": end,
              "model_raw": text(model_text or service), "model": model, "workspace": project, "region": region}
    credits = []
    for index, credit in enumerate(_credits(_get(row, "credits")), start=1):
        amount = money(credit.get("amount"), "credits.amount")
        if not amount:
            continue
        credits.append({**common, "record_id": stable_id(FORMAT, record_id, "credit", index),
                        "charge_kind": "credit", "cost_type": str(credit.get("type") or "credit").lower()[:40],
                        "token_class": token_class, "description": text(credit.get("full_name") or credit.get("name")),
                        "billed_cost": amount, "list_cost": None})
    if kind != "usage" or token_class is None:
        return "bill", {**common, "record_id": record_id, "charge_kind": kind,
                        "cost_type": "tokens" if token_class else "other", "token_class": token_class,
                        "description": text(sku), "billed_cost": cost, "list_cost": None}, credits
    tokens = _tokens(row, units)
    record = {
        **common,
        "record_id": record_id,
        "granularity": "bucket",
        "grouping": GROUPING,
        "tags": text(json.dumps(_labels(_get(row, "labels")), sort_keys=True)) or None,
        "requests": None,
        **{TOKEN_COLUMN[c]: 0 for c in TOKEN_CLASSES},
        "cache_ttl_assumed": False,
        "web_search_requests": 0,
        "service_tier": "batch" if "batch" in str(sku).lower() else "standard",
        "speed": "standard",
        "endpoint_scope": None if region is None else "global" if region.lower() == "global" else "regional",
        "context_window": window or "0-200k",
        "source_cost": cost,
    }
    if record["tags"] == "{}":
        record["tags"] = None
    record[TOKEN_COLUMN[token_class]] = tokens
    return "usage", record, credits


def _tokens(row: dict[str, Any], units: dict[str, int]) -> int:
    amount = quantity(_get(row, "usage.amount"), "usage.amount")
    unit = _get(row, "usage.unit")
    if amount is not None and isinstance(unit, str) and unit.strip().lower() in _COUNT_UNITS:
        how = f"from usage.amount ({unit.strip()[:20]})"
        tokens = whole_tokens(amount, "usage.amount")
    else:
        pricing_amount = quantity(_get(row, "usage.amount_in_pricing_units"), "usage.amount_in_pricing_units")
        pricing_unit = _get(row, "usage.pricing_unit")
        multiplier = unit_multiplier(pricing_unit)
        if pricing_amount is not None and multiplier is not None:
            how = f"from usage.amount_in_pricing_units x {str(pricing_unit)[:20]!r}"
            tokens = whole_tokens(pricing_amount * multiplier, "usage.amount_in_pricing_units")
        elif amount is not None and unit_multiplier(unit) is not None:
            how = f"from usage.amount in {str(unit)[:20]!r}"
            tokens = whole_tokens(amount * unit_multiplier(unit), "usage.amount")  # type: ignore[operator]
        elif amount is None and pricing_amount is None:
            raise RowError("missing usage.amount")
        else:
            raise RowError(f"usage unit not understood: {str(unit)[:30]!r} / {str(pricing_unit)[:30]!r}")
    units[how] = units.get(how, 0) + 1
    return tokens
