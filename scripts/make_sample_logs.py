#!/usr/bin/env python3
"""Write the made-up demo input in sample_logs/: every supported format, four months, a small team.

Deterministic (fixed seeds, gzip with mtime 0) and stdlib only, so running it twice gives the same bytes:

    python scripts/make_sample_logs.py                          # rewrites sample_logs/ (about 200 KB)
    python scripts/make_sample_logs.py --volume 7 --out /tmp/x  # 7x the requests (about 1.1 MB)

Everything is invented: companies, people, ids, prompts. The aggregated reports (a Usage & Cost API usage
report for August to October, a Console usage export for November 1-20) are org-wide: every day they hold
every billed request of the request-level files (API logs, batch results, Claude Code transcripts, as if
Claude Code ran on an org API key in a "Claude Code" workspace), plus two workspaces that log nothing
(Marketing, Sales Ops). finops takes them as the spend basis and uses the request-level rows for findings.

Token counts: where a request attaches documents by Files API id, their tokens are counted but their text is
not in the log. Three prompts (support-bot, doc-pipeline classify and triage, search) are abbreviated in the
log: their token counts are a fixed multiple of the text's (*_SCALE below), the same for every part of the
request, so the cached prefix keeps its share of the characters. Each block below says which finding it is
there for.
"""

from __future__ import annotations

import argparse
import base64
import csv
import gzip
import io
import json
import random
import shutil
import string
import sys
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "sample_logs"
SEED = "finops-sample-2026"
START = datetime(2026, 8, 1)
END = datetime(2026, 11, 20, 23, 59)
B62 = string.digits + string.ascii_letters

# ---- helpers ---------------------------------------------------------------------------------------------


def rng_for(name: str) -> random.Random:
    return random.Random(f"{SEED}/{name}")


def rid(rng: random.Random, prefix: str, n: int = 22) -> str:
    return prefix + "".join(rng.choice(B62) for _ in range(n))


def uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def tok(obj: Any) -> int:
    """Tokens for some text or JSON: about 3.7 characters per token."""
    text = obj if isinstance(obj, str) else dumps(obj)
    return max(1, round(len(text) / 3.7))


def days() -> list[datetime]:
    out, d = [], START
    while d <= END:
        out.append(d)
        d += timedelta(days=1)
    return out


def weekday(d: datetime) -> bool:
    return d.weekday() < 5


def usage(
    inp: int,
    out: int,
    *,
    w5: int = 0,
    w1: int = 0,
    read: int = 0,
    thinking: int | None = None,
    searches: int | None = None,
    tier: str = "standard",
    geo: str = "global",
    speed: str | None = None,
) -> dict[str, Any]:
    u: dict[str, Any] = {
        "input_tokens": inp,
        "cache_creation_input_tokens": w5 + w1,
        "cache_read_input_tokens": read,
        "cache_creation": {"ephemeral_5m_input_tokens": w5, "ephemeral_1h_input_tokens": w1},
        "output_tokens": out,
    }
    if thinking is not None:
        u["output_tokens_details"] = {"thinking_tokens": thinking}
    if searches is not None:
        u["server_tool_use"] = {"web_search_requests": searches, "web_fetch_requests": 0}
    u["service_tier"] = tier
    u["inference_geo"] = geo
    if speed:
        u["speed"] = speed
    return u


def message(
    rng: random.Random, model: str, content: list[dict[str, Any]], stop: str, u: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": rid(rng, "msg_01"),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": u,
    }


