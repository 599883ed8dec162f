"""Render a Report: HTML (Jinja2, autoescaped) and PDF (WeasyPrint, fetching nothing beyond the templates)."""

from __future__ import annotations

import functools
import warnings
from importlib.resources import files
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from finops.errors import ReportError
from finops.report import Report

from . import filters, views

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
    context: dict[str, Any] = {"r": report, "css": Markup(css), "for_print": for_print, "standalone": False}
    context.update(views.context(report))
    return env.get_template("report.html").render(context)


def _allowed(url: str) -> bool:
    """Only data: URIs and files inside the templates folder may be fetched by the PDF renderer."""
    if url.startswith("data:"):
        return True
    if url.startswith("file://"):
        target = Path(url.removeprefix("file://").split("?")[0]).resolve()
        return target.is_relative_to(TEMPLATES.resolve()) and target.is_file()
    return False


REPORT_FONTS = ("DejaVu Sans", "DejaVu Serif", "DejaVu Sans Mono")  # the families report.css asks for
PANGO_HINT = ("PDF output needs WeasyPrint and the Pango library (Debian: apt-get install libpango-1.0-0 "
              "libpangoft2-1.0-0); run `make setup`, or use --format html,json")


def check_renderer() -> None:
    """Fail early and in one line when no PDF can be made: WeasyPrint or Pango missing, or the report's fonts.

    Without any font, Pango crashes the whole process (a segmentation fault), so this runs before rendering.
    """
    try:
        with warnings.catch_warnings():  # "No fonts configured": said below, in the error, in one line
            warnings.simplefilter("ignore")
            import weasyprint  # noqa: F401
    except (ImportError, OSError) as e:
        raise ReportError(PANGO_HINT) from e
    missing = _missing_fonts()
    if missing:
        raise ReportError(
            f"PDF output needs the font(s) {', '.join(missing)}, which fontconfig cannot find; install them "
            "(Debian: apt-get install fonts-dejavu-core), or use --format html,json")


@functools.cache
def _missing_fonts() -> tuple[str, ...]:
    """The report's font families that fontconfig cannot match (all of them when it has no fonts at all)."""
    from weasyprint.text.ffi import ffi, fontconfig

    config = fontconfig.FcInitLoadConfigAndFonts()
    if config == ffi.NULL:
        return REPORT_FONTS
    try:
        fonts = fontconfig.FcConfigGetFonts(config, fontconfig.FcSetSystem)
        if fonts == ffi.NULL or fonts.nfont == 0:
            return REPORT_FONTS
        return tuple(family for family in REPORT_FONTS if not _has_family(config, family))
    finally:
        fontconfig.FcConfigDestroy(config)


def _has_family(config: Any, family: str) -> bool:
    from weasyprint.text.ffi import ffi
    from weasyprint.text.ffi import fontconfig as fc

    pattern = fc.FcPatternCreate()
    try:
        fc.FcPatternAddString(pattern, b"family", family.encode())
        fc.FcConfigSubstitute(config, pattern, fc.FcMatchPattern)
        fc.FcDefaultSubstitute(pattern)
        match = fc.FcFontMatch(config, pattern, ffi.new("FcResult *"))
        if match == ffi.NULL:
            return False
        try:
            value = ffi.new("FcChar8 **")
            index = 0
            while fc.FcPatternGetString(match, b"family", index, value) == fc.FcResultMatch:
                if ffi.string(value[0]).decode("utf-8", "replace").casefold() == family.casefold():
                    return True
                index += 1
            return False
        finally:
            fc.FcPatternDestroy(match)
    finally:
        fc.FcPatternDestroy(pattern)


def render_pdf(html: str) -> bytes:
    """Render HTML to PDF bytes with WeasyPrint, fetching nothing from the network or outside the templates."""
    check_renderer()
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    class TemplatesOnly(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if not _allowed(url):
                raise ValueError(f"refused {url[:80]!r}: the renderer fetches nothing outside its templates")
            return super().fetch(url, headers)

    return HTML(string=html, base_url=str(TEMPLATES) + "/", url_fetcher=TemplatesOnly()).write_pdf()


def write_pdf(html: str, path: Path) -> None:
    """Render HTML to a PDF file (see render_pdf)."""
    data = render_pdf(html)
    try:
        path.write_bytes(data)
    except OSError as e:
        raise ReportError(f"cannot write {path}: {e.strerror or e}") from e


def render_evidence_html(report: Report, *, for_print: bool = True) -> str:
    """The negotiation evidence pack alone, as one self-contained HTML document (`finops evidence`)."""
    from dataclasses import replace

    env = _environment()
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    context: dict[str, Any] = {"r": report, "css": Markup(css), "for_print": for_print, "standalone": True}
    context.update(views.context(report))
    only = replace(report, sections={k: v for k, v in report.sections.items() if k in ("coverage", "evidence")})
    context["chapters"] = views.chapters(only, first=1)
    return env.get_template("evidence.html").render(context)
