"""`finops export focus`: each FOCUS version's column contract (mandatory columns, types, allowed values) and
hand-checked rows, including negotiated rates and a bill below list where the four cost columns all differ."""

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
# The lists below are written out from the reference, not imported, so the test checks the export against the
# specification, not against itself.
# FOCUS 1.2 mandatory columns and their data types (FOCUS_Spec v1.2, specification/columns/*.md).
FOCUS_12_MANDATORY = {
    "BilledCost": "Decimal", "BillingAccountId": "String", "BillingAccountName": "String",
    "BillingCurrency": "String", "BillingPeriodEnd": "DateTime", "BillingPeriodStart": "DateTime",
    "ChargeCategory": "String", "ChargeClass": "String", "ChargeDescription": "String",
    "ChargePeriodEnd": "DateTime", "ChargePeriodStart": "DateTime", "ContractedCost": "Decimal",
    "EffectiveCost": "Decimal", "InvoiceIssuerName": "String", "ListCost": "Decimal", "PricingQuantity": "Decimal",
    "PricingUnit": "String", "ProviderName": "String", "PublisherName": "String", "ServiceCategory": "String",
    "ServiceName": "String",
}
# FOCUS 1.4 mandatory columns, types and "nulls allowed" (formats-2026.md 1(a), the 1.4 dataset.md table).
FOCUS_14_MANDATORY = {
    "BilledCost": ("Decimal", False), "BillingAccountId": ("String", False),
    "BillingAccountName": ("String", True), "BillingCurrency": ("String", False),
    "BillingPeriodEnd": ("DateTime", False), "BillingPeriodStart": ("DateTime", False),
    "ChargeCategory": ("String", False), "ChargeClass": ("String", True), "ChargeDescription": ("String", True),
    "ChargePeriodEnd": ("DateTime", False), "ChargePeriodStart": ("DateTime", False),
    "ContractedCost": ("Decimal", False), "EffectiveCost": ("Decimal", False),
    "HostProviderName": ("String", False), "InvoiceIssuerName": ("String", False), "ListCost": ("Decimal", False),
    "PricingQuantity": ("Decimal", True), "PricingUnit": ("String", True), "ServiceCategory": ("String", False),
    "ServiceName": ("String", False), "ServiceProviderName": ("String", False),
}
# 1.3 adds ServiceProviderName and HostProviderName and deprecates ProviderName and PublisherName, which generators
# should still ship during the transition; 1.4 removes them (formats-2026.md 1(b)).
MANDATORY = {
    "1.2": set(FOCUS_12_MANDATORY),
    "1.3": set(FOCUS_14_MANDATORY) | {"ProviderName", "PublisherName"},
    "1.4": set(FOCUS_14_MANDATORY),
}
REMOVED = {"1.2": {"ServiceProviderName", "HostProviderName"}, "1.3": set(), "1.4": {"ProviderName", "PublisherName"}}
TYPES = {name: kind for name, (kind, _) in FOCUS_14_MANDATORY.items()} | {
    k: v for k, v in FOCUS_12_MANDATORY.items()} | {
    "ChargeFrequency": "String", "ConsumedQuantity": "Decimal", "ConsumedUnit": "String",
    "ContractedUnitPrice": "Decimal", "ListUnitPrice": "Decimal", "PricingCategory": "String", "RegionId": "String",
    "RegionName": "String", "ServiceSubcategory": "String", "SkuId": "String", "SkuMeter": "String",
    "SkuPriceDetails": "JSON", "SkuPriceId": "String", "SubAccountId": "String", "SubAccountName": "String",
    "Tags": "JSON", "ContractApplied": "JSON"}
NOT_NULL = {name for name, (_, nullable) in FOCUS_14_MANDATORY.items() if not nullable} | {
    "ProviderName", "PublisherName"}
