"""Bills and cloud logs: AWS CUR (legacy, 2.0, Parquet), AWS FOCUS, Bedrock invocation logs, Google Cloud billing
export, Anthropic cost report, Console cost export. Each fixture in tests/fixtures/<format>/ is loaded through
finops.ingest.load; every expected number was worked out by hand from the fixture lines (see the comments).

List prices used by hand ($ per million tokens): Sonnet 4.5/4.6 3 input, 3.75 5m write, 6 1h write, 0.30 read,
15 output; Opus 4.1 15 / 18.75 / 30 / 1.5 / 75; Opus 4.7/4.8 5 / 6.25 / 10 / 0.5 / 25; Haiku 4.5 1 / 1.25 / 2 /
0.1 / 5; Haiku 3 0.25 input. Regional Bedrock/Vertex endpoints x1.1 on 4.5-series and later; batch x0.5.
"""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from finops.ingest.common import FileStats
from helpers import load_files as load

from finops import ingest
from finops.cli import cli

FIX = Path(__file__).parent / "fixtures"
HOSTILE = Path(__file__).parent / "hostile"
CUR2 = FIX / "bedrock_cur" / "cur2_october.csv"
CUR_LEGACY = FIX / "bedrock_cur" / "legacy_cur_2026-09.csv.gz"
FOCUS = FIX / "aws_focus" / "focus_1_2_aws_2026-10.csv"
INVOCATIONS = FIX / "bedrock_invocation" / "invocations.jsonl"
CONSOLE_COPY = FIX / "bedrock_invocation" / "console_copy.json"  # three records, pretty-printed, one after another
DOC_ARRAY = FIX / "bedrock_invocation" / "documentation_array.json"  # a JSON array of two records
AWS_LOGS = FIX / "bedrock_invocation" / "aws_logs_filter_log_events.json"  # `aws logs filter-log-events` output
OTHER_MODELS = FIX / "bedrock_invocation" / "other_models.jsonl"  # Claude among Nova, Titan, Llama, Mistral...
GCP_JSON = FIX / "gcp_billing" / "billing_export_2026-07.jsonl"
GCP_CSV = FIX / "gcp_billing" / "billing_query_2026-07-15.csv"
COST_REPORT = FIX / "anthropic_cost_report" / "cost_report_2026-09.json"
CONSOLE_COST = FIX / "console_cost_csv" / "cost_2026_08.csv"
CONSOLE_COST_OLD = FIX / "console_cost_csv" / "cost_2025_12.csv"
MARKER = "MARKER-PROMPT-7f3a"
NOT_UNICODE = "is not valid Unicode text: it holds a lone surrogate"
TOKENS = ("input_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens", "cache_read_tokens", "output_tokens")


def table(con: duckdb.DuckDBPyConnection, name: str, path: Path) -> list[dict[str, Any]]:
    cursor = con.execute(f"SELECT * FROM {name} WHERE source_file = ? ORDER BY source_line, record_id", [str(path)])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def at(con: duckdb.DuckDBPyConnection, path: Path, line: int, name: str = "usage") -> dict[str, Any]:
    found = [r for r in table(con, name, path) if r["source_line"] == line]
    assert len(found) == 1, f"expected one {name} row from {path.name}:{line}, found {len(found)}"
    return found[0]


def toks(row: dict[str, Any]) -> tuple[int, ...]:
    return tuple(row[c] for c in TOKENS)


def stats(result: ingest.IngestResult, path: Path) -> FileStats:
    (found,) = [f for f in result.files if f.path == str(path)]
    return found


def counts(s: FileStats) -> tuple[int, int, int, int, int]:
    """(read, loaded, rejected, duplicate, ignored lines), after checking the accounting identity."""
    assert s.rows_read == s.rows_loaded + s.rows_rejected + s.rows_duplicate, s
    return s.rows_read, s.rows_loaded, s.rows_rejected, s.rows_duplicate, s.lines_ignored


def rejects(con: duckdb.DuckDBPyConnection, path: Path) -> dict[int, str]:
    return dict(con.execute("SELECT source_line, reason FROM rejects WHERE source_file = ?", [str(path)]).fetchall())


def money(con: duckdb.DuckDBPyConnection, sql: str, *params: Any) -> Decimal:
    return Decimal(con.execute(sql, list(params)).fetchone()[0])  # type: ignore[index]


# ---- AWS Cost and Usage Report -----------------------------------------------------------------------------


