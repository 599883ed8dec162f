#!/usr/bin/env python3
"""Write the made-up bills and cloud logs in sample_logs/: AWS CUR, Bedrock invocation logs, Google Cloud billing
export, Vertex request logs, an Anthropic cost report and a Console cost export.

Deterministic (fixed seed, gzip with mtime 0) and stdlib only; run it after scripts/make_sample_logs.py (it reads
that script's usage report and Console usage export to bill them):

    python scripts/make_sample_billing.py                 # writes sample_logs/{bedrock,vertex,billing}/
    python scripts/make_sample_billing.py --out /tmp/x     # elsewhere (reads the usage files from --usage DIR)

The story (October 2026 unless said; sample_logs/billing/README.md has the numbers):
- Anthropic: the cost report bills exactly the usage report's October tokens at list (it passes); the Console
  cost export bills November 1-20 from the Console usage export, with a preview model finops cannot price.
- Amazon Bedrock: account 111122223333 logs its invocations from 6 October (kb-assistant on a us. profile of
  Claude Sonnet 4.5: regional premium; contract-review on Claude Opus 4.1, a legacy model, on a 5% private offer,
  thinking budget 16,000, a contract re-sent three times within minutes without caching). Account 444455556666
  runs Claude Haiku 4.5 on the global profile with invocation logging off. The CUR bills all of it, 1-31
  October, so the logs miss 1-5 October and the second account: it fails, with those causes.
- Google Vertex AI: project brightwell-translate-prod translates documentation with Claude Sonnet 4.6 on the
  global endpoint and Claude Haiku 4.5 in us-east5 (regional premium), logged by the gateway; one call on 17
  October was billed but its log line was lost, a gap inside the 1% tolerance: it passes.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import random
import re
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "sample_logs"
DATA = ROOT / "finops" / "data"
SEED = "finops-sample-billing-2026"
OCT = [datetime(2026, 10, 1) + timedelta(days=i) for i in range(31)]
M = Decimal(1_000_000)
CLASSES = ("input", "cache_write_5m", "cache_write_1h", "cache_read", "output")


# ---- helpers ---------------------------------------------------------------------------------------------


def rng_for(name: str) -> random.Random:
    return random.Random(f"{SEED}/{name}")


def uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def dec(value: Decimal) -> str:
    """A decimal as plain text, no exponent, no trailing zeros."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def write(path: Path, text: str, gz: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    if gz:
        buf = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as f:
            f.write(data)
        data = buf.getvalue()
    path.write_bytes(data)


def read_text(path: Path) -> str:
    raw = path.read_bytes()
    return (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8")


# ---- list prices, as finops prices them (finops/data/prices.csv, models.csv) -----------------------------


class Prices:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], list[tuple[str, tuple[Decimal, ...] | None, int | None]]] = {}
        with open(DATA / "prices.csv", encoding="utf-8") as f:
            for r in csv.DictReader(f):
                rates = tuple(Decimal(r[c]) for c in CLASSES) if r["input"] else None
                threshold = int(r["threshold"]) if r["threshold"] else None
                self.rows.setdefault((r["model"], r["variant"]), []).append((r["valid_from"], rates, threshold))
        with open(DATA / "models.csv", encoding="utf-8") as f:
            self.models = {r["model"]: r for r in csv.DictReader(f)}
        for series in self.rows.values():
            series.sort()

    def rates(self, model: str, variant: str, day: str) -> tuple[Decimal, ...] | None:
        found = None
        for valid_from, rates, _ in self.rows.get((model, variant), []):
            if valid_from <= day:
                found = rates
        return found

    def price(self, model: str, day: str, long: bool = False, fast: bool = False, batch: bool = False,
              us_geo: bool = False, regional: bool = False) -> tuple[Decimal, ...]:
        """Per-million rates for the five token classes with the row's multipliers (as price_usage.sql does)."""
        standard = self.rates(model, "standard", day)
        assert standard is not None, (model, day)
        chosen = standard
        lc = self.rates(model, "long_context", day) if long else None
        fst = self.rates(model, "fast", day) if fast else None
        if fst and lc and self.rates(model, "fast_long_context", day):
            chosen = self.rates(model, "fast_long_context", day)  # type: ignore[assignment]
        elif fst:
            chosen = fst
        elif lc:
            chosen = lc
        info = self.models[model]
        mult = Decimal("0.5") if batch else Decimal(1)
        if us_geo and info["us_geo_premium"] == "true":
            mult *= Decimal("1.1")
        if regional and info["regional_premium"] == "true":
            mult *= Decimal("1.1")
        return tuple(r * mult for r in chosen)

    def display(self, model: str) -> str:
        return self.models[model]["display_name"] if model in self.models else model


