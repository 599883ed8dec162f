"""The `finops` command: parse, call the library, print. Errors are mapped to messages in one place."""

from __future__ import annotations

import errno
import os
import sys
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import click
import duckdb

from . import __version__, analysis, config, ingest, names, pricing
from .errors import FinopsError, IngestError, ReportError, first_line
from .models import known_models

FORMATS = ("pdf", "html", "json", "csv", "md")
EVIDENCE_FORMATS = ("pdf", "html", "json", "csv")


class FinopsGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (FinopsError, duckdb.OutOfMemoryException) as e:  # out of memory: FINOPS_MEMORY_LIMIT too low
            if "--debug" in sys.argv:
                raise
            raise click.ClickException(str(e) if isinstance(e, FinopsError) else out_of_memory(e)) from e


def out_of_memory(error: Exception) -> str:
    """One line for DuckDB running out of the memory FINOPS_MEMORY_LIMIT allows (its first line quoted)."""
    from .store import DEFAULT_MEMORY_LIMIT

    limit = os.environ.get("FINOPS_MEMORY_LIMIT")
    setting = f"FINOPS_MEMORY_LIMIT={limit}" if limit else f"the default FINOPS_MEMORY_LIMIT of {DEFAULT_MEMORY_LIMIT}"
    return (f"out of memory under {setting} ({first_line(error)}): raise FINOPS_MEMORY_LIMIT, "
            "e.g. FINOPS_MEMORY_LIMIT=2GB")


@click.group(cls=FinopsGroup)
@click.version_option(__version__, prog_name="finops")
def cli() -> None:
    """Audit Claude API spend from logs and billing files, and show how to spend less."""
    from .store import prefer_memory_to_speed

    ingest.use_worker_processes()
    prefer_memory_to_speed()  # when FINOPS_MEMORY_LIMIT is below its default


def _formats(value: str, allowed: tuple[str, ...] = FORMATS) -> list[str]:
    chosen = [f.strip().lower() for f in value.split(",") if f.strip()]
    bad = [f for f in chosen if f not in allowed]
    if bad or not chosen:
        raise click.BadParameter(f"choose from {', '.join(allowed)} (comma-separated)")
    return chosen


def parse_tolerance(value: Any) -> Decimal:
    """'1%', '0.5 %' or '0.01' as a share (Decimal); a share must be from 0 to 1."""
    text = str(value).strip()
    try:
        share = Decimal(text[:-1].strip()) / 100 if text.endswith("%") else Decimal(text)
    except InvalidOperation:
        raise FinopsError(f"tolerance {text!r} is not a share: use e.g. 1% or 0.01") from None
    if not share.is_finite() or not 0 <= share <= 1:
        raise FinopsError(f"tolerance {text!r} must be between 0% and 100%")
    return share


def _tolerance(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return parse_tolerance(value)
    except FinopsError as e:
        raise click.BadParameter(str(e)) from None


def _tolerance_setting(settings: dict[str, Any]) -> Decimal | None:
    section = settings.get("reconciliation")
    if isinstance(section, dict) and section.get("tolerance") is not None:
        return parse_tolerance(section["tolerance"])
    return None


def _month(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    from .comparison import MONTH

    if value is not None and not MONTH.match(value):
        raise click.BadParameter(f"{value!r} is not a month: use YYYY-MM, e.g. 2026-10")
    return value


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path), default=Path("report"),
              show_default=True, help="Folder for the report files.")
@click.option("--db", type=click.Path(path_type=Path, dir_okay=False),
              help="Report from this store (made by `finops ingest`), adding PATHS to it first; with --month, "
                   "only that month's usage.")
@click.option("--format", "formats", default="pdf,html,json", show_default=True,
              help="Outputs to write, comma-separated: pdf, html, json, csv (findings.csv, finding_evidence.csv, "
                   "evidence.csv), md (summary.md).")