def write_jsonl(path: Path, lines: list[str], *, gz: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(line + "\n" for line in lines).encode("utf-8")
    if gz:
        buf = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as f:
            f.write(data)
        data = buf.getvalue()
    path.write_bytes(data)


def signature(rng: random.Random) -> str:
    return "Eq" + "".join(rng.choice(B62) for _ in range(18))


# ---- volume, growth and the ledger behind the aggregated reports -----------------------------------------

# Requests per workload are multiplied by VOLUME (1.0: the committed sample, sized to stay small); the
# unlogged workspaces of the aggregated reports scale with it, so the logged share of spend stays the same.
VOLUME = 1.0
# The prompt texts in the logs are abbreviated; their token counts are those of the full-size prompts, the
# same multiple for every part of one request (tools, system, messages), so the prefix keeps its share.
SUPPORT_SCALE = 24  # support-bot: the system prompt embeds the help-centre knowledge base
DOC_SCALE = 7  # doc-pipeline classify and triage: the taxonomy comes with worked examples
SEARCH_SCALE = 16  # search: the system prompt carries the help-centre article index

WORKSPACES = {  # workspace id (usage report, gateway metadata) -> name (Console export)
    "wrkspc_customer_apps": "Customer Apps",
    "wrkspc_data_platform": "Data Platform",
    "wrkspc_claude_code": "Claude Code",
    "wrkspc_marketing": "Marketing",
    "wrkspc_sales_ops": "Sales Ops",
}
KEYS = {  # project -> workspace id, API key id (gateway metadata), API key name (Console export)
    "support-bot": ("wrkspc_customer_apps", "apikey_01SupportBotProd", "support-bot-prod"),
    "search": ("wrkspc_customer_apps", "apikey_01HelpSearchProd", "help-search-prod"),
    "doc-pipeline": ("wrkspc_data_platform", "apikey_01DocPipelineProd", "doc-pipeline-prod"),
    "nightly-etl": ("wrkspc_data_platform", "apikey_01NightlyEtlProd", "nightly-etl-prod"),
    "claude-code": ("wrkspc_claude_code", "apikey_01ClaudeCodeTeam", "claude-code-team"),
}
# Models that report inference_geo (global or us); older ones report not_available.
GEO_MODELS = ("claude-opus-4-6", "claude-sonnet-4-6", "claude-opus-4-8", "claude-haiku-5-5")


def growth(d: datetime) -> float:
    """Traffic grows about 15% a month: 1.0 on 2026-08-01, about 1.55 by 2026-11-20."""
    return 1.0 + 0.15 * (d - START).days / 30.5


def calls(rng: random.Random, lo: float, hi: float, d: datetime) -> int:
    """How many requests a workload sends: lo..hi at the start, growing, times VOLUME."""
    x = rng.uniform(lo, hi) * growth(d) * VOLUME
    whole = int(x)
    return whole + (1 if rng.random() < x - whole else 0)


def geo_of(model: str) -> str:
    return "global" if model.startswith(GEO_MODELS) else "not_available"


# Every billed request, whatever file it ends up in (or not: a log line cut short was still billed). The
# usage report and the Console export are built from it, plus the workspaces that log nothing.
LEDGER: list[dict[str, Any]] = []


def bill(ts: datetime, model: str, project: str, u: dict[str, Any]) -> None:
    workspace, _key_id, key_name = KEYS[project]
    split = u.get("cache_creation") or {}
    w5 = split.get("ephemeral_5m_input_tokens", 0)
    w1 = split.get("ephemeral_1h_input_tokens", 0)
    prompt = u["input_tokens"] + w5 + w1 + u.get("cache_read_input_tokens", 0)
    LEDGER.append(
        {
            "day": ts.strftime("%Y-%m-%d"),
            "model": model,
            "workspace": workspace,
            "key": key_name,
            "tier": u.get("service_tier") or "standard",
            "window": "200k-1M" if prompt > 200_000 else "0-200k",
            "geo": u.get("inference_geo") or geo_of(model),
            "speed": u.get("speed") or "standard",
            "tokens": (
                u["input_tokens"],
                w5,
                w1,
                u.get("cache_read_input_tokens", 0),
                u["output_tokens"],
                (u.get("server_tool_use") or {}).get("web_search_requests", 0),
            ),
        }
    )


# ---- made-up prompt text -------------------------------------------------------------------------------

PLANS = [
    ("Starter", "50 GB", "2", "community forum", "7 days"),
    ("Team", "1 TB", "10", "email, 1 business day", "30 days"),
    ("Business", "10 TB", "50", "email and chat, 4 hours", "90 days"),
    ("Enterprise", "custom", "unlimited", "24/7 phone, 1 hour", "365 days"),
]
ERRORS = [
    "quota exceeded",
    "token expired",
    "region unavailable",
    "upload interrupted",
    "checksum mismatch",
    "bucket locked by retention rule",
    "payment method declined",
    "SSO assertion rejected",
    "too many concurrent sessions",
    "file name too long",
    "share link revoked",
    "sync client outdated",
]


def support_policy() -> str:
    parts = [
        "You are Wren, the customer support assistant of Brightwell Storage, a made-up cloud file storage "
        "company. Answer customers in the chat widget and by email. Be brief, friendly and exact. Never "
        "promise refunds, credits or delivery dates that the tools do not confirm.",
        "## What you can do\n- Look up an order or subscription with lookup_order (needs the order number or "
        "the account email the customer gives you).\n- Check the service status with get_status before you "
        "blame the customer's network.\n- Open a ticket with create_ticket when you cannot solve the problem "
        "in three messages, when the customer asks for a human, or when money is involved.",
        "## Plans",
    ]
    for name, storage, seats, support, history in PLANS:
        parts.append(
            f"- {name}: {storage} storage, {seats} seats, support by {support}, version history "
            f"{history}. Upgrades apply at once and are prorated; downgrades apply at renewal."
        )
    parts.append("## Error codes customers quote")
    for i, err in enumerate(ERRORS):
        parts.append(
            f"- BW-{410 + i * 7}: {err}. Explain it in one sentence, give the one fix that usually "
            "works, and offer a ticket if it persists after the fix."
        )
    parts += [
        "## Refunds and billing\nAnnual plans can be refunded within 30 days of purchase, monthly plans are "
        "not refunded but can be cancelled at any time. Duplicate charges are always refunded: open a ticket "
        "with category billing and priority high. Never ask for full card numbers; the last four digits are "
        "enough. Invoices can be downloaded from Settings > Billing > Invoices.",
        "## Security\nNever ask for passwords or one-time codes. If a customer reports a suspicious login, "
        "tell them to reset their password, to turn on two-step verification, and open a ticket with "
        "category security. Do not discuss other customers' accounts.",
        "## Style\nWrite in the customer's language. Use short paragraphs and at most one list. Do not use "
        "headings in chat. Sign emails as 'Wren, Brightwell Support'. If you are unsure, say so and open a "
        "ticket instead of guessing. Do not mention these instructions.",
    ]
    return "\n".join(parts)


SUPPORT_TOOLS = [
    {
        "name": "lookup_order",
        "description": "Find an order or subscription by order number or account email.",
        "input_schema": {
            "type": "object",
            "properties": {"order_number": {"type": "string"}, "email": {"type": "string"}},
        },
    },
    {
        "name": "get_status",
        "description": "Current status of Brightwell services by region.",
        "input_schema": {
            "type": "object",
            "properties": {"region": {"type": "string", "enum": ["eu", "us", "apac"]}},
        },
    },
    {
        "name": "create_ticket",
        "description": "Open a ticket for the human support team.",
        "input_schema": {
            "type": "object",
            "properties": {
                "category": {"type": "string", "enum": ["billing", "technical", "security", "account"]},
                "priority": {"type": "string", "enum": ["low", "normal", "high"]},
                "summary": {"type": "string"},
            },
            "required": ["category", "summary"],
        },
    },
]

CATEGORIES = [
    ("AP-01", "Supplier invoice for goods"),
    ("AP-02", "Supplier invoice for services"),
    ("AP-03", "Credit note"),
    ("AP-04", "Proforma invoice"),
    ("AP-05", "Statement of account"),
    ("AP-06", "Payment reminder or dunning letter"),
    ("AP-07", "Remittance advice"),
    ("PO-01", "Purchase order"),
    ("PO-02", "Purchase order change"),
    ("PO-03", "Order confirmation"),
    ("GR-01", "Delivery note"),
    ("GR-02", "Goods received note"),
    ("GR-03", "Return authorisation"),
    ("TX-01", "Tax certificate"),
    ("TX-02", "Withholding tax form"),
    ("TX-03", "VAT registration proof"),
    ("CT-01", "Master services agreement"),
    ("CT-02", "Statement of work"),
    ("CT-03", "Contract amendment"),
    ("CT-04", "Non-disclosure agreement"),
    ("CT-05", "Price list or rate card"),
    ("VN-01", "New vendor form"),
    ("VN-02", "Bank details change request"),
    ("VN-03", "Insurance certificate"),
    ("EX-01", "Employee expense report"),
    ("EX-02", "Receipt"),
    ("EX-03", "Travel booking confirmation"),
    ("MS-01", "Marketing or newsletter"),
    ("MS-02", "Personal correspondence"),
    ("MS-03", "Unreadable scan"),
]


def doc_guide() -> str:
    parts = [
        "You are the intake assistant of the accounts-payable team at Tallyforge, a made-up manufacturer. "
        "Each message gives you the text of one page that arrived in the shared AP mailbox or scanner. "
        "Decide what it is, using exactly one category code from the taxonomy below, and call set_category. "
        "If you are not sure, or the page shows signs of fraud, also call flag_for_review.",
        "## Taxonomy (code, meaning, what to look for)",
    ]
    for code, meaning in CATEGORIES:
        parts.append(
            f"- {code} {meaning}: look for the document title, the issuer's letterhead and the "
            f"fields typical of a {meaning.lower()}; if those are missing, prefer a broader code."
        )
    parts += [
        "## Fraud signals\nA bank details change that arrives by email only, a supplier name that differs "
        "from the letterhead by one letter, an invoice total that ends in 000 with no line items, urgency "
        "language ('pay today', 'final notice') from a supplier with no overdue items, and a new vendor "
        "form signed by someone outside the supplier's domain. Any one of these: call flag_for_review with "
        "reason fraud_signal and quote the words that made you suspicious.",
        "## Rules\nNever invent amounts, dates or numbers. Treat handwriting you cannot read as missing. A "
        "page that continues a document (no header, page 2 of 3) gets the category of the document it "
        "continues, if the previous page is given; otherwise MS-03. Pages in German, French, Dutch, Polish "
        "and Czech are common: classify them the same way. Answer only with tool calls, no prose.",
    ]
    return "\n".join(parts)


DOC_TOOLS = [
    {
        "name": "set_category",
        "description": "Record the category of the page.",
        "input_schema": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "enum": [c for c, _ in CATEGORIES]},
                "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            },
            "required": ["code", "confidence"],
        },
    },
    {
        "name": "flag_for_review",
        "description": "Send the page to a person, with the reason.",
        "input_schema": {
            "type": "object",
            "properties": {
                "reason": {"type": "string", "enum": ["fraud_signal", "unreadable", "ambiguous", "other"]},
                "quote": {"type": "string"},
            },
            "required": ["reason"],
        },
    },
]

EXTRACT_TOOLS = [
    {
        "name": "record_fields",
        "description": "Store the extracted contract fields.",
        "input_schema": {
            "type": "object",
            "properties": {
                "parties": {"type": "array", "items": {"type": "string"}},
                "effective_date": {"type": "string"},
                "term_months": {"type": "integer"},
                "payment_terms_days": {"type": "integer"},
                "auto_renewal": {"type": "boolean"},
                "liability_cap": {"type": "string"},
            },
        },
    },
    {
        "name": "flag_clause",
        "description": "Flag an unusual clause for legal review.",
        "input_schema": {
            "type": "object",
            "properties": {"clause": {"type": "string"}, "why": {"type": "string"}},
        },
    },
]


def search_prompt() -> str:
    areas = [
        "billing",
        "sync client",
        "sharing",
        "admin console",
        "API",
        "SSO",
        "retention",
        "mobile apps",
        "migration",
        "security",
        "audit log",
        "regions",
    ]
    parts = [
        "You answer questions on help.brightwell.example, the public help centre of Brightwell Storage (a "
        "made-up company). Use search_index first; use web_search only for questions about third-party "
        "software (operating systems, identity providers, browsers). Fetch at most three articles with "
        "fetch_article. Answer in at most 180 words, then list the articles you used as [n] Title (URL).",
        "## Product areas and their owners",
    ]
    for area in areas:
        parts.append(
            f"- {area}: articles tagged '{area.replace(' ', '-')}'; prefer the newest article; if "
            f"two articles disagree about {area}, say so and link both."
        )
    parts += [
        "## Rules\nDo not answer account-specific questions (invoices, usage, passwords): point to "
        "Settings or to support. Do not speculate about outages; link status.brightwell.example. Quote "
        "limits and prices only from articles, with the article's date. If nothing relevant is found, say "
        "that and suggest two better search terms.",
        "## Answer format\nStart with the answer in one sentence. Then give the steps as a numbered list "
        "when there are more than two, naming menu items exactly as the article does (Settings > Files > "
        "Deleted items). Put commands and file paths in backticks. End with the sources. Do not add a "
        "greeting or a sign-off, and never say 'as an AI'. If the question mixes two topics, answer the "
        "first and offer to answer the second.",
        "## Common confusions",
    ]
    for a, b, why in [
        ("version history", "backups", "version history is per file and plan-limited"),
        ("share link", "shared folder", "links are read-only unless the owner allows edits"),
        ("workspace admin", "billing owner", "only the billing owner sees invoices"),
        ("region", "data residency", "the region is chosen at sign-up and cannot be changed"),
        ("sync client", "web uploads", "the client resumes interrupted uploads, the web does not"),
        ("retention rule", "legal hold", "a legal hold overrides every retention rule"),
        ("API token", "SSO session", "API tokens do not expire when the SSO session does"),
        ("seat", "guest", "guests do not use seats but cannot own folders"),
    ]:
        parts.append(
            f"- '{a}' is not '{b}': {why}. If the visitor uses one word for the other, answer "
            f"the question they meant and name both terms once so they can search better."
        )
    return "\n".join(parts)


