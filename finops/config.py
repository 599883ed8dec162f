"""Settings from `finops.toml` in the working folder, merged under the command line's."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from .errors import FinopsError

CONFIG_FILE = "finops.toml"


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
    params = data.get("params", {})
    if not isinstance(params, dict) or not all(isinstance(v, dict) for v in params.values()):
        raise FinopsError(f"{path}: [params.<analysis id>] tables expected")
    return data


def parse_param(text: str) -> tuple[str, str, str]:
    """'ID.NAME=VALUE' -> (id, name, value)."""
    key, sep, value = text.partition("=")
    analysis_id, dot, name = key.strip().partition(".")
    if not sep or not dot or not analysis_id or not name:
        raise FinopsError(f"--param {text!r}: expected ID.NAME=VALUE, e.g. legacy_model.min_savings_usd=10")
    return analysis_id, name.strip(), value.strip()