@click.option("--only", multiple=True, help="Run only this analysis (repeatable).")
@click.option("--skip", multiple=True, help="Skip this analysis (repeatable).")
@click.option("--param", "param_args", multiple=True, metavar="ID.NAME=VALUE",
              help="Override an analysis threshold, e.g. legacy_model.min_savings_usd=10.")
@click.option("--prices", "prices_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Negotiated rates: a CSV shaped like `finops prices --csv` that overrides list rates.")
@click.option("--organisation", help="Name on the report cover.")
@click.option("--month", metavar="YYYY-MM", callback=_month,
              help="Month for the month-over-month section (compared with the month before); "
                   "default: the last full month in the data.")
@click.option("--tolerance", metavar="PCT", callback=_tolerance,
              help="Reconciliation with the bill: the largest usage gap that still passes, as a share of the "
                   "bill, e.g. 1% or 0.01 (default 1%; also `tolerance` under [reconciliation] in finops.toml).")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True,
              help="Where reading, pricing and the analyses run: DuckDB on this machine, or Apache Spark "
                   "(pip install 'finops[spark]'; local mode unless --spark-master or --spark-remote).")
@click.option("--spark-master", metavar="URL",
              help="With --engine spark: the cluster to run on (spark://HOST:7077, yarn, k8s://...; "
                   "default local[*], or the master of your SPARK_* / spark-defaults settings).")
@click.option("--spark-remote", metavar="sc://HOST:15002",
              help="With --engine spark: a Spark Connect server (pip install 'finops[spark-connect]').")
@click.option("--from-parquet", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="With --engine spark: read a store exported by `finops export parquet` instead of PATHS.")
@click.option("--quiet", is_flag=True, help="Print only the paths written.")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def analyze(paths: tuple[Any, ...], out_dir: Path, db: Path | None, formats: str, only: tuple[str, ...],
            skip: tuple[str, ...], param_args: tuple[str, ...], prices_file: Path | None, organisation: str | None,
            month: str | None, tolerance: Decimal | None, engine: str, spark_master: str | None,
            spark_remote: str | None, from_parquet: Path | None, quiet: bool,
            debug: bool) -> None:
    """Read logs and billing files, price every token, find waste, write the report.

    PATHS are files or folders (read recursively, .gz too); each file's format is detected from its content.
    With --engine spark they may also be URLs Spark reads (file://, s3a://, gs://, abfss://, dbfs:/).

    \b
    Example:
        finops analyze sample_logs/ -o report/
        finops analyze sample_logs/ -o report/ --engine spark
        finops analyze s3a://bucket/claude-logs/ -o report/ --engine spark
    """
    chosen = _formats(formats)
    settings = config.load(Path.cwd())
    params: dict[str, dict[str, Any]] = {k: dict(v) for k, v in settings.get("params", {}).items()}
    for text in param_args:
        analysis_id, name, value = config.parse_param(text)
        params.setdefault(analysis_id, {})[name] = value
    if prices_file is None and settings.get("prices"):
        prices_file = Path(settings["prices"])
    if engine == "duckdb" and (spark_master or spark_remote or from_parquet):
        raise click.UsageError("--spark-master, --spark-remote and --from-parquet need --engine spark")
    if from_parquet and paths:
        raise click.UsageError("give PATHS or --from-parquet DIR, not both")
    if not paths and db is None and from_parquet is None:
        raise click.UsageError("give PATHS (files or folders) or --db STORE")
    paths = _inputs(paths, engine)
    for path in paths:
        if isinstance(path, Path) and not path.exists():
            raise click.BadParameter(f"{path}: no such file or folder", param_hint="PATHS")
    _prepare(out_dir)
    if "pdf" in chosen:  # before a long read: no fonts or no Pango is a one-line error now, not a crash later
        from finops.reports import check_renderer

        check_renderer()
    spark_args: dict[str, Any] = {}
    if engine == "spark":
        from . import spark_pipeline

        spark_args = {"engine": engine, "spark": spark_pipeline.connect(spark_master, spark_remote),
                      "from_parquet": from_parquet}
    _analyze(paths, out_dir, chosen, settings, params, prices_file, only, skip, organisation, month, db,
             tolerance, quiet, spark_args)


