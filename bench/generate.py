"""Generate realistic large inputs for the benchmark, at a chosen size, into a folder.

    python bench/generate.py claude-code 1GB /tmp/bench/cc
    python bench/generate.py request-logs 5GB /tmp/bench/logs
    python bench/generate.py cur 1GB /tmp/bench/cur

claude-code: `projects/<project>/<session>.jsonl` transcripts written as Claude Code writes them: compact JSON,
one object per line (`"usage":{` with no space), user turns with tool results, one assistant line per content
block (thinking, text, tool_use) repeating the response's message.id, requestId and usage, summaries and
file-history snapshots. request-logs: one file per day of Messages API request/response logs with bodies:
shared system prompts and tools, conversations whose prefixes grow turn by turn, thinking blocks and budgets,
errors and a few broken lines. cur: monthly legacy AWS Cost and Usage Report CSV files (every other month
gzipped) where Claude on Bedrock is a minority of the lines among EC2, S3 and other services: AWS Marketplace lines
in the CamelCase (up to 4.6, with cache, batch and `_Global` variants) and snake_case (4.7 on) usage types, a few
AWS-sold per-1K and Messages-endpoint lines, hourly or daily, with costs at list rates, and month-end tax, EDP
discount and credit lines. Output is deterministic for a given seed and size.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import string
import sys
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO

UNITS = {"": 1, "B": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "KIB": 1024, "MIB": 1024**2, "GIB": 1024**3}
CC_MODELS = [("claude-opus-4-6", 5), ("claude-sonnet-4-5-20250929", 4), ("claude-haiku-4-5-20251001", 2),
             ("claude-opus-4-1-20250805", 1), ("claude-sonnet-4-6", 3)]
LOG_MODELS = [("claude-sonnet-4-5-20250929", 5), ("claude-opus-4-6", 2), ("claude-haiku-4-5-20251001", 3),
              ("claude-3-5-haiku-20241022", 1), ("claude-opus-4-1-20250805", 1)]
START = datetime(2026, 7, 1)
compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def parse_size(text: str) -> int:
    t = text.strip().upper().replace(" ", "")
    digits = t.rstrip(string.ascii_uppercase)
    unit = t[len(digits):]
    if unit not in UNITS:
        raise SystemExit(f"unknown size unit in {text!r}")
    return int(float(digits) * UNITS[unit])


def words(rng: random.Random, n: int) -> str:
    vocab = WORDS
    return " ".join(rng.choice(vocab) for _ in range(n))


WORDS = ("the function returns value error file test invoice total rounding module import class def self "
         "request response cache token model server client config path line column index table query join "
         "update insert delete select where group order limit async await promise callback handler route "
         "user order payment refund ticket status pending shipped warehouse customer support agent").split()


def ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([m for m, _ in weighted], [w for _, w in weighted])[0]


# ---- Claude Code transcripts -------------------------------------------------------------------------------


def claude_code(size: int, out: Path, seed: int, session_bytes: int | None = None) -> tuple[int, int]:
    """Write transcripts until `size` bytes; returns (bytes, assistant responses). session_bytes: every session
    file about that size (many small files) instead of sizes drawn around a median of 0.7 MB."""
    rng = random.Random(seed)
    projects = [f"-home-dev-{name}" for name in ("billing", "webapp", "infra", "mobile", "data", "docs", "api",
                                                  "search", "auth", "ml")]
    written = responses = 0
    session_n = 0
    paragraphs = [words(rng, rng.randint(20, 400)) for _ in range(200)]
    while written < size:
        session_n += 1
        project = projects[session_n % len(projects)]
        folder = out / "projects" / project
        folder.mkdir(parents=True, exist_ok=True)
        sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        cwd = "/home/dev/" + project.split("-")[-1]
        version = rng.choice(["2.0.76", "2.1.9", "2.1.114"])
        branch = rng.choice(["main", "feature/x", "fix/rounding"])
        model = pick(rng, CC_MODELS)
        t = START + timedelta(days=rng.randint(0, 89), seconds=rng.randint(0, 80000))
        drawn = int(rng.lognormvariate(13.5, 1.0))  # median ~0.7 MB a session
        target = min(size - written, session_bytes or drawn)
        lines: list[str] = []
        nbytes = 0
        parent = None
        context = rng.randint(8000, 20000)
        if rng.random() < 0.3:
            line = compact({"type": "summary", "summary": words(rng, 5),
                            "leafUuid": str(uuid.UUID(int=rng.getrandbits(128), version=4))})
            lines.append(line)
            nbytes += len(line) + 1
        while nbytes < max(target, 1):
            common = {"parentUuid": parent, "isSidechain": False, "userType": "external", "cwd": cwd,
                      "sessionId": sid, "version": version, "gitBranch": branch}
            u = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            if parent is None or rng.random() < 0.3:
                content: object = words(rng, rng.randint(5, 60))
            else:
                content = [{"tool_use_id": "toolu_01" + "".join(rng.choices(string.ascii_letters, k=22)),
                            "type": "tool_result", "content": rng.choice(paragraphs) * rng.randint(1, 6)}]
            user = {**common, "type": "user", "message": {"role": "user", "content": content}, "uuid": u,
                    "timestamp": ts(t)}
            lines.append(compact(user))
            nbytes += len(lines[-1]) + 1
            parent = u
            t += timedelta(seconds=rng.randint(2, 40))
            # One API response, written as one line per content block with the same id, requestId and usage.
            msg_id = "msg_01" + "".join(rng.choices(string.ascii_letters + string.digits, k=22))
            req_id = "req_011" + "".join(rng.choices(string.ascii_letters + string.digits, k=21))
            out_tokens = rng.randint(20, 3000)
            write = rng.choice([0, 0, rng.randint(100, 6000)])
            usage = {"input_tokens": rng.randint(1, 50), "cache_creation_input_tokens": write,
                     "cache_read_input_tokens": context, "cache_creation": {
                         "ephemeral_5m_input_tokens": write if rng.random() < 0.5 else 0,
                         "ephemeral_1h_input_tokens": 0}, "output_tokens": out_tokens, "service_tier": "standard"}
            usage["cache_creation"]["ephemeral_1h_input_tokens"] = write - usage["cache_creation"][
                "ephemeral_5m_input_tokens"]
            context += write + rng.randint(50, 2000)
            if context > 180_000:  # auto-compact: the conversation is summarised and the context starts again
                context = rng.randint(15_000, 40_000)
            blocks = []
            if rng.random() < 0.4:
                blocks.append({"type": "thinking", "thinking": words(rng, rng.randint(10, 200)),
                               "signature": "Eq" + "".join(rng.choices(string.ascii_letters, k=120))})
            blocks.append({"type": "text", "text": words(rng, rng.randint(5, 150))})
            if rng.random() < 0.6:
                blocks.append({"type": "tool_use", "id": "toolu_01" + "".join(rng.choices(string.ascii_letters,
                                                                                          k=22)),
                               "name": rng.choice(["Read", "Edit", "Bash", "Grep"]),
                               "input": {"file_path": f"{cwd}/src/{rng.choice(WORDS)}.py"}})
            stop = "tool_use" if blocks[-1]["type"] == "tool_use" else "end_turn"
            for block in blocks:
                u = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                line = compact({**common, "parentUuid": parent, "message": {
                    "model": model, "id": msg_id, "type": "message", "role": "assistant", "content": [block],
                    "stop_reason": stop if block is blocks[-1] else None, "stop_sequence": None, "usage": usage},
                    "requestId": req_id, "type": "assistant", "uuid": u, "timestamp": ts(t)})
                lines.append(line)
                nbytes += len(line) + 1
                parent = u
                t += timedelta(milliseconds=rng.randint(100, 3000))
            responses += 1
            if rng.random() < 0.05:
                lines.append(compact({"type": "file-history-snapshot", "messageId": u, "snapshot": {
                    "messageId": u, "trackedFileBackups": {}, "timestamp": ts(t)}, "isSnapshotUpdate": False}))
                nbytes += len(lines[-1]) + 1
        text = "\n".join(lines) + "\n"
        (folder / f"{sid}.jsonl").write_text(text, encoding="utf-8")
        written += len(text.encode("utf-8"))
    return written, responses


# ---- request/response logs with bodies ---------------------------------------------------------------------


def request_logs(size: int, out: Path, seed: int, days: int = 30) -> tuple[int, int]:
    """Write one log file per day until `size` bytes; returns (bytes, lines)."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    systems = [words(rng, rng.randint(300, 3000)) for _ in range(40)]
    toolsets = [[{"name": f"{rng.choice(WORDS)}_{i}", "description": words(rng, 30),
                  "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}}}
                 for i in range(rng.randint(0, 8))] for _ in range(15)]
    apps = [{"workspace": f"wrkspc_{w}", "project": p, "api_key_id": f"apikey_01{p.upper()}{k}",
             "system": rng.randrange(len(systems)), "tools": rng.randrange(len(toolsets)),
             "model": pick(rng, LOG_MODELS), "caching": rng.random() < 0.5, "thinking": rng.random() < 0.4,
             "batchable": rng.random() < 0.2}
            for w, p, k in [("support", "helpdesk", 1), ("support", "triage", 2), ("search", "rag", 1),
                            ("search", "rerank", 2), ("growth", "emails", 1), ("growth", "summaries", 2),
                            ("eng", "codegen", 1), ("eng", "review", 2), ("data", "extract", 1),
                            ("data", "classify", 2)]]
    per_day = max(1, size // days)
    written = count = 0
    day = 0
    while written < size:
        path = out / f"requests-{(START + timedelta(days=day % 92)).date()}-{day // 92}.jsonl"
        day += 1
        budget = min(per_day, size - written)
        chunks: list[str] = []
        nbytes = 0
        while nbytes < budget:
            app = rng.choice(apps)
            t = START + timedelta(days=(day - 1) % 92, seconds=rng.randint(0, 86000))
            messages: list[dict[str, object]] = []
            for _turn in range(rng.randint(1, 8)):  # a conversation: each turn resends the growing prefix
                messages = messages + [{"role": "user", "content": words(rng, rng.randint(10, 300))}]
                line = _request_line(rng, app, systems, toolsets, messages, t)
                chunks.append(line)
                nbytes += len(line) + 1
                count += 1
                messages = messages + [{"role": "assistant", "content": words(rng, rng.randint(10, 200))}]
                t += timedelta(seconds=rng.randint(5, 400))
                if nbytes >= budget:
                    break
        if rng.random() < 0.5:
            chunks.append('{"timestamp": "2026-07-01T00:00:00Z", "request": {"model": "claude-opus-4-6", "mess')
        text = "\n".join(chunks) + "\n"
        path.write_text(text, encoding="utf-8")
        written += len(text.encode("utf-8"))
    return written, count


def _request_line(rng: random.Random, app: dict, systems: list[str], toolsets: list[list[dict]],
                  messages: list[dict], t: datetime) -> str:
    model = app["model"]
    system: object = systems[app["system"]]
    if app["caching"]:
        system = [{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}]
    request: dict[str, object] = {"model": model, "max_tokens": rng.choice([1024, 4096, 16000]),
                                  "stream": rng.random() < 0.5, "system": system,
                                  "tools": toolsets[app["tools"]], "messages": messages}
    content: list[dict[str, object]] = []
    details = None
    if app["thinking"]:
        budget = rng.choice([2048, 8000, 16000])
        request["thinking"] = {"type": "enabled", "budget_tokens": budget}
        request["max_tokens"] = budget + 4096
        thinking = words(rng, rng.randint(20, 800))
        content.append({"type": "thinking", "thinking": thinking, "signature": "Eq" + "x" * 80})
        if rng.random() < 0.5:
            details = {"thinking_tokens": len(thinking) // 4}
    answer = words(rng, rng.randint(5, 300))
    content.append({"type": "text", "text": answer})
    prompt = sum(len(str(m["content"])) for m in messages) + len(str(system)) // 1
    prompt_tokens = prompt // 4
    out_tokens = len(answer) // 4 + (details["thinking_tokens"] if details else
                                     (len(content[0].get("thinking", "")) // 4 if app["thinking"] else 0)) + 5
    if app["caching"]:
        read = prompt_tokens * 3 // 4 if len(messages) > 1 else 0
        write = prompt_tokens - read - 20 if len(messages) == 1 else prompt_tokens // 8
        usage = {"input_tokens": 20, "cache_creation_input_tokens": write, "cache_read_input_tokens": read,
                 "cache_creation": {"ephemeral_5m_input_tokens": write, "ephemeral_1h_input_tokens": 0},
                 "output_tokens": out_tokens}
    else:
        usage = {"input_tokens": prompt_tokens, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
                 "output_tokens": out_tokens}
    if details:
        usage["output_tokens_details"] = details
    usage["service_tier"] = "batch" if app["batchable"] and rng.random() < 0.3 else "standard"
    msg_id = "msg_01" + "".join(rng.choices(string.ascii_letters + string.digits, k=22))
    if rng.random() < 0.01:
        response: dict[str, object] = {"type": "error", "error": {"type": "overloaded_error",
                                                                  "message": "Overloaded"}}
    else:
        response = {"id": msg_id, "type": "message", "role": "assistant", "model": model, "content": content,
                    "stop_reason": "end_turn", "stop_sequence": None, "usage": usage}
    meta = {"api_key_id": app["api_key_id"], "workspace": app["workspace"], "project": app["project"],
            "user": f"svc-{app['project']}", "tags": ["prod"], "latency_ms": rng.randint(300, 30000)}
    return compact({"timestamp": t.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "request": request, "response": response,
                    "metadata": meta})


# ---- AWS Cost and Usage Report (legacy CUR) ---------------------------------------------------------------

CUR_COLUMNS = (
    "identity/LineItemId", "identity/TimeInterval", "bill/InvoiceId", "bill/InvoicingEntity", "bill/BillingEntity",
    "bill/BillType", "bill/PayerAccountId", "bill/BillingPeriodStartDate", "bill/BillingPeriodEndDate",
    "lineItem/UsageAccountId", "lineItem/LineItemType", "lineItem/UsageStartDate", "lineItem/UsageEndDate",
    "lineItem/ProductCode", "lineItem/UsageType", "lineItem/Operation", "lineItem/AvailabilityZone",
    "lineItem/ResourceId", "lineItem/UsageAmount", "lineItem/CurrencyCode", "lineItem/UnblendedRate",
    "lineItem/UnblendedCost", "lineItem/BlendedRate", "lineItem/BlendedCost", "lineItem/LineItemDescription",
    "lineItem/TaxType", "lineItem/LegalEntity", "product/ProductName", "product/productFamily", "product/region",
    "product/regionCode", "product/servicecode", "product/sku", "product/usagetype", "pricing/publicOnDemandCost",
    "pricing/publicOnDemandRate", "pricing/term", "pricing/unit", "resourceTags/user:app", "resourceTags/user:env",
    "resourceTags/user:team")
# The columns that change from line to line: filled by str.format into each stream's template.
CUR_VARYING = {"identity/LineItemId": 0, "identity/TimeInterval": 1, "lineItem/UsageStartDate": 2,
               "lineItem/UsageEndDate": 3, "lineItem/UsageAmount": 4, "lineItem/UnblendedCost": 5,
               "lineItem/BlendedCost": 5, "pricing/publicOnDemandCost": 5, "bill/BillingPeriodStartDate": 6,
               "bill/BillingPeriodEndDate": 7, "bill/InvoiceId": 8}
CUR_START = datetime(2026, 3, 1)
CUR_MONTHS = 6  # months the volume is sized for (every other one gzipped); more follow if the size asks for it
CUR_GZIP_SHARE = 8  # a gzipped month is about 1/8 of its CSV on disk: used only to size the streams
CUR_HOURLY_FROM = 64 * 1000**2  # hourly line items from this size up; daily below (a small bill)
REGIONS = {"USE1": ("us-east-1", "US East (N. Virginia)"), "USW2": ("us-west-2", "US West (Oregon)"),
           "EUC1": ("eu-central-1", "EU (Frankfurt)"), "EUW1": ("eu-west-1", "EU (Ireland)"),
           "APN1": ("ap-northeast-1", "Asia Pacific (Tokyo)"), "APS3": ("ap-south-1", "Asia Pacific (Mumbai)")}
CUR_REGIONS = [("USE1", 8), ("USW2", 4), ("EUC1", 2), ("EUW1", 2), ("APN1", 1), ("APS3", 1)]
# Claude on Bedrock: model, product name, list $ per million tokens (input, 5m write, 1h write, cache read,
# output; finops/data/prices.csv), sold from / until (models.csv), regional premium (+10% off the global
# endpoint), usage-type family, weight.
CLAUDE_ON_BEDROCK = [
    ("claude-sonnet-4-5", "Claude Sonnet 4.5", ("3", "3.75", "6", "0.30", "15"), "2025-09-29", None, True, "camel", 4),
    ("claude-haiku-4-5", "Claude Haiku 4.5", ("1", "1.25", "2", "0.10", "5"), "2025-10-15", None, True, "camel", 3),
    ("claude-opus-4-1", "Claude Opus 4.1", ("15", "18.75", "30", "1.50", "75"), "2025-08-05", "2026-08-05", False,
     "camel", 1),
    ("claude-opus-4-5", "Claude Opus 4.5", ("5", "6.25", "10", "0.50", "25"), "2025-11-24", None, True, "camel", 1),
    ("claude-opus-4-6", "Claude Opus 4.6", ("5", "6.25", "10", "0.50", "25"), "2026-02-05", None, True, "camel", 4),
    ("claude-sonnet-4-6", "Claude Sonnet 4.6", ("3", "3.75", "6", "0.30", "15"), "2026-02-17", None, True, "camel", 5),
    ("claude-opus-4-7", "Claude Opus 4.7", ("5", "6.25", "10", "0.50", "25"), "2026-04-16", None, True, "snake", 3),
    ("claude-opus-4-8", "Claude Opus 4.8", ("5", "6.25", "10", "0.50", "25"), "2026-05-28", None, True, "snake", 2),
    ("claude-sonnet-5", "Claude Sonnet 5", ("2", "2.50", "4", "0.20", "10"), "2026-06-30", None, True, "snake", 3),
    ("claude-opus-5", "Claude Opus 5", ("5", "6.25", "10", "0.50", "25"), "2026-07-24", None, True, "snake", 2),
    ("claude-3-haiku", "Claude 3 Haiku", ("0.25", "0.30", "0.50", "0.03", "1.25"), "2024-03-07", "2026-04-20", False,
     "legacy", 1),
    ("claude-haiku-4-5", "Claude Haiku 4.5", ("1", "1.25", "2", "0.10", "5"), "2025-10-15", None, True, "mantle", 1),
]
CLASS_INDEX = {"input": 0, "cache_write_5m": 1, "cache_write_1h": 2, "cache_read": 3, "output": 4}
CAMEL = {"input": "InputTokenCount", "output": "OutputTokenCount", "cache_read": "CacheReadInputTokenCount",
         "cache_write_5m": "CacheWriteInputTokenCount", "cache_write_1h": "CacheWrite1hInputTokenCount"}
MANTLE = {"input": "input-tokens", "output": "output-tokens", "cache_read": "cache-read-tokens",
          "cache_write_5m": "cache-write-tokens", "cache_write_1h": "cache-write-tokens-1h"}
# Everything else on the bill (the lines finops ignores): product code, product name, service code, product
# family, usage type (after the region prefix), operation, unit, rate, amount per hour (median), amount spread
# (0: fixed), line item type, weight. AmazonBedrock's own models and other Marketplace models are here too.
AWS_LINES = [
    ("AmazonEC2", "Amazon Elastic Compute Cloud", "AmazonEC2", "Compute Instance", "BoxUsage:m5.xlarge",
     "RunInstances", "Hrs", 0.192, 1, 0, "Usage", 10),
    ("AmazonEC2", "Amazon Elastic Compute Cloud", "AmazonEC2", "Compute Instance", "BoxUsage:c6i.2xlarge",
     "RunInstances", "Hrs", 0.34, 1, 0, "SavingsPlanCoveredUsage", 6),
    ("AmazonEC2", "Amazon Elastic Compute Cloud", "AmazonEC2", "Compute Instance", "BoxUsage:g5.xlarge",
     "RunInstances", "Hrs", 1.006, 1, 0, "Usage", 2),
    ("AmazonEC2", "Amazon Elastic Compute Cloud", "AmazonEC2", "Storage", "EBS:VolumeUsage.gp3", "CreateVolume-Gp3",
     "GB-Mo", 0.08, 0.69444444, 0.8, "Usage", 10),
    ("AmazonEC2", "Amazon Elastic Compute Cloud", "AmazonEC2", "Data Transfer", "DataTransfer-Out-Bytes",
     "RunInstances", "GB", 0.09, 0.8, 1.2, "Usage", 4),
    ("AmazonEC2", "Amazon Elastic Compute Cloud", "AmazonEC2", "NAT Gateway", "NatGateway-Hours", "NatGateway",
     "Hrs", 0.045, 1, 0, "Usage", 2),
    ("AmazonS3", "Amazon Simple Storage Service", "AmazonS3", "Storage", "TimedStorage-ByteHrs", "StandardStorage",
     "GB-Mo", 0.023, 2.5, 1.0, "Usage", 6),
    ("AmazonS3", "Amazon Simple Storage Service", "AmazonS3", "API Request", "Requests-Tier1", "PutObject",
     "Requests", 0.000005, 4000, 1.0, "Usage", 5),
    ("AmazonS3", "Amazon Simple Storage Service", "AmazonS3", "API Request", "Requests-Tier2", "GetObject",
     "Requests", 0.0000004, 30000, 1.0, "Usage", 5),
    ("AmazonRDS", "Amazon Relational Database Service", "AmazonRDS", "Database Instance",
     "InstanceUsage:db.r6g.large", "CreateDBInstance:0016", "Hrs", 0.258, 1, 0, "Usage", 3),
    ("AWSLambda", "AWS Lambda", "AWSLambda", "Serverless", "Lambda-GB-Second", "Invoke", "Lambda-GB-Second",
     0.0000166667, 9000, 1.0, "Usage", 4),
    ("AWSLambda", "AWS Lambda", "AWSLambda", "Serverless", "Request", "Invoke", "Requests", 0.0000002, 12000, 1.0,
     "Usage", 3),
    ("AmazonCloudWatch", "AmazonCloudWatch", "AmazonCloudWatch", "Metric", "CW:MetricMonitorUsage", "MetricStorage",
     "Metrics", 0.3, 0.0416667, 0.5, "Usage", 3),
    ("AmazonBedrock", "Amazon Bedrock", "AmazonBedrock", "Amazon Bedrock", "TitanEmbeddingsV2-Text-input-tokens",
     "InvokeModelInference", "1K tokens", 0.00002, 9000, 1.0, "Usage", 2),
    ("AmazonBedrock", "Amazon Bedrock", "AmazonBedrock", "Amazon Bedrock", "NovaLite-input-tokens",
     "InvokeModelInference", "1K tokens", 0.00006, 4000, 1.0, "Usage", 1),
    ("AmazonBedrock", "Amazon Bedrock", "AmazonBedrock", "Amazon Bedrock", "NovaLite-output-tokens",
     "InvokeModelInference", "1K tokens", 0.00024, 600, 1.0, "Usage", 1),
    ("AmazonBedrock", "Amazon Bedrock", "AmazonBedrock", "Amazon Bedrock", "Llama3-3-70B-input-tokens",
     "InvokeModelInference", "1K tokens", 0.00072, 2000, 1.0, "Usage", 1),
    ("cohere-mp", "Cohere Command R+ (Amazon Bedrock Edition)", "AWSMarketplace", "Machine Learning",
     "MP:{r}_InputTokenCount-Units", "Usage", "Units", 3.0, 0.4, 1.0, "Usage", 1),
    ("cohere-mp", "Cohere Command R+ (Amazon Bedrock Edition)", "AWSMarketplace", "Machine Learning",
     "MP:{r}_OutputTokenCount-Units", "Usage", "Units", 15.0, 0.05, 1.0, "Usage", 1),
]
TEAMS = ["search", "support", "growth", "platform", "data", "ml", "billing"]


def _field(value: str) -> str:
    """One CSV field, quoted when it has to be, with braces doubled for str.format."""
    if any(c in value for c in ',"\n'):
        value = '"' + value.replace('"', '""') + '"'
    return value.replace("{", "{{").replace("}", "}}")


def _cur_template(fields: dict[str, str]) -> str:
    """A CUR line as a str.format template: the fields given, the varying ones as placeholders, the rest empty."""
    return ",".join(f"{{{CUR_VARYING[c]}}}" if c in CUR_VARYING else _field(fields.get(c, "")) for c in CUR_COLUMNS)


def _decimal_text(units: int, places: int) -> str:
    """An integer count of 10**-places as a plain decimal without trailing zeros: (12480000, 6) -> '12.48'."""
    whole, frac = divmod(units, 10**places)
    return f"{whole}.{frac:0{places}d}".rstrip("0").rstrip(".")


def _add_month(t: datetime, n: int = 1) -> datetime:
    return t.replace(year=t.year + (t.month - 1 + n) // 12, month=(t.month - 1 + n) % 12 + 1)


class _ClaudeLine:
    """One token class of one Claude deployment: usage amounts in exact integer arithmetic, so the tokens a reader
    gets back (amount x tokens per unit) and the cost (amount x rate, the list rate) are exact."""

    def __init__(self, template: str, share: float, per_unit: int, rate_e10: int, batch: bool) -> None:
        self.template = template
        self.share = share  # tokens of this class per token of the deployment's uncached input
        self.per_unit = per_unit  # tokens per unit of usage amount: 1,000,000 (Marketplace) or 1,000 (legacy)
        self.rate_e10 = rate_e10  # cost of one token in 1e-10 dollars
        self.batch = batch


class _Deployment:
    """A Claude model used from one account in one region (global or regional endpoint): a few usage types that
    are billed in the same hours."""

    def __init__(self, rng: random.Random, accounts: list[str], products: dict[str, str],
                 only: str | None = None) -> None:
        specs = [s for s in CLAUDE_ON_BEDROCK if only in (None, s[6])]
        spec = rng.choices(specs, [s[-1] for s in specs])[0]
        model, name, rates, first, last, premium, family, _ = spec
        self.first = datetime.fromisoformat(first)
        self.last = datetime.fromisoformat(last) if last else None
        self.account = rng.choice(accounts)
        region = pick(rng, CUR_REGIONS) if family != "legacy" else rng.choice(["USE1", "USW2"])
        code, location = REGIONS[region]
        forced = only == "camel"  # the first CamelCase deployment shows every variant: regional, batch, 1h writes
        scope_global = family in ("camel", "snake", "mantle") and rng.random() < 0.4 and not forced
        self.activity = rng.uniform(0.5, 1.0)
        self.volume = rng.lognormvariate(13.0, 1.3)  # uncached input tokens an hour, before the daily rhythm
        caching = family != "legacy" and (rng.random() < 0.7 or forced)
        hour_writes = caching and family in ("camel", "mantle") and (rng.random() < 0.3 or forced)
        classes = [("input", 1.0, False), ("output", rng.uniform(0.08, 0.35), False)]
        if caching:
            classes += [("cache_read", rng.uniform(2, 12), False), ("cache_write_5m", rng.uniform(0.1, 0.5), False)]
        if hour_writes:
            classes.append(("cache_write_1h", rng.uniform(0.05, 0.2), False))
        if family == "camel" and not scope_global and (rng.random() < 0.5 or forced):  # batch: regional lines
            classes += [("input", rng.uniform(0.5, 3.0), True), ("output", rng.uniform(0.05, 0.3), True)]
        self.batch_activity = rng.uniform(0.1, 0.4)
        team = rng.choice(TEAMS)
        arn = (f"arn:aws:bedrock:{code}:{self.account}:application-inference-profile/"
               f"{''.join(rng.choices(string.ascii_lowercase + string.digits, k=12))}")
        product = f"{name} (Amazon Bedrock Edition)" if family != "legacy" else "Amazon Bedrock"
        self.product = (self.account, products[model] if family != "legacy" else "AmazonBedrock", product)
        base = {"bill/InvoicingEntity": "Amazon Web Services, Inc.", "bill/BillType": "Anniversary",
                "bill/PayerAccountId": accounts[0], "lineItem/UsageAccountId": self.account,
                "lineItem/LineItemType": "Usage", "lineItem/CurrencyCode": "USD", "product/region": code,
                "product/regionCode": code, "pricing/term": "OnDemand",
                "resourceTags/user:team": team if rng.random() < 0.8 else "",
                "resourceTags/user:env": rng.choice(["prod", "prod", "staging", "dev"]),
                "resourceTags/user:app": f"{team}-{rng.choice(WORDS)}"}
        if family == "legacy":
            base.update({"bill/BillingEntity": "AWS", "lineItem/ProductCode": "AmazonBedrock",
                         "lineItem/Operation": "InvokeModelInference",
                         "lineItem/LegalEntity": "Amazon Web Services, Inc.", "product/ProductName": product,
                         "product/productFamily": "Amazon Bedrock",
                         "product/servicecode": "AmazonBedrock", "pricing/unit": "1K tokens"})
        else:
            base.update({"bill/BillingEntity": "AWS Marketplace", "lineItem/ProductCode": self.product[1],
                         "lineItem/Operation": "Usage", "lineItem/LegalEntity": "Anthropic, PBC",
                         "product/ProductName": product, "product/productFamily": "Machine Learning",
                         "product/servicecode": "AWSMarketplace",
                         "pricing/unit": "1M tokens" if family == "mantle" else "Units"})
            if rng.random() < 0.5:
                base["lineItem/ResourceId"] = arn
        self.lines: list[_ClaudeLine] = []
        for token_class, share, is_batch in classes:
            list_rate = Decimal(rates[CLASS_INDEX[token_class]])
            rate = list_rate * (Decimal("1.1") if premium and not scope_global else 1) * (
                Decimal("0.5") if is_batch else 1)  # finops prices batch at 50% and regional at +10%
            rate_e10 = rate * 10_000  # $ per million tokens -> 1e-10 $ per token
            assert rate_e10 == int(rate_e10), rate
            label = token_class.replace("_", " ").replace("5m", "(5m)").replace("1h", "(1h)")
            if family == "camel":
                suffix = "_Global" if scope_global else "_Batch" if is_batch else ""
                usage = f"{region}-MP:{region}_{CAMEL[token_class]}{suffix}-Units"
                if is_batch and token_class == "input" and rng.random() < 0.5:
                    usage = f"{region}-MP:{region}_MillionBatchInputTokens-Units"
            elif family == "snake":
                kind = token_class.removesuffix("_5m")
                usage = f"{region}-MP:{region}_{kind}_tokens{'_global' if scope_global else ''}_standard-Units"
            elif family == "mantle":
                usage = (f"{region}-anthropic.claude-haiku-4-5-mantle-{MANTLE[token_class]}-"
                         f"{'global-standard' if scope_global else 'standard'}")
            else:
                usage = f"{region}-Claude3Haiku-{token_class}-tokens"
            per_unit = 1000 if family == "legacy" else 1_000_000
            unit_rate = rate * per_unit / 1_000_000
            fields = {**base, "lineItem/UsageType": usage, "product/usagetype": usage,
                      "lineItem/UnblendedRate": f"{unit_rate.normalize():f}",
                      "lineItem/BlendedRate": f"{unit_rate.normalize():f}",
                      "pricing/publicOnDemandRate": f"{unit_rate.normalize():f}",
                      "product/sku": "".join(rng.choices(string.ascii_uppercase + string.digits, k=16)),
                      "lineItem/LineItemDescription": (
                          f"${unit_rate.normalize():f} per {'1K' if per_unit == 1000 else 'million'} {label} tokens "
                          f"for {name}{' (batch)' if is_batch else ''} in {location}")}
            self.lines.append(_ClaudeLine(_cur_template(fields), share, per_unit, int(rate_e10), is_batch))
            if token_class == "input" and not is_batch:
                self.fields = fields  # the product's fields for its month-end lines


class _Metered:
    """A line of another AWS service (or another Bedrock or Marketplace model) billed every hour it runs."""

    def __init__(self, rng: random.Random, accounts: list[str], products: dict[str, str]) -> None:
        (code, name, service, family, usage, operation, unit, rate, amount, spread, line_type,
         _) = rng.choices(AWS_LINES, [s[-1] for s in AWS_LINES])[0]
        self.account = rng.choice(accounts)
        region = pick(rng, CUR_REGIONS)
        where, location = REGIONS[region]
        self.rate, self.spread = rate, spread
        self.amount = amount * (rng.lognormvariate(0, 0.8) if spread else 1)
        self.activity = 1.0 if not spread else rng.uniform(0.6, 1.0)
        if code == "cohere-mp":
            code = products[code]
        if "{r}" in usage:  # Marketplace: USE1-MP:USE1_InputTokenCount-Units
            usage = f"{region}-" + usage.format(r=region)
        elif region != "USE1" or code == "AmazonBedrock":  # EC2, S3, ... in us-east-1 have no region prefix
            usage = f"{region}-{usage}"
        self.product = (self.account, code, name)
        if code == "AmazonEC2":
            kind = {"Compute Instance": "i", "Storage": "vol", "NAT Gateway": "nat"}.get(family)
            resource = f"{kind}-0{rng.getrandbits(64):016x}" if kind else ""
        elif code == "AmazonS3":
            resource = f"{rng.choice(TEAMS)}-{rng.choice(WORDS)}-{rng.getrandbits(24):06x}"
        elif code == "AmazonRDS":
            resource = f"arn:aws:rds:{where}:{self.account}:db:{rng.choice(WORDS)}-{rng.randint(1, 9)}"
        elif code == "AWSLambda":
            resource = f"arn:aws:lambda:{where}:{self.account}:function:{rng.choice(WORDS)}-{rng.choice(WORDS)}"
        else:
            resource = ""
        marketplace = service == "AWSMarketplace"
        team = rng.choice(TEAMS)
        rate_text = f"{rate:.10f}".rstrip("0").rstrip(".")
        fields = {"bill/InvoicingEntity": "Amazon Web Services, Inc.",
                  "bill/BillingEntity": "AWS Marketplace" if marketplace else "AWS", "bill/BillType": "Anniversary",
                  "bill/PayerAccountId": accounts[0], "lineItem/UsageAccountId": self.account,
                  "lineItem/LineItemType": line_type, "lineItem/ProductCode": code, "lineItem/UsageType": usage,
                  "lineItem/Operation": operation, "lineItem/ResourceId": resource,
                  "lineItem/AvailabilityZone": f"{where}{rng.choice('abc')}" if code in ("AmazonEC2", "AmazonRDS")
                  else "", "lineItem/CurrencyCode": "USD", "lineItem/UnblendedRate": rate_text,
                  "lineItem/BlendedRate": rate_text,
                  "lineItem/LineItemDescription": f"${rate_text} per {unit} for {operation} "
                                                  f"({usage.split('-', 1)[-1] if '-' in usage[:5] else usage}) "
                                                  f"in {location}",
                  "lineItem/LegalEntity": "Cohere Inc." if marketplace else "Amazon Web Services, Inc.",
                  "product/ProductName": name, "product/productFamily": family, "product/region": where,
                  "product/regionCode": where, "product/servicecode": service,
                  "product/sku": "".join(rng.choices(string.ascii_uppercase + string.digits, k=16)),
                  "product/usagetype": usage, "pricing/publicOnDemandRate": rate_text, "pricing/term": "OnDemand",
                  "pricing/unit": unit, "resourceTags/user:team": team if rng.random() < 0.7 else "",
                  "resourceTags/user:env": rng.choice(["prod", "staging", "dev"]),
                  "resourceTags/user:app": f"{team}-{rng.choice(WORDS)}" if rng.random() < 0.6 else ""}
        self.fields = fields
        self.template = _cur_template(fields)


def cur(size: int, out: Path, seed: int) -> tuple[int, int]:
    """Write monthly legacy CUR files (every other month gzipped, as AWS delivers them) until `size` bytes on disk;
    returns (bytes, lines). Claude lines (AWS Marketplace, plus a few AWS-sold per-1K lines) are a minority among
    EC2, S3, RDS, Lambda, CloudWatch, other Bedrock and Marketplace models; each month ends with tax, EDP discount
    and credit lines. Line items are hourly from CUR_HOURLY_FROM up, daily below."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    accounts = [str(rng.randint(10**11, 10**12 - 1)) for _ in range(7)]
    products = {m: "".join(rng.choices(string.ascii_lowercase + string.digits, k=25))  # Marketplace product codes
                for m in [s[0] for s in CLAUDE_ON_BEDROCK] + ["cohere-mp"]}
    hourly = size >= CUR_HOURLY_FROM
    step = timedelta(hours=1 if hourly else 24)
    per_month = 730 if hourly else 30.4
    # Add streams until their expected bytes over CUR_MONTHS months (half of them gzipped) reach the size.
    sample = ("0" * 52, "2026-03-01T00:00:00Z/2026-03-01T01:00:00Z", "2026-03-01T00:00:00Z",
              "2026-03-01T01:00:00Z", "12.345678", "37.0370340000", "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z",
              "")
    months_on_disk = (CUR_MONTHS + 1) // 2 + (CUR_MONTHS // 2) / CUR_GZIP_SHARE  # in plain-CSV months
    streams: list[_Deployment | _Metered] = []
    expected = 0.0
    while expected * months_on_disk * per_month < size:
        if len(streams) < 4 or rng.random() < 0.12:  # the first: one of each usage-type family
            first = ["legacy", "mantle", "snake", "camel"][len(streams)] if len(streams) < 4 else None
            d = _Deployment(rng, accounts, products, first)
            streams.append(d)
            line = d.lines[0].template.format(*sample)
            expected += (len(line) + 1) * d.activity * 0.6 * (
                sum(not c.batch for c in d.lines) + d.batch_activity * sum(c.batch for c in d.lines))
        else:
            m = _Metered(rng, accounts, products)
            streams.append(m)
            expected += (len(m.template.format(*sample)) + 1) * m.activity
    # The daily rhythm of LLM traffic (UTC hours), weekends at 60%.
    rhythm = [0.35, 0.3, 0.3, 0.3, 0.35, 0.45, 0.6, 0.8, 0.95, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.95, 0.9, 0.8,
              0.7, 0.6, 0.5, 0.45, 0.4]
    written = lines_out = 0
    month = 0
    header = ",".join(CUR_COLUMNS) + "\n"
    while written < size:
        first = _add_month(CUR_START, month)
        following = _add_month(first)
        gz = month % 2 == 1
        path = out / f"cur-{first:%Y-%m}.csv{'.gz' if gz else ''}"
        month += 1
        raw = open(path, "wb")  # noqa: SIM115 (closed below)
        sink: IO[bytes] = gzip.GzipFile(filename=path.stem, mode="wb", fileobj=raw, mtime=0) if gz else raw
        sink.write(header.encode())
        plain_bytes = len(header)
        invoice = f"{rng.randint(10**9, 10**10 - 1)}"
        bill_start, bill_end = f"{first:%Y-%m-%dT%H:%M:%SZ}", f"{following:%Y-%m-%dT%H:%M:%SZ}"
        costs: dict[tuple[str, str, str], list] = {}
        t = first
        while t < following and written + (raw.tell() if gz else plain_bytes) < size:
            end = t + step
            start_s, end_s = f"{t:%Y-%m-%dT%H:%M:%SZ}", f"{end:%Y-%m-%dT%H:%M:%SZ}"
            interval = f"{start_s}/{end_s}"
            load = (rhythm[t.hour] if hourly else 1.0) * (0.6 if t.weekday() >= 5 else 1.0)
            chunk: list[str] = []
            for s in streams:
                if isinstance(s, _Deployment):
                    if t < s.first or (s.last and t >= s.last) or rng.random() >= s.activity * load:
                        continue
                    base = s.volume * load * rng.lognormvariate(0, 0.35) * (1 if hourly else 24)
                    batch_now = rng.random() < s.batch_activity
                    for c in s.lines:
                        if c.batch and not batch_now:
                            continue
                        tokens = max(1, int(base * c.share * rng.uniform(0.8, 1.25)))
                        cost = tokens * c.rate_e10
                        chunk.append(c.template.format(
                            format(rng.getrandbits(208), "052x"), interval, start_s, end_s,
                            _decimal_text(tokens, 6 if c.per_unit == 1_000_000 else 3), _decimal_text(cost, 10),
                            bill_start, bill_end, invoice))
                        costs.setdefault(s.product, [0.0, s.fields])[0] += cost / 1e10
                elif rng.random() < s.activity:
                    amount = s.amount * (rng.lognormvariate(0, 0.4) if s.spread else 1) * (1 if hourly else 24)
                    cost = amount * s.rate
                    chunk.append(s.template.format(
                        format(rng.getrandbits(208), "052x"), interval, start_s, end_s,
                        f"{amount:.8f}".rstrip("0").rstrip("."), f"{cost:.10f}", bill_start, bill_end, invoice))
                    costs.setdefault(s.product, [0.0, s.fields])[0] += cost
            if chunk:
                text = "\n".join(chunk) + "\n"
                sink.write(text.encode())
                plain_bytes += len(text)
                lines_out += len(chunk)
            t = end
        # Month-end lines: tax on every product, the EDP discount, and a promotional credit on two accounts.
        month_s = f"{bill_start}/{bill_end}"
        chunk = []
        for (account, code, name), (total, fields) in sorted(costs.items(), key=lambda kv: kv[0]):
            lines = [("EdpDiscount", -0.06 * total, "Enterprise Program Discount")]
            if account != accounts[-1]:  # one account pays no sales tax
                lines.append(("Tax", 0.08 * total, f"Tax for product code {code}"))
            if account in accounts[1:3] and "Claude" in name:
                lines.append(("Credit", -min(500.0, 0.2 * total), "AWS Promotional Credit"))
            for kind, cost, description in lines:
                month_end = {**fields, "lineItem/LineItemType": kind, "lineItem/LineItemDescription": description,
                             "lineItem/UnblendedRate": "", "lineItem/BlendedRate": "", "lineItem/ResourceId": "",
                             "pricing/publicOnDemandRate": "", "lineItem/AvailabilityZone": ""}
                if kind == "Tax":
                    month_end.update({"lineItem/UsageType": "", "product/usagetype": "", "lineItem/Operation": "",
                                      "lineItem/TaxType": "Sales Tax"})
                chunk.append(_cur_template(month_end).format(
                    format(rng.getrandbits(208), "052x"), month_s, bill_start, bill_end,
                    "" if kind == "Tax" else "0", f"{cost:.10f}", bill_start, bill_end, invoice))
        if chunk:
            text = "\n".join(chunk) + "\n"
            sink.write(text.encode())
            lines_out += len(chunk)
        if gz:
            sink.close()
        raw.close()
        written += path.stat().st_size
    return written, lines_out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=["claude-code", "request-logs", "cur"])
    parser.add_argument("size", help="e.g. 10MB, 1GB")
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--session-bytes", help="claude-code: every session file about this size (e.g. 400KB)")
    args = parser.parse_args(argv)
    size = parse_size(args.size)
    if args.kind == "claude-code":
        session = parse_size(args.session_bytes) if args.session_bytes else None
        written, n = claude_code(size, args.out, args.seed, session)
        print(f"wrote {written / 1e6:.1f} MB of Claude Code transcripts ({n} responses) to {args.out}")
    elif args.kind == "request-logs":
        written, n = request_logs(size, args.out, args.seed)
        print(f"wrote {written / 1e6:.1f} MB of request logs ({n} requests) to {args.out}")
    else:
        written, n = cur(size, args.out, args.seed)
        print(f"wrote {written / 1e6:.1f} MB of CUR files ({n} lines) to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
