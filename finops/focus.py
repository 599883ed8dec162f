"""FOCUS export (1.4 by default; 1.3 and 1.2 on request): the priced usage as a FOCUS cost and usage dataset.

One FOCUS row per usage row of the spend basis (the rows the report's totals count) and token class with tokens
(uncached input, 5-minute and 1-hour cache writes, cache reads, output), plus one per row with web searches;
plus the credit, discount, refund, tax and adjustment lines of a cloud bill (AWS CUR or FOCUS export, Google
Cloud billing export) that is the spend basis of its platform. Every mandatory column of the chosen version is
present (the lists: ../shared/reference/formats-2026.md section 1):

- ServiceCategory "AI and Machine Learning" (ServiceSubcategory "Generative AI"); ServiceProviderName and
  HostProviderName (1.3 on; ProviderName and PublisherName until 1.3, removed in 1.4) Anthropic, AWS or Google
  Cloud; InvoiceIssuerName Anthropic, Amazon Web Services or Google Cloud.
- Units follow FOCUS's UnitFormat (a positive integer, then the plural unit): PricingQuantity = tokens / 1,000,000
  in "1000000 Tokens" (web searches: searches / 1,000 in "1000 Searches"); ConsumedQuantity = tokens in "Tokens".
- ListCost at list prices (with the row's batch, regional, US-only multipliers); ContractedCost at your rates
  (list unless --prices); BilledCost what a cloud bill line states it billed, else ContractedCost; EffectiveCost
  the billed cost after the bill's own discount lines for the same model and account that month, spread over its
  usage lines in proportion to what they billed (those discount lines then carry EffectiveCost 0, so nothing is
  counted twice). Costs are decimals (never floats): Parquet DECIMAL(38,12), CSV plain decimal text.
- SkuPriceDetails describes each token row with the AI model keys of the FOCUS draft for AI billing
  (TokenDirection, TokenCacheAction, ModelId, ModelDeveloper). They are a 1.5 draft, so in a 1.2 to 1.4 file
  they are x_ keys (x_TokenDirection, ...); the 5-minute/1-hour write split is x_CacheTtl in every version.
- ChargePeriodStart/End: the bucket's, or for a request its timestamp and one second later (the end is exclusive);
  BillingPeriodStart/End: the calendar month (UTC) of the charge.
- Unpriced rows (unknown models) are left out, because FOCUS costs cannot be null and finops never prices at $0;
  the command says how many.
- ContractApplied (1.3 on) is present and null: finops writes no Contract Commitment dataset for it to point
  to. The split cost allocation columns (Allocated*) are not written: finops does not split shared costs, so
  their condition (IncludesSplitCostAllocation) does not hold.

Project-specific columns are prefixed `x_` (x_FinopsRecordId, x_TokenClass, x_Model, x_SourceFormat, ...).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from .errors import FinopsError
from .platforms import HOSTS, PLATFORM_LABEL, VENDOR

VERSIONS = ("1.2", "1.3", "1.4")
FOCUS_VERSION = "1.4"  # the default
# The FOCUS 1.2 mandatory columns and their FOCUS data types (FOCUS_Spec v1.2, specification/columns).
MANDATORY_12: dict[str, str] = {
    "BilledCost": "Decimal", "BillingAccountId": "String", "BillingAccountName": "String",
    "BillingCurrency": "String", "BillingPeriodEnd": "Date/Time", "BillingPeriodStart": "Date/Time",
    "ChargeCategory": "String", "ChargeClass": "String", "ChargeDescription": "String",
    "ChargePeriodEnd": "Date/Time", "ChargePeriodStart": "Date/Time", "ContractedCost": "Decimal",
    "EffectiveCost": "Decimal", "InvoiceIssuerName": "String", "ListCost": "Decimal", "PricingQuantity": "Decimal",
    "PricingUnit": "String", "ProviderName": "String", "PublisherName": "String", "ServiceCategory": "String",
    "ServiceName": "String",
}
# 1.3 adds ServiceProviderName and HostProviderName and deprecates ProviderName and PublisherName (generators
# should ship both during the transition); 1.4 removes the deprecated two (formats-2026.md 1(b)).
NEW_IN_13 = {"HostProviderName": "String", "ServiceProviderName": "String"}
REMOVED_IN_14 = ("ProviderName", "PublisherName")
CONDITIONAL: dict[str, str] = {
    "ChargeFrequency": "String", "ConsumedQuantity": "Decimal", "ConsumedUnit": "String",
    "ContractedUnitPrice": "Decimal", "ListUnitPrice": "Decimal", "PricingCategory": "String",
    "RegionId": "String", "RegionName": "String", "ServiceSubcategory": "String", "SkuId": "String",
    "SkuMeter": "String", "SkuPriceDetails": "JSON", "SkuPriceId": "String", "SubAccountId": "String",
    "SubAccountName": "String", "Tags": "JSON",
}
CONDITIONAL_FROM_13 = {"ContractApplied": "JSON"}
# The AI model keys of SkuPriceDetails (FOCUS draft for AI billing, "Version Introduced: 1.5"): x_ keys in every
# version that has not ratified them.
AI_KEYS = ("TokenDirection", "TokenCacheAction", "ModelId", "ModelDeveloper")
AI_KEYS_RATIFIED: frozenset[str] = frozenset()  # add "1.5" when it is published with these keys
TOKEN_KEYS = {"input": ("Input", "Uncached"), "cache_write_5m": ("Input", "Write"),
              "cache_write_1h": ("Input", "Write"), "cache_read": ("Input", "Read"), "output": ("Output", None)}
CACHE_TTL = {"cache_write_5m": "5m", "cache_write_1h": "1h"}
EXTENSIONS: dict[str, str] = {
    "x_FinopsRecordId": "String", "x_SourceFormat": "String", "x_SourceFile": "String", "x_SourceLine": "Integer",
    "x_Platform": "String", "x_Model": "String", "x_ModelRaw": "String", "x_TokenClass": "String",
    "x_Requests": "Integer", "x_ApiKeyId": "String", "x_Project": "String", "x_UserId": "String",
    "x_ServiceTier": "String", "x_Speed": "String", "x_EndpointScope": "String", "x_InferenceGeo": "String",
    "x_PriceVariant": "String", "x_PriceMultiplier": "Decimal", "x_CostSource": "String",
}
DECIMAL = pa.decimal128(38, 12)
ARROW_TYPES = {"Decimal": DECIMAL, "String": pa.string(), "JSON": pa.string(), "Integer": pa.int64(),
               "Date/Time": pa.timestamp("us", tz="UTC")}


def mandatory(version: str) -> dict[str, str]:
    """The mandatory columns of a FOCUS version and their FOCUS data types."""
    if version not in VERSIONS:
        raise FinopsError(f"FOCUS version {version!r} is not one finops writes ({', '.join(VERSIONS)})")
    columns = dict(MANDATORY_12)
    if version != "1.2":
        columns |= NEW_IN_13
    if version == "1.4":
        for name in REMOVED_IN_14:
            del columns[name]
    return dict(sorted(columns.items()))


def columns(version: str) -> dict[str, str]:
    """Every column written for a version, in file order: mandatory, then conditional, then finops's own."""
    conditional = CONDITIONAL | (CONDITIONAL_FROM_13 if version != "1.2" else {})
    return {**mandatory(version), **dict(sorted(conditional.items())), **EXTENSIONS}


