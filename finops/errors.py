"""Errors the CLI turns into a one-line message and exit code 1."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """" (did you mean 'closest'?)" when one of known is close to name (a typo), else ""."""
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown(kind: str, name: str, known: Iterable[str]) -> str:
    """"unknown <kind> 'name' (did you mean 'closest'?); known: a, b, c": for a name that is not one of known."""
    names = sorted(known)
    return f"unknown {kind} {name!r}{did_you_mean(name, names)}; known: {', '.join(names) or 'none'}"


def first_line(error: BaseException) -> str:
    """An error's first line (a library's message can run to a whole query plan), or its type's name when empty."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class FinopsError(Exception):
    """Base class: a problem the user can fix, reported without a traceback."""


class IngestError(FinopsError):
    """No usable input, or an input path that cannot be read."""


class PricingError(FinopsError):
    """A price table that is malformed or contradicts itself."""


class AnalysisError(FinopsError):
    """An analysis file with a bad header or a parameter that does not fit."""


class ReportError(FinopsError):
    """A report that cannot be written (renderer missing, folder not writable)."""
