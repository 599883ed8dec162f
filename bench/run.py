"""Benchmark finops against the raw DuckDB scan (the floor) and ccusage, on the same generated files, in one run.

    python bench/run.py                       # the issue's sizes; writes bench/RESULTS.md
    python bench/run.py --smoke               # tiny sizes, no ccusage, results to a temp file (CI)
    python bench/run.py --cc 400MB --logs 1GB --cur 200MB --store-rows 5000000

It generates the inputs (bench/generate.py, in a forked process) into a work folder, installs ccusage with npm
into bench/.tools (pinned: the native build 20.0.24 and the last JavaScript build 18.0.11), then measures for each
command its wall time, peak RSS (the process's maximum resident set size, from wait4: its largest process), the
peak of the whole process tree's memory (TreeMemory: its processes' private pages and their shared ones once,
sampled; worker processes included) and token totals, checks that the token totals agree, and writes a Markdown
table with each target met or missed. Claude Code transcripts are measured on two sets, sessions of the usual sizes
(--cc) and many files of about 400 KB (--cc-small), each command run --rounds times alternated with the others (the
median is reported, with the load average: the machine may be shared); request logs too. The memory part (--memory
SIZE) runs finops on each reader's input (transcripts, request logs, CUR) at a tenth of SIZE and at SIZE, and at
SIZE again with FINOPS_MEMORY_LIMIT=256MiB: peak memory (the process tree's) at 10x against 1x (the flat-memory
target, at most 1.2x) and against the limit plus a stated constant. Each cloud bill (the CUR as CSV and Parquet,
its AWS FOCUS and Google Cloud conversions) is measured against its raw scan twice: the whole `finops analyze`, and
finops' reading alone, which does what the scan does (read, filter, sum). Under each section measured against a
floor or a peer, one more run (bench/phases.py) splits finops' time into its steps and says how much of the target
the steps after reading leave to reading.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
TOOLS = BENCH / ".tools"
PYTHON = sys.executable
FINOPS = [PYTHON, "-c", "from finops.cli import cli; cli()"]
CCUSAGE_NATIVE = ("ccusage@20.0.24", "@ccusage/ccusage-linux-x64@20.0.24")
CCUSAGE_JS = ("ccusage@18.0.11",)
TOKEN_KEYS = ("input", "cache_write", "cache_read", "output")

sys.path.insert(0, str(BENCH))
from generate import claude_code, cur, parse_size, request_logs  # noqa: E402
from tree import descendants  # noqa: E402

SMALL_SESSION_BYTES = 400_000  # the many-small-files transcript set: every session file about 400 KB
GENERATORS = {"cc": claude_code, "logs": request_logs, "cur": cur,
              "cc-small": lambda size, out, seed: claude_code(size, out, seed, SMALL_SESSION_BYTES)}


@dataclass
class Run:
    name: str
    seconds: float
    rss_mib: float
    tokens: dict[str, int] | None = None
    note: str = ""
    extra: dict[str, object] = field(default_factory=dict)
    tree_mib: float = 0.0  # the peak of the process tree's memory (TreeMemory)


class TreeMemory(threading.Thread):
    """The peak of a process tree's memory while it runs, sampled every SAMPLE_SECONDS: each process's private
    pages, and the pages they share (mostly the same library files in every process) counted once, as the largest
    sharer's. For one process that is its resident set; a run that reads in worker processes holds all of them at
    once, where wait4's ru_maxrss gives the largest one only. Not PSS: it would count a library page shared with
    any process outside the tree (this one, for a start) as a fraction. Sampled, so a peak shorter than the
    interval can be missed; reading smaps_rollup costs the kernel about a millisecond per process and sample."""

    SAMPLE_SECONDS = 0.05

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kib = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.SAMPLE_SECONDS):
            pages = [self._pages_kib(p) for p in descendants(self.pid)]
            total = sum(private for private, _ in pages) + max((shared for _, shared in pages), default=0)
            self.peak_kib = max(self.peak_kib, total)

    @staticmethod
    def _pages_kib(pid: int) -> tuple[int, int]:
        """A process's private and shared resident KiB (0, 0 when it is gone)."""
        fields: dict[str, int] = {}
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    name, _, rest = line.partition(":")
                    if name in ("Rss", "Private_Clean", "Private_Dirty"):
                        fields[name] = int(rest.split()[0])
        except (OSError, ValueError, IndexError):
            return 0, 0
        private = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
        return private, fields.get("Rss", 0) - private


def measure(name: str, cmd: list[str], env: dict[str, str] | None = None, stdout: Path | None = None) -> Run:
    """Run cmd, return wall time, the peak RSS of the process (and of its largest waited-for child) and the peak of
    its process tree's memory (TreeMemory)."""
    out = open(stdout, "wb") if stdout else subprocess.DEVNULL
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env={**os.environ, **(env or {})}, stdout=out, stderr=subprocess.PIPE)
    tree = TreeMemory(proc.pid)
    tree.start()
    assert proc.stderr is not None
    err = proc.stderr.read()
    tree.done.set()
    tree.join()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if stdout:
        out.close()  # type: ignore[union-attr]
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed ({proc.returncode}): {' '.join(cmd)}\n{err.decode()[-2000:]}")
    rss = usage.ru_maxrss / 1024
    return Run(name, seconds, rss, tree_mib=tree.peak_kib / 1024 or rss)  # no sample taken: ended within one interval


# ---- the commands ------------------------------------------------------------------------------------------


def run_finops(name: str, args: list[str], out: Path, env: dict[str, str] | None = None) -> Run:
    if out.exists():
        shutil.rmtree(out)
    r = measure(name, [*FINOPS, "analyze", *args, "-o", str(out), "--format", "json", "--quiet"], env)
    t = json.loads((out / "report.json").read_text())["totals"]
    r.tokens = {"input": t["input_tokens"], "cache_write": t["cache_write_5m_tokens"] + t["cache_write_1h_tokens"],
                "cache_read": t["cache_read_tokens"], "output": t["output_tokens"]}
    r.extra["requests"] = t["requests"]
    r.extra["findings"] = len(json.loads((out / "report.json").read_text())["findings"])
    return r


FLOOR_CC = """
import duckdb, json, sys
con = duckdb.connect()
con.execute('SET enable_progress_bar = false')
row = con.execute('''
SELECT sum(i), sum(w), sum(r), sum(o), count(*) FROM (
  SELECT DISTINCT ON (mid, rid) i, w, r, o FROM (
    SELECT j->>'$.message.id' AS mid, j->>'$.requestId' AS rid,
      CAST(j->'$.message.usage.input_tokens' AS BIGINT) AS i,
      CAST(j->'$.message.usage.cache_creation_input_tokens' AS BIGINT) AS w,
      CAST(j->'$.message.usage.cache_read_input_tokens' AS BIGINT) AS r,
      CAST(j->'$.message.usage.output_tokens' AS BIGINT) AS o
    FROM read_ndjson_objects(?, ignore_errors = true) t(j) WHERE contains(j::VARCHAR, '"usage":{')))
''', [sys.argv[1] + '/**/*.jsonl']).fetchone()
print(json.dumps(dict(zip(["input", "cache_write", "cache_read", "output", "rows"], row))))
"""

