"""The pricing and analysis SQL for other engines, generated from the one source the DuckDB run executes.

The SQL files (finops/sql/price_usage.sql, analysis/*.sql and the macros of analysis/_shared.sql) are written in
DuckDB's dialect. For another engine they are parsed with sqlglot, their macros are expanded in place, their
`$name` parameters are bound as typed SQL literals built as sqlglot expressions (never by pasting text), and the
tree is written out in the target dialect. There is no second copy of any query.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import sqlglot
from sqlglot import exp

from finops import analysis
from finops.errors import AnalysisError

DIALECTS = ("duckdb", "spark", "bigquery", "trino", "snowflake")
SOURCE_DIALECT = "duckdb"
VERIFIED = ("duckdb", "spark")  # the dialects whose generated SQL the tests run on the engine itself


@dataclass(frozen=True)
class Macro:
    """A DuckDB macro: a scalar expression, or a table (a query) when table is True."""

    params: tuple[str, ...]
    body: exp.Expression
    table: bool


@cache
def _parsed(text: str) -> tuple[exp.Expression, ...]:
    return tuple(s for s in sqlglot.parse(text, read=SOURCE_DIALECT) if s is not None)


def _statements(text: str) -> list[exp.Expression]:
    """The statements of a DuckDB SQL text, parsed once per process (parsing costs more than generating): fresh
    copies, so that no caller can change the cached trees."""
    return [s.copy() for s in _parsed(text)]


def _split_macros(statements: list[exp.Expression]) -> tuple[dict[str, Macro], list[exp.Expression]]:
    """The CREATE MACRO statements by name, and the other statements in order."""
    macros: dict[str, Macro] = {}
    rest = []
    for s in statements:
        if isinstance(s, exp.Create) and str(s.args.get("kind") or "").upper() == "MACRO":
            fn = s.this
            params = tuple(p.name for p in fn.expressions)
            body = s.expression
            macros[fn.this.name.lower()] = Macro(params, body, isinstance(body, exp.Query))
        else:
            rest.append(s)
    return macros, rest


def _substitute(body: exp.Expression, params: tuple[str, ...], args: list[exp.Expression]) -> exp.Expression:
    """The macro body with each parameter (an unqualified column of its name) replaced by its argument."""
    if len(args) != len(params):
        raise AnalysisError(f"macro called with {len(args)} argument(s), it takes {len(params)}")
    by_name = dict(zip(params, args, strict=True))

    def replace(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and not node.table and node.name in by_name:
            return exp.Paren(this=by_name[node.name].copy())
        return node

    return body.transform(replace)  # a copy: the body of a cached macro stays as it was


def expand_macros(tree: exp.Expression, macros: dict[str, Macro], copy: bool = True) -> exp.Expression:
    """Replace every call of a macro by its body: scalar macros in place, table macros as a subquery.
    copy=False changes tree itself (a tree the caller owns: copying a query's tree costs more than parsing it)."""

    def replace(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Anonymous):
            name = node.this.name.lower()
            if name in macros and macros[name].table:
                body = _substitute(macros[name].body, macros[name].params, list(node.this.expressions))
                return exp.Subquery(this=expand_macros(body, macros, copy=False), alias=exp.TableAlias(
                    this=exp.to_identifier(node.alias_or_name if node.alias else name)))
        if isinstance(node, exp.Anonymous) and node.name.lower() in macros:
            macro = macros[node.name.lower()]
            if not macro.table:
                return exp.Paren(this=expand_macros(_substitute(macro.body, macro.params, list(node.expressions)),
                                                    macros, copy=False))
        return node

    return tree.transform(replace, copy=copy)


def literal(value: Any) -> exp.Expression:
    """A parameter value as a SQL literal of the type DuckDB binds it as (BOOLEAN, BIGINT, DOUBLE, VARCHAR)."""
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, float):
        return exp.cast(exp.Literal.string(repr(value)), exp.DataType.build("DOUBLE"))
    if isinstance(value, str):
        return exp.Literal.string(value)
    raise AnalysisError(f"cannot bind a parameter of type {type(value).__name__}")