def _inputs(paths: tuple[str, ...], engine: str) -> tuple[Any, ...]:
    """PATHS as given: local paths, and with --engine spark URLs Spark reads (s3a://bucket/logs/), kept as text
    (a Path would fold their slashes)."""
    if engine != "spark":
        return tuple(Path(p) for p in paths)
    from .spark_files import is_url

    return tuple(p if is_url(p) else Path(p) for p in paths)


def _analyze(paths: tuple[Path, ...], out_dir: Path, chosen: list[str], settings: dict[str, Any],
             params: dict[str, dict[str, Any]], prices_file: Path | None, only: tuple[str, ...],
             skip: tuple[str, ...], organisation: str | None, month: str | None, db: Path | None,
             tolerance: Decimal | None, quiet: bool, spark_args: dict[str, Any]) -> None:
    """Run the audit and write the report (the work of `finops analyze`, once its options are checked)."""
    from . import pipeline
    from .terminal import Progress, print_summary

    try:
        # Spark reads on its executors: no file-by-file progress to show.
        with Progress(paths, enabled=not (quiet or spark_args)) as progress:
            audit = pipeline.run(
                paths, now=datetime.now(UTC).replace(tzinfo=None), params=params, prices_file=prices_file,
                only=only, skip=skip,
                organisation=organisation or settings.get("organisation") or "",
                progress=progress.advance, month=month, db=db,
                tolerance=tolerance if tolerance is not None else _tolerance_setting(settings),
                names=names.from_settings(settings),
                minor_finding_share=config.minor_finding_share(settings),
                **spark_args,
            )
    except pipeline.NoUsableInput as e:
        # Still say, line by line, what was rejected and why: the reason nothing could be used.
        rejects = _publish(out_dir, "rejects.csv", e.write_rejects) if e.rejected else None
        if rejects is None:
            raise
        raise IngestError(f"{e}; each rejected record is listed in {rejects}") from e
    try:
        written = _write(audit, out_dir, chosen)
    finally:
        audit.close()
    if quiet:
        for path in written:
            click.echo(path)
    else:
        print_summary(audit.report, written)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path), default=Path("evidence"),
              show_default=True, help="Folder for the evidence files.")
@click.option("--format", "formats", default="pdf,html,json,csv", show_default=True,
              help="Outputs to write, comma-separated: pdf, html, json, csv (evidence.pdf, .html, .json, .csv).")
@click.option("--param", "param_args", multiple=True, metavar="ID.NAME=VALUE",
              help="Override an analysis threshold (the savings shape the optimised baseline).")
