"""Names for the ids some sources use: `[workspaces]` and `[api_keys]` in finops.toml map an id to a name.

Anthropic's usage and cost reports name a workspace by its id (`wrkspc_...`) and an API key by its id
(`apikey_...`); the Console exports and most logs use their names. With a mapping, every usage row and bill line
carries the name, so the roll-ups, the evidence and the reconciliation see one workspace, not two.
"""

from __future__ import annotations

from typing import Any

import duckdb

from .errors import FinopsError
from .ingest.common import clean

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