FLOOR_LOGS = """
import duckdb, json, sys
con = duckdb.connect()
con.execute('SET enable_progress_bar = false')
row = con.execute('''
SELECT sum(i), sum(w), sum(r), sum(o), count(*) FROM (
  SELECT DISTINCT ON (mid) i, w, r, o FROM (
    SELECT j->>'$.response.id' AS mid,
      CAST(j->'$.response.usage.input_tokens' AS BIGINT) AS i,
      CAST(j->'$.response.usage.cache_creation_input_tokens' AS BIGINT) AS w,
      CAST(j->'$.response.usage.cache_read_input_tokens' AS BIGINT) AS r,
      CAST(j->'$.response.usage.output_tokens' AS BIGINT) AS o
    FROM read_ndjson_objects(?, ignore_errors = true) t(j)) WHERE i IS NOT NULL)
''', [sys.argv[1] + '/*.jsonl']).fetchone()
print(json.dumps(dict(zip(["input", "cache_write", "cache_read", "output", "rows"], row))))
"""


# The Claude usage lines of legacy CUR files (the column names bench/generate.py writes; the reader also takes CUR
# 2.0 names, maps and Parquet), taken as ingest/bedrock_cur.py takes them: the product name, usage type or
# description names Claude, the line item type is Usage, DiscountedUsage or SavingsPlanCoveredUsage, the currency
# USD, and the usage type names a token class (cache read, cache write, input, output, in that order). The usage
# amount becomes tokens by pricing/unit ('1M tokens', '1K tokens', 'tokens'), else by the usage type
# ('...Million...', the per-1K legacy family `USE1-Claude3Haiku-input-tokens`), else as millions of tokens.
# Not replicated: the reader's unit inference from the line's rate against the model's list rate, which is what
# it uses for the Marketplace 'Units' lines (the generated rates are list rates, so it finds millions too: the
# totals are identical, but a CUR billed far off list could differ); deduplication by line item id and period
# (the generated ids are unique); rejecting negative, absurd or unparsable amounts (none generated); rounding half
# to even (the generated amounts are whole tokens). Cache writes are summed, 5-minute and 1-hour alike.
FLOOR_CUR = r"""
import duckdb, glob, json, sys
con = duckdb.connect()
con.execute('SET enable_progress_bar = false')
parquet = sys.argv[2] == 'parquet'
files = sorted(glob.glob(sys.argv[1] + '/*.parquet') if parquet else
               glob.glob(sys.argv[1] + '/*.csv') + glob.glob(sys.argv[1] + '/*.csv.gz'))
reader = 'read_parquet(?)' if parquet else 'read_csv(?, header = true, all_varchar = true)'
row = con.execute(r'''
SELECT sum(n) FILTER (WHERE c = 'input'), sum(n) FILTER (WHERE c = 'cache_write'),
       sum(n) FILTER (WHERE c = 'cache_read'), sum(n) FILTER (WHERE c = 'output'), count(c), count(*)
FROM (
  SELECT c, CAST(round(amount * CASE
      WHEN regexp_matches(unit, '(?i)\b(1\s*m|1,000,000|1000000|million|mtok|m\s*tokens?)\b') THEN 1000000
      WHEN regexp_matches(unit, '(?i)\b(1\s*k|1,000|1000|thousand|k\s*tokens?)\b') THEN 1000
      WHEN regexp_matches(unit, '(?i)^(tokens?|count|units?/tokens?|1)$') THEN 1
      WHEN contains(k, 'million') THEN 1000000
      WHEN regexp_matches(ut, '^[A-Z]{2,4}[0-9]-Claude[A-Za-z0-9_.]*?-[a-z][a-z0-9-]*tokens') THEN 1000
      ELSE 1000000 END) AS BIGINT) AS n
  FROM (
    SELECT ut, k, amount, coalesce(trim(unit), '') AS unit,
      CASE WHEN NOT claude OR kind NOT IN ('usage', 'discountedusage', 'savingsplancoveredusage')
                OR coalesce(upper(trim(currency)), 'USD') <> 'USD' THEN NULL
           WHEN contains(k, 'cacheread') THEN 'cache_read' WHEN contains(k, 'cachewrite') THEN 'cache_write'
           WHEN contains(k, 'input') THEN 'input' WHEN contains(k, 'output') THEN 'output' END AS c
    FROM (
      SELECT "lineItem/UsageType" AS ut, "pricing/unit" AS unit, "lineItem/CurrencyCode" AS currency,
        regexp_replace(lower(coalesce("lineItem/UsageType", '')), '[^a-z0-9]', '', 'g') AS k,
        lower(replace(coalesce("lineItem/LineItemType", 'Usage'), ' ', '')) AS kind,
        contains(lower(concat_ws(' ', "product/ProductName", "lineItem/UsageType", "lineItem/LineItemDescription")),
                 'claude') AS claude,
        TRY_CAST("lineItem/UsageAmount" AS DECIMAL(38, 10)) AS amount
      FROM ''' + reader + ''')))
''', [files]).fetchone()
print(json.dumps(dict(zip(["input", "cache_write", "cache_read", "output", "rows", "lines"], row))))
"""

# The same computation with polars' own readers: a lazy scan of the seven columns used, the Claude predicate pushed
# into the scan, streamed (`collect(engine="streaming")`). Every Claude usage amount of the generated files is a
# whole number of tokens once converted, so the cast to an integer truncates nothing.
FLOOR_CUR_POLARS = r"""
import glob, json, sys
import polars as pl
folder, kind = sys.argv[1], sys.argv[2]
if kind == "parquet":
    files = sorted(glob.glob(folder + "/*.parquet"))
    scans = [pl.scan_parquet(f) for f in files]
else:
    files = sorted(glob.glob(folder + "/*.csv") + glob.glob(folder + "/*.csv.gz"))
    scans = [pl.scan_csv(f, infer_schema=False) for f in files]
c = pl.col
cols = ["lineItem/UsageType", "pricing/unit", "lineItem/CurrencyCode", "lineItem/LineItemType", "product/ProductName",
        "lineItem/LineItemDescription", "lineItem/UsageAmount"]
lf = pl.concat([s.select(cols) for s in scans])
claude = pl.concat_str([c("product/ProductName"), c("lineItem/UsageType"), c("lineItem/LineItemDescription")],
                       separator=" ", ignore_nulls=True).str.to_lowercase().str.contains("claude", literal=True)
k = c("lineItem/UsageType").fill_null("").str.to_lowercase().str.replace_all("[^a-z0-9]", "")
kind_ = c("lineItem/LineItemType").fill_null("Usage").str.replace_all(" ", "", literal=True).str.to_lowercase()
usd = c("lineItem/CurrencyCode").fill_null("USD").str.strip_chars().str.to_uppercase() == "USD"
cls = (pl.when(~kind_.is_in(["usage", "discountedusage", "savingsplancoveredusage"]) | ~usd).then(None)
       .when(k.str.contains("cacheread", literal=True)).then(pl.lit("cache_read"))
       .when(k.str.contains("cachewrite", literal=True)).then(pl.lit("cache_write"))
       .when(k.str.contains("input", literal=True)).then(pl.lit("input"))
       .when(k.str.contains("output", literal=True)).then(pl.lit("output")))
unit = c("pricing/unit").fill_null("").str.strip_chars()
mult = (pl.when(unit.str.contains(r"(?i)\b(1\s*m|1,000,000|1000000|million|mtok|m\s*tokens?)\b")).then(1_000_000)
        .when(unit.str.contains(r"(?i)\b(1\s*k|1,000|1000|thousand|k\s*tokens?)\b")).then(1_000)
        .when(unit.str.contains(r"(?i)^(tokens?|count|units?/tokens?|1)$")).then(1)
        .when(k.str.contains("million", literal=True)).then(1_000_000)
        .when(c("lineItem/UsageType").str.contains(r"^[A-Z]{2,4}[0-9]-Claude[A-Za-z0-9_.]*?-[a-z][a-z0-9-]*tokens"))
        .then(1_000).otherwise(1_000_000))
amount = c("lineItem/UsageAmount").cast(pl.Decimal(38, 10), strict=False)
out = (lf.filter(claude).select(cls.alias("c"), (amount * mult).cast(pl.Int64).alias("n"))
       .group_by("c").agg(pl.col("n").sum(), pl.len().alias("rows")).collect(engine="streaming"))
sums = {r["c"]: r for r in out.to_dicts()}
lines = pl.concat([s.select(pl.len()) for s in scans]).collect()["len"].sum() if "--count" in sys.argv else None
print(json.dumps({"input": sums.get("input", {}).get("n"), "cache_write": sums.get("cache_write", {}).get("n"),
                  "cache_read": sums.get("cache_read", {}).get("n"), "output": sums.get("output", {}).get("n"),
                  "rows": sum(r["rows"] for k_, r in sums.items() if k_ is not None), "lines": lines}))
"""