@click.option("--prices", "prices_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Negotiated rates: a CSV shaped like `finops prices --csv` that overrides list rates.")
@click.option("--organisation", help="Name on the cover.")
@click.option("--quiet", is_flag=True, help="Print only the paths written.")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def evidence(paths: tuple[Path, ...], out_dir: Path, formats: str, param_args: tuple[str, ...],
             prices_file: Path | None, organisation: str | None, quiet: bool, debug: bool) -> None:
    """Write the negotiation evidence pack alone: consumption, trend, effective prices, forecast, commitments.

    It runs the whole audit (the optimised baseline needs the findings' savings) and writes only the pack:
    evidence.pdf, evidence.html, evidence.json and evidence.csv (monthly consumption, exact token counts).

    \b
    Example:
        finops evidence sample_logs/ -o evidence/
    """
    from . import outputs, pipeline

    chosen = _formats(formats, EVIDENCE_FORMATS)
    settings = config.load(Path.cwd())
    params: dict[str, dict[str, Any]] = {k: dict(v) for k, v in settings.get("params", {}).items()}
    for text in param_args:
        analysis_id, name, value = config.parse_param(text)
        params.setdefault(analysis_id, {})[name] = value
    if prices_file is None and settings.get("prices"):
        prices_file = Path(settings["prices"])
    for path in paths:
        if not path.exists():
            raise click.BadParameter(f"{path}: no such file or folder", param_hint="PATHS")
    _prepare(out_dir)
    if "pdf" in chosen:
        from finops.reports import check_renderer

        check_renderer()
    audit = pipeline.run(paths, now=datetime.now(UTC).replace(tzinfo=None), params=params,
                         prices_file=prices_file,
                         organisation=organisation or settings.get("organisation") or "",
                         names=names.from_settings(settings))
    try:
        report = audit.report
        written: list[Path | None] = []
        if "json" in chosen:
            written.append(_publish(out_dir, "evidence.json",
                                    lambda p: p.write_text(outputs.evidence_json(report), encoding="utf-8")))
        if "csv" in chosen:
            written.append(_publish(out_dir, "evidence.csv", lambda p: outputs.write_evidence_csv(report, p) or None))
        if "html" in chosen or "pdf" in chosen:
            from finops.reports import render_evidence_html, render_pdf

            if "html" in chosen:
                written.append(_publish(out_dir, "evidence.html", lambda p: p.write_text(
                    render_evidence_html(report, for_print=False), encoding="utf-8")))
            if "pdf" in chosen:
                pdf = render_pdf(render_evidence_html(report))
                written.append(_publish(out_dir, "evidence.pdf", lambda p: p.write_bytes(pdf)))
    finally:
        audit.close()
    for path in written:
        if path is not None:
            click.echo(path if quiet else f"Wrote {path}")


def _prepare(out_dir: Path) -> None:
    from . import outputs

    try:
        outputs.ensure_writable(out_dir)
    except OSError as e:
        raise ReportError(_cannot_write(out_dir, e)) from e


def _publish(out_dir: Path, name: str, write: Any) -> Path | None:
    """Write out_dir/name through a temporary file in the same folder, renamed into place when complete.

    A failed write (disk full) leaves no half-written report, and a symlink planted at the name is replaced,
    never followed: nothing is written outside the output folder. `write(path)` returns falsy for "nothing to
    write", and then an older file of that name is removed so that it cannot mislead.
    """
    final = out_dir / name
    tmp = out_dir / f".{name}.tmp"
    try:
        tmp.unlink(missing_ok=True)  # a planted symlink here is removed, not written through
        wrote = write(tmp)
        if wrote is not None and not wrote:
            final.unlink(missing_ok=True)
            return None
        os.replace(tmp, final)
    except OSError as e:
        raise ReportError(_cannot_write(out_dir, e)) from e
    finally:
        tmp.unlink(missing_ok=True)
    return final


def _cannot_write(out_dir: Path, e: OSError) -> str:
    remedy = ("free some space or choose another folder with -o" if e.errno in (errno.ENOSPC, errno.EDQUOT)
              else "choose another folder with -o")
    return f"cannot write to {out_dir}: {e.strerror or e}; {remedy}"


def _write(audit: Any, out_dir: Path, chosen: list[str]) -> list[Path]:
    from .report import to_json

    written = [_publish(out_dir, "rejects.csv", audit.write_rejects)]
    if "json" in chosen:
        written.append(_publish(out_dir, "report.json",
                                lambda p: p.write_text(to_json(audit.report), encoding="utf-8")))
    if "html" in chosen or "pdf" in chosen:
        from finops.reports import render_html, render_pdf

        if "html" in chosen:
            written.append(_publish(out_dir, "report.html", lambda p: p.write_text(
                render_html(audit.report, for_print=False), encoding="utf-8")))
        if "pdf" in chosen:
            pdf = render_pdf(render_html(audit.report))
            written.append(_publish(out_dir, "report.pdf", lambda p: p.write_bytes(pdf)))
    if "csv" in chosen:
        from . import outputs

        written.append(_publish(out_dir, "findings.csv", lambda p: outputs.write_findings_csv(audit.report, p)
                                or None))
        written.append(_publish(out_dir, "finding_evidence.csv",
                                lambda p: outputs.write_finding_evidence_csv(audit.report, p) or None))
        if "evidence" in audit.report.sections:
            written.append(_publish(out_dir, "evidence.csv",
                                    lambda p: outputs.write_evidence_csv(audit.report, p) or None))
    if "md" in chosen:
        from . import outputs

        written.append(_publish(out_dir, "summary.md", lambda p: p.write_text(
            outputs.summary_markdown(audit.report), encoding="utf-8")))
    return [p for p in written if p is not None]


