"""The dated price table (shipped as CSV, reviewable), negotiated-rate overrides, and pricing in DuckDB."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib.resources import files
from pathlib import Path
from typing import Any

import duckdb

from .errors import PricingError
from .platforms import PLATFORMS

VARIANTS = ("standard", "long_context", "fast", "fast_long_context")
RATE_COLUMNS = ("input", "cache_write_5m", "cache_write_1h", "cache_read", "output")
CACHE_COLUMNS = ("cache_write_5m", "cache_write_1h", "cache_read")
WEB_SEARCH_USD = Decimal("0.01")  # $10 per 1,000 searches, no batch discount (pricing.md 2.7)
REGIONAL_PREMIUM = Decimal("1.10")  # Bedrock/Vertex regional endpoints, 4.5-series and later (pricing.md 3.1)
US_GEO_PREMIUM = Decimal("1.10")  # inference_geo "us" on 4.6 and later, Anthropic API (pricing.md 2.4)
BATCH_DISCOUNT = Decimal("0.50")  # Batch API, all token classes (pricing.md 2.1)


@dataclass(frozen=True)
class PriceRow:
    """One dated row: the rates ($ per million tokens) of one model variant from valid_from on."""

    platform: str
    model: str
    variant: str
    valid_from: date
    # None: the variant ended on valid_from (billed as standard). A model from before prompt caching (Claude 2.x,
    # Instant, Sonnet 3) has input and output rates and None for the three cache classes: its cache tokens stay
    # unpriced, never $0.
    rates: tuple[Decimal | None, ...] | None
    threshold: int | None
    source: str
    note: str


def _decimal(value: str, where: str) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation as e:
        raise PricingError(f"{where}: {value!r} is not a number") from e
    if not amount.is_finite() or amount < 0:
        raise PricingError(f"{where}: {value!r} is not a non-negative rate")
    if amount >= 1_000_000 or amount % Decimal("0.000001"):  # DECIMAL(12, 6), never rounded
        raise PricingError(f"{where}: {value!r} has more than 6 decimal places or 6 digits before the point")
    return amount


def _cell(raw: dict[str, Any], column: str) -> str:
    value = raw.get(column)
    return value.strip() if isinstance(value, str) else ""


def read_price_file(text: str, origin: str, known_models: frozenset[str]) -> list[PriceRow]:
    """Parse and validate a price CSV (the shipped one or a --prices override of the same shape)."""
    reader = csv.DictReader(text.splitlines())
    needed = {"model", "variant", "valid_from", *RATE_COLUMNS}
    if reader.fieldnames is None or not needed <= set(reader.fieldnames):
        missing = sorted(needed - set(reader.fieldnames or []))
        raise PricingError(f"{origin}: missing columns {', '.join(missing)}")
    rows = []
    first_line: dict[tuple[str, str, str, date], int] = {}  # (platform, model, variant, valid_from) -> line
    for raw in reader:
        n = reader.line_num  # the line the row ends on (a blank line or a quoted line break counts)
        where = f"{origin} line {n}"
        # A short row has None for its missing cells (csv's restval): read every cell as text.
        platform = _cell(raw, "platform") or "*"
        model = _cell(raw, "model")
        variant = _cell(raw, "variant")
        if platform != "*" and platform not in PLATFORMS:
            raise PricingError(f"{where}: unknown platform {platform!r}")
        if model not in known_models:
            raise PricingError(f"{where}: unknown model {model!r} (use a canonical id, see `finops prices`)")
        if variant not in VARIANTS:
            raise PricingError(f"{where}: unknown variant {variant!r}")
        try:
            valid_from = date.fromisoformat(_cell(raw, "valid_from"))
        except ValueError as e:
            raise PricingError(f"{where}: valid_from {_cell(raw, 'valid_from')!r} is not a date") from e
        key = (platform, model, variant, valid_from)
        if key in first_line:  # the row order would decide which rate applies
            raise PricingError(f"{origin} lines {first_line[key]} and {n}: two rows for {model} {variant} on "
                               f"{'every platform' if platform == '*' else platform} from {valid_from}; keep one")
        first_line[key] = n
        values = [_cell(raw, c) for c in RATE_COLUMNS]
        no_cache = [v for c, v in zip(RATE_COLUMNS, values, strict=True) if c in CACHE_COLUMNS]
        if all(values) or (values[0] and values[-1] and not any(no_cache)):
            rates: tuple[Decimal | None, ...] | None = tuple(_decimal(v, where) if v else None for v in values)
        elif not any(values):
            rates = None
        else:
            raise PricingError(f"{where}: give all five rates, input and output alone (a model without prompt "
                               "caching), or none to end the variant")
        threshold_text = _cell(raw, "threshold")
        if threshold_text and not threshold_text.isdigit():
            raise PricingError(f"{where}: threshold {threshold_text!r} is not a whole number of tokens")
        threshold = int(threshold_text) if threshold_text else None
        if variant.endswith("long_context") and rates is not None and threshold is None:
            raise PricingError(f"{where}: a long_context row needs a threshold")
        rows.append(PriceRow(platform, model, variant, valid_from, rates, threshold,
                             _cell(raw, "source") or origin, _cell(raw, "note")))
    return rows


def builtin_rows(known_models: frozenset[str]) -> list[PriceRow]:
    """The shipped price table."""
    text = files("finops").joinpath("data/prices.csv").read_text(encoding="utf-8")
    return read_price_file(text, "prices.csv", known_models)


def _per_platform(rows: list[PriceRow]) -> dict[tuple[str, str, str], list[PriceRow]]:
    """Rows by (platform, model, variant), '*' rows copied to each platform without rows of its own."""
    specific = {(r.platform, r.model) for r in rows if r.platform != "*"}
    series: dict[tuple[str, str, str], list[PriceRow]] = {}
    for r in rows:
        targets = [r.platform] if r.platform != "*" else [p for p in PLATFORMS if (p, r.model) not in specific]
        for p in targets:
            series.setdefault((p, r.model, r.variant), []).append(r)
    for key in series:
        series[key].sort(key=lambda r: r.valid_from)
    return series


def _as_of(series: list[PriceRow], day: date) -> PriceRow | None:
    found = None
    for r in series:
        if r.valid_from <= day:
            found = r
    return found


def merge(builtin: list[PriceRow], overrides: list[PriceRow]) -> list[tuple[str, str, str, date, PriceRow, PriceRow]]:
    """Timeline of (platform, model, variant, valid_from, list row, effective row).

    An override series replaces the built-in rates for its (platform, model, variant) from its first date on;
    list rates always stay the built-in ones, so the report can show list and negotiated cost side by side.
    """
    listed = _per_platform(builtin)
    negotiated = _per_platform(overrides)
    timeline = []
    for key in sorted(set(listed) | set(negotiated)):
        dates = sorted({r.valid_from for r in listed.get(key, []) + negotiated.get(key, [])})
        for day in dates:
            list_row = _as_of(listed.get(key, []), day)
            eff_row = _as_of(negotiated.get(key, []), day) or list_row
            if list_row is None and eff_row is None:
                continue
            timeline.append((*key, day, list_row or eff_row, eff_row or list_row))  # type: ignore[arg-type]
    return timeline


def _rate_fields(prefix: str, row: PriceRow) -> dict[str, object]:
    rates = row.rates or (None,) * len(RATE_COLUMNS)
    return {f"{prefix}{c}": v for c, v in zip(RATE_COLUMNS, rates, strict=True)}


def _price_records(builtin: list[PriceRow], overrides: list[PriceRow]) -> list[dict[str, object]]:
    records: list[dict[str, object]] = []
    for platform, model, variant, day, list_row, eff_row in merge(builtin, overrides):
        if records and (records[-1]["platform"], records[-1]["model"], records[-1]["variant"]) == (
                platform, model, variant):
            records[-1]["valid_to"] = day
        records.append({
            "platform": platform, "model": model, "variant": variant, "valid_from": day, "valid_to": None,
            "threshold": list_row.threshold if list_row.rates else eff_row.threshold,
            **_rate_fields("list_", list_row), **_rate_fields("eff_", eff_row),
            "source": list_row.source, "note": list_row.note,
            "negotiated": eff_row is not list_row,
        })
    return records


_RATE = "DECIMAL(12, 6)"  # the rates' SQL type: at most 6 decimal places and 6 digits before the point
_ROW_FIELDS = ([("threshold", "BIGINT")] + [(f"list_{c}", _RATE) for c in RATE_COLUMNS]
               + [(f"eff_{c}", _RATE) for c in RATE_COLUMNS]
               + [("source", "VARCHAR"), ("note", "VARCHAR"), ("negotiated", "BOOLEAN")])
# Column prefix of each variant in the pivoted table.
PIVOT_PREFIXES = {"standard": "std_", "long_context": "long_", "fast": "fast_", "fast_long_context": "fastlong_"}
Columns = list[tuple[str, str]]  # (name, SQL type)


def price_table(builtin: list[PriceRow], overrides: list[PriceRow]) -> tuple[Columns, list[dict[str, object]]]:
    """The merged timeline as columns and records for DuckDB (rates as DECIMAL, never float). A row is in force from
    valid_from to the day before valid_to (NULL: no end), so a join on that interval finds the row in force on a
    day in every SQL engine (no as-of join needed)."""
    columns = [("platform", "VARCHAR"), ("model", "VARCHAR"), ("variant", "VARCHAR"),
               ("valid_from", "DATE"), ("valid_to", "DATE"), *_ROW_FIELDS]
    return columns, _price_records(builtin, overrides)


def price_pivot(builtin: list[PriceRow], overrides: list[PriceRow]) -> tuple[Columns, list[dict[str, object]]]:
    """The same timeline pivoted for pricing: one row per (platform, model, valid_from) over the union of every
    variant's dates, in force until the next of those dates (valid_to, NULL for the last), with each variant's
    row in force that day (std_, long_, fast_, fastlong_: its own valid_from, threshold, list_ and eff_ rates,
    source, note, negotiated; all NULL when the variant has no row yet). install() gathers the variants' fields
    into one struct, `pr`. A join on the validity interval of this one table finds the same rows as one as-of join
    per variant."""
    series: dict[tuple[str, str], dict[str, list[dict[str, object]]]] = {}
    for r in _price_records(builtin, overrides):  # sorted by (platform, model, variant, valid_from)
        key = (str(r["platform"]), str(r["model"]))
        series.setdefault(key, {}).setdefault(str(r["variant"]), []).append(r)
    records = []
    for (platform, model), by_variant in sorted(series.items()):
        days = sorted({r["valid_from"] for rows in by_variant.values() for r in rows})  # type: ignore[type-var]
        for day, next_day in zip(days, [*days[1:], None], strict=True):
            record: dict[str, object] = {"platform": platform, "model": model, "valid_from": day,
                                         "valid_to": next_day}
            for variant, prefix in PIVOT_PREFIXES.items():
                current = None
                for r in by_variant.get(variant, []):
                    if r["valid_from"] <= day:  # type: ignore[operator]
                        current = r
                record[f"{prefix}valid_from"] = current["valid_from"] if current else None
                for name, _ in _ROW_FIELDS:
                    record[f"{prefix}{name}"] = current[name] if current else None
            records.append(record)
    columns = [("platform", "VARCHAR"), ("model", "VARCHAR"), ("valid_from", "DATE"), ("valid_to", "DATE"),
               *[(f"{prefix}{name}", kind) for prefix in PIVOT_PREFIXES.values()
                 for name, kind in [("valid_from", "DATE"), *_ROW_FIELDS]]]
    return columns, records


def models_table() -> tuple[Columns, list[dict[str, object]]]:
    """The model lifecycle table (release, deprecation, retirement, successor, cache minimum, premiums)."""
    text = files("finops").joinpath("data/models.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    as_date = lambda v: date.fromisoformat(v) if v else None  # noqa: E731
    columns = [("model", "VARCHAR"), ("display_name", "VARCHAR"), ("family", "VARCHAR"), ("released", "DATE"),
               ("deprecated", "DATE"), ("retired", "DATE"), ("successor", "VARCHAR"),
               ("min_cacheable_tokens", "BIGINT"), ("us_geo_premium", "BOOLEAN"), ("regional_premium", "BOOLEAN"),
               ("source", "VARCHAR")]
    return columns, [
        {"model": r["model"], "display_name": r["display_name"], "family": r["family"],
         "released": as_date(r["released"]), "deprecated": as_date(r["deprecated"]),
         "retired": as_date(r["retired"]), "successor": r["successor"] or None,
         "min_cacheable_tokens": int(r["min_cacheable_tokens"]) if r["min_cacheable_tokens"] else None,
         "us_geo_premium": r["us_geo_premium"] == "true", "regional_premium": r["regional_premium"] == "true",
         "source": r["source"]}
        for r in rows
    ]


LIFECYCLE_EVENTS = ("retired", "fast_withdrawn", "batch_unsupported")


def lifecycle_table() -> tuple[Columns, list[dict[str, object]]]:
    """Retirements on platforms other than the Claude API (whose dates are in models.csv) and fast-mode withdrawals,
    each with its source (finops/data/lifecycle.csv)."""
    text = files("finops").joinpath("data/lifecycle.csv").read_text(encoding="utf-8")
    rows = []
    for n, r in enumerate(csv.DictReader(text.splitlines()), start=2):
        if r["event"] not in LIFECYCLE_EVENTS or r["platform"] not in PLATFORMS:
            raise PricingError(f"lifecycle.csv line {n}: unknown event {r['event']!r} or platform {r['platform']!r}")
        rows.append({"model": r["model"], "platform": r["platform"], "event": r["event"],
                     "day": date.fromisoformat(r["date"]), "source": r["source"], "note": r["note"]})
    columns = [("model", "VARCHAR"), ("platform", "VARCHAR"), ("event", "VARCHAR"), ("day", "DATE"),
               ("source", "VARCHAR"), ("note", "VARCHAR")]
    return columns, rows


def _read_utf8(path: Path) -> str:
    """A --prices file's text; one line naming the file (and the first bad byte) when it cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise PricingError(f"{path}: {e.strerror or e}") from e
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as e:
        offset = bom + e.start
        raise PricingError(f"{path}: not UTF-8 text (byte 0x{data[offset]:02x} at offset {offset}); "
                           "save the price file as UTF-8") from None


