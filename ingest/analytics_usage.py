"""Anthropic Usage and Cost Analytics API, usage (`GET /v1/organizations/analytics/usage`, beta since 2026-10).

Each item of a page's `data` is one time bucket (or the whole queried range) for one combination of the grouped
dimensions: `{"starting_at", "ending_at", "group": {...}, "usage": {...}}` (formats-2026.md 2.4). It becomes an
aggregated `usage` row, like a row of the older usage report.

`group` carries every dimension key, null unless grouped (or when the row has no value): the grouping of a file is
the set of keys that are non-null on any of its items. One query's pages belong in one file (a page per line, or
an array of pages): pages of one query saved as separate files are read as queries of their own, and the spend
basis takes one query per day.

Dimensions with a column of their own go there (workspace, API key, model, service tier, context window, inference
geo, speed, session); the actor is the row's user (an email address is kept masked, with a short hash so two people
never merge) or, for an API actor, its key; the others (product, agent, actor type, organisation, deployment,
environment, Slack channel, Claude tag, user profile) are kept as tags for roll-ups.

A page grouped by `rbac_group_id` is not read: a user in several groups is counted in full in each group's row,
so its rows add up to more than was used (formats-2026.md 2.4). Its rows are rejected with that reason.
"""

from __future__ import annotations

import functools
import json
import re
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from .common import Emitter, RowError, line_of, model_fields, person, stable_id, text, timestamp, tokens
from .report_pages import page_items, read_pages

FORMAT = "anthropic_analytics_usage"
LABEL = "Anthropic Usage and Cost Analytics API usage (/v1/organizations/analytics/usage)"
# Group keys finops keeps as tags (the rest have columns of their own, or are the actor).
TAG_KEYS = ("product", "agent_id", "actor_type", "organization_id", "deployment_id", "environment_id",
            "slack_channel_id", "claude_tag_category", "claude_tag_user_id", "user_profile_id")
OVERCOUNTING = ("rbac_group_id",)


def sniff(sample: Any) -> bool:
    head = sample.head
    return ('"data"' in head and '"group"' in head and '"usage"' in head and '"starting_at"' in head
            and '"results"' not in head and '"list_amount"' not in head)


# Dimensions that change the price: rows of a page not grouped by them are priced at the standard tier and speed,
# without the US-only premium; the file's notes say how many (the context tier is flagged per row when pricing).
PRICE_DIMENSIONS = {"service_tier": "standard tier", "speed": "standard speed", "inference_geo": "global"}


def read(path: Path, stream: IO[bytes], emit: Emitter) -> None:
    ungrouped: dict[str, int] = {}
    pages = file_pages(stream, emit)
    dims = set().union(*(grouped(items) for items, _, _ in pages), query_dims(path))
    for items, where, counter in pages:
        _page(items, dims, where, counter, emit, ungrouped)
    for dim, count in sorted(ungrouped.items()):
        emit.stats.notes.append(f"{count} row(s) from pages not grouped by {dim}: priced as {PRICE_DIMENSIONS[dim]}")


def file_pages(stream: IO[bytes], emit: Emitter) -> list[tuple[list[Any], int, bool]]:
    """Every page's items with where they are. The grouping is judged on the whole file, not page by page: a page
    on which a grouped dimension happens to be null everywhere (the default workspace) is the same query."""
    pages: list[tuple[list[Any], int, bool]] = []

    def keep(page: Any, where: int, counter: bool) -> None:
        items = page_items(page, where, emit)
        if items is not None:
            pages.append((items, where, counter))

    read_pages(stream, emit, keep)
    return pages


# `finops pull` saves each page of a query as its own file: <start>_<end>_<width>_pageNNNN.json.
_PULLED_PAGE = re.compile(r"^(.+_(?:1d|1h|1m))_page\d{4,}\.json$")
_SIBLING_LIMIT = 64 * 1024 * 1024  # a page is far smaller; a larger file is left to its own read to judge


def query_dims(path: Path) -> set[str]:
    """The dimensions grouped on any other saved page of the same pulled query. Paging splits a day's rows across
    pages, so a page whose rows all sit in the default workspace must not look like a coarser query (it would
    then compete with its own siblings in the spend basis). A sibling that cannot be read adds nothing: its own
    read reports why."""
    match = _PULLED_PAGE.match(path.name)
    if not match:
        return set()
    dims: set[str] = set()
    for sibling in sorted(path.parent.glob(f"{glob_escape(match.group(1))}_page*.json")):
        if sibling == path or not _PULLED_PAGE.match(sibling.name):
            continue
        try:
            info = sibling.stat()
        except OSError:
            continue
        dims |= page_dims(str(sibling), info.st_size, info.st_mtime_ns)
    return dims


@functools.lru_cache(maxsize=4096)
def page_dims(path: str, size: int, mtime_ns: int) -> frozenset[str]:
    """The dimensions one saved page groups by, read once per run however many of its siblings ask (keyed on the
    file's size and time, so a page rewritten since is read again)."""
    if size > _SIBLING_LIMIT:
        return frozenset()
    try:
        page = json.loads(Path(path).read_bytes())
    except (OSError, ValueError, RecursionError):
        return frozenset()
    items = page.get("data") if isinstance(page, dict) else None
    return frozenset(grouped(items) - set(OVERCOUNTING)) if isinstance(items, list) else frozenset()


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def grouped(items: list[Any]) -> set[str]:
    """The dimensions a page is grouped by: the group keys non-null on any of its items."""
    return {k for item in items if isinstance(item, dict) and isinstance(item.get("group"), dict)
            for k, v in item["group"].items() if v is not None}