# Allowed values (formats-2026.md 1(c)).
ALLOWED = {
    "ChargeCategory": {"Usage", "Purchase", "Tax", "Credit", "Adjustment"},
    "ChargeClass": {None, "Correction"},
    "ChargeFrequency": {"One-Time", "Recurring", "Usage-Based"},
    "PricingCategory": {None, "Standard", "Dynamic", "Committed", "Other"},
    "ServiceCategory": {"AI and Machine Learning", "Analytics", "Business Applications", "Compute", "Databases",
                        "Developer Tools", "Identity", "Integration", "Internet of Things",
                        "Management and Governance", "Media", "Migration", "Mobile", "Multicloud", "Networking",
                        "Security", "Storage", "Web", "Other"},
    "ServiceSubcategory": {None, "AI Platforms", "Bots", "Generative AI", "Machine Learning",
                           "Natural Language Processing", "Other (AI and Machine Learning)"},
}
# SkuPriceDetails keys of the AI-billing draft (formats-2026.md 1(d)): a 1.5 draft, so x_ keys in 1.2 to 1.4.
AI_VALUES = {"x_TokenDirection": {"Input", "Output"}, "x_TokenCacheAction": {"Uncached", "Read", "Write", "Other"}}
# UnitFormat: "<positive integer> <plural unit>" or a plain unit; "1M Tokens" does not fit (formats-2026.md 1(d)).
UNIT = re.compile(r"^(?:[1-9]\d* )?[A-Z][A-Za-z-]*$")
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


def export(paths: list[Path], out: Path, *options: str) -> str:
    result = CliRunner().invoke(cli, ["export", "focus", *map(str, paths), "-o", str(out), *options])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("version", ["1.2", "1.3", "1.4"])
def test_each_version_has_its_mandatory_columns_types_and_allowed_values(inputs: Path, tmp_path: Path,
                                                                          version: str) -> None:
    out = tmp_path / "focus.parquet"
    message = export([inputs], out, "--focus-version", version)
    assert f"FOCUS {version} rows written" in message
    assert "1 unpriced row(s) left out" in message  # the CUR's Claude Opus 9 line: FOCUS costs cannot be null
    schema = pq.read_schema(out)
    types = {name: schema.field(name).type for name in schema.names}
    assert MANDATORY[version] <= set(types)
    assert not REMOVED[version] & set(types), REMOVED[version] & set(types)
    for name in set(types) & set(TYPES):
        arrow, kind = types[name], TYPES[name]
        if kind == "Decimal":
            assert pa.types.is_decimal(arrow), (name, arrow)  # never a float
        elif kind == "DateTime":
            assert pa.types.is_timestamp(arrow) and arrow.tz == "UTC", (name, arrow)
        else:
            assert pa.types.is_string(arrow), (name, arrow)
    extra = set(types) - set(TYPES)
    assert extra and all(name.startswith("x_") for name in extra), extra  # project columns are prefixed x_
    rows = pq.read_table(out).to_pylist()
    for row in rows:
        for name in NOT_NULL & set(types):
            assert row[name] is not None, (name, row["x_FinopsRecordId"])
        for name, allowed in ALLOWED.items():
            assert row[name] in allowed, (name, row[name])
        assert row["BillingCurrency"] == "USD"
        assert row["ChargePeriodEnd"] > row["ChargePeriodStart"]
        if row["ChargeCategory"] == "Usage":
            assert row["ChargeFrequency"] == "Usage-Based"
            assert row["PricingUnit"] in ("1000000 Tokens", "1000 Searches") and UNIT.match(row["PricingUnit"])
            assert UNIT.match(row["ConsumedUnit"])
            per = Decimal(1_000_000) if row["PricingUnit"] == "1000000 Tokens" else Decimal(1000)
            assert row["PricingQuantity"] * per == row["ConsumedQuantity"]
        if row["ChargeCategory"] == "Tax":
            assert row["PricingCategory"] is None
        if row["SkuPriceId"] is None:
            assert row["SkuPriceDetails"] is None  # the spec: null when SkuPriceId is null
            continue
        details = json.loads(row["SkuPriceDetails"])
        assert all(key.startswith("x_") for key in details), details  # no AI key is ratified in 1.2 to 1.4
        assert details["x_ModelDeveloper"] == "Anthropic" and details["x_ModelId"] == row["x_Model"]
        for key, allowed in AI_VALUES.items():
            assert key not in details or details[key] in allowed, details
        if row["ConsumedUnit"] == "Tokens":
            assert details["x_TokenDirection"] == ("Output" if row["x_TokenClass"] == "output" else "Input")
        else:
            assert "x_TokenDirection" not in details and "x_TokenCacheAction" not in details  # not a token SKU


