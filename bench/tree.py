"""CPU seconds and peak memory of a command and every process it starts (a Spark run's JVM and Python workers
included, which `/usr/bin/time` misses when the JVM is not waited for), read from /proc every 0.1 s.

    python bench/tree.py -- finops ingest LOGS --db X --engine spark

Prints one JSON line: wall seconds, CPU seconds (user + system) of the whole tree and by program (driver: the
command's own process; java; python: Spark's Python workers), and each program's largest peak resident memory
(VmHWM) in MiB. A process's CPU is its last reading, so up to 0.1 s of a process that ends between readings is
lost.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def descendants(root: int) -> list[int]:
    """`root` and every process under it, as they are now (bench/run.py samples their memory with it)."""
    tree, todo, found = _children(), [root], []
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(tree.get(pid, []))
    return found


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                parent = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        tree.setdefault(parent, []).append(int(pid))
    return tree


def _reading(pid: int) -> tuple[str, float, float] | None:
    """(program, CPU seconds, peak MiB) of a live process."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            head, rest = f.read().rsplit(")", 1)
        fields = rest.split()
        with open(f"/proc/{pid}/status") as f:
            peak = next((int(line.split()[1]) / 1024 for line in f if line.startswith("VmHWM:")), 0.0)
    except (OSError, IndexError, ValueError):
        return None
    return head.split("(", 1)[1], (int(fields[11]) + int(fields[12])) / TICK, peak


def main(argv: list[str]) -> None:
    command = argv[argv.index("--") + 1:] if "--" in argv else argv
    start = time.perf_counter()
    root = subprocess.Popen(command)
    seen: dict[int, tuple[str, float, float]] = {}
    while root.poll() is None:
        for pid in descendants(root.pid):
            if (reading := _reading(pid)) is not None:  # the last CPU reading, the largest peak
                seen[pid] = (*reading[:2], max(reading[2], seen.get(pid, reading)[2]))
        time.sleep(0.1)
    wall = time.perf_counter() - start
    by_program: dict[str, float] = {}
    peaks: dict[str, float] = {}
    for pid, (program, cpu, peak) in seen.items():
        name = ("driver" if pid == root.pid else "java" if "java" in program
                else "python" if "python" in program else program)
        by_program[name] = round(by_program.get(name, 0.0) + cpu, 2)
        peaks[name] = round(max(peaks.get(name, 0.0), peak), 1)
    print(json.dumps({"rc": root.returncode, "wall_s": round(wall, 2), "cpu_s": round(sum(by_program.values()), 2),
                      "cpu_by_program": by_program, "peak_mib_by_program": peaks,
                      "load": round(os.getloadavg()[0], 1)}))


if __name__ == "__main__":
    main(sys.argv[1:])
