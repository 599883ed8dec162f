"""Reconciliation: for each platform and month with both usage (logs) and a bill, do they agree, and if not, why.

The two sides:
  - usage ("the logs"): per platform and UTC day, the best source that is not a bill: a usage report or Console
    usage export when one covers the day, else the request-level logs; valued at list prices.
  - the bill: per platform and month, one bill source (AWS CUR before the AWS FOCUS export; the Google Cloud
    billing export; Anthropic's cost report before the Console cost CSV): its token lines priced at list by finops,
    its billed amounts as stated, and its money-only lines (credits, discounts, refunds, tax, adjustments).

The gap = billed - the logs' list cost, split into named causes that add up to it exactly:
  - credits (and refunds), discounts (discount lines, and billed below the bill's own tokens at list: a private
    offer or negotiated rates), other adjustments; tax is shown apart and left out of the billed cost;
  - bill charges the logs cannot show (code execution, provisioned throughput: no tokens);
  - bill usage finops cannot price (an unknown model: valued at what it billed);
  - bill usage outside the logs' time range (the logs' first to last day that month);
  - traffic in the bill with no logs: a model the logs do not have, else a region they do not have for that model,
    else a workspace (AWS account, GCP project) they do not have;
  - logs with no bill: log days outside the bill's period, models the bill does not have (negative);
  - not explained: the rest, i.e. the bill's matched usage at list minus the logs' matched usage at list.
Each bill line is valued at its list cost (finops's, from its tokens; or the list amount the bill states) and, when
neither is known (Anthropic's cost report states only what it billed), at its billed amount.

The usage gap = the gap without credits, discounts and adjustments: the bill's usage at list minus the logs' at
list (shown, labelled "usage gap"; the "whole gap" is billed - logs at list).
A month passes when the part *not explained* is within the tolerance: |not explained| <= tolerance x the bill's
usage at list (tolerance 1% unless set). A gap made of days or accounts the logs do not have, credits or discounts
is explained, and passes; `explained` lists those parts in groups a reader can act on (logs missing for these
days/accounts, credits, discounts, ...).

The realised discount per platform (billed / list, and 1 minus that) uses the bill lines whose list cost is known;
for a bill that states none, the logs' list cost of the months reconciled.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import duckdb

from .platforms import PLATFORM_LABEL
from .report import Report

DEFAULT_TOLERANCE = Decimal("0.01")
TOKEN_BILLS = {"bedrock_cur": 0, "aws_focus": 1, "focus": 1, "gcp_billing": 0}
# The Analytics API's cost states list amounts too, so it comes before the older cost report.
MONEY_BILLS = {"anthropic_analytics_cost": 0, "anthropic_cost_report": 1, "console_cost_csv": 2}
BILL_RANK = {**TOKEN_BILLS, **MONEY_BILLS}
SOURCE_LABELS = {
    "bedrock_cur": "AWS Cost and Usage Report", "aws_focus": "AWS FOCUS export", "gcp_billing":
    "Google Cloud billing export", "anthropic_cost_report": "Anthropic cost report",
    "console_cost_csv": "Claude Console cost export", "anthropic_usage_report": "Anthropic usage report",
    "anthropic_analytics_cost": "Anthropic Analytics API cost",
    "anthropic_analytics_usage": "Anthropic Analytics API usage",
    "focus": "FOCUS export", "claude_code_report": "Claude Code analytics report",
    "claude_code_otel": "Claude Code telemetry",
    "console_usage_csv": "Claude Console usage export", "bedrock_invocation": "Bedrock invocation logs",
    "anthropic_log": "request logs", "anthropic_batch": "batch results", "claude_code": "Claude Code transcripts",
}
WORKSPACE_LABEL = {"anthropic": "workspace", "bedrock": "AWS account", "vertex": "GCP project"}
# Causes in the order they are shown, with what each one means.
CAUSES = {
    "credits": "Credits and refunds on the bill",
    "discounts": "Discounts: discount lines, and billed below list for the same tokens (private offer, "
                 "negotiated rates)",
    "adjustments": "Other adjustments on the bill (rounding, corrections)",
    "other_charges": "Bill charges with no token counts, which logs cannot show",
    "unpriced": "Bill usage on models finops cannot price (valued at what it billed)",
    "outside_range": "Bill usage outside the logs' time range",
    "no_logs_model": "Traffic in the bill with no logs: a model the logs do not have",
    "no_logs_region": "Traffic in the bill with no logs: a region the logs do not have for that model",
    "no_logs_workspace": "Traffic in the bill with no logs: a workspace, account or project the logs do not have",
    "no_bill_days": "Logged usage outside the bill's period",
    "no_bill_model": "Logged usage on a model the bill does not have",
    "unexplained": "Not explained: the bill's and the logs' matched usage differ",
}
MONEY_CAUSES = ("credits", "discounts", "adjustments")
# The explained causes in groups, for the one-line "explained by" of a month (executive summary, terminal).
EXPLAINED_GROUPS = {
    "logs_missing": ("logs missing for", ("outside_range", "no_logs_model", "no_logs_region", "no_logs_workspace")),
    "bill_missing": ("logged usage the bill does not have", ("no_bill_days", "no_bill_model")),
    "credits": ("credits", ("credits",)),
    "discounts": ("discounts", ("discounts",)),
    "adjustments": ("adjustments", ("adjustments",)),
    "other_charges": ("charges without tokens", ("other_charges",)),
    "unpriced": ("models finops cannot price", ("unpriced",)),
}
ZERO = Decimal(0)
SHARE_PLACES = Decimal("0.000001")


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                            [name]).fetchone()[0])  # type: ignore[index]


def _in(names: Any) -> str:
    return ", ".join(f"'{n}'" for n in names)  # internal constants only


def _usage_side(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Usage rows that are not bills, the best source per platform and day, grouped for matching."""
    return _rows(con, f"""
        WITH nb AS (
            SELECT *,
                CASE WHEN granularity = 'request' OR source_format = 'claude_code_otel' THEN 'request'
                     ELSE source_format || '|' || grouping END AS k,
                CASE WHEN granularity = 'request' OR source_format = 'claude_code_otel' THEN 1000000
                     ELSE (CASE source_format WHEN 'anthropic_usage_report' THEN 1
                           WHEN 'anthropic_analytics_usage' THEN 1 WHEN 'console_usage_csv' THEN 2
                           WHEN 'claude_code_report' THEN 4 ELSE 3 END) * 10000
                          - (length(grouping) - length(replace(grouping, ',', ''))  -- the most dimensions
                             + CASE WHEN grouping LIKE '%:_%' THEN 1 ELSE 0 END) END AS r
            FROM priced_usage WHERE source_format NOT IN ({_in(TOKEN_BILLS)})
        ),
        chosen AS (SELECT platform, usage_date, arg_min(k, (r, k)) AS ck FROM nb GROUP BY ALL)
        SELECT nb.platform, strftime(nb.usage_date, '%Y-%m') AS month, nb.usage_date AS day, nb.model,
            nb.region, nb.workspace, nb.source_format,
            sum(nb.list_cost) AS list, count(*) AS rows, count(*) FILTER (WHERE NOT nb.priced) AS unpriced_rows
        FROM nb JOIN chosen c ON c.platform = nb.platform AND c.usage_date = nb.usage_date
        -- as in the spend basis (price_usage.sql): Claude Code's report replaces Claude Code's logs only
        WHERE c.ck = nb.k OR c.ck LIKE 'claude_code_report|%' AND nb.k = 'request'
            AND nb.source_format NOT IN ('claude_code', 'claude_code_otel')
        GROUP BY ALL ORDER BY ALL""")


