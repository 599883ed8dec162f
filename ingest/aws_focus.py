"""AWS FOCUS 1.2 export (AWS Data Exports, table FOCUS_1_2_AWS; CSV, gzipped CSV or Parquet): Claude lines.

Read like the CUR (bedrock_cur.py), from the FOCUS columns: ServiceName (the Marketplace product, "Claude Sonnet
4.6 (Amazon Bedrock Edition)") or PublisherName "Anthropic" picks the Claude lines; AWS's `x_UsageType` gives the
token class and endpoint scope with the CUR's usage-type grammar; ConsumedQuantity/ConsumedUnit (else
PricingQuantity/PricingUnit) the tokens; BilledCost the billed amount; ChargeCategory Credit, Adjustment, Tax
lines go to the `billing` table; SubAccountId is the account, RegionId the region, Tags the tags.

finops's own FOCUS export (`finops export focus`, which has the column `x_FinopsRecordId`) is not read back as a
bill: it is the usage finops already read.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from . import bedrock_cur
from .cloud_common import Table, json_value, line_timestamp, pick, quantity
from .common import Emitter, RowError, money

FORMAT = "aws_focus"
LABEL = "AWS FOCUS 1.2 export: Claude on Bedrock"
GROUPING = "focus"
# The columns focus_line's Claude test reads: a row that names neither Claude nor Anthropic in them is no record.
WORD_COLUMNS = ("service_name", "publisher_name", "x_usage_type", "charge_description")
# Every column focus_line reads, value by value (pick() takes the first present, non-empty spelling); the bulk reader
# (bulk_focus.py) reads the same values in this order, the first 12 being what a line repeats. These are all the
# columns this reader uses: a Parquet file is read (and decoded) for these only, by the reference reader and the
# fast path alike (uses_column).
COLUMNS = {
    "service": ("service_name",),
    "publisher": ("publisher_name",),
    "usage_type": ("x_usage_type",),
    "description": ("charge_description",),
    "currency": ("billing_currency",),
    "category": ("charge_category",),
    "consumed_unit": ("consumed_unit",),
    "pricing_unit": ("pricing_unit",),
    "account": ("sub_account_id", "billing_account_id"),
    "region": ("region_id",),
    "resource": ("resource_id",),
    "tags": ("tags",),
    "start": ("charge_period_start",),
    "end": ("charge_period_end",),
    "consumed": ("consumed_quantity",),
    "pricing": ("pricing_quantity",),
    "cost": ("billed_cost",),
    "rate": ("contracted_unit_price",),
}
_USED = frozenset(n for names in COLUMNS.values() for n in names)


def uses_column(name: str) -> bool:
    """Whether focus_line reads this (normalised) column."""
    return name in _USED


CATEGORIES = {"usage": "usage", "credit": "credit", "tax": "tax", "adjustment": "adjustment",
              "purchase": "adjustment"}


def sniff(sample: Any) -> bool:
    names = {n.replace("_", "") for n in sample.header or []}
    return ({"billedcost", "chargeperiodstart", "servicename"} <= names and "xfinopsrecordid" not in names
            and "xusagetype" in names)


def focus_line(row: dict[str, Any]) -> bedrock_cur.Line | None:
    service = pick(row, "service_name")
    publisher = pick(row, "publisher_name")
    usage_type = pick(row, "x_usage_type") or ""
    description = pick(row, "charge_description")
    if not (bedrock_cur.is_claude(service, usage_type, description)
            or (isinstance(publisher, str) and publisher.strip().lower() == "anthropic")):
        return None
    currency = pick(row, "billing_currency")
    if currency is not None and str(currency).strip().upper() != "USD":
        raise RowError(f"billed in {str(currency).strip()[:12]}, not USD: amounts are not converted")
    category = str(pick(row, "charge_category") or "Usage").strip().lower()
    consumed = quantity(pick(row, "consumed_quantity"), "ConsumedQuantity")
    pricing = quantity(pick(row, "pricing_quantity"), "PricingQuantity")
    amount, unit = (consumed, pick(row, "consumed_unit")) if consumed is not None else (
        pricing, pick(row, "pricing_unit"))
    if consumed is not None and pricing is not None and str(pick(row, "consumed_unit") or "").lower() in (
            "units", "unit", ""):
        amount, unit = pricing, pick(row, "pricing_unit")
    end = pick(row, "charge_period_end")
    return bedrock_cur.Line(
        line_id=None,
        line_type=CATEGORIES.get(category, "adjustment"),
        usage_type=str(usage_type),
        product=service if isinstance(service, str) else None,
        description=description if isinstance(description, str) else None,
        start=line_timestamp(pick(row, "charge_period_start"), "ChargePeriodStart"),
        end=line_timestamp(end, "ChargePeriodEnd") if end not in (None, "") else None,
        amount=amount,
        unit=unit,
        cost=money(pick(row, "billed_cost"), "BilledCost"),
        rate=quantity(pick(row, "contracted_unit_price"), "ContractedUnitPrice") if unit == pick(
            row, "pricing_unit") else None,
        account=pick(row, "sub_account_id", "billing_account_id"),
        region=pick(row, "region_id"),
        resource=pick(row, "resource_id"),
        tags=json_value(pick(row, "tags")) if isinstance(json_value(pick(row, "tags")), dict) else {},
    )


def read(path: Path, stream: IO[bytes], emit: Emitter) -> None:
    from .bulk_focus import FocusBulk  # the Claude lines read in bulk, as this module reads them (bulk_focus.py)

    # A line that names neither Claude nor Anthropic (the publisher) is not a record: see focus_line.
    table = Table(path, stream, parquet=bedrock_cur._is_parquet(path), words=("claude", "anthropic"),
                  stats=emit.stats, word_columns=WORD_COLUMNS, bulk=FocusBulk,
                  columns=uses_column)
    bedrock_cur.read_lines(table, emit, focus_line, FORMAT, GROUPING)