# finops' reading alone: the folder read as `finops analyze` reads it (the run's connection, pipeline.work_connection,
# whose price tables the bill readers use to tell a unit by the list rate; ingest.load and its worker processes), then
# the token sums of the rows loaded; no pricing of the rows, analyses or report. The raw scans read the same lines and
# sum them too, so this is the reader against the floor (bench/RESULTS.md: a whole analysis also prices, analyses
# and reports, which the scans do not).
READING_ALONE = """
import json, sys
from pathlib import Path
from finops import ingest, pipeline
con = pipeline.work_connection()
ingest.use_worker_processes()  # as the `finops` command does (python -c: a spawned worker runs none of this again)
ingest.load([Path(sys.argv[1])], con, None)
row = con.execute('''SELECT sum(input_tokens),
    sum(coalesce(cache_write_5m_tokens, 0) + coalesce(cache_write_1h_tokens, 0)), sum(cache_read_tokens),
    sum(output_tokens), count(*) FROM usage''').fetchone()
print(json.dumps(dict(zip(["input", "cache_write", "cache_read", "output", "rows"], row))))
"""
READING_ALONE_NAME = "finops reading alone (ingest.load)"


def run_floor(name: str, script: str, folder: Path, work: Path, *args: str) -> Run:
    out = work / f"{name}.json"
    r = measure(name, [PYTHON, "-c", script, str(folder), *args], stdout=out)
    data = json.loads(out.read_text())
    r.tokens = {k: int(data[k] or 0) for k in TOKEN_KEYS}
    r.extra["requests"] = data["rows"]
    r.extra["lines"] = data.get("lines")
    return r


def step_profile(folder: Path, work: Path, budgets: list[tuple[str, float]]) -> list[str]:
    """One `finops analyze` of folder split into its steps (bench/phases.py, once, after the timed runs), and for each
    target (what, seconds) what the steps other than reading leave to reading. The steps are timed inside one
    process, its start before `main()` not counted; the bill readers' worker processes count in CPU seconds."""
    out = work / "phases.json"
    subprocess.run([PYTHON, str(BENCH / "phases.py"), str(folder), "--json", str(out)], check=True,
                   stdout=subprocess.DEVNULL)
    steps = json.loads(out.read_text(encoding="utf-8"))
    seconds = {s["step"]: s["seconds"] for s in steps}
    reading = seconds["read files (ingest.load)"]
    rest = seconds["total"] - reading
    lines = ["Where one run's time goes (`bench/phases.py`, one run after the others; peak: the process's high-water "
             "mark at the end of each step; the imports' CPU seconds are the process's from its start):", "",
             "| step | wall s | CPU s | peak MiB |", "|---|---:|---:|---:|",
             *[f"| {s['step']} | {s['seconds']:.2f} | {s['cpu']:.2f} | {s['peak_mib']:.0f} |" for s in steps], ""]
    for what, budget in budgets:
        left = budget - rest
        lines.append(f"{what}: {budget:.2f} s. Every step but reading took {rest:.2f} s, " + (
            f"which leaves reading {left:.2f} s (it took {reading:.2f} s)." if left > 0 else
            f"already more than that: no reader could meet it (reading took {reading:.2f} s)."))
    return [*lines, ""]


def alternate(makers: list[Callable[[], Run]], repeat: int) -> list[Run]:
    """Each command run `repeat` times, the commands taking turns (floor, finops, floor, finops, ...) so that a
    change of load on a shared machine falls on all of them; each command's run of median wall time is kept, with
    the median peak RSS and tree memory."""
    rounds = [[make() for make in makers] for _ in range(repeat)]
    kept = []
    for i in range(len(makers)):
        runs = sorted((r[i] for r in rounds), key=lambda r: r.seconds)
        best = runs[len(runs) // 2]
        best.rss_mib = statistics.median(r.rss_mib for r in runs)
        best.tree_mib = statistics.median(r.tree_mib for r in runs)
        if repeat > 1:
            best.note = (best.note + "; " if best.note else "") + "runs: " + ", ".join(
                f"{r[i].seconds:.1f}" for r in rounds) + " s"
        kept.append(best)
    return kept


def install_ccusage() -> dict[str, list[str]]:
    """npm-install the pinned ccusage builds into bench/.tools; returns name -> command prefix."""
    commands = {}
    for key, packages in (("native", CCUSAGE_NATIVE), ("js", CCUSAGE_JS)):
        prefix = TOOLS / f"ccusage-{key}"
        stamp = prefix / (".installed-" + "-".join(p.replace("/", "_") for p in packages))
        if not stamp.exists():
            prefix.mkdir(parents=True, exist_ok=True)
            subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--no-save", "--prefix", str(prefix),
                            *packages], check=True, stdout=subprocess.DEVNULL)
            stamp.touch()
        modules = prefix / "node_modules"
        if key == "native":  # the package's cli.js only dispatches to this binary (chmod included): run it
            binary = modules / "@ccusage" / "ccusage-linux-x64" / "bin" / "ccusage"
            binary.chmod(0o755)
            commands["ccusage 20.0.24 (native)"] = [str(binary), "claude", "daily", "--json", "--offline"]
        else:
            commands["ccusage 18.0.11 (JavaScript)"] = ["node", str(modules / "ccusage" / "dist" / "index.js"),
                                                        "daily", "--json", "--offline"]
    return commands