def canonical(model: str) -> str:
    return re.sub(r"-\d{8}$", "", model)


# ---- Anthropic: the cost report (October) and the Console cost export (November 1-20) --------------------

TOKEN_TYPES = (("input", "uncached_input_tokens", "Input Tokens"),
               ("cache_write_5m", "cache_creation.ephemeral_5m_input_tokens", "Cache Write Tokens (5m)"),
               ("cache_write_1h", "cache_creation.ephemeral_1h_input_tokens", "Cache Write Tokens (1h)"),
               ("cache_read", "cache_read_input_tokens", "Cache Read Tokens"),
               ("output", "output_tokens", "Output Tokens"))


def cost_report(usage_dir: Path, prices: Prices) -> str:
    """The Usage & Cost API cost report for October 2026, grouped by description and workspace, one page."""
    buckets: dict[str, dict[tuple[Any, ...], Decimal]] = {}
    fields: dict[tuple[Any, ...], dict[str, Any]] = {}
    for page_path in sorted((usage_dir / "admin-api").glob("usage_report_*.json.gz")):
        page = json.loads(read_text(page_path))
        for bucket in page["data"]:
            start = bucket["starting_at"]
            if not start.startswith("2026-10"):
                continue
            day = start[:10]
            for r in bucket["results"]:
                model = canonical(r["model"])
                rates = prices.price(model, day, long=r["context_window"] == "200k-1M", fast=r["speed"] == "fast",
                                     batch=r["service_tier"] == "batch", us_geo=r["inference_geo"] == "us")
                counts = {"input": r["uncached_input_tokens"], "cache_read": r["cache_read_input_tokens"],
                          "cache_write_5m": r["cache_creation"]["ephemeral_5m_input_tokens"],
                          "cache_write_1h": r["cache_creation"]["ephemeral_1h_input_tokens"],
                          "output": r["output_tokens"]}
                fast = " (Fast)" if r["speed"] == "fast" else ""
                for cls, token_type, label in TOKEN_TYPES:
                    n = counts[cls]
                    if not n:
                        continue
                    amount = Decimal(n) * rates[CLASSES.index(cls)] / M
                    key = (r["workspace_id"], f"{prices.display(model)} Usage - {label}{fast}", model, "tokens",
                           token_type, r["service_tier"], r["context_window"], r["inference_geo"])
                    buckets.setdefault(start, {})[key] = buckets.get(start, {}).get(key, Decimal(0)) + amount
                searches = r["server_tool_use"]["web_search_requests"]
                if searches:
                    key = (r["workspace_id"], "Web Search Usage", None, "web_search", None, None, None, None)
                    buckets.setdefault(start, {})[key] = (buckets.get(start, {}).get(key, Decimal(0))
                                                          + Decimal(searches) * Decimal("0.01"))
                fields[(start,)] = {"ending_at": bucket["ending_at"]}
    data = []
    for start in sorted(buckets):
        results = []
        for key in sorted(buckets[start], key=lambda k: tuple("" if v is None else v for v in k)):
            workspace, description, model, cost_type, token_type, tier, context, geo = key
            cents = (buckets[start][key] * 100).quantize(Decimal("0.0001"))
            results.append({"amount": dec(cents), "context_window": context, "cost_type": cost_type,
                            "currency": "USD", "description": description, "inference_geo": geo, "model": model,
                            "service_tier": tier, "token_type": token_type, "workspace_id": workspace})
        data.append({"starting_at": start, "ending_at": fields[(start,)]["ending_at"], "results": results})
    return json.dumps({"data": data, "has_more": False, "next_page": None}, indent=1) + "\n"


