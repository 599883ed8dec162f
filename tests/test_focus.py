"""`finops export focus`: the FOCUS 1.2 column contract (every mandatory column, its type) and hand-checked rows."""

from __future__ import annotations

import csv
import json
import re
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from finops.cli import cli

FIX = Path(__file__).parent / "fixtures"
CUR2 = FIX / "bedrock_cur" / "cur2_october.csv"
# The FOCUS 1.2 mandatory columns and their data types (FOCUS_Spec v1.2, specification/columns/*.md), written out
# here rather than imported, so the test checks the export against the specification, not against itself.
FOCUS_12_MANDATORY = {
    "BilledCost": "Decimal", "BillingAccountId": "String", "BillingAccountName": "String",
    "BillingCurrency": "String", "BillingPeriodEnd": "DateTime", "BillingPeriodStart": "DateTime",
    "ChargeCategory": "String", "ChargeClass": "String", "ChargeDescription": "String",
    "ChargePeriodEnd": "DateTime", "ChargePeriodStart": "DateTime", "ContractedCost": "Decimal",
    "EffectiveCost": "Decimal", "InvoiceIssuerName": "String", "ListCost": "Decimal", "PricingQuantity": "Decimal",
    "PricingUnit": "String", "ProviderName": "String", "PublisherName": "String", "ServiceCategory": "String",
    "ServiceName": "String",
}
# FOCUS 1.2 columns used besides the mandatory ones (conditional or recommended in the spec).
FOCUS_12_OTHER = {
    "ChargeFrequency": "String", "ConsumedQuantity": "Decimal", "ConsumedUnit": "String",
    "ContractedUnitPrice": "Decimal", "ListUnitPrice": "Decimal", "PricingCategory": "String", "RegionId": "String",
    "RegionName": "String", "ServiceSubcategory": "String", "SkuId": "String", "SkuMeter": "String",
    "SkuPriceDetails": "JSON", "SubAccountId": "String", "SubAccountName": "String", "Tags": "JSON",
}
NOT_NULL = set(FOCUS_12_MANDATORY) - {"ChargeClass", "PricingQuantity", "PricingUnit", "BillingAccountName"}
CHARGE_CATEGORIES = {"Usage", "Purchase", "Tax", "Credit", "Adjustment"}
DECIMAL_TEXT = re.compile(r"^-?\d+(\.\d+)?$")
DATETIME_TEXT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$")


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    # One request: 1,000 input and 100 output tokens of Sonnet 4.6 and 2 web searches, at list.
    (folder / "log.jsonl").write_text(json.dumps({
        "timestamp": "2026-09-14T09:30:12Z",
        "request": {"model": "claude-sonnet-4-6", "max_tokens": 100, "messages": [{"role": "user", "content": "x"}]},
        "response": {"id": "msg_focus_1", "model": "claude-sonnet-4-6",
                     "usage": {"input_tokens": 1000, "output_tokens": 100,
                               "server_tool_use": {"web_search_requests": 2}}},
        "metadata": {"workspace": "wrkspc_a", "project": "helpdesk", "tags": ["prod"]}}) + "\n")
    (folder / "cur.csv").write_bytes(CUR2.read_bytes())
    return folder