def _page(items: list[Any], dims: set[str], where: int, counter: bool, emit: Emitter,
          ungrouped: dict[str, int]) -> None:
    for dim in PRICE_DIMENSIONS:
        if dim not in dims:
            ungrouped[dim] = ungrouped.get(dim, 0) + len(items)
    page_dims = grouped(items)  # a page grouped by rbac_group_id is rejected, not the file's other pages
    for item in items:
        line = line_of(emit, where, counter)
        try:
            emit.row(record(item, dims, page_dims), line)
        except RowError as e:
            emit.reject(line, str(e))
        except RecursionError:
            emit.reject(line, "invalid JSON: nested too deeply")


def period(item: dict[str, Any]) -> tuple[datetime, datetime]:
    start = timestamp(item.get("starting_at"), "starting_at")
    end = timestamp(item.get("ending_at"), "ending_at")
    if end <= start:
        raise RowError("ending_at is not after starting_at")
    return start, end


def width(start: datetime, end: datetime) -> str:
    seconds = int((end - start).total_seconds())
    return {60: "1m", 3600: "1h", 86400: "1d"}.get(seconds, f"{seconds}s")


def group_of(item: Any, page_dims: set[str]) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise RowError("item is not an object")
    group = item.get("group")
    if group is None:
        group = {}
    if not isinstance(group, dict):
        raise RowError("group is not an object")
    over = [d for d in OVERCOUNTING if d in page_dims]
    if over:
        raise RowError(f"grouped by {over[0]}: a user in several groups counts in each, so the rows overstate "
                       "usage (query without that group_by)")
    return group


def actor_fields(actor: Any) -> dict[str, Any]:
    """user_id (and api_key_id for an API actor) from the actor union (user, API, service account, federated)."""
    if not isinstance(actor, dict):
        return {"user_id": text(actor) if isinstance(actor, str) else None}
    kind = actor.get("type")
    if kind == "api_actor":
        key = actor.get("api_key_id") or actor.get("api_key_name")
        return {"user_id": text(key), "api_key_id": text(key)}
    who = (actor.get("email_address") or actor.get("email") or actor.get("user_id") or actor.get("id")
           or actor.get("service_account_id") or actor.get("name"))
    return {"user_id": person(who) if isinstance(who, str) else None}


def tags_of(group: dict[str, Any]) -> str | None:
    tags = {k: group[k] for k in TAG_KEYS if group.get(k) is not None}
    if not tags:
        return None
    return text(json.dumps(tags, sort_keys=True, default=str))


def dimension_fields(group: dict[str, Any]) -> dict[str, Any]:
    """The columns finops has for the group's dimensions."""
    tier = group.get("service_tier")
    geo = group.get("inference_geo")
    window = group.get("context_window")
    actor = actor_fields(group.get("actor"))
    return {
        "workspace": text(group.get("workspace_id")),
        "api_key_id": text(group.get("api_key_id")) or actor.get("api_key_id"),
        "user_id": actor["user_id"],
        "session_id": text(group.get("session_id")),
        "tags": tags_of(group),
        "service_tier": "priority" if tier in ("priority", "priority_on_demand") else
                        "batch" if tier == "batch" else "standard",
        "speed": "fast" if group.get("speed") == "fast" else "standard",
        "inference_geo": text(geo.lower()) if isinstance(geo, str) else None,
        "context_window": text(window) if isinstance(window, str) else None,
    }


def record(item: Any, dims: set[str], page_dims: set[str]) -> dict[str, Any]:
    group = group_of(item, page_dims)
    start, end = period(item)
    usage = item.get("usage")
    if not isinstance(usage, dict):
        raise RowError("missing usage")
    grouping = width(start, end) + ":" + ",".join(sorted(dims))
    split = usage.get("cache_creation") if isinstance(usage.get("cache_creation"), dict) else {}
    server = usage.get("server_tool_use") if isinstance(usage.get("server_tool_use"), dict) else {}
    # `uncached_input_tokens` is the name in every other report; the reference could not confirm it here, so the
    # Messages API's `input_tokens` is accepted too, and a row with neither is rejected (never read as 0).
    uncached = "uncached_input_tokens" if "uncached_input_tokens" in usage else "input_tokens"
    return {
        "record_id": stable_id(FORMAT, start, end, grouping, json.dumps(group, sort_keys=True, default=str)),
        "granularity": "bucket",
        "grouping": grouping,
        "charge_period_start": start,
        "charge_period_end": end,
        **model_fields(group.get("model")),
        "platform": "anthropic",
        **dimension_fields(group),
        "requests": tokens(usage.get("requests"), "requests"),
        "input_tokens": tokens(usage.get(uncached), "uncached_input_tokens", required=True),
        "cache_write_5m_tokens": tokens(split.get("ephemeral_5m_input_tokens"), "ephemeral_5m_input_tokens") or 0,
        "cache_write_1h_tokens": tokens(split.get("ephemeral_1h_input_tokens"), "ephemeral_1h_input_tokens") or 0,
        "cache_ttl_assumed": False,
        "cache_read_tokens": tokens(usage.get("cache_read_input_tokens"), "cache_read_input_tokens") or 0,
        "output_tokens": tokens(usage.get("output_tokens"), "output_tokens", required=True),
        "web_search_requests": tokens(server.get("web_search_requests"), "web_search_requests") or 0,
    }
