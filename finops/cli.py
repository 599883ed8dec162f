"""The `finops` command: parse, call the library, print. Errors are mapped to messages in one place."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from . import __version__, analysis, config, ingest, pricing
from .errors import FinopsError, ReportError
from .models import known_models

FORMATS = ("pdf", "html", "json")


class FinopsGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FinopsError as e:
            if "--debug" in sys.argv:
                raise
            raise click.ClickException(str(e)) from e


@click.group(cls=FinopsGroup)
@click.version_option(__version__, prog_name="finops")
def cli() -> None:
    """Audit Claude API spend from logs and billing files, and show how to spend less."""


def _formats(value: str) -> list[str]:
    chosen = [f.strip().lower() for f in value.split(",") if f.strip()]
    bad = [f for f in chosen if f not in FORMATS]
    if bad or not chosen:
        raise click.BadParameter(f"choose from {', '.join(FORMATS)} (comma-separated)")
    return chosen


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path), default=Path("report"),
              show_default=True, help="Folder for the report files.")
@click.option("--format", "formats", default="pdf,html,json", show_default=True,
              help="Outputs to write, comma-separated: pdf, html, json.")
@click.option("--only", multiple=True, help="Run only this analysis (repeatable).")
@click.option("--skip", multiple=True, help="Skip this analysis (repeatable).")
@click.option("--param", "param_args", multiple=True, metavar="ID.NAME=VALUE",
              help="Override an analysis threshold, e.g. legacy_model.min_savings_usd=10.")
@click.option("--prices", "prices_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Negotiated rates: a CSV shaped like `finops prices --csv` that overrides list rates.")
@click.option("--organisation", help="Name on the report cover.")
@click.option("--quiet", is_flag=True, help="Print only the paths written.")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def analyze(paths: tuple[Path, ...], out_dir: Path, formats: str, only: tuple[str, ...], skip: tuple[str, ...],
            param_args: tuple[str, ...], prices_file: Path | None, organisation: str | None, quiet: bool,
            debug: bool) -> None:
    """Read logs and billing files, price every token, find waste, write the report.

    PATHS are files or folders (read recursively, .gz too); each file's format is detected from its content.

    \b
    Example:
        finops analyze sample_logs/ -o report/
    """
    from . import pipeline
    from .terminal import Progress, print_summary

    chosen = _formats(formats)
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
    with Progress(paths, enabled=not quiet) as progress:
        audit = pipeline.run(
            paths, now=datetime.now(UTC).replace(tzinfo=None), params=params, prices_file=prices_file,
            only=only, skip=skip, organisation=organisation or settings.get("organisation") or "Your organisation",
            progress=progress.advance,
        )
    try:
        written = _write(audit, out_dir, chosen)
    finally:
        audit.close()
    if quiet:
        for path in written:
            click.echo(path)
    else:
        print_summary(audit.report, written)


def _prepare(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / ".finops-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as e:
        raise ReportError(f"cannot write to {out_dir}: {e.strerror or e}; choose another folder with -o") from e


def _write(audit: Any, out_dir: Path, chosen: list[str]) -> list[Path]:
    from .report import to_json

    written = []
    try:
        rejects = out_dir / "rejects.csv"
        if audit.write_rejects(rejects):
            written.append(rejects)
        elif rejects.exists():
            rejects.unlink()  # a stale file from an earlier run would mislead
        if "json" in chosen:
            path = out_dir / "report.json"
            path.write_text(to_json(audit.report), encoding="utf-8")
            written.append(path)
        if "html" in chosen or "pdf" in chosen:
            from finops.reports import render_html, write_pdf

            if "html" in chosen:
                path = out_dir / "report.html"
                path.write_text(render_html(audit.report, for_print=False), encoding="utf-8")
                written.append(path)
            if "pdf" in chosen:
                path = out_dir / "report.pdf"
                write_pdf(render_html(audit.report), path)
                written.append(path)
    except OSError as e:
        raise ReportError(f"cannot write to {out_dir}: {e.strerror or e}") from e
    return written


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
            rates = [str(x) for x in r.rates] if r.rates else [""] * 5
            click.echo(",".join([r.platform, r.model, r.variant, r.valid_from.isoformat(), *rates,
                                 str(r.threshold or ""), f'"{r.source}"', f'"{r.note}"']))
        return
    from .terminal import print_prices

    print_prices(rows)


@cli.command("formats")
def formats_command() -> None:
    """List the input formats finops reads (detected from each file's content)."""
    for fmt, label in ingest.formats().items():
        click.echo(f"{fmt:24} {label}")


@cli.command("list-analyses")
def list_analyses() -> None:
    """List the analyses, their parameters and defaults."""
    for a in analysis.load_all():
        params = ", ".join(f"{k}={v}" for k, v in a.params.items()) or "no parameters"
        click.echo(f"{a.id:22} {a.severity:6} {a.title}  ({params})")


@cli.group()
def export() -> None:
    """Export the normalised usage for other tools (FOCUS, Parquet)."""
