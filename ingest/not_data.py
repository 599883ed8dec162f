"""Files that sit among the inputs but hold no usage or bill lines: recognised and named, not called unknown.

`finops pull anthropic` writes the workspace and API key lists it fetched as pages of their own and as a names
file (finops-names.toml) that `analyze` applies to the ids (finops/names.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

NAMES_FILE = "finops-names.toml"
LIST_TYPES = {"workspace": "workspace", "api_key": "API key"}


def recognise(path: Path, first_obj: dict[str, Any] | None, head: str = "") -> str | None:
    """Why a file is not read as data, when finops knows what it is; None otherwise. head: the file's start, for
    a page saved pretty-printed (first_obj is only the first line)."""
    if path.name == NAMES_FILE:
        return "names of workspaces and API keys (not usage data): finops analyze applies them to their ids"
    if first_obj is None and head.lstrip().startswith("{") and '"last_id"' in head:
        try:
            parsed = json.loads(head)
        except (ValueError, RecursionError):
            parsed = None
        first_obj = parsed if isinstance(parsed, dict) else None
    if isinstance(first_obj, dict) and "first_id" in first_obj and "last_id" in first_obj \
            and isinstance(first_obj.get("data"), list):
        kinds = {item.get("type") for item in first_obj["data"] if isinstance(item, dict)}
        if kinds and kinds <= set(LIST_TYPES):
            what = " and ".join(f"{LIST_TYPES[k]}s" for k in sorted(kinds))
            return f"Admin API list of {what} (not usage data): finops pull writes their names to {NAMES_FILE}"
        if not kinds:
            return "an empty Admin API list (workspaces or API keys), not usage data"
    return None
