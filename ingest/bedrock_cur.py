"""AWS Cost and Usage Report (legacy CUR and CUR 2.0; CSV, gzipped CSV or Parquet): the Claude line items.

Claude on Amazon Bedrock is sold through AWS Marketplace: its lines are not `AmazonBedrock` lines. A line is taken
as Claude when its product name (`product/ProductName`, CUR 2.0 `product['product_name']`), usage type or
description names Claude. Lines of other services are not records (counted as ignored lines).

Each Claude usage line is one token class of one model for one period: it becomes an aggregated `usage` row
(granularity 'bucket', grouping 'cur') with the tokens in that class, the account as workspace, the region, the
resource tags, and `source_cost` = the unblended cost (what the line billed, before credits and discounts; those
are lines of their own). Usage types come in three families, all read:
  - Marketplace CamelCase (Claude up to 4.6): `USE1-MP:USE1_InputTokenCount-Units`,
    `..._CacheWrite1hInputTokenCount_Global-Units`, `..._InputTokenCount_Batch-Units`;
  - Marketplace snake_case (Claude 4.7 on): `USE1-MP:USE1_input_tokens_global_standard-Units`;
  - the older AWS-sold lines (`USE1-Claude3Haiku-input-tokens`, per 1,000 tokens) and the Messages endpoint's
    `USE1-anthropic.claude-haiku-4-5-mantle-input-tokens-standard`.
`_Global`/`global` in the usage type is the global endpoint; anything else is regional (in-region ids and geo
inference profiles), which carries the 10% premium on the models that have it.

Units: the usage amount is converted to tokens by `pricing/unit` when it says ('1M tokens', '1K tokens', 'tokens');
when it does not ('Units'), by the usage type ('MillionBatchInputTokens', the 1K-token legacy family), else by the
line's rate against the model's list rate (the unit whose implied $ per million tokens is within 3x of list), else
as millions of tokens (AWS Marketplace's unit for Claude), and the file's notes say how many lines were read how.

Credits, refunds and discounts on Claude products (EdpDiscount, PrivateRateDiscount, ...) and tax go to the
`billing` table as lines of their own. A line billed in a currency other than USD is rejected: amounts are never
converted.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from finops.models import resolve

from . import fast_bills
from .cloud_common import (
    AWS_REGION_CODES,
    TOKEN_CLASSES,
    TOKEN_COLUMN,
    Table,
    bill_model,
    json_value,
    line_text,
    line_timestamp,
    list_rate,
    pick,
    quantity,
    tags_json,
    unit_from_rate,
    unit_multiplier,
    whole_tokens,
)
from .common import Emitter, RowError, money, stable_id, text

FORMAT = "bedrock_cur"
LABEL = "AWS Cost and Usage Report (CUR, CUR 2.0): Claude on Bedrock"
GROUPING = "cur"
WORDS = ("claude",)  # a line that does not name Claude (in any case) is not a record: see is_claude
# The columns cur_line's Claude test reads (product name, usage type, description, and the CUR 2.0 product map):
# a row that names Claude in none of them is not a record, whatever its other columns hold.
WORD_COLUMNS = ("product_product_name", "product.product_name", "product_name", "product", "line_item_usage_type",
                "product_usagetype", "line_item_line_item_description")
# Every column cur_line reads, value by value, in the spellings it takes (pick() takes the first present, non-empty
# one); the bulk reader (bulk_cur.py) reads the same values in this order. Together with the CUR 2.0 maps and the
# resource_tags_* columns these are all the columns this reader uses: a Parquet file is read (and decoded) for these
# only, by the reference reader and the fast path alike (uses_column).
COLUMNS = {
    "name": ("product_product_name", "product.product_name", "product_name"),
    "usage_type": ("line_item_usage_type", "product_usagetype"),
    "description": ("line_item_line_item_description",),
    "line_type": ("line_item_line_item_type",),
    "start": ("line_item_usage_start_date",),
    "end": ("line_item_usage_end_date",),
    "interval": ("identity_time_interval",),
    "currency": ("line_item_currency_code", "bill_currency_code"),
    "line_id": ("identity_line_item_id",),
    "amount": ("line_item_usage_amount",),
    "unit": ("pricing_unit", "product_pricing_unit"),
    "cost": ("line_item_unblended_cost",),
    "rate": ("line_item_unblended_rate",),
    "account": ("line_item_usage_account_id", "bill_payer_account_id"),
    "region": ("product_region_code", "product_region"),
    "resource": ("line_item_resource_id",),
}
# Columns cur_line reads as JSON maps (CUR 2.0 product, resource_tags), and the prefix of the legacy tag columns.
JSON_COLUMNS = ("product", "resource_tags")
TAG_PREFIX = "resource_tags_"
_USED = frozenset(n for names in COLUMNS.values() for n in names) | frozenset(JSON_COLUMNS)


def uses_column(name: str) -> bool:
    """Whether cur_line reads this (normalised) column."""
    return name in _USED or name.startswith(TAG_PREFIX)


USAGE_TYPES = {"usage", "discountedusage", "savingsplancoveredusage"}
KINDS = {"credit": "credit", "refund": "refund", "tax": "tax", "edpdiscount": "discount",
         "privateratediscount": "discount", "bundleddiscount": "discount", "discount": "discount",
         "distributordiscount": "discount", "sppdiscount": "discount", "savingsplannegation": "discount"}


def _compact(names: list[str] | None) -> set[str]:
    return {n.replace("_", "").replace("/", "").replace(":", "") for n in names or []}


def sniff(sample: Any) -> bool:
    names = _compact(sample.header)
    return "lineitemusagetype" in names and bool({"lineitemunblendedcost", "lineitemusageamount"} & names)


@dataclass
class Done:
    """A line read in bulk (ingest/bulk_cur.py): its usage row and the note on how its usage amount was converted."""

    record: dict[str, Any]
    note: str


@dataclass
class Line:
    """One bill line in the terms the CUR and the FOCUS export share."""

    line_id: Any
    line_type: str  # usage | credit | discount | refund | tax | adjustment
    usage_type: str
    product: str | None
    description: str | None
    start: datetime
    end: datetime | None
    amount: Decimal | None
    unit: Any
    cost: Decimal | None
    rate: Decimal | None
    account: Any
    region: Any
    resource: Any
    tags: Any


@dataclass
class UsageType:
    token_class: str | None
    scope: str
    tier: str
    long_context: bool
    multiplier: int | None  # tokens per unit when the usage type itself says
    region: str | None
    model: str | None  # when the usage type names the model (legacy and mantle families)


_LEGACY = re.compile(r"^(?P<region>[A-Z]{2,4}\d)-(?P<model>Claude[\w.]*?)-(?P<rest>[a-z][a-z0-9-]*tokens[a-z0-9-]*)$")
_MANTLE = re.compile(r"^(?:(?P<region>[A-Z]{2,4}\d)-)?(?P<model>anthropic\.[\w.-]+?)-mantle-(?P<rest>.+)$", re.I)
_MARKETPLACE = re.compile(r"^(?:(?P<region>[A-Z]{2,4}\d)-)?(?:MP:)?(?:[A-Z]{2,4}\d_)?(?P<rest>.+?)(?:-Units)?$")


@functools.lru_cache(maxsize=4096)  # a bill repeats a few usage types on every line (the result is not mutated)
def parse_usage_type(usage_type: str) -> UsageType:
    """Token class, endpoint scope, tier and unit hints from a Claude usage type (any of the three families)."""
    ut = usage_type.strip()
    model = None
    multiplier = None
    legacy = _LEGACY.match(ut)
    mantle = _MANTLE.match(ut)
    if legacy:
        region, rest = legacy["region"], legacy["rest"]
        spaced = re.sub(r"(?<=[a-z])(?=[A-Z0-9])|(?<=[0-9])(?=[A-Z])", " ", legacy["model"])
        model = bill_model(spaced)
        multiplier = 1_000  # the AWS-sold Claude 2/3 lines count in 1,000 tokens
    elif mantle:
        region, rest = mantle["region"], mantle["rest"]
        model = resolve(mantle["model"]).model
    else:
        found = _MARKETPLACE.match(ut)
        region, rest = (found["region"], found["rest"]) if found else (None, ut)
    key = re.sub(r"[^a-z0-9]", "", rest.lower())
    if "cacheread" in key:
        token_class: str | None = "cache_read"
    elif "cachewrite" in key:
        token_class = "cache_write_1h" if ("1h" in key or "3600" in key) else "cache_write_5m"
    elif "input" in key:
        token_class = "input"
    elif "output" in key:
        token_class = "output"
    else:
        token_class = None
    if "million" in key:
        multiplier = 1_000_000
    tier = "batch" if "batch" in key else "priority" if "priority" in key else "standard"
    return UsageType(token_class, "global" if "global" in key else "regional", tier,
                     "longcontext" in key, multiplier, AWS_REGION_CODES.get(region or "", region), model)


def is_claude(*names: Any) -> bool:
    return any(isinstance(n, str) and "claude" in n.lower() for n in names)


def _tags(row: dict[str, Any]) -> dict[str, Any]:
    tags = json_value(row.get("resource_tags"))
    out = dict(tags) if isinstance(tags, dict) else {}
    for name in _tag_columns(tuple(row)):
        value = row[name]
        if value not in (None, ""):
            out[name[len(TAG_PREFIX):]] = value
    return out


@functools.lru_cache(maxsize=256)  # one per header
def _tag_columns(names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(n for n in names if n.startswith(TAG_PREFIX))


def _product(row: dict[str, Any]) -> dict[str, Any]:
    product = json_value(row.get("product"))
    return product if isinstance(product, dict) else {}


def _interval(row: dict[str, Any]) -> tuple[Any, Any]:
    start = pick(row, "line_item_usage_start_date")
    end = pick(row, "line_item_usage_end_date")
    interval = row.get("identity_time_interval")
    if (start is None or end is None) and isinstance(interval, str) and "/" in interval:
        first, _, last = interval.partition("/")
        start, end = start or first, end or last
    return start, end


def cur_line(row: dict[str, Any]) -> Line | None:
    """A CUR row as a Line, or None when it is not a Claude line (not a record)."""
    product = _product(row)
    name = pick(row, "product_product_name", "product.product_name", "product_name") or product.get("product_name")
    usage_type = pick(row, "line_item_usage_type", "product_usagetype") or ""
    description = pick(row, "line_item_line_item_description")
    if not is_claude(name, usage_type, description):
        return None
    line_type = str(pick(row, "line_item_line_item_type") or "Usage").replace(" ", "").lower()
    start, end = _interval(row)
    currency = pick(row, "line_item_currency_code", "bill_currency_code")
    if currency is not None and str(currency).strip().upper() != "USD":
        raise RowError(f"billed in {str(currency).strip()[:12]}, not USD: amounts are not converted "
                       "(export the report in USD)")
    return Line(
        line_id=pick(row, "identity_line_item_id"),
        line_type="usage" if line_type in USAGE_TYPES else KINDS.get(line_type, "adjustment"),
        usage_type=str(usage_type),
        product=name if isinstance(name, str) else None,
        description=description if isinstance(description, str) else None,
        start=line_timestamp(start, "line_item_usage_start_date"),
        end=line_timestamp(end, "line_item_usage_end_date") if end not in (None, "") else None,
        amount=quantity(pick(row, "line_item_usage_amount"), "line_item_usage_amount"),
        unit=pick(row, "pricing_unit", "product_pricing_unit") or product.get("pricing_unit"),
        cost=money(pick(row, "line_item_unblended_cost"), "line_item_unblended_cost"),
        rate=quantity(pick(row, "line_item_unblended_rate"), "line_item_unblended_rate"),
        account=pick(row, "line_item_usage_account_id", "bill_payer_account_id"),
        region=pick(row, "product_region_code", "product_region") or product.get("region_code")
        or product.get("region"),
        resource=pick(row, "line_item_resource_id"),
        tags=_tags(row),
    )


class Notes:
    """Counts of how each file's usage amounts were converted, turned into file notes at the end."""

    def __init__(self) -> None:
        self.units: dict[str, int] = {}

    def add(self, how: str, rows: int = 1) -> None:
        self.units[how] = self.units.get(how, 0) + rows

    def write(self, emit: Emitter) -> None:
        for how, rows in sorted(self.units.items()):
            emit.stats.notes.append(f"{rows} line(s): usage amount {how}")


