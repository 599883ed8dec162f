"""The whole flow: files -> usage (deduplicated) -> priced_usage -> analyses -> Report."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from finops import analysis, ingest, overview, pricing, sections, stacking
from finops.errors import IngestError
from finops.report import Report
from finops.schema import NAMES


def _write_rejects(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """Write every rejected record (file, line, reason) as CSV; returns how many."""
    cursor = con.execute("SELECT source_file, source_line, reason FROM rejects ORDER BY ALL")  # a line can have two
    count = 0
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["file", "line", "reason"])
        while batch := cursor.fetchmany(10_000):
            writer.writerows(batch)
            count += len(batch)
    return count


class NoUsableInput(IngestError):
    """Nothing could be loaded. The message says why in one line; the rejects can still be written."""

    def __init__(self, message: str, con: duckdb.DuckDBPyConnection) -> None:
        super().__init__(message)
        self._con = con
        self.rejected = con.execute("SELECT count(*) FROM rejects").fetchone()[0]  # type: ignore[index]

    def write_rejects(self, path: Path) -> int:
        """Write the rejected records (file, line, reason) as CSV, then release the tables."""
        try:
            return _write_rejects(self._con, path) if self.rejected else 0
        finally:
            self._con.close()


def _nothing_loaded(result: ingest.IngestResult) -> str:
    """One line on why nothing was loaded: the commonest reject reasons and the first file-level error."""
    if not result.files:
        return (f"no usable input: {len(result.skipped)} file(s) skipped, none in a known format"
                " (run `finops formats` to see what is read)")
    read = sum(f.rows_read for f in result.files)
    reasons: dict[str, int] = {}
    for f in result.files:
        for reason, rows in f.reasons.items():
            reasons[reason] = reasons.get(reason, 0) + rows
    parts = [f"no usable input: {read} record(s) read from {len(result.files)} file(s), none loaded"]
    if reasons:
        top = sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        parts.append("rejected: " + ", ".join(f"{reason} ({rows})" for reason, rows in top))
    ignored = sum(f.lines_ignored for f in result.files)
    if ignored and not read:
        parts.append(f"{ignored} line(s) ignored: none is a usage record (e.g. user turns, summaries, other models)")
    errors = [f"{Path(f.path).name}: {f.error}" for f in result.files if f.error]
    if errors:
        parts.append(errors[0] + (f" (and {len(errors) - 1} more file errors)" if len(errors) > 1 else ""))
    return "; ".join(parts)


@dataclass
class Audit:
    """A finished run: the Report plus the DuckDB connection that holds its tables (for rejects and exports)."""

    report: Report
    con: duckdb.DuckDBPyConnection

    def write_rejects(self, path: Path) -> int:
        """Write every rejected record (file, line, reason) as CSV; returns how many."""
        return _write_rejects(self.con, path)

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
    organisation: str = "",
    progress: Callable[[Path, int], None] | None = None,
    month: str | None = None,
    db: Path | None = None,
    tolerance: Decimal | None = None,
    names: dict[str, dict[str, str]] | None = None,
    minor_finding_share: Decimal | None = None,
    engine: str = "duckdb",
    spark: Any = None,
    from_parquet: Path | None = None,
) -> Audit:
    """Read, normalise, price and analyse the given files and folders.

    With db (a store made by `finops ingest`), the paths are first added to the store, then the report is made
    from the store: only the given month's usage when month is given; inputs and accounting from its files table.
    tolerance: the reconciliation's pass/fail tolerance, a share of the bill (finops/reconcile.py; default 1%).
    names: workspace and API key names for ids ({"workspaces": {id: name}, "api_keys": ...}; finops/names.py);
    names files among the paths or next to them (finops-names.toml, written by `finops pull`) add to them, and
    these win over the files.
    minor_finding_share: findings saving less than this share of spend share one table (finops/summary.py).
    engine: "spark" reads, prices and analyses on the SparkSession `spark` (finops/spark_pipeline.py), from the
    paths or from a `finops export parquet` folder (from_parquet); the report's queries run there too.
    """
    from finops import names as naming
    from finops import store

    paths = list(paths)
    from finops.spark_files import is_url

    local = [p for p in paths if not is_url(p)]  # URLs (--engine spark): no names files looked for there
    names = naming.merge(names or {}, *(naming.read_file(p) for p in naming.discover(local)))

    con = work_connection(prices_file)
    every = analysis.load_all()
    analyses = _select(every, set(only), set(skip))
    params = params or {}
    analysis.check_overrides(params, every)  # before reading anything: an unknown id or name is an error
    if engine == "spark":
        from finops import spark_engine, spark_pipeline

        if db is not None:
            raise IngestError("--engine spark does not read a store (--db) yet: give the files, or the store's "
                              "`finops export parquet` folder with --from-parquet")
        if spark is None:
            raise IngestError("--engine spark needs a SparkSession")
        spark_engine.register_reference_tables(spark, con)
        result = spark_pipeline.load(spark, paths, names, from_parquet)
        spark_pipeline.driver_tables(con)
        con = spark_pipeline.queries(spark, con)  # type: ignore[assignment]  # the report's queries: in Spark
    elif db is not None:
        if paths:
            store.ingest(paths, db, progress)
        result = store.attach(con, db, month)
        names = naming.merge(names, store.kept_names(con))  # the names files ingested before, kept by the store
    else:
        result = ingest.load(paths, con, progress)
    loaded = sum(f.rows_loaded for f in result.files)
    if from_parquet is not None:  # an export keeps no accounting of its files: its rows are what was loaded
        loaded = con.execute("SELECT count(*) FROM usage").fetchone()[0]  # type: ignore[index]
    if loaded == 0:
        raise NoUsableInput(_nothing_loaded(result), con)
    if engine != "spark" and loaded < SMALL_RUN_ROWS:
        con.execute("SET threads = 1")  # the rest of the run on one thread: its queries are planning, not rows
    if engine != "spark":  # Spark named and priced its rows already
        if names:
            naming.apply(con, names)
    with one_thread(con if engine != "spark" and db is None else None):
        if engine != "spark":
            pricing.price_usage(con)
            if db is None:  # a store's usage is a view already
                _usage_from_priced(con)
        # The macros on the driver (bound to its empty tables); the report queries run in Spark expand them.
        analysis.prepare(con.local if engine == "spark" else con)  # type: ignore[attr-defined]
        totals = overview.totals(con)  # before the analyses: severity is weighed against spend
        if engine == "spark":
            found = spark_pipeline.run_analyses(spark, con, analyses, params, totals.billed_cost)
        else:
            found = [f for a in analyses
                     if (f := analysis.run(con, a, params.get(a.id), spend=totals.billed_cost)) is not None]
    if engine == "spark":  # the records touched by several findings replayed where they are
        stacked = stacking.stack(con, found, replay=spark_pipeline.replay_on_executors)
    else:
        stacked = stacking.stack(con, found)
    findings = [replace(f, stacked_savings=stacked.get(f.id, Decimal(0))) for f in found]
    standalone = sum((f.savings for f in findings), Decimal(0))
    start, end = overview.period(con)
    bills = overview.bill_only(con)
    notes = []
    if bills:  # no usage to analyse: the period is the bills', and the report says so rather than "$0 spend"
        start, end = bills["period_start"], bills["period_end"]
        tax = f", ${bills['tax_cost']:,.2f} tax" if bills["tax_cost"] else ""
        notes.append(f"Only bills were read ({bills['bill_lines']} bill lines, ${bills['billed_cost']:,.2f} billed"
                     f"{tax}): there is no usage to analyse. Spend by model, findings and savings need logs or "
                     "usage reports.")
    report = Report(
        generated_at=now,
        period_start=start,
        period_end=end,
        inputs=result.files,
        skipped=result.skipped,
        totals=totals,
        unpriced=overview.unpriced(con),
        spend_by_model=overview.by_model(con),
        spend_by_month=overview.by_month(con),
        spend_by=overview.by_attribution(con),
        findings=sorted(findings, key=lambda f: (-f.savings, f.id)),
        savings_standalone=standalone,
        savings_stacked=sum(stacked.values(), Decimal(0)),
        prices=overview.price_rows(con),
        params={a.id: analysis.coerce_params(a, params.get(a.id, {})) for a in analyses},
        quality={**overview.quality(con), **_store_quality(con, db)},
        organisation=organisation,
        notes=notes,
        bill_only=bills,
        options={**({"month": month} if month else {}),
                 **({"tolerance": tolerance} if tolerance is not None else {}),
                 **({"minor_finding_share": minor_finding_share} if minor_finding_share is not None else {})},
    )
    report = replace(report, sections=sections.build_all(con, report))
    return Audit(report=report, con=con)


def work_connection(prices_file: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A run's DuckDB connection before anything is read: bounded memory, its tables in a work file, the price tables
    installed (bench/run.py reads with one made the same way)."""
    from finops import store

    con = duckdb.connect()
    store.configure(con)
    store.work_in_file(con)  # compressed tables: peak memory that does not grow with the rows
    pricing.install(con, prices_file)  # first, so a bad --prices file fails before a long read
    return con


