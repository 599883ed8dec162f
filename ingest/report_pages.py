"""Pages of Anthropic's Admin API reports (`{"data": [...], "has_more": ..., "next_page": ...}`) as saved to a file.

One page (a JSON object), a JSON array of pages, or one page per line (as `finops pull` and most scripts save them)
are all read. Shared by the cost report, the Analytics API readers and the Claude Code analytics report reader.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import IO, Any

from .common import JSON_ERRORS, Emitter, json_lines
from .usage_report import TextLines, pages_per_line

MAX_DOCUMENT_BYTES = 256 * 1024 * 1024

# handle(page, where, counter): where is the page's line (pages per line) or index; counter says that rows are
# numbered by their position in the file (a whole document) rather than by the page's line.
PageHandler = Callable[[Any, int, bool], None]


def read_pages(stream: IO[bytes], emit: Emitter, handle: PageHandler) -> None:
    body = stream.read(MAX_DOCUMENT_BYTES)
    if stream.read(1):
        emit.stats.error = f"file larger than {MAX_DOCUMENT_BYTES} bytes: not read"
        return
    try:
        text_body = body.decode("utf-8")
    except UnicodeDecodeError:  # as the line readers do: Latin-1 never fails and keeps every byte
        text_body = body.decode("latin-1")
    text_body = text_body.lstrip("\ufeff")
    try:
        document = json.loads(text_body)
    except JSON_ERRORS as e:
        if not pages_per_line(text_body):
            where = e.lineno if isinstance(e, json.JSONDecodeError) else 1
            emit.reject(where, "invalid JSON: truncated or malformed document")
            return
        for number, page in json_lines(TextLines(text_body), emit, unit="page"):
            handle(page, number, False)
        return
    pages = document if isinstance(document, list) else [document]
    for index, page in enumerate(pages, start=1):
        handle(page, index, True)


def page_items(page: Any, where: int, emit: Emitter) -> list[Any] | None:
    """The page's `data` list, or None (the page rejected) when it has none."""
    items = page.get("data") if isinstance(page, dict) else None
    if not isinstance(items, list):
        emit.reject(where, "page has no data list")
        return None
    return items