def bind(tree: exp.Expression, params: dict[str, Any], copy: bool = True) -> exp.Expression:
    """Replace each `$name` placeholder by its value as a typed literal; an unknown name is an error.
    copy=False changes tree itself (a tree the caller owns)."""

    def replace(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder):
            name = node.name
            if name not in params:
                raise AnalysisError(f"the SQL uses ${name}, which has no value")
            return literal(params[name])
        return node

    return tree.transform(replace, copy=copy)


@cache
def _shared_macros() -> dict[str, Macro]:
    macros, _ = _split_macros(_statements(_read("finops", "sql/price_usage.sql")))
    shared, _ = _split_macros(_statements(_read("finops.analysis", "_shared.sql")))
    return {**macros, **shared}


def shared_macros() -> dict[str, Macro]:
    """The macros of the pricing SQL and of analysis/_shared.sql (read once: every analysis expands them; a macro
    body is copied wherever it is used, never changed)."""
    return dict(_shared_macros())


def _read(package: str, name: str) -> str:
    return files(package).joinpath(name).read_text(encoding="utf-8")


# pricing_query and analysis_query are generated once a process for each set of arguments (a few hundred ms of
# sqlglot each time, and the tests ask for the same queries again and again); the SQL files are the package's own.
@cache
def pricing_query(dialect: str) -> str:
    """The SELECT that makes `priced_usage` from `usage`, `price_pivot`, `models` and `pricing_rules`."""
    macros, rest = _split_macros(_statements(_read("finops", "sql/price_usage.sql")))
    (create,) = rest
    return generate(expand_macros(create.expression, macros, copy=False), dialect)


def analysis_query(a: analysis.Analysis, dialect: str, overrides: dict[str, Any] | None = None) -> str:
    """One analysis's query (reading `priced_usage`), its parameters bound, for the dialect."""
    params = analysis.coerce_params(a, overrides or {})
    return _analysis_query(a.sql, dialect, tuple(params.items()))


@cache
def _analysis_query(sql: str, dialect: str, params: tuple[tuple[str, Any], ...]) -> str:
    (tree,) = _statements(sql)
    return generate(bind(expand_macros(tree, shared_macros(), copy=False), dict(params), copy=False), dialect)


# Functions DuckDB names differently from the target, where sqlglot keeps the DuckDB name.
_RENAMED = {"spark": {"error": "raise_error"}, "trino": {"error": "fail"}}
# The widest exact integer where the target has no 128-bit integer type.
_INT128 = exp.DataType.build("DECIMAL(38, 0)")


def _portable(tree: exp.Expression, dialect: str) -> exp.Expression:
    """The few DuckDB constructs sqlglot does not carry over, written for the target: HUGEINT as DECIMAL(38, 0);
    integer division of such numbers (prorate in analysis/_shared.sql) as the floor of an exact decimal division,
    the divisor held to 19 digits so the quotient keeps 18 integer digits in Spark's decimal rules; DuckDB's
    error() under the target's name; a CTE's [NOT] MATERIALIZED dropped; a row compared with a subquery's rows,
    `(a, b) IN (SELECT (x, y) ...)`, with the subquery's columns (DuckDB's form selects one struct); for Spark, a
    cast of unnest()'s values as unnest() of the cast list, and a sorted distinct list as a sorted set."""
    renamed = _RENAMED.get(dialect, {})

    def widen(node: exp.Expression) -> exp.Expression:
        return _INT128.copy() if isinstance(node, exp.DataType) and node.is_type("int128") else node

    def replace(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.IntDiv):
            divisor = exp.cast(node.expression, exp.DataType.build("DECIMAL(19, 0)"))
            return exp.cast(exp.Floor(this=exp.Div(this=node.this, expression=divisor)), _INT128.copy())
        if isinstance(node, exp.Anonymous) and node.name.lower() in renamed:
            return exp.Anonymous(this=renamed[node.name.lower()], expressions=node.expressions)
        if isinstance(node, exp.Cast) and isinstance(node.this, exp.Unnest | exp.Explode) and dialect == "spark":
            # CAST(unnest(list) AS T): Spark allows no generator inside an expression; the list is cast instead
            inner = node.this.expressions[0] if isinstance(node.this, exp.Unnest) else node.this.this
            return exp.Explode(this=exp.cast(inner, exp.DataType(this=exp.DataType.Type.ARRAY,
                                                                 expressions=[node.to], nested=True)))
        if isinstance(node, exp.ArrayAgg) and isinstance(node.this, exp.Order) and dialect == "spark":
            return _sorted_set(node)
        if isinstance(node, exp.In) and isinstance(node.this, exp.Tuple) and isinstance(node.args.get("query"),
                                                                                   exp.Subquery):
            select = node.args["query"].this
            if isinstance(select, exp.Select) and len(select.expressions) == 1 and isinstance(
                    select.expressions[0], exp.Tuple):  # (a, b) IN (SELECT (x, y) ...): DuckDB compares structs
                select.set("expressions", select.expressions[0].expressions)
        if isinstance(node, exp.CTE) and node.args.get("materialized") is not None:
            node.set("materialized", None)  # [NOT] MATERIALIZED: a DuckDB memory hint the targets do not parse
        return node

    # tree is the caller's own (see generate): changed in place, not copied twice more
    return tree if dialect == SOURCE_DIALECT else tree.transform(widen, copy=False).transform(replace, copy=False)