# Below this many rows loaded, a run's queries (pricing, the analyses, stacking and every report section: some 60)
# take longer to plan than to run, and DuckDB's second thread only adds its hand-offs: the rest of the run holds
# one thread. A 4-line transcript: 0.42 -> 0.40 CPU-s a run, sample_logs/ 1.26 -> 1.19 (alternated, 3 runs
# each); 1 GB of transcripts (158K rows) on one thread from there took as long as on two. Outputs do not depend on
# it (tests/test_determinism.py compares one thread with eight).
SMALL_RUN_ROWS = 50_000


@contextmanager
def one_thread(con: duckdb.DuckDBPyConnection | None) -> Iterator[None]:
    """Run DuckDB on one thread inside (pricing and the analyses of a run that reads files), then as before.

    Peak memory: a second thread holds what grows with the rows (its own row group of `priced_usage` being written,
    its share of the windows' sorts) and what it allocated while reading, which it keeps until it ends (setting one
    thread ends it). On 1 GB of request logs the peak fell from about 355 to 290 MiB, on transcripts from 359 to
    305 (bench/RESULTS.md, Memory); CPU seconds are the same, wall time loses the second core. Not for a store
    (--db), priced and analysed against a time target, nor for Spark."""
    if con is None:
        yield
        return
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]  # type: ignore[index]
    con.execute("SET threads = 1")
    try:
        yield
    finally:
        con.execute(f"SET threads = {int(threads)}")


