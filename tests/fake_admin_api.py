"""A small Admin API on 127.0.0.1 for the `finops pull` tests: the documented response shapes, paged, with faults.

Data (made up, one UTC day at a time, every day the same so that totals are easy to work out by hand):
- usage report: two results a day, RESULTS below;
- cost report: two amounts a day, COSTS below (cents, as the API gives them);
- analytics usage: the same tokens as the usage report, in the analytics shape;
- Claude Code report: two actors a day;
- workspaces (two) and API keys (one).
Every endpoint serves PAGE_SIZE items (buckets, days' actors, list entries) a page, whatever `limit` asks, so that
every query of more than one item is paged.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

PAGE_SIZE = 1
RESULTS = [  # per day
    {"workspace_id": "wrkspc_A", "api_key_id": "apikey_A", "model": "claude-sonnet-4-6",
     "uncached_input_tokens": 1000, "cache_read_input_tokens": 500,
     "cache_creation": {"ephemeral_5m_input_tokens": 200, "ephemeral_1h_input_tokens": 0}, "output_tokens": 100},
    {"workspace_id": "wrkspc_B", "api_key_id": "apikey_A", "model": "claude-haiku-4-5",
     "uncached_input_tokens": 2000, "cache_read_input_tokens": 0,
     "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 400}, "output_tokens": 300},
]
COSTS = [  # per day, cents
    {"workspace_id": "wrkspc_A", "description": "Claude Sonnet 4.6 Usage - Input Tokens", "model": "claude-sonnet-4-6",
     "token_type": "uncached_input_tokens", "amount": "1234.5"},
    {"workspace_id": "wrkspc_B", "description": "Claude Haiku 4.5 Usage - Output Tokens", "model": "claude-haiku-4-5",
     "token_type": "output_tokens", "amount": "55.5"},
]
WORKSPACES = [{"type": "workspace", "id": "wrkspc_A", "name": "Production", "created_at": "2025-01-01T00:00:00Z",
               "archived_at": None, "display_color": "#6C5BB9"},
              {"type": "workspace", "id": "wrkspc_B", "name": 'Research "R&D"', "created_at": "2025-02-01T00:00:00Z",
               "archived_at": None, "display_color": "#6C5BB9"}]
API_KEYS = [{"type": "api_key", "id": "apikey_A", "name": "ci-bot", "workspace_id": "wrkspc_A",
             "created_at": "2025-01-01T00:00:00Z", "partial_key_hint": "sk-ant-api03-R2D...igAA",
             "status": "active", "created_by": {"id": "user_01", "type": "user"}}]
ACTORS = [{"type": "user_actor", "email_address": "dev1@example.com"}, {"type": "api_actor", "api_key_name": "ci-bot"}]
PATHS = {
    "messages": "/v1/organizations/usage_report/messages",
    "cost": "/v1/organizations/cost_report",
    "analytics_usage": "/v1/organizations/analytics/usage",
    "analytics_cost": "/v1/organizations/analytics/cost",
    "claude_code": "/v1/organizations/usage_report/claude_code",
    "workspaces": "/v1/organizations/workspaces",
    "api_keys": "/v1/organizations/api_keys",
}


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


def _days(start: datetime, end: datetime) -> list[datetime]:
    out = []
    while start < end:
        out.append(start)
        start += timedelta(days=1)
    return out


def _bucket(day: datetime, results: list[dict[str, Any]]) -> dict[str, Any]:
    return {"starting_at": _stamp(day), "ending_at": _stamp(day + timedelta(days=1)), "results": results}


def items(kind: str, query: dict[str, list[str]]) -> list[Any]:
    """Every item a query asks for, before paging."""
    if kind in ("messages", "cost", "analytics_usage", "analytics_cost"):
        days = _days(_time(query["starting_at"][0]), _time(query["ending_at"][0]))
        if kind == "messages":
            return [_bucket(d, [{**r, "server_tool_use": {"web_search_requests": 0}, "service_tier": "standard",
                                 "context_window": "0-200k", "inference_geo": "global", "speed": "standard",
                                 "account_id": None, "service_account_id": None} for r in RESULTS]) for d in days]
        if kind == "cost":
            return [_bucket(d, [{**c, "currency": "USD", "cost_type": "tokens", "service_tier": "standard",
                                 "context_window": "0-200k", "inference_geo": "global"} for c in COSTS]) for d in days]
        return [{"starting_at": _stamp(d), "ending_at": _stamp(d + timedelta(days=1)),
                 "group": {"api_key_id": r["api_key_id"], "workspace_id": r["workspace_id"], "model": r["model"],
                           "actor": None, "product": None, "service_tier": "standard", "context_window": "0-200k",
                           "inference_geo": "global", "speed": "standard"},
                 "usage": {k: r[k] for k in ("uncached_input_tokens", "cache_read_input_tokens", "cache_creation",
                                             "output_tokens")} | {"server_tool_use": {"web_search_requests": 0},
                                                                  "requests": 10}}
                for d in days for r in RESULTS]
    if kind == "claude_code":
        day = query["starting_at"][0]
        return [{"actor": a, "customer_type": "api", "date": f"{day}T00:00:00Z", "organization_id": "org-1",
                 "subscription_type": None, "terminal_type": "vscode",
                 "core_metrics": {"num_sessions": 2, "lines_of_code": {"added": 10, "removed": 3},
                                  "commits_by_claude_code": 1, "pull_requests_by_claude_code": 0},
                 "tool_actions": {t: {"accepted": 1, "rejected": 0} for t in
                                  ("edit_tool", "multi_edit_tool", "notebook_edit_tool", "write_tool")},
                 "model_breakdown": [{"model": "claude-sonnet-4-6", "tokens": {"input": 10, "output": 5,
                                                                               "cache_read": 0, "cache_creation": 0},
                                      "estimated_cost": {"amount": 1, "currency": "USD"}}]} for a in ACTORS]
    return WORKSPACES if kind == "workspaces" else API_KEYS


@dataclass
class Request:
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]


@dataclass
class FakeAdminAPI:
    """The server's state: what to break, what was asked, what was sent."""

    key: str
    faults: dict[str, list[str]] = field(default_factory=dict)  # kind -> faults for its next requests, in order
    fail_page: dict[str, tuple[int, int]] = field(default_factory=dict)  # kind -> (page number, status): always
    status: int | None = None  # answer every request with this status
    requests: list[Request] = field(default_factory=list)
    sent: list[bytes] = field(default_factory=list)  # the bodies of every whole 200 answer
    release: threading.Event = field(default_factory=threading.Event)  # ends a slow answer
    stalled: threading.Event = field(default_factory=threading.Event)  # set when a slow answer starts waiting
    lock: threading.Lock = field(default_factory=threading.Lock)

    def serve(self) -> tuple[ThreadingHTTPServer, str]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                api.handle(self)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        # A short poll: shutdown() waits up to one poll interval (0.5 s by default: half a second per test).
        threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
        return server, f"http://127.0.0.1:{server.server_address[1]}"

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        url = urlsplit(h.path)
        pairs = parse_qsl(url.query, keep_blank_values=True)
        with self.lock:
            self.requests.append(Request(url.path, pairs, {k.lower(): v for k, v in h.headers.items()}))
        kind = next((k for k, p in PATHS.items() if p == url.path), None)
        if h.headers.get("x-api-key") != self.key or kind is None:
            return self.reply(h, 401 if kind else 404, _error("authentication_error", "invalid x-api-key"))
        if self.status:
            return self.reply(h, self.status, _error("permission_error", "not allowed"))
        if kind == "analytics_cost":  # this organisation does not have the beta
            return self.reply(h, 404, _error("not_found_error", "Not found"))
        query: dict[str, list[str]] = {}
        for k, v in pairs:
            query.setdefault(k, []).append(v)
        everything = items(kind, query)
        offset = int(query.get("page", query.get("after_id", ["0"]))[0].rsplit("_", 1)[-1])
        number = offset // PAGE_SIZE + 1
        if kind in self.fail_page and self.fail_page[kind][0] == number:
            return self.reply(h, self.fail_page[kind][1], _error("api_error", "Internal server error"))
        with self.lock:
            fault = self.faults.get(kind, []).pop(0) if self.faults.get(kind) else None
        if fault == "429":
            return self.reply(h, 429, _error("rate_limit_error", "slow down"), {"retry-after": "7"})
        if fault == "500":
            return self.reply(h, 500, _error("api_error", "Internal server error"))
        chunk = everything[offset:offset + PAGE_SIZE]
        more = offset + PAGE_SIZE < len(everything)
        if kind in ("workspaces", "api_keys"):
            page = {"data": chunk, "has_more": more, "first_id": chunk[0]["id"] if chunk else None,
                    "last_id": f"{kind}_{offset + PAGE_SIZE}" if chunk else None}
        else:
            page = {"data": chunk, "has_more": more, "next_page": f"page_{offset + PAGE_SIZE}" if more else None}
        body = json.dumps(page, separators=(",", ":")).encode()
        if fault == "cut":  # the connection drops half-way through the body
            h.send_response(200)
            h.send_header("content-type", "application/json")
            h.send_header("content-length", str(len(body)))
            h.end_headers()
            h.wfile.write(body[: len(body) // 2])
            h.wfile.flush()
            h.close_connection = True
            return None
        if fault == "slow":  # answers only after the client has given up
            self.stalled.set()
            self.release.wait(10)
            try:
                self.reply(h, 200, body)
            except OSError:
                pass
            return None
        self.reply(h, 200, body)
        with self.lock:
            self.sent.append(body)
        return None

    @staticmethod
    def reply(h: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        h.send_response(status)
        h.send_header("content-type", "application/json")
        h.send_header("content-length", str(len(body)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)


def _error(kind: str, message: str) -> bytes:
    return json.dumps({"type": "error", "error": {"type": kind, "message": message}}).encode()