CONSOLE_TOKEN_TYPES = (("input", "usage_input_tokens_no_cache", "input_no_cache"),
                       ("cache_write_5m", "usage_input_tokens_cache_write_5m", "input_cache_write_5m"),
                       ("cache_write_1h", "usage_input_tokens_cache_write_1h", "input_cache_write_1h"),
                       ("cache_read", "usage_input_tokens_cache_read", "input_cache_read"),
                       ("output", "usage_output_tokens", "output"))
PREVIEW_RATES = (Decimal(15), Decimal("18.75"), Decimal(30), Decimal("1.5"), Decimal(75))  # made up


def console_cost(usage_dir: Path, prices: Prices) -> str:
    """The Console cost export (2026-08 columns) for the Console usage export's days, at list."""
    source = read_text(next((usage_dir / "console").glob("claude_api_usage_*.csv*")))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["usage_date_utc", "model", "workspace", "api_key", "usage_type", "context_window", "token_type",
                "cost_usd", "list_price_usd", "cost_type", "inference_geo", "speed", "api_key_id", "api_key_status"])
    for r in csv.DictReader(io.StringIO(source)):
        model = canonical(r["model_version"])
        day = r["usage_date_utc"][:10]
        if model in prices.models:
            rates = prices.price(model, day, long=r["context_window"] == "> 200k", fast=r["speed"] == "fast",
                                 batch=r["usage_type"] == "batch", us_geo=r["inference_geo"] == "us")
            name = prices.display(model)
        else:  # a preview model: billed at its preview rates, unknown to finops
            rates, name = PREVIEW_RATES, "Claude Opus 9 Preview"
        for cls, column, token_type in CONSOLE_TOKEN_TYPES:
            n = int(r[column] or 0)
            if not n:
                continue
            cost = (Decimal(n) * rates[CLASSES.index(cls)] / M).quantize(Decimal("0.000001"))
            w.writerow([r["usage_date_utc"], name, r["workspace"], r["api_key"], "message", r["context_window"],
                        token_type, dec(cost), dec(cost), "token", r["inference_geo"], r["speed"], "", "active"])
        searches = int(r["web_search_count"] or 0)
        if searches:
            cost = Decimal(searches) * Decimal("0.01")
            w.writerow([r["usage_date_utc"], name, r["workspace"], r["api_key"], "message", r["context_window"],
                        "", dec(cost), dec(cost), "web_search", r["inference_geo"], r["speed"], "", "active"])
    return out.getvalue()


# ---- Amazon Bedrock: invocation logs (account 111122223333 from 6 October) and the CUR ------------------

PROD, ANALYTICS = "111122223333", "444455556666"
KB_MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
CONTRACT_MODEL = "us.anthropic.claude-opus-4-1-20250805-v1:0"
HAIKU_MODEL = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
LOGGING_FROM = datetime(2026, 10, 6)
KB_SYSTEM = ("You are the Brightwell Storage knowledge-base assistant for support staff. Answer from the passages "
             "the search_kb tool returns; quote the article id; say so when the articles do not cover it. "
             "(Abbreviated in the log: the full prompt holds the style guide and 40 policy snippets.)")
KB_TOOL = {"toolSpec": {"name": "search_kb", "description": "Search the support knowledge base.",
                        "inputSchema": {"json": {"type": "object", "properties": {"query": {"type": "string"}}}}}}
KB_QUESTIONS = ["How do I restore a file deleted 40 days ago on the Team plan?", "Can a Business admin move seats "
                "between workspaces?", "Why does the desktop app say 'quota exceeded' below the limit?",
                "Is SSO available on Team?", "How long does a cross-region replica take to catch up?",
                "What happens to shared links when a user is removed?"]
CONTRACT_SYSTEM = ("You review supplier contracts for Brightwell Storage against the legal playbook below. "
                   "Cite the clause, rate the risk (low/medium/high) and propose redlines. (Abbreviated in the "
                   "log: the playbook is about 9,000 tokens.)")
