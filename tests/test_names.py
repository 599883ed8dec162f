"""finops.toml [workspaces] and [api_keys]: ids that some sources use take the names the others use."""

from __future__ import annotations

import shutil
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from finops import names, pipeline, store
from finops.errors import FinopsError

SAMPLE = Path(__file__).resolve().parent.parent / "sample_logs"
NOW = datetime(2026, 11, 25)
# sample_logs/README.md: the usage report, the cost report and the gateway use ids; the Console uses names.
NAMES = {"workspaces": {"wrkspc_data_platform": "Data Platform", "wrkspc_customer_apps": "Customer Apps"},
         "api_keys": {"apikey_01DocPipelineProd": "doc-pipeline-prod"}}


def by(con, table: str, column: str) -> dict[str | None, tuple[int, Decimal]]:
    cost = "sum(cost)" if table == "priced_usage" else "sum(billed_cost)"
    return {k: (n, c) for k, n, c in con.execute(
        f"SELECT {column}, count(*), coalesce({cost}, 0) FROM {table} GROUP BY 1").fetchall()}


def assert_same_names(got, expected) -> None:
    """Every usage row and bill line carries the same workspace and key names, with the same counts and money."""
    for table, column in (("priced_usage", "workspace"), ("billing", "workspace"), ("priced_usage", "api_key_id")):
        assert by(got.con, table, column) == by(expected.con, table, column), (table, column)


@pytest.fixture(scope="module")
def named():
    """sample_logs analysed with the names: both tests compare against it (one run instead of two)."""
    audit = pipeline.run([SAMPLE], now=NOW, names=NAMES)
    yield audit
    audit.close()


def test_ids_take_their_names_in_usage_bills_and_roll_ups(named):
    plain = pipeline.run([SAMPLE], now=NOW)
    try:
        for table, column in (("priced_usage", "workspace"), ("billing", "workspace"),
                              ("priced_usage", "api_key_id")):
            before, after = by(plain.con, table, column), by(named.con, table, column)
            mapping = NAMES["api_keys" if column == "api_key_id" else "workspaces"]
            for ident, name in mapping.items():
                assert ident in before and ident not in after  # every row and bill line of the id is renamed
                n = before[ident][0] + before.get(name, (0, 0))[0]
                cost = before[ident][1] + before.get(name, (0, Decimal(0)))[1]
                assert after[name] == (n, cost)  # merged with the rows already named, nothing lost
            untouched = set(before) - set(mapping) - set(mapping.values())
            assert {k: after[k] for k in untouched} == {k: before[k] for k in untouched}
        assert named.report.totals == plain.report.totals  # a name changes no amount
        workspaces = {r["workspace"] for r in named.report.spend_by["workspace"]}
        assert "Data Platform" in workspaces and "wrkspc_data_platform" not in workspaces
    finally:
        plain.close()


def test_a_store_gets_the_same_names(tmp_path: Path, named):
    db = tmp_path / "store.duckdb"
    store.ingest([SAMPLE], db)
    from_store = pipeline.run([], now=NOW, db=db, names=NAMES)
    try:
        assert_same_names(from_store, named)
    finally:
        from_store.close()


def test_a_store_keeps_the_names_files_it_ingested(tmp_path: Path, named):
    """`finops pull` writes finops-names.toml beside the reports; ingested into a store, the names stay with it,
    so `analyze --db` without the folder names the ids as a one-shot run of the folder does."""
    folder = tmp_path / "pulled"
    shutil.copytree(SAMPLE, folder)
    (folder / names.NAMES_FILE).write_bytes(names.to_toml(NAMES))
    db = tmp_path / "store.duckdb"
    store.ingest([folder], db)
    (folder / names.NAMES_FILE).unlink()  # gone from the folder: the store keeps its names, as it keeps rows
    store.ingest([folder], db)
    from_store = pipeline.run([], now=NOW, db=db)
    try:
        assert_same_names(from_store, named)
    finally:
        from_store.close()


@pytest.mark.parametrize("table", [{"wrkspc_a": 5}, {"wrkspc_a": " "}, ["wrkspc_a"]])
def test_a_mapping_that_is_not_id_to_name_is_refused(table):
    with pytest.raises(FinopsError, match=r"\[workspaces\] expects id = \"name\" pairs"):
        names.from_settings({"workspaces": table})