_UNIT_NAMES = {1: "in tokens", 1_000: "in thousands of tokens", 1_000_000: "in millions of tokens"}


def _tokens(line: Line, usage: UsageType, model: str | None, notes: Notes) -> int:
    if line.amount is None:
        raise RowError("missing usage amount")
    multiplier = unit_multiplier(line.unit)
    how = f"by its unit {str(line.unit)[:20]!r}"
    if multiplier is None and usage.multiplier is not None:
        multiplier, how = usage.multiplier, "by its usage type"
    if multiplier is None and line.amount > 0:
        per_unit = line.rate if line.rate else (line.cost / line.amount if line.cost else None)
        rate = list_rate(model, usage.token_class or "", line.start.date())
        if per_unit is not None and rate is not None:
            multiplier = unit_from_rate(per_unit, rate)
            how = "by its rate against the list rate"
            if multiplier is None:
                raise RowError(f"cannot tell the unit of the usage amount: rate {per_unit} per "
                               f"{str(line.unit)[:20]!r} is no multiple of the list rate {rate} per million tokens")
    if multiplier is None:
        multiplier, how = 1_000_000, "assumed (unit not stated, no rate to tell)"
    notes.add(f"{_UNIT_NAMES[multiplier]}, {how}")
    return whole_tokens(line.amount * multiplier, "usage amount")


