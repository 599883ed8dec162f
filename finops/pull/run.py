"""One pull: work out what is missing, fetch it page by page, save every page, write the names file.

Only ended buckets are asked for (a range ends at the start of the current day, or hour for 1h buckets), so a
saved query never has to be fetched again; a later pull fills only the gaps between what is saved and now.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from finops import names
from finops.outputs import ensure_writable

from .client import AccessDenied, AdminClient, GaveUp, PullError, Refused
from .endpoints import Endpoint
from .pages import PageStore, Query, day_name, list_name, month_of, range_name


@dataclass
class Outcome:
    """What one endpoint's pull did: `saved`, `up to date`, `skipped` (not available) or `failed`."""

    endpoint: Endpoint
    status: str = "up to date"
    pages: int = 0
    queries: int = 0
    first: datetime | None = None
    last: datetime | None = None
    message: str = ""

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    def line(self) -> str:
        """One line for the terminal."""
        name = self.endpoint.name
        if self.status in ("skipped", "failed"):
            return f"{name}: {self.status}: {self.message}"
        if not self.pages:
            return f"{name}: up to date"
        span = ""
        if self.first and self.last:
            span = f" ({_day(self.first)} to {_day(self.last - timedelta(seconds=1))})"
        return f"{name}: {self.pages} page(s) saved{span}"


@dataclass
class Plan:
    """The period asked for: since (inclusive) and the end of time to ask about (exclusive, ended buckets)."""

    since: datetime
    now: datetime
    until: datetime | None = None
    width: str = "1d"
    queries: dict[str, list[tuple[datetime, datetime]]] = field(default_factory=dict)

    def end(self, width: str | None) -> datetime:
        """The end of the last ended bucket of this width (days for day reports and lists)."""
        cap = min(self.now, self.until) if self.until else self.now
        if width == "1h":
            return cap.replace(minute=0, second=0, microsecond=0)
        return cap.replace(hour=0, minute=0, second=0, microsecond=0)


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


