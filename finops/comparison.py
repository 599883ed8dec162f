"""Month over month: a month's spend against the month before, the change split by cause, and what was realised.

The month is the one given (`--month YYYY-MM`) or else the last full calendar month in the data.

The change in spend is split exactly: the parts add up to the change. Spend on tokens is a sum over segments s
(platform and model, price tier: standard or batch, speed, price variant and premiums, and token class: uncached
input, 5-minute and 1-hour cache writes, cache reads, output) of tokens T_s x rate p_s (the segment's cost per
token in that month). With T the month's tokens, m a model (platform and model), P_m a model's cost per token:

    volume      = (T1 - T0) x S0 / T0                     the same tokens, more or fewer of them
    model mix   = sum_m (T1_m - T1 x T0_m / T0) x P0_m     tokens moving between models (and platforms)
    usage mix   = sum_m (sum_s T1_s x p0_s - T1_m x P0_m)   within a model, tokens moving between token classes
                                                          and tiers (caching, batch, long context, fast mode)
    price       = sum_s T1_s x (p1_s - p0_s)                the rates themselves (price list, negotiated rates)

plus web search fees, which are not tokens, on their own line.

Coverage comes first. A platform or source present in one of the two months and absent from the other is its own
cause, `coverage`: its spend in the month that has it (negative when it disappeared). The spend basis of a platform
is a source: an aggregated report or bill (usage report, Console export, cloud bill: every request of the
platform, whichever of them it is) or a request-level source (each format its own traffic: gateway logs, Claude
Code transcripts, Bedrock invocation logs). Volume, mix, price and web search are computed on the rest, so a
platform whose logs start this month is never called growth. A segment new this month takes this month's rate
as last month's (it cannot have changed price); that puts new models and new token classes in the mix, never in
price. The four parts add up to S1 - S0 exactly (fractions), and are then rounded so that the rounded parts still
add up to the rounded total.

Realised savings, for each finding that was open the month before (it had savings then): the share of the
month's tokens it affected, a = affected tokens / tokens; if that share fell, the tokens it no longer affects
(a0 - a1) x T1 are valued at what the finding saved per affected token the month before (savings0 / affected0).
An estimate: a share can also fall because a workload shrank. Lever metrics (legacy share of a model family, batch
share of the workloads the batch finding named, cache hit ratio) show what moved.
"""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction
from typing import Any

import duckdb

from .coverage import PLATFORM_LABEL, matrix, platform_months
from .evidence import add_months, apportion, coverage, month_label, month_range, rows, to_decimal
from .report import Report

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
CLASSES = (("input", "input_tokens"), ("cache_write_5m", "cache_write_5m_tokens"),
           ("cache_write_1h", "cache_write_1h_tokens"), ("cache_read", "cache_read_tokens"),
           ("output", "output_tokens"))
CAUSES = (("coverage", "Coverage", "Platforms or sources in one of the two months only"),
          ("volume", "Volume", "More or fewer tokens, at last month's mix and rates"),
          ("model_mix", "Model mix", "Tokens moving between models and platforms"),
          ("usage_mix", "Usage mix within models",
           "Tokens moving between token classes and tiers: caching, batch, long context, fast mode"),
          ("price", "Price", "Rate changes: price list or negotiated rates"),
          ("web_search", "Web searches", "Web search fees ($10 per 1,000), which are not tokens"))

# The coverage unit of a spend-basis row: an aggregated source covers the platform's every request, whichever
# report or bill it is; each request-level format is its own traffic.
_SOURCE = "CASE WHEN granularity = 'request' THEN source_format ELSE 'aggregated' END"

_SEGMENTS = f"""
    SELECT strftime(charge_period_start, '%Y-%m') AS month, platform, model, {_SOURCE} AS source,
        coalesce(service_tier, 'standard') || '/' || coalesce(speed, 'standard') || '/' || price_variant
            || '/x' || CAST(multiplier AS VARCHAR) AS tier,
        sum(coalesce(input_tokens, 0))::BIGINT AS input_tokens, sum(input_cost) AS input_cost,
        sum(coalesce(cache_write_5m_tokens, 0))::BIGINT AS cache_write_5m_tokens,
        sum(CAST(coalesce(cache_write_5m_tokens, 0) * rate_cache_write_5m * multiplier * 0.000001
                 AS DECIMAL(38, 12))) AS cache_write_5m_cost,
        sum(coalesce(cache_write_1h_tokens, 0))::BIGINT AS cache_write_1h_tokens,
        sum(cache_write_cost) AS cache_write_cost,
        sum(coalesce(cache_read_tokens, 0))::BIGINT AS cache_read_tokens, sum(cache_read_cost) AS cache_read_cost,
        sum(coalesce(output_tokens, 0))::BIGINT AS output_tokens, sum(output_cost) AS output_cost,
        sum(coalesce(web_search_requests, 0))::BIGINT AS web_searches, sum(web_search_cost) AS web_search_cost
    FROM priced_usage
    WHERE in_totals AND priced AND strftime(charge_period_start, '%Y-%m') IN (?, ?)
    GROUP BY ALL"""

