"""The Google Cloud billing export's Claude usage rows read in bulk (CSV), as ingest/bulk_cur.py reads the CUR's.

The regular candidate lines of each block come as polars columns (cloud_common.Table), only the columns
gcp_billing._records reads, under either spelling (`service.description`, `service_description`); each line
becomes the usage row _records makes of it, by the same helpers, with what a row repeats (service, SKU, currency,
project, location, labels, cost type, units) worked out once per distinct set. The tokens are gcp_billing._tokens'
own, on the row's four usage values.

A row is handed back to the reference reader (FALLBACK) whenever it is not a plain usage row: anything rejected, a
cost type other than regular, an SKU without a token class, or credits (other than none: `[]` or empty), which
make bill lines of their own.

The plain usage rows of a batch whose unit is a count are read as columns (gcp_rows, with bulk_columns.py's
machinery), the others by GcpBulk._line.
"""

from __future__ import annotations

import json
from typing import Any

from . import gcp_billing
from .bedrock_cur import Done
from .bulk_cur import _NO_END, FALLBACK, IGNORED, CurBulk, _stamp
from .cloud_common import MAX_BUCKET_TOKENS, TOKEN_CLASSES, TOKEN_COLUMN, bill_model, quantity, whole_tokens
from .common import RowError, id_of_joined, id_parts, money, text


def _both(dotted: str) -> tuple[str, str]:
    return dotted, dotted.replace(".", "_")  # gcp_billing._get: either spelling, the dotted one first


SLOTS = {
    "service": _both("service.description"),
    "sku": _both("sku.description"),
    "currency": ("currency",),
    "region": _both("location.region"),
    "location": _both("location.location"),
    "project_id": _both("project.id"),
    "project_name": _both("project.name"),
    "cost_type": ("cost_type",),
    "account": ("billing_account_id",),
    "sku_id": _both("sku.id"),
    "labels": ("labels",),
    "credits": ("credits",),
    "unit": _both("usage.unit"),
    "pricing_unit": _both("usage.pricing_unit"),
    "start": ("usage_start_time",),
    "end": ("usage_end_time",),
    "resource": _both("resource.name"),
    "cost": ("cost",),
    "amount": _both("usage.amount"),
    "pricing_amount": _both("usage.amount_in_pricing_units"),
}
_STATIC = 14  # the first 14 slots are the repeated values


class GcpBulk(CurBulk):
    """Bulk reading of a Google Cloud billing export's CSV lines under one header."""

    SLOTS = SLOTS
    TAG_COLUMNS = False
    JSON_COLUMNS = ()  # labels and credits are JSON text, parsed once per distinct value here

    def _columnar(self, picked: Any) -> Any:
        return gcp_rows(self, picked)

    def _line(self, *values: Any) -> Any:  # the slots' values in SLOTS' order (then CurBulk's empty tags)
        static = self.static_of(values[:_STATIC], _static)
        if static is IGNORED or static is FALLBACK:
            return static
        start, end, resource, cost, amount, pricing_amount = values[_STATIC:_STATIC + 6]
        row_template, head, tail, token_column, units, count_how = static
        try:
            start, start_text, _ = _stamp(start, "usage_start_time")
            end, end_text, _ = _stamp(end, "usage_end_time") if end not in (None, "") else _NO_END
            if end is not None and end <= start:
                return FALLBACK  # rejected
            cost = money(cost, "cost")
            if cost is None:
                return FALLBACK  # rejected: missing cost
            # gcp_billing._tokens' first case, its unit a count (told by the repeated values): the amount as tokens
            counted = quantity(amount, "usage.amount") if count_how is not None else None
            if counted is not None:
                tokens, how = whole_tokens(counted, "usage.amount"), count_how
            else:
                hows: dict[str, int] = {}
                tokens = gcp_billing._tokens({"usage.amount": amount, "usage.unit": units[0],
                                              "usage.amount_in_pricing_units": pricing_amount,
                                              "usage.pricing_unit": units[1]}, hows)
                how = next(iter(hows))
        except RowError:
            return FALLBACK
        row = row_template.copy()
        # stable_id(*head, start, end, *tail[0], resource, *tail[1], str(cost)), joined here, what a row repeats
        # (head, tail) joined once
        name = "" if resource is None else resource
        row["record_id"] = id_of_joined(
            f"{head}\x1f{start_text}\x1f{end_text}\x1f{tail[0]}\x1f{name}\x1f{tail[1]}\x1f{cost}")
        row["charge_period_start"] = start
        row["charge_period_end"] = end
        row["source_cost"] = cost
        row[token_column] = tokens
        return Done(row, how)  # the note: how the tokens were read


