"""The saved pages: one file per endpoint and page, in a folder per endpoint and month, each written whole.

What was fetched is read back from the file names alone (no separate state to drift): a range query's pages are
`<month>/<start>_<end>_<width>_pageNNNN.json`, a day's `<month>/<day>_pageNNNN.json`, a list's `pageNNNN.json`.
A query is complete when its pages are numbered 1..N and page N says there is no more. Each file goes to a hidden
temporary name in its folder and is renamed into place once written, so a pull stopped at any moment leaves only
whole pages (and, after a kill, at most one hidden `.tmp` file, which `finops analyze` does not read and the next
pull removes).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from .client import PullError

STAMP = "%Y-%m-%dT%HZ"
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}Z)_(\d{4}-\d{2}-\d{2}T\d{2}Z)_(1d|1h)_page(\d{4,})\.json$")
_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})_page(\d{4,})\.json$")
_LIST = re.compile(r"^page(\d{4,})\.json$")


@dataclass
class Query:
    """The saved pages of one query: a range (with its width) or a day."""

    start: datetime
    end: datetime
    width: str | None
    pages: dict[int, Path] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """Pages 1..N all there, and page N the last one."""
        if not self.pages or sorted(self.pages) != list(range(1, len(self.pages) + 1)):
            return False
        return _is_last(self.pages[len(self.pages)])


def _is_last(path: Path) -> bool:
    try:
        page = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(page, dict) and page.get("has_more") is not True


def range_name(start: datetime, end: datetime, width: str, number: int) -> str:
    return f"{start.strftime(STAMP)}_{end.strftime(STAMP)}_{width}_page{number:04d}.json"


def day_name(day: date, number: int) -> str:
    return f"{day.isoformat()}_page{number:04d}.json"


def list_name(number: int) -> str:
    return f"page{number:04d}.json"


def month_of(moment: date) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


class PageStore:
    """The output folder of a pull: reads what is saved, writes pages atomically."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, endpoint: str, month: str | None = None) -> Path:
        return self.root / endpoint / month if month else self.root / endpoint

    def queries(self, endpoint: str) -> list[Query]:
        """Every range or day query with pages saved for the endpoint, complete or not, in time order."""
        found: dict[tuple[datetime, datetime, str | None], Query] = {}
        for path in self._files(endpoint):
            if m := _RANGE.match(path.name):
                start, end = (datetime.strptime(m[i], STAMP) for i in (1, 2))
                key = (start, end, m[3])
                number = int(m[4])
            elif m := _DAY.match(path.name):
                day = date.fromisoformat(m[1])
                start = datetime(day.year, day.month, day.day)
                key = (start, start + timedelta(days=1), None)
                number = int(m[2])
            else:
                continue
            found.setdefault(key, Query(*key)).pages[number] = path
        return sorted(found.values(), key=lambda q: (q.start, q.end, q.width or ""))

    def _files(self, endpoint: str) -> Iterator[Path]:
        base = self.folder(endpoint)
        if not base.is_dir():
            return
        for month in sorted(base.iterdir()):
            if month.is_dir() and re.fullmatch(r"\d{4}-\d{2}", month.name):
                yield from sorted(p for p in month.iterdir() if p.is_file())

    def list_pages(self, endpoint: str) -> dict[int, Path]:
        base = self.folder(endpoint)
        if not base.is_dir():
            return {}
        return {int(m[1]): p for p in base.iterdir() if (m := _LIST.match(p.name))}

    def write(self, path: Path, body: bytes) -> None:
        """Write body to path whole or not at all: a temporary file in the same folder, renamed into place."""
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.unlink(missing_ok=True)  # a link planted here is removed, never written through
            with open(tmp, "xb") as out:
                out.write(body)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except OSError as e:
            raise PullError(f"cannot write {path}: {e.strerror or e}") from e
        finally:
            tmp.unlink(missing_ok=True)

    def remove(self, paths: list[Path]) -> None:
        for path in paths:
            path.unlink(missing_ok=True)

    def clean_temporary(self) -> None:
        """Remove the hidden temporary files a killed pull can leave."""
        if not self.root.is_dir():
            return
        for root, _dirs, names in os.walk(self.root):
            for name in names:
                if name.startswith(".") and name.endswith(".tmp"):
                    (Path(root) / name).unlink(missing_ok=True)
