"""Errors the CLI turns into a one-line message and exit code 1."""


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
