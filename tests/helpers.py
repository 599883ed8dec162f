"""Build a priced usage table from a few hand-written rows, for pricing and analysis tests; load files the same way."""

from __future__ import annotations

import csv
import importlib.util
import os
import shutil
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from finops import ingest, pricing
from finops.schema import ARROW_SCHEMA, COLUMNS, create_table_sql

DEFAULTS: dict[str, Any] = {
    "source_format": "test", "source_file": "test", "granularity": "request", "grouping": "request",
    "platform": "anthropic", "requests": 1, "input_tokens": 0, "cache_write_5m_tokens": 0,
    "cache_write_1h_tokens": 0, "cache_read_tokens": 0, "output_tokens": 0, "web_search_requests": 0,
    "service_tier": "standard", "speed": "standard", "cache_ttl_assumed": False,
}
TYPES = {name: duck for name, duck, _, _ in COLUMNS}


def _convert(name: str, value: Any) -> Any:
    if value is None or value == "":
        return None
    duck = TYPES[name]
    if duck == "TIMESTAMP" and isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", ""))
    if duck in ("BIGINT", "INTEGER") and isinstance(value, str):
        return int(value)
    if duck == "BOOLEAN" and isinstance(value, str):
        return value.lower() in ("true", "1", "yes")
    if duck.startswith("DECIMAL"):
        return Decimal(str(value))
    return value


def usage_con(rows: list[dict[str, Any]], prices_file: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A connection with `usage` holding rows (defaults filled in), priced into `priced_usage`."""
    con = duckdb.connect()
    pricing.install(con, prices_file)
    con.execute(create_table_sql("usage"))
    con.execute("CREATE TABLE rejects (source_file VARCHAR, source_line BIGINT, reason VARCHAR)")
    full = []
    for i, row in enumerate(rows, start=1):
        record = {**DEFAULTS, "record_id": f"r{i}", "source_line": i, **row}
        full.append({k: _convert(k, v) for k, v in record.items()})
    con.register("rows_arrow", pa.Table.from_pylist(full, schema=ARROW_SCHEMA))
    con.execute("INSERT INTO usage SELECT * FROM rows_arrow")
    pricing.price_usage(con)
    return con


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return [{k: v for k, v in row.items() if v != ""} for row in csv.DictReader(f)]


def load_files(*paths: Path, price: bool = False) -> tuple[duckdb.DuckDBPyConnection, ingest.IngestResult]:
    """Read files into a fresh connection, and price them when asked (the `priced_usage` table)."""
    con = duckdb.connect()
    if price:
        pricing.install(con)
    result = ingest.load(list(paths), con)
    if price:
        pricing.price_usage(con)
    return con, result


# The Spark tests (tests/test_spark*.py) run only where pyspark and a Java runtime are.
NEEDS_SPARK = [
    pytest.mark.skipif(importlib.util.find_spec("pyspark") is None,
                       reason="pyspark is not installed (pip install 'finops[spark]')"),
    pytest.mark.skipif(shutil.which("java") is None and not os.environ.get("JAVA_HOME"),
                       reason="no Java runtime for Spark (pyspark 4 needs Java 17)"),
]