_SOURCES = f"""
    SELECT DISTINCT strftime(charge_period_start, '%Y-%m') AS month, platform, {_SOURCE} AS source, source_format
    FROM priced_usage
    WHERE in_totals AND strftime(charge_period_start, '%Y-%m') IN (?, ?)
    ORDER BY month, platform, source, source_format"""


def _segments(con: duckdb.DuckDBPyConnection, prev: str, cur: str) -> list[dict[str, Any]]:
    """One row per month, model, tier and token class: tokens and cost (Fraction), web searches apart."""
    out = []
    for r in rows(con, _SEGMENTS, [prev, cur]):
        w5 = Fraction(r["cache_write_5m_cost"] or 0)
        costs = {"input": Fraction(r["input_cost"] or 0), "cache_write_5m": w5,
                 "cache_write_1h": Fraction(r["cache_write_cost"] or 0) - w5,
                 "cache_read": Fraction(r["cache_read_cost"] or 0), "output": Fraction(r["output_cost"] or 0)}
        for cls, column in CLASSES:
            tokens = int(r[column] or 0)
            if tokens or costs[cls]:
                out.append({"month": r["month"], "model": (r["platform"], r["model"]), "tier": r["tier"],
                            "cls": cls, "tokens": tokens, "cost": costs[cls], "source": (r["platform"], r["source"])})
        if r["web_searches"] or r["web_search_cost"]:
            out.append({"month": r["month"], "model": (r["platform"], r["model"]), "tier": r["tier"],
                        "cls": "web_search", "tokens": 0, "cost": Fraction(r["web_search_cost"] or 0),
                        "source": (r["platform"], r["source"])})
    return out


def split_coverage(segments: list[dict[str, Any]], sources: dict[str, set[tuple[str, str]]], prev: str,
                   cur: str) -> tuple[Fraction, list[dict[str, Any]]]:
    """The coverage cause (spend of the sources in cur only, less that of the sources in prev only) and the
    segments of the sources in both months, on which the other causes are computed."""
    both = sources.get(prev, set()) & sources.get(cur, set())
    amount = Fraction(0)
    rest = []
    for s in segments:
        if s.get("source") is None or s["source"] in both:
            rest.append(s)
        else:
            amount += s["cost"] if s["month"] == cur else -s["cost"]
    return amount, rest


def _coverage_text(named: dict[str, dict[tuple[str, str], list[str]]], prev: str, cur: str) -> tuple[str, list]:
    """The coverage cause's explanation, naming each platform and source in one month only."""
    def names(keys: dict[tuple[str, str], list[str]]) -> str:
        return "; ".join(f"{PLATFORM_LABEL.get(p, p)} ({', '.join(formats)})" for (p, _), formats in keys.items())

    parts, changed = [], []
    for month, other, sign in ((cur, prev, "new"), (prev, cur, "gone")):
        keys = {k: v for k, v in named[month].items() if k not in named[other]}
        for (platform, source), formats in keys.items():
            changed.append({"platform": platform, "source": source, "source_formats": formats, "change": sign})
        if keys:
            parts.append(f"in {month_label(month)} only: {names(keys)}")
    if not parts:
        return f"The same platforms and sources in both months: {names(named[cur])}", changed
    return ("Platforms or sources " + ", ".join(parts) + ": their spend is what the data covers, not growth or "
            "decline"), changed