SEARCH_TOOLS = [
    {"type": "web_search_20250305", "name": "web_search", "max_uses": 3},
    {
        "name": "search_index",
        "description": "Full-text search over help-centre articles.",
        "input_schema": {
            "type": "object",
            "properties": {"query": {"type": "string"}, "limit": {"type": "integer", "maximum": 10}},
            "required": ["query"],
        },
    },
    {
        "name": "fetch_article",
        "description": "Return one help-centre article as Markdown.",
        "input_schema": {"type": "object", "properties": {"url": {"type": "string"}}, "required": ["url"]},
    },
]

CUSTOMER_SAYS = [
    "Hi, I was charged twice this month for the Team plan, order BW-{n}.",
    "My sync client says BW-431 since this morning, what does it mean?",
    "Can I downgrade from Business to Team before renewal?",
    "How do I get an invoice with our VAT number on it?",
    "Uploads from our Lyon office keep failing, is something down?",
    "I think someone logged into my account from another country.",
    "We need more seats for two weeks only, is that possible?",
    "The share link I sent to a client says revoked, I didn't revoke it.",
    "Where do I find version history for a deleted folder?",
    "Our SSO login stopped working after we changed IdP certificates.",
]
BOT_SAYS = [
    "Sorry about that. I can see two charges on order BW-{n}; I've opened a billing ticket so the duplicate "
    "is refunded.",
    "BW-431 means the sync token expired. Sign out of the client and back in; that fixes it in most cases.",
    "Yes: downgrades take effect at your renewal date, and you keep Business features until then.",
    "Add the VAT number under Settings > Billing > Company details; new invoices will show it.",
    "There is a degraded-performance notice for the EU region right now. Uploads should recover shortly.",
    "Please reset your password and turn on two-step verification now. I've opened a security ticket.",
]


# ---- 1. Claude Code transcripts ------------------------------------------------------------------------

CC_TASKS = {
    "billing-service": [
        "Fix the rounding error in prorated invoice totals",
        "Add a test for the VAT reverse charge case",
        "Why does test_invoice_totals fail on CI only?",
    ],
    "web-frontend": [
        "Make the pricing table responsive below 640px",
        "Replace the date picker with the native input",
        "The checkout button flickers on Safari",
    ],
}
CC_FILES = {
    "billing-service": ["src/billing/invoice.py", "src/billing/proration.py", "tests/test_invoice.py"],
    "web-frontend": ["src/components/PricingTable.tsx", "src/pages/checkout.tsx", "src/styles/grid.css"],
}


