"""What the CLI prints: a progress bar on stderr while reading, then a short summary that fits 80 columns."""

from __future__ import annotations

import os
import re
import sys
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

from . import summary
from .pricing import PriceRow
from .report import Report
from .reports.filters import count, month_label, pct, usd
from .summary import reconciliation_text, workload_text


class _StdoutWithoutTrailingSpaces:
    """sys.stdout (looked up at each write, so that a captured stdout is honoured) with the spaces that rich pads
    wrapped lines and table cells with removed at each line's end: a summary piped to a file or a diff is clean."""

    _TRAILING = re.compile(r" +((?:\x1b\[[0-9;]*m)*)(?=\n)")

    def write(self, text: str) -> int:
        sys.stdout.write(self._TRAILING.sub(r"\1", text))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, encoding, flush: those of the real stdout
        return getattr(sys.stdout, name)


console = Console(highlight=False, file=_StdoutWithoutTrailingSpaces())


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
    """The executive summary (report.json `summary`, as in the PDF and summary.md), inputs, findings, files."""
    t = report.totals
    sm = report.sections.get("summary") or summary.build(None, report)
    start = report.period_start.date() if report.period_start else "?"
    end = report.period_end.date() if report.period_end else "?"
    if report.bill_only:  # bills without usage: what they charged, never "$0.00 over 0 requests"
        b = report.bill_only
        tax = f" + {usd(b['tax_cost'])} tax" if b["tax_cost"] else ""
        console.print(f"[bold]Claude API bills[/] {start} to {end}: [bold]{usd(b['billed_cost'])}[/]{tax} billed "
                      f"over {count(b['bill_lines'])} bill lines; no usage to analyse (findings need logs or "
                      "usage reports)")
    else:
        volume = summary.volume_text(report)
        console.print(f"[bold]Claude API spend[/] {start} to {end}: [bold]{usd(t.billed_cost)}[/] ({volume})")
    if t.list_cost != t.billed_cost:
        console.print(f"  at list prices: {usd(t.list_cost)}")
    read = sum(f.rows_read for f in report.inputs)
    loaded = sum(f.rows_loaded for f in report.inputs)
    rejected = sum(f.rows_rejected for f in report.inputs)
    dupes = sum(f.rows_duplicate for f in report.inputs)
    console.print(f"Records: {count(read)} read = {count(loaded)} loaded + {count(rejected)} rejected "
                  f"+ {count(dupes)} duplicates, from {len(report.inputs)} file{'' if len(report.inputs) == 1 else 's'}"
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
        table.add_column("Severity")
        table.add_column("Requests", justify="right")
        table.add_column("Savings", justify="right")
        for f in report.findings:
            table.add_row(escape(f.title), f.severity, count(f.affected_requests), usd(f.savings))
        console.print(table)
        console.print(savings_line(report))
        actions = Table.grid(padding=(0, 1))
        actions.add_column(justify="right")
        actions.add_column()
        for n, a in enumerate(sm.get("actions") or [], start=1):
            actions.add_row(f"{n}.", f"{escape(a['title'])}: {usd(a['savings_usd'])}"
                            + (f"; largest: {escape(workload_text(a['workload'], a['savings_usd']))}"
                               if a["workload"] else ""))
        if actions.row_count:
            console.print("The actions worth the most:")
            console.print(actions)
    else:
        console.print("No findings.")
    _print_reconciliation(sm)
    if sm.get("commitment"):
        basis = sm["commitment"].get("basis")
        console.print(f"Recommended commitment, per vendor: {escape(summary.commitment_text(sm['commitment']))}"
                      + (f". Basis: {escape(basis)}" if basis else ""))
    console.print("Wrote " + escape(", ".join(str(p) for p in written)))


def savings_line(report: Report) -> str:
    """Savings in the period, per month (the last full month's rate) and per year, as in the PDF's summary."""
    sm = (report.sections.get("summary") or {}).get("savings") or {}
    text = (f"Savings: [bold]{usd(report.savings_stacked)}[/] in the period "
            f"({pct(report.savings_stacked, report.totals.billed_cost)} of spend)")
    if sm.get("per_month_usd") is not None:
        text += (f"; {usd(sm['per_month_usd'])} a month at {month_label(sm['month'])}'s rate, "
                 f"{usd(sm['per_year_usd'])} a year")
    return text


SHORT_VARIANT = {"standard": "std", "long_context": "long", "fast": "fast", "fast_long_context": "fast+long"}


def _print_reconciliation(sm: dict[str, Any]) -> None:
    """One line per platform and month compared with a bill: pass or fail (on the part not explained), every
    figure labelled (whole gap, usage gap, what explains it, not explained)."""
    pairs = sm.get("reconciliation") or []
    if not pairs:
        return
    # A legend, not a verdict: each month has its own pass or fail below.
    console.print(f"Logs vs bill (pass: the part not explained is within {pct(pairs[0]['tolerance'], 1)} of the "
                  "bill):")
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column()
    for p in pairs:
        colour = "green" if p["result"] == "pass" else "red"
        grid.add_row(f"  {p['platform_label']} {p['month']} [{colour}]{p['result']}[/]", escape(reconciliation_text(p)))
    console.print(grid)


def print_prices(rows: list[PriceRow]) -> None:
    """The price table, one row per model, variant and date."""
    table = Table(box=None, pad_edge=False, padding=(0, 1, 0, 0), header_style="bold")
    for name in ("model", "variant", "from", "in", "5m wr", "1h wr", "read", "out", "over"):
        table.add_column(name, justify="left" if name in ("model", "variant", "from") else "right", no_wrap=True)
    for r in rows:
        rates = [("-" if x is None else str(x)) for x in r.rates] if r.rates else ["ended"] + [""] * 4
        over = f"{r.threshold // 1000:,}K" if r.threshold and r.rates else ""
        table.add_row(r.model, SHORT_VARIANT[r.variant], r.valid_from.isoformat(), *rates, over)
    console.print(table)
    console.print("$ per million tokens; 'over': long-context rates apply to the whole request when its input "
                  "(cache included) is over this. Batch x0.50; US-only inference x1.10 (4.6+); regional "
                  f"Bedrock/Vertex endpoints x1.10 (4.5+); web search {usd(0.01)} each. "
                  "`finops prices --csv` prints the sources.")
