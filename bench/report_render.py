"""How long the report takes for a year of a mid-size organisation's usage, after the files are read.

    .venv/bin/python bench/report_render.py                # 1,000,000 request rows + a daily usage report
    .venv/bin/python bench/report_render.py --rows 3000000 --out /tmp/bench-report

The usage is generated in DuckDB (no input files: reading them is the ingest benchmark's job): twelve months,
40 workspaces, 300 API keys, 60 projects, ten models on the Anthropic API, Bedrock and Vertex, with caching, batch,
thinking and long requests, plus an org-wide daily usage report (model x workspace x API key) that is the spend
basis for half of the days. Then it times what `finops analyze` does after reading: pricing, the analyses and
stacking, the report's overview, the sections (month over month, evidence pack), HTML, PDF, JSON, CSV and Markdown.
It prints one line per stage and the total, and the page count of the PDF.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
from finops.reports import render_html, render_pdf

from finops import analysis, outputs, overview, pricing, sections, stacking
from finops.report import Report, to_json
from finops.schema import create_table_sql

MODELS = ["claude-sonnet-4-6", "claude-opus-4-6", "claude-haiku-4-5", "claude-sonnet-4-5", "claude-opus-4-1",
          "claude-opus-4-5", "claude-sonnet-5", "claude-opus-4-8", "claude-haiku-5-5", "claude-opus-5"]

REQUESTS = """
INSERT INTO usage (record_id, source_format, source_file, source_line, granularity, grouping, platform,
    charge_period_start, workspace, api_key_id, project, user_id, session_id, request_id, model_raw, model,
    requests, input_tokens, cache_write_5m_tokens, cache_write_1h_tokens, cache_ttl_assumed, cache_read_tokens,
    output_tokens, thinking_tokens, thinking_estimated, web_search_requests, service_tier, speed, inference_geo,
    endpoint_scope, thinking_type, thinking_budget, max_tokens, stream, tool_count, system_fingerprint,
    prefix_fingerprint, prefix_chars, prompt_chars, cache_control, stop_reason)
