"""Where `finops analyze` spends time and memory: wall seconds and peak RSS after each step of pipeline.run.

    python bench/phases.py FOLDER [--db STORE --month YYYY-MM] [--json FILE]

Wraps the pipeline's steps in place (nothing in finops changes) and prints one line per step. Peak RSS is the
process high-water mark (VmHWM), so a step's figure is the peak reached by the end of that step. CPU seconds are
the process's (every thread's) and its waited-for children's: on a shared machine they move less than wall time.
--json also writes the lines to FILE (bench/run.py puts them under each section it measures).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path


def _peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _cpu() -> float:
    own, children = os.times()[0:2], os.times()[2:4]
    return sum(own) + sum(children)


def main() -> None:
    start = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--month")
    parser.add_argument("--one-process", action="store_true",
                        help="read every file in this process (the library's default; the command uses workers)")
    parser.add_argument("--json", type=Path, help="also write the steps to this file, as a JSON list")
    args = parser.parse_args()

    from finops import analysis, ingest, pipeline, pricing, sections, stacking, store

    if not args.one_process:
        ingest.use_worker_processes()  # as the `finops` command does

    steps: list[tuple[str, float, float, float]] = []
    last = [time.perf_counter()]

    def timed(module: object, name: str, label: str) -> None:
        original = getattr(module, name)

        @functools.wraps(original)
        def wrapper(*a: object, **kw: object) -> object:
            t0, c0 = time.perf_counter(), _cpu()
            result = original(*a, **kw)
            steps.append((label, time.perf_counter() - t0, _cpu() - c0, _peak_mib()))
            return result

        setattr(module, name, wrapper)

    timed(ingest, "load", "read files (ingest.load)")
    timed(store, "attach", "attach store (store.attach)")
    timed(pricing, "price_usage", "pricing (price_usage.sql)")
    timed(analysis, "run", "analyses (each)")
    timed(stacking, "stack", "stacking")
    timed(sections, "build_all", "report sections")
    lines = [("imports", last[0] - start, _cpu(), _peak_mib())]
    cpu0 = _cpu()
    audit = pipeline.run(args.paths, now=datetime.now(UTC), db=args.db, month=args.month)
    total = time.perf_counter() - last[0]
    cpu_total = _cpu() - cpu0
    merged: dict[str, list[float]] = {}
    for label, seconds, cpu, peak in steps:
        entry = merged.setdefault(label, [0.0, 0.0, 0.0])
        entry[0] += seconds
        entry[1] += cpu
        entry[2] = max(entry[2], peak)
    lines += [(label, seconds, cpu, peak) for label, (seconds, cpu, peak) in merged.items()]
    other = total - sum(s for s, _, _ in merged.values())
    other_cpu = cpu_total - sum(c for _, c, _ in merged.values())
    lines.append(("everything else in run()", other, other_cpu, _peak_mib()))
    lines.append(("total", time.perf_counter() - start, _cpu(), _peak_mib()))
    for label, seconds, cpu, peak in lines:
        print(f"{label:<32} {seconds:7.2f} s {cpu:7.2f} cpu {peak:8.0f} MiB")
    if args.json:
        args.json.write_text(json.dumps([{"step": label, "seconds": seconds, "cpu": cpu, "peak_mib": peak}
                                         for label, seconds, cpu, peak in lines]), encoding="utf-8")
    audit.close()


if __name__ == "__main__":
    main()