@cli.command()
@click.option("--csv", "as_csv", is_flag=True, help="Print the table as CSV (the shape --prices accepts).")
@click.option("--model", help="Only this canonical model id.")
def prices(as_csv: bool, model: str | None) -> None:
    """Print the dated price table ($ per million tokens) and the pricing rules.

    \b
    Example:
        finops prices --model claude-opus-4-1
    """
    from importlib.resources import files

    text = files("finops").joinpath("data/prices.csv").read_text(encoding="utf-8")
    rows = pricing.read_price_file(text, "prices.csv", known_models())
    if model:
        rows = [r for r in rows if r.model == model]
        if not rows:
            raise FinopsError(f"no prices for {model!r}; known models: {', '.join(sorted(known_models()))}")
    if as_csv:
        click.echo("platform,model,variant,valid_from,input,cache_write_5m,cache_write_1h,cache_read,output,"
                   "threshold,source,note")
        for r in rows:
            rates = [("" if x is None else str(x)) for x in r.rates] if r.rates else [""] * 5
            click.echo(",".join([r.platform, r.model, r.variant, r.valid_from.isoformat(), *rates,
                                 str(r.threshold or ""), f'"{r.source}"', f'"{r.note}"']))
        return
    from .terminal import print_prices

    print_prices(rows)


@cli.command("formats")
def formats_command() -> None:
    """List the input formats finops reads (detected from each file's content)."""
    found = ingest.formats()
    width = max(len(fmt) for fmt in found)
    for fmt, label in found.items():
        click.echo(f"{fmt:{width}}  {label}")


@cli.command("list-analyses")
def list_analyses() -> None:
    """List the analyses, their parameters and defaults."""
    for a in analysis.load_all():
        params = ", ".join(f"{k}={v}" for k, v in a.params.items()) or "no parameters"
        click.echo(f"{a.id:22} {a.confidence:9} {a.title}  ({params})")


@cli.command("sql")
@click.option("--dialect", type=click.Choice(["spark", "bigquery", "trino", "snowflake", "duckdb"]),
              default="spark", show_default=True, help="SQL dialect of the warehouse that runs it.")
@click.option("--only", multiple=True, help="Print only this analysis (repeatable); pricing is always printed.")
@click.option("--param", "param_args", multiple=True, metavar="ID.NAME=VALUE",
              help="Override an analysis threshold, e.g. legacy_model.min_savings_usd=10.")
@click.option("--tables", "tables_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Also write the reference tables the SQL reads (price_pivot, prices, models, pricing_rules) "
                   "as Parquet files in this folder.")
@click.option("--prices", "prices_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Negotiated rates for --tables: a CSV shaped like `finops prices --csv`.")
def sql_command(dialect: str, only: tuple[str, ...], param_args: tuple[str, ...], tables_dir: Path | None,
                prices_file: Path | None) -> None:
    """Print the pricing and analysis SQL for your own warehouse, reading the usage table of `finops export
    parquet`.

    \b
    Example:
        finops sql --dialect spark --tables reference/ > finops.sql
    """
    from . import dialects

    settings = config.load(Path.cwd())
    params: dict[str, dict[str, Any]] = {k: dict(v) for k, v in settings.get("params", {}).items()}
    for text in param_args:
        analysis_id, name, value = config.parse_param(text)
        params.setdefault(analysis_id, {})[name] = value
    text = dialects.script(dialect, params, only)
    if tables_dir is not None:
        _write_reference_tables(tables_dir, prices_file)
    click.echo(text, nl=False)


