"""FOCUS 1.0 to 1.4 cost and usage exports from any provider (Google Cloud, Azure, OCI, a reseller, or AWS without
its `x_UsageType` column, which ingest/aws_focus.py reads): the Claude lines. CSV, gzipped CSV, JSON lines or
Parquet, columns matched by name (`BilledCost`, `billed_cost` and `Billed Cost` meet).

A line is Claude when one of the columns that name what was sold mentions Claude: ServiceName, SkuId, SkuPriceId,
SkuMeter, ChargeDescription, SkuPriceDetails (its `ModelId`), ResourceName, or any `x_` column. The model is read
from the same columns (display names such as "Claude Sonnet 4.6", ids such as `claude-sonnet-4-6@20260217` or
`anthropic.claude-sonnet-4-6`); the token class from SkuPriceDetails' `TokenDirection`/`TokenCacheAction` (the
FOCUS 1.5 draft keys, `x_`-prefixed in 1.4 files; `x_CacheTtl` for the write duration), else from the words of the
meter, description and SKU ("cache read", "cache write 1h", "output"...); batch, long-context and global-endpoint
markers from the same words.

Tokens: ConsumedQuantity in ConsumedUnit (`Tokens`), else PricingQuantity in PricingUnit (`1000000 Tokens`, `1M
Tokens`, `1K Tokens`); a unit that says nothing is told from ListUnitPrice against the model's list rate, as for the
CUR. Each Claude usage line becomes an aggregated `usage` row (grouping 'focus') with BilledCost as source_cost;
the file's notes sum BilledCost, ListCost, ContractedCost and EffectiveCost over those lines. Credit, Adjustment,
Tax and Purchase lines, and corrections of closed periods (ChargeClass `Correction`), go to `billing`.

The platform is the host: AWS is Bedrock, Google is Vertex, Anthropic's own export the Anthropic API; any other
host (Microsoft, Snowflake, Databricks, Oracle, a reseller) is a platform of its own (finops/platforms.py), priced at
the Anthropic API's list rates (the notes say so) and never summed or deduplicated against the Anthropic sources.
A file in which no line names Claude is skipped, with the FOCUS version its columns show, its provider, its line
count and the columns searched.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from finops.models import resolve
from finops.platforms import HOSTS, host_platform

from . import bedrock_cur
from .cloud_common import (
    TOKEN_CLASSES,
    TOKEN_COLUMN,
    Table,
    bill_model,
    json_value,
    list_rate,
    pick,
    quantity,
    unit_from_rate,
    unit_multiplier,
    whole_tokens,
)
from .common import Emitter, RowError, money, open_binary, stable_id, text, timestamp

FORMAT = "focus"
LABEL = "FOCUS 1.0-1.4 export, any provider: Claude lines"
GROUPING = "focus"
NAMING = ("service_name", "sku_id", "sku_price_id", "sku_meter", "charge_description", "resource_name")
NAMING_LABELS = {"service_name": "ServiceName", "sku_id": "SkuId", "sku_price_id": "SkuPriceId",
                 "sku_meter": "SkuMeter", "charge_description": "ChargeDescription",
                 "resource_name": "ResourceName", "sku_price_details": "SkuPriceDetails"}
CATEGORIES = {"usage": "usage", "credit": "credit", "tax": "tax", "adjustment": "adjustment",
              "purchase": "adjustment"}
GENERIC_UNITS = ("", "unit", "units", "count", "each")


def _names(sample: Any) -> set[str]:
    """The sample's column names, compacted: a CSV or Parquet header, or the keys of a JSON-lines row."""
    names = sample.header or (list(sample.first_obj) if isinstance(sample.first_obj, dict) else [])
    return {re.sub(r"[\s_]", "", str(n).lower()) for n in names}


def sniff(sample: Any) -> bool:
    names = _names(sample)
    return ({"billedcost", "chargeperiodstart", "servicename"} <= names and "xfinopsrecordid" not in names
            and "xusagetype" not in names)


def why_not(sample: Any) -> str | None:
    """Why a FOCUS-shaped file is not read, when that is the reason (detect() asks after no reader took it)."""
    if {"billedcost", "chargeperiodstart", "servicename", "xfinopsrecordid"} <= _names(sample):
        return ("finops's own FOCUS export (x_FinopsRecordId): not read back as a bill, its rows are the usage "
                "finops read from other files")
    return None


