"""The pricing and analysis SQL generated for other engines from the one DuckDB source (finops/dialects.py)."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pyarrow as pa
import pytest
import sqlglot
from sqlglot import exp

from finops import analysis, dialects, pricing
from finops.errors import AnalysisError

ANALYSES = analysis.load_all()
DUCKDB_ONLY = ("ASOF", "INT128", "HUGEINT", "EXCLUDE", "$", "MACRO", "LIST_FILTER", "LIST_TRANSFORM",
               "PRORATE(", "CACHE_SEQUENCED(")


@pytest.mark.parametrize("dialect", dialects.DIALECTS)
def test_every_analysis_and_the_pricing_transpile_and_parse_back(dialect: str):
    queries = {"pricing": dialects.pricing_query(dialect)}
    queries |= {a.id: dialects.analysis_query(a, dialect) for a in ANALYSES}
    for name, sql in queries.items():
        tree = sqlglot.parse_one(sql, read=dialect)  # raises on SQL the dialect's parser does not accept
        assert isinstance(tree, exp.Query), name
        if dialect == "spark":
            upper = sql.upper()
            assert not [t for t in DUCKDB_ONLY if t in upper], f"{name}: DuckDB-only SQL left for Spark"


def test_parameters_are_bound_as_typed_literals():
    assert dialects.literal(True).sql("spark") == "TRUE"
    assert dialects.literal(10).sql("spark") == "10"
    assert dialects.literal(0.95).sql("spark") == "CAST('0.95' AS DOUBLE)"  # DuckDB binds a float as DOUBLE
    hostile = "it's'; DROP TABLE usage; --"
    bound = dialects.literal(hostile)
    for dialect in dialects.DIALECTS:  # the value comes back whole, as one string literal, in every dialect
        back = sqlglot.parse_one(f"SELECT {bound.sql(dialect)} AS x", read=dialect)
        assert back.selects[0].this.this == hostile


def test_a_parameter_override_reaches_the_generated_sql():
    routing = next(a for a in ANALYSES if a.id == "model_routing")
    sql = dialects.analysis_query(routing, "spark", {"max_output_tokens": 77})
    assert "<= 77" in sql


def test_an_unbound_placeholder_is_an_error():
    with pytest.raises(AnalysisError, match=r"\$nope"):
        dialects.bind(sqlglot.parse_one("SELECT $nope", read="duckdb"), {})


def test_macros_are_expanded_in_place():
    ttl = next(a for a in ANALYSES if a.id == "cache_ttl")
    sql = dialects.analysis_query(ttl, "spark").upper()
    assert "PRORATE(" not in sql and "CACHE_SEQUENCED()" not in sql
    assert "LEAD(CHARGE_PERIOD_START)" in sql  # the body of cache_sequenced() (analysis/_shared.sql)


def test_price_rows_end_where_the_next_begins():
    """Each price row is in force until the next row of its series (valid_to), the last one without end: the
    interval join that replaces DuckDB's as-of join finds exactly one row per day."""
    con = duckdb.connect()
    pricing.install(con)
    for table, key in (("prices", "platform, model, variant"), ("price_pivot", "platform, model")):
        gaps = con.execute(f"""
            SELECT count(*) FROM (
                SELECT valid_to, lead(valid_from) OVER (PARTITION BY {key} ORDER BY valid_from) AS next_from
                FROM {table})
            WHERE valid_to IS DISTINCT FROM next_from""").fetchone()[0]
        assert gaps == 0, table
    # claude-3-opus on the Claude API: one standard row from its launch, without end (prices.csv)
    rows = con.execute("SELECT valid_from, valid_to FROM prices WHERE platform = 'anthropic' "
                       "AND model = 'claude-3-opus' AND variant = 'standard'").fetchall()
    assert rows and rows[-1][1] is None and all(isinstance(r[0], date) for r in rows)