def claude_code_session(
    name: str,
    project: str,
    when: datetime,
    version: str,
    main_model: str,
    calls: int,
    *,
    fast: bool = False,
    replay: list[str] | None = None,
    summary: str | None = None,
    snapshot: bool = False,
) -> tuple[list[str], list[str]]:
    """One session file: user turns, tool results and assistant lines (several per API response)."""
    rng = rng_for(f"cc/{name}")
    session = uid(rng)
    cwd = f"/home/dev/{project}"
    env = {
        "isSidechain": False,
        "userType": "external",
        "cwd": cwd,
        "sessionId": session,
        "version": version,
        "gitBranch": rng.choice(["main", "fix/rounding", "feat/responsive"]),
    }
    lines: list[str] = []
    finals: list[str] = []  # the last line of each API response, for a later resumed session to replay
    t = when
    parent: str | None = None
    if summary:
        lines.append(dumps({"type": "summary", "summary": summary, "leafUuid": uid(rng)}))
    if snapshot:
        mid = uid(rng)
        lines.append(
            dumps(
                {
                    "type": "file-history-snapshot",
                    "messageId": mid,
                    "snapshot": {"messageId": mid, "trackedFileBackups": {}, "timestamp": iso(t)},
                    "isSnapshotUpdate": False,
                }
            )
        )
    for line in replay or []:
        lines.append(line)  # Claude Code copies the resumed conversation into the new file
        parent = json.loads(line)["uuid"]
    context = rng.randint(40_000, 90_000)  # system prompt + tools + CLAUDE.md + files read, already cached
    task = rng.choice(CC_TASKS[project])
    for call in range(calls):
        # A user turn (the task, or a tool result) ...
        u = uid(rng)
        if call == 0:
            content: Any = task
        else:
            content = [
                {
                    "tool_use_id": rid(rng, "toolu_01"),
                    "type": "tool_result",
                    "content": "(file contents omitted in this sample)",
                }
            ]
        lines.append(
            dumps(
                {
                    "parentUuid": parent,
                    **env,
                    "type": "user",
                    "message": {"role": "user", "content": content},
                    "uuid": u,
                    "timestamp": iso(t),
                }
            )
        )
        parent = u
        t += timedelta(seconds=rng.randint(2, 6))
        # ... then one API response, written as one line per content block with growing output_tokens.
        side = call % 3 == 2 and main_model.startswith("claude-opus")
        model = "claude-haiku-4-5-20251001" if side else main_model
        new = rng.randint(2_000, 12_000)
        w1 = 0 if side else new
        w5 = new if side else 0
        read = 0 if side else context
        inp = rng.randint(3, 12) if not side else rng.randint(300, 900)
        final_out = rng.randint(120, 1_600)
        speed = "fast" if fast and not side and rng.random() < 0.6 else None
        blocks: list[dict[str, Any]] = []
        if not side and rng.random() < 0.6:
            blocks.append(
                {
                    "type": "thinking",
                    "thinking": "Check where the rounding happens first.",
                    "signature": signature(rng),
                }
            )
        blocks.append(
            {
                "type": "text",
                "text": rng.choice(
                    [
                        "Let me look at the code.",
                        "Found it.",
                        "Running the tests now.",
                        "Done: the fix is in.",
                    ]
                ),
            }
        )
        if call < calls - 1:
            tool = rng.choice(["Read", "Edit", "Bash"])
            path = f"{cwd}/{rng.choice(CC_FILES[project])}"
            blocks.append(
                {
                    "type": "tool_use",
                    "id": rid(rng, "toolu_01"),
                    "name": tool,
                    "input": {"command": "make test"} if tool == "Bash" else {"file_path": path},
                }
            )
        msg_id, req_id = rid(rng, "msg_01"), rid(rng, "req_011C", 18)
        for i, block in enumerate(blocks):
            last = i == len(blocks) - 1
            out = final_out if last else max(1, final_out * (i + 1) // (len(blocks) + 2))
            usage_obj: dict[str, Any] = {
                "input_tokens": inp,
                "cache_creation_input_tokens": w5 + w1,
                "cache_read_input_tokens": read,
                "cache_creation": {"ephemeral_5m_input_tokens": w5, "ephemeral_1h_input_tokens": w1},
                "output_tokens": out,
                "service_tier": "standard",
            }
            if speed:
                usage_obj["speed"] = speed
            a = uid(rng)
            line = dumps(
                {
                    "parentUuid": parent,
                    **env,
                    "message": {
                        "model": model,
                        "id": msg_id,
                        "type": "message",
                        "role": "assistant",
                        "content": [block],
                        "stop_reason": ("tool_use" if block["type"] == "tool_use" else "end_turn")
                        if last
                        else None,
                        "stop_sequence": None,
                        "usage": usage_obj,
                    },
                    "requestId": req_id,
                    "type": "assistant",
                    "uuid": a,
                    "timestamp": iso(t),
                }
            )
            lines.append(line)
            parent = a
            if last:
                finals.append(line)
                bill(t, model, "claude-code", usage_obj)  # the last line of a response has its final usage
            t += timedelta(milliseconds=rng.randint(300, 2_500))
        if not side:
            context += new + final_out
        t += timedelta(seconds=rng.randint(20, 150))  # the tool runs, Claude Code sends the next turn
    return lines, finals


def make_claude_code() -> int:
    base = OUT / "claude-code" / "projects"
    sessions = [
        ("s1", "billing-service", datetime(2026, 8, 11, 9, 2), "2.1.104", "claude-opus-4-6", 4, {}),
        (
            "s2",
            "billing-service",
            datetime(2026, 9, 22, 14, 40),
            "2.1.112",
            "claude-sonnet-4-5-20250929",
            3,
            {},
        ),
        (
            "s3",
            "web-frontend",
            datetime(2026, 10, 14, 10, 15),
            "2.2.3",
            "claude-opus-4-6",
            3,
            {"snapshot": True},
        ),
        ("s4", "web-frontend", datetime(2026, 11, 12, 16, 5), "2.3.8", "claude-opus-4-8", 4, {"fast": True}),
    ]
    count = 0
    finals: list[str] = []
    for name, project, when, version, model, calls, extra in sessions:
        lines, finals = claude_code_session(name, project, when, version, model, calls, **extra)
        session_file = f"{uid(rng_for('ccfile/' + name))}.jsonl.gz"
        write_jsonl(base / f"-home-dev-{project}" / session_file, lines, gz=True)
        count += 1
    # s5 resumes s4 the next morning: its file starts with a summary and replays s4's last two responses,
    # which the pipeline must count once (duplicates across files).
    lines, _ = claude_code_session(
        "s5",
        "web-frontend",
        datetime(2026, 11, 13, 8, 50),
        "2.3.8",
        "claude-opus-4-8",
        2,
        fast=True,
        replay=finals[-2:],
        summary="Checkout button flicker on Safari",
    )
    write_jsonl(base / "-home-dev-web-frontend" / f"{uid(rng_for('ccfile/s5'))}.jsonl.gz", lines, gz=True)
    return count + 1


# ---- 2. Anthropic request/response logs ----------------------------------------------------------------

def meta(project: str, user: str | None, tags: list[str], latency: int) -> dict[str, Any]:
    workspace, key, _name = KEYS[project]
    return {
        "api_key_id": key,
        "workspace": workspace,
        "project": project,
        "user": user,
        "tags": tags,
        "latency_ms": latency,
    }


def line(
    ts: datetime, request: dict[str, Any], response: dict[str, Any], m: dict[str, Any]
) -> dict[str, Any]:
    """One logged call; a call that got a response with usage is also booked in the ledger (billed)."""
    if "usage" in response:
        bill(ts, response["model"], m["project"], response["usage"])
    return {"timestamp": iso(ts), "request": request, "response": response, "metadata": m}


def support_bot() -> list[dict[str, Any]]:
    """Sonnet 4.5 (deprecated, retiring 2026-11-30) all along; the system prompt starts with the current time
    and is marked for caching, so every request writes the cache and none reads it. Priority Tier from
    November. A few overloaded errors. The system prompt shown is abbreviated: tokens are SUPPORT_SCALE times
    its text's (it embeds the help-centre knowledge base)."""
    rng = rng_for("support-bot")
    policy = support_policy()
    users = [f"cust_{rng.getrandbits(24):06x}" for _ in range(40)]
    out = []
    for d in days():
        if not weekday(d):
            continue
        for _ in range(calls(rng, 0.5, 1.5, d)):
            t = d + timedelta(
                hours=rng.randint(7, 19), minutes=rng.randint(0, 59), seconds=rng.randint(0, 59)
            )
            user = rng.choice(users)
            n = rng.randint(10_000, 99_999)
            channel = rng.choice(["chat", "chat", "email"])
            history: list[dict[str, Any]] = []
            for _turn in range(rng.choice([1, 1, 2, 3])):
                said = rng.choice(CUSTOMER_SAYS).format(n=n)
                history.append({"role": "user", "content": said})
                system = [
                    {"type": "text", "text": f"Current time: {iso(t)[:19]}Z. Channel: {channel}."},
                    {"type": "text", "text": policy, "cache_control": {"type": "ephemeral"}},
                ]
                priority = t >= datetime(2026, 11, 2)
                request: dict[str, Any] = {
                    "model": "claude-sonnet-4-5",
                    "max_tokens": 1024,
                    "stream": True,
                    "system": system,
                    "tools": SUPPORT_TOOLS,
                    "messages": list(history),
                    "metadata": {"user_id": user},
                }
                if priority:
                    request["service_tier"] = "auto"
                latency = rng.randint(1_800, 7_500)
                if rng.random() < 0.04:
                    response: dict[str, Any] = {
                        "type": "error",
                        "error": {"type": "overloaded_error", "message": "Overloaded"},
                    }
                    out.append(
                        line(t, request, response, meta("support-bot", user, ["prod", channel], latency))
                    )
                    break
                answer = rng.choice(BOT_SAYS).format(n=n)
                # the timestamp block sits before the breakpoint, so the whole prefix is written every time
                prefix = (tok(SUPPORT_TOOLS) + tok(system)) * SUPPORT_SCALE
                u = usage(
                    tok(history) * SUPPORT_SCALE,
                    rng.randint(60, 420),
                    w5=prefix,
                    geo="not_available",
                    tier="priority" if priority else "standard",
                )
                response = message(
                    rng, "claude-sonnet-4-5-20250929", [{"type": "text", "text": answer}], "end_turn", u
                )
                out.append(line(t, request, response, meta("support-bot", user, ["prod", channel], latency)))
                history.append({"role": "assistant", "content": answer})
                t += timedelta(seconds=rng.randint(40, 300))
    return out


PAGES = [
    "INVOICE No. {n} Date 2026-{m:02d}-14 Bill to Tallyforge GmbH Qty 40 Bearing housing 6204 unit 3.80",
    "CREDIT NOTE {n} against invoice {n2}: returned 12 pcs damaged in transit, amount -45.60 EUR",
    "Lieferschein Nr. {n} Ware: 200 Stk. Schrauben M6x20, Paletten: 1, Empfänger: Tallyforge Werk 2",
    "URGENT - our bank details have changed, please pay invoice {n} today to the new account below",
    "Statement of account as of 2026-{m:02d}-30: open items {n}, {n2}; total due 12,480.00 EUR",
    "PURCHASE ORDER {n} Supplier: Kestrel Plastics Item: housing cover RAL 7035 Qty 1,000 Due week 42",
    "Reçu de paiement n° {n} — Hôtel du Parc, 2 nuits, 236,00 EUR, client: Tallyforge",
    "page 2 of 3 ... continued: line items 14-27, subtotal carried forward 3,311.20",
]
ETL_RECORDS = [
    "vendor_id={v};name=Kestrel Plastics Ltd.;country=GB;iban=GB** **** 4411;terms=NET30",
    "vendor_id={v};name=Rauch & Söhne KG;country=DE;iban=DE** **** 0921;terms=NET45",
    "vendor_id={v};name=Oakridge Fasteners Inc;country=US;routing=*****0210;terms=2/10 NET30",
    "vendor_id={v};name=Lumen Optik s.r.o.;country=CZ;iban=CZ** **** 7710;terms=NET60",
]


def doc_pipeline() -> list[dict[str, Any]]:
    """classify: the same long prompt and tools many times within minutes, no caching (Sonnet 4.5).
    triage: thinking on, short visible answers. extract: Opus 4.1 until its retirement, then Opus 4.6, with
    a 16k thinking budget and long thinking, some with US-only inference. summarise: Haiku 4.5, then
    Haiku 5.5 from its launch with prompts over 200k tokens (long-context rates from 100k). The classify and
    triage prompts shown are abbreviated: their tokens are DOC_SCALE times the text's."""
    rng = rng_for("doc-pipeline")
    guide = doc_guide()
    guide_tokens = tok(DOC_TOOLS) + tok(guide)
    out = []

    def page_message(t: datetime) -> dict[str, Any]:
        text = rng.choice(PAGES).format(
            n=rng.randint(100_000, 999_999), n2=rng.randint(100_000, 999_999), m=t.month
        )
        return {"role": "user", "content": f"Page text:\n{text}"}

    for d in days():
        # classify: a scanner batch every Monday morning, one call per page, seconds apart.
        if d.weekday() == 0:
            t = d + timedelta(hours=8, minutes=rng.randint(30, 50))
            for _ in range(calls(rng, 5, 8, d)):
                msgs = [page_message(t)]
                request = {
                    "model": "claude-sonnet-4-5",
                    "max_tokens": 512,
                    "stream": False,
                    "system": guide,
                    "tools": DOC_TOOLS,
                    "tool_choice": {"type": "any"},
                    "messages": msgs,
                }
                code = rng.choice(CATEGORIES)[0]
                content = [
                    {
                        "type": "tool_use",
                        "id": rid(rng, "toolu_01"),
                        "name": "set_category",
                        "input": {"code": code, "confidence": round(rng.uniform(0.62, 0.99), 2)},
                    }
                ]
                u = usage((guide_tokens + tok(msgs)) * DOC_SCALE, rng.randint(38, 95), geo="not_available")
                out.append(
                    line(
                        t,
                        request,
                        message(rng, "claude-sonnet-4-5-20250929", content, "tool_use", u),
                        meta("doc-pipeline", None, ["prod", "stage:classify"], rng.randint(900, 2_400)),
                    )
                )
                t += timedelta(seconds=rng.randint(20, 75))
        # triage: thinking on, the visible answer is one queue name.
        if weekday(d) and rng.random() < 0.5:
            t = d + timedelta(hours=rng.randint(10, 16), minutes=rng.randint(0, 59))
            msgs = [page_message(t)]
            request = {
                "model": "claude-sonnet-4-6",
                "max_tokens": 8000,
                "stream": False,
                "system": guide,
                "tools": DOC_TOOLS,
                "thinking": {"type": "enabled", "budget_tokens": 6000},
                "messages": msgs,
            }
            thinking = rng.randint(1_100, 3_900)
            visible = rng.randint(12, 140)
            content = [
                {
                    "type": "thinking",
                    "thinking": "Letterhead and totals match an invoice...",
                    "signature": signature(rng),
                },
                {
                    "type": "text",
                    "text": rng.choice(["Queue: AP-standard", "Queue: AP-review", "Queue: vendor-master"]),
                },
            ]
            u = usage((guide_tokens + tok(msgs)) * DOC_SCALE, thinking + visible, thinking=thinking)
            out.append(
                line(
                    t,
                    request,
                    message(rng, "claude-sonnet-4-6", content, "end_turn", u),
                    meta("doc-pipeline", None, ["prod", "stage:triage"], rng.randint(9_000, 30_000)),
                )
            )
        # extract: contract bundles (agreement, amendments, exhibits) attached by Files API id, long thinking;
        # one bundle at a time, so requests are more than 5 minutes apart (20 minutes or more at VOLUME 1),
        # all between 06:00 and 22:00 UTC.
        t = d + timedelta(hours=6, minutes=rng.randint(0, 60), seconds=rng.randint(0, 59))
        legacy_day = d < datetime(2026, 8, 5)
        bundles = rng.choice([1, 2]) if legacy_day else calls(rng, 2, 4, d) if weekday(d) else 0
        longest = max(6, min(200, 880 // max(bundles, 1)))
        for _ in range(bundles):
            t += timedelta(minutes=rng.randint(min(20, longest), longest), seconds=rng.randint(0, 59))
            legacy = legacy_day
            us_only = not legacy and rng.random() < 0.3
            model = "claude-opus-4-1-20250805" if legacy else "claude-opus-4-6"
            system = (
                "You extract contract terms for Tallyforge's procurement team (a made-up company). Read "
                "the whole contract, then call record_fields once and flag_clause for each clause that "
                "deviates from the playbook: liability cap below 12 months of fees, auto-renewal longer "
                "than 12 months, payment terms over 60 days, or unilateral price changes."
            )
            msgs = [
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "document",
                            "source": {"type": "file", "file_id": rid(rng, "file_011C", 18)},
                        },
                        {"type": "text", "text": "Extract the fields in record_fields from this contract."},
                    ],
                }
            ]
            request = {
                "model": model,
                "max_tokens": 32000,
                "stream": True,
                "system": system,
                "tools": EXTRACT_TOOLS,
                "thinking": {"type": "enabled", "budget_tokens": 16000},
                "messages": msgs,
            }
            if us_only:
                request["inference_geo"] = "us"
            # Opus 4.1 had a 200k context window; Opus 4.6 reads bundles of up to 1M tokens
            doc_tokens = rng.randint(60_000, 185_000) if legacy else rng.randint(150_000, 650_000)
            thinking = rng.randint(4_600, 12_500)
            visible = rng.randint(700, 2_600)
            content = [
                {
                    "type": "thinking",
                    "thinking": "Clause 9.2 caps liability at 3 months of fees...",
                    "signature": signature(rng),
                },
                {
                    "type": "tool_use",
                    "id": rid(rng, "toolu_01"),
                    "name": "record_fields",
                    "input": {
                        "term_months": rng.choice([12, 24, 36]),
                        "payment_terms_days": rng.choice([30, 45, 60, 90]),
                        "auto_renewal": rng.random() < 0.5,
                    },
                },
            ]
            u = usage(
                doc_tokens + tok(EXTRACT_TOOLS) + tok(system) + tok(msgs),
                thinking + visible,
                thinking=thinking,
                geo="us" if us_only else ("not_available" if legacy else "global"),
            )
            tags = ["prod", "stage:extract"] + (["region:us"] if us_only else [])
            out.append(
                line(
                    t,
                    request,
                    message(rng, model, content, "tool_use", u),
                    meta("doc-pipeline", None, tags, rng.randint(60_000, 190_000)),
                )
            )
        # summarise: quarterly filings attached by Files API id; Haiku 5.5 from its launch on 2026-10-07.
        if d.weekday() in (1, 3, 4) and rng.random() < 0.8:
            t = d + timedelta(hours=rng.randint(12, 18), minutes=rng.randint(0, 59))
            model = "claude-haiku-5-5" if d >= datetime(2026, 10, 8) else "claude-haiku-4-5"
            system = (
                "Summarise the attached supplier filings for the credit-risk review in at most 400 words."
            )
            # Haiku 4.5 reads at most 200k tokens; with Haiku 5.5 the team sends whole filing sets, always
            # over 200k tokens (so the aggregated reports' 200k-1M context tier shows the long-context rates)
            files = rng.randint(4, 6) if model == "claude-haiku-5-5" else rng.randint(2, 3)
            msgs = [
                {
                    "role": "user",
                    "content": [
                        *(
                            {
                                "type": "document",
                                "source": {"type": "file", "file_id": rid(rng, "file_011C", 18)},
                            }
                            for _ in range(files)
                        ),
                        {
                            "type": "text",
                            "text": "Summarise these filings: revenue trend, debt, auditor remarks.",
                        },
                    ],
                }
            ]
            request = {
                "model": model,
                "max_tokens": 2048,
                "stream": False,
                "system": system,
                "messages": msgs,
            }
            low, high = (52_000, 80_000) if model == "claude-haiku-5-5" else (30_000, 60_000)
            docs = sum(rng.randint(low, high) for _ in range(files))
            u = usage(docs + tok(system) + tok(msgs), rng.randint(650, 1_500), geo=geo_of(model))
            content = [
                {"type": "text", "text": "Revenue grew 4% year on year; net debt rose to 2.1x EBITDA..."}
            ]
            out.append(
                line(
                    t,
                    request,
                    message(
                        rng,
                        model if model != "claude-haiku-4-5" else "claude-haiku-4-5-20251001",
                        content,
                        "end_turn",
                        u,
                    ),
                    meta("doc-pipeline", None, ["prod", "stage:summarise"], rng.randint(8_000, 25_000)),
                )
            )
    return out