def export(paths: list[Path], out: Path) -> str:
    result = CliRunner().invoke(cli, ["export", "focus", *map(str, paths), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return result.output


def test_parquet_has_every_mandatory_column_with_its_type(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "focus.parquet"
    message = export([inputs], out)
    assert "1 unpriced row(s) left out" in message  # the CUR's Claude Opus 9 line: FOCUS costs cannot be null
    schema = pq.read_schema(out)
    types = {name: schema.field(name).type for name in schema.names}
    assert set(FOCUS_12_MANDATORY) <= set(types)
    for name, kind in {**FOCUS_12_MANDATORY, **FOCUS_12_OTHER}.items():
        arrow = types[name]
        if kind == "Decimal":
            assert pa.types.is_decimal(arrow), (name, arrow)  # never a float
        elif kind == "DateTime":
            assert pa.types.is_timestamp(arrow) and arrow.tz == "UTC", (name, arrow)
        else:
            assert pa.types.is_string(arrow), (name, arrow)
    extra = set(types) - set(FOCUS_12_MANDATORY) - set(FOCUS_12_OTHER)
    assert extra and all(name.startswith("x_") for name in extra), extra  # project columns are prefixed x_
    rows = pq.read_table(out).to_pylist()
    for row in rows:
        for name in NOT_NULL:
            assert row[name] is not None, (name, row["x_FinopsRecordId"])
        assert row["ServiceCategory"] == "AI and Machine Learning"
        assert row["ChargeCategory"] in CHARGE_CATEGORIES
        assert row["ChargeClass"] is None
        assert row["BillingCurrency"] == "USD"
        assert row["ChargePeriodEnd"] > row["ChargePeriodStart"]
        if row["ChargeCategory"] == "Usage":
            assert row["PricingQuantity"] is not None and row["PricingUnit"] in ("1M Tokens", "1K Searches")
            per = Decimal(1_000_000) if row["PricingUnit"] == "1M Tokens" else Decimal(1000)
            assert row["PricingQuantity"] * per == row["ConsumedQuantity"]


def test_csv_rows_by_hand(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "focus.csv"
    export([inputs], out)
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert set(FOCUS_12_MANDATORY) <= set(rows[0])
    for row in rows:
        for name, kind in FOCUS_12_MANDATORY.items():
            if row[name] == "":
                continue
            if kind == "Decimal":
                assert DECIMAL_TEXT.match(row[name]), (name, row[name])  # plain decimal text, no exponent
            elif kind == "DateTime":
                assert DATETIME_TEXT.match(row[name]), (name, row[name])
    log = [r for r in rows if r["x_SourceFormat"] == "anthropic_log"]
    by_class = {r["x_TokenClass"]: r for r in log}
    assert set(by_class) == {"input", "output", "web_search"}  # token classes with tokens only
    # 1,000 x $3 / 1e6 = 0.003; 100 x $15 / 1e6 = 0.0015; 2 x $0.01 = 0.02.
    assert {k: Decimal(r["ListCost"]) for k, r in by_class.items()} == {
        "input": Decimal("0.003"), "output": Decimal("0.0015"), "web_search": Decimal("0.02")}
    assert (by_class["input"]["PricingQuantity"], by_class["input"]["PricingUnit"],
            by_class["input"]["ConsumedQuantity"], by_class["input"]["ConsumedUnit"]) == (
        "0.001", "1M Tokens", "1000", "Tokens")
    assert (by_class["input"]["ListUnitPrice"], by_class["output"]["ListUnitPrice"]) == ("3", "15")
    assert (by_class["web_search"]["PricingQuantity"], by_class["web_search"]["PricingUnit"]) == ("0.002",
                                                                                                  "1K Searches")
    first = by_class["input"]
    assert (first["ChargePeriodStart"], first["ChargePeriodEnd"]) == ("2026-09-14T09:30:12Z", "2026-09-14T09:30:13Z")
    assert (first["BillingPeriodStart"], first["BillingPeriodEnd"]) == ("2026-09-01T00:00:00Z",
                                                                        "2026-10-01T00:00:00Z")
    assert (first["ProviderName"], first["PublisherName"], first["ServiceName"], first["SubAccountId"]) == (
        "Anthropic", "Anthropic", "Claude API", "wrkspc_a")
    assert json.loads(first["Tags"]) == {"prod": ""}
    assert sum(int(r["x_Requests"]) for r in log) == 1  # the request is counted once, on its first row
    cur = [r for r in rows if r["x_SourceFormat"] == "bedrock_cur"]
    usage = [r for r in cur if r["ChargeCategory"] == "Usage"]
    # The CUR's seven priced lines: BilledCost is what each line billed, 59.49 in all, and so is ListCost.
    assert len(usage) == 7
    assert sum(Decimal(r["BilledCost"]) for r in usage) == Decimal("59.49")
    assert sum(Decimal(r["ListCost"]) for r in usage) == Decimal("59.49")
    assert {r["x_CostSource"] for r in usage} == {"bill"}
    line2 = next(r for r in usage if r["x_SourceLine"] == "2")
    assert (line2["ProviderName"], line2["InvoiceIssuerName"], line2["BillingAccountId"], line2["RegionId"]) == (
        "AWS", "Amazon Web Services", "111122223333", "us-east-1")
    assert (line2["PricingQuantity"], line2["ConsumedQuantity"], line2["x_EndpointScope"]) == (
        "12.48", "12480000", "global")
    money = sorted((r["ChargeCategory"], Decimal(r["BilledCost"])) for r in cur if r["ChargeCategory"] != "Usage")
    assert money == [("Credit", Decimal("-5")), ("Credit", Decimal("-1")), ("Tax", Decimal("2"))]


def test_the_extension_decides_the_format(inputs: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["export", "focus", str(inputs), "-o", str(tmp_path / "focus.xlsx")])
    assert result.exit_code == 2 and ".csv or .parquet" in result.output
    assert not (tmp_path / "focus.xlsx").exists()
