"""Names for the ids some sources use: `[workspaces]` and `[api_keys]` in finops.toml map an id to a name.

Anthropic's usage and cost reports name a workspace by its id (`wrkspc_...`) and an API key by its id
(`apikey_...`); the Console exports and most logs use their names. With a mapping, every usage row and bill line
carries the name, so the roll-ups, the evidence and the reconciliation see one workspace, not two.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb

from .errors import FinopsError
from .ingest.common import clean
from .ingest.not_data import NAMES_FILE

__all__ = ["NAMES_FILE", "SECTIONS", "apply", "discover", "from_settings", "merge", "read_file", "to_toml"]

# finops.toml table -> the column of `usage` and `billing` it renames (both are code constants).
SECTIONS = {"workspaces": "workspace", "api_keys": "api_key_id"}


def from_settings(settings: dict[str, Any], source: str = "finops.toml") -> dict[str, dict[str, str]]:
    """The [workspaces] and [api_keys] tables of the settings, checked: id = "name" pairs."""
    names = {}
    for section in SECTIONS:
        table = settings.get(section, {})
        if not isinstance(table, dict) or not all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                                  for k, v in table.items()):
            raise FinopsError(f'{source}: [{section}] expects id = "name" pairs, e.g. wrkspc_01Ab = "Production"')
        if table:
            names[section] = {k: clean(v.strip()) for k, v in table.items()}
    return names


def read_file(path: Path) -> dict[str, dict[str, str]]:
    """A names file (`finops pull` writes one: finops-names.toml): the [workspaces] and [api_keys] tables."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise FinopsError(f"{path}: {e}") from e
    return from_settings(data, str(path))


def discover(paths: Iterable[Path]) -> list[Path]:
    """The names files among the inputs (in their folders, recursively) or next to them (beside an input file
    or folder), in path order."""
    from .ingest import iter_files

    found: set[Path] = set()
    for path in paths:
        beside = path.parent / NAMES_FILE
        if beside.is_file():
            found.add(beside)
        if path.is_dir():
            found.update(p for p in iter_files([path]) if p.name == NAMES_FILE and p.is_file())
        elif path.name == NAMES_FILE and path.is_file():
            found.add(path)
    return sorted(found)


def merge(*layers: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Mappings merged id by id; an earlier layer wins (finops.toml first, then names files in path order)."""
    out: dict[str, dict[str, str]] = {}
    for layer in reversed(layers):
        for section, mapping in layer.items():
            out.setdefault(section, {}).update(mapping)
    return {section: mapping for section, mapping in out.items() if mapping}


def to_toml(names: dict[str, dict[str, str]], header: str = "") -> bytes:
    """The mapping as a names file: a [workspaces] and an [api_keys] table of "id" = "name", ids sorted."""
    lines = [f"# {line}" for line in header.splitlines()]
    for section in SECTIONS:
        lines += ["", f"[{section}]"]
        lines += [f"{_toml_string(k)} = {_toml_string(v)}" for k, v in sorted(names.get(section, {}).items())]
    return ("\n".join(lines).lstrip("\n") + "\n").encode("utf-8")


def _toml_string(value: str) -> str:
    """A TOML basic string: quotes and backslashes escaped, control characters as \\uXXXX, lone surrogates
    (which no UTF-8 file can hold) replaced."""
    out = []
    for ch in value:
        code = ord(ch)
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04X}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append("\ufffd")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def apply(con: duckdb.DuckDBPyConnection, names: dict[str, dict[str, str]]) -> None:
    """Rename the mapped ids in `usage` and `billing` (tables: updated; a store's views: wrapped)."""
    sections = {section: mapping for section, mapping in names.items() if mapping}
    if not sections:
        return
    for section, mapping in sections.items():
        con.execute(f"CREATE OR REPLACE TEMP TABLE names_{section} AS "
                    "SELECT unnest(?::VARCHAR[]) AS id, unnest(?::VARCHAR[]) AS name",
                    [list(mapping), list(mapping.values())])
    views = {r[0] for r in con.execute(
        "SELECT view_name FROM duckdb_views() WHERE NOT internal AND database_name = current_database()").fetchall()}
    for table in ("usage", "billing"):
        if table in views:
            renamed = ", ".join(f"coalesce(n_{s}.name, t.{SECTIONS[s]}) AS {SECTIONS[s]}" for s in sections)
            joins = " ".join(f"LEFT JOIN names_{s} n_{s} ON n_{s}.id = t.{SECTIONS[s]}" for s in sections)
            con.execute(f"ALTER VIEW {table} RENAME TO {table}_by_id")
            con.execute(f"CREATE VIEW {table} AS SELECT t.* REPLACE ({renamed}) FROM {table}_by_id t {joins}")
        else:
            for s in sections:
                column = SECTIONS[s]
                con.execute(f"UPDATE {table} SET {column} = n.name FROM names_{s} n WHERE {table}.{column} = n.id")