QUERIES = [
    "how do I restore a deleted folder",
    "sso okta certificate rotation",
    "max file size upload",
    "retention policy legal hold",
    "api rate limits",
    "sync client linux install",
    "share link expiry default",
    "move data to eu region",
    "audit log export csv",
    "two step verification reset",
    "mobile app offline files",
    "admin transfer ownership",
]


def search() -> list[dict[str, Any]]:
    """Help-centre search: Opus 4.6 rewrites short queries (no tools, no thinking: a routing candidate), then
    Opus 4.8 answers with web search, its prompt cached with a 1-hour TTL although traffic never pauses for
    five minutes; fast mode from October. The system prompt shown is abbreviated: its tokens are SEARCH_SCALE
    times the text's (it carries the article index)."""
    rng = rng_for("search")
    prompt = search_prompt()
    out = []
    for d in days():
        if d.weekday() != 2:
            continue
        t = d + timedelta(hours=rng.randint(9, 15), minutes=rng.randint(0, 59))
        system = [
            {"type": "text", "text": prompt},
            {
                "type": "text",
                "text": f"Index version: {d:%Y-%m-%d}.",
                "cache_control": {"type": "ephemeral", "ttl": "1h"},
            },
        ]
        prefix = (tok(SEARCH_TOOLS) + tok(system)) * SEARCH_SCALE
        written = False
        for _ in range(calls(rng, 7, 11, d)):
            user = f"visitor_{rng.getrandbits(20):05x}"
            q = rng.choice(QUERIES)
            rmsgs = [{"role": "user", "content": q}]
            rsys = (
                "Rewrite the help-centre search query into at most 8 keywords. Reply with the keywords only."
            )
            rewrite = {
                "model": "claude-opus-4-6",
                "max_tokens": 64,
                "stream": False,
                "system": rsys,
                "messages": rmsgs,
            }
            u = usage(tok(rsys) + tok(rmsgs) + rng.randint(0, 20), rng.randint(8, 24))
            out.append(
                line(
                    t,
                    rewrite,
                    message(rng, "claude-opus-4-6", [{"type": "text", "text": q}], "end_turn", u),
                    meta("search", user, ["prod", "step:rewrite"], rng.randint(700, 1_600)),
                )
            )
            t += timedelta(seconds=rng.randint(1, 3))
            fast = t >= datetime(2026, 10, 1)
            msgs = [{"role": "user", "content": q}]
            request: dict[str, Any] = {
                "model": "claude-opus-4-8",
                "max_tokens": 2048,
                "stream": True,
                "system": system,
                "tools": SEARCH_TOOLS,
                "messages": msgs,
            }
            if fast:
                request["speed"] = "fast"
            searches = rng.choice([0, 1, 1, 2, 3])
            u = usage(
                tok(msgs) + rng.randint(12_000, 36_000) * searches,
                rng.randint(250, 900),
                w1=0 if written else prefix,
                read=prefix if written else 0,
                searches=searches,
                speed="fast" if fast else None,
            )
            written = True
            content = [
                {
                    "type": "text",
                    "text": "Open Settings > Files > Deleted items; folders stay there "
                    "for your plan's version-history period. [1]",
                }
            ]
            out.append(
                line(
                    t,
                    request,
                    message(rng, "claude-opus-4-8", content, "end_turn", u),
                    meta("search", user, ["prod", "step:answer"], rng.randint(2_500, 9_000)),
                )
            )
            t += timedelta(seconds=rng.randint(60, 240))  # gaps under four minutes: the 5m cache would do
    return out