def arrow_schema(version: str) -> pa.Schema:
    return pa.schema([(name, ARROW_TYPES[kind]) for name, kind in columns(version).items()])


TOKEN_BILLS = ("bedrock_cur", "aws_focus", "focus", "gcp_billing")
PROVIDER = {"anthropic": ("Anthropic", "Anthropic", "Claude API"),
            "bedrock": ("AWS", "Amazon Web Services", "Amazon Bedrock"),
            "vertex": ("Google Cloud", "Google Cloud", "Vertex AI")}
_SECOND = timedelta(seconds=1)
ACCOUNT_NAME = PLATFORM_LABEL
# Claude bought through another host (finops/platforms.py): the host provides and invoices it, Anthropic publishes.
PROVIDER.update({platform: (VENDOR[platform], VENDOR[platform], PLATFORM_LABEL[platform]) for platform in HOSTS})
CLASS_LABEL = {"input": "input tokens", "cache_write_5m": "5-minute cache write tokens",
               "cache_write_1h": "1-hour cache write tokens", "cache_read": "cache read tokens",
               "output": "output tokens", "web_search": "web searches"}
CHARGE_CATEGORY = {"credit": "Credit", "refund": "Credit", "discount": "Credit", "tax": "Tax",
                   "adjustment": "Adjustment", "usage": "Usage"}

