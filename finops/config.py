"""Settings from `finops.toml` in the working folder, merged under the command line's."""

from __future__ import annotations

import tomllib
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from .errors import FinopsError, unknown

CONFIG_FILE = "finops.toml"
# Every top-level key finops.toml may hold (README "Findings"), with what it is for. Any other key is an error, so
# that a typo is never silently ignored: add new settings here.
KNOWN_KEYS = {
    "organisation": "name on the report cover",
    "prices": "negotiated-rates CSV (as --prices)",
    "params": "[params.<analysis id>] thresholds (as --param)",
    "workspaces": "[workspaces] names for workspace ids",
    "api_keys": "[api_keys] names for API key ids",
    "reconciliation": "[reconciliation] tolerance (as --tolerance)",
    "report": "[report] minor_finding_share: findings under this share of spend share one table",
}
# [report]: how the report lays out. minor_finding_share: findings saving less than this share of spend go in one
# table of smaller findings instead of a page each (default 0.005, i.e. 0.5%).
REPORT_KEYS = {"minor_finding_share"}
DEFAULT_MINOR_FINDING_SHARE = Decimal("0.005")


def load(folder: Path) -> dict[str, Any]:
    """The parsed finops.toml in folder, or {} when there is none."""
    path = folder / CONFIG_FILE
    if not path.exists():
        return {}
    if not path.is_file():
        raise FinopsError(f"{path}: not a file (a folder or a device); finops reads its settings from a file "
                          f"of that name")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise FinopsError(f"{path}: {e}") from e
    for key in data:
        if key not in KNOWN_KEYS:
            raise FinopsError(f"{path}: {unknown('setting', key, KNOWN_KEYS)}")
    params = data.get("params", {})
    if not isinstance(params, dict) or not all(isinstance(v, dict) for v in params.values()):
        raise FinopsError(f"{path}: [params.<analysis id>] tables expected")
    from . import analysis

    try:
        analysis.check_overrides(params)
    except FinopsError as e:
        raise FinopsError(f"{path}: [params]: {e}") from e
    minor_finding_share(data, path)  # a bad [report] fails now, before a long read
    return data


def minor_finding_share(settings: dict[str, Any], path: Path | str = CONFIG_FILE) -> Decimal:
    """[report] minor_finding_share, checked: a share of spend from 0 to 1 (default 0.005)."""
    report = settings.get("report", {})
    if not isinstance(report, dict) or set(report) - REPORT_KEYS:
        raise FinopsError(f"{path}: [report] takes only {', '.join(sorted(REPORT_KEYS))}")
    value = report.get("minor_finding_share", DEFAULT_MINOR_FINDING_SHARE)
    try:
        share = Decimal(str(value)) if not isinstance(value, bool) else None
    except InvalidOperation:
        share = None
    if share is None or not share.is_finite() or not 0 <= share <= 1:
        raise FinopsError(f"{path}: [report] minor_finding_share must be a share of spend from 0 to 1, e.g. 0.005")
    return share


def parse_param(text: str) -> tuple[str, str, str]:
    """'ID.NAME=VALUE' -> (id, name, value)."""
    key, sep, value = text.partition("=")
    analysis_id, dot, name = key.strip().partition(".")
    if not sep or not dot or not analysis_id or not name:
        raise FinopsError(f"--param {text!r}: expected ID.NAME=VALUE, e.g. legacy_model.min_savings_usd=10")
    return analysis_id, name.strip(), value.strip()