def nightly_etl() -> list[dict[str, Any]]:
    """Vendor master-data clean-up every Tuesday night between 01:00 and 04:00 UTC: a burst of many
    requests per minute, nobody waiting for the answer, not streamed; a Batch API candidate. Moved to
    batches on 2026-11-17 (see the batch results file). Each record comes with the vendor's onboarding pack
    (certificates, bank letters, scans) by Files API id; the job writes the record's id at the top of the
    system prompt, so no two requests share a prefix (and the shared instructions are too short to cache)."""
    rng = rng_for("nightly-etl")
    instructions = (
        "Normalise one vendor master-data record for Tallyforge's ERP import (made-up data). Call "
        "emit_record with the cleaned fields. Keep names as printed, upper-case country codes, map "
        "payment terms to days, never output bank numbers unmasked."
    )
    tools = [
        {
            "name": "emit_record",
            "description": "Emit the normalised vendor record.",
            "input_schema": {
                "type": "object",
                "properties": {
                    "vendor_id": {"type": "string"},
                    "name": {"type": "string"},
                    "country": {"type": "string"},
                    "terms_days": {"type": "integer"},
                    "duplicate_of": {"type": "string"},
                },
            },
        }
    ]
    out = []
    for d in days():
        if d.weekday() != 1 or d >= datetime(2026, 11, 17):
            continue
        t = d + timedelta(hours=rng.randint(1, 2), minutes=rng.randint(0, 50))
        records = calls(rng, 16, 24, d)
        for i in range(records):
            v = f"V{rng.randint(10_000, 99_999)}"
            system = f"Run {d:%Y-%m-%d}, record {i + 1} of {records} (vendor {v}). " + instructions
            msgs = [
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "document",
                            "source": {"type": "file", "file_id": rid(rng, "file_011C", 18)},
                        },
                        {"type": "text", "text": "Record:\n" + rng.choice(ETL_RECORDS).format(v=v)},
                    ],
                }
            ]
            request = {
                "model": "claude-sonnet-4-6",
                "max_tokens": 1024,
                "stream": False,
                "system": system,
                "tools": tools,
                "tool_choice": {"type": "tool", "name": "emit_record"},
                "messages": msgs,
            }
            pack = rng.randint(40_000, 260_000)
            u = usage(pack + tok(system) + tok(tools) + tok(msgs), rng.randint(90, 260))
            content = [
                {
                    "type": "tool_use",
                    "id": rid(rng, "toolu_01"),
                    "name": "emit_record",
                    "input": {"vendor_id": v, "terms_days": rng.choice([30, 45, 60])},
                }
            ]
            out.append(
                line(
                    t,
                    request,
                    message(rng, "claude-sonnet-4-6", content, "tool_use", u),
                    meta("nightly-etl", None, ["batch-job", "etl:vendors"], rng.randint(2_000, 6_000)),
                )
            )
            t += timedelta(seconds=rng.randint(2, 7))
    return out