_ROWS = f"""
WITH u AS (
    SELECT pu.*, m.display_name,
        p.list_input, p.list_cache_write_5m, p.list_cache_write_1h, p.list_cache_read, p.list_output
    FROM priced_usage pu
    LEFT JOIN prices p ON p.platform = pu.platform AND p.model = pu.model AND p.variant = pu.price_variant
        AND p.valid_from = pu.price_valid_from
    LEFT JOIN models m ON m.model = pu.model
    WHERE pu.in_totals AND pu.priced
),
c AS (
    SELECT u.*, unnest([
        {{'cls': 'input', 'n': input_tokens, 'l': list_input, 'e': rate_input, 'o': 1}},
        {{'cls': 'cache_write_5m', 'n': cache_write_5m_tokens, 'l': list_cache_write_5m,
          'e': rate_cache_write_5m, 'o': 2}},
        {{'cls': 'cache_write_1h', 'n': cache_write_1h_tokens, 'l': list_cache_write_1h,
          'e': rate_cache_write_1h, 'o': 3}},
        {{'cls': 'cache_read', 'n': cache_read_tokens, 'l': list_cache_read, 'e': rate_cache_read, 'o': 4}},
        {{'cls': 'output', 'n': output_tokens, 'l': list_output, 'e': rate_output, 'o': 5}},
        {{'cls': 'web_search', 'n': web_search_requests, 'l': NULL, 'e': NULL, 'o': 6}}
    ]) AS k
    FROM u
)
SELECT *, min(ord) OVER (PARTITION BY record_id) AS first_ord FROM (
SELECT record_id, source_format, source_file, source_line, platform, model, model_raw, display_name,
    charge_period_start, charge_period_end, granularity, workspace, api_key_id, project, user_id, tags, region,
    service_tier, speed, endpoint_scope, inference_geo, price_variant, price_valid_from, multiplier,
    requests, source_cost,
    k.cls AS token_class, k.n AS quantity, k.o AS ord,
    CASE WHEN k.cls = 'web_search' THEN CAST(k.n * 0.01 AS DECIMAL(38, 12))
         ELSE CAST(k.n * k.l * multiplier * 0.000001 AS DECIMAL(38, 12)) END AS list_cost,
    CASE WHEN k.cls = 'web_search' THEN CAST(k.n * 0.01 AS DECIMAL(38, 12))
         ELSE CAST(k.n * k.e * multiplier * 0.000001 AS DECIMAL(38, 12)) END AS contracted_cost,
    CASE WHEN k.cls = 'web_search' THEN 0.01 ELSE CAST(k.l * multiplier AS DECIMAL(38, 12)) END AS list_unit_price,
    CASE WHEN k.cls = 'web_search' THEN 0.01 ELSE CAST(k.e * multiplier AS DECIMAL(38, 12)) END
        AS contracted_unit_price,
    source_format IN ({", ".join(f"'{s}'" for s in TOKEN_BILLS)}) AND source_cost IS NOT NULL AS billed_stated
FROM c
WHERE coalesce(k.n, 0) > 0
)
ORDER BY charge_period_start, record_id, ord
"""


def _month_bounds(moment: datetime) -> tuple[datetime, datetime]:
    start = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return start, end


def _tags(value: Any) -> str | None:
    """Tags as a FOCUS key-value JSON object: an object as is, a list's items as keys with empty values."""
    if value is None:
        return None
    try:
        parsed = json.loads(value)
    except (ValueError, TypeError):
        return json.dumps({"tag": value}, ensure_ascii=False)
    if isinstance(parsed, dict):
        return json.dumps(parsed, ensure_ascii=False, sort_keys=True, default=str)
    if isinstance(parsed, list):
        return json.dumps({str(t): "" for t in parsed}, ensure_ascii=False, sort_keys=True)
    return json.dumps({"tag": str(parsed)}, ensure_ascii=False)


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.000000000001"))


_QUANTUM = Decimal("0.000000000001")
# A group of a cloud bill: its discount lines are spread over its usage lines (same model, account and month).
_GROUP = "source_format, platform, strftime(charge_period_start, '%Y-%m') AS month, model, workspace"


def _has_billing(con: duckdb.DuckDBPyConnection) -> bool:
    found = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'billing'").fetchone()
    return bool(found and found[0])