def test_the_token_keys_of_each_class(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "focus.parquet"
    export([inputs], out)
    seen = {}
    for row in pq.read_table(out).to_pylist():
        if row["SkuPriceDetails"]:
            details = json.loads(row["SkuPriceDetails"])
            seen[row["x_TokenClass"]] = (details.get("x_TokenDirection"), details.get("x_TokenCacheAction"),
                                         details.get("x_CacheTtl"))
    # The mapping of formats-2026.md 1(d): the cache TTL is never a TokenCacheAction value, so it is an x_ key.
    assert seen == {"input": ("Input", "Uncached", None), "output": ("Output", None, None),
                    "cache_read": ("Input", "Read", None), "cache_write_1h": ("Input", "Write", "1h"),
                    "web_search": (None, None, None)}


def test_csv_rows_by_hand(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "focus.csv"
    export([inputs], out)
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert MANDATORY["1.4"] <= set(rows[0])
    for row in rows:
        for name in MANDATORY["1.4"]:
            kind = TYPES[name]
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
        "0.001", "1000000 Tokens", "1000", "Tokens")
    assert (by_class["input"]["ListUnitPrice"], by_class["output"]["ListUnitPrice"]) == ("3", "15")
    assert (by_class["web_search"]["PricingQuantity"], by_class["web_search"]["PricingUnit"]) == (
        "0.002", "1000 Searches")
    first = by_class["input"]
    assert (first["ChargePeriodStart"], first["ChargePeriodEnd"]) == ("2026-09-14T09:30:12Z", "2026-09-14T09:30:13Z")
    assert (first["BillingPeriodStart"], first["BillingPeriodEnd"]) == ("2026-09-01T00:00:00Z",
                                                                        "2026-10-01T00:00:00Z")
    assert (first["ServiceProviderName"], first["HostProviderName"], first["ServiceName"],
            first["SubAccountId"]) == ("Anthropic", "Anthropic", "Claude API", "wrkspc_a")
    assert json.loads(first["Tags"]) == {"prod": ""}
    assert sum(int(r["x_Requests"]) for r in log) == 1  # the request is counted once, on its first row
    cur = [r for r in rows if r["x_SourceFormat"] == "bedrock_cur"]
    usage = [r for r in cur if r["ChargeCategory"] == "Usage"]
    # The CUR's seven priced lines: BilledCost is what each line billed, 59.49 in all, and so is ListCost.
    assert len(usage) == 7
    assert sum(Decimal(r["BilledCost"]) for r in usage) == Decimal("59.49")
    assert sum(Decimal(r["ListCost"]) for r in usage) == Decimal("59.49")
    assert sum(Decimal(r["ContractedCost"]) for r in usage) == Decimal("59.49")  # no --prices: list
    assert {r["x_CostSource"] for r in usage} == {"bill"}
    line2 = next(r for r in usage if r["x_SourceLine"] == "2")
    assert (line2["ServiceProviderName"], line2["HostProviderName"], line2["InvoiceIssuerName"],
            line2["BillingAccountId"], line2["RegionId"]) == (
        "AWS", "AWS", "Amazon Web Services", "111122223333", "us-east-1")
    assert (line2["PricingQuantity"], line2["ConsumedQuantity"], line2["x_EndpointScope"]) == (
        "12.48", "12480000", "global")
    money = sorted((r["ChargeCategory"], Decimal(r["BilledCost"]), Decimal(r["EffectiveCost"]))
                   for r in cur if r["ChargeCategory"] != "Usage")
    # The private-rate discount (-1) is spread over the Sonnet 4.6 lines of its account, so its own row's
    # EffectiveCost is 0 and the usage rows' EffectiveCost adds up to 59.49 - 1 = 58.49.
    assert money == [("Credit", Decimal("-5"), Decimal("-5")), ("Credit", Decimal("-1"), Decimal("0")),
                     ("Tax", Decimal("2"), Decimal("2"))]
    assert sum(Decimal(r["EffectiveCost"]) for r in usage) == Decimal("58.49")


def test_the_extension_decides_the_format(inputs: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["export", "focus", str(inputs), "-o", str(tmp_path / "focus.xlsx")])
    assert result.exit_code == 2 and ".csv or .parquet" in result.output
    assert not (tmp_path / "focus.xlsx").exists()


CUR_HEADER = CUR2.read_text().splitlines()[0]
SONNET_46 = '"{""product_name"": ""Claude Sonnet 4.6 (Amazon Bedrock Edition)"", ""region_code"": ""us-east-1""}"'


def cur_line(line_id: str, kind: str, usage_type: str, amount: str, unit: str, rate: str, cost: str,
             description: str = "") -> str:
    day = "2026-10-05T00:00:00Z"
    return (f"{line_id},{day}/2026-10-06T00:00:00Z,AWS Marketplace,{kind},7k3x9q2m1a,111122223333,{usage_type},"
            f"{day},2026-10-06T00:00:00Z,{amount},{unit},{rate},{cost},USD,,{description},{SONNET_46},us-east-1,")


def test_negotiated_rates_and_a_bill_below_list_keep_the_four_costs_apart(tmp_path: Path) -> None:
    # A Bedrock bill for Claude Sonnet 4.6 on a regional endpoint (x1.10, pricing.md 3.1): 0.5M output tokens
    # billed $7.00 and 1M input tokens billed $3.00 (a private offer below list), and a private-rate discount
    # line of -$0.70 on the same product and account. Negotiated rates (--prices): $2.80 in, $14 out.
    (tmp_path / "cur.csv").write_text("\n".join([
        CUR_HEADER,
        cur_line("li-a1", "Usage", "USE1-MP:USE1_OutputTokenCount-Units", "0.5", "1M tokens", "14", "7.00"),
        cur_line("li-a2", "Usage", "USE1-MP:USE1_InputTokenCount-Units", "1", "1M tokens", "3", "3.00"),
        cur_line("li-a3", "PrivateRateDiscount", "USE1-MP:USE1_InputTokenCount-Units", "0", "Units", "", "-0.70",
                 "Private offer discount"),
    ]) + "\n")
    (tmp_path / "negotiated.csv").write_text(
        "platform,model,variant,valid_from,input,cache_write_5m,cache_write_1h,cache_read,output\n"
        "bedrock,claude-sonnet-4-6,standard,2026-01-01,2.80,3.50,5.60,0.28,14.00\n")
    out = tmp_path / "focus.csv"
    export([tmp_path / "cur.csv"], out, "--prices", str(tmp_path / "negotiated.csv"))
    with open(out, newline="", encoding="utf-8") as f:
        rows = {r["x_TokenClass"] if r["ChargeCategory"] == "Usage" else r["ChargeCategory"]: r
                for r in csv.DictReader(f)}
    costs = {k: tuple(Decimal(r[c]) for c in ("ListCost", "ContractedCost", "BilledCost", "EffectiveCost"))
             for k, r in rows.items()}
    # Output: list 0.5 x $15 x 1.1 = 8.25; contracted 0.5 x $14 x 1.1 = 7.70; billed 7.00 (the line);
    # effective: the -0.70 discount spread over the group's billed 7.00 + 3.00 = 10.00 in proportion,
    # -0.70 x 7/10 = -0.49, so 7.00 - 0.49 = 6.51.
    assert costs["output"] == (Decimal("8.25"), Decimal("7.70"), Decimal("7.00"), Decimal("6.51"))
    # Input: list 1 x $3 x 1.1 = 3.30; contracted 1 x $2.80 x 1.1 = 3.08; billed 3.00; effective 3.00 - 0.21.
    assert costs["input"] == (Decimal("3.30"), Decimal("3.08"), Decimal("3.00"), Decimal("2.79"))
    # The discount line stays a Credit row of -0.70 billed; its effect is in the usage rows, so effective 0.
    assert (costs["Credit"][2], costs["Credit"][3]) == (Decimal("-0.70"), Decimal("0"))
    # Unit prices: list $15 x 1.1 = 16.5 and contracted $14 x 1.1 = 15.4 per 1000000 Tokens.
    assert (rows["output"]["ListUnitPrice"], rows["output"]["ContractedUnitPrice"]) == ("16.5", "15.4")
    # Whole file: effective = billed (7.00 + 3.00 - 0.70 = 9.30), nothing counted twice.
    assert sum(c[3] for c in costs.values()) == sum(c[2] for c in costs.values()) == Decimal("9.30")
