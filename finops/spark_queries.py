"""The report's queries on Spark: a connection the report code runs its SQL on as on DuckDB's, where each query that
reads the run's big tables (usage, billing, rejects, priced_usage) runs in Spark and only its result comes back.

The report code (finops/overview.py, stacking.py, sections and their builders) writes its SQL once, in DuckDB's
dialect. SparkQueries.execute parses each statement: one that reads none of the Spark tables runs on the driver's
DuckDB as it is (the run's small tables: the stacking order, the coverage matrix, the price tables); one
that does is translated by finops/dialects.py (its macros expanded, its `?` parameters bound as typed literals,
never pasted as text) and run in Spark, the small driver tables it joins copied to Spark first. Its result (a
section's rows, never the priced rows) comes back as Arrow into a DuckDB table of the driver, so the caller reads
it with DuckDB's cursor and DuckDB's Python values, exactly as in a local run. `CREATE TABLE x AS` and
`INSERT INTO x` of such a query keep x on the driver, made of the Spark result, unless x is itself one of the
connection's Spark tables: the tables of one row per flagged record (RECORD_TABLES: an analysis's rows, every
finding's per-record savings, stacking's records) are made and grown in Spark as views, never collected.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import duckdb
import pyarrow as pa
import sqlglot
from sqlglot import exp
from sqlglot.tokens import TokenType

from finops import dialects
from finops.errors import AnalysisError, first_line

# The run's tables that live in Spark only; the reference tables (spark_engine.REFERENCE_TABLES) live in both.
SPARK_TABLES = frozenset({"usage", "billing", "rejects", "priced_usage"})
# The tables of one row per flagged record (analysis.summarise, stacking.stack): Spark views in a Spark run, each
# created or appended to by the same statements a local run executes; only their sums come to the driver.
RECORD_TABLES = frozenset({"finding_rows", "finding_savings", "stack_records"})
RESULT = "spark_result"  # the driver table each Spark result lands in (one at a time, as DuckDB's own cursor)


@lru_cache(maxsize=512)
def _parse(sql: str) -> tuple[exp.Expression | None, int]:
    """The statement with each `?` written as `$p0`, `$p1`... in the order of the text (sqlglot's tree walk is
    not the text's order), and how many there are; None for SQL sqlglot does not read (it then runs on DuckDB)."""
    try:
        tokens = sqlglot.Dialect.get_or_raise(dialects.SOURCE_DIALECT).tokenize(sql)
        spots = [t.start for t in tokens if t.token_type == TokenType.PLACEHOLDER and t.text == "?"]
        text = sql
        for i, at in reversed(list(enumerate(spots))):
            text = f"{text[:at]}$p{i}{text[at + 1:]}"
        statements = sqlglot.parse(text, read=dialects.SOURCE_DIALECT)
    except sqlglot.errors.SqlglotError:
        return None, 0
    return (statements[0] if len(statements) == 1 else None), len(spots)


def _tables(tree: exp.Expression) -> set[str]:
    """The names of the tables a statement reads (a CTE's name is not a table)."""
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    return {t.name.lower() for t in tree.find_all(exp.Table) if t.name and t.name.lower() not in ctes}


def _target(tree: exp.Expression) -> str:
    """The table a CREATE, INSERT or DROP statement makes or changes ("" for any other statement)."""
    node = tree.this if isinstance(tree, exp.Create | exp.Insert) else None
    if isinstance(tree, exp.Drop) and len(tree.args.get("tables") or []) == 1:
        node = tree.args["tables"][0]
    if isinstance(node, exp.Schema):  # a table with its columns named: CREATE TABLE x (a, b), INSERT INTO x (a)
        node = node.this
    return node.name.lower() if isinstance(node, exp.Table) else ""


def _mentions_spark_table(sql: str, spark_tables: frozenset[str]) -> bool:
    try:
        tokens = sqlglot.Dialect.get_or_raise(dialects.SOURCE_DIALECT).tokenize(sql)
    except sqlglot.errors.SqlglotError:
        return True  # unreadable: run nowhere rather than on the driver's empty tables
    return any(t.text.lower() in spark_tables for t in tokens if t.token_type == TokenType.VAR)


class SparkQueries:
    """A DuckDB connection's execute(), executemany(), register(), unregister() and close(), with the queries that
    read Spark's tables run in Spark (see the module's doc). Holds the driver's DuckDB connection `local`.

    spark_tables: the tables that live in Spark (SPARK_TABLES; with RECORD_TABLES in a Spark run). typed: each
    result takes the column types the driver's DuckDB gives the same query on its own (empty) tables, so that its
    Python values are a local run's (Spark sums integers as DECIMAL(38, 0) where DuckDB's sums are HUGEINT)."""

    def __init__(self, spark: Any, local: duckdb.DuckDBPyConnection,
                 spark_tables: frozenset[str] = SPARK_TABLES, typed: bool = False) -> None:
        self.spark = spark
        self.local = local
        self.spark_tables = frozenset(spark_tables)
        self.typed = typed

    def execute(self, sql: str, params: Any = None) -> duckdb.DuckDBPyConnection:
        tree, count = _parse(sql)
        if tree is None and _mentions_spark_table(sql, self.spark_tables):  # one statement, or the driver's tables
            raise AnalysisError("a report query on Spark's tables must be one statement sqlglot reads")
        if tree is None or not (_tables(tree) & self.spark_tables):
            return self.local.execute(sql, params) if params is not None else self.local.execute(sql)
        if isinstance(params, dict) or len(params or []) != count:
            raise AnalysisError(f"a report query takes {count} parameter(s), given {params!r}")
        bound = {f"p{i}": value for i, value in enumerate(params or [])}
        if isinstance(tree, exp.Create | exp.Insert | exp.Drop) and _target(tree) in self.spark_tables:
            self._change_in_spark(tree, _target(tree), bound)
            return self.local
        if isinstance(tree, exp.Create) and isinstance(tree.expression, exp.Query):  # CREATE [TEMP] TABLE x AS
            self._to_driver(tree.expression, bound)
            kind = "TEMP TABLE" if tree.find(exp.TemporaryProperty) else "TABLE"
            replace = "OR REPLACE " if tree.args.get("replace") else ""
            self.local.execute(f"CREATE {replace}{kind} {tree.this.sql('duckdb')} AS SELECT * FROM {RESULT}")
            return self.local
        if isinstance(tree, exp.Insert) and isinstance(tree.expression, exp.Query):
            self._to_driver(tree.expression, bound)
            by_name = " BY NAME" if tree.args.get("by_name") else ""
            self.local.execute(f"INSERT INTO {tree.this.sql('duckdb')}{by_name} SELECT * FROM {RESULT}")
            return self.local
        if not isinstance(tree, exp.Query):
            raise AnalysisError(f"only queries run on Spark's tables, not {type(tree).__name__}")
        self._to_driver(tree, bound, sql if self.typed else None, params)
        return self.local.execute(f"SELECT * FROM {RESULT}")

    def frame(self, sql: str, params: Any = None) -> Any:
        """The Spark DataFrame of a query (DuckDB's SQL, translated), not run: for work done on the executors.
        Its ORDER BY is dropped (unless it has a LIMIT): a DataFrame is handed over in partitions, not in order."""
        tree, count = _parse(sql)
        if not isinstance(tree, exp.Query) or len(params or []) != count:
            raise AnalysisError("a Spark frame is made of one query, with as many parameters as it takes")
        if not tree.args.get("limit"):
            tree = tree.copy()
            tree.set("order", None)
        return self.frame_of(tree, {f"p{i}": value for i, value in enumerate(params or [])})

    def frame_of(self, query: exp.Expression, params: dict[str, Any]) -> Any:
        """The Spark DataFrame of a parsed DuckDB query, its `$p0`... parameters bound; the driver's tables it
        joins copied to Spark first."""
        query = query.copy()
        for name in sorted(_tables(query) - self.spark_tables):
            self.copy_to_spark(name)
        query = dialects.bind(dialects.expand_macros(query, dialects.shared_macros(), copy=False), params,
                              copy=False)
        try:
            return self.spark.sql(dialects.generate(query, "spark"))
        except Exception as e:  # Spark's errors have no common base class across classic and Connect
            raise _failed(e) from e

    def _to_driver(self, query: exp.Expression, params: dict[str, Any], sql: str | None = None,
                   positional: Any = None) -> None:
        """Run query in Spark and leave its result in the driver's table RESULT: typed as the driver's DuckDB
        types sql (the same query, with its `?` parameters positional) when sql is given."""
        self.local.abort()  # the caller's last result may be unread to the end (fetchone): it is done with it
        frame = self.frame_of(query, params)
        try:
            result = naive(frame.toArrow())
        except Exception as e:  # Spark's errors have no common base class across classic and Connect
            raise _failed(e) from e
        if sql is not None:  # bound on the driver's empty tables, never run on rows: only its column types
            self.local.execute(f"CREATE OR REPLACE TEMP TABLE {RESULT} AS SELECT * FROM ({sql}\n) LIMIT 0",
                               positional or [])
        self.local.register("spark_arrow", result)
        try:
            if sql is not None:
                self.local.execute(f"INSERT INTO {RESULT} SELECT * FROM spark_arrow")
            else:
                self.local.execute(f"CREATE OR REPLACE TEMP TABLE {RESULT} AS SELECT * FROM spark_arrow")
        finally:
            self.local.unregister("spark_arrow")

    def _change_in_spark(self, tree: exp.Expression, name: str, params: dict[str, Any]) -> None:
        """A statement on a table of records (a Spark view), run in Spark: CREATE ... AS makes it (computed now,
        held by the executors), INSERT INTO ... SELECT appends to it, DROP TABLE drops it."""
        if isinstance(tree, exp.Drop) and str(tree.args.get("kind")).upper() == "TABLE":
            self.spark.catalog.dropTempView(name)
        elif isinstance(tree, exp.Create) and isinstance(tree.expression, exp.Query):
            self.frame_of(tree.expression, params).localCheckpoint().createOrReplaceTempView(name)
        elif isinstance(tree, exp.Insert) and isinstance(tree.expression, exp.Query):
            self._append_in_spark(name, self.frame_of(tree.expression, params), bool(tree.args.get("by_name")))
        else:
            raise AnalysisError(f"{name} is a Spark view: it takes CREATE ... AS, INSERT ... SELECT and DROP TABLE, "
                                f"not {type(tree).__name__} of that form")

    def _append_in_spark(self, name: str, rows: Any, by_name: bool) -> None:
        """INSERT INTO a Spark view: the view becomes itself and rows, rows cast to its column types (as DuckDB
        casts an insert's values to the table's). Lazy: nothing runs until the view is read."""
        from pyspark.sql import functions as F

        table = self.spark.table(name)
        if not by_name:
            rows = rows.toDF(*table.columns)
        rows = rows.select(*(F.col(f.name).cast(f.dataType).alias(f.name) for f in table.schema.fields))
        table.unionByName(rows).createOrReplaceTempView(name)

    def copy_to_spark(self, name: str) -> None:
        """A driver table the query joins (a finding's savings, the stacking order...) as a Spark view of its rows;
        copied at each use, since the driver changes them between queries. The reference tables are in Spark
        already (spark_engine.register_reference_tables); names that are no driver table are left to Spark."""
        from finops.spark_engine import REFERENCE_TABLES

        known = self.local.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                                   [name]).fetchone()[0]  # type: ignore[index]
        self.local.abort()  # that answer's result is done with
        if name in REFERENCE_TABLES or not known:
            return
        table = self.local.sql(f'SELECT * FROM "{name}"').to_arrow_table()  # a table name of the code's own
        self.spark.createDataFrame(table, schema=_spark_schema(table)).createOrReplaceTempView(name)

    def executemany(self, sql: str, params: Any) -> duckdb.DuckDBPyConnection:
        return self.local.executemany(sql, params)

    def register(self, name: str, table: Any) -> duckdb.DuckDBPyConnection:
        return self.local.register(name, table)

    def unregister(self, name: str) -> duckdb.DuckDBPyConnection:
        return self.local.unregister(name)

    def close(self) -> None:
        self.local.close()


def _failed(e: Exception) -> AnalysisError:
    return AnalysisError(f"a report query failed on Spark: {first_line(e)}")  # not Spark's whole plan


def _spark_schema(table: pa.Table) -> Any:
    """The Spark schema of an Arrow table (an empty table has no rows to infer one from)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(table.schema)


def naive(table: pa.Table) -> pa.Table:
    """Spark hands timestamps over as UTC-zoned Arrow; a local run's are naive UTC."""
    for i, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type) and field.type.tz is not None:
            table = table.set_column(i, field.name, table.column(i).cast(pa.timestamp("us")))
    return table