def test_cur2_claude_lines_become_bucket_rows_one_token_class_each() -> None:
    con, result = load(CUR2, price=True)
    s = stats(result, CUR2)
    assert s.format == "bedrock_cur"
    # 15 lines: 9 is EC2 (not a record); 2-8 and 16 usage, 15 repeats 2 (duplicate); 10-12 bill lines; 13 (EUR)
    # and 14 (amount 'abc') rejected.
    assert counts(s) == (14, 11, 2, 1, 1)
    assert rejects(con, CUR2) == {
        13: "billed in EUR, not USD: amounts are not converted (export the report in USD)",
        14: "line_item_usage_amount is not a number: 'abc'"}
    one = at(con, CUR2, 2)  # 12.48 'Units' at rate 3.0 = list $3/MTok: millions -> 12,480,000 input tokens
    assert toks(one) == (12_480_000, 0, 0, 0, 0)
    assert (one["platform"], one["model"], one["endpoint_scope"], one["region"]) == (
        "bedrock", "claude-sonnet-4-6", "global", "us-east-1")
    assert (one["granularity"], one["grouping"], one["requests"], one["source_cost"]) == (
        "bucket", "cur", None, Decimal("37.44"))
    assert (one["workspace"], json.loads(one["tags"])) == ("111122223333", {"user:team": "search"})
    assert toks(at(con, CUR2, 3)) == (0, 0, 0, 0, 500_000)  # pricing_unit '1M tokens'
    assert at(con, CUR2, 3)["endpoint_scope"] == "regional"  # no _Global suffix
    assert toks(at(con, CUR2, 4)) == (0, 0, 0, 2_000_000, 0)
    assert toks(at(con, CUR2, 5)) == (0, 0, 100_000, 0, 0)  # CacheWrite1h...: 1-hour writes
    opus = at(con, CUR2, 6)  # snake_case family: input_tokens_standard, regional
    assert (toks(opus), opus["model"], opus["region"], opus["workspace"]) == (
        (1_000_000, 0, 0, 0, 0), "claude-opus-4-7", "us-west-2", "444455556666")
    batch = at(con, CUR2, 7)  # MillionBatchInputTokens: millions, batch tier
    assert (toks(batch), batch["service_tier"]) == ((4_000_000, 0, 0, 0, 0), "batch")
    legacy = at(con, CUR2, 8)  # USE1-Claude3Haiku-input-tokens, '1K tokens': 2000 x 1000
    assert (toks(legacy), legacy["model"]) == ((2_000_000, 0, 0, 0, 0), "claude-3-haiku")
    unknown = at(con, CUR2, 16)  # no list rate to tell the unit: millions assumed, unpriced
    assert (unknown["model"], unknown["model_raw"], unknown["input_tokens"]) == (
        None, "Claude Opus 9 (Amazon Bedrock Edition)", 1_000_000)
    bills = {r["source_line"]: (r["charge_kind"], r["billed_cost"]) for r in table(con, "billing", CUR2)}
    assert bills == {10: ("credit", Decimal("-5")), 11: ("discount", Decimal("-1")), 12: ("tax", Decimal("2"))}
    assert "5 line(s): usage amount in millions of tokens, by its rate against the list rate" in s.notes
    assert "1 line(s): usage amount in millions of tokens, assumed (unit not stated, no rate to tell)" in s.notes
    # List, by hand: 37.44 + 0.5 x 15 x 1.1 (8.25) + 2 x 0.30 (0.6) + 0.1 x 6 (0.6) + 1 x 5 x 1.1 (5.5)
    # + 4 x 3 x 0.5 x 1.1 (6.6) + 2 x 0.25 (0.5) = 59.49, the same as the lines billed.
    assert money(con, "SELECT sum(list_cost) FROM priced_usage WHERE priced") == Decimal("59.49")
    assert money(con, "SELECT sum(source_cost) FROM priced_usage WHERE priced") == Decimal("59.49")
    assert con.execute("SELECT count(*) FROM priced_usage WHERE NOT priced").fetchone() == (1,)


def test_legacy_cur_headers_gzip_resource_arn_and_mantle_usage_types() -> None:
    con, result = load(CUR_LEGACY, price=True)
    assert counts(stats(result, CUR_LEGACY)) == (3, 3, 0, 0, 0)
    sonnet = at(con, CUR_LEGACY, 2)  # lineItem/UsageType etc.; 2 Units at 3.3 = regional list: millions
    assert (toks(sonnet), sonnet["model"], sonnet["endpoint_scope"]) == (
        (2_000_000, 0, 0, 0, 0), "claude-sonnet-4-5", "regional")
    assert json.loads(sonnet["tags"]) == {"user_team": "support"}  # resourceTags/user:team
    assert toks(at(con, CUR_LEGACY, 3)) == (0, 0, 0, 0, 10_000)
    mantle = at(con, CUR_LEGACY, 4)  # ...-mantle-cache-write-tokens-1h-global-standard
    assert (toks(mantle), mantle["model"], mantle["endpoint_scope"]) == (
        (0, 0, 500_000, 0, 0), "claude-haiku-4-5", "global")
    # 2 x 3 x 1.1 + 0.01 x 75 + 0.5 x 2 = 6.6 + 0.75 + 1.0
    assert money(con, "SELECT sum(list_cost) FROM priced_usage") == Decimal("8.35")