def _bill_side(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Bill lines, token lines (priced by finops) and money-only lines alike, grouped for matching."""
    out = _rows(con, f"""
        SELECT platform, strftime(usage_date, '%Y-%m') AS month, source_format, usage_date AS first_day,
            CAST(coalesce(charge_period_end - INTERVAL 1 MICROSECOND, charge_period_start) AS DATE) AS last_day,
            model, coalesce(model_raw, model) AS model_raw, region, workspace, 'usage' AS kind, 'tokens' AS cost_type,
            priced AS list_known, sum(CASE WHEN priced THEN list_cost END) AS list, sum(source_cost) AS billed,
            count(*) AS rows
        FROM priced_usage WHERE source_format IN ({_in(TOKEN_BILLS)})
        GROUP BY ALL ORDER BY ALL""")
    if _has_table(con, "billing"):
        out += _rows(con, """
            SELECT platform, strftime(charge_period_start, '%Y-%m') AS month, source_format,
                CAST(charge_period_start AS DATE) AS first_day,
                CAST(coalesce(charge_period_end - INTERVAL 1 MICROSECOND, charge_period_start) AS DATE) AS last_day,
                model, model_raw, region, workspace, charge_kind AS kind, coalesce(cost_type, 'tokens') AS cost_type,
                list_cost IS NOT NULL AS list_known, sum(list_cost) AS list, sum(billed_cost) AS billed,
                count(*) AS rows
            FROM billing GROUP BY ALL ORDER BY ALL""")
    return out


def _label(source_formats: set[str]) -> str:
    return ", ".join(SOURCE_LABELS.get(s, s) for s in sorted(source_formats))


def reconcile(con: duckdb.DuckDBPyConnection, tolerance: Decimal = DEFAULT_TOLERANCE) -> dict[str, Any] | None:
    """The reconciliation section's data; None when no bill was read."""
    bills = _bill_side(con)
    if not bills:
        return None
    usage = _usage_side(con)
    logs: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in usage:
        logs[(r["platform"], r["month"])].append(r)
    by_month: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in bills:
        by_month[(r["platform"], r["month"])].append(r)
    pairs, unmatched = [], []
    for key in sorted(by_month):
        chosen = min({r["source_format"] for r in by_month[key]}, key=lambda s: (BILL_RANK.get(s, 9), s))
        bill = [r for r in by_month[key] if r["source_format"] == chosen]
        if key not in logs:
            unmatched.append({"platform": key[0], "month": key[1], "bill_source": _label({chosen}),
                              "billed_usd": sum((Decimal(r["billed"] or 0) for r in bill if r["kind"] != "tax"), ZERO),
                              "why": "a bill with no logs that month"})
            continue
        pairs.append(_pair(key, chosen, bill, logs[key], tolerance))
    return {
        "tolerance": tolerance,
        "pairs": pairs,
        "unmatched": unmatched,
        "realised": _realised(pairs),
        "causes": CAUSES,
    }


def _pair(key: tuple[str, str], source: str, bill: list[dict[str, Any]], logs: list[dict[str, Any]],
          tolerance: Decimal) -> dict[str, Any]:
    platform, month = key
    first: date = min(r["day"] for r in logs)
    last: date = max(r["day"] for r in logs)
    models = {r["model"] for r in logs if r["model"] is not None}
    regions: dict[str, set[str]] = defaultdict(set)
    for r in logs:
        if r["region"] is not None and r["model"] is not None:
            regions[r["model"]].add(r["region"])
    all_regions = {r["region"] for r in logs if r["region"] is not None}
    workspaces = {r["workspace"] for r in logs if r["workspace"] is not None}
    causes: dict[tuple[str, str], dict[str, Any]] = {}
    per_day: dict[date, Decimal] = defaultdict(lambda: ZERO)  # matched bill - matched logs, by day

    def add(cause: str, detail: str, amount: Decimal, rows: int) -> None:
        item = causes.setdefault((cause, detail), {"cause": cause, "detail": detail, "amount_usd": ZERO, "rows": 0})
        item["amount_usd"] += amount
        item["rows"] += rows

    billed = tax = value = list_known = ZERO
    matched_bill = ZERO
    bill_models = set()
    usage_lines = [r for r in bill if r["kind"] == "usage"]
    bill_first = min((r["first_day"] for r in usage_lines), default=None)
    bill_last = max((r["last_day"] for r in usage_lines), default=None)
    for r in bill:
        amount = Decimal(r["billed"] or 0)
        if r["kind"] == "tax":
            tax += amount
            continue
        billed += amount
        if r["kind"] in ("credit", "refund"):
            add("credits", r["kind"], amount, r["rows"])
            continue
        if r["kind"] == "discount":
            add("discounts", "discount lines", amount, r["rows"])
            continue
        if r["kind"] != "usage":
            add("adjustments", r["kind"], amount, r["rows"])
            continue
        if r["list_known"] and r["list"] is not None:
            worth = Decimal(r["list"])
            list_known += worth
            if amount != worth:
                add("discounts", "billed vs list", amount - worth, r["rows"])
        else:
            worth = amount
        value += worth
        if r["model"] is not None:
            bill_models.add(r["model"])
        cost_type = r["cost_type"] or "tokens"
        if cost_type not in ("tokens", "web_search"):
            add("other_charges", cost_type, worth, r["rows"])
        elif r["model"] is None and cost_type == "tokens" and r["model_raw"] is not None:
            add("unpriced", r["model_raw"], worth, r["rows"])
        elif r["source_format"] in TOKEN_BILLS and not r["list_known"]:
            add("unpriced", r["model_raw"] or "(no model given)", worth, r["rows"])
        elif r["last_day"] < first or r["first_day"] > last:
            add("outside_range", "", worth, r["rows"])
        elif absent := _absent(r, models, regions, all_regions, workspaces, platform):
            add(absent[0][0], ", ".join(what for _, what in absent), worth, r["rows"])
        else:
            matched_bill += worth
            per_day[r["first_day"]] += worth
    logs_list = matched_logs = ZERO
    for r in logs:
        worth = Decimal(r["list"] or 0)
        logs_list += worth
        if bill_first is not None and (r["day"] < bill_first or r["day"] > bill_last):
            add("no_bill_days", "", -worth, r["rows"])
        elif bill_models and r["model"] is not None and r["model"] not in bill_models:
            add("no_bill_model", r["model"], -worth, r["rows"])
        else:
            matched_logs += worth
            per_day[r["day"]] -= worth
    add("unexplained", _largest_days(per_day), matched_bill - matched_logs, 0)
    gap = billed - logs_list
    money_part = sum((c["amount_usd"] for c in causes.values() if c["cause"] in MONEY_CAUSES), ZERO)
    usage_gap = gap - money_part
    outside = [c for c in causes.values() if c["cause"] == "outside_range"]
    for c in outside:  # name the days: the bill's days on either side of the logs' range
        c["detail"] = _outside_days(bill_first, bill_last, first, last)
    for c in causes.values():  # billed vs list nets out: a discount, or (rarely) billed above list
        if c["cause"] == "discounts" and c["detail"] == "billed vs list":
            c["detail"] = "billed below list" if c["amount_usd"] < 0 else "billed above list"
    order = list(CAUSES)
    items = sorted((c for c in causes.values() if c["amount_usd"] != 0 or c["cause"] == "unexplained"),
                   key=lambda c: (order.index(c["cause"]), -abs(c["amount_usd"]), c["detail"]))
    for c in items:
        c["label"] = CAUSES[c["cause"]]
        c["what"] = _what(c, platform)
    unexplained = sum((c["amount_usd"] for c in items if c["cause"] == "unexplained"), ZERO)
    passed = abs(unexplained) <= tolerance * abs(value) if value else unexplained == 0
    return {
        "platform": platform, "platform_label": PLATFORM_LABEL.get(platform, platform), "month": month,
        "logs_source": _label({r["source_format"] for r in logs}), "bill_source": _label({source}),
        "logs_first_day": first, "logs_last_day": last, "bill_first_day": bill_first, "bill_last_day": bill_last,
        "logs_rows": sum(r["rows"] for r in logs), "bill_rows": sum(r["rows"] for r in bill),
        "logs_unpriced_rows": sum(r["unpriced_rows"] for r in logs),
        "logs_list_usd": logs_list,
        "bill_list_usd": list_known if any(r["list_known"] for r in usage_lines) else None,
        "bill_list_complete": all(r["list_known"] for r in usage_lines),
        "bill_value_usd": value, "billed_usd": billed, "tax_usd": tax,
        "gap_usd": gap, "gap_share": _share(gap, value),
        "usage_gap_usd": usage_gap, "usage_gap_share": _share(usage_gap, value),
        "unexplained_usd": unexplained, "unexplained_share": _share(unexplained, value),
        "tolerance": tolerance, "result": "pass" if passed else "fail",
        "explained": _explained(items), "causes": items,
    }


def _explained(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The explained causes in groups (EXPLAINED_GROUPS), each with its amount and what it names, largest first."""
    out = []
    for group, (words, causes) in EXPLAINED_GROUPS.items():
        mine = [c for c in items if c["cause"] in causes and c["amount_usd"] != 0]
        if not mine:
            continue
        details = [c["detail"] for c in mine if c["detail"] and c["cause"] not in MONEY_CAUSES]
        out.append({"group": group, "label": words, "detail": "; ".join(details),
                    "amount_usd": sum((c["amount_usd"] for c in mine), ZERO)})
    return sorted(out, key=lambda g: (-abs(g["amount_usd"]), g["group"]))


def _share(part: Decimal, whole: Decimal) -> Decimal | None:
    """part / whole to 6 decimal places (a share, a rate); None when whole is 0."""
    return (part / whole).quantize(SHARE_PLACES) if whole else None


def _absent(r: dict[str, Any], models: set[str], regions: dict[str, set[str]], all_regions: set[str],
            workspaces: set[str], platform: str) -> list[tuple[str, str]]:
    """What of a bill line's model, region and workspace the logs of its month never show: [(cause, text)]."""
    out = []
    if r["model"] is not None and r["model"] not in models:
        out.append(("no_logs_model", f"model {r['model']}"))
    seen = regions.get(r["model"]) if r["model"] in models else all_regions
    if r["region"] is not None and seen and r["region"] not in seen:
        where = "" if r["model"] not in models else f" (for {r['model']})"
        out.append(("no_logs_region", f"region {r['region']}{where}"))
    if workspaces and r["workspace"] is not None and r["workspace"] not in workspaces:
        out.append(("no_logs_workspace", f"{WORKSPACE_LABEL.get(platform, 'workspace')} {r['workspace']}"))
    return out


def _largest_days(per_day: dict[date, Decimal], top: int = 3) -> str:
    """The days where the matched bill and logs differ most, as a hint where to look."""
    days = sorted(((d, v) for d, v in per_day.items() if abs(v) >= Decimal("0.005")), key=lambda x: (-abs(x[1]), x[0]))
    if not days:
        return ""
    return "largest on " + ", ".join(f"{d.isoformat()} ({'+' if v > 0 else '-'}${abs(v):,.2f})"
                                     for d, v in days[:top])


def _outside_days(bill_first: date | None, bill_last: date | None, first: date, last: date) -> str:
    parts = []
    if bill_first is not None and bill_first < first:
        parts.append(_days(bill_first, first - timedelta(days=1)))
    if bill_last is not None and bill_last > last:
        parts.append(_days(last + timedelta(days=1), bill_last))
    return "; ".join(parts) or "days without logs"


def _days(a: date, b: date) -> str:
    return a.isoformat() if a == b else f"{a.isoformat()} to {b.isoformat()}"


def _what(c: dict[str, Any], platform: str) -> str:
    """The cause in one line, with what it names."""
    cause, detail = c["cause"], c["detail"]
    if cause in ("no_logs_model", "no_logs_region", "no_logs_workspace"):
        return f"{detail}: billed, never in the logs"
    if cause == "unexplained":
        return "matched days, models and workspaces" + (f"; {detail}" if detail else "")
    if cause == "no_bill_model":
        return f"model {detail}: logged, not on the bill"
    if cause == "unpriced":
        return f"model {detail!r}: no price in finops"
    if cause == "outside_range":
        return f"bill days with no logs: {detail}"
    if cause == "other_charges":
        return f"{detail} charges"
    if cause in ("credits", "discounts", "adjustments"):
        return detail
    return CAUSES[cause]


def _realised(pairs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per platform: billed / list over the months reconciled (the negotiation evidence's realised discount).

    List is the bill's own tokens at list where the bill states or lets finops compute it for every line, else
    (Anthropic's cost report) the logs' usage at list for that month."""
    out = []
    for platform in sorted({p["platform"] for p in pairs}):
        mine = [p for p in pairs if p["platform"] == platform]
        listed = billed = ZERO
        from_logs = []
        for p in mine:
            if p["bill_list_complete"] and p["bill_list_usd"] is not None:
                listed += p["bill_list_usd"]
            else:
                listed += p["logs_list_usd"]
                from_logs.append(p["month"])
            billed += p["billed_usd"]
        basis = "the bill's own tokens at list" if not from_logs else (
            "the logs at list (the bill states no list price)" if len(from_logs) == len(mine) else
            f"the bill's own tokens at list; the logs at list for {', '.join(from_logs)} (no list price stated)")
        rate = _share(billed, listed)
        out.append({"platform": platform, "platform_label": PLATFORM_LABEL.get(platform, platform),
                    "months": [p["month"] for p in mine], "list_usd": listed, "billed_usd": billed,
                    "realised_rate": rate, "discount": (1 - rate) if rate is not None else None, "basis": basis})
    return out


def build(con: duckdb.DuckDBPyConnection, report: Report) -> dict[str, Any] | None:
    """Report.sections['reconciliation']: the tolerance comes from the run's options (--tolerance)."""
    tolerance = report.options.get("tolerance", DEFAULT_TOLERANCE)
    return reconcile(con, Decimal(str(tolerance)))
