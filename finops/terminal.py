"""What the CLI prints: a progress bar on stderr while reading, then a short summary that fits 80 columns."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, TextColumn, TimeRemainingColumn
from rich.progress import Progress as RichProgress
from rich.table import Table

from .pricing import PriceRow
from .report import Report
from .reports.filters import count, pct, usd

console = Console(highlight=False)


def _total_bytes(paths: Iterable[Path]) -> int:
    total = 0
    for path in paths:
        if path.is_dir():
            for root, _, names in os.walk(path):
                for name in names:
                    try:
                        total += (Path(root) / name).stat().st_size
                    except OSError:
                        continue
        elif path.exists():
            total += path.stat().st_size
    return total


class Progress:
    """A byte-based progress bar on stderr, shown only on a terminal and only for inputs over 20 MB."""

    def __init__(self, paths: Iterable[Path], enabled: bool = True) -> None:
        self.paths = list(paths)
        self.enabled = enabled
        self._bar: RichProgress | None = None
        self._task: Any = None

    def __enter__(self) -> Progress:
        err = Console(stderr=True)
        if self.enabled and err.is_terminal:
            total = _total_bytes(self.paths)
            if total > 20 * 1024 * 1024:
                self._bar = RichProgress(TextColumn("reading"), BarColumn(), DownloadColumn(),
                                         TimeRemainingColumn(), console=err, transient=True)
                self._bar.start()
                self._task = self._bar.add_task("read", total=total)
        return self

    def advance(self, _path: Path, size: int) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, size)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()


def print_summary(report: Report, written: list[Path]) -> None:
    """Totals, inputs, findings and the files written."""
    t = report.totals
    start = report.period_start.date() if report.period_start else "?"
    end = report.period_end.date() if report.period_end else "?"
    volume = (f"over {count(t.requests)} requests" if not t.bucket_rows
              else f"({count(t.bucket_rows)} report rows, {count(t.logged_requests)} logged requests)")
    if report.bill_only:  # bills without usage: what they charged, never "$0.00 over 0 requests"
        b = report.bill_only
        tax = f" + {usd(b['tax_cost'])} tax" if b["tax_cost"] else ""
        console.print(f"[bold]Claude API bills[/] {start} to {end}: [bold]{usd(b['billed_cost'])}[/]{tax} billed "
                      f"over {count(b['bill_lines'])} bill lines; no usage to analyse (findings need logs or "
                      "usage reports)")
    else:
        console.print(f"[bold]Claude API spend[/] {start} to {end}: [bold]{usd(t.billed_cost)}[/] {volume}")
    if t.list_cost != t.billed_cost:
        console.print(f"  at list prices: {usd(t.list_cost)}")
    read = sum(f.rows_read for f in report.inputs)
    loaded = sum(f.rows_loaded for f in report.inputs)
    rejected = sum(f.rows_rejected for f in report.inputs)
    dupes = sum(f.rows_duplicate for f in report.inputs)
    console.print(f"Records: {count(read)} read = {count(loaded)} loaded + {count(rejected)} rejected "
                  f"+ {count(dupes)} duplicates, from {len(report.inputs)} files"
                  + (f" ({len(report.skipped)} skipped)" if report.skipped else ""))
    not_seen = report.quality.get("files_not_seen_in_last_ingest")
    if not_seen:
        console.print(f"Store: {count(not_seen)} file(s) not seen by the last ingest; their rows are kept")
    for f in report.inputs:
        if f.error:
            console.print(f"  [yellow]{escape(f.path)}: {escape(f.error)}[/]")
    if report.unpriced:
        rows = sum(u["rows"] for u in report.unpriced)
        names = escape(", ".join(sorted({str(u["model"]) for u in report.unpriced})))
        plural = "" if rows == 1 else "s"
        console.print(f"[yellow]Unpriced: {count(rows)} row{plural} on models without a price: {names}[/]")
    if report.findings:
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
        table.add_column("Finding", overflow="fold", max_width=40)
        table.add_column("Requests", justify="right")
        table.add_column("Savings", justify="right")
        table.add_column("Basis")
        for f in report.findings:
            table.add_row(escape(f.title), count(f.affected_requests), usd(f.savings), f.confidence)
        console.print(table)
        console.print(f"Savings available: [bold]{usd(report.savings_stacked)}[/] "
                      f"({pct(report.savings_stacked, t.billed_cost)} of spend)")
    else:
        console.print("No findings.")
    _print_reconciliation(report)
    console.print("Wrote " + escape(", ".join(str(p) for p in written)))


SHORT_VARIANT = {"standard": "std", "long_context": "long", "fast": "fast", "fast_long_context": "fast+long"}


def _print_reconciliation(report: Report) -> None:
    """One line per platform and month compared with a bill: pass, or the gap that fails it."""
    pairs = (report.sections.get("reconciliation") or {}).get("pairs") or []
    if not pairs:
        return
    parts = []
    for p in pairs:
        label = f"{p['platform_label']} {p['month']}"
        if p["result"] == "pass":
            parts.append(f"{label} [green]pass[/]")
        else:
            gap = p.get("usage_gap_usd", p.get("gap_usd"))
            share = p.get("usage_gap_share", p.get("gap_share"))
            sign = "+" if gap is not None and gap >= 0 else ""
            parts.append(f"{label} [red]{p['result']}[/] ({sign}{usd(gap)}, {pct(share, 1)})")
    console.print("Logs vs bill: " + "; ".join(parts))


def print_prices(rows: list[PriceRow]) -> None:
    """The price table, one row per model, variant and date."""
    table = Table(box=None, pad_edge=False, padding=(0, 1, 0, 0), header_style="bold")
    for name in ("model", "variant", "from", "in", "5m wr", "1h wr", "read", "out", "over"):
        table.add_column(name, justify="left" if name in ("model", "variant", "from") else "right", no_wrap=True)
    for r in rows:
        rates = [str(x) for x in r.rates] if r.rates else ["ended"] + [""] * 4
        over = f"{r.threshold // 1000:,}K" if r.threshold and r.rates else ""
        table.add_row(r.model, SHORT_VARIANT[r.variant], r.valid_from.isoformat(), *rates, over)
    console.print(table)
    console.print("$ per million tokens; 'over': long-context rates apply to the whole request when its input "
                  "(cache included) is over this. Batch x0.50; US-only inference x1.10 (4.6+); regional "
                  f"Bedrock/Vertex endpoints x1.10 (4.5+); web search {usd(0.01)} each. "
                  "`finops prices --csv` prints the sources.")