def test_cur2_parquet_with_map_columns(tmp_path: Path) -> None:
    path = tmp_path / "cur2-00001.snappy.parquet"
    product = pa.map_(pa.string(), pa.string())
    pq.write_table(pa.table({
        "identity_line_item_id": ["p1", "p2", "p3"],
        "line_item_line_item_type": ["Usage", "Usage", "Usage"],
        "line_item_usage_account_id": ["111122223333"] * 3,
        "line_item_usage_type": ["USE1-MP:USE1_output_tokens_global_standard-Units",
                                 "USE1-MP:USE1_cache_read_tokens_standard-Units", "USE1-BoxUsage:t3.micro"],
        "line_item_usage_start_date": [datetime(2026, 10, 9)] * 3,
        "line_item_usage_end_date": [datetime(2026, 10, 10)] * 3,
        "line_item_usage_amount": [0.25, 3.0, 24.0],
        "pricing_unit": ["Units", "Units", "Hrs"],
        "line_item_unblended_rate": ["25", "0.55", "0.01"],
        "line_item_unblended_cost": ["6.25", "1.65", "0.24"],
        "line_item_currency_code": ["USD"] * 3,
        "product": pa.array([[("product_name", "Claude Opus 4.8 (Amazon Bedrock Edition)"),
                              ("region_code", "us-east-1")],
                             [("product_name", "Claude Opus 4.8 (Amazon Bedrock Edition)"),
                              ("region_code", "us-east-1")],
                             [("product_name", "Amazon Elastic Compute Cloud")]], type=product),
        "resource_tags": pa.array([[("user:team", "search")], [], []], type=product),
    }), path)
    con, result = load(path, price=True)
    s = stats(result, path)
    assert (s.format, counts(s)) == ("bedrock_cur", (2, 2, 0, 0, 1))
    out = at(con, path, 1)  # 0.25 at $25 = list output: millions -> 250,000 output, global
    assert (toks(out), out["model"], out["endpoint_scope"], json.loads(out["tags"])) == (
        (0, 0, 0, 0, 250_000), "claude-opus-4-8", "global", {"user:team": "search"})
    read = at(con, path, 2)  # 3 at $0.55 = regional read 0.5 x 1.1: 3,000,000 reads
    assert (toks(read), read["endpoint_scope"]) == ((0, 0, 0, 3_000_000, 0), "regional")
    assert money(con, "SELECT sum(list_cost) FROM priced_usage") == Decimal("7.9")  # 6.25 + 1.65


def test_aws_focus_export() -> None:
    con, result = load(FOCUS, price=True)
    s = stats(result, FOCUS)
    # 5 rows: EC2 (4) is not Claude; 2 and 3 usage, 4 a credit, 6 tax.
    assert (s.format, counts(s)) == ("aws_focus", (4, 4, 0, 0, 1))
    assert toks(at(con, FOCUS, 2)) == (12_480_000, 0, 0, 0, 0)  # ConsumedQuantity in Tokens
    assert toks(at(con, FOCUS, 3)) == (0, 0, 0, 0, 200_000)  # PricingQuantity 0.2 x '1M tokens'
    assert at(con, FOCUS, 2)["workspace"] == "111122223333"
    assert {r["source_line"]: (r["charge_kind"], r["billed_cost"]) for r in table(con, "billing", FOCUS)} == {
        4: ("credit", Decimal("-2.5")), 6: ("tax", Decimal("0.5"))}
    assert money(con, "SELECT sum(list_cost) FROM priced_usage") == Decimal("40.44")  # 37.44 + 0.2 x 15


# ---- Bedrock invocation logs -------------------------------------------------------------------------------


def test_bedrock_invocation_logs() -> None:
    con, result = load(INVOCATIONS, price=True)
    s = stats(result, INVOCATIONS)
    # 11 lines, 12 records (line 9 holds two log events): 4 an error, 8 cut short, 10 without an output count:
    # rejected; 7 repeats 5's requestId: a duplicate.
    assert (s.format, counts(s)) == ("bedrock_invocation", (12, 8, 3, 1, 0))
    assert rejects(con, INVOCATIONS) == {4: "not billed: error (ThrottlingException)",
                                         8: "invalid JSON: truncated or malformed line",
                                         10: "missing output.outputTokenCount"}
    one = at(con, INVOCATIONS, 1)  # InvokeModel: the response's cache_creation says the 3000 writes are 1-hour
    assert toks(one) == (1200, 0, 3000, 0, 900) and one["cache_ttl_assumed"] is False
    assert (one["model"], one["platform"], one["endpoint_scope"], one["region"]) == (
        "claude-opus-4-1", "bedrock", "regional", "us-east-1")
    assert (one["workspace"], one["api_key_id"], one["project"]) == (
        "111122223333", "arn:aws:iam::111122223333:user/app", "contracts")
    assert (one["thinking_type"], one["thinking_budget"], one["max_tokens"]) == ("enabled", 8000, 16000)
    assert (one["thinking_tokens"], one["thinking_estimated"]) == (100, True)  # 400 characters / 4
    assert (one["granularity"], one["requests"], one["request_id"], one["stop_reason"]) == (
        "request", 1, "req-1", "end_turn")
    two = at(con, INVOCATIONS, 2)  # Converse: no TTL split, booked as 5-minute writes; cachePoint is caching
    assert toks(two) == (500, 2000, 0, 0, 100) and two["cache_ttl_assumed"] is True
    assert (two["endpoint_scope"], two["tool_count"], two["max_tokens"], two["cache_control"], two["stream"]) == (
        "global", 1, 512, True, False)
    three = at(con, INVOCATIONS, 3)  # ConverseStream: 80 characters of reasoning -> 20 thinking tokens
    assert toks(three) == (300, 0, 0, 2000, 200)
    assert (three["thinking_tokens"], three["thinking_budget"], three["stream"], three["stop_reason"]) == (
        20, 2048, True, "max_tokens")
    five = at(con, INVOCATIONS, 5)  # a CloudWatch export line (timestamp first); base model id: regional
    assert (toks(five), five["model"], five["endpoint_scope"]) == ((100, 0, 0, 0, 50), "claude-haiku-4-5", "regional")
    assert five["charge_period_start"] == datetime(2026, 10, 6, 10, 0, 5)
    six = at(con, INVOCATIONS, 6)  # an application inference profile names no model: unpriced
    assert (six["model"], six["region"]) == (None, "us-west-2")
    events = [r for r in table(con, "usage", INVOCATIONS) if r["source_line"] == 9]
    assert sorted(r["request_id"] for r in events) == ["req-9a", "req-9b"]
    eleven = at(con, INVOCATIONS, 11)  # cacheDetails: 1,000 of the 3,000 writes are 1-hour
    assert toks(eleven) == (50, 2000, 1000, 0, 10) and eleven["cache_ttl_assumed"] is False
    # List: 1: 1200 x 15 + 3000 x 30 + 900 x 75 = 175,500e-6; 2: 500 x 3 + 2000 x 3.75 + 100 x 15 = 10,500e-6;
    # 3: (300 x 3 + 2000 x 0.3 + 200 x 15) x 1.1 = 4,950e-6; 5: (100 + 50 x 5) x 1.1 = 385e-6;
    # 9a, 9b: 1000 + 100 x 5 = 1,500e-6 each; 11: 50 x 3 + 2000 x 3.75 + 1000 x 6 + 10 x 15 = 13,800e-6.
    assert money(con, "SELECT sum(list_cost) FROM priced_usage WHERE priced") == Decimal("0.208135")
    text = json.dumps(table(con, "usage", INVOCATIONS), default=str)
    assert MARKER not in text  # prompt and answer text is never stored