def decompose(segments: list[dict[str, Any]], prev: str, cur: str) -> dict[str, Fraction]:
    """The exact split of the change in spend from prev to cur (see the module docstring); the segments are
    those of the sources in both months (split_coverage)."""
    t: dict[tuple[str, Any], dict[str, Any]] = defaultdict(lambda: {"tokens": 0, "cost": Fraction(0)})
    web = {prev: Fraction(0), cur: Fraction(0)}
    for s in segments:
        if s["cls"] == "web_search":
            web[s["month"]] += s["cost"]
            continue
        key = (s["model"], s["tier"], s["cls"])
        t[(s["month"], key)]["tokens"] += s["tokens"]
        t[(s["month"], key)]["cost"] += s["cost"]
    keys = {k for (_, k) in t}

    def get(month: str, key: Any) -> tuple[int, Fraction]:
        x = t.get((month, key))
        return (x["tokens"], x["cost"]) if x else (0, Fraction(0))

    rate0: dict[Any, Fraction] = {}
    rate1: dict[Any, Fraction] = {}
    for k in keys:
        n0, c0 = get(prev, k)
        n1, c1 = get(cur, k)
        rate1[k] = c1 / n1 if n1 else (c0 / n0 if n0 else Fraction(0))
        rate0[k] = c0 / n0 if n0 else rate1[k]  # new this month: this month's rate
    t0 = sum(get(prev, k)[0] for k in keys)
    t1 = sum(get(cur, k)[0] for k in keys)
    s0 = sum((get(prev, k)[1] for k in keys), Fraction(0))
    s1 = sum((get(cur, k)[1] for k in keys), Fraction(0))
    models = {k[0] for k in keys}
    model_mix = usage_mix = Fraction(0)
    for m in models:
        mine = [k for k in keys if k[0] == m]
        t0_m = sum(get(prev, k)[0] for k in mine)
        t1_m = sum(get(cur, k)[0] for k in mine)
        at_old_rates = sum((get(cur, k)[0] * rate0[k] for k in mine), Fraction(0))
        if t0_m:
            p0_m = sum((get(prev, k)[1] for k in mine), Fraction(0)) / t0_m
        else:  # a model new this month: its own mix, at its own rates
            p0_m = at_old_rates / t1_m if t1_m else Fraction(0)
        if t0:
            model_mix += (t1_m - Fraction(t1 * t0_m, t0)) * p0_m
        usage_mix += at_old_rates - t1_m * p0_m
    volume = (t1 - t0) * s0 / t0 if t0 else Fraction(0)
    if not t0:  # nothing last month: all of this month's spend is new volume
        volume, model_mix, usage_mix = s1, Fraction(0), Fraction(0)
        price = Fraction(0)
    else:
        price = s1 - sum((get(cur, k)[0] * rate0[k] for k in keys), Fraction(0))
    parts = {"volume": volume, "model_mix": model_mix, "usage_mix": usage_mix, "price": price,
             "web_search": web[cur] - web[prev]}
    parts["total"] = (s1 + web[cur]) - (s0 + web[prev])
    assert sum((v for k, v in parts.items() if k != "total"), Fraction(0)) == parts["total"]
    return parts


def _by_model(segments: list[dict[str, Any]], prev: str, cur: str) -> list[dict[str, Any]]:
    acc: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {"tokens_prev": 0, "tokens_cur": 0, "cost_prev": Fraction(0), "cost_cur": Fraction(0)})
    for s in segments:
        which = "prev" if s["month"] == prev else "cur"
        acc[s["model"]][f"tokens_{which}"] += s["tokens"]
        acc[s["model"]][f"cost_{which}"] += s["cost"]
    out = []
    for (platform, model), x in acc.items():
        out.append({
            "platform": platform, "model": model, "tokens_prev": x["tokens_prev"], "tokens_cur": x["tokens_cur"],
            "cost_prev_usd": to_decimal(x["cost_prev"]), "cost_cur_usd": to_decimal(x["cost_cur"]),
            "change_usd": to_decimal(x["cost_cur"] - x["cost_prev"]),
            "per_mtok_prev": to_decimal(x["cost_prev"] * 1_000_000 / x["tokens_prev"], "0.0001")
            if x["tokens_prev"] else None,
            "per_mtok_cur": to_decimal(x["cost_cur"] * 1_000_000 / x["tokens_cur"], "0.0001")
            if x["tokens_cur"] else None,
        })
    out.sort(key=lambda r: (-max(r["cost_prev_usd"], r["cost_cur_usd"]), r["platform"], r["model"]))
    return out


_TOKENS = ("coalesce(input_tokens, 0) + coalesce(cache_write_5m_tokens, 0) + coalesce(cache_write_1h_tokens, 0)"
           " + coalesce(cache_read_tokens, 0) + coalesce(output_tokens, 0)")