def version(header: list[str]) -> str:
    """The FOCUS version the columns show (1.4 added InvoiceDetailId and CommitmentProgramEligibilityDetails; 1.3
    ServiceProviderName, HostProviderName, ContractApplied and the allocation columns)."""
    names = set(header)
    if names & {"invoice_detail_id", "commitment_program_eligibility_details"}:
        return "1.4"
    if names & {"service_provider_name", "host_provider_name", "contract_applied", "allocated_method_id"}:
        return "1.3"
    return "1.0-1.2"


def _details(row: dict[str, Any]) -> dict[str, Any]:
    details = json_value(row.get("sku_price_details"))
    return details if isinstance(details, dict) else {}


def _detail(details: dict[str, Any], key: str) -> Any:
    for name in (key, f"x_{key}", f"x_{key[0].lower()}{key[1:]}"):
        if details.get(name) not in (None, ""):
            return details[name]
    return None


def _naming_text(row: dict[str, Any]) -> list[str]:
    values = [row.get(c) for c in NAMING]
    values += [v for k, v in row.items() if k.startswith("x_")]
    model_id = _detail(_details(row), "ModelId")
    values.append(model_id)
    return [v for v in values if isinstance(v, str) and v.strip()]


def is_claude(row: dict[str, Any]) -> bool:
    return any("claude" in v.lower() for v in _naming_text(row))


_TOKENS = re.compile(r"[\s_\-./:()@,]+")


def find_model(*values: Any) -> tuple[str | None, str | None]:
    """(canonical model, the text it was found in) from free text: the longest run of words starting at 'claude'
    that names a known model ('Claude Sonnet 4.6 Input Tokens', 'claude-sonnet-4-6-input', 'Claude 3.5 Sonnet')."""
    for value in values:
        if not isinstance(value, str) or "claude" not in value.lower():
            continue
        direct = bill_model(value) or resolve(value).model
        if direct:
            return direct, value
        words = [w for w in _TOKENS.split(value.lower()) if w]
        for i, word in enumerate(words):
            if word != "claude":
                continue
            for end in range(min(len(words), i + 8), i + 1, -1):
                candidate = " ".join(words[i:end])
                model = bill_model(candidate) or resolve(candidate.replace(" ", "-")).model
                if model:
                    return model, value
    return None, None


def _words(row: dict[str, Any]) -> str:
    parts = [row.get(c) for c in ("sku_meter", "charge_description", "sku_id", "sku_price_id")]
    parts += [v for k, v in row.items() if k.startswith("x_") and isinstance(v, str)]
    return " " + re.sub(r"[^a-z0-9]+", " ", " ".join(p for p in parts if isinstance(p, str)).lower()) + " "


def token_class(row: dict[str, Any]) -> str | None:
    details = _details(row)
    direction = str(_detail(details, "TokenDirection") or "").lower()
    action = str(_detail(details, "TokenCacheAction") or "").lower()
    ttl = str(_detail(details, "CacheTtl") or _detail(details, "CacheDuration") or "").lower()
    words = _words(row)
    if direction == "output":
        return "output"
    if direction == "input" and action in ("read", "write", "uncached"):
        if action == "read":
            return "cache_read"
        if action == "write":
            return "cache_write_1h" if ("1h" in ttl or "60" in ttl or " 1h " in words or " 1 hour" in words) \
                else "cache_write_5m"
        return "input"
    if re.search(r" cache(d)? (read|hit)s? | cached input | cache read", words):
        return "cache_read"
    if re.search(r" cache (write|creation|storage)s? |cachewrite|cache writes", words):
        return "cache_write_1h" if re.search(r" (1h|1 hour|60m|3600) ", words) else "cache_write_5m"
    if re.search(r" (output|completion|response)s? ", words) or direction == "output":
        return "output"
    if re.search(r" (input|prompt)s? ", words) or direction == "input":
        return "input"
    return None


def platform_of(row: dict[str, Any]) -> str:
    """The host is the platform (finops/platforms.py): the first of HostProviderName (1.3 on), ProviderName (to 1.2),
    InvoiceIssuerName and ServiceProviderName that the line fills. A host other than AWS, Google and Anthropic is
    its own platform, so its lines never compete with the Anthropic API's own sources."""
    for column in ("host_provider_name", "provider_name", "invoice_issuer_name", "service_provider_name"):
        found = host_platform(str(pick(row, column) or ""))
        if found:
            return found
    return "other"