def test_pretty_printed_invocation_logs_are_read_as_records_not_lines() -> None:
    """A record copied from the CloudWatch console spans some 50 lines: each line used to be a rejected record
    (and a file of them "no usable input"). Records are counted, each numbered by the line it starts on."""
    con, result = load(CONSOLE_COPY, DOC_ARRAY, AWS_LOGS, price=True)
    # console_copy.json: records start on lines 1, 53 and 74 (the "{" at column 0); 53 is a Nova request.
    assert (stats(result, CONSOLE_COPY).format, counts(stats(result, CONSOLE_COPY))) == (
        "bedrock_invocation", (2, 2, 0, 0, 1))
    assert [(r["source_line"], r["request_id"]) for r in table(con, "usage", CONSOLE_COPY)] == [
        (1, "pp-1"), (74, "pp-3")]
    one = at(con, CONSOLE_COPY, 1)
    assert (toks(one), one["model"], one["endpoint_scope"], one["max_tokens"]) == (
        (1000, 0, 0, 0, 200), "claude-sonnet-4-5", "regional", 512)
    assert toks(at(con, CONSOLE_COPY, 74)) == (2000, 0, 0, 3000, 100)
    # documentation_array.json: "[" on line 1, the elements start on lines 2 and 23 (a Llama request).
    assert counts(stats(result, DOC_ARRAY)) == (1, 1, 0, 0, 1)
    assert (at(con, DOC_ARRAY, 2)["model"], toks(at(con, DOC_ARRAY, 2))) == ("claude-opus-4-1", (100, 0, 0, 0, 10))
    # aws_logs_filter_log_events.json: three events (Claude, Mistral, Cohere), numbered by the document's line.
    assert counts(stats(result, AWS_LOGS)) == (1, 1, 0, 0, 2)
    assert (at(con, AWS_LOGS, 1)["request_id"], toks(at(con, AWS_LOGS, 1))) == ("ev-1", (300, 0, 0, 0, 30))
    assert con.execute("SELECT count(*) FROM rejects").fetchone() == (0,)
    # Sonnet 4.5 regional: (1000 x 3 + 200 x 15) x 1.1 = 6,600e-6; Haiku 4.5 global: 2000 x 1 + 3000 x 0.1 +
    # 100 x 5 = 2,800e-6; Opus 4.1 (no regional premium before 4.5): 100 x 15 + 10 x 75 = 2,250e-6;
    # Sonnet 4.6 global: 300 x 3 + 30 x 15 = 1,350e-6.
    assert money(con, "SELECT sum(list_cost) FROM priced_usage") == Decimal("0.013")
    assert MARKER not in json.dumps(table(con, "usage", CONSOLE_COPY), default=str)