def _write_reference_tables(out_dir: Path, prices_file: Path | None) -> None:
    import duckdb
    import pyarrow.parquet as pq

    from .spark_engine import REFERENCE_TABLES

    con = duckdb.connect()
    try:
        pricing.install(con, prices_file)
        out_dir.mkdir(parents=True, exist_ok=True)
        for name in REFERENCE_TABLES:
            pq.write_table(con.sql(f"SELECT * FROM {name}").to_arrow_table(), out_dir / f"{name}.parquet")
    except OSError as e:
        raise FinopsError(f"{out_dir}: {e.strerror or e}") from e
    finally:
        con.close()


@cli.group()
def export() -> None:
    """Export the normalised usage for other tools (FOCUS, Parquet)."""


@export.command("focus")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="The FOCUS file to write: .csv or .parquet.")
@click.option("--prices", "prices_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Negotiated rates (ContractedCost): a CSV shaped like `finops prices --csv`.")
@click.option("--focus-version", "focus_version", type=click.Choice(["1.2", "1.3", "1.4"]), default="1.4",
              show_default=True, help="The FOCUS version to write.")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def export_focus(paths: tuple[Path, ...], out: Path, prices_file: Path | None, focus_version: str,
                 debug: bool) -> None:
    """Write the normalised, priced usage as FOCUS 1.4, 1.3 or 1.2 (CSV or Parquet, by the file's extension).

    Every mandatory column of the version, one row per usage row and token class, tokens as
    PricingQuantity (1000000 Tokens) and ConsumedQuantity (Tokens); finops's own columns are prefixed x_.

    \b
    Example:
        finops export focus sample_logs/ -o focus.parquet
    """
    from . import focus

    for path in paths:
        if not path.exists():
            raise click.BadParameter(f"{path}: no such file or folder", param_hint="PATHS")
    if prices_file is None and config.load(Path.cwd()).get("prices"):
        prices_file = Path(config.load(Path.cwd())["prices"])
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise click.BadParameter(f"{out}: name the file .csv or .parquet", param_hint="-o")
    tmp = out.with_name(f".{out.stem}.tmp{out.suffix}")  # the extension says the format
    try:
        rows, unpriced = focus.export(list(paths), tmp, prices_file, focus_version)
        os.replace(tmp, out)
    except OSError as e:
        raise ReportError(_cannot_write(out.parent, e)) from e
    finally:
        tmp.unlink(missing_ok=True)
    note = f"; {unpriced} unpriced row(s) left out (FOCUS costs cannot be null)" if unpriced else ""
    click.echo(f"{rows} FOCUS {focus_version} rows written to {out}{note}")


@export.command("parquet")
@click.option("--db", type=click.Path(path_type=Path, dir_okay=False),
              help="The store to export (made by `finops ingest`).")
@click.argument("args", nargs=-1, required=True, metavar="[PATHS]... OUT_DIR")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True,
              help="spark: read PATHS on Spark and write OUT_DIR from Spark (no store).")