_SCOPE = ("platform", "workspace", "api_key_id", "project")
_SAME_SCOPE = " AND ".join(f"w.{c} IS NOT DISTINCT FROM u.{c}" for c in _SCOPE)


def _realised(con: duckdb.DuckDBPyConnection, report: Report, prev: str, cur: str) -> list[dict[str, Any]]:
    """Per finding open last month, within the workloads it named then (platform, workspace, API key, project):
    its savings then and now, the share of those workloads' tokens it affected, and the realised estimate."""
    if not _has_table(con, "finding_savings"):
        return []
    scope = f"""
        WITH w AS (
            SELECT DISTINCT s.finding_id, {", ".join(f"u.{c}" for c in _SCOPE)}
            FROM finding_savings s JOIN priced_usage u USING (record_id)
            WHERE s.savings > 0 AND u.in_findings AND strftime(u.charge_period_start, '%Y-%m') = ?)"""
    tokens = {(r["finding_id"], r["month"]): int(r["tokens"] or 0) for r in rows(con, scope + f"""
        SELECT w.finding_id, strftime(u.charge_period_start, '%Y-%m') AS month, sum({_TOKENS})::BIGINT AS tokens
        FROM priced_usage u JOIN w ON {_SAME_SCOPE}
        WHERE u.in_findings AND strftime(u.charge_period_start, '%Y-%m') IN (?, ?)
        GROUP BY ALL""", [prev, prev, cur])}
    found: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for r in rows(con, scope + f"""
        SELECT s.finding_id, strftime(u.charge_period_start, '%Y-%m') AS month, sum(s.savings) AS savings,
            sum({_TOKENS})::BIGINT AS tokens
        FROM finding_savings s JOIN priced_usage u USING (record_id)
        SEMI JOIN w ON w.finding_id = s.finding_id AND {_SAME_SCOPE}
        WHERE u.in_findings AND strftime(u.charge_period_start, '%Y-%m') IN (?, ?)
        GROUP BY ALL""", [prev, prev, cur]):
        found[r["finding_id"]][r["month"]] = r
    titles = {f.id: f.title for f in report.findings}
    out = []
    for fid, months in found.items():
        p, c = months.get(prev), months.get(cur)
        s0 = Fraction(p["savings"]) if p else Fraction(0)
        if s0 <= 0:
            continue  # not open last month
        a0, a1 = int(p["tokens"] or 0), int(c["tokens"] or 0) if c else 0
        t0, t1 = tokens.get((fid, prev), 0), tokens.get((fid, cur), 0)
        share0 = Fraction(a0, t0) if t0 else Fraction(0)
        share1 = Fraction(a1, t1) if t1 else Fraction(0)
        moved = max(share0 - share1, Fraction(0)) * t1
        realised = moved * s0 / a0 if a0 else Fraction(0)
        out.append({
            "finding_id": fid, "title": titles.get(fid, fid),
            "savings_prev_usd": to_decimal(s0), "savings_cur_usd": to_decimal(Fraction(c["savings"]) if c else 0),
            "scope_tokens_prev": t0, "scope_tokens_cur": t1,
            "affected_tokens_prev": a0, "affected_tokens_cur": a1,
            "share_prev": to_decimal(share0), "share_cur": to_decimal(share1) if t1 else None,
            "tokens_no_longer_affected": int(round(moved)),
            "realised_usd": to_decimal(realised),
        })
    out.sort(key=lambda r: (-r["realised_usd"], -r["savings_prev_usd"], r["finding_id"]))
    return out


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                            [name]).fetchone()[0])