def records(line: Line, fmt: str, grouping: str, notes: Notes) -> tuple[str, dict[str, Any]]:
    """('usage' | 'bill', record) for a Claude line."""
    usage = parse_usage_type(line.usage_type)
    ident = resolve(line.resource) if isinstance(line.resource, str) and ":bedrock:" in line.resource else None
    model = bill_model(line.product) or usage.model or (ident.model if ident else None)
    region = line_text(line.region) or usage.region or (ident.region if ident else None)
    model_raw = line_text(line.product if bill_model(line.product) or not usage.model else line.usage_type)
    # The line item id is unique within a time interval (CUR: identity/LineItemId + identity/TimeInterval).
    record_id = stable_id(fmt, line.line_id, line.start, line.end) if line.line_id else stable_id(
        fmt, line.start, line.end, line.usage_type, line.account, line.resource, line.line_type, line.description,
        line.product, line.amount, line.cost, json.dumps(line.tags, sort_keys=True, default=str))
    if line.line_type != "usage" or usage.token_class is None:
        if line.cost is None:
            raise RowError("missing unblended cost")
        return "bill", {
            "record_id": record_id, "platform": "bedrock", "charge_period_start": line.start,
            "charge_period_end": line.end, "charge_kind": line.line_type if line.line_type != "usage" else "usage",
            "cost_type": "tokens" if usage.token_class else "other", "token_class": usage.token_class,
            "model_raw": model_raw, "model": model, "workspace": text(line.account), "region": region,
            "service_tier": usage.tier, "description": text(line.description or line.usage_type),
            "billed_cost": line.cost, "list_cost": None,
        }
    tokens = _tokens(line, usage, model, notes)
    row = {
        "record_id": record_id,
        "granularity": "bucket",
        "grouping": grouping,
        "platform": "bedrock",
        "charge_period_start": line.start,
        "charge_period_end": line.end,
        "workspace": line_text(line.account),
        "tags": line_text(tags_json(line.tags)) if line.tags else None,
        "model_raw": model_raw,
        "model": model,
        "requests": None,
        **{TOKEN_COLUMN[c]: 0 for c in TOKEN_CLASSES},
        "cache_ttl_assumed": False,
        "web_search_requests": 0,
        "service_tier": usage.tier,
        "speed": "standard",
        "endpoint_scope": usage.scope,
        "region": region,
        "context_window": "200k-1M" if usage.long_context else "0-200k",
        "source_cost": line.cost,
    }
    row[TOKEN_COLUMN[usage.token_class]] = tokens
    return "usage", row