@click.option("--spark-master", metavar="URL", help="With --engine spark: the cluster to run on.")
@click.option("--spark-remote", metavar="sc://HOST:15002", help="With --engine spark: a Spark Connect server.")
def export_parquet(db: Path | None, args: tuple[str, ...], engine: str, spark_master: str | None,
                   spark_remote: str | None) -> None:
    """Write usage as Hive-partitioned Parquet: OUT_DIR/month=YYYY-MM/platform=NAME/*.parquet.

    From a store (--db), or with --engine spark from files and folders read on Spark (PATHS may be URLs
    Spark reads: s3a://, gs://, abfss://, dbfs:/, file://; so may OUT_DIR). The columns are the usage table's
    (README: "The usage table"), so Spark, Trino, Athena or BigQuery can query the same data, and
    `finops analyze --engine spark --from-parquet OUT_DIR` reads it back.

    \b
    Example:
        finops export parquet --db usage.duckdb warehouse/usage/
        finops export parquet --engine spark s3a://bucket/claude-logs/ s3a://bucket/finops/usage/
    """
    *raw, out = args
    if engine == "duckdb":
        if spark_master or spark_remote:
            raise click.UsageError("--spark-master and --spark-remote need --engine spark")
        if db is None or raw:
            raise click.UsageError("give --db STORE and OUT_DIR (or PATHS... OUT_DIR with --engine spark)")
        from . import store

        rows = store.export_parquet(db, Path(out))
        click.echo(f"{rows} rows written to {out}")
        return
    if db is not None or not raw:
        raise click.UsageError("--engine spark reads PATHS, not a store: give PATHS... OUT_DIR")
    from . import spark_pipeline
    from .spark_files import is_url

    paths = _inputs(tuple(raw), engine)
    for path in paths:
        if isinstance(path, Path) and not path.exists():
            raise click.BadParameter(f"{path}: no such file or folder", param_hint="PATHS")
    rows, result = spark_pipeline.export_parquet(spark_pipeline.connect(spark_master, spark_remote), paths,
                                                 out if is_url(out) else Path(out))
    rejected = sum(f.rows_rejected for f in result.files)
    duplicates = sum(f.rows_duplicate for f in result.files)
    click.echo(f"{len(result.files)} file(s) read, {len(result.skipped)} skipped; {rows} rows written to {out}, "
               f"{rejected} rejected, {duplicates} duplicate(s) dropped")
    for stats in result.files:  # why rows were rejected, by file (the reasons a local ingest counts)
        for reason, n in stats.reasons.items():
            click.echo(f"  {stats.path}: {n} rejected: {reason}", err=True)


@cli.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--db", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="The store file (DuckDB); created when missing.")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True,
              help="spark: read the files on Apache Spark's executors; the store is filled on this machine, "
                   "as with duckdb (pip install 'finops[spark]'; local mode unless --spark-master or --spark-remote).")
@click.option("--spark-master", metavar="URL",
              help="With --engine spark: the cluster to run on (spark://HOST:7077, yarn, k8s://...; "
                   "default local[*], or the master of your SPARK_* / spark-defaults settings).")
@click.option("--spark-remote", metavar="sc://HOST:15002",
              help="With --engine spark: a Spark Connect server (pip install 'finops[spark-connect]').")
@click.option("--quiet", is_flag=True, help="Print nothing on success.")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def ingest_command(paths: tuple[str, ...], db: Path, engine: str, spark_master: str | None,
                   spark_remote: str | None, quiet: bool, debug: bool) -> None:
    """Add files to a persistent store, incrementally; `finops analyze --db` reports from it.

    Files already loaded (same path, size and content hash) are skipped; records already in the store are not
    added twice; each file is loaded in its own transaction, so an interrupted ingest can simply be run again.
    With --engine spark the files are read on Spark (PATHS may also be URLs Spark reads: file://, s3a://, gs://,
    abfss://, dbfs:/) and the store is filled the same way.

    \b
    Example:
        finops ingest ~/.claude/projects/ --db usage.duckdb
        finops ingest s3a://bucket/claude-logs/ --db usage.duckdb --engine spark
    """
    from . import store

    if engine == "duckdb" and (spark_master or spark_remote):
        raise click.UsageError("--spark-master and --spark-remote need --engine spark")
    inputs = _inputs(paths, engine)
    for path in inputs:
        if isinstance(path, Path) and not path.exists():
            raise click.BadParameter(f"{path}: no such file or folder", param_hint="PATHS")
    if engine == "spark":
        from . import spark_pipeline, spark_store

        summary = spark_store.ingest(lambda: spark_pipeline.connect(spark_master, spark_remote), inputs, db)
    else:
        summary = store.ingest(inputs, db)
    if not quiet:
        rejected = sum(f.rows_rejected for f in summary.loaded)
        click.echo(f"{len(summary.loaded)} file(s) loaded, {summary.unchanged} unchanged, "
                   f"{len(summary.skipped)} skipped; {summary.rows_added} rows added, {rejected} rejected -> {db}")


from .pull.command import pull  # noqa: E402 (the command group lives with its package)

cli.add_command(pull)