def _tokens(row: dict[str, Any], model: str | None, token_cls: str, day: Any) -> tuple[int, str]:
    consumed = quantity(pick(row, "consumed_quantity"), "ConsumedQuantity")
    pricing = quantity(pick(row, "pricing_quantity"), "PricingQuantity")
    consumed_unit = str(pick(row, "consumed_unit") or "")
    if consumed is not None and consumed_unit.strip().lower() not in GENERIC_UNITS:
        amount, unit = consumed, consumed_unit
    elif pricing is not None:
        amount, unit = pricing, str(pick(row, "pricing_unit") or "")
    elif consumed is not None:
        amount, unit = consumed, consumed_unit
    else:
        raise RowError("missing ConsumedQuantity and PricingQuantity")
    multiplier = unit_multiplier(unit)
    how = f"by its unit {unit[:20]!r}"
    if multiplier is None:
        per_unit = quantity(pick(row, "list_unit_price", "contracted_unit_price"), "ListUnitPrice")
        rate = list_rate(model, token_cls, day)
        if per_unit and rate:
            multiplier = unit_from_rate(per_unit, rate)
            how = "by its unit price against the list rate"
        if multiplier is None:
            raise RowError(f"usage unit not understood: {unit[:30]!r}")
    return whole_tokens(amount * multiplier, "usage quantity"), f"{how}"


class Totals:
    """What a file's Claude usage lines state, for its notes (money in USD)."""

    def __init__(self) -> None:
        self.sums = {c: Decimal(0) for c in ("BilledCost", "ListCost", "ContractedCost", "EffectiveCost")}
        self.units: Counter[str] = Counter()
        self.resold: Counter[tuple[str, str]] = Counter()  # (host as written, platform): lines
        self.stated: set[str] = set()  # the cost columns the file fills

    def add(self, row: dict[str, Any]) -> None:
        """Add a line's costs (all parsed first: a line with one bad amount is rejected and adds nothing)."""
        values = {name: money(pick(row, column), name) for name, column in (
            ("BilledCost", "billed_cost"), ("ListCost", "list_cost"), ("ContractedCost", "contracted_cost"),
            ("EffectiveCost", "effective_cost"))}
        for name, value in values.items():
            if value is not None:
                self.sums[name] += value
                self.stated.add(name)

    def write(self, emit: Emitter, lines: int) -> None:
        if lines:
            emit.stats.notes.append(f"{lines} Claude usage line(s): " + ", ".join(
                f"{name} ${value:,.6f}" for name, value in self.sums.items() if name in self.stated))
        for how, rows in sorted(self.units.items()):
            emit.stats.notes.append(f"{rows} line(s): usage quantity read {how}")
        for (host, platform), rows in sorted(self.resold.items()):
            emit.stats.notes.append(f"{rows} line(s) hosted by {host} (platform '{platform}'): priced at the "
                                    "Anthropic API's list rates")