def _sorted_set(node: exp.ArrayAgg) -> exp.Expression:
    """DuckDB's list(DISTINCT x ORDER BY x) for Spark, whose collect_list keeps no order: array_sort(collect_set(x))
    (collect_set leaves NULL out where DuckDB's list keeps it; the report lists platforms, never NULL). Any other
    ordered list is an error, never a list in another order."""
    order = node.this
    inner, keys = order.this, order.expressions
    if (isinstance(inner, exp.Distinct) and len(inner.expressions) == 1 and len(keys) == 1
            and keys[0].this == inner.expressions[0] and not keys[0].args.get("desc")):
        return exp.Anonymous(this="array_sort", expressions=[
            exp.Anonymous(this="collect_set", expressions=[inner.expressions[0].copy()])])
    raise AnalysisError(f"an ordered list Spark would not keep in order: {node.sql(SOURCE_DIALECT)}")


def generate(tree: exp.Expression, dialect: str) -> str:
    """The SQL of tree (a DuckDB statement, its macros expanded and parameters bound) in the dialect; tree is the
    caller's own and may be changed."""
    if dialect not in DIALECTS:
        raise AnalysisError(f"unknown dialect {dialect!r}; known: {', '.join(DIALECTS)}")
    # Spark's SQL is run by the tests, so anything sqlglot cannot translate for it is an error; for the other
    # warehouses sqlglot's best translation is printed (parsed back by the tests, not run).
    level = sqlglot.ErrorLevel.RAISE if dialect in VERIFIED else sqlglot.ErrorLevel.IGNORE
    return _portable(tree, dialect).sql(dialect=dialect, pretty=True, unsupported_level=level)


def script(dialect: str, overrides: dict[str, dict[str, Any]] | None = None, only: tuple[str, ...] = ()) -> str:
    """The whole audit as one SQL script for a warehouse: `priced_usage` from `usage`, then each analysis's query,
    every statement ended by `;` and preceded by a comment naming it."""
    from finops import __version__

    overrides = overrides or {}
    analyses = [a for a in analysis.load_all() if not only or a.id in only]
    unknown = set(only) - {a.id for a in analyses}
    if unknown:
        raise AnalysisError(f"unknown analysis id(s): {', '.join(sorted(unknown))}")
    macros, rest = _split_macros(_statements(_read("finops", "sql/price_usage.sql")))
    (create,) = rest
    priced = exp.Create(this=exp.to_table("priced_usage"), kind="TABLE",
                        expression=expand_macros(create.expression, macros, copy=False))
    parts = [
        f"-- finops {__version__}: pricing and analyses in {dialect} SQL, generated from finops/sql/price_usage.sql"
        " and analysis/*.sql.",
        "-- Reads usage (the columns of `finops export parquet`) and the reference tables price_pivot, prices,\n"
        "-- models and pricing_rules (`finops sql --tables DIR` writes them as Parquet).",
    ]
    if dialect == "spark":
        parts.append("-- Money keeps every decimal only with this session setting:\n"
                     "SET spark.sql.decimalOperations.allowPrecisionLoss = false;")
    parts += ["", "-- pricing: every usage row priced", generate(priced, dialect) + ";"]
    for a in analyses:
        parts += ["", f"-- {a.id}: {a.title}", analysis_query(a, dialect, overrides.get(a.id)) + ";"]
    return "\n".join(parts) + "\n"
