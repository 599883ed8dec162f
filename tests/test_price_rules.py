"""Every row of finops/data/prices.csv against the rules that define its rates (pricing.md, README "How it counts").

The table is read with the csv module, not with finops. For each row with rates:

- cache: 5-minute write = 1.25 x input, 1-hour write = 2 x input, read = 0.1 x input (pricing.md 2.2), on every
  variant (the cache multipliers stack on the long-context and fast bases: pricing.md 2.3, 2.6);
- batch rows, where the table has any: every class = 0.5 x the standard rate on the same date (pricing.md 2.1);
  the batch discount finops applies itself is checked to be that 0.5;
- long context: input 2 x and output 1.5 x the standard rates on the same date (pricing.md 2.3: $6 / $22.50 on
  $3 / $15); a long-context fast row is 2 x / 1.5 x the fast row (pricing.md 2.6: $60 / $225 on $30 / $150);
- fast mode: input and output 6 x standard on Opus 4.6 and 4.7 (pricing.md 2.6, "6x standard rates": $30 / $150
  on $5 / $25), 2 x on every later model ($10 / $50 on $5 / $25, $8 / $40 on $4 / $20, $16 / $80 on $8 / $40).

The exceptions are listed below by name, each with its reason. A row with no rates at all ends a variant from
its date (a long-context tier that closed, a fast mode withdrawn). Models from before prompt caching (Claude 2.x,
Claude Instant and Claude 3 Sonnet) have no cache prices: a row of theirs may leave all three cache rates blank,
never some.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from finops import pricing

PRICES = Path(__file__).resolve().parent.parent / "finops" / "data" / "prices.csv"
RATES = ("input", "cache_write_5m", "cache_write_1h", "cache_read", "output")
CACHE_RULE = {"cache_write_5m": Decimal("1.25"), "cache_write_1h": Decimal(2), "cache_read": Decimal("0.1")}
BATCH = Decimal("0.5")
D = Decimal

# (model, from this date on or None for every date): {class: multiplier of input, or ("exactly", rate)}, why.
CACHE_EXCEPTIONS: dict[tuple[str, date | None], tuple[dict[str, Decimal | tuple[str, Decimal]], str]] = {
    ("claude-3-haiku", None): (
        {"cache_write_5m": ("exactly", D("0.30")), "cache_read": ("exactly", D("0.03"))},
        "pricing.md 1.1 and 2.2: Haiku 3's cache prices are Anthropic's rounded figures ($0.30 and $0.03, "
        "not 1.25 x 0.25 = 0.3125 and 0.1 x 0.25 = 0.025)"),
    ("claude-opus-5-5", None): ({"cache_read": D("0.05")}, "pricing.md 2.2: Opus 5.5 reads at 0.05x"),
    ("claude-sonnet-5-5", date(2026, 10, 7)): (
        {"cache_read": D("0.05")}, "pricing.md 2.2 and 1.3: Sonnet 5.5 reads at 0.05x from 2026-10-07"),
    ("claude-fable-5-1", None): ({"cache_read": D("0.025")}, "pricing.md 2.2: Fable 5.1 reads at 0.025x"),
    ("claude-mythos-5-1", None): ({"cache_read": D("0.025")}, "pricing.md 2.2: Mythos 5.1 reads at 0.025x"),
    ("claude-fable-5-2", None): ({"cache_read": D("0.025")}, "pricing.md 2.2: Fable 5.2 reads at 0.025x"),
    ("claude-mythos-5-2", None): (
        {"cache_read": D("0.025")}, "pricing.md 1.3: Mythos 5.2 is priced as Fable 5.2, read $0.20 on $8 input"),
}
# (variant, model or None for every model): (input multiplier, output multiplier) of the base variant, and why.
VARIANT_BASE = {"long_context": "standard", "fast": "standard", "fast_long_context": "fast"}
VARIANT_RULES: dict[tuple[str, str | None], tuple[Decimal, Decimal, str]] = {
    ("long_context", None): (D(2), D("1.5"), "pricing.md 2.3: $6 / $22.50 over 200K on $3 / $15"),
    ("long_context", "claude-haiku-5-5"): (
        D(5), D(5), "pricing.md 1.3: Haiku 5.5 is $0.50 / $2.50 over a 100K prompt, on $0.10 / $0.50"),
    ("fast_long_context", None): (D(2), D("1.5"), "pricing.md 2.6: Opus 4.6 fast $60 / $225 over 200K on $30 / $150"),
    ("fast", None): (D(2), D(2), "pricing.md 2.6: $10 / $50 on $5 / $25 (Opus 4.8, 5), $8 / $40 on $4 / $20 "
                                 "(Opus 5.5), $16 / $80 on $8 / $40 (Fable and Mythos 5.2)"),
    ("fast", "claude-opus-4-6"): (D(6), D(6), "pricing.md 2.6: research preview at 6x standard rates"),
    ("fast", "claude-opus-4-7"): (D(6), D(6), "pricing.md 2.6: $30 / $150 on $5 / $25"),
}
# Models that never had prompt caching: all three cache rates blank on their rows. Caching launched on Claude 3.5
# Sonnet, 3 Opus and 3 Haiku (2024), never on Claude 3 Sonnet, Claude 2.x or Claude Instant.
NO_CACHING = re.compile(r"claude-(2|instant)([-.].*)?|claude-3-sonnet")


@dataclass(frozen=True)
class Row:
    line: int
    platform: str
    model: str
    variant: str
    valid_from: date
    rates: dict[str, Decimal | None]

    def __str__(self) -> str:
        return f"prices.csv line {self.line} ({self.platform},{self.model},{self.variant},{self.valid_from})"

    @property
    def priced(self) -> bool:
        return any(v is not None for v in self.rates.values())


def read_rows(path: Path = PRICES) -> list[Row]:
    with open(path, newline="", encoding="utf-8") as f:
        return [Row(n, r["platform"], r["model"], r["variant"], date.fromisoformat(r["valid_from"]),
                    {k: (D(r[k]) if r[k].strip() else None) for k in RATES})
                for n, r in enumerate(csv.DictReader(f), start=2)]


def in_force(rows: list[Row], platform: str, model: str, variant: str, day: date) -> Row | None:
    """The row of a variant in force on a day (the latest valid_from on or before it); None before the first."""
    mine = [r for r in rows if (r.platform, r.model, r.variant) == (platform, model, variant) and r.valid_from <= day]
    return max(mine, key=lambda r: r.valid_from, default=None)


def cache_rule(row: Row, cls: str) -> tuple[Decimal, str]:
    """The expected rate of a cache class on this row, and the rule it comes from."""
    found = [(since, rule) for (model, since), rule in CACHE_EXCEPTIONS.items()
             if model == row.model and (since is None or row.valid_from >= since) and cls in rule[0]]
    if found:
        _, (rule, why) = max(found, key=lambda x: x[0] or date.min)
        value = rule[cls]
        if isinstance(value, tuple):
            return value[1], why
        return value * row.rates["input"], why  # type: ignore[operator]
    return CACHE_RULE[cls] * row.rates["input"], f"{CACHE_RULE[cls]} x input"  # type: ignore[operator]


def violations(rows: list[Row]) -> list[str]:
    out = []
    for row in rows:
        if not row.priced:
            continue  # the end of a variant from this date
        missing = [k for k in RATES if row.rates[k] is None]
        caching = [k for k in CACHE_RULE if row.rates[k] is not None]
        if missing and not (set(missing) == set(CACHE_RULE) and NO_CACHING.fullmatch(row.model)):
            out.append(f"{row}: rates missing: {', '.join(missing)}")
            continue
        for cls in caching:
            expected, why = cache_rule(row, cls)
            if row.rates[cls] != expected:
                out.append(f"{row}: {cls} {row.rates[cls]} should be {expected} ({why})")
        out += variant_violations(rows, row)
    return out


def variant_violations(rows: list[Row], row: Row) -> list[str]:
    """A variant's rates against its base variant's on every date either changes while the row is in force."""
    if row.variant == "standard":
        return []
    if row.variant == "batch":
        base_variant, rule = "standard", (BATCH, BATCH, "pricing.md 2.1: batch is 50% of standard, every class")
    elif row.variant in VARIANT_BASE:
        base_variant = VARIANT_BASE[row.variant]
        rule = VARIANT_RULES.get((row.variant, row.model)) or VARIANT_RULES[(row.variant, None)]
    else:
        return [f"{row}: variant {row.variant!r} has no rule in this test"]
    out = []
    days = sorted({r.valid_from for r in rows if r.model == row.model and r.valid_from >= row.valid_from})
    for day in days:
        if in_force(rows, row.platform, row.model, row.variant, day) != row:
            break  # a later row of this variant took over
        base = in_force(rows, row.platform, row.model, base_variant, day)
        if base is None or not base.priced:
            out.append(f"{row}: no {base_variant} rates in force on {day} to compare with")
            continue
        factor_in, factor_out, why = rule
        classes = RATES if row.variant == "batch" else ("input", "output")
        for cls in classes:
            factor = factor_out if cls == "output" else factor_in
            if base.rates[cls] is not None and row.rates[cls] != factor * base.rates[cls]:  # type: ignore[operator]
                out.append(f"{row}: {cls} {row.rates[cls]} on {day} should be {factor} x the {base_variant} "
                           f"{base.rates[cls]} of line {base.line} ({why})")
    return out


def test_every_rate_in_the_price_table_follows_its_rule() -> None:
    rows = read_rows()
    assert len(rows) > 40 and sum(r.priced for r in rows) > 30  # the whole table was read
    assert violations(rows) == []


def test_every_listed_exception_matches_a_row() -> None:
    """An exception that no row needs any more is removed, so that the list says what the table holds."""
    rows = read_rows()
    for model, since in CACHE_EXCEPTIONS:
        assert any(r.model == model and r.priced and (since is None or r.valid_from >= since) for r in rows), model
    for variant, model in VARIANT_RULES:
        assert any(r.variant == variant and r.priced and model in (None, r.model) for r in rows), (variant, model)


def test_finops_applies_the_documented_batch_discount() -> None:
    assert pricing.BATCH_DISCOUNT == BATCH  # pricing.md 2.1: "charged at 50% of the standard API prices"


def test_the_rules_catch_a_wrong_rate_in_any_class(tmp_path: Path) -> None:
    """The rules are not vacuous: one wrong figure in a copy of the table is named, whatever its class."""
    text = PRICES.read_text(encoding="utf-8")
    planted = {
        "cache_write_1h": ("*,claude-opus-4-5,standard,2025-11-24,5.00,6.25,10.00,",
                           "*,claude-opus-4-5,standard,2025-11-24,5.00,6.25,12.00,"),
        "cache_write_5m": ("*,claude-sonnet-4-6,standard,2026-02-17,3.00,3.75,",
                           "*,claude-sonnet-4-6,standard,2026-02-17,3.00,3.50,"),
        "cache_read": ("*,claude-opus-4-1,standard,2025-08-05,15.00,18.75,30.00,1.50,",
                       "*,claude-opus-4-1,standard,2025-08-05,15.00,18.75,30.00,0.15,"),
        "output": ("*,claude-opus-4-6,long_context,2026-02-05,10.00,12.50,20.00,1.00,37.50,",
                   "*,claude-opus-4-6,long_context,2026-02-05,10.00,12.50,20.00,1.00,25.00,"),
        "input": ("*,claude-opus-4-8,fast,2026-05-28,10.00,12.50,20.00,1.00,50.00,",
                  "*,claude-opus-4-8,fast,2026-05-28,30.00,12.50,20.00,1.00,50.00,"),
    }
    for cls, (right, wrong) in planted.items():
        assert text.count(right) == 1, right
        copy = tmp_path / f"{cls}.csv"
        copy.write_text(text.replace(right, wrong), encoding="utf-8")
        found = violations(read_rows(copy))
        assert found and all(cls in v or "input" in cls for v in found), found
        assert any(wrong.split(",")[1] in v for v in found), found