def _usage_from_priced(con: duckdb.DuckDBPyConnection) -> None:
    """Free the `usage` table once priced: priced_usage holds its every row and column, so `usage` becomes a view of
    them (peak memory: the two tables were held side by side through the analyses). Only when priced_usage is
    provably the same rows: as many as usage, each record id once (usage holds one row per record id)."""
    usage, priced, records = con.execute(
        "SELECT (SELECT count(*) FROM usage), count(*), count(DISTINCT record_id) FROM priced_usage").fetchone()
    if usage == priced == records:
        con.execute("DROP TABLE usage")
        con.execute(f"CREATE VIEW usage AS SELECT {', '.join(NAMES)} FROM priced_usage")


def _store_quality(con: duckdb.DuckDBPyConnection, db: Path | None) -> dict[str, Any]:
    """A store's data-quality facts: how many of its files the last ingest did not see (their rows are kept)."""
    from finops import store

    if db is None or (missing := store.files_not_seen(con)) is None:
        return {}
    return {"files_not_seen_in_last_ingest": missing}


def _select(analyses: list[analysis.Analysis], only: set[str], skip: set[str]) -> list[analysis.Analysis]:
    known = {a.id for a in analyses}
    for name in sorted((only | skip) - known):
        from finops.errors import AnalysisError, unknown

        raise AnalysisError(unknown("analysis id", name, known))
    return [a for a in analyses if (not only or a.id in only) and a.id not in skip]