def test_records_of_other_bedrock_models_are_ignored_lines_with_a_note() -> None:
    """Nova, Titan, Llama, Mistral, DeepSeek, AI21 and Cohere requests share the invocation log: they are not
    Claude usage, so never requests and never unpriced Claude rows. An unknown Claude model, and an application
    inference profile that names no model, stay unpriced rows as before."""
    con, result = load(OTHER_MODELS, price=True)
    s = stats(result, OTHER_MODELS)
    # 11 lines: 1 Sonnet 4.6, 10 an unknown Claude, 11 an application inference profile; 2-9 other models (3, a
    # Nova request that failed, is ignored too: it is no Claude record).
    assert counts(s) == (3, 3, 0, 0, 8)
    assert s.notes == ["8 record(s) of other Bedrock models ignored (not Claude): amazon.nova (2), ai21.jamba (1), "
                       "amazon.titan (1), cohere.command (1), deepseek.r1 (1) and 2 more families"]
    assert [(r["source_line"], r["model"]) for r in table(con, "usage", OTHER_MODELS)] == [
        (1, "claude-sonnet-4-6"), (10, None), (11, None)]
    unpriced = con.execute("SELECT model_raw FROM priced_usage WHERE NOT priced ORDER BY 1").fetchall()
    assert unpriced == [("anthropic.claude-mystery-9-v1:0",),
                        ("arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/a1b2c3d4e5f6",)]
    assert money(con, "SELECT sum(list_cost) FROM priced_usage WHERE priced") == Decimal("0.0045")  # 3000 + 1500


# ---- Google Cloud billing export ---------------------------------------------------------------------------


def test_gcp_billing_export_json_lines() -> None:
    con, result = load(GCP_JSON, price=True)
    s = stats(result, GCP_JSON)
    # 10 lines: BigQuery (5) and AI Dev Tools (6) are not Claude tokens; 8 in EUR and 9 in gibibytes rejected;
    # 10 repeats 1. Loaded: usage 1-4, tax 7; line 2's credit is a derived bill line, not a record.
    assert (s.format, counts(s)) == ("gcp_billing", (8, 5, 2, 1, 2))
    assert rejects(con, GCP_JSON) == {
        8: "billed in EUR, not USD: amounts are not converted (export the billing data in USD)",
        9: "usage unit not understood: 'gibibyte' / 'None'"}
    one = at(con, GCP_JSON, 1)
    assert (toks(one), one["platform"], one["model"], one["endpoint_scope"], one["region"]) == (
        (4_500_000, 0, 0, 0, 0), "vertex", "claude-sonnet-4-6", "global", "global")
    assert (one["workspace"], json.loads(one["tags"]), one["source_cost"], one["grouping"]) == (
        "acme-ml-prod", {"team": "search"}, Decimal("13.5"), "gcp_billing")
    assert one["charge_period_start"] == datetime(2026, 7, 14, 10, 0)
    assert toks(at(con, GCP_JSON, 2)) == (0, 0, 0, 0, 300_000)  # 0.3 x '1M tokens'
    opus = at(con, GCP_JSON, 3)  # "Claude Opus 4 8 — Input Cache Write Tokens (TTL 3600 seconds) — us-east5"
    assert (toks(opus), opus["model"], opus["endpoint_scope"]) == ((0, 0, 100_000, 0, 0), "claude-opus-4-8",
                                                                    "regional")
    legacy = at(con, GCP_JSON, 4)  # "Claude 3 Haiku Input Tokens": region from location.region
    assert (toks(legacy), legacy["model"], legacy["region"]) == ((2_000_000, 0, 0, 0, 0), "claude-3-haiku",
                                                                 "us-east5")
    bills = {(r["source_line"], r["charge_kind"], r["derived"]): r["billed_cost"]
             for r in table(con, "billing", GCP_JSON)}
    assert bills == {(2, "credit", True): Decimal("-1"), (7, "tax", False): Decimal("0.3")}
    # 4.5 x 3 + 0.3 x 15 + 0.1 x 10 x 1.1 + 2 x 0.25 = 13.5 + 4.5 + 1.1 + 0.5
    assert money(con, "SELECT sum(list_cost) FROM priced_usage") == Decimal("19.6")


def test_gcp_billing_export_csv_with_flattened_columns() -> None:
    con, result = load(GCP_CSV, price=True)
    assert counts(stats(result, GCP_CSV)) == (2, 2, 0, 0, 0)
    out = at(con, GCP_CSV, 2)  # Haiku 4.5 output in europe-west1: regional
    assert (toks(out), out["endpoint_scope"], json.loads(out["tags"])) == (
        (0, 0, 0, 0, 1_000_000), "regional", {"team": "docs"})
    assert toks(at(con, GCP_CSV, 3)) == (2_000_000, 0, 0, 0, 0)  # 2 x '1M tokens'
    credit = at(con, GCP_CSV, 3, "billing")  # the credits column, as JSON text
    assert (credit["charge_kind"], credit["billed_cost"], credit["derived"]) == ("credit", Decimal("-0.25"), True)
    assert money(con, "SELECT sum(list_cost) FROM priced_usage") == Decimal("7.5")  # 1 x 5 x 1.1 + 2 x 1


# ---- Anthropic's bill -------------------------------------------------------------------------------------