CONTRACT_QUESTIONS = ["List every liability cap and how it compares with the playbook.",
                      "Which clauses allow the supplier to change prices, and on what notice?",
                      "Draft redlines for the data-processing annex."]


def _converse_events(text: str, usage: dict[str, int]) -> list[dict[str, Any]]:
    return [{"messageStart": {"role": "assistant"}},
            {"contentBlockDelta": {"delta": {"text": text}, "contentBlockIndex": 0}},
            {"contentBlockStop": {"contentBlockIndex": 0}}, {"messageStop": {"stopReason": "end_turn"}},
            {"metadata": {"usage": usage, "metrics": {"latencyMs": 2140}}}]


def bedrock(prices: Prices) -> tuple[str, str, dict[str, Any]]:
    """(invocation log JSON lines, CUR 2.0 CSV, facts for the README)."""
    rng = rng_for("bedrock")
    log_lines: list[str] = []
    # (day, account, model, region, scope, class) -> tokens, for the CUR
    tokens: dict[tuple[str, str, str, str, str, str], int] = {}

    def bill(day: datetime, account: str, model: str, region: str, scope: str, cls: str, n: int) -> None:
        if n:
            key = (day.strftime("%Y-%m-%d"), account, model, region, scope, cls)
            tokens[key] = tokens.get(key, 0) + n

    logged = 0
    for day in OCT:
        # kb-assistant: two sessions a day of four questions a minute or two apart; the first writes the cached
        # system prompt and tools (20,480 tokens), the others read it.
        for session, hour in enumerate((9, 15)):
            t = day + timedelta(hours=hour, minutes=rng.randint(0, 40))
            for k in range(4):
                t += timedelta(seconds=rng.randint(50, 150))
                question = KB_QUESTIONS[(day.day + session + k) % len(KB_QUESTIONS)]
                inp, out = rng.randint(2400, 3600), rng.randint(380, 720)
                write_n, read_n = (20480, 0) if k == 0 else (0, 20480)
                for cls, n in (("input", inp), ("cache_write_5m", write_n), ("cache_read", read_n), ("output", out)):
                    bill(day, PROD, "claude-sonnet-4-5", "us-east-1", "regional", cls, n)
                if day < LOGGING_FROM:
                    continue
                usage = {"inputTokens": inp, "outputTokens": out, "totalTokens": inp + out + write_n + read_n,
                         "cacheReadInputTokens": read_n, "cacheWriteInputTokens": write_n}
                body = {"system": [{"text": KB_SYSTEM}, {"cachePoint": {"type": "default"}}],
                        "messages": [{"role": "user", "content": [{"text": question}]}],
                        "inferenceConfig": {"maxTokens": 1024, "temperature": 0.2}, "toolConfig": {"tools": [KB_TOOL]}}
                answer = "Per KB-1142: restores older than 30 days need the Business plan's 90-day history."
                streamed = k % 2 == 1
                output = (_converse_events(answer, usage) if streamed else
                          {"output": {"message": {"role": "assistant", "content": [{"text": answer}]}},
                           "stopReason": "end_turn", "usage": usage, "metrics": {"latencyMs": 1800 + 37 * k}})
                log_lines.append(dumps({
                    "schemaType": "ModelInvocationLog", "schemaVersion": "1.0", "timestamp": iso(t),
                    "accountId": PROD, "identity": {"arn": f"arn:aws:sts::{PROD}:assumed-role/kb-assistant-task/ecs"},
                    "region": "us-east-1", "requestId": uid(rng),
                    "operation": "ConverseStream" if streamed else "Converse", "modelId": KB_MODEL,
                    "input": {"inputContentType": "application/json", "inputBodyJson": body, "inputTokenCount": inp,
                              "cacheReadInputTokenCount": read_n, "cacheWriteInputTokenCount": write_n},
                    "output": {"outputContentType": "application/json", "outputBodyJson": output,
                               "outputTokenCount": out},
                    "inferenceRegion": "us-east-2", "requestMetadata": {"project": "kb-assistant", "env": "prod"}}))
                logged += 1
        # contract-review, weekdays: one contract a day, asked three questions within five minutes, each call
        # re-sending the playbook and the contract without caching; thinking budget 16,000.
        if day.weekday() < 5:
            t = day + timedelta(hours=14, minutes=rng.randint(0, 50))
            contract_tokens = rng.randint(30000, 42000)
            contract = f"[contract BW-SUP-{day:%m%d}: {contract_tokens} tokens of supplier terms, abbreviated]"
            for question in CONTRACT_QUESTIONS:
                t += timedelta(seconds=rng.randint(60, 110))
                inp = 9000 + contract_tokens + rng.randint(40, 90)
                thinking = rng.randint(5200, 9800)
                out = thinking + rng.randint(900, 2200)
                bill(day, PROD, "claude-opus-4-1", "us-east-1", "regional", "input", inp)
                bill(day, PROD, "claude-opus-4-1", "us-east-1", "regional", "output", out)
                if day < LOGGING_FROM:
                    continue
                body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 20000,
                        "thinking": {"type": "enabled", "budget_tokens": 16000}, "system": CONTRACT_SYSTEM,
                        "messages": [{"role": "user", "content": contract},
                                     {"role": "assistant", "content": "Received; ready for questions."},
                                     {"role": "user", "content": question}]}
                response = {"id": f"msg_bdrk_{uid(rng)[:18]}", "type": "message", "role": "assistant",
                            "model": "claude-opus-4-1-20250805",
                            "content": [{"type": "thinking", "thinking": "(thinking, abbreviated in the log)",
                                         "signature": "c2ln"},
                                        {"type": "text", "text": "Clause 12.3 caps liability at fees paid..."}],
                            "stop_reason": "end_turn",
                            "usage": {"input_tokens": inp, "output_tokens": out,
                                      "output_tokens_details": {"thinking_tokens": thinking}}}
                log_lines.append(dumps({
                    "schemaType": "ModelInvocationLog", "schemaVersion": "1.0", "timestamp": iso(t),
                    "accountId": PROD, "identity": {"arn": f"arn:aws:iam::{PROD}:user/contract-review-svc"},
                    "region": "us-east-1", "requestId": uid(rng), "operation": "InvokeModel",
                    "modelId": CONTRACT_MODEL,
                    "input": {"inputContentType": "application/json", "inputBodyJson": body, "inputTokenCount": inp,
                              "cacheReadInputTokenCount": 0, "cacheWriteInputTokenCount": 0},
                    "output": {"outputContentType": "application/json", "outputBodyJson": response,
                               "outputTokenCount": out},
                    "requestMetadata": {"project": "contract-review", "env": "prod"}}))
                logged += 1
            if day.day in (14, 27):  # throttled: logged with an error, not billed
                log_lines.append(dumps({
                    "schemaType": "ModelInvocationLog", "schemaVersion": "1.0", "timestamp": iso(t),
                    "accountId": PROD, "identity": {"arn": f"arn:aws:iam::{PROD}:user/contract-review-svc"},
                    "region": "us-east-1", "requestId": uid(rng), "operation": "InvokeModel",
                    "modelId": CONTRACT_MODEL, "errorCode": "ThrottlingException",
                    "input": {"inputContentType": "application/json"}, "output": {}}))
        # analytics account: Haiku 4.5 on the global profile, no invocation logging.
        bill(day, ANALYTICS, "claude-haiku-4-5", "us-west-2", "global", "input", rng.randint(540000, 680000))
        bill(day, ANALYTICS, "claude-haiku-4-5", "us-west-2", "global", "output", rng.randint(70000, 92000))
    cur, facts = _cur(tokens, prices, rng)
    facts["logged_requests"] = logged
    return "\n".join(log_lines) + "\n", cur, facts