def record(row: dict[str, Any], totals: Totals) -> tuple[str, dict[str, Any]]:
    currency = pick(row, "billing_currency")
    if currency is not None and str(currency).strip().upper() != "USD":
        raise RowError(f"billed in {str(currency).strip()[:12]}, not USD: amounts are not converted")
    start = timestamp(pick(row, "charge_period_start"), "ChargePeriodStart")
    end_raw = pick(row, "charge_period_end")
    end = timestamp(end_raw, "ChargePeriodEnd") if end_raw not in (None, "") else None
    cost = money(pick(row, "billed_cost"), "BilledCost")
    if cost is None:
        raise RowError("missing BilledCost")
    service = pick(row, "service_name")
    model, named_by = find_model(service, _detail(_details(row), "ModelId"), pick(row, "sku_meter"),
                                 pick(row, "charge_description"), pick(row, "sku_id"), pick(row, "sku_price_id"),
                                 pick(row, "resource_name"), *(v for k, v in row.items() if k.startswith("x_")))
    model_raw = text(named_by or service or pick(row, "sku_meter", "charge_description"))
    platform = platform_of(row)
    category = str(pick(row, "charge_category") or "Usage").strip().lower()
    kind = CATEGORIES.get(category, "adjustment")
    if str(pick(row, "charge_class") or "").strip().lower() == "correction":
        kind = "adjustment"  # a correction to a closed period: money, not this period's tokens
    words = _words(row)
    cls = token_class(row)
    tags = json_value(pick(row, "tags"))
    record_id = stable_id(FORMAT, json.dumps(row, sort_keys=True, default=str))
    workspace = text(pick(row, "sub_account_id", "billing_account_id"))
    region = text(pick(row, "region_id", "region_name"))
    tier = "batch" if " batch " in words else "priority" if " priority " in words else "standard"
    if kind != "usage" or cls is None:
        return "bill", {
            "record_id": record_id, "platform": platform, "charge_period_start": start, "charge_period_end": end,
            "charge_kind": kind, "cost_type": "tokens" if cls else "other", "token_class": cls,
            "model_raw": model_raw, "model": model, "workspace": workspace, "region": region,
            "service_tier": tier, "description": text(pick(row, "charge_description", "sku_meter")),
            "billed_cost": cost, "list_cost": None,
        }
    count, how = _tokens(row, model, cls, start.date())
    totals.add(row)
    totals.units[how] += 1
    if platform in HOSTS:
        host = text(pick(row, "host_provider_name", "provider_name", "invoice_issuer_name", "service_provider_name"))
        totals.resold[(str(host or "an unnamed host")[:40], platform)] += 1
    usage = {
        "record_id": record_id,
        "granularity": "bucket",
        "grouping": GROUPING,
        "platform": platform,
        "charge_period_start": start,
        "charge_period_end": end,
        "workspace": workspace,
        "tags": text(json.dumps(tags, sort_keys=True, default=str)) if isinstance(tags, dict) and tags else None,
        "model_raw": model_raw,
        "model": model,
        "requests": None,
        **{TOKEN_COLUMN[c]: 0 for c in TOKEN_CLASSES},
        "cache_ttl_assumed": False,
        "web_search_requests": 0,
        "service_tier": tier,
        "speed": "fast" if " fast " in words else "standard",
        # Vertex bills its global endpoint in region "global"; Bedrock's global profiles say so in the SKU.
        "endpoint_scope": "global" if " global " in words or str(region).lower() == "global" else (
            "regional" if platform in ("bedrock", "vertex") and (" regional " in words or region) else None),
        "region": region,
        "context_window": "200k-1M" if re.search(r" (long context|200k 1m|gt 200k|above 200k) ", words)
        else "0-200k",
        "source_cost": cost,
    }
    usage[TOKEN_COLUMN[cls]] = count
    return "usage", usage


def _who(row: dict[str, Any]) -> Any:
    return pick(row, "service_provider_name", "provider_name", "host_provider_name", "invoice_issuer_name")


def _providers(path: Path) -> Counter[str]:
    """Lines per provider, every line of the file read by the reference reader."""
    provider: Counter[str] = Counter()
    with open_binary(path) as stream:
        table = Table(path, stream, parquet=bedrock_cur._is_parquet(path))
        table.words = ()
        for _, row in table.rows():
            if not isinstance(row, RowError) and isinstance(who := _who(row), str):
                provider[who.strip()] += 1
    return provider


def read(path: Path, stream: IO[bytes], emit: Emitter) -> None:
    table = Table(path, stream, parquet=bedrock_cur._is_parquet(path), words=("claude",),
                  stats=emit.stats)  # see is_claude
    totals = Totals()
    lines = claude = 0
    provider: Counter[str] = Counter()
    for number, row in table.rows():
        lines += 1
        if isinstance(row, RowError):
            emit.reject(number, str(row))
            continue
        who = _who(row)
        if isinstance(who, str):
            provider[who.strip()] += 1
        if not is_claude(row):
            emit.ignore()
            continue
        claude += 1
        try:
            kind, rec = record(row, totals)
        except RowError as e:
            emit.reject(number, str(e))
            continue
        if kind == "usage":
            emit.row(rec, number)
        else:
            emit.bill(rec, number)
    lines += table.skipped  # lines the fast path proved name no Claude model (not parsed)
    if table.error:
        emit.stats.error = table.error
    totals.write(emit, sum(totals.units.values()))
    if claude == 0 and emit.stats.rows_read == 0 and not table.error:
        if table.skipped:  # the skipped lines' providers too, for the reason below: the file read again in full
            provider = _providers(path)
        header = table.header or []
        searched = [NAMING_LABELS[c] for c in (*NAMING, "sku_price_details") if c in header]
        if any(c.startswith("x_") for c in header):
            searched.append("x_ columns")
        source = max(provider, key=lambda p: (provider[p], p)) if provider else "an unnamed provider"
        emit.stats.skip_reason = (f"FOCUS {version(header)} export from {text(source)}: {lines:,} line(s), none "
                                  f"names a Claude model in {'/'.join(searched) or 'its service or SKU columns'}")