def months(start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """[start, end) cut at month boundaries."""
    while start < end:
        following = datetime(start.year + start.month // 12, start.month % 12 + 1, 1)
        yield start, min(end, following)
        start = following


def gaps(want: tuple[datetime, datetime], have: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """The parts of want that no range in have covers."""
    out, cursor = [], want[0]
    for start, end in sorted(have):
        if end <= cursor or start >= want[1]:
            continue
        if start > cursor:
            out.append((cursor, start))
        cursor = max(cursor, end)
    if cursor < want[1]:
        out.append((cursor, want[1]))
    return out


def default_since(store: PageStore, endpoints: tuple[Endpoint, ...]) -> datetime | None:
    """Where a pull without --since starts: the end of the last complete query saved, the earliest over the
    endpoints that have one (so none is left with a hole); None when nothing is saved yet."""
    resume = [max(q.end for q in done) for e in endpoints if e.kind != "list"
              if (done := [q for q in store.queries(e.name) if q.complete])]
    return min(resume) if resume else None


def check_widths(store: PageStore, endpoints: tuple[Endpoint, ...], width: str) -> None:
    """Refuse to mix bucket widths in one folder: the same usage would be counted once per width."""
    for e in endpoints:
        mine = e.width(width)
        other = sorted({q.width for q in store.queries(e.name) if q.width and q.width != mine})
        if e.kind == "range" and mine and other:
            raise PullError(f"{store.folder(e.name)} holds {other[0]} buckets: pull with --bucket-width {other[0]}, "
                            f"or into another folder (one folder with both widths would count usage twice)")


class Puller:
    """Runs the plan endpoint by endpoint. on_plan(endpoint, queries planned) and on_page(endpoint, a query done)
    feed the progress bars."""

    def __init__(self, client: AdminClient, store: PageStore, plan: Plan,
                 on_plan: Callable[[Endpoint, int], None] | None = None,
                 on_page: Callable[[Endpoint, bool], None] | None = None) -> None:
        self.client = client
        self.store = store
        self.plan = plan
        self.on_plan = on_plan or (lambda _e, _n: None)
        self.on_page = on_page or (lambda _e, _done: None)
        self.lists: dict[str, dict[str, str]] = {}

    def run(self, endpoints: tuple[Endpoint, ...]) -> list[Outcome]:
        self.store.clean_temporary()
        outcomes = []
        for endpoint in endpoints:
            outcome = Outcome(endpoint)
            try:
                if endpoint.kind == "list":
                    self._list(endpoint, outcome)
                else:
                    self._reports(endpoint, outcome)
            except AccessDenied as e:
                if endpoint.required:
                    raise
                outcome.status, outcome.message = "skipped", f"not available with this key ({e})"
            except Refused as e:
                outcome.status = "failed" if endpoint.required else "skipped"
                missing = not endpoint.required and e.status in (403, 404)
                outcome.message = f"{'not available to this organisation' if missing else 'refused'} " \
                                  f"(HTTP {e.status}: {e.message})"
            except GaveUp as e:
                outcome.status, outcome.message = "failed", f"gave up: {e}; run the same command again to resume"
            outcomes.append(outcome)
        if all(e.name in self.lists for e in endpoints if e.kind == "list") and self.lists:
            self.store.write(self.store.root / names.NAMES_FILE, names.to_toml(
                {section: self.lists.get(section, {}) for section in names.SECTIONS},
                header=f"Written by `finops pull anthropic` from {', '.join(sorted(self.lists))}: "
                       "workspace and API key names for their ids. Entries in finops.toml win over these."))
        return outcomes

    def _reports(self, endpoint: Endpoint, outcome: Outcome) -> None:
        width = endpoint.width(self.plan.width)
        saved = self.store.queries(endpoint.name)
        done = [(q.start, q.end) for q in saved if q.complete and q.width == width]
        end = self.plan.end(width)
        todo: list[tuple[datetime, datetime]] = []
        for month in months(self.plan.since, end):
            todo += gaps(month, done)
        if endpoint.kind == "day":  # one query per UTC day
            todo = [(d, d + timedelta(days=1)) for start, stop in todo for d in _days(start, stop)]
        self.on_plan(endpoint, len(todo))
        for start, stop in todo:
            outcome.pages += self._query(endpoint, start, stop, width, saved)
            outcome.queries += 1
            outcome.first = min(outcome.first or start, start)
            outcome.last = max(outcome.last or stop, stop)
            self.on_page(endpoint, True)
        if outcome.pages:
            outcome.status = "saved"

    def _query(self, endpoint: Endpoint, start: datetime, stop: datetime, width: str | None,
               saved: list[Query]) -> int:
        """Fetch every page of one query, saving each as it comes; returns the pages saved."""
        folder = self.store.folder(endpoint.name, month_of(start))
        day = start.date()
        cursor, number = None, 0
        while True:
            number += 1
            first = day if endpoint.kind == "day" else start
            page = self.client.get(endpoint.path, endpoint.params(first, stop, width, cursor), endpoint.beta)
            name = day_name(day, number) if endpoint.kind == "day" else range_name(start, stop, width or "1d", number)
            self.store.write(folder / name, page.body)
            self.on_page(endpoint, False)
            cursor = _next(endpoint, page.data, cursor)
            if cursor is None:
                break
        # This query is now whole: drop what earlier, unfinished tries of it (or inside it) left.
        stale = [p for q in saved if not q.complete and start <= q.start and q.end <= stop
                 and q.width == (width if endpoint.kind == "range" else None)
                 for n, p in q.pages.items() if not (q.start == start and q.end == stop and n <= number)]
        self.store.remove(stale)
        return number

    def _list(self, endpoint: Endpoint, outcome: Outcome) -> None:
        self.on_plan(endpoint, 1)
        cursor, number, found = None, 0, {}
        while True:
            number += 1
            page = self.client.get(endpoint.path, endpoint.params(None, None, None, cursor), endpoint.beta)
            self.store.write(self.store.folder(endpoint.name) / list_name(number), page.body)
            self.on_page(endpoint, False)
            items = page.data.get("data")
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict) and isinstance(item.get("id"), str) and isinstance(item.get("name"), str) \
                        and item["name"].strip():
                    found[item["id"]] = item["name"]
            cursor = _next(endpoint, page.data, cursor)
            if cursor is None:
                break
        self.store.remove([p for n, p in self.store.list_pages(endpoint.name).items() if n > number])
        self.lists[endpoint.name] = found
        outcome.pages, outcome.queries, outcome.status = number, 1, "saved"
        self.on_page(endpoint, True)


def _next(endpoint: Endpoint, page: dict[str, Any], cursor: str | None) -> str | None:
    """The next page's cursor; the same cursor twice would loop for ever, so it stops the endpoint."""
    following = endpoint.next_cursor(page)
    if following is not None and following == cursor:
        raise GaveUp(f"{endpoint.path} gave the same next page cursor twice")
    return following


def _days(start: datetime, stop: datetime) -> Iterator[datetime]:
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    while day < stop:
        yield day
        day += timedelta(days=1)


def parse_day(text: str, option: str) -> datetime:
    """YYYY-MM-DD (or YYYY-MM: the first of the month) as midnight UTC."""
    try:
        if len(text.strip()) == 7:
            return datetime.strptime(text.strip(), "%Y-%m")
        return datetime.combine(date.fromisoformat(text.strip()), datetime.min.time())
    except ValueError:
        raise PullError(f"{option} {text!r}: give a day as YYYY-MM-DD, e.g. 2026-11-01") from None


def output_folder(path: Path) -> PageStore:
    """The output folder, made if missing; a one-line error when it cannot be written."""
    try:
        ensure_writable(path)
    except OSError as e:
        raise PullError(f"cannot write to {path}: {e.strerror or e}; choose another folder with -o") from e
    return PageStore(path)