def run_ccusage(name: str, cmd: list[str], folder: Path, work: Path) -> Run:
    out = work / f"ccusage-{len(name)}.json"
    r = measure(name, cmd, env={"CLAUDE_CONFIG_DIR": str(folder), "TZ": "UTC"}, stdout=out)
    t = json.loads(out.read_text())["totals"]
    r.tokens = {"input": t["inputTokens"], "cache_write": t["cacheCreationTokens"],
                "cache_read": t["cacheReadTokens"], "output": t["outputTokens"]}
    return r


# ---- inputs ------------------------------------------------------------------------------------------------


def in_child(function: Callable[..., object], *args: object) -> None:
    """function(*args) in a forked process: what it allocates never raises this process's high-water mark, which
    Linux carries across fork and exec into every command started after it, as that command's own peak RSS."""
    import multiprocessing

    child = multiprocessing.get_context("fork").Process(target=function, args=args)
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"{getattr(function, '__name__', 'the generator')}{args} failed ({child.exitcode})")


def generated(kind: str, size: int, work: Path) -> Path:
    folder = work / f"{kind}-{size}"
    stamp = folder / ".complete"
    if not stamp.exists():
        if folder.exists():
            shutil.rmtree(folder)
        t = time.perf_counter()
        in_child(GENERATORS[kind], size, folder, 6)
        stamp.write_text(f"{time.perf_counter() - t:.1f}")
    return folder