@pytest.mark.parametrize("dialect", dialects.DIALECTS)
def test_finops_sql_prints_pricing_and_every_analysis_in_the_dialect(dialect: str, tmp_path):
    from click.testing import CliRunner

    from finops.cli import cli

    result = CliRunner().invoke(cli, ["sql", "--dialect", dialect, "--param", "model_routing.max_output_tokens=77",
                                      "--tables", str(tmp_path)])
    assert result.exit_code == 0, result.output
    statements = [s for s in sqlglot.parse(result.output, read=dialect) if s is not None]
    queries = [s for s in statements if isinstance(s, (exp.Query, exp.Create))]
    assert len(queries) == 1 + len(ANALYSES)  # priced_usage, then one query per analysis
    created = queries[0]
    assert isinstance(created, exp.Create) and created.this.name == "priced_usage"
    assert "<= 77" in result.output
    if dialect == "spark":  # exact decimals: the setting is in the script, as a statement
        assert "SET spark.sql.decimalOperations.allowPrecisionLoss = false;" in result.output
    import pyarrow.parquet as pq

    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "models.parquet", "price_pivot.parquet", "prices.parquet", "pricing_rules.parquet"]
    assert "valid_to" in pq.read_schema(tmp_path / "prices.parquet").names


class FakeSpark:
    """Records the SQL a SparkQueries connection sends, and answers with a fixed Arrow table."""

    def __init__(self, answer: pa.Table) -> None:
        self.answer, self.sent, self.views = answer, [], {}

    def sql(self, text: str) -> FakeSpark:
        self.sent.append(text)
        return self

    def toArrow(self) -> pa.Table:  # noqa: N802 (pyspark's name)
        return self.answer

    def createDataFrame(self, table: pa.Table, schema: object = None) -> FakeSpark:  # noqa: N802
        self.last = table
        return self

    def createOrReplaceTempView(self, name: str) -> None:  # noqa: N802
        self.views[name] = self.last


def test_report_queries_on_sparks_tables_go_to_spark_with_their_parameters_in_text_order():

    from finops.spark_queries import SparkQueries

    answer = pa.table({"n": [3], "at": pa.array([0], pa.timestamp("us", tz="UTC"))})
    fake, local = FakeSpark(answer), duckdb.connect()
    local.execute("CREATE TABLE finding_savings AS SELECT 'f1' AS finding_id, 'r1' AS record_id")
    con = SparkQueries(fake, local)
    # A driver table alone: DuckDB, Spark never asked.
    assert con.execute("SELECT count(*) FROM finding_savings").fetchone() == (1,) and not fake.sent
    # Spark's table: sent to Spark, `?` bound in the order of the text (sqlglot walks LIMIT's before WHERE's), the
    # driver table it joins copied to Spark first, the answer read back through DuckDB with naive UTC times.
    row = con.execute("SELECT count(*) AS n, min(charge_period_start) AS at FROM priced_usage u "
                      "JOIN finding_savings s USING (record_id) WHERE u.platform = ? LIMIT ?", ["it's", 5]).fetchone()
    assert row == (3, datetime(1970, 1, 1))
    (sent,) = fake.sent
    assert "u.platform = 'it''s'" in sent.replace("\\'", "''") and "LIMIT 5" in sent
    assert fake.views["finding_savings"].to_pylist() == [{"finding_id": "f1", "record_id": "r1"}]
    # CREATE TABLE AS of a Spark query: the table is the driver's, made of Spark's answer.
    con.execute("CREATE TEMP TABLE spark_made AS SELECT count(*) AS n FROM usage")
    assert local.execute("SELECT n FROM spark_made").fetchall() == [(3,)]
    with pytest.raises(AnalysisError, match="parameter"):
        con.execute("SELECT count(*) FROM usage WHERE platform = ?", [])


def test_duckdb_forms_spark_lacks_are_rewritten_once():
    tuple_in = sqlglot.parse_one("SELECT 1 FROM p WHERE (p.a, p.b) IN (SELECT (x, y) FROM q)", read="duckdb")
    assert "(p.a, p.b) IN ( SELECT x, y FROM q )" in " ".join(dialects.generate(tuple_in, "spark").split())
    days = sqlglot.parse_one("SELECT CAST(unnest(generate_series(f, l, INTERVAL 1 DAY)) AS DATE) AS d FROM s",
                             read="duckdb")
    assert "EXPLODE(CAST(SEQUENCE(f, l, INTERVAL '1' DAY) AS ARRAY<DATE>)) AS d" in dialects.generate(days, "spark")
    platforms = sqlglot.parse_one("SELECT list(DISTINCT platform ORDER BY platform) AS p FROM u", read="duckdb")
    assert "ARRAY_SORT(COLLECT_SET(platform)) AS p" in dialects.generate(platforms, "spark")  # collect_list: any order
    with pytest.raises(AnalysisError, match="order"):
        dialects.generate(sqlglot.parse_one("SELECT list(x ORDER BY y) FROM u", read="duckdb"), "spark")