def test_cost_report_amounts_are_cents() -> None:
    con, result = load(COST_REPORT)
    s = stats(result, COST_REPORT)
    assert (s.format, counts(s)) == ("anthropic_cost_report", (8, 6, 2, 0, 0))
    assert rejects(con, COST_REPORT) == {5: "amount in EUR, not USD: amounts are not converted",
                                         6: "missing amount"}
    assert con.execute("SELECT count(*) FROM usage").fetchone() == (0,)  # money, not tokens
    rows = {r["source_line"]: r for r in table(con, "billing", COST_REPORT)}
    one = rows[1]  # "123.45" cents = $1.2345
    assert (one["billed_cost"], one["platform"], one["model"], one["token_class"], one["workspace"]) == (
        Decimal("1.2345"), "anthropic", "claude-opus-4-6", "input", "wrkspc_a")
    assert (one["service_tier"], one["context_window"], one["inference_geo"]) == ("standard", "0-200k", "global")
    assert (rows[2]["billed_cost"], rows[2]["token_class"]) == (Decimal("0.5"), "output")
    assert (rows[3]["billed_cost"], rows[3]["cost_type"], rows[3]["model"]) == (Decimal("0.2"), "web_search", None)
    four = rows[4]  # no model field: read from "Claude Sonnet 4 Usage - Input Tokens"
    assert (four["model"], four["billed_cost"], four["service_tier"]) == ("claude-sonnet-4", Decimal("0.105"),
                                                                          "batch")
    assert rows[7]["billed_cost"] == Decimal("0.012346")  # 1.23456789 cents, to 6 places of a dollar
    assert rows[7]["token_class"] == "cache_write_1h"
    assert (rows[8]["billed_cost"], rows[8]["list_cost"]) == (Decimal("0.9"), Decimal("1"))  # list_amount


def test_console_cost_export_both_generations() -> None:
    con, result = load(CONSOLE_COST, CONSOLE_COST_OLD)
    assert counts(stats(result, CONSOLE_COST)) == (6, 5, 1, 0, 0)
    assert counts(stats(result, CONSOLE_COST_OLD)) == (2, 2, 0, 0, 0)
    assert rejects(con, CONSOLE_COST) == {6: "cost_usd is not an amount: 'abc'"}
    rows = {r["source_line"]: r for r in table(con, "billing", CONSOLE_COST)}
    assert (rows[2]["model"], rows[2]["token_class"], rows[2]["billed_cost"], rows[2]["list_cost"]) == (
        "claude-opus-4-6", "input", Decimal("1.5"), Decimal("1.5"))
    assert (rows[3]["billed_cost"], rows[3]["list_cost"], rows[3]["api_key_id"]) == (
        Decimal("3.25"), Decimal("3.5"), "apikey_01abc")
    assert (rows[5]["cost_type"], rows[5]["token_class"]) == ("web_search", None)
    mystery = rows[7]  # a display name finops does not know: kept, model unknown
    assert (mystery["model"], mystery["model_raw"], mystery["context_window"], mystery["speed"]) == (
        None, "Claude Mystery 7", "200k-1M", "fast")
    old = {r["source_line"]: r for r in table(con, "billing", CONSOLE_COST_OLD)}
    assert (old[2]["token_class"], old[2]["list_cost"]) == ("cache_write_5m", None)
    assert (old[3]["token_class"], old[3]["charge_period_start"]) == ("cache_write_1h", datetime(2025, 12, 1, 14))


