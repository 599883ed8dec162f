"""Shared reading for billing exports (AWS CUR and FOCUS, Google Cloud billing, Anthropic cost files).

Tabular files come as CSV (parsed by header name, one physical line per row), JSON lines, or Parquet. Column
names are normalised so that the spellings of one column across export generations meet: `lineItem/UsageType`
(legacy CUR), `line_item_usage_type` (CUR 2.0, Athena) and `LineItemUsageType` all become `line_item_usage_type`;
nested JSON objects are flattened with dots (`service.description`).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from finops.models import resolve

from .common import JSON_ERRORS, Emitter, LineTooLong, RowError, iter_lines

TOKEN_CLASSES = ("input", "cache_write_5m", "cache_write_1h", "cache_read", "output")
TOKEN_COLUMN = {c: f"{c}_tokens" for c in TOKEN_CLASSES}
MAX_BUCKET_TOKENS = 10**13  # one bill line: far beyond any organisation's month of traffic

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake(name: str) -> str:
    """A column name in snake case: `lineItem/UsageType` -> `line_item_usage_type`, `usage.amount` kept dotted."""
    parts = []
    for part in re.split(r"[/:]", name.strip().strip('"').strip()):
        part = _CAMEL.sub("_", part)
        parts.append(re.sub(r"[\s\-]+", "_", part).lower())
    return "_".join(p for p in parts if p)


def csv_fields(line: str) -> list[str]:
    """One physical line as CSV fields (exports never break a field across lines: a stray quote spoils only its
    own line). csv.Error (a field over the size limit) is the caller's."""
    return next(csv.reader([line]), [])


def required_rows(table: Table, emit: Emitter, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, Any]]]:
    """The rows of a headed export that has every required column; bad rows and, when a required column is
    missing, every row are rejected with the reason (the file gets the error too), so none is lost silently."""
    missing: list[str] | None = None
    for number, row in table.rows():
        if missing is None:
            missing = [c for c in required if c not in (table.header or [])]
            if missing:
                emit.stats.error = f"missing columns: {', '.join(missing)} (every row rejected)"
        if isinstance(row, RowError):
            emit.reject(number, str(row))
        elif missing:
            emit.reject(number, f"missing columns: {', '.join(missing)}")
        else:
            yield number, row
    if table.error:
        emit.stats.error = table.error
    elif missing is None and table.header:
        absent = [c for c in required if c not in table.header]
        if absent:
            emit.stats.error = f"missing columns: {', '.join(absent)} (every row rejected)"


class Table:
    """The rows of a tabular export as dicts keyed by normalised column names, with their line numbers.

    `header` is the normalised header (CSV and Parquet); `error` a file-level problem found on the way.
    Yields (line, row) or (line, RowError) for a row that cannot be split into the header's fields.
    """

    def __init__(self, path: Path, stream: IO[bytes], parquet: bool = False) -> None:
        self.path = path
        self.stream = stream
        self.parquet = parquet
        self.header: list[str] | None = None
        self.error: str | None = None

    def rows(self) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
        if self.parquet:
            yield from self._parquet()
            return
        for number, line in iter_lines(self.stream):
            if isinstance(line, LineTooLong):
                yield number, RowError(f"line too long: {line.size} bytes")
                continue
            if not line.strip():
                continue
            if self.header is None and line.lstrip().startswith("{"):
                self.header = []  # JSON lines: no header
            if self.header == []:
                try:
                    obj = json.loads(line)
                except JSON_ERRORS:
                    yield number, RowError("invalid JSON: truncated or malformed line")
                    continue
                if not isinstance(obj, dict):
                    yield number, RowError("line is not a JSON object")
                    continue
                yield number, flatten(obj)
                continue
            try:
                values = csv_fields(line)
            except csv.Error as e:
                if self.header is None:
                    self.error = f"unreadable header: {e}"
                    return
                yield number, RowError(f"unreadable CSV row: {e}")
                continue
            if self.header is None:
                self.header = [snake(h) for h in values]
                continue
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(self.header):
                yield number, RowError(f"expected {len(self.header)} fields, found {len(values)}")
                continue
            yield number, dict(zip(self.header, (v.strip() for v in values), strict=True))

    def _parquet(self) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            source = pq.ParquetFile(self.path)
        except (OSError, pa.ArrowException) as e:
            self.error = f"unreadable Parquet file: {e}"
            return
        self.header = [snake(n) for n in source.schema_arrow.names]
        number = 0
        try:
            for batch in source.iter_batches(batch_size=5000):
                names = [snake(n) for n in batch.schema.names]
                for values in zip(*(batch.column(i).to_pylist() for i in range(batch.num_columns)), strict=True):
                    number += 1
                    row = {}
                    for name, value in zip(names, values, strict=True):
                        if isinstance(value, list) and all(isinstance(v, tuple) for v in value):
                            value = dict(value)  # a Parquet map (CUR 2.0 product, resource_tags)
                        elif isinstance(value, datetime | date):
                            value = value.isoformat()  # parsed like any text timestamp (naive = UTC)
                        row[name] = value
                    yield number, row
        except (OSError, pa.ArrowException) as e:
            self.error = f"reading stopped after row {number}: {e}"