SELECT 'r' || i, 'anthropic_log', 'bench/logs-' || (i % 365) || '.jsonl', i, 'request', 'request',
    CASE WHEN i % 10 = 0 THEN 'bedrock' WHEN i % 10 = 1 THEN 'vertex' ELSE 'anthropic' END,
    TIMESTAMP '2025-12-01' + to_seconds((i * 7919) % (365 * 86400)),
    'ws_' || (i % 40), 'key_' || (i % 300), 'project_' || (i % 60), 'user_' || (i % 500),
    's' || (i // 12), 'req_' || i, m, m,
    1, 500 + (i * 37) % 6000, CASE WHEN i % 5 = 0 THEN 2000 ELSE 0 END, 0, false,
    CASE WHEN i % 3 = 0 THEN 20000 + (i % 30000) ELSE 0 END,
    200 + (i * 13) % 3000, CASE WHEN i % 4 = 0 THEN 100 + (i * 7) % 2000 END, false,
    CASE WHEN i % 97 = 0 THEN 1 ELSE 0 END,
    CASE WHEN i % 11 = 0 THEN 'batch' ELSE 'standard' END, CASE WHEN i % 53 = 0 THEN 'fast' ELSE 'standard' END,
    CASE WHEN i % 17 = 0 THEN 'us' ELSE 'global' END, CASE WHEN i % 10 IN (0, 1) AND i % 3 = 0 THEN 'regional'
        WHEN i % 10 IN (0, 1) THEN 'global' END,
    CASE WHEN i % 4 = 0 THEN 'enabled' END, CASE WHEN i % 4 = 0 THEN 16000 END, 4096, i % 2 = 0, i % 4,
    'sys_' || (i % 800), 'pre_' || (i % 5000), 8000 + i % 20000, 10000 + i % 40000, i % 3 = 0, 'end_turn'
FROM (SELECT range AS i, $models[1 + ((range * 31) % $n)] AS m FROM range($rows)) t
"""

BUCKETS = """
INSERT INTO usage (record_id, source_format, source_file, source_line, granularity, grouping, platform,
    charge_period_start, charge_period_end, workspace, api_key_id, model_raw, model, input_tokens,
    cache_write_5m_tokens, cache_write_1h_tokens, cache_ttl_assumed, cache_read_tokens, output_tokens,
    web_search_requests, service_tier, context_window)
SELECT 'b' || d || '-' || k, 'anthropic_usage_report', 'bench/usage_report.json', d * 10000 + k, 'bucket',
    '1d:model,workspace_id,api_key_id', 'anthropic', TIMESTAMP '2025-12-01' + to_days(d),
    TIMESTAMP '2025-12-01' + to_days(d + 1), 'ws_' || (k % 40), 'key_' || k,
    $models[1 + ((k * 7) % $n)], $models[1 + ((k * 7) % $n)],
    (200000 + (d * k) % 900000) * (1 + d // 120), 10000, 0, false, 500000 + (k * d) % 700000,
    80000 + (k * 13 + d) % 120000, 0, CASE WHEN k % 9 = 0 THEN 'batch' ELSE 'standard' END, '0-200k'
FROM range(365) r(d), range(300) s(k)
WHERE d % 2 = 0
"""


def stage(name: str, timings: list[tuple[str, float]], fn: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    result = fn()
    timings.append((name, time.perf_counter() - start))
    print(f"  {name:42} {timings[-1][1]:7.2f} s", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="request-level rows (default 1,000,000)")
    parser.add_argument("--out", type=Path, help="folder for the outputs (default: a temporary folder)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="finops-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    timings: list[tuple[str, float]] = []
    con = duckdb.connect()
    pricing.install(con)
    con.execute(create_table_sql("usage"))
    con.execute("CREATE TABLE rejects (source_file VARCHAR, source_line BIGINT, reason VARCHAR)")
    print(f"finops report benchmark: {args.rows:,} request rows over 12 months + a daily usage report")
    params = {"models": MODELS, "n": len(MODELS)}
    stage("generate usage (not in the total)", [], lambda: (
        con.execute(REQUESTS, {**params, "rows": args.rows}), con.execute(BUCKETS, params)))
    rows = con.execute("SELECT count(*) FROM usage").fetchone()[0]
    stage("price every row", timings, lambda: pricing.price_usage(con))

    def analyse() -> tuple[list[Any], dict[str, Decimal]]:
        analysis.prepare(con)
        found = [f for a in analysis.load_all() if (f := analysis.run(con, a)) is not None]
        return found, stacking.stack(con, found)

    found, stacked = stage("analyses and stacked savings", timings, analyse)
    findings = [replace(f, stacked_savings=stacked.get(f.id, Decimal(0))) for f in found]

    def overview_report() -> Report:
        start, end = overview.period(con)
        return Report(generated_at=datetime(2026, 12, 2), period_start=start, period_end=end, inputs=[],
                      skipped=[], totals=overview.totals(con), unpriced=overview.unpriced(con),
                      spend_by_model=overview.by_model(con), spend_by_month=overview.by_month(con),
                      spend_by=overview.by_attribution(con),
                      findings=sorted(findings, key=lambda f: f.savings, reverse=True),
                      savings_standalone=sum((f.savings for f in findings), Decimal(0)),
                      savings_stacked=sum(stacked.values(), Decimal(0)), prices=overview.price_rows(con),
                      params={}, quality=overview.quality(con), organisation="Bench Co")

    report = stage("overview (totals, months, models, spend by)", timings, overview_report)
    report = stage("sections (month over month, evidence pack)", timings,
                   lambda: replace(report, sections=sections.build_all(con, report)))
    html = stage("HTML (print)", timings, lambda: render_html(report))
    stage("HTML (screen) written", timings, lambda: (out / "report.html").write_text(
        render_html(report, for_print=False), encoding="utf-8"))
    pdf = stage("PDF", timings, lambda: render_pdf(html))
    (out / "report.pdf").write_bytes(pdf)
    stage("JSON, CSV and Markdown", timings, lambda: (
        (out / "report.json").write_text(to_json(report), encoding="utf-8"),
        outputs.write_findings_csv(report, out / "findings.csv"),
        outputs.write_finding_evidence_csv(report, out / "finding_evidence.csv"),
        outputs.write_evidence_csv(report, out / "evidence.csv"),
        (out / "summary.md").write_text(outputs.summary_markdown(report), encoding="utf-8")))
    total = sum(t for _, t in timings)
    report_only = sum(t for name, t in timings if name.startswith(("sections", "HTML", "PDF", "JSON")))
    info = subprocess.run(["pdfinfo", str(out / "report.pdf")], capture_output=True, text=True, check=False) \
        if shutil.which("pdfinfo") else None
    found = re.search(r"^Pages:\s+(\d+)", info.stdout, re.M) if info else None
    pages = found.group(1) if found else "?"
    print(f"  {'total after reading':42} {total:7.2f} s   ({rows:,} usage rows, "
          f"{len(findings)} findings, {pages} PDF pages)")
    print(f"  {'of which the report (sections to outputs)':42} {report_only:7.2f} s")
    print(f"Outputs in {out}")


if __name__ == "__main__":
    main()