def _discount_groups(con: duckdb.DuckDBPyConnection) -> dict[tuple[Any, ...], tuple[Decimal, Decimal]]:
    """Per bill group with both: (what its usage lines billed, its discount lines' total, negative)."""
    if not _has_billing(con):
        return {}
    bills = ", ".join(f"'{s}'" for s in TOKEN_BILLS)
    found = con.execute(f"SELECT count(*) FROM billing WHERE charge_kind = 'discount' AND source_format IN ({bills})")
    if not (found.fetchone() or (0,))[0]:
        return {}  # no discount lines: skip the second pass over the usage rows
    rows = con.execute(f"""
        WITH used AS (
            SELECT {_GROUP}, sum(source_cost) AS billed FROM ({_ROWS}) WHERE billed_stated GROUP BY ALL),
        discounts AS (
            SELECT {_GROUP}, sum(billed_cost) AS discount FROM billing
            WHERE charge_kind = 'discount' AND source_format IN ({bills}) GROUP BY ALL)
        SELECT u.source_format, u.platform, u.month, u.model, u.workspace, u.billed, d.discount
        FROM used u JOIN discounts d ON d.source_format = u.source_format AND d.platform = u.platform
            AND d.month = u.month AND d.model IS NOT DISTINCT FROM u.model
            AND d.workspace IS NOT DISTINCT FROM u.workspace
        WHERE u.billed <> 0""").fetchall()
    return {tuple(r[:5]): (Decimal(r[5]), Decimal(r[6])) for r in rows}


class _Spread:
    """Spread each group's discount over its usage lines in proportion to what they billed, exactly: line i gets
    q(D x cum_i / B) - q(D x cum_(i-1) / B), so the shares add up to D to the last decimal place."""

    def __init__(self, groups: dict[tuple[Any, ...], tuple[Decimal, Decimal]]) -> None:
        self.groups = groups
        self.running: dict[tuple[Any, ...], Decimal] = {}

    def share(self, key: tuple[Any, ...], billed: Decimal) -> Decimal:
        if key not in self.groups:
            return Decimal(0)
        total, discount = self.groups[key]
        before = self.running.get(key, Decimal(0))
        after = before + billed
        self.running[key] = after
        with localcontext() as ctx:
            ctx.prec = 60
            return (discount * after / total).quantize(_QUANTUM) - (discount * before / total).quantize(_QUANTUM)


def _usage_rows(con: duckdb.DuckDBPyConnection, version: str, spread: _Spread) -> Iterator[dict[str, Any]]:
    cursor = con.execute(_ROWS)
    names = [d[0] for d in cursor.description]
    while batch := cursor.fetchmany(10_000):
        for values in batch:
            r = dict(zip(names, values, strict=True))
            yield _usage_focus(r, version, spread)


def _key(name: str, version: str) -> str:
    return name if version in AI_KEYS_RATIFIED else f"x_{name}"


def _sku_price_details(r: dict[str, Any], version: str) -> str:
    """The FOCUS draft's AI model keys for a token row (x_ until ratified), plus the cache TTL as an x_ key."""
    details: dict[str, str] = {}
    keys = TOKEN_KEYS.get(r["token_class"])
    if keys:
        direction, cache_action = keys
        details[_key("TokenDirection", version)] = direction
        if cache_action:  # omitted for output: the draft defines cache actions for input tokens only
            details[_key("TokenCacheAction", version)] = cache_action
    details[_key("ModelId", version)] = r["model"]
    details[_key("ModelDeveloper", version)] = "Anthropic"
    if r["token_class"] in CACHE_TTL:
        details["x_CacheTtl"] = CACHE_TTL[r["token_class"]]
    return json.dumps(details, sort_keys=True)