def _levers(con: duckdb.DuckDBPyConnection, prev: str, cur: str) -> list[dict[str, Any]]:
    """What moved: legacy models' share of their family, batch share of the workloads the batch finding named
    last month, cache hit ratio."""
    out: list[dict[str, Any]] = []
    if _has_table(con, "models"):
        for r in rows(con, f"""
            WITH t AS (
                SELECT strftime(u.charge_period_start, '%Y-%m') AS month, m.family, u.model, m.successor,
                    sum({_TOKENS})::BIGINT AS tokens
                FROM priced_usage u JOIN models m ON m.model = u.model
                WHERE u.in_totals AND strftime(u.charge_period_start, '%Y-%m') IN (?, ?)
                GROUP BY ALL),
            fam AS (SELECT month, family, sum(tokens) AS tokens FROM t GROUP BY ALL)
            SELECT t.model, t.family, any_value(t.successor) AS successor,
                sum(t.tokens) FILTER (WHERE t.month = ?)::BIGINT AS legacy_prev,
                sum(t.tokens) FILTER (WHERE t.month = ?)::BIGINT AS legacy_cur,
                any_value(f0.tokens)::BIGINT AS family_prev, any_value(f1.tokens)::BIGINT AS family_cur
            FROM t
            LEFT JOIN fam f0 ON f0.family = t.family AND f0.month = ?
            LEFT JOIN fam f1 ON f1.family = t.family AND f1.month = ?
            WHERE t.successor IS NOT NULL
            GROUP BY ALL ORDER BY legacy_prev DESC NULLS LAST, t.model, t.family""",
            [prev, cur, prev, cur, prev, cur]):
            if not (r["legacy_prev"] or 0):
                continue
            f0, f1 = int(r["family_prev"] or 0), int(r["family_cur"] or 0)
            out.append({
                "lever": "legacy_model", "finding_id": "legacy_model",
                "what": f"Share of {r['family']} tokens on {r['model']} (successor {r['successor']})",
                "numerator_prev": int(r["legacy_prev"] or 0), "denominator_prev": f0,
                "numerator_cur": int(r["legacy_cur"] or 0), "denominator_cur": f1,
                "share_prev": to_decimal(Fraction(int(r["legacy_prev"] or 0), f0)) if f0 else None,
                "share_cur": to_decimal(Fraction(int(r["legacy_cur"] or 0), f1)) if f1 else None,
                "better": "lower"})
    if _has_table(con, "finding_savings"):
        got = {r["month"]: r for r in rows(con, f"""
            WITH w AS (
                SELECT DISTINCT {", ".join(f"u.{c}" for c in _SCOPE)}
                FROM finding_savings s JOIN priced_usage u USING (record_id)
                WHERE s.finding_id = 'batch_candidates' AND s.savings > 0 AND u.in_findings
                    AND strftime(u.charge_period_start, '%Y-%m') = ?)
            SELECT strftime(u.charge_period_start, '%Y-%m') AS month,
                coalesce(sum({_TOKENS}) FILTER (WHERE u.service_tier = 'batch'), 0)::BIGINT AS batch,
                sum({_TOKENS})::BIGINT AS tokens, (SELECT count(*) FROM w) AS workloads
            FROM priced_usage u SEMI JOIN w ON {_SAME_SCOPE}
            WHERE u.in_findings AND strftime(u.charge_period_start, '%Y-%m') IN (?, ?)
            GROUP BY 1""", [prev, prev, cur])}
        if prev in got:
            p, c = got[prev], got.get(cur)
            n = int(p["workloads"])
            out.append({
                "lever": "batch_share", "finding_id": "batch_candidates",
                "what": f"Batch share of the tokens of the {n} workload{'s' if n != 1 else ''} "
                        "the batch finding named last month",
                "numerator_prev": int(p["batch"]), "denominator_prev": int(p["tokens"]),
                "numerator_cur": int(c["batch"]) if c else 0, "denominator_cur": int(c["tokens"]) if c else 0,
                "share_prev": to_decimal(Fraction(int(p["batch"]), int(p["tokens"]))) if p["tokens"] else None,
                "share_cur": to_decimal(Fraction(int(c["batch"]), int(c["tokens"])))
                if c and c["tokens"] else None,
                "better": "higher"})
    cache = {r["month"]: r for r in rows(con, """
        SELECT strftime(charge_period_start, '%Y-%m') AS month, sum(coalesce(cache_read_tokens, 0))::BIGINT AS reads,
            sum(coalesce(input_tokens, 0) + coalesce(cache_write_5m_tokens, 0) + coalesce(cache_write_1h_tokens, 0)
                + coalesce(cache_read_tokens, 0))::BIGINT AS prompt
        FROM priced_usage WHERE in_totals AND strftime(charge_period_start, '%Y-%m') IN (?, ?)
        GROUP BY 1""", [prev, cur])}
    if prev in cache and cur in cache:
        p, c = cache[prev], cache[cur]
        out.append({
            "lever": "cache_hit_ratio", "finding_id": "cache_missed",
            "what": "Cache hit ratio: cache reads / all input tokens (uncached, cache writes, cache reads)",
            "numerator_prev": int(p["reads"]), "denominator_prev": int(p["prompt"]),
            "numerator_cur": int(c["reads"]), "denominator_cur": int(c["prompt"]),
            "share_prev": to_decimal(Fraction(int(p["reads"]), int(p["prompt"]))) if p["prompt"] else None,
            "share_cur": to_decimal(Fraction(int(c["reads"]), int(c["prompt"]))) if c["prompt"] else None,
            "better": "higher"})
    return out