def _create_table(con: duckdb.DuckDBPyConnection, name: str, columns: Columns,
                  records: list[dict[str, object]]) -> None:
    """Table `name` of the records, built by DuckDB from one list per column in one statement. Not through Arrow:
    pyarrow imports pandas to convert Python objects, half a CPU second of every run. Decimals go as their exact
    text and are cast (a value that does not fit the type is refused by read_price_file)."""
    selects, lists = [], []
    for column, kind in columns:
        values = [r[column] for r in records]
        if kind.startswith("DECIMAL"):
            selects.append(f"unnest(CAST(?::VARCHAR[] AS {kind}[])) AS {column}")
            lists.append([None if v is None else format(v, "f") for v in values])
        else:
            selects.append(f"unnest(?::{kind}[]) AS {column}")
            lists.append(values)
    definition = ", ".join(f"{column} {kind}" for column, kind in columns)
    con.execute(f"CREATE OR REPLACE TABLE {name} ({definition})")
    con.execute(f"INSERT INTO {name} SELECT {', '.join(selects)}", lists)


# The tables install() makes.
INSTALLED_TABLES = ("lifecycle", "prices", "price_pivot", "models", "pricing_rules")
# The tables of a price table made a second time in one process, kept as Arrow tables and copied from then on, by
# the --prices file's name and text (the name can be a row's source; None: the built-in prices alone).
# Building them is ~45 ms of DuckDB statements, copying them ~10: the test suite installs them in some 400
# connections, a library user once a run. Not kept on the first install, so that one `finops analyze` never pays
# for importing pyarrow, which a transcript-only run does not otherwise import. At most KEPT_PRICE_TABLES of them.
KEPT_PRICE_TABLES = 8
_installed_before: set[tuple[str, str] | None] = set()
_arrow_tables: dict[tuple[str, str] | None, dict[str, Any]] = {}