def floor_and_finops(kind: str, size: int, floor_script: str, label: str, work: Path,
                     rounds: int = 1) -> tuple[Path, list[Run], list[float]]:
    """Generate `kind` at size and a tenth of it; run the raw scan and finops on the full input, finops on the
    tenth (memory at 1x vs 10x), the three taking turns `rounds` times (medians kept). Returns the full input's
    folder, the three runs in that order, and the load average at the start of each round and at the end."""
    folder = generated(kind, size, work)
    small = generated(kind, size // 10, work)
    runs, loads = with_load([lambda: run_floor("raw DuckDB scan (floor)", floor_script, folder, work),
                             lambda: run_finops(label, [str(folder)], work / f"out-{kind}"),
                             lambda: run_finops("finops analyze, 1/10 of the input", [str(small)],
                                                work / f"out-{kind}-small")], rounds)
    runs[1].note = f"{runs[1].extra['findings']} findings" + (f"; {runs[1].note}" if runs[1].note else "")
    runs[2].note = f"{_du(small) / 1e6:.0f} MB: memory at 1x vs 10x" + (f"; {runs[2].note}" if runs[2].note else "")
    return folder, runs, loads


def with_load(makers: list[Callable[[], Run]], rounds: int) -> tuple[list[Run], list[float]]:
    """alternate(), with the load average (1 minute) at the start of each round and at the end."""
    loads: list[float] = []
    first = makers[0]

    def noting_load() -> Run:
        loads.append(os.getloadavg()[0])
        return first()

    runs = alternate([noting_load, *makers[1:]], rounds)
    loads.append(os.getloadavg()[0])
    return runs, loads


def load_line(loads: list[float]) -> str:
    return (f"Load average (1 minute) at the start of each round and at the end: "
            f"{', '.join(f'{x:.1f}' for x in loads)} on {os.cpu_count()} cores.")


# ---- memory: peak memory at 1x and 10x the input, for every reader -------------------------------------------

# Every reader's input at a tenth and at the full size, finops alone; then the full size again under a low memory
# limit, where DuckDB must spill: the peak is then the limit plus what is not DuckDB's (the interpreter and its
# libraries, the batches in flight), which MEMORY_CONSTANT_MIB states.
MEMORY_READERS = {"cc": "Claude Code transcripts", "logs": "Request logs with bodies", "cur": "AWS CUR (CSV)"}
LOW_LIMIT_MIB = 256
MEMORY_CONSTANT_MIB = 256  # the bound: peak memory (the tree's) <= FINOPS_MEMORY_LIMIT + this
DEFAULT_LIMIT_MIB = 1e9 / 2**20  # FINOPS_MEMORY_LIMIT's default, 1GB (finops/store.py)


def memory_section(size_text: str, readers: list[str], rounds: int,
                   work: Path) -> tuple[list[str], list[str]]:
    """Peak memory of finops on each reader's input at a tenth of size_text and at size_text (alternated over
    `rounds`, medians), and at size_text with FINOPS_MEMORY_LIMIT at LOW_LIMIT_MIB (one run each). Returns the
    Markdown section and the target rows."""
    size = parse_size(size_text)
    makers: list[Callable[[], Run]] = []
    for kind in readers:
        label = MEMORY_READERS[kind]
        small, big = generated(kind, size // 10, work), generated(kind, size, work)
        makers.append(lambda label=label, small=small, kind=kind: run_finops(
            f"{label}, {_du(small) / 1e6:.0f} MB (1x)", [str(small)], work / f"out-mem-{kind}-1x"))
        makers.append(lambda label=label, big=big, kind=kind: run_finops(
            f"{label}, {_du(big) / 1e6:.0f} MB (10x)", [str(big)], work / f"out-mem-{kind}-10x"))
    low = {"FINOPS_MEMORY_LIMIT": f"{LOW_LIMIT_MIB}MiB"}
    for kind in readers:
        big = generated(kind, size, work)
        makers.append(lambda kind=kind, big=big: run_finops(
            f"{MEMORY_READERS[kind]}, {_du(big) / 1e6:.0f} MB (10x), FINOPS_MEMORY_LIMIT={LOW_LIMIT_MIB}MiB",
            [str(big)], work / f"out-mem-{kind}-low", env=low))
    runs, loads = with_load(makers, rounds)
    lines = ["## Memory: peak memory at 1x and 10x the input, every reader", "", load_line(loads), "",
             *table(runs), ""]
    targets = []
    for i, kind in enumerate(readers):
        one, ten, limited = runs[2 * i], runs[2 * i + 1], runs[2 * len(readers) + i]
        label = f"{MEMORY_READERS[kind]} {size_text}"
        targets.append(flat_memory(label, one, ten))
        over = limited.tree_mib - LOW_LIMIT_MIB
        worst = max(ten.tree_mib - DEFAULT_LIMIT_MIB, over)
        against = f"the limit + {over:.0f}" if over >= 0 else f"{-over:.0f} below the limit"
        targets.append(f"| {label}: peak memory (tree) below FINOPS_MEMORY_LIMIT + {MEMORY_CONSTANT_MIB} MiB | "
                       f"default 1GB: {ten.tree_mib:.0f} MiB; {LOW_LIMIT_MIB}MiB: {limited.tree_mib:.0f} MiB "
                       f"({against}; largest process {limited.rss_mib:.0f}) | "
                       f"{verdict(worst <= MEMORY_CONSTANT_MIB)} |")
    return lines, targets


# A conversion runs in a process of its own: DuckDB would grow this one, and a child forked from a large process
# reports that process's size as its own peak RSS (Linux keeps the high-water mark across fork and exec), so
# every command measured after it would show at least that much.
CONVERT = """
import duckdb, sys
con = duckdb.connect()
con.execute('SET enable_progress_bar = false')
con.execute(sys.argv[1], [sys.argv[2]])
"""


def convert(folder: Path, work: Path, suffix: str, select: str, fmt: str) -> Path:
    """Each CUR file of `folder` rewritten by DuckDB (`select` over its columns, all read as text) to
    `fmt` in the folder <folder>-<suffix>, one file each (made once, reused)."""
    out = work / f"{folder.name}-{suffix}"
    if (out / ".complete").exists():
        return out
    out.mkdir(parents=True, exist_ok=True)
    options = "FORMAT parquet" if fmt == "parquet" else "FORMAT csv, HEADER true"
    for path in sorted(folder.glob("*.csv*")):
        target = out / (path.name.split(".")[0] + "." + fmt)
        sql = f"COPY (SELECT {select} FROM read_csv(?, header = true, all_varchar = true)) TO '{target}' ({options})"
        subprocess.run([PYTHON, "-c", CONVERT, sql, str(path)], check=True)
    (out / ".complete").touch()
    return out


def as_parquet(folder: Path, work: Path) -> Path:
    """The CUR files of `folder` as Parquet, every column text."""
    return convert(folder, work, "parquet", "*", "parquet")


# The CUR's columns as the AWS FOCUS 1.2 export names them (ingest/aws_focus.py reads these): the same lines, so
# the same Claude usage, read by the FOCUS reader. Quantity and unit are given as consumed and as priced (AWS
# gives both); line item types become charge categories.
FOCUS_COLUMNS = {
    "ServiceName": '"product/ProductName"', "x_UsageType": '"lineItem/UsageType"',
    "ChargeDescription": '"lineItem/LineItemDescription"',
    "ChargeCategory": """CASE "lineItem/LineItemType" WHEN 'Tax' THEN 'Tax' WHEN 'Credit' THEN 'Credit'
        WHEN 'Usage' THEN 'Usage' WHEN 'DiscountedUsage' THEN 'Usage' WHEN 'SavingsPlanCoveredUsage' THEN 'Usage'
        ELSE 'Adjustment' END""",
    "ChargePeriodStart": '"lineItem/UsageStartDate"', "ChargePeriodEnd": '"lineItem/UsageEndDate"',
    "ConsumedQuantity": '"lineItem/UsageAmount"', "ConsumedUnit": '"pricing/unit"',
    "PricingQuantity": '"lineItem/UsageAmount"', "PricingUnit": '"pricing/unit"',
    "ContractedUnitPrice": '"lineItem/UnblendedRate"', "BilledCost": '"lineItem/UnblendedCost"',
    "BillingCurrency": '"lineItem/CurrencyCode"', "BillingAccountId": '"bill/PayerAccountId"',
    "SubAccountId": '"lineItem/UsageAccountId"', "RegionId": '"product/regionCode"',
    "ResourceId": '"lineItem/ResourceId"',
}
# FLOOR_CUR on those columns (the FOCUS reader's Claude test, class and unit rules are the CUR reader's).
FLOOR_FOCUS = (FLOOR_CUR.replace('"lineItem/UsageType"', '"x_UsageType"').replace('"pricing/unit"', '"ConsumedUnit"')
               .replace('"lineItem/CurrencyCode"', '"BillingCurrency"')
               .replace('"lineItem/LineItemType"', '"ChargeCategory"').replace('"product/ProductName"', '"ServiceName"')
               .replace('"lineItem/LineItemDescription"', '"ChargeDescription"')
               .replace('"lineItem/UsageAmount"', '"ConsumedQuantity"'))


def as_aws_focus(folder: Path, work: Path, fmt: str = "csv") -> Path:
    """The CUR files of `folder` as AWS FOCUS 1.2 exports (CSV uncompressed, or Parquet with every column text)."""
    select = ", ".join(f'{expr} AS "{name}"' for name, expr in FOCUS_COLUMNS.items())
    return convert(folder, work, "aws-focus" if fmt == "csv" else f"aws-focus-{fmt}", select, fmt)


# The CUR's lines as a Google Cloud billing export (CSV, as a BigQuery query writes it; ingest/gcp_billing.py): each
# Claude line a service of its own ("Claude Sonnet 4.6") with an SKU naming its token class, em-dash delimited as
# Vertex AI's are, its tokens (FLOOR_CUR's conversion of the usage amount) as usage_amount in `count`; line item
# types become cost types; other lines keep their product name and description. The line item id is the resource
# name, so that no two lines share the reader's record id.
_CLAUDE = """contains(lower(concat_ws(' ', "product/ProductName", "lineItem/UsageType",
    "lineItem/LineItemDescription")), 'claude')"""
_KEY = """regexp_replace(lower(coalesce("lineItem/UsageType", '')), '[^a-z0-9]', '', 'g')"""
_UNIT = """coalesce(trim("pricing/unit"), '')"""
_SERVICE = f"""CASE WHEN NOT {_CLAUDE} THEN "product/ProductName"
    WHEN starts_with(lower("product/ProductName"), 'claude')
    THEN regexp_replace("product/ProductName", '\\s*\\(Amazon Bedrock Edition\\)$', '')
    ELSE 'Claude (' || "lineItem/UsageType" || ')' END"""
_DASH = " \u2014 "
GCP_COLUMNS = {
    "billing_account_id": '"bill/PayerAccountId"',
    "service_description": _SERVICE,
    "sku_description": f"""CASE WHEN NOT {_CLAUDE} THEN "lineItem/LineItemDescription"
        ELSE ({_SERVICE}) || '{_DASH}' || CASE WHEN contains({_KEY}, 'cacheread') THEN 'Input Cache Read Tokens'
        WHEN contains({_KEY}, 'cachewrite1h') THEN 'Input Cache Write Tokens (TTL 3600 seconds)'
        WHEN contains({_KEY}, 'cachewrite') THEN 'Input Cache Write Tokens'
        WHEN contains({_KEY}, 'input') THEN 'Input Tokens' WHEN contains({_KEY}, 'output') THEN 'Output Tokens'
        ELSE 'Other' END || '{_DASH}' || coalesce("product/regionCode", 'global')
        || '{_DASH}Context Window Size from 0 to 200000 Tokens' END""",
    "usage_start_time": '"lineItem/UsageStartDate"', "usage_end_time": '"lineItem/UsageEndDate"',
    "project_id": '"lineItem/UsageAccountId"', "location_region": '"product/regionCode"',
    "resource_name": '"identity/LineItemId"', "cost": '"lineItem/UnblendedCost"',
    "currency": '"lineItem/CurrencyCode"',
    "usage_amount": f"""CASE WHEN NOT {_CLAUDE} THEN "lineItem/UsageAmount"
        ELSE CAST(CAST(round(TRY_CAST("lineItem/UsageAmount" AS DECIMAL(38, 10)) * CASE
        WHEN regexp_matches({_UNIT}, '(?i)\\b(1\\s*m|1,000,000|1000000|million|mtok|m\\s*tokens?)\\b') THEN 1000000
        WHEN regexp_matches({_UNIT}, '(?i)\\b(1\\s*k|1,000|1000|thousand|k\\s*tokens?)\\b') THEN 1000
        WHEN regexp_matches({_UNIT}, '(?i)^(tokens?|count|units?/tokens?|1)$') THEN 1
        WHEN contains({_KEY}, 'million') THEN 1000000
        WHEN regexp_matches("lineItem/UsageType", '^[A-Z]{{2,4}}[0-9]-Claude[A-Za-z0-9_.]*?-[a-z][a-z0-9-]*tokens')
        THEN 1000 ELSE 1000000 END) AS BIGINT) AS VARCHAR) END""",
    "usage_unit": "'count'",
    "cost_type": """CASE WHEN "lineItem/LineItemType" IN ('Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage')
        THEN 'regular' WHEN "lineItem/LineItemType" = 'Tax' THEN 'tax' ELSE 'adjustment' END""",
    "credits": "'[]'", "labels": "'[]'",
}
# The Claude usage rows of such an export, taken as ingest/gcp_billing.py takes them: the service or SKU starts
# with Claude (not "AI Dev Tools"), cost type regular, USD, the SKU's second part names a token class; tokens are
# usage_amount (unit `count`). Not replicated: the reader's other units, credits and labels (none generated).
FLOOR_GCP = r"""
import duckdb, glob, json, sys
con = duckdb.connect()
con.execute('SET enable_progress_bar = false')
files = sorted(glob.glob(sys.argv[1] + '/*.csv'))
row = con.execute('''
SELECT sum(n) FILTER (WHERE c = 'input'), sum(n) FILTER (WHERE c = 'cache_write'),
       sum(n) FILTER (WHERE c = 'cache_read'), sum(n) FILTER (WHERE c = 'output'), count(c), count(*)
FROM (
  SELECT CASE WHEN NOT (starts_with(s, 'claude') OR starts_with(k, 'claude')) OR starts_with(s, 'ai dev tools')
                   OR coalesce(upper(trim(currency)), 'USD') <> 'USD'
                   OR lower(trim(coalesce(cost_type, 'regular'))) <> 'regular' THEN NULL
              WHEN contains(kind, 'cache') AND contains(kind, 'read') THEN 'cache_read'
              WHEN contains(kind, 'cache') AND contains(kind, 'write') THEN 'cache_write'
              WHEN contains(kind, 'input') THEN 'input' WHEN contains(kind, 'output') THEN 'output' END AS c,
    CAST(round(TRY_CAST(usage_amount AS DECIMAL(38, 10))) AS BIGINT) AS n
  FROM (
    SELECT lower(trim(service_description)) AS s, lower(trim(sku_description)) AS k,
      lower(split_part(sku_description, ' \u2014 ', 2)) AS kind, currency, cost_type, usage_amount
    FROM read_csv(?, header = true, all_varchar = true)))
''', [files]).fetchone()
print(json.dumps(dict(zip(["input", "cache_write", "cache_read", "output", "rows", "lines"], row))))
"""


def as_gcp_billing(folder: Path, work: Path) -> Path:
    """The CUR files of `folder` as Google Cloud billing exports (CSV, uncompressed)."""
    select = ", ".join(f'{expr} AS "{name}"' for name, expr in GCP_COLUMNS.items())
    return convert(folder, work, "gcp-billing", select, "csv")


def build_store(rows: int, work: Path) -> Path:
    """A store with `rows` request rows over 12 months: a real ingest of generated request logs, then the
    usage rows replicated in SQL (new record ids, shifted months) up to the size asked for."""
    db = work / f"store-{rows}.duckdb"
    if (work / f"store-{rows}.complete").exists():
        return db
    db.unlink(missing_ok=True)
    seed = generated("logs", min(parse_size("40MB"), rows * 2000), work)
    subprocess.run([*FINOPS, "ingest", str(seed), "--db", str(db), "--quiet"], check=True)
    import duckdb

    con = duckdb.connect(str(db))
    base = con.execute("SELECT count(*) FROM usage").fetchone()[0]  # type: ignore[index]
    copies = max(1, -(-rows // base))
    con.execute("CREATE TEMP TABLE seed AS SELECT * FROM usage")
    con.execute("DELETE FROM usage")
    con.execute(f"""
        INSERT INTO usage
        SELECT seed.* REPLACE (
            CASE WHEN k = 0 THEN record_id ELSE md5(record_id || ':' || k) END AS record_id,
            charge_period_start + to_months(CAST(k % 12 AS INTEGER)) AS charge_period_start)
        FROM seed, range({copies}) r(k)
        LIMIT {rows}""")
    con.close()
    (work / f"store-{rows}.complete").touch()
    return db


# ---- report ------------------------------------------------------------------------------------------------


def fmt_tokens(t: dict[str, int] | None) -> str:
    if not t:
        return ""
    return " / ".join(f"{t[k]:,}" for k in TOKEN_KEYS)


def table(runs: list[Run]) -> list[str]:
    lines = ["| command | wall s | peak RSS MiB | tree peak MiB | tokens: input / cache write / cache read / output "
             "| note |", "|---|---:|---:|---:|---|---|"]
    for r in runs:
        lines.append(f"| {r.name} | {r.seconds:.2f} | {r.rss_mib:.0f} | {r.tree_mib:.0f} | {fmt_tokens(r.tokens)} | "
                     f"{r.note} |")
    return lines


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def flat_memory(what: str, small: Run, big: Run) -> str:
    """The target row: peak memory on 10x the input at most 1.2x the 1x figure, judged on the process tree's (a run
    that reads in worker processes holds them all), the largest process's peak RSS beside it."""
    growth = big.tree_mib / small.tree_mib
    return (f"| {what}: peak memory flat, 10x input | tree {small.tree_mib:.0f} -> {big.tree_mib:.0f} MiB "
            f"({growth:.2f}x); largest process {small.rss_mib:.0f} -> {big.rss_mib:.0f} MiB "
            f"({big.rss_mib / small.rss_mib:.2f}x) | {verdict(growth <= 1.2)} |")


def reading_line(reading: Run, floor: Run) -> str:
    """finops' reading alone against the raw scan: the comparison bench/RESULTS.md proposes for the bill targets."""
    return f"finops' reading alone (its row above) took {reading.seconds / floor.seconds:.2f}x the raw DuckDB scan."


def twice(floor: Run) -> tuple[str, float]:
    """The bills' target for step_profile: within 2x of the raw scan."""
    return "2x the raw scan", 2 * floor.seconds


def within_floor(what: str, finops: Run, floor: Run, limit: float) -> str:
    """The target row: finops within `limit` times the floor's wall time."""
    ratio = finops.seconds / floor.seconds
    return (f"| {what}: within {limit:g}x of the raw scan | {finops.seconds:.1f} s vs {floor.seconds:.1f} s "
            f"({ratio:.2f}x) | {verdict(ratio <= limit)} |")


def same_totals(what: str, agree: bool, floors: str = "the raw scan") -> str:
    """The target row: token totals identical to the floor's (or floors')."""
    found = "identical" if agree else "different"
    return f"| {what}: token totals identical to {floors} | {found} | {verdict(agree)} |"


def median_run(runs: list[Run]) -> Run:
    """One command's runs as one: the median wall time, the median peak RSS and tree memory (the machine is shared:
    single runs vary by several times), with the range in the note."""
    seconds = statistics.median(r.seconds for r in runs)
    rss = statistics.median(r.rss_mib for r in runs)
    note = (f"median of {len(runs)}: {min(r.seconds for r in runs):.2f}-{max(r.seconds for r in runs):.2f} s, "
            f"{min(r.rss_mib for r in runs):.0f}-{max(r.rss_mib for r in runs):.0f} MiB") if len(runs) > 1 else ""
    first = runs[0]
    return Run(first.name, seconds, rss, first.tokens, note, first.extra,
               tree_mib=statistics.median(r.tree_mib for r in runs))


def claude_code_section(kind: str, size_text: str, what: str, args: argparse.Namespace,
                        work: Path) -> tuple[list[str], list[str], int]:
    """Claude Code transcripts: the raw scan, finops, ccusage (both builds) and finops on a tenth of the input,
    alternated over args.rounds rounds (the JavaScript ccusage, 7x slower, runs in the first round only).
    Returns the Markdown section, the target rows and 1 when the token totals differ."""
    size = parse_size(size_text)
    folder = generated(kind, size, work)
    small = generated(kind, size // 10, work)
    ccusage = {} if args.no_ccusage else install_ccusage()
    by_name: dict[str, list[Run]] = {}
    loads = []
    for round_ in range(max(1, args.rounds)):
        loads.append(os.getloadavg()[0])
        runs = [run_floor("raw DuckDB scan (floor)", FLOOR_CC, folder, work),
                run_finops("finops analyze", [str(folder)], work / f"out-{kind}")]
        for name, cmd in ccusage.items():
            if round_ == 0 or "native" in name:
                runs.append(run_ccusage(name, cmd, folder, work))
        runs.append(run_finops("finops analyze, 1/10 of the input", [str(small)], work / f"out-{kind}-small"))
        for r in runs:
            by_name.setdefault(r.name, []).append(r)
    loads.append(os.getloadavg()[0])
    runs = [median_run(rs) for rs in by_name.values()]
    runs[-1].note = f"{_du(small) / 1e6:.0f} MB: memory at 1x vs 10x" + (f"; {runs[-1].note}" if runs[-1].note else "")
    floor, finops = runs[0], runs[1]
    agree = all(r.tokens == floor.tokens for rs in list(by_name.values())[:-1] for r in rs)
    label = f"CC {what}{size_text}"
    lines = [f"## Claude Code transcripts, {what}{_du(folder) / 1e9:.2f} GB ({finops.extra['requests']:,} API "
             f"responses, {_files(folder)} files)", "",
             f"Load average (1 minute) at the start of each round and at the end: "
             f"{', '.join(f'{x:.1f}' for x in loads)} on {os.cpu_count()} cores.", "", *table(runs), "",
             f"Token totals {'agree' if agree else 'DIFFER'} across every command and run on the full input.", ""]
    lines += step_profile(folder, work, [("1.5x the raw scan", 1.5 * floor.seconds), *[
        (f"{r.name}'s whole run", r.seconds) for r in runs if r.name.startswith("ccusage 20")]])
    ratio = finops.seconds / floor.seconds
    targets = [f"| {label}: within 1.5x of the raw scan | {ratio:.2f}x | {verdict(ratio <= 1.5)} |"]
    for r in runs:
        if r.name.startswith("ccusage 20"):
            targets.append(f"| {label}: faster than ccusage 20 native | {finops.seconds:.2f} s vs {r.seconds:.2f} s "
                           f"({finops.seconds / r.seconds:.2f}x) | {verdict(finops.seconds < r.seconds)} |")
            targets.append(f"| {label}: peak RSS below ccusage 20's | {finops.rss_mib:.0f} vs {r.rss_mib:.0f} MiB | "
                           f"{verdict(finops.rss_mib < r.rss_mib)} |")
    targets.append(f"| {label}: token totals identical | {'identical' if agree else 'different'} | {verdict(agree)} |")
    targets.append(flat_memory(label, runs[-1], finops))
    return lines, targets, int(not agree)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cc", default="1GB", help="Claude Code transcripts size (default 1GB)")
    parser.add_argument("--cc-small", default="400MB",
                        help="Claude Code transcripts in files of about 400 KB (default 400MB: about 1,000 files)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="Claude Code, logs and memory: runs of each command, alternated; the median is reported "
                        "(default 3)")
    parser.add_argument("--logs", default="5GB", help="request/response logs size (default 5GB)")
    parser.add_argument("--cur", default="1GB", help="AWS CUR files size (default 1GB)")
    parser.add_argument("--memory", default="1GB",
                        help="memory part: each reader's input at this size (10x) and a tenth of it (1x)")
    parser.add_argument("--store-rows", type=int, default=50_000_000)
    parser.add_argument("--month", default="2026-09", help="month analysed from the store")
    parser.add_argument("--work", type=Path, help="folder for generated inputs (default: a temp folder, kept)")
    parser.add_argument("--no-ccusage", action="store_true", help="skip ccusage (no npm)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, no ccusage, results to a temp file")
    parser.add_argument("--out", type=Path, default=BENCH / "RESULTS.md")
    parser.add_argument("--repeat", type=int, default=1,
                        help="bills: run each command this many times, taking turns, and keep the median")
    parser.add_argument("--skip", default="",
                        help="comma-separated parts to skip: cc, cc-small, logs, cur, memory, store")
    parser.add_argument("--memory-readers", default="cc,logs,cur", help="memory part: the readers measured")
    args = parser.parse_args(argv)
    if args.smoke:
        args.cc, args.logs, args.cur, args.store_rows, args.no_ccusage = "2MB", "4MB", "2MB", 20_000, True
        args.memory = "4MB"
        args.cc_small, args.rounds = "2MB", 1
        if args.out == BENCH / "RESULTS.md":
            args.out = Path(tempfile.gettempdir()) / "finops-bench-smoke.md"
    work = args.work or Path(tempfile.gettempdir()) / "finops-bench"
    work.mkdir(parents=True, exist_ok=True)
    skip = set(filter(None, args.skip.split(",")))
    cores = os.cpu_count()
    md = ["# Benchmark results", "",
          f"Machine: {cores} cores, {_mem_gib():.0f} GiB RAM, {platform.system()} {platform.machine()}, "
          f"Python {platform.python_version()}, DuckDB {_duckdb_version()}. Generated with `python bench/run.py "
          f"--cc {args.cc} --logs {args.logs} --cur {args.cur} --memory {args.memory} --rounds {args.rounds} "
          f"--store-rows {args.store_rows}`"
          f" on {time.strftime('%Y-%m-%d')}. Inputs by `bench/generate.py` (seed 6). `finops analyze` writes "
          "report.json (`--format json`): the PDF is a constant cost that does not grow with the input.", ""]
    targets: list[str] = []
    failures = 0

    if "cc" not in skip:
        for kind, size_text, what in (("cc", args.cc, ""), ("cc-small", args.cc_small, "many small files, ")):
            if kind == "cc-small" and "cc-small" in skip:
                continue
            lines, rows, failed = claude_code_section(kind, size_text, what, args, work)
            md += lines
            targets += rows
            failures += failed

    if "logs" not in skip:
        size = parse_size(args.logs)
        logs, runs, loads = floor_and_finops("logs", size, FLOOR_LOGS, "finops analyze (all findings)", work,
                                             args.rounds)
        floor, finops = runs[0], runs[1]
        agree = floor.tokens == finops.tokens
        failures += not agree
        md += [f"## Request/response logs with bodies, {_du(logs) / 1e9:.2f} GB "
               f"({finops.extra['requests']:,} requests, {_files(logs)} files)", "", load_line(loads), "",
               *table(runs), "", f"Token totals {'agree' if agree else 'DIFFER'} between the floor and finops.", ""]
        targets.append(within_floor(f"Logs {args.logs}", finops, floor, 3))
        targets.append(f"| Logs {args.logs}: peak memory (tree) under 2 GB | {finops.tree_mib:.0f} MiB (largest "
                       f"process {finops.rss_mib:.0f}) | {verdict(finops.tree_mib < 2048)} |")
        targets.append(flat_memory("Logs", runs[2], finops))

    if "cur" not in skip:
        size = parse_size(args.cur)
        bill = generated("cur", size, work)
        small = generated("cur", size // 10, work)
        runs = alternate([lambda: run_floor("raw DuckDB scan (floor)", FLOOR_CUR, bill, work, "csv"),
                          lambda: run_floor("raw polars scan", FLOOR_CUR_POLARS, bill, work, "csv"),
                          lambda: run_finops("finops analyze", [str(bill)], work / "out-cur"),
                          lambda: run_finops("finops analyze, 1/10 of the input", [str(small)],
                                             work / "out-cur-small"),
                          lambda: run_floor(READING_ALONE_NAME, READING_ALONE, bill, work)], args.repeat)
        floor = runs[0]
        runs[2].note = f"{runs[2].extra['findings']} findings; " + runs[2].note
        runs[3].note = f"{_du(small) / 1e6:.0f} MB: memory at 1x vs 10x; " + runs[3].note
        finops = runs[2]
        agree = all(r.tokens == floor.tokens for r in (*runs[:3], runs[4]))
        failures += not agree
        md += [f"## AWS CUR (Bedrock), {_du(bill) / 1e9:.2f} GB ({floor.extra['requests']:,} Claude usage lines "
               f"among {floor.extra['lines']:,} lines, {_files(bill, '*.csv*')} files, half of them gzipped, "
               f"generated in {(bill / '.complete').read_text()} s)", "", *table(runs), "",
               f"Token totals {'agree' if agree else 'DIFFER'} between both scans and finops. "
               f"{reading_line(runs[4], floor)}", "", *step_profile(bill, work, [twice(floor)])]
        targets.append(within_floor(f"CUR {args.cur} CSV", finops, floor, 2))
        targets.append(same_totals(f"CUR {args.cur} CSV", agree, "the raw scans"))
        targets.append(flat_memory("CUR", runs[3], finops))
        # The same bill as Parquet (one file a month, every column text, as CUR 2.0 Parquet exports are read)
        pq_folder = as_parquet(bill, work)
        runs = alternate([lambda: run_floor("raw DuckDB scan (floor)", FLOOR_CUR, pq_folder, work, "parquet"),
                          lambda: run_floor("raw polars scan", FLOOR_CUR_POLARS, pq_folder, work, "parquet"),
                          lambda: run_finops("finops analyze", [str(pq_folder)], work / "out-cur-parquet"),
                          lambda: run_floor(READING_ALONE_NAME, READING_ALONE, pq_folder, work)],
                         args.repeat)
        floor, finops = runs[0], runs[2]
        agree = all(r.tokens == floor.tokens for r in runs)
        failures += not agree
        md += [f"## The same CUR as Parquet, {_du(pq_folder) / 1e9:.2f} GB ({_files(pq_folder, '*.parquet')} files)",
               "", *table(runs), "", f"Token totals {'agree' if agree else 'DIFFER'} between both scans and finops. "
               f"{reading_line(runs[3], floor)}", "", *step_profile(pq_folder, work, [twice(floor)])]
        targets.append(within_floor(f"CUR {args.cur} Parquet", finops, floor, 2))
        targets.append(same_totals(f"CUR {args.cur} Parquet", agree, "the raw scans"))
        # The same bill as an AWS FOCUS export (the same lines under FOCUS names: ingest/aws_focus.py), CSV and
        # Parquet, and as a Google Cloud billing export (ingest/gcp_billing.py)
        for label, what, folder, script, fmt, pattern in (
                ("AWS FOCUS 1.2 export", f"AWS FOCUS {args.cur} CSV", as_aws_focus(bill, work), FLOOR_FOCUS, "csv",
                 "*.csv"),
                ("AWS FOCUS 1.2 export as Parquet", f"AWS FOCUS {args.cur} Parquet",
                 as_aws_focus(bill, work, "parquet"), FLOOR_FOCUS, "parquet", "*.parquet"),
                ("Google Cloud billing export", f"GCP billing {args.cur} CSV", as_gcp_billing(bill, work), FLOOR_GCP,
                 "csv", "*.csv")):
            runs = alternate([lambda f=folder, sc=script, fm=fmt: run_floor("raw DuckDB scan (floor)", sc, f, work,
                                                                          fm),
                              lambda f=folder: run_finops("finops analyze", [str(f)], work / f"out-{f.name}"),
                              lambda f=folder: run_floor(READING_ALONE_NAME, READING_ALONE, f, work)],
                             args.repeat)
            floor, finops, reading = runs
            agree = finops.tokens == floor.tokens == reading.tokens
            failures += not agree
            md += [f"## The same CUR as the {label}, {_du(folder) / 1e6:.0f} MB ({floor.extra['requests']:,} Claude "
                   f"usage lines, {_files(folder, pattern)} files)", "", *table(runs), "",
                   f"Token totals {'agree' if agree else 'DIFFER'} between the scan and finops. "
                   f"{reading_line(reading, floor)}", "", *step_profile(folder, work, [twice(floor)])]
            targets.append(within_floor(what, finops, floor, 2))
            targets.append(same_totals(what, agree))

    if "memory" not in skip:
        readers = [k for k in args.memory_readers.split(",") if k]
        lines, rows = memory_section(args.memory, readers, args.rounds, work)
        md += lines
        targets += rows

    if "store" not in skip:
        t = time.perf_counter()
        db = build_store(args.store_rows, work)
        built = time.perf_counter() - t
        r = run_finops(f"finops analyze --db --month {args.month}", ["--db", str(db), "--month", args.month],
                       work / "out-store")
        r.note = f"{r.extra['requests']:,} requests in the month, {r.extra['findings']} findings"
        md += [f"## Store with {args.store_rows:,} request rows ({db.stat().st_size / 1e9:.2f} GB file)", "",
               *table([r]), "", f"Store built in {built:.0f} s (first run only; reused after).", ""]
        targets.append(f"| Store {args.store_rows:,} rows: analyze one month under 60 s | {r.seconds:.1f} s | "
                       f"{verdict(r.seconds < 60)} |")

    md[4:4] = ["## Targets", "", "| target | measured | |", "|---|---|---|", *targets, ""]
    args.out.write_text("\n".join(md) + "\n", encoding="utf-8")
    print("\n".join(md))
    print(f"\nwritten to {args.out}")
    return 1 if failures else 0


def _du(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


def _files(folder: Path, pattern: str = "*.jsonl") -> int:
    return sum(1 for p in folder.rglob(pattern))


def _mem_gib() -> float:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        return 0.0


def _duckdb_version() -> str:
    import duckdb

    return duckdb.__version__


if __name__ == "__main__":
    sys.exit(main())
