"""What the test suite costs, and how fast the machine was while it ran.

    python bench/suite.py [--rounds N] [-- PYTEST OPTIONS]

The same code's `make test` took 230 s and then 170 s on this 2-core machine, a quarter of an hour apart: its
speed drifts, so a wall time says as much about the hour as about the suite. Each round here runs a fixed probe (20
`pipeline.run` of a 4-line transcript: CPU seconds a run), then the README's test command (`python -m pytest`) under
bench/tree.py (the CPU of every process it starts, the Spark tests' JVM included), then the probe again, and prints:

- wall seconds, and CPU seconds of the whole process tree and by program (python, java);
- the floor: CPU seconds / cores, the wall time no way of sharing the work over the cores can beat;
- the probe's CPU seconds a run, before and after: the machine's speed at the time. Compare two versions of the
  code only at similar probe figures, or alternate them. Dividing by the probe does not take the machine out: the
  same code's CPU seconds over the probe's were 747 at a slow hour (probe 0.55 to 0.60) and 960 and 1,015 at fast
  ones (0.26 to 0.31), its wall time 230 s and 156 to 158 s;
- the seconds each test file took on its worker in this run (pytest's cache, written by tests/conftest.py), the
  Spark unit apart (one worker runs every Spark file in one JVM).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE_RUNS = 20
PROBE = f"""
import time
from datetime import datetime
from pathlib import Path
from finops import pipeline
from finops.report import to_json
paths = [Path("tests/hostile/claude_code/bom_crlf.jsonl")]
def once():
    audit = pipeline.run(paths, now=datetime(2026, 12, 1))
    to_json(audit.report)
    audit.close()
for _ in range(3):
    once()  # imports, caches: not what is measured
start = time.process_time()
for _ in range({PROBE_RUNS}):
    once()
print((time.process_time() - start) / {PROBE_RUNS})
"""
SECONDS_CACHE = ROOT / ".pytest_cache" / "v" / "finops" / "seconds_by_file_last_run"


def probe() -> float:
    """CPU seconds of one small `pipeline.run`, as this machine runs it now."""
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(done.stdout.split()[-1])


def suite(pytest_args: list[str]) -> dict:
    """bench/tree.py's figures for one run of the test command; of pytest's output, its last two lines are shown."""
    command = [sys.executable, str(ROOT / "bench" / "tree.py"), "--", sys.executable, "-m", "pytest", *pytest_args]
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)
    lines = done.stdout.rstrip().splitlines()
    print("\n".join(lines[-3:-1]))  # the last progress line, and how many passed in how long
    return json.loads(lines[-1])


def file_seconds(since: float) -> dict[str, float]:
    """The seconds of each file of the run that started at `since` (none when pytest's cache was not written)."""
    try:
        if SECONDS_CACHE.stat().st_mtime < since:
            return {}
        return json.loads(SECONDS_CACHE.read_text())
    except (OSError, ValueError):
        return {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("pytest_args", nargs="*", help="after --: options for pytest (default: pyproject.toml's)")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    for n in range(1, args.rounds + 1):
        before = probe()
        started = time.time()
        figures = suite(args.pytest_args)
        after = probe()
        cpu, wall = figures["cpu_s"], figures["wall_s"]
        by_program = {k: v for k, v in sorted(figures["cpu_by_program"].items(), key=lambda kv: -kv[1]) if v >= 0.5}
        print(f"round {n}: exit {figures['rc']}, {wall:.1f} s wall, {cpu:.1f} CPU s "
              f"({', '.join(f'{k} {v:.1f}' for k, v in by_program.items())})")
        print(f"  floor on {cores} cores: {cpu / cores:.1f} s; the wall time is {wall / (cpu / cores):.2f}x it")
        print(f"  probe (the machine's speed): {before:.3f} and {after:.3f} CPU s a run, before and after")
        seconds = file_seconds(started)
        if seconds:
            spark = f"; the Spark unit {seconds['spark']:.0f}" if "spark" in seconds else ""
            rest = sorted(((v, k) for k, v in seconds.items() if k != "spark"), reverse=True)
            print(f"  worker seconds: {sum(seconds.values()):.0f} in all{spark}; the longest other files: "
                  + ", ".join(f"{Path(k).stem} {v:.0f}" for v, k in rest[:6]))


if __name__ == "__main__":
    main()