def install(con: duckdb.DuckDBPyConnection, overrides_file: Path | None = None) -> None:
    """Create the `prices` table (and its pivot, `price_pivot`), `models`, `lifecycle` and the constant tables the
    pricing SQL and analyses read."""
    key = None if overrides_file is None else (str(overrides_file), _read_utf8(overrides_file))
    if (tables := _arrow_tables.get(key)) is not None:
        for name, table in tables.items():
            _copy_arrow(con, name, table)
        return
    _build(con, key)
    if key in _installed_before and len(_arrow_tables) < KEPT_PRICE_TABLES:
        _arrow_tables[key] = {name: con.sql(f"SELECT * FROM {name}").to_arrow_table() for name in INSTALLED_TABLES}
    _installed_before.add(key)


def _copy_arrow(con: duckdb.DuckDBPyConnection, name: str, table: Any) -> None:
    """Table `name` of the Arrow table: the same columns, types and rows as _build made it."""
    con.register("finops_installed_table", table)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM finops_installed_table")
    finally:
        con.unregister("finops_installed_table")


def _build(con: duckdb.DuckDBPyConnection, overrides: tuple[str, str] | None) -> None:
    """install()'s tables, from the shipped files and the overrides' (file name, text)."""
    from .models import known_models

    known = known_models()
    negotiated = [] if overrides is None else read_price_file(overrides[1], overrides[0], known)
    builtin = builtin_rows(known)
    _create_table(con, "lifecycle", *lifecycle_table())
    _create_table(con, "prices", *price_table(builtin, negotiated))
    columns, records = price_pivot(builtin, negotiated)
    _create_table(con, "price_pivot_flat", columns, records)
    fields = ", ".join(f"{name} := {name}" for name, _ in columns[4:])
    con.execute("CREATE OR REPLACE TABLE price_pivot AS "
                f"SELECT platform, model, valid_from, valid_to, struct_pack({fields}) AS pr FROM price_pivot_flat")
    con.execute("DROP TABLE price_pivot_flat")
    _create_table(con, "models", *models_table())
    con.execute(
        "CREATE OR REPLACE TABLE pricing_rules AS SELECT ?::DECIMAL(6,2) AS web_search_usd, "
        "?::DECIMAL(4,2) AS regional_premium, ?::DECIMAL(4,2) AS us_geo_premium, ?::DECIMAL(4,2) AS batch_discount",
        [WEB_SEARCH_USD, REGIONAL_PREMIUM, US_GEO_PREMIUM, BATCH_DISCOUNT],
    )


def price_usage(con: duckdb.DuckDBPyConnection) -> None:
    """Create `priced_usage` from `usage`: every row's rates, rule, multiplier and cost (as-of join on date)."""
    sql = files("finops").joinpath("sql/price_usage.sql").read_text(encoding="utf-8")
    con.execute(sql)


def lifecycle_checks(con: duckdb.DuckDBPyConnection) -> list[dict[str, object]]:
    """Rows used after the model's retirement on their platform, fast mode after its withdrawal or inside a batch,
    and Vertex rows without an endpoint where that changes the price: per check, model and platform, the row
    count and the first file:line. The rows stay priced as logged."""
    sql = files("finops").joinpath("sql/lifecycle_checks.sql").read_text(encoding="utf-8")
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