def target_month(con: duckdb.DuckDBPyConnection, report: Report) -> tuple[str | None, str]:
    """The month to report on, and how it was chosen."""
    asked = (report.options or {}).get("month") if hasattr(report, "options") else None
    if asked:
        return str(asked), "given"
    first, last = con.execute("""
        SELECT min(strftime(charge_period_start, '%Y-%m')), max(strftime(charge_period_start, '%Y-%m'))
        FROM priced_usage WHERE in_totals""").fetchone()
    if not first:
        return None, "none"
    full = [m for m in month_range(first, last) if coverage(m, report.period_start, report.period_end)["full"]]
    return (full[-1], "last full month") if full else (last, "last month (partial)")


def build(con: duckdb.DuckDBPyConnection, report: Report) -> dict[str, Any] | None:
    """The month-over-month comparison (Report.sections['comparison']); None without dated rows."""
    cur, how = target_month(con, report)
    if cur is None:
        return None
    prev = add_months(cur, -1)
    spend = {r["month"]: r for r in rows(con, """
        SELECT strftime(charge_period_start, '%Y-%m') AS month, coalesce(sum(cost), 0) AS cost,
            sum(coalesce(requests, 0))::BIGINT AS requests, count(*) FILTER (WHERE NOT priced) AS unpriced_rows
        FROM priced_usage WHERE in_totals AND strftime(charge_period_start, '%Y-%m') IN (?, ?)
        GROUP BY 1""", [prev, cur])}
    cov = {m: coverage(m, report.period_start, report.period_end) for m in (prev, cur)}
    out: dict[str, Any] = {
        "month": cur, "previous": prev, "chosen": how,
        "month_full": cov[cur]["full"] and cur in spend, "previous_full": cov[prev]["full"] and prev in spend,
        "coverage": {m: {"first_day": cov[m]["first_day"], "last_day": cov[m]["last_day"]} for m in (prev, cur)},
        "has_month": cur in spend, "has_previous": prev in spend,
        "spend_usd": Decimal(spend[cur]["cost"]) if cur in spend else None,
        "previous_spend_usd": Decimal(spend[prev]["cost"]) if prev in spend else None,
        "unpriced_rows": sum(int(spend[m]["unpriced_rows"]) for m in spend),
    }
    if cur not in spend or prev not in spend:
        return out
    segments = _segments(con, prev, cur)
    named: dict[str, dict[tuple[str, str], list[str]]] = {prev: {}, cur: {}}
    for r in rows(con, _SOURCES, [prev, cur]):
        named[r["month"]].setdefault((r["platform"], r["source"]), []).append(r["source_format"])
    sources = {m: set(keys) for m, keys in named.items()}
    coverage_usd, rest = split_coverage(segments, sources, prev, cur)
    parts = {**decompose(rest, prev, cur), "coverage": coverage_usd}
    parts["total"] += coverage_usd
    names = [k for k, _, _ in CAUSES]
    rounded = apportion([parts[k] for k in names])
    out["change_usd"] = sum(rounded, Decimal(0))
    out["change_share"] = (to_decimal(parts["total"] / Fraction(out["previous_spend_usd"]))
                           if out["previous_spend_usd"] else None)
    out["causes"] = [{"cause": k, "label": lbl, "explanation": why, "amount_usd": v}
                     for (k, lbl, why), v in zip(CAUSES, rounded, strict=True)]
    text, changed = _coverage_text(named, prev, cur)
    out["causes"][0].update(explanation=text, sources=changed)
    # Platforms in both months but covered only in part in one of them: their change is partly days missing.
    covered = platform_months(matrix(con))
    out["partly_covered"] = [
        {"platform": p, "month": m, "first_day": c["first_day"], "last_day": c["last_day"]}
        for p, months in sorted(covered.items()) for m in (prev, cur)
        if (c := months.get(m)) and not c["full"] and prev in months and cur in months]
    out["by_model"] = _by_model(segments, prev, cur)
    out["realised"] = _realised(con, report, prev, cur)
    out["realised_usd"] = sum((r["realised_usd"] for r in out["realised"]), Decimal(0))
    out["levers"] = _levers(con, prev, cur)
    return out
