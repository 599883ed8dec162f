"""Render a Report: HTML (Jinja2, autoescaped) and PDF (WeasyPrint, fetching nothing beyond the templates)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from finops.errors import ReportError
from finops.report import Report

from . import filters

TEMPLATES = Path(str(files("finops.reports").joinpath("templates")))


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("finops.reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(filters.FILTERS)
    return env


def render_html(report: Report, *, for_print: bool = True) -> str:
    """The report as one self-contained HTML document (pure: same Report, same text)."""
    env = _environment()
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    # The stylesheet is ours, not input: mark it safe so its quotes are not escaped inside <style>.
    context: dict[str, Any] = {"r": report, "css": Markup(css), "for_print": for_print}
    context.update(filters.context(report))
    return env.get_template("report.html").render(context)


def _allowed(url: str) -> bool:
    """Only data: URIs and files inside the templates folder may be fetched by the PDF renderer."""
    if url.startswith("data:"):
        return True
    if url.startswith("file://"):
        target = Path(url.removeprefix("file://").split("?")[0]).resolve()
        return target.is_relative_to(TEMPLATES.resolve()) and target.is_file()
    return False


def write_pdf(html: str, path: Path) -> None:
    """Render HTML to PDF with WeasyPrint, fetching nothing from the network or outside the templates."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as e:
        raise ReportError(
            "PDF output needs WeasyPrint and the Pango library (Debian: apt-get install libpango-1.0-0 "
            "libpangoft2-1.0-0); run `make setup`, or use --format html,json"
        ) from e
    from weasyprint.urls import URLFetcher

    class TemplatesOnly(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if not _allowed(url):
                raise ValueError(f"refused {url[:80]!r}: the renderer fetches nothing outside its templates")
            return super().fetch(url, headers)

    try:
        HTML(string=html, base_url=str(TEMPLATES) + "/", url_fetcher=TemplatesOnly()).write_pdf(path)
    except OSError as e:
        raise ReportError(f"cannot write {path}: {e.strerror or e}") from e
