"""The Admin API endpoints `finops pull anthropic` fetches, and the documented parameters of each.

References: formats.md 2.1-2.3 (usage report, cost report, Claude Code report) and formats-2026.md 2-3 (the
Usage and Cost Analytics beta); the workspace and API key lists page with `after_id`/`last_id`, up to 1,000 items.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

# Every dimension the Messages usage report accepts in group_by[]; `speed` needs the fast-mode beta header.
MESSAGES_GROUP_BY = ("account_id", "api_key_id", "context_window", "inference_geo", "model",
                     "service_account_id", "service_tier", "speed", "workspace_id")
# Analytics: the dimensions that split spend without counting it twice. Left out on purpose: rbac_group_id (a
# user in several groups counts fully in each), the per-person and per-session ids (rows without end), and
# claude_tag_user_id (not allowed with rbac grouping).
ANALYTICS_GROUP_BY = ("api_key_id", "context_window", "inference_geo", "model", "product", "service_tier", "speed",
                      "workspace_id")
ANALYTICS_BETA = "analytics-usage-cost-2026-08-24"
FAST_MODE_BETA = "fast-mode-2026-02-01"
WIDTHS = ("1d", "1h")


@dataclass(frozen=True)
class Endpoint:
    """One endpoint: `range` reports take starting_at/ending_at, `day` reports one UTC day, `list`s no dates.

    required: a 4xx here fails the pull; an optional endpoint (the analytics beta, Claude Code) the organisation
    does not have is reported and skipped.
    """

    name: str  # the folder its pages go to
    path: str
    kind: str  # "range", "day" or "list"
    required: bool
    beta: str | None = None
    width_param: str | None = None  # the bucket width parameter's name; None: the endpoint has no widths
    daily_only: bool = False  # only 1d buckets exist (the cost report)
    group_by: tuple[str, ...] = ()
    limits: tuple[tuple[str, int], ...] = ()  # (width, page size): the documented maximum
    extra: tuple[tuple[str, str], ...] = ()

    def width(self, asked: str) -> str | None:
        """The bucket width this endpoint is queried with (the cost report has only 1d)."""
        if self.width_param is None:
            return None
        return "1d" if self.daily_only else asked

    def params(self, start: datetime | date | None, end: datetime | None, width: str | None,
               cursor: str | None) -> list[tuple[str, str]]:
        """Query parameters for one page: the range (or day), width, group_by[], limit, and the cursor."""
        out: list[tuple[str, str]] = []
        if self.kind == "range":
            assert isinstance(start, datetime) and end is not None
            out += [("starting_at", rfc3339(start)), ("ending_at", rfc3339(end))]
        elif self.kind == "day":
            assert isinstance(start, date)
            out.append(("starting_at", start.isoformat()))
        if self.width_param and width:
            out.append((self.width_param, width))
        out += [("group_by[]", g) for g in self.group_by]
        limit = dict(self.limits).get(width or "", dict(self.limits).get("", 0))
        if limit:
            out.append(("limit", str(limit)))
        out += list(self.extra)
        if cursor:
            out.append(("after_id" if self.kind == "list" else "page", cursor))
        return out

    def next_cursor(self, page: dict[str, Any]) -> str | None:
        """The cursor of the next page, or None at the last page."""
        if page.get("has_more") is not True:
            return None
        cursor = page.get("last_id") if self.kind == "list" else page.get("next_page")
        return cursor if isinstance(cursor, str) and cursor else None


def rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


ANTHROPIC = (
    Endpoint("usage_report_messages", "/v1/organizations/usage_report/messages", "range", required=True,
             beta=FAST_MODE_BETA, width_param="bucket_width", group_by=MESSAGES_GROUP_BY,
             limits=(("1d", 31), ("1h", 168))),
    Endpoint("cost_report", "/v1/organizations/cost_report", "range", required=True, width_param="bucket_width",
             daily_only=True, group_by=("description", "workspace_id"), limits=(("1d", 31),)),
    Endpoint("analytics_usage", "/v1/organizations/analytics/usage", "range", required=False, beta=ANALYTICS_BETA,
             width_param="time_bucket_width", group_by=ANALYTICS_GROUP_BY),
    Endpoint("analytics_cost", "/v1/organizations/analytics/cost", "range", required=False, beta=ANALYTICS_BETA,
             width_param="time_bucket_width", group_by=(*ANALYTICS_GROUP_BY, "cost_type", "token_type")),
    Endpoint("usage_report_claude_code", "/v1/organizations/usage_report/claude_code", "day", required=False,
             limits=(("", 1000),)),
    Endpoint("workspaces", "/v1/organizations/workspaces", "list", required=True, limits=(("", 1000),),
             extra=(("include_archived", "true"),)),
    Endpoint("api_keys", "/v1/organizations/api_keys", "list", required=True, limits=(("", 1000),)),
)