def _usage_focus(r: dict[str, Any], version: str, spread: _Spread) -> dict[str, Any]:
    platform = r["platform"]
    provider, issuer, service = PROVIDER.get(platform, (platform, platform, platform))
    start = r["charge_period_start"]
    end = r["charge_period_end"] or start.replace(microsecond=0) + _SECOND
    period_start, period_end = _month_bounds(start)
    web = r["token_class"] == "web_search"
    quantity = Decimal(r["quantity"])
    pricing_quantity = quantity / (1000 if web else 1_000_000)
    contracted = _dec(r["contracted_cost"])
    billed = _dec(r["source_cost"]) if r["billed_stated"] else contracted
    effective = billed
    if r["billed_stated"]:
        key = (r["source_format"], platform, f"{start:%Y-%m}", r["model"], r["workspace"])
        effective = billed + spread.share(key, billed)  # type: ignore[operator]
    name = r["display_name"] or r["model"]
    where = ", ".join(x for x in (
        ACCOUNT_NAME.get(platform), f"{r['endpoint_scope']} endpoint" if r["endpoint_scope"] else None,
        "batch" if r["service_tier"] == "batch" else None, "fast mode" if r["speed"] == "fast" else None,
        r["price_variant"].replace("_", " ") if r["price_variant"] not in (None, "standard") else None) if x)
    account = r["workspace"] if platform == "bedrock" and r["workspace"] else {
        "anthropic": "anthropic", "bedrock": "aws", "vertex": "gcp"}.get(platform, platform)
    sku = f"{r['model']}/{r['price_variant']}/{r['token_class']}"
    return {
        "BilledCost": billed, "BillingAccountId": account, "BillingAccountName": ACCOUNT_NAME.get(platform),
        "BillingCurrency": "USD", "BillingPeriodEnd": period_end, "BillingPeriodStart": period_start,
        "ChargeCategory": "Usage", "ChargeClass": None,
        "ChargeDescription": f"{name} {CLASS_LABEL[r['token_class']]} ({where})",
        "ChargePeriodEnd": end, "ChargePeriodStart": start, "ContractedCost": contracted,
        "EffectiveCost": effective, "InvoiceIssuerName": issuer, "ListCost": _dec(r["list_cost"]),
        "PricingQuantity": _dec(pricing_quantity), "PricingUnit": "1000 Searches" if web else "1000000 Tokens",
        "ProviderName": provider, "PublisherName": "Anthropic", "ServiceProviderName": provider,
        "HostProviderName": provider, "ServiceCategory": "AI and Machine Learning", "ServiceName": service,
        "ChargeFrequency": "Usage-Based", "ConsumedQuantity": _dec(quantity),
        "ConsumedUnit": "Searches" if web else "Tokens",
        "ContractedUnitPrice": _dec(r["contracted_unit_price"] * (10 if web else 1)),
        "ListUnitPrice": _dec(r["list_unit_price"] * (10 if web else 1)),
        "PricingCategory": "Standard", "RegionId": r["region"], "RegionName": r["region"],
        "ServiceSubcategory": "Generative AI", "SkuId": sku,
        "SkuPriceId": f"{platform}/{sku}/{r['service_tier'] or 'standard'}/{r['endpoint_scope'] or 'any'}"
                      f"/{r['price_valid_from']}",
        "SkuMeter": CLASS_LABEL[r["token_class"]], "SkuPriceDetails": _sku_price_details(r, version),
        "SubAccountId": r["workspace"], "SubAccountName": r["workspace"], "Tags": _tags(r["tags"]),
        "x_FinopsRecordId": r["record_id"], "x_SourceFormat": r["source_format"], "x_SourceFile": r["source_file"],
        "x_SourceLine": r["source_line"], "x_Platform": platform, "x_Model": r["model"], "x_ModelRaw": r["model_raw"],
        "x_TokenClass": r["token_class"], "x_Requests": r["requests"] if r["ord"] == r["first_ord"] else 0,
        "x_ApiKeyId": r["api_key_id"], "x_Project": r["project"], "x_UserId": r["user_id"],
        "x_ServiceTier": r["service_tier"], "x_Speed": r["speed"], "x_EndpointScope": r["endpoint_scope"],
        "x_InferenceGeo": r["inference_geo"], "x_PriceVariant": r["price_variant"],
        "x_PriceMultiplier": _dec(r["multiplier"]),
        "x_CostSource": "bill" if r["billed_stated"] else "tokens at your rates",
    }