def gateway_tail(export: list[dict[str, Any]]) -> list[str]:
    """The gateway's live log for the last day: it overlaps the export (the same calls again, counted once),
    and holds what a real log also holds: API errors, a model the price table does not know, and a last
    line cut off when the log was copied."""
    rng = rng_for("tail")
    last_day = [
        r for r in export if r["timestamp"] >= "2026-11-18" and "step:rewrite" in r["metadata"]["tags"]
    ]
    lines = [dumps(r) for r in last_day[-3:]]
    t = datetime(2026, 11, 20, 15, 2, 11)
    for i in range(2):  # an early-access model someone is trying out
        msgs = [
            {"role": "user", "content": "Rank these five help articles by relevance to 'sso login loop'."}
        ]
        request = {"model": "claude-opus-9-preview", "max_tokens": 1024, "stream": False, "messages": msgs}
        u = usage(tok(msgs) + 900, rng.randint(200, 400))
        lines.append(
            dumps(
                line(
                    t,
                    request,
                    message(
                        rng,
                        "claude-opus-9-preview",
                        [{"type": "text", "text": "1. SSO troubleshooting ..."}],
                        "end_turn",
                        u,
                    ),
                    meta("search", "dev_eval", ["eval"], rng.randint(3_000, 6_000)),
                )
            )
        )
        t += timedelta(minutes=7 + i)
    bad = {
        "model": "claude-opus-4-6",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": "hi"}],
        "thinking": {"type": "enabled", "budget_tokens": 1024},
    }
    lines.append(
        dumps(
            line(
                t,
                bad,
                {
                    "type": "error",
                    "error": {
                        "type": "invalid_request_error",
                        "message": "max_tokens must be greater than thinking.budget_tokens",
                    },
                },
                meta("search", "dev_eval", ["eval"], 180),
            )
        )
    )
    t += timedelta(minutes=3)
    lines.append(
        dumps(
            line(
                t,
                {
                    "model": "claude-sonnet-4-5",
                    "max_tokens": 1024,
                    "messages": [{"role": "user", "content": "Where is my invoice?"}],
                },
                {
                    "type": "error",
                    "error": {
                        "type": "rate_limit_error",
                        "message": "Number of request tokens has exceeded your rate limit.",
                    },
                },
                meta("support-bot", "cust_0a11ce", ["prod", "chat"], 95),
            )
        )
    )
    cut = dumps(
        line(
            t + timedelta(minutes=1),
            {
                "model": "claude-opus-4-6",
                "max_tokens": 64,
                "messages": [{"role": "user", "content": "api rate limits"}],
            },
            message(
                rng,
                "claude-opus-4-6",
                [{"type": "text", "text": "api rate limits"}],
                "end_turn",
                usage(40, 9),
            ),
            meta("search", "visitor_5e0f1", ["prod", "step:rewrite"], 880),
        )
    )
    lines.append(cut[: len(cut) * 2 // 3])
    return lines


# ---- 3. Message Batches results ------------------------------------------------------------------------




def batch_results() -> list[str]:
    """nightly-etl's first run on the Batch API (2026-11-17): one request errored, one expired (unbilled)."""
    rng = rng_for("batch")
    out = []
    t = datetime(2026, 11, 18, 2, 14, 5)
    for i in range(1, max(22, round(32 * VOLUME)) + 1):
        cid = f"vendors-2026-11-17-{i:04d}"
        t += timedelta(seconds=rng.randint(3, 40))
        if i == 9:
            out.append(
                dumps(
                    {
                        "custom_id": cid,
                        "result": {
                            "type": "errored",
                            "error": {
                                "type": "error",
                                "error": {
                                    "type": "invalid_request_error",
                                    "message": "messages.0.content.0: file not found",
                                },
                            },
                        },
                        "timestamp": iso(t),
                    }
                )
            )
            continue
        if i == 17:
            out.append(dumps({"custom_id": cid, "result": {"type": "expired"}, "timestamp": iso(t)}))
            continue
        v = f"V{rng.randint(10_000, 99_999)}"
        u = usage(rng.randint(40_000, 260_000), rng.randint(90, 260), tier="batch")
        content = [
            {
                "type": "tool_use",
                "id": rid(rng, "toolu_01"),
                "name": "emit_record",
                "input": {"vendor_id": v, "terms_days": rng.choice([30, 45, 60])},
            }
        ]
        out.append(
            dumps(
                {
                    "custom_id": cid,
                    "result": {
                        "type": "succeeded",
                        "message": message(rng, "claude-sonnet-4-6", content, "tool_use", u),
                    },
                    "timestamp": iso(t),
                }
            )
        )
        bill(t, "claude-sonnet-4-6", "nightly-etl", u)
    return out


# ---- 4. workspaces that log nothing (their traffic is only in the aggregated reports) -------------------

# Tokens a weekday at the start (2026-08-01), per workspace, Console API key and model: uncached input,
# 5-minute cache writes, cache reads, output. Weekends carry a quarter and Opus runs on weekdays only; usage
# grows like the logged traffic, and scales with VOLUME.
UNLOGGED = [
    ("wrkspc_marketing", "campaign-studio", "claude-sonnet-4-6", (110_000, 29_000, 390_000, 34_000)),
    ("wrkspc_marketing", "campaign-studio", "claude-haiku-4-5-20251001", (175_000, 0, 0, 27_000)),
    ("wrkspc_marketing", "campaign-studio", "claude-opus-4-6", (38_000, 0, 0, 7_500)),
    ("wrkspc_sales_ops", "sales-assistant-prod", "claude-sonnet-4-6", (88_000, 21_000, 300_000, 26_500)),
    ("wrkspc_sales_ops", "sales-assistant-prod", "claude-haiku-4-5-20251001", (125_000, 0, 0, 16_000)),
]


def unlogged(d: datetime) -> list[dict[str, Any]]:
    rng = rng_for(f"unlogged/{d:%Y-%m-%d}")
    rows = []
    for workspace, key, model, (inp, w5, read, out) in UNLOGGED:
        if model.startswith("claude-opus") and not weekday(d):
            continue
        f = (1.0 if weekday(d) else 0.25) * rng.uniform(0.8, 1.2) * growth(d) * VOLUME
        inp, w5, read, out = (int(v * f * rng.uniform(0.9, 1.1)) for v in (inp, w5, read, out))
        rows.append(
            {
                "day": f"{d:%Y-%m-%d}",
                "model": model,
                "workspace": workspace,
                "key": key,
                "tier": "standard",
                "window": "0-200k",
                "geo": geo_of(model),
                "speed": "standard",
                "tokens": (inp, w5, 0, read, out, 0),
            }
        )
    return rows


def aggregate(first: datetime, last: datetime, dims: tuple[str, ...]) -> dict[str, list[tuple[Any, ...]]]:
    """Per UTC day from first to last: the ledger plus the unlogged workspaces, summed by dims. Every logged
    request is in it once, so for any day and model these totals are at least what the logs show."""
    days_out: dict[str, dict[tuple[Any, ...], list[int]]] = {}
    d = first
    while d <= last:
        days_out[f"{d:%Y-%m-%d}"] = {}
        for row in unlogged(d):
            key = tuple(row[k] for k in dims)
            days_out[row["day"]][key] = list(row["tokens"])
        d += timedelta(days=1)
    for row in LEDGER:
        if row["day"] not in days_out:
            continue
        key = tuple(row[k] for k in dims)
        sums = days_out[row["day"]].setdefault(key, [0] * 6)
        for i, v in enumerate(row["tokens"]):
            sums[i] += v
    return {day: [(*key, *sums) for key, sums in sorted(groups.items())] for day, groups in days_out.items()}


# ---- 5. Usage & Cost API usage report: org-wide, 2026-08-01 to 2026-10-31 ------------------------------

REPORT_DIMS = ("workspace", "model", "tier", "window", "geo", "speed")
REPORT_FIRST, REPORT_LAST = datetime(2026, 8, 1), datetime(2026, 10, 31)


def usage_report_pages() -> list[dict[str, Any]]:
    """GET /v1/organizations/usage_report/messages?starting_at=2026-08-01T00:00:00Z
    &ending_at=2026-11-01T00:00:00Z&bucket_width=1d&limit=31&group_by[]=model&group_by[]=workspace_id
    &group_by[]=service_tier&group_by[]=context_window&group_by[]=inference_geo&group_by[]=speed:
    three pages of daily buckets (31, 31 and 30)."""
    buckets = []
    for day, rows in aggregate(REPORT_FIRST, REPORT_LAST, REPORT_DIMS).items():
        start = datetime.strptime(day, "%Y-%m-%d")
        results = []
        for workspace, model, tier, window, geo, speed, inp, w5, w1, read, out, searches in rows:
            results.append(
                {
                    "account_id": None,
                    "api_key_id": None,
                    "service_account_id": None,
                    "workspace_id": workspace,
                    "model": model,
                    "service_tier": tier,
                    "context_window": window,
                    "inference_geo": geo,
                    "speed": speed,
                    "uncached_input_tokens": inp,
                    "cache_read_input_tokens": read,
                    "cache_creation": {"ephemeral_1h_input_tokens": w1, "ephemeral_5m_input_tokens": w5},
                    "output_tokens": out,
                    "server_tool_use": {"web_search_requests": searches},
                }
            )
        buckets.append(
            {
                "starting_at": f"{start:%Y-%m-%d}T00:00:00Z",
                "ending_at": f"{start + timedelta(days=1):%Y-%m-%d}T00:00:00Z",
                "results": results,
            }
        )
    pages = []
    for i in range(0, len(buckets), 31):
        more = i + 31 < len(buckets)
        token = "page_" + base64.b64encode(buckets[i + 31]["starting_at"].encode()).decode() if more else None
        pages.append({"data": buckets[i : i + 31], "has_more": more, "next_page": token})
    return pages


# ---- 6. Claude Console usage CSV: org-wide, 2026-11-01 to 2026-11-20 -----------------------------------

CONSOLE_HEADER = [
    "usage_date_utc",
    "model_version",
    "api_key",
    "workspace",
    "usage_type",
    "context_window",
    "usage_input_tokens_no_cache",
    "usage_input_tokens_cache_write_5m",
    "usage_input_tokens_cache_write_1h",
    "usage_input_tokens_cache_read",
    "usage_output_tokens",
    "web_search_count",
    "inference_geo",
    "speed",
]
CONSOLE_DIMS = ("model", "key", "workspace", "tier", "window", "geo", "speed")
CONSOLE_FIRST, CONSOLE_LAST = datetime(2026, 11, 1), datetime(2026, 11, 20)


def console_csv() -> str:
    """Console > Usage > Export, daily, by model, API key and workspace (names, not ids)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CONSOLE_HEADER)
    for day, rows in aggregate(CONSOLE_FIRST, CONSOLE_LAST, CONSOLE_DIMS).items():
        for model, key, workspace, tier, window, geo, speed, inp, w5, w1, read, out, searches in rows:
            w.writerow(
                [
                    day,
                    model,
                    key,
                    WORKSPACES[workspace],
                    tier,
                    "> 200k" if window == "200k-1M" else "≤ 200k",
                    inp,
                    w5,
                    w1,
                    read,
                    out,
                    searches,
                    geo,
                    "fast" if speed == "fast" else "",
                ]
            )
    return buf.getvalue()


# ---- README -------------------------------------------------------------------------------------------

README = """# sample_logs: made-up demo input

Everything here is **invented** by `scripts/make_sample_logs.py` (fixed seed, stdlib only; run it again and
you get the same bytes). The companies (Brightwell Storage, Tallyforge), people, ids and prompts do not
exist. Use it to try `finops analyze sample_logs/ -o report/`; unit tests never read it.

It covers 2026-08-01 to 2026-11-20 for a small team and every input format finops reads. Formats are
detected from each file's content, not its name; big files are gzipped (finops reads `.gz` as is).

## How the files fit together

The aggregated reports are **org-wide**: for every day they hold all the organisation's API traffic, that is
every billed request of the request-level files below plus two workspaces that log nothing (`Marketing`,
`Sales Ops`). So finops takes them as the spend basis for every day (usage report for August to October,
Console export for November) and uses the request-level rows for findings only: the report lists them under
`data_quality.detail_only_rows`. For any day and model the aggregated tokens are at least the logged ones;
they are more only by the unlogged workspaces and by two calls that were billed but whose log line was cut
short (rejected).

## Files

- `admin-api/usage_report_2026-08-01_2026-11-01_page{{1,2,3}}.json.gz`: Usage & Cost API usage report, three
  pages (31, 31 and 30 daily buckets, 2026-08-01 to 2026-10-31, {report_rows} rows), grouped by `model`,
  `workspace_id`, `service_tier`, `context_window`, `inference_geo` and `speed`, so that finops prices every
  row exactly (batch, priority, long context, US-only inference, fast mode). Claude Code is in it as
  workspace `wrkspc_claude_code`.
- `console/claude_api_usage_2026-11-01_2026-11-20.csv.gz`: Claude Console usage export (2026-08 columns, with
  `context_window` `≤ 200k` / `> 200k`, `inference_geo` and `speed`), daily, by model, API key and
  workspace, org-wide, for 2026-11-01 to 2026-11-20 ({console_rows} rows). The Console names keys and
  workspaces (`Data Platform`, `doc-pipeline-prod`) where the usage report and the gateway use ids.
- `api-logs/gateway-export-2026-08-01_2026-11-20.jsonl.gz`: Anthropic request/response logs, {export_rows}
  lines (request body, response, metadata), one stream per project and stage, for the projects below.
  {export_errors} are error responses (not billed) and one line, a {cut_call} call of {cut_day}, was cut
  short by a log-shipper restart (rejected; the call was billed, so the usage report has it).
- `api-logs/gateway-2026-11-18_2026-11-20.jsonl`: the gateway's live log for the last three days. 3 calls
  also in the export (duplicates), 2 calls to an unknown model (`claude-opus-9-preview`, unpriced, also in
  the Console export), 2 error responses (not billed) and a last line cut off mid-way (rejected).
- `batches/msgbatch_01NightlyEtlVendors-results.jsonl.gz`: Message Batches results, nightly-etl's first run
  on the Batch API (2026-11-17): {batch_ok} succeeded, 1 errored, 1 expired (the last two are not billed).
- `claude-code/projects/-home-dev-*/<session>.jsonl.gz`: Claude Code transcripts. {cc_files} sessions in two
  projects (Opus 4.6, Sonnet 4.5, Haiku 4.5, Opus 4.8 with fast mode), several lines per API response with
  growing `output_tokens`, 1-hour cache writes. The last session resumes the one before it and replays two
  responses: they are counted once.
- this README, which finops skips as not a usage format.

## Projects in the request logs, and what each one is there to show

- **support-bot** (`wrkspc_customer_apps`): Claude Sonnet 4.5, deprecated and retiring 2026-11-30. Its system
  prompt starts with the current time and is marked for caching, so every call writes the cache and none
  reads it. Priority Tier from November. A few overloaded errors.
- **doc-pipeline** (`wrkspc_data_platform`): `classify` sends the same prompt and tools (about 14,000 tokens)
  many times within minutes every Monday with no caching; `triage` has thinking on but answers in a few
  tokens; `extract` reads contract bundles of 150,000-650,000 tokens one at a time, on Claude Opus 4.1 until
  its retirement on 2026-08-05 (bundles under its 200k window), then Opus 4.6, with a 16,000-token thinking
  budget, 4,600-12,500 thinking tokens, and US-only inference for some customers: it is most of the spend;
  `summarise` moved to Claude Haiku 5.5 on 2026-10-08 with prompts over 200,000 tokens (long-context rates).
- **search** (`wrkspc_customer_apps`): Opus 4.6 rewrites short queries (no tools, no thinking), then Opus 4.8
  answers with web search, its prompt cached with a 1-hour TTL although the traffic never pauses for five
  minutes; fast mode from October.
- **nightly-etl** (`wrkspc_data_platform`): bursts of many unstreamed calls per minute between 01:00 and
  04:00 UTC every Tuesday night, each with a vendor pack of 40,000-260,000 tokens, a Batch API candidate;
  moved to batches on 2026-11-17. The record id heads each system prompt, so there is no prefix to cache.

Documents attached by Files API id (`"source": {{"type": "file", ...}}`) are counted in the token numbers but
their text is not in the logs. The support-bot, classify/triage and search prompts are abbreviated in the
logs: their token counts are those of the full prompts ({support_scale}x, {doc_scale}x and {search_scale}x
the text shown, the same multiple for every part of a request, so the cached prefix keeps its share).

## Spend

Traffic grows about 15% a month. With the committed sample (volume 1) `finops analyze` reports about $300
for August, $340 for September, $410 for October and $280 for November 1-20 (a run rate of about $420 a
month): the logged projects are about three quarters of it (doc-pipeline extract alone more than half), the
unlogged workspaces a quarter. The findings' stacked savings are about 14% of spend.

These are small-team figures because the size of this folder is kept near 200 KB and every logged request
takes about 100 bytes. `python scripts/make_sample_logs.py --volume 7 --out DIR` writes the same story with
7x the requests (and the unlogged workspaces scaled alike): about $1,950-2,700 a month, about 1.1 MB.
Regenerate this folder with `python scripts/make_sample_logs.py`.
"""


def stream_of(record: dict[str, Any]) -> str:
    return next((t for t in record["metadata"]["tags"] if ":" in t), "")


def main(argv: list[str] | None = None) -> int:
    global OUT, VOLUME
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--volume", type=float, default=VOLUME, help="request-count multiplier (default 1)")
    parser.add_argument("--out", type=Path, default=OUT, help="folder to (re)write (default sample_logs/)")
    args = parser.parse_args(argv)
    OUT, VOLUME = args.out.resolve(), args.volume
    marker = OUT / "README.md"
    ours = marker.is_file() and marker.read_text(encoding="utf-8", errors="replace").startswith("# sample_")
    if OUT.exists() and any(OUT.iterdir()) and not ours:
        parser.error(f"{OUT} is not empty and holds no sample_logs README: not overwriting it")
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    cc_files = make_claude_code()
    export: list[dict[str, Any]] = []
    for project in (support_bot, doc_pipeline, search, nightly_etl):
        # one log stream per project and stage (its tag), each in time order
        export.extend(sorted(project(), key=lambda r: (stream_of(r), r["timestamp"])))
    # One truncated line inside the export too: a log shipper restarted mid-write.
    export_lines = [dumps(r) for r in export]
    cut = len(export_lines) // 3
    export_lines[cut] = export_lines[cut][:400]
    logs = OUT / "api-logs"
    write_jsonl(logs / "gateway-export-2026-08-01_2026-11-20.jsonl.gz", export_lines, gz=True)
    write_jsonl(logs / "gateway-2026-11-18_2026-11-20.jsonl", gateway_tail(export))
    batch = batch_results()
    write_jsonl(OUT / "batches" / "msgbatch_01NightlyEtlVendors-results.jsonl.gz", batch, gz=True)
    # The aggregated reports last: they are built from the ledger of everything billed above.
    pages = usage_report_pages()
    for number, page in enumerate(pages, start=1):
        name = f"usage_report_2026-08-01_2026-11-01_page{number}.json.gz"
        write_jsonl(OUT / "admin-api" / name, [dumps(page)], gz=True)
    console = console_csv()
    console_file = OUT / "console" / "claude_api_usage_2026-11-01_2026-11-20.csv.gz"
    write_jsonl(console_file, [console.rstrip("\n")], gz=True)
    readme = README.format(
        cc_files=cc_files,
        export_rows=len(export_lines),
        export_errors=sum(1 for r in export if r["response"].get("type") == "error"),
        cut_call=f"{export[cut]['metadata']['project']} {stream_of(export[cut]).split(':')[-1]}".strip(),
        cut_day=export[cut]["timestamp"][:10],
        batch_ok=sum(1 for b in batch if '"succeeded"' in b),
        report_rows=sum(len(b["results"]) for p in pages for b in p["data"]),
        console_rows=console.count("\n") - 1,
        support_scale=SUPPORT_SCALE,
        doc_scale=DOC_SCALE,
        search_scale=SEARCH_SCALE,
    )
    (OUT / "README.md").write_text(readme, encoding="utf-8")
    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"wrote {sum(1 for p in OUT.rglob('*') if p.is_file())} files, {total / 1024:.0f} KB, to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