def test_a_bill_alone_is_usable_input(tmp_path: Path) -> None:
    """Bill lines count as loaded rows: a folder holding only a cost report is read, not 'no usable input'."""
    result = CliRunner().invoke(cli, ["analyze", str(COST_REPORT), "-o", str(tmp_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["inputs"][0]["rows_loaded"] == 6
    assert report["totals"]["list_cost_usd"] == "0.000000"
    (bill,) = report["reconciliation"]["unmatched"]
    # 1.2345 + 0.5 + 0.2 + 0.105 + 0.012346 + 0.9
    assert (bill["platform"], bill["month"], bill["billed_usd"]) == ("anthropic", "2026-09", "2.951846")


def test_a_bill_alone_shows_what_it_billed_and_says_there_is_no_usage(tmp_path: Path) -> None:
    """A run on a bill alone printed "Claude API spend ? to ?: $0.00 over 0 requests"."""
    result = CliRunner().invoke(cli, ["analyze", str(COST_REPORT), "-o", str(tmp_path), "--format", "json,html,md"])
    assert result.exit_code == 0, result.output
    # Two daily buckets, 1 and 2 September; 1.2345 + 0.5 + 0.2 + 0.105 + 0.012346 + 0.9 = 2.951846 over 6 lines.
    printed = " ".join(result.output.split())  # the summary wraps at the terminal's width
    assert printed.startswith("Claude API bills 2026-09-01 to 2026-09-02: $2.95 billed over 6 bill lines; no usage "
                              "to analyse (findings need logs or usage reports) Records: 8 read")
    assert "$0.00" not in printed and " ? " not in printed
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["bill_only"] == {"bill_lines": 6, "billed_cost_usd": "2.951846", "tax_cost_usd": "0.000000",
                                   "period_start": "2026-09-01T00:00:00Z",
                                   "period_end": "2026-09-02T23:59:59.999999Z"}
    assert report["period"] == {"start": "2026-09-01T00:00:00Z", "end": "2026-09-02T23:59:59.999999Z"}
    assert any("there is no usage to analyse" in n for n in report["notes"])
    html = (tmp_path / "report.html").read_text()
    assert "Billed in the period" in html and "$2.95" in html and "Spend in the period" not in html.split(
        'id="spend-by-month"')[0]  # neither the cover nor the summary claims a spend of $0.00
    summary = (tmp_path / "summary.md").read_text()
    assert "| Billed in the period (6 bill lines; no usage to analyse) | **$2.95** |" in summary


def test_formats_are_detected_from_content(tmp_path: Path) -> None:
    for path, fmt in ((CUR2, "bedrock_cur"), (FOCUS, "aws_focus"), (INVOCATIONS, "bedrock_invocation"),
                      (CONSOLE_COPY, "bedrock_invocation"), (DOC_ARRAY, "bedrock_invocation"),
                      (AWS_LOGS, "bedrock_invocation"), (OTHER_MODELS, "bedrock_invocation"),
                      (GCP_JSON, "gcp_billing"), (GCP_CSV, "gcp_billing"), (COST_REPORT, "anthropic_cost_report"),
                      (CONSOLE_COST, "console_cost_csv")):
        renamed = tmp_path / f"x{path.suffix}.gz"
        renamed.write_bytes(gzip.compress(path.read_bytes()))
        assert ingest.detect(renamed) == (fmt, "")
    own = tmp_path / "focus.csv"  # finops's own FOCUS export is not a bill
    own.write_text("BilledCost,ChargePeriodStart,ServiceName,x_UsageType,x_FinopsRecordId\n1,2026-10-01,x,y,z\n")
    assert ingest.detect(own)[0] is None


@pytest.mark.parametrize("fmt", ["bedrock_cur", "aws_focus", "bedrock_invocation", "gcp_billing",
                                 "anthropic_cost_report", "console_cost_csv"])
def test_hostile_cases_keep_the_accounting(fmt: str) -> None:
    """Every hostile case file of the cloud and bill readers: read = loaded + rejected + duplicate, no error
    escapes, and each file's expected counts (HOSTILE_COUNTS) hold."""
    folder = HOSTILE / fmt
    con, result = load(folder, price=True)
    assert result.skipped == []
    for s in result.files:
        assert s.format == fmt, s.path
        name = Path(s.path).name
        assert counts(s) == HOSTILE_COUNTS[fmt][name][:5], name
        assert (HOSTILE_COUNTS[fmt][name][5] or "") in (s.error or ""), (name, s.error)
    assert con.execute("SELECT count(*) FROM rejects").fetchone()[0] == sum(s.rows_rejected for s in result.files)
    got = {(Path(f).name, line): reason for f, line, reason in con.execute("SELECT * FROM rejects").fetchall()}
    assert set(got) == set(HOSTILE_REJECTS[fmt])
    for key, prefix in HOSTILE_REJECTS[fmt].items():
        assert got[key].startswith(prefix), (key, got[key])
    secrets = con.execute("SELECT count(*) FROM usage WHERE api_key_id LIKE '%QQQQQQQQQQQQQQQQQQQQ%'").fetchone()
    assert secrets == (0,)  # a key planted in an identity ARN is masked


HOSTILE_REJECTS: dict[str, dict[tuple[str, int], str]] = {
    "bedrock_cur": {("bad_rows.csv", 3): "expected 13 fields, found 12",
                    ("bad_rows.csv", 4): "usage amount is negative",
                    ("bad_rows.csv", 5): "line_item_unblended_cost is implausibly large",
                    ("bad_rows.csv", 6): "missing line_item_usage_start_date",
                    ("bad_rows.csv", 7): "expected 13 fields, found 12",
                    ("bad_rows.csv", 8): "line_item_unblended_cost is not an amount: 'free'",
                    ("bad_rows.csv", 9): "billed in GBP, not USD"},
    "aws_focus": {("bad_rows.csv", 3): "usage amount is negative", ("bad_rows.csv", 4): "billed in JPY, not USD",
                  ("bad_rows.csv", 5): "ChargePeriodStart is not a timestamp",
                  ("bad_rows.csv", 6): "BilledCost is not a finite amount",
                  ("bad_rows.csv", 7): "expected 14 fields, found 7"},
    "bedrock_invocation": {("mixed.jsonl", 2): "invalid JSON", ("mixed.jsonl", 3): "line is not a JSON object",
                           ("mixed.jsonl", 4): "input.inputTokenCount is negative",
                           ("mixed.jsonl", 5): "output.outputTokenCount is not a number",
                           ("mixed.jsonl", 6): "implausible for one request", ("mixed.jsonl", 7): "missing timestamp",
                           ("surrogate.jsonl", 2): "workspace " + NOT_UNICODE,
                           ("pretty_cut.json", 20): "invalid JSON: truncated or malformed record",
                           ("pretty_cut.json", 52): "invalid JSON: truncated or malformed record"},
    "gcp_billing": {("bad_rows.jsonl", 2): "usage_end_time is not after usage_start_time",
                    ("bad_rows.jsonl", 3): "missing cost", ("bad_rows.jsonl", 4): "usage.amount is negative",
                    ("bad_rows.jsonl", 5): "usage unit not understood",
                    ("bad_rows.jsonl", 6): "line is not a JSON object",
                    ("surrogate.jsonl", 2): "workspace " + NOT_UNICODE},
    "anthropic_cost_report": {("truncated.json", 1): "invalid JSON: truncated or malformed document",
                              ("pages.jsonl", 2): "invalid JSON: truncated or malformed page",
                              ("pages.jsonl", 3): "page has no data list",
                              ("surrogate.json", 2): "workspace " + NOT_UNICODE},
    "console_cost_csv": {("bad_rows.csv", 3): "expected 10 fields, found 9",
                         ("bad_rows.csv", 4): "usage_date_utc is not a timestamp",
                         ("bad_rows.csv", 5): "cost_usd is implausibly large",
                         ("bad_rows.csv", 6): "cost in EUR, not USD"},
}


# file -> (read, loaded, rejected, duplicate, ignored lines, file-level error fragment or None), by hand:
HOSTILE_COUNTS: dict[str, dict[str, tuple[int, int, int, int, int, str | None]]] = {
    # bad_rows.csv: 2 good (1,000,000 input at $3); 3 a field short, 4 negative amount, 5 10^14 million tokens,
    # 6 no date, 7 an unclosed quote (only its own line is lost), 8 cost 'free', 9 GBP; 10 blank (not a record).
    # truncated.csv.gz: two lines, then the gzip stream stops.
    "bedrock_cur": {"bad_rows.csv": (8, 1, 7, 0, 0, None),
                    "truncated.csv.gz": (2, 2, 0, 0, 0, "reading stopped after 2 records")},
    # bad_rows.csv: 2 good; 3 negative quantity, 4 billed in JPY, 5 no date, 6 BilledCost NaN, 7 fields short;
    # 8 EC2 (not Claude: ignored).
    "aws_focus": {"bad_rows.csv": (6, 1, 5, 0, 1, None)},
    # mixed.jsonl: 1 good; 2 nested 5,000 deep, 3 a list, 4 negative input, 5 output 'lots', 6 10^9 input,
    # 7 no timestamp, 8 a secret in the identity (kept masked): good.
    # surrogate.jsonl (every JSON reader has one): 1 good; 2 a lone surrogate ("\\ud800") in its account id.
    # pretty_cut.json: four pretty-printed records starting on lines 1, 20, 33 and 52; 20 lacks its last six lines
    # (the next record follows it) and 52 is where the file ends: rejected, 1 and 33 good.
    "bedrock_invocation": {"mixed.jsonl": (8, 2, 6, 0, 0, None), "surrogate.jsonl": (2, 1, 1, 0, 0, None),
                           "pretty_cut.json": (4, 2, 2, 0, 0, None)},
    # bad_rows.jsonl: 1 good; 2 ends before it starts, 3 no cost, 4 negative amount, 5 unit 'bytes',
    # 6 not an object; 7 a non-Claude row (ignored).
    # surrogate.jsonl: 1 good; 2 a lone surrogate in its project id.
    "gcp_billing": {"bad_rows.jsonl": (6, 1, 5, 0, 1, None), "surrogate.jsonl": (2, 1, 1, 0, 0, None)},
    # truncated.json: one document cut short: one reject; pages.jsonl: page 1 good (2 results), 2 cut short,
    # 3 not a page.
    # surrogate.json: one bucket, result 1 good, result 2 a lone surrogate in its workspace id.
    # pages.jsonl's two good lines (2026-09-01, not grouped by workspace) are the same day as surrogate.json's line
    # grouped by workspace: the finer grouping counts, so they are duplicates (ingest/bill_groupings.py).
    "anthropic_cost_report": {"truncated.json": (1, 0, 1, 0, 0, None), "pages.jsonl": (4, 0, 2, 2, 0, None),
                              "surrogate.json": (2, 1, 1, 0, 0, None)},
    # bad_rows.csv: 2 good, 3 a field short, 4 date '08/05/2026', 5 cost 1e400, 6 a cost in EUR.
    "console_cost_csv": {"bad_rows.csv": (5, 1, 4, 0, 0, None)},
}


def test_a_malformed_element_of_a_one_line_array_says_the_rest_was_not_read(tmp_path: Path) -> None:
    """A JSON array on one line gives no line to resume at after a malformed element: the records after it are
    lost, and the file says so instead of counting one reject as if that were all."""
    good = json.loads(DOC_ARRAY.read_text())[0]
    later = {**good, "requestId": "doc-3"}
    path = tmp_path / "one_line.json"
    path.write_text("[" + json.dumps(good) + ', {"requestId": "doc-2", "timestamp": }, ' + json.dumps(later) + "]")
    con, result = load(path)
    # The first element loads; the second is the reject; the third cannot be told apart from the broken one.
    assert counts(stats(result, path)) == (2, 1, 1, 0, 0)
    assert rejects(con, path) == {1: "invalid JSON: truncated or malformed record"}
    assert "not read" in (stats(result, path).error or "")
    # (pretty_cut.json, whose last record is cut short, loses nothing after it: no error, in HOSTILE_COUNTS.)


def test_a_pretty_printed_log_is_read_whole_only_up_to_the_document_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    from finops.ingest import common

    monkeypatch.setattr(common, "MAX_DOCUMENT_BYTES", 1000)  # console_copy.json is some 3 KB
    _, result = load(CONSOLE_COPY)
    s = stats(result, CONSOLE_COPY)
    assert counts(s) == (0, 0, 0, 0, 0) and s.error == "a JSON document larger than 1000 bytes: not read"