PRODUCTS = {"claude-sonnet-4-5": ("Claude Sonnet 4.5 (Amazon Bedrock Edition)", "prod-5ndsbxjo3u3xk"),
            "claude-opus-4-1": ("Claude Opus 4.1 (Amazon Bedrock Edition)", "prod-2fkh6hoav3dyc"),
            "claude-haiku-4-5": ("Claude Haiku 4.5 (Amazon Bedrock Edition)", "prod-xmbmnvlc4ivyq")}
USAGE_WORDS = {"input": "InputTokenCount", "output": "OutputTokenCount", "cache_read": "CacheReadInputTokenCount",
               "cache_write_5m": "CacheWriteInputTokenCount", "cache_write_1h": "CacheWrite1hInputTokenCount"}
REGION_CODES = {"us-east-1": "USE1", "us-west-2": "USW2"}
PRIVATE_OFFER = {"claude-opus-4-1": Decimal("0.95")}  # a 5% Marketplace private offer on Opus 4.1
CUR_HEADER = ["identity_line_item_id", "identity_time_interval", "bill_billing_entity", "bill_payer_account_id",
              "bill_billing_period_start_date", "line_item_line_item_type", "line_item_product_code",
              "line_item_usage_account_id", "line_item_usage_type", "line_item_operation",
              "line_item_usage_start_date", "line_item_usage_end_date", "line_item_usage_amount", "pricing_unit",
              "line_item_unblended_rate", "line_item_unblended_cost", "line_item_net_unblended_cost",
              "pricing_public_on_demand_cost", "line_item_currency_code", "line_item_line_item_description",
              "line_item_legal_entity", "product", "product_region_code", "resource_tags"]