def flatten(obj: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects as dotted keys (`{"usage": {"amount": 1}}` -> `{"usage.amount": 1}`); lists kept as they are.
    Keys are normalised with snake() part by part."""
    out: dict[str, Any] = {}
    for key, value in obj.items():
        name = f"{prefix}.{snake(str(key))}" if prefix else snake(str(key))
        if isinstance(value, dict) and not prefix.count(".") > 3:
            out.update(flatten(value, name))
            out.setdefault(name, value)  # the whole object too (a map such as product or labels)
        else:
            out[name] = value
    return out


def pick(row: dict[str, Any], *names: str) -> Any:
    """The first present, non-empty value among the column spellings given."""
    for name in names:
        value = row.get(name)
        if value is not None and value != "":
            return value
    return None


def json_value(value: Any) -> Any:
    """A map or list column given as JSON text (CSV exports) parsed; other values as they are."""
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except JSON_ERRORS:
            return value
    return value


def quantity(value: Any, name: str) -> Decimal | None:
    """A usage quantity (may be fractional: 12.48 million tokens) as Decimal; None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise RowError(f"{name} is not a number: {value!r}")
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation as e:
        raise RowError(f"{name} is not a number: {str(value)[:40]!r}") from e
    if not amount.is_finite():
        raise RowError(f"{name} is not a finite number")
    return amount


def whole_tokens(amount: Decimal, name: str) -> int:
    """Tokens from a converted quantity: rounded to the nearest token, never negative or absurd."""
    count = int(amount.to_integral_value())
    if count < 0:
        raise RowError(f"{name} is negative: {amount}")
    if count > MAX_BUCKET_TOKENS:
        raise RowError(f"{name} is implausibly large: {amount}")
    return count


_UNIT_WORDS = (
    (re.compile(r"\b(1\s*m|1,000,000|1000000|million|mtok|m\s*tokens?)\b", re.I), 1_000_000),
    (re.compile(r"\b(1\s*k|1,000|1000|thousand|k\s*tokens?)\b", re.I), 1_000),
    (re.compile(r"^(tokens?|count|units?/tokens?|1)$", re.I), 1),
)


def unit_multiplier(unit: Any) -> int | None:
    """Tokens per unit for a unit string: '1M tokens' -> 1,000,000; '1K tokens' -> 1,000; 'tokens'/'count'
    -> 1; None when the unit does not say (e.g. 'Units')."""
    if not isinstance(unit, str) or not unit.strip():
        return None
    text = unit.strip()
    for pattern, multiplier in _UNIT_WORDS:
        if pattern.search(text):
            return multiplier
    return None


# ---- model names as bills spell them ---------------------------------------------------------------------

_EDITION = re.compile(r"\s*\((amazon bedrock edition|bedrock edition|vertex ai)\)\s*$", re.I)
_NUMBER_FIRST = re.compile(r"^claude\s+(\d+(?:[.\s]\d+)?)\s+([a-z]+)$", re.I)


def bill_model(name: Any) -> str | None:
    """Canonical model from a bill's product or service name: 'Claude Sonnet 4.6 (Amazon Bedrock Edition)',
    'Claude 4.6 Sonnet', 'Claude Opus 4 8' (Vertex munges the dot), 'Claude 3 Haiku'. None when unknown."""
    if not isinstance(name, str) or not name.strip():
        return None
    text = _EDITION.sub("", name.strip())
    model = resolve(text).model
    if model is None:
        swapped = _NUMBER_FIRST.match(text)
        if swapped:
            model = resolve(f"Claude {swapped[2]} {swapped[1]}").model
    return model


# AWS usage-type region prefixes (the ones Bedrock bills in; others keep the code as the region).
AWS_REGION_CODES = {
    "USE1": "us-east-1", "USE2": "us-east-2", "USW1": "us-west-1", "USW2": "us-west-2", "CAN1": "ca-central-1",
    "EUC1": "eu-central-1", "EUC2": "eu-central-2", "EUW1": "eu-west-1", "EUW2": "eu-west-2",
    "EUW3": "eu-west-3", "EUN1": "eu-north-1", "EUS1": "eu-south-1", "EUS2": "eu-south-2", "APN1": "ap-northeast-1",
    "APN2": "ap-northeast-2", "APN3": "ap-northeast-3", "APS1": "ap-southeast-1", "APS2": "ap-southeast-2",
    "APS3": "ap-south-1", "APS4": "ap-southeast-3", "APS5": "ap-south-2", "SAE1": "sa-east-1",
    "UGW1": "us-gov-west-1", "UGE1": "us-gov-east-1", "MEC1": "me-central-1", "ILC1": "il-central-1",
}


# ---- telling the unit of a usage amount from its rate ---------------------------------------------------


def _standard_rates() -> dict[str, list[tuple[Any, tuple[Decimal, ...]]]]:
    from finops.models import known_models
    from finops.pricing import builtin_rows

    series: dict[str, list[tuple[Any, tuple[Decimal, ...]]]] = {}
    for row in builtin_rows(known_models()):
        if row.variant == "standard" and row.rates is not None and row.platform in ("*", "bedrock", "vertex"):
            series.setdefault(row.model, []).append((row.valid_from, row.rates))
    for rows in series.values():
        rows.sort(key=lambda r: r[0])
    return series


_RATES: dict[str, list[tuple[Any, tuple[Decimal, ...]]]] | None = None


def list_rate(model: str | None, token_class: str, day: Any) -> Decimal | None:
    """The model's standard list rate ($ per million tokens) for a token class on a day, if known."""
    global _RATES
    if model is None or token_class not in TOKEN_CLASSES:
        return None
    if _RATES is None:
        _RATES = _standard_rates()
    found = None
    for valid_from, rates in _RATES.get(model, []):
        if valid_from <= day:
            found = rates
    if found is None and _RATES.get(model):
        found = _RATES[model][0][1]
    return found[TOKEN_CLASSES.index(token_class)] if found else None


def unit_from_rate(per_unit: Decimal, list_per_mtok: Decimal) -> int | None:
    """Tokens per unit told by a rate: the multiplier (1, 1,000 or 1,000,000) whose implied $ per million tokens is
    within a factor of 3 of the list rate (discounts and premiums are far smaller than the 1,000x between units)."""
    if per_unit <= 0 or list_per_mtok <= 0:
        return None
    for multiplier in (1_000_000, 1_000, 1):
        implied = per_unit * 1_000_000 / multiplier
        ratio = implied / list_per_mtok
        if Decimal("0.34") <= ratio <= 3:
            return multiplier
    return None
