"""Each analysis against its hand-worked case folder, on an empty table, and its header's metadata."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest
from helpers import read_csv_rows, usage_con

from finops import analysis
from finops.errors import AnalysisError

CASES = Path(__file__).parent / "analysis_cases"
ANALYSES = analysis.load_all()


def _same(expected: str | None, actual: object) -> bool:
    if expected is None:
        return actual is None
    try:
        return Decimal(expected) == Decimal(str(actual))
    except (InvalidOperation, ValueError):
        return expected == str(actual)


@pytest.mark.parametrize("a", ANALYSES, ids=[a.id for a in ANALYSES])
def test_analysis_matches_its_hand_worked_case(a: analysis.Analysis):
    """The per-record rows an analysis returns equal the case's expected.csv (rows by record_id)."""
    case = CASES / a.id
    assert (case / "usage.csv").is_file(), f"{a.id} has no case folder tests/analysis_cases/{a.id}/"
    overrides = {}
    if (case / "params.csv").is_file():
        overrides = {r["name"]: r["value"] for r in read_csv_rows(case / "params.csv")}
    con = usage_con(read_csv_rows(case / "usage.csv"))
    analysis.prepare(con)
    finding = analysis.run(con, a, overrides)
    expected = read_csv_rows(case / "expected.csv")
    cursor = con.execute("SELECT * FROM finding_rows ORDER BY record_id") if finding else None
    columns = [d[0] for d in cursor.description] if cursor else []
    actual = [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()] if cursor else []
    assert [r["record_id"] for r in actual] == [r["record_id"] for r in expected], f"{a.id}: rows differ"
    for want, got in zip(expected, actual, strict=True):
        for key in read_csv_rows_header(case / "expected.csv"):
            assert key in got, f"{a.id}: no column {key}"
            assert _same(want.get(key), got[key]), (
                f"{a.id} {want['record_id']} {key}: {got[key]!r} != {want.get(key)!r}")
    if finding:
        total = sum((Decimal(r["savings"]) for r in expected), Decimal(0))
        assert finding.savings == total


def read_csv_rows_header(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()[0].split(",")


@pytest.mark.parametrize("a", ANALYSES, ids=[a.id for a in ANALYSES])
def test_analysis_runs_clean_on_an_empty_table(a: analysis.Analysis):
    con = usage_con([])
    analysis.prepare(con)
    assert analysis.run(con, a) is None


@pytest.mark.parametrize("where", ["true", "false"], ids=["with rows", "without rows"])
def test_a_query_without_a_required_column_is_an_error_with_or_without_rows(where: str):
    """The summary of an analysis that returns no rows is skipped (run() knows the count), not the check of its
    columns: a query that lacks `savings` is named, whether or not it found anything."""
    con = usage_con([{"model": "claude-opus-4-1", "charge_period_start": "2026-05-01T12:00:00",
                      "input_tokens": 1000, "output_tokens": 100}])
    analysis.prepare(con)
    broken = analysis.parse("broken.sql", '/* ---\nid = "broken"\ntitle = "t"\nconfidence = "measured"\n'
                            'stage = "review"\nrecommendation = "r"\nmethod = "m"\n--- */\n'
                            f"SELECT record_id, requests, cost FROM priced_usage WHERE {where}")
    with pytest.raises(AnalysisError, match="broken: the query returns no column"):
        analysis.run(con, broken)


def test_every_analysis_has_valid_metadata():
    ids = [a.id for a in ANALYSES]
    assert len(ids) == len(set(ids))
    for a in ANALYSES:
        assert a.confidence in analysis.CONFIDENCES
        assert a.recommendation and a.method and a.title


def test_bad_header_is_rejected_with_the_file_name():
    with pytest.raises(AnalysisError, match="x.sql: header id"):
        analysis.parse("x.sql", '/* ---\nid = "y"\n--- */\nselect 1')
    with pytest.raises(AnalysisError, match="confidence"):
        analysis.parse("x.sql", '/* ---\nid = "x"\ntitle = "t"\nconfidence = "dire"\n--- */\nselect 1')


def test_severity_follows_the_money():
    # Spend $1,487.88: 5% is $74.39, 1% is $14.88. $85.06 is high, $21.09 medium, $0.10 low, whatever the analysis.
    spend = Decimal("1487.88")
    assert [analysis.severity(Decimal(x), spend) for x in ("85.06", "21.09", "0.10", "0")] == [
        "high", "medium", "low", "low"]
    # Dollars alone: $10,000 is high and $1,000 medium on any spend (0.1% of $10M is still $10,000).
    assert analysis.severity(Decimal("10000"), Decimal("10000000")) == "high"
    assert analysis.severity(Decimal("1000"), Decimal("10000000")) == "medium"
    assert analysis.severity(Decimal("999"), None) == "low"


def test_unknown_parameter_is_refused():
    a = next(a for a in ANALYSES if a.id == "legacy_model")
    with pytest.raises(AnalysisError, match="no parameter"):
        analysis.coerce_params(a, {"nope": "1"})
    assert analysis.coerce_params(a, {"min_savings_usd": "5"})["min_savings_usd"] == 5


def test_a_value_of_the_wrong_type_is_refused_in_plain_words():
    """'abc' is not a int: the message named the Python type, with the wrong article. Each type, in words."""
    routing = next(a for a in ANALYSES if a.id == "model_routing")  # max_input_tokens = 2000: a whole number
    batch = next(a for a in ANALYSES if a.id == "batch_candidates")  # min_unstreamed_share = 0.95: a number
    with pytest.raises(AnalysisError, match=r"^model_routing.max_input_tokens: 'abc' is not a whole number$"):
        analysis.coerce_params(routing, {"max_input_tokens": "abc"})
    with pytest.raises(AnalysisError, match=r"^model_routing.max_input_tokens: 2.5 is not a whole number$"):
        analysis.coerce_params(routing, {"max_input_tokens": 2.5})  # a TOML float is not truncated to 2
    with pytest.raises(AnalysisError, match=r"^batch_candidates.min_unstreamed_share: 'lots' is not a number$"):
        analysis.coerce_params(batch, {"min_unstreamed_share": "lots"})
    with pytest.raises(AnalysisError, match=r"is not a number$"):
        analysis.coerce_params(batch, {"min_unstreamed_share": "nan"})
    with pytest.raises(AnalysisError, match=r"^model_routing.target_model: 3 is not text$"):
        analysis.coerce_params(routing, {"target_model": 3})
    flag = analysis.Analysis(**{**routing.__dict__, "params": {"strict": False}})
    with pytest.raises(AnalysisError, match=r"^model_routing.strict: 'maybe' is not true or false$"):
        analysis.coerce_params(flag, {"strict": "maybe"})  # was read as false
    assert analysis.coerce_params(flag, {"strict": "yes"})["strict"] is True
    assert analysis.coerce_params(routing, {"max_input_tokens": "3000", "target_model": "claude-haiku-4-5"}) == {
        "max_input_tokens": 3000, "max_output_tokens": 300, "target_model": "claude-haiku-4-5"}
    assert analysis.coerce_params(batch, {"min_unstreamed_share": "0.5"})["min_unstreamed_share"] == 0.5
