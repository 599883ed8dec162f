"""Settings from `finops.toml` in the working folder, merged under the command line's."""

from __future__ import annotations

import tomllib
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
}


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
    return data


def parse_param(text: str) -> tuple[str, str, str]:
    """'ID.NAME=VALUE' -> (id, name, value)."""
    key, sep, value = text.partition("=")
    analysis_id, dot, name = key.strip().partition(".")
    if not sep or not dot or not analysis_id or not name:
        raise FinopsError(f"--param {text!r}: expected ID.NAME=VALUE, e.g. legacy_model.min_savings_usd=10")
    return analysis_id, name.strip(), value.strip()