def read(path: Path, stream: IO[bytes], emit: Emitter, parquet: bool = False) -> None:
    from .bulk_cur import CurBulk  # the Claude lines read in bulk, as this module reads them (bulk_cur.py)

    table = Table(path, stream, parquet=parquet or _is_parquet(path), words=WORDS, stats=emit.stats, bulk=CurBulk,
                  word_columns=WORD_COLUMNS, columns=uses_column)
    read_lines(table, emit, cur_line, FORMAT, GROUPING)


def read_lines(table: Table, emit: Emitter, to_line: Callable[[dict[str, Any]], Line | None], fmt: str,
               grouping: str) -> None:
    """Emit the Claude lines of a billing export (CUR or FOCUS): tokens as usage rows, money as bill lines.
    to_line maps one export row to a Line, or None for a row that is not a Claude line (ignored)."""
    from .bulk_columns import ColumnRows

    notes = Notes()
    table.tables = emit.takes_tables
    for number, row in table.rows():
        if type(row) is ColumnRows:  # a batch's plain usage lines read as columns (bulk_columns.py)
            for note, count in row.notes():
                notes.add(note, count)
            emit.rows_table(row.arrow(emit.stats.format, emit.stats.path))
            continue
        if type(row) is Done:  # read in bulk (bulk_cur.py): the row this function would have made
            notes.add(row.note)
            emit.row(row.record, number, unicode_checked=True)  # from ASCII lines or Arrow text (valid UTF-8)
            continue
        if row is fast_bills.IGNORED:
            emit.ignore()
            continue
        if isinstance(row, RowError):
            emit.reject(number, str(row))
            continue
        try:
            line = to_line(row)
            if line is None:
                emit.ignore()
                continue
            kind, record = records(line, fmt, grouping, notes)
        except RowError as e:
            emit.reject(number, str(e))
            continue
        if kind == "usage":
            emit.row(record, number)
        else:
            emit.bill(record, number)
    if table.error:
        emit.stats.error = table.error
    notes.write(emit)


def _is_parquet(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(4) == b"PAR1"