def _bill_rows(con: duckdb.DuckDBPyConnection, spread: _Spread) -> Iterator[dict[str, Any]]:
    """Credits, discounts, refunds, tax and money-only lines of the cloud bills that are a spend basis."""
    if not _has_billing(con):
        return
    cursor = con.execute(f"""
        SELECT b.* FROM billing b
        WHERE b.source_format IN ({", ".join(f"'{s}'" for s in TOKEN_BILLS)})
          AND (b.platform, b.source_format) IN (SELECT (platform, source_format) FROM priced_usage WHERE in_totals)
        ORDER BY charge_period_start, record_id""")
    names = [d[0] for d in cursor.description]
    for values in cursor.fetchall():
        r = dict(zip(names, values, strict=True))
        platform = r["platform"]
        provider, issuer, service = PROVIDER.get(platform, (platform, platform, platform))
        start = r["charge_period_start"]
        period_start, period_end = _month_bounds(start)
        amount = _dec(r["billed_cost"])
        # A discount spread over its group's usage lines is in their EffectiveCost already.
        spread_key = (r["source_format"], platform, f"{start:%Y-%m}", r["model"], r["workspace"])
        effective = _dec(0) if r["charge_kind"] == "discount" and spread_key in spread.groups else amount
        yield {
            "BilledCost": amount, "BillingAccountId": r["workspace"] if platform == "bedrock" and r["workspace"]
            else {"bedrock": "aws", "vertex": "gcp"}.get(platform, platform),
            "BillingAccountName": ACCOUNT_NAME.get(platform), "BillingCurrency": "USD",
            "BillingPeriodEnd": period_end, "BillingPeriodStart": period_start,
            "ChargeCategory": CHARGE_CATEGORY.get(r["charge_kind"], "Adjustment"), "ChargeClass": None,
            "ChargeDescription": r["description"] or r["charge_kind"],
            "ChargePeriodEnd": r["charge_period_end"] or start + _SECOND, "ChargePeriodStart": start,
            "ContractedCost": amount, "EffectiveCost": effective,
            "InvoiceIssuerName": issuer, "ListCost": amount if r["charge_kind"] == "usage" else _dec(0),
            "PricingQuantity": None, "PricingUnit": None, "ProviderName": provider, "PublisherName": "Anthropic",
            "ServiceProviderName": provider, "HostProviderName": provider,
            "ServiceCategory": "AI and Machine Learning", "ServiceName": service,
            "ChargeFrequency": "Usage-Based" if r["charge_kind"] == "usage" else "One-Time",
            "RegionId": r["region"], "RegionName": r["region"], "ServiceSubcategory": "Generative AI",
            "SubAccountId": r["workspace"], "SubAccountName": r["workspace"],
            "x_FinopsRecordId": r["record_id"], "x_SourceFormat": r["source_format"],
            "x_SourceFile": r["source_file"], "x_SourceLine": r["source_line"], "x_Platform": platform,
            "x_Model": r["model"], "x_ModelRaw": r["model_raw"], "x_TokenClass": r["token_class"],
            "x_CostSource": "bill",
        }


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return "0" if text in ("-0", "") else text
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ") if not value.microsecond else (
            value.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    return str(value)


def write(con: duckdb.DuckDBPyConnection, out: Path, version: str = FOCUS_VERSION) -> tuple[int, int]:
    """Write the FOCUS file (Parquet when the name ends in .parquet, else CSV); returns (rows, unpriced left out)."""
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise FinopsError(f"{out}: name the output .csv or .parquet (FOCUS as CSV or Parquet)")
    names = list(columns(version))
    schema = arrow_schema(version)
    unpriced = con.execute("SELECT count(*) FROM priced_usage WHERE in_totals AND NOT priced").fetchone()[0]  # type: ignore[index]
    rows = 0
    spread = _Spread(_discount_groups(con))

    def records() -> Iterator[dict[str, Any]]:
        for record in _usage_rows(con, version, spread):
            yield {name: record.get(name) for name in names}
        for record in _bill_rows(con, spread):
            yield {name: record.get(name) for name in names}

    if suffix == ".parquet":
        import pyarrow.parquet as pq

        with pq.ParquetWriter(out, schema) as writer:
            batch: list[dict[str, Any]] = []
            for record in records():
                batch.append(record)
                if len(batch) >= 10_000:
                    writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                    rows += len(batch)
                    batch.clear()
            if batch or rows == 0:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                rows += len(batch)
        return rows, int(unpriced)
    with open(out, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(names)
        for record in records():
            writer.writerow([_text(record[name]) for name in names])
            rows += 1
    return rows, int(unpriced)


def export(paths: list[Path], out: Path, prices_file: Path | None = None,
           version: str = FOCUS_VERSION) -> tuple[int, int]:
    """Read and price the given files and folders, then write them as FOCUS (1.4 unless told) to out."""
    from . import ingest, pricing
    from .pipeline import NoUsableInput, _nothing_loaded

    columns(version)  # an unknown version fails before any reading
    con = duckdb.connect()
    try:
        pricing.install(con, prices_file)
        result = ingest.load(paths, con)
        if sum(f.rows_loaded for f in result.files) == 0:
            raise NoUsableInput(_nothing_loaded(result), con)
        pricing.price_usage(con)
        return write(con, out, version)
    finally:
        con.close()
