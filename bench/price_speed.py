"""Time the pricing statement (finops/sql/price_usage.sql) alone, and optionally check it against another version.

    python bench/price_speed.py --db STORE.duckdb                 # usage from a store (bench/run.py builds them)
    python bench/price_speed.py sample_logs --shift-days 60       # usage read from files, copied at shifted dates
    python bench/price_speed.py --db STORE.duckdb --baseline OLD.sql
    python bench/price_speed.py sample_logs --shift-days 200 --prices negotiated.csv --baseline OLD.sql

--stress marks rows fast and long so every variant is reached.
--shift-days N adds copies of the usage moved by -N, -N/2, +N/2 and +N days (new record ids), so the rows
cross the price table's dated changes. With --baseline, the baseline SQL is timed too and the two
`priced_usage` tables must be identical: same column names and types, and EXCEPT ALL empty both ways.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from finops import ingest, pricing, store  # noqa: E402

CURRENT = ROOT / "finops" / "sql" / "price_usage.sql"


def timed(con: duckdb.DuckDBPyConnection, sql: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        con.execute(sql)
        best = min(best, time.perf_counter() - t)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, help="usage files or folders (instead of --db)")
    parser.add_argument("--db", type=Path, help="a store made by `finops ingest` (its usage, as a view)")
    parser.add_argument("--shift-days", type=int, default=0)
    parser.add_argument("--baseline", type=Path, help="another price_usage.sql to time and compare against")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--stress", action="store_true",
                        help="also mark a third of the rows fast and make a fifth long (to reach every variant)")
    parser.add_argument("--prices", type=Path, help="negotiated-rate overrides, as `finops analyze --prices`")
    args = parser.parse_args(argv)

    con = duckdb.connect()
    store.configure(con)
    pricing.install(con, args.prices)
    if args.db:
        store.attach(con, args.db)
    else:
        ingest.load(args.paths, con, None)
    if args.shift_days:
        n = args.shift_days
        con.execute("CREATE TEMP TABLE usage_seed AS SELECT * FROM usage")
        con.execute(f"""
            INSERT INTO usage SELECT u.* REPLACE (
                    md5(record_id || ':' || d) AS record_id,
                    charge_period_start + to_days(d) AS charge_period_start,
                    charge_period_end + to_days(d) AS charge_period_end)
            FROM usage_seed u, (VALUES (-{n}), (-{n // 2}), ({n // 2}), ({n})) s(d)""")
    if args.stress:
        con.execute("CREATE TEMP TABLE usage_stress AS SELECT * FROM usage")
        con.execute("""
            CREATE OR REPLACE TEMP VIEW usage AS SELECT * REPLACE (
                CASE WHEN hash(record_id) % 3 = 0 THEN 'fast' ELSE speed END AS speed,
                CASE WHEN hash(record_id) % 5 = 0 THEN input_tokens * 50 + 150000 ELSE input_tokens END AS input_tokens,
                CASE WHEN hash(record_id) % 7 = 0 AND granularity = 'bucket' THEN '200k-1M' ELSE context_window END
                    AS context_window)
            FROM usage_stress""")
    rows = con.execute("SELECT count(*) FROM usage").fetchone()[0]  # type: ignore[index]
    print(f"usage rows: {rows:,}")

    new_sql = CURRENT.read_text(encoding="utf-8")
    new_s = timed(con, new_sql, args.repeat)
    print(f"current  {CURRENT.relative_to(ROOT)}: {new_s:.3f} s (best of {args.repeat})")
    if not args.baseline:
        return 0
    con.execute("ALTER TABLE priced_usage RENAME TO priced_new")
    old_s = timed(con, args.baseline.read_text(encoding="utf-8"), args.repeat)
    print(f"baseline {args.baseline}: {old_s:.3f} s (best of {args.repeat}); speed-up {old_s / new_s:.2f}x")

    old_cols = con.execute("DESCRIBE priced_usage").fetchall()
    new_cols = con.execute("DESCRIBE priced_new").fetchall()
    same_schema = [c[:2] for c in old_cols] == [c[:2] for c in new_cols]
    if not same_schema:
        print("schemas differ:")
        for a, b in zip(old_cols, new_cols, strict=False):
            if a[:2] != b[:2]:
                print(f"  baseline {a[:2]}  current {b[:2]}")
        print(f"  {len(old_cols)} vs {len(new_cols)} columns")
    only_old = con.execute("SELECT count(*) FROM (SELECT * FROM priced_usage EXCEPT ALL SELECT * FROM priced_new)"
                           ).fetchone()[0]  # type: ignore[index]
    only_new = con.execute("SELECT count(*) FROM (SELECT * FROM priced_new EXCEPT ALL SELECT * FROM priced_usage)"
                           ).fetchone()[0]  # type: ignore[index]
    counts = con.execute("SELECT (SELECT count(*) FROM priced_usage), (SELECT count(*) FROM priced_new)").fetchone()
    print(f"rows baseline/current: {counts}; only in baseline: {only_old}; only in current: {only_new}")
    print("variants:", con.execute("SELECT price_variant, price_negotiated, count(*) FROM priced_new GROUP BY ALL "
                                   "ORDER BY ALL").fetchall())
    ok = same_schema and only_old == 0 and only_new == 0 and counts[0] == counts[1]  # type: ignore[index]
    print("IDENTICAL" if ok else "DIFFERENT")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
