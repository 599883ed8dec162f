"""Spark local mode on 1 and 2 cores against DuckDB, on the same generated request logs (with bodies).

    python bench/spark.py [--logs 200MB] [--work DIR] [--url] [--remote sc://localhost:15002] [--reader-only]

Runs `finops analyze DIR --format json` with the default engine, then with `--engine spark --spark-master
local[1]` and `local[2]`, each a fresh process (the JVM's start is part of a Spark run's cost, and is reported
apart by a run on a tiny input). The totals and savings of the three report.json files must be identical; prints
wall seconds, MB/s and MB/s per core, and the load average before and after each run (the machine may be shared).
--url adds a local[1] run with the folder given as a file:// URL (listed and read by Spark's binaryFile,
finops/spark_files.py). --remote URL adds a run on a Spark Connect server (`--spark-remote URL`; the README says how
to start one from the pyspark package), whose totals and savings must be DuckDB's too. Before the runs, the
reader's CPU per file in one process: by path (what an executor does for a local path) and handed over as bytes
(a URL's file written to scratch, then read); --reader-only stops there.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import parse_size, request_logs  # noqa: E402

ROOT = Path(__file__).parent.parent


def run(label: str, logs: Path | str, out: Path, extra: list[str]) -> dict[str, object]:
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "finops"), "analyze", str(logs), "-o", str(out),
                    "--format", "json", "--quiet", *extra], check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    doc = json.loads((out / "report.json").read_text())
    return {"label": label, "seconds": seconds, "load": (load_before, os.getloadavg()[0]),
            "totals": doc["totals"], "savings": doc["savings"], "findings": [
                (f["id"], f["savings_usd"]) for f in doc["findings"]]}


def reader_cost(logs: Path) -> None:
    """CPU seconds of the finops reader over the files, in this process: by path, and from bytes as a URL's file
    reaches an executor (scratch file written, read, renamed)."""
    import pyarrow as pa

    from finops import spark_files, spark_ingest

    files = sorted(logs.iterdir())
    nbytes = sum(p.stat().st_size for p in files)
    start = time.process_time()
    by_path = sum(b.num_rows for f in files for b in spark_ingest.read_one(str(f)))
    path_cpu = time.process_time() - start
    start = time.process_time()
    batch = pa.RecordBatch.from_pydict({
        "path": [f"file://{f}" for f in files], "modificationTime": pa.array(
            [f.stat().st_mtime_ns // 1000 for f in files], pa.timestamp("us", "UTC")),
        "content": [f.read_bytes() for f in files]})
    by_url = sum(b.num_rows for b in spark_files._reader({})(iter([batch])))
    url_cpu = time.process_time() - start
    assert by_path == by_url, (by_path, by_url)
    for label, cpu in (("reader by path", path_cpu), ("reader from bytes (URL)", url_cpu)):
        print(f"{label:<40} {cpu:8.1f} CPU s {nbytes / 1e6 / cpu:7.1f} MB per CPU-second")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logs", default="200MB", help="size of the generated request logs")
    parser.add_argument("--work", type=Path, default=Path("/tmp/finops-bench-spark"))
    parser.add_argument("--url", action="store_true", help="also a local[1] run on the folder as a file:// URL")
    parser.add_argument("--remote", metavar="sc://HOST:PORT", help="also a run on this Spark Connect server")
    parser.add_argument("--reader-only", action="store_true", help="only the reader's CPU, by path and by URL")
    args = parser.parse_args(argv)
    size = parse_size(args.logs)
    logs = args.work / f"logs-{args.logs}"
    if not logs.exists():
        request_logs(size, logs, seed=6)
    nbytes = sum(p.stat().st_size for p in logs.iterdir())
    reader_cost(logs)
    if args.reader_only:
        return 0
    tiny = ROOT / "sample_logs" / "api-logs"
    runs = [
        run("spark local[1], tiny input (JVM start)", tiny, args.work / "tiny", ["--engine", "spark",
                                                                              "--spark-master", "local[1]"]),
        run("duckdb", logs, args.work / "duckdb", []),
        run("spark local[1]", logs, args.work / "spark1", ["--engine", "spark", "--spark-master", "local[1]"]),
        run("spark local[2]", logs, args.work / "spark2", ["--engine", "spark", "--spark-master", "local[2]"]),
    ]
    if args.url:
        runs.append(run("spark local[1], file:// URL", f"file://{logs.resolve()}/", args.work / "spark-url",
                        ["--engine", "spark", "--spark-master", "local[1]"]))
    if args.remote:
        runs.append(run(f"spark connect {args.remote}", logs, args.work / "spark-connect",
                        ["--engine", "spark", "--spark-remote", args.remote]))
    base = runs[1]
    print(f"input: {nbytes / 1e6:.0f} MB of request logs in {len(list(logs.iterdir()))} files")
    print(f"{'run':<40} {'wall s':>8} {'MB/s':>7} {'MB/s/core':>10} {'load before-after':>18} {'same totals':>12}")
    for r, cores in zip(runs, (1, 2, 1, 2, 1, 1), strict=False):
        same = (r["totals"], r["savings"], r["findings"]) == (base["totals"], base["savings"], base["findings"])
        mbps = nbytes / 1e6 / r["seconds"]
        load = f"{r['load'][0]:.1f}-{r['load'][1]:.1f}"
        print(f"{r['label']:<40} {r['seconds']:8.1f} {mbps:7.1f} {mbps / cores:10.1f} {load:>18} "
              f"{'-' if r is runs[0] else ('yes' if same else 'NO'):>12}")
    return 0 if all((r["totals"], r["savings"]) == (base["totals"], base["savings"]) for r in runs[1:]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