def _static(service: Any, sku: Any, currency: Any, region: Any, location: Any, project_id: Any, project_name: Any,
            cost_type: Any, account: Any, sku_id: Any, labels: Any, credits: Any, unit: Any,
            pricing_unit: Any) -> Any:
    """gcp_billing._records for the values a row repeats: IGNORED, FALLBACK, or what the row's own values are read
    with (the row's values from these, the record id's parts, the token column, the units)."""
    service_text = service.strip().lower() if isinstance(service, str) else ""
    sku_text = sku.strip().lower() if isinstance(sku, str) else ""
    if service_text.startswith("ai dev tools") or not (
            service_text.startswith("claude") or sku_text.startswith("claude")):
        return IGNORED
    if currency is not None and str(currency).strip().upper() != "USD":
        return FALLBACK  # rejected
    if credits not in (None, "[]"):
        return FALLBACK  # credits: bill lines of their own (or a value the reference reader reads as none)
    model_text, token_class, sku_region, window = gcp_billing.parse_sku(sku if isinstance(sku, str) else "")
    kind = gcp_billing.KINDS.get(str(cost_type or "regular").strip().lower(), "adjustment")
    if kind != "usage" or token_class is None:
        return FALLBACK  # a bill line
    model = bill_model(model_text) or bill_model(service)
    where = text(sku_region) or text(region) or text(location)
    project = text(project_id) or text(project_name)
    found = gcp_billing._labels(labels)
    tags = text(json.dumps(found, sort_keys=True)) or None
    row = {
        "platform": "vertex", "charge_period_start": None, "charge_period_end": None,
        "model_raw": text(model_text or service), "model": model, "workspace": project, "region": where,
        "record_id": None, "granularity": "bucket", "grouping": gcp_billing.GROUPING,
        "tags": None if tags == "{}" else tags, "requests": None, **{TOKEN_COLUMN[c]: 0 for c in TOKEN_CLASSES},
        "cache_ttl_assumed": False, "web_search_requests": 0,
        "service_tier": "batch" if "batch" in str(sku).lower() else "standard", "speed": "standard",
        "endpoint_scope": None if where is None else "global" if where.lower() == "global" else "regional",
        "context_window": window or "0-200k", "source_cost": None,
    }
    # stable_id(FORMAT, account, service, sku, sku id, start, end, project, region, resource, labels, kind, cost)
    head = id_parts(gcp_billing.FORMAT, account, service, sku, sku_id)
    tail = (id_parts(project, where), id_parts(json.dumps(found, sort_keys=True, default=str), kind))
    counted = isinstance(unit, str) and unit.strip().lower() in gcp_billing._COUNT_UNITS
    count_how = f"from usage.amount ({unit.strip()[:20]})" if counted else None
    return row, head, tail, TOKEN_COLUMN[token_class], (unit, pricing_unit), count_how


def gcp_rows(bulk: GcpBulk, picked: Any) -> Any:
    """The usage rows (as bulk_columns.cur_rows gives them) of the plain usage rows of `picked` (GcpBulk.lines' slot
    columns) whose unit is a count: what _line makes of each, column by column; None when there is none."""
    import polars as pl

    from . import bulk_columns as bc

    if picked.height == 0:
        return None
    keys = list(SLOTS)[:_STATIC]
    frame = picked.with_row_index("_pos")
    groups, found = bc.groups_of(bulk, frame, keys, _static)
    # what _static gave, for the groups whose unit is a count (_tokens' first case); else None
    found = [f if isinstance(f, tuple) and f[5] is not None else None for f in found]
    if not any(found):
        return None
    rows = [None if f is None else f[0] for f in found]

    def per_group(name: str, value: Any) -> Any:  # value(what _static gave) for each group
        return pl.Series(name, [None if f is None else value(*f) for f in found], dtype=pl.String)

    group_frame = groups.with_columns(
        *bc.group_columns(rows, [f and f[3] for f in found]),
        per_group("_note", lambda row, head, tail, column, units, how: how),
        per_group("_head", lambda row, head, tail, column, units, how: head),
        per_group("_tail0", lambda row, head, tail, column, units, how: tail[0]),
        per_group("_tail1", lambda row, head, tail, column, units, how: tail[1]))
    after = pl.col("_end").is_null() | (pl.col("_end") > pl.col("_start"))  # else rejected
    lazy = frame.lazy().join(group_frame.lazy(), on=keys, how="left", nulls_equal=True).filter(
        pl.col("_static") & bc.plain("amount", bc.AMOUNT, empty=False) & bc.plain("cost", bc.COST, empty=False)
    ).with_columns(*bc.stamps(frame, "start", "end", "usage_start_time")).filter(bc.stamped() & after).with_columns(
        bc.tokens("amount", pl.lit(0)), bc.micros()).filter(pl.col("_tokens") <= MAX_BUCKET_TOKENS)
    # stable_id(*head, start, end, *tail[0], resource, *tail[1], str(cost)), as _line joins it
    joined = pl.concat_str("_head", pl.lit("\x1f"), "_start_text", pl.lit("\x1f"), pl.col("_end_text").fill_null(""),
                           pl.lit("\x1f"), "_tail0", pl.lit("\x1f"), pl.col("resource").fill_null(""),
                           pl.lit("\x1f"), "_tail1", pl.lit("\x1f"), bc.cost_text())
    return bc.usage_rows(lazy.with_columns(joined.alias("_joined")), next(r for r in rows if r is not None))