def _cur(tokens: dict[tuple[str, str, str, str, str, str], int], prices: Prices,
         rng: random.Random) -> tuple[str, dict[str, Any]]:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CUR_HEADER)
    facts: dict[str, Any] = {"billed": Decimal(0), "list": Decimal(0), "lines": 0}
    for (day, account, model, region, scope, cls), n in sorted(tokens.items()):
        start = datetime.fromisoformat(day)
        end = start + timedelta(days=1)
        code = REGION_CODES[region]
        suffix = "_Global" if scope == "global" else ""
        usage_type = f"{code}-MP:{code}_{USAGE_WORDS[cls]}{suffix}-Units"
        rates = prices.price(model, day, regional=scope == "regional")
        list_rate = rates[CLASSES.index(cls)]
        rate = list_rate * PRIVATE_OFFER.get(model, Decimal(1))
        amount = Decimal(n) / M
        cost = (amount * rate).quantize(Decimal("0.0000000001"))
        name, product_code = PRODUCTS[model]
        facts["billed"] += cost
        facts["list"] += amount * list_rate
        facts["lines"] += 1
        w.writerow([uid(rng).replace("-", "")[:26], f"{iso(start)}/{iso(end)}", "AWS Marketplace", PROD,
                    "2026-10-01T00:00:00Z", "Usage", product_code, account, usage_type, "Usage", iso(start),
                    iso(end), dec(amount), "Units", dec(rate), dec(cost), dec(cost),
                    dec((amount * list_rate).quantize(Decimal("0.0000000001"))), "USD",
                    f"{name} {cls.replace('_', ' ')} tokens", "Anthropic, PBC",
                    dumps({"product_name": name, "region_code": region, "servicecode": product_code}), region,
                    dumps({"user:team": "support" if model == "claude-sonnet-4-5" else "legal"
                           if model == "claude-opus-4-1" else "analytics"})])
    # Other services in the same report, which are not Claude (ignored lines), and the Marketplace tax line.
    for day in (OCT[0], OCT[14]):
        w.writerow([uid(rng).replace("-", "")[:26], f"{iso(day)}/{iso(day + timedelta(days=1))}", "AWS", PROD,
                    "2026-10-01T00:00:00Z", "Usage", "AmazonS3", PROD, "USE1-TimedStorage-ByteHrs", "StandardStorage",
                    iso(day), iso(day + timedelta(days=1)), "1520.4", "GB-Mo", "0.023", "0.3496", "0.3496",
                    "0.3496", "USD", "$0.023 per GB - first 50 TB / month of storage used", "Amazon Web Services, Inc.",
                    dumps({"product_name": "Amazon Simple Storage Service", "region_code": "us-east-1"}), "us-east-1",
                    "{}"])
    tax = (facts["billed"] * Decimal("0.06")).quantize(Decimal("0.01"))
    w.writerow([uid(rng).replace("-", "")[:26], "2026-10-01T00:00:00Z/2026-11-01T00:00:00Z", "AWS Marketplace", PROD,
                "2026-10-01T00:00:00Z", "Tax", PRODUCTS["claude-opus-4-1"][1], PROD, "", "", "2026-10-01T00:00:00Z",
                "2026-11-01T00:00:00Z", "1", "", "", dec(tax), dec(tax), "0", "USD", "Tax for product code "
                + PRODUCTS["claude-opus-4-1"][1], "Anthropic, PBC",
                dumps({"product_name": PRODUCTS["claude-opus-4-1"][0]}), "", "{}"])
    facts["tax"] = tax
    return out.getvalue(), facts


