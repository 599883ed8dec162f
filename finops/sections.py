"""Optional report sections computed after the findings: each builder reads the run's tables and the Report.

A builder returns JSON-ready data (plain dicts, lists, Decimals, dates) or None when it has nothing to say; the
data lands in Report.sections[name] and in report.json under the same name, and the HTML template renders
`reports/templates/_section_<name>.html` when that file exists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import duckdb

from . import attribution, comparison, coverage, evidence, reconcile, summary
from .report import Report

Builder = Callable[[duckdb.DuckDBPyConnection, Report], Any]

# name -> builder, in the order the sections appear. Add a line here to add a section.
BUILDERS: dict[str, Builder] = {
    "coverage": coverage.build,  # which sources cover which platform on which days (finops/coverage.py)
    "comparison": comparison.build,  # month over month (finops/comparison.py)
    "evidence": evidence.build,  # the negotiation evidence pack (finops/evidence.py)
    "reconciliation": reconcile.build,  # logs against the bill, per platform and month (finops/reconcile.py)
    "attribution": attribution.build,  # spend by workspace, API key and project, one base each (no template)
    "summary": summary.build,  # the executive summary's figures, read by every output; last: it reads the others
}


def build_all(con: duckdb.DuckDBPyConnection, report: Report) -> dict[str, Any]:
    """Run every builder in order, each seeing the sections built before it; a builder that returns None adds
    nothing."""
    out: dict[str, Any] = {}
    for name, builder in BUILDERS.items():
        data = builder(con, replace(report, sections={**report.sections, **out}))
        if data is not None:
            out[name] = data
    return out
