"""The whole flow: files -> usage (deduplicated) -> priced_usage -> analyses -> Report."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from finops import analysis, ingest, overview, pricing, sections, stacking
from finops.errors import IngestError
from finops.report import Report


@dataclass
class Audit:
    """A finished run: the Report plus the DuckDB connection that holds its tables (for rejects and exports)."""

    report: Report
    con: duckdb.DuckDBPyConnection

    def write_rejects(self, path: Path) -> int:
        """Write every rejected record (file, line, reason) as CSV; returns how many."""
        cursor = self.con.execute("SELECT source_file, source_line, reason FROM rejects ORDER BY 1, 2")
        count = 0
        with open(path, "w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["file", "line", "reason"])
            while batch := cursor.fetchmany(10_000):
                writer.writerows(batch)
                count += len(batch)
        return count

    def close(self) -> None:
        self.con.close()


def run(
    paths: Iterable[Path],
    *,
    now: datetime,
    params: dict[str, dict[str, Any]] | None = None,
    prices_file: Path | None = None,
    only: Iterable[str] = (),
    skip: Iterable[str] = (),
    organisation: str = "Your organisation",
    progress: Callable[[Path, int], None] | None = None,
) -> Audit:
    """Read, normalise, price and analyse the given files and folders."""
    con = duckdb.connect()
    pricing.install(con, prices_file)  # first, so a bad --prices file fails before a long read
    analyses = _select(analysis.load_all(), set(only), set(skip))
    params = params or {}
    for a in analyses:  # validate overrides before reading anything
        analysis.coerce_params(a, params.get(a.id, {}))
    result = ingest.load(paths, con, progress)
    loaded = sum(f.rows_loaded for f in result.files)
    if loaded == 0:
        con.close()
        read = sum(f.rows_read for f in result.files)
        if not result.files:
            raise IngestError(f"no usable input: {len(result.skipped)} file(s) skipped, none in a known format"
                              " (run `finops formats` to see what is read)")
        raise IngestError(f"no usable input: {read} record(s) read, none loaded (see the rejects in the "
                          "files' reasons with --format json)")
    pricing.price_usage(con)
    analysis.create_savings_table(con)
    found = [f for a in analyses if (f := analysis.run(con, a, params.get(a.id))) is not None]
    stacked = stacking.stack(con, found)
    findings = [replace(f, stacked_savings=stacked.get(f.id, Decimal(0))) for f in found]
    standalone = sum((f.savings for f in findings), Decimal(0))
    start, end = overview.period(con)
    report = Report(
        generated_at=now,
        period_start=start,
        period_end=end,
        inputs=result.files,
        skipped=result.skipped,
        totals=overview.totals(con),
        unpriced=overview.unpriced(con),
        spend_by_model=overview.by_model(con),
        spend_by_month=overview.by_month(con),
        spend_by=overview.by_attribution(con),
        findings=sorted(findings, key=lambda f: f.savings, reverse=True),
        savings_standalone=standalone,
        savings_stacked=sum(stacked.values(), Decimal(0)),
        prices=overview.price_rows(con),
        params={a.id: analysis.coerce_params(a, params.get(a.id, {})) for a in analyses},
        quality=overview.quality(con),
        organisation=organisation,
    )
    report = replace(report, sections=sections.build_all(con, report))
    return Audit(report=report, con=con)


def _select(analyses: list[analysis.Analysis], only: set[str], skip: set[str]) -> list[analysis.Analysis]:
    known = {a.id for a in analyses}
    unknown = (only | skip) - known
    if unknown:
        from finops.errors import AnalysisError

        raise AnalysisError(f"unknown analysis id(s): {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
    return [a for a in analyses if (not only or a.id in only) and a.id not in skip]