# ---- Google Vertex AI: gateway logs and the billing export -----------------------------------------------

PROJECT = "brightwell-translate-prod"
TRANSLATE_SYSTEM = ("Translate Brightwell Storage product documentation from English into the language asked. "
                    "Keep Markdown, code and product names as they are. (Abbreviated in the log.)")
LANGS = ["German", "French", "Japanese", "Spanish", "Portuguese", "Korean"]


def vertex(prices: Prices) -> tuple[str, str, dict[str, Any]]:
    """(gateway request logs as JSON lines, Google Cloud billing export as JSON lines, facts)."""
    rng = rng_for("vertex")
    lines: list[str] = []
    tokens: dict[tuple[str, str, str, str], int] = {}  # (day, model, region, class) -> tokens
    lost = 0
    for day in OCT:
        calls = [("claude-sonnet-4-6", "global", "claude-sonnet-4-6")] * 6 + [
            ("claude-haiku-4-5", "us-east5", "claude-haiku-4-5@20251001")] * 4
        t = day + timedelta(hours=7)
        for n, (model, region, model_id) in enumerate(calls):
            t += timedelta(minutes=rng.randint(25, 70))
            big = model == "claude-sonnet-4-6"
            inp = rng.randint(6500, 9500) if big else rng.randint(3800, 5600)
            out = rng.randint(5200, 7600) if big else rng.randint(2400, 3600)
            for cls, count in (("input", inp), ("output", out)):
                key = (day.strftime("%Y-%m-%d"), model, region, cls)
                tokens[key] = tokens.get(key, 0) + count
            if day.day == 17 and n == 3:  # billed, but the gateway lost the log line in a restart
                lost += 1
                continue
            lang = LANGS[(day.day + n) % len(LANGS)]
            request = {"model": model_id, "max_tokens": 8192, "system": TRANSLATE_SYSTEM,
                       "messages": [{"role": "user",
                                     "content": f"Into {lang}: [docs page {day:%m%d}-{n}, abbreviated]"}]}
            response = {"id": f"msg_vrtx_{uid(rng)[:20]}", "type": "message", "role": "assistant",
                        "model": model_id, "content": [{"type": "text", "text": f"[{lang} translation, abbreviated]"}],
                        "stop_reason": "end_turn", "usage": {"input_tokens": inp, "output_tokens": out}}
            lines.append(dumps({"timestamp": iso(t), "request": request, "response": response,
                                "metadata": {"platform": "vertex", "region": region,
                                             "endpoint_scope": "global" if region == "global" else "regional",
                                             "workspace": PROJECT, "project": "doc-translate",
                                             "api_key_id": "sa-doc-translate@brightwell-translate-prod",
                                             "user": "svc-doc-translate"}}))
    billing: list[str] = []
    facts: dict[str, Any] = {"billed": Decimal(0), "lost_calls": lost, "rows": 0}
    kinds = {"input": "Input Tokens", "output": "Output Tokens"}
    for (day, model, region, cls), n in sorted(tokens.items()):
        rates = prices.price(model, day, regional=region != "global")
        cost = (Decimal(n) * rates[CLASSES.index(cls)] / M).quantize(Decimal("0.000001"))
        facts["billed"] += cost
        facts["rows"] += 1
        display = prices.display(model)
        start = datetime.fromisoformat(day)
        billing.append(dumps({
            "billing_account_id": "01A2B3-C4D5E6-F7G8H9", "invoice": {"month": "202610"}, "cost_type": "regular",
            "service": {"id": "C7E2-9256-1C43", "description": display},
            "sku": {"id": hashlib.sha1(f"{model}/{region}/{cls}".encode()).hexdigest()[:12].upper(),
                    "description": f"{display} — {kinds[cls]} — {region} — Context Window Size from 0 to 200000 "
                                   "Tokens"},
            "usage_start_time": start.strftime("%Y-%m-%d %H:%M:%S UTC"),
            "usage_end_time": (start + timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S UTC"),
            "project": {"id": PROJECT, "name": "Brightwell Translate (prod)", "number": "418223390157"},
            "labels": [{"key": "team", "value": "docs"}], "location": {"location": region, "region": region},
            "cost": float(cost), "currency": "USD", "currency_conversion_rate": 1.0,
            "usage": {"amount": n, "unit": "count", "amount_in_pricing_units": float(Decimal(n) / M),
                      "pricing_unit": "1M tokens"},
            "credits": [], "transaction_type": "THIRD_PARTY_RESELLER", "seller_name": "Anthropic"}))
    for day in (OCT[2], OCT[20]):  # not Claude: ignored
        billing.append(dumps({
            "billing_account_id": "01A2B3-C4D5E6-F7G8H9", "invoice": {"month": "202610"}, "cost_type": "regular",
            "service": {"id": "95FF-2EF5-5EA1", "description": "Cloud Storage"},
            "sku": {"id": "E5F0-6A5D-7BAD", "description": "Standard Storage US Multi-region"},
            "usage_start_time": day.strftime("%Y-%m-%d %H:%M:%S UTC"),
            "usage_end_time": (day + timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S UTC"),
            "project": {"id": PROJECT}, "labels": [], "location": {"location": "us", "region": None},
            "cost": 0.41, "currency": "USD", "usage": {"amount": 17.9, "unit": "gibibyte month"}, "credits": []}))
    return "\n".join(lines) + "\n", "\n".join(billing) + "\n", facts


# ---- main ------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder to write into (default: sample_logs/)")
    parser.add_argument("--usage", type=Path, default=OUT,
                        help="folder holding the usage report and Console usage export to bill (default: sample_logs/)")
    args = parser.parse_args()
    prices = Prices()
    out: Path = args.out
    write(out / "billing" / "anthropic_cost_report_2026-10.json.gz", cost_report(args.usage, prices), gz=True)
    write(out / "billing" / "claude_api_cost_2026-11-01_2026-11-20.csv.gz", console_cost(args.usage, prices),
          gz=True)
    logs, cur, bedrock_facts = bedrock(prices)
    write(out / "bedrock" / "AWSLogs-111122223333-BedrockModelInvocationLogs-us-east-1-2026-10.json.gz", logs,
          gz=True)
    write(out / "bedrock" / "cur2-brightwell-2026-10.csv.gz", cur, gz=True)
    vlogs, export, vertex_facts = vertex(prices)
    write(out / "vertex" / "gateway-vertex-2026-10.jsonl.gz", vlogs, gz=True)
    write(out / "vertex" / "gcp_billing_export_2026-10.jsonl.gz", export, gz=True)
    print(f"bedrock: {bedrock_facts['logged_requests']} logged requests, {bedrock_facts['lines']} CUR lines, "
          f"billed ${bedrock_facts['billed']:.2f} (list ${bedrock_facts['list']:.2f}), tax ${bedrock_facts['tax']}")
    print(f"vertex: {vertex_facts['rows']} billing rows, billed ${vertex_facts['billed']:.2f}, "
          f"{vertex_facts['lost_calls']} call(s) with no log line")


if __name__ == "__main__":
    main()
