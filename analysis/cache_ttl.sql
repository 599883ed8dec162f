/* ---
id = "cache_ttl"
title = "Prompt-cache TTL that does not fit the traffic"
confidence = "measured"
stage = "cache"
evidence_by = ["platform", "workspace", "api_key_id", "project", "model", "current_ttl", "recommended_ttl"]
evidence_sum = ["cache_groups", "cached_tokens", "actual_cache_cost", "baseline_cost", "recommended_cost"]
params = { min_savings_usd = 0.0 }  # per cache group
recommendation = "Set the cache_control TTL named in recommended_ttl on these prompts: \"ttl\": \"1h\" where the same prompt comes back every 5 to 60 minutes (5-minute entries expire between requests and are written again at 1.25x), the default 5-minute TTL where requests never pause for 5 minutes (every hit refreshes a 5-minute entry, so the 1-hour write at 2x buys nothing)."
method = """Request-level rows are put in cache groups: platform, model and the first of the fingerprint of tools + system prompt (stable across a conversation's turns), the session id, or API key + project. The rows of a group that touch the cache are replayed in time order; a row's cached prefix P = its 5-minute writes + 1-hour writes + cache reads. Under a TTL T (5 or 60 minutes) a row finds the cache alive when it comes at most T after the group's previous cached row (each request refreshes the entry); it then reads min(P, previous row's P) tokens (read_5m_tokens, read_1h_tokens) at the cache-read rate and writes the rest at T's write rate (5m: 1.25x input, 1h: 2x); otherwise it writes all of P. cost_5m and cost_1h are those replays, and actual_cache_cost is what the row paid for its cache writes and reads, all times the row's multiplier (batch, US-only, regional) / 1e6. A group's current TTL is 1h when it wrote more 1-hour than 5-minute tokens, else 5m; the recommended TTL is the other one, and recommended_cost is each row's replay under it. The group's baseline is the lower of what it paid (sum of actual_cache_cost) and its replay at the current TTL (which keeps cache breaks that no TTL explains, and entries written before the logs start, out of the figure); baseline_cost is each row's part of the one chosen. Group savings = sum of baseline_cost - sum of recommended_cost; groups saving more than min_savings_usd are reported (cache_groups counts them), the saving spread over their rows in proportion to P, so for an evidence row holding whole groups savings = baseline_cost - recommended_cost. Left out: writes with no request of the group in the next 60 minutes (cache_write_unread's rows, so the two findings never share a row; they are still replayed) and groups with a write whose TTL the source did not report."""
--- */
WITH sequenced AS (SELECT * FROM cache_sequenced()),  -- analysis/_shared.sql
cached AS (
    SELECT *,
        coalesce(cache_write_5m_tokens, 0) + coalesce(cache_write_1h_tokens, 0) + coalesce(cache_read_tokens, 0)
            AS cached_tokens,
        (coalesce(cache_write_5m_tokens, 0) + coalesce(cache_write_1h_tokens, 0) > 0
         AND (next_request_at IS NULL OR next_request_at - charge_period_start > INTERVAL 60 MINUTE)) AS unread_write
    FROM sequenced
    WHERE coalesce(cache_write_5m_tokens, 0) + coalesce(cache_write_1h_tokens, 0) + coalesce(cache_read_tokens, 0) > 0
),
replayed AS (
    -- One window pass (one sort) for the replay, the group's TTL facts and which row comes first.
    SELECT *,
        charge_period_start - lag(charge_period_start) OVER ordered AS gap,
        date_diff('microsecond', lag(charge_period_start) OVER ordered, charge_period_start) AS gap_us,
        lag(cached_tokens) OVER ordered AS previous_cached_tokens,
        bool_or(coalesce(cache_ttl_assumed, false)
                AND coalesce(cache_write_5m_tokens, 0) + coalesce(cache_write_1h_tokens, 0) > 0) OVER grp
            AS ttl_unknown,
        CASE WHEN sum(coalesce(cache_write_1h_tokens, 0)) OVER grp > sum(coalesce(cache_write_5m_tokens, 0)) OVER grp
             THEN '1h' ELSE '5m' END AS current_ttl,
        -- the first row of the group that is compared: no compared row before it (ttl_unknown holds for the
        -- whole group, so the row-level conditions decide)
        count(CASE WHEN in_findings AND priced AND NOT unread_write THEN 1 END) OVER (
            PARTITION BY platform, model, cache_group ORDER BY charge_period_start, record_id
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) = 0 AS first_in_group
    FROM cached
    WINDOW grp AS (PARTITION BY platform, model, cache_group),
        ordered AS (PARTITION BY platform, model, cache_group ORDER BY charge_period_start, record_id)
),
costed AS (
    SELECT *,
        CASE WHEN gap <= INTERVAL 5 MINUTE THEN least(previous_cached_tokens, cached_tokens) ELSE 0 END
            AS read_5m_tokens,
        CASE WHEN gap <= INTERVAL 60 MINUTE THEN least(previous_cached_tokens, cached_tokens) ELSE 0 END
            AS read_1h_tokens
    FROM replayed
),
compared AS (
    SELECT *,
        coalesce(cache_write_cost, 0) + coalesce(cache_read_cost, 0) AS actual_cache_cost,
        CAST(((cached_tokens - read_5m_tokens) * rate_cache_write_5m + read_5m_tokens * rate_cache_read)
             * multiplier * 0.000001 AS DECIMAL(38, 12)) AS cost_5m,
        CAST(((cached_tokens - read_1h_tokens) * rate_cache_write_1h + read_1h_tokens * rate_cache_read)
             * multiplier * 0.000001 AS DECIMAL(38, 12)) AS cost_1h
    FROM costed
    WHERE in_findings AND priced AND NOT unread_write AND NOT ttl_unknown
),
grouped AS (
    SELECT *,
        CASE WHEN current_ttl = '1h' THEN '5m' ELSE '1h' END AS recommended_ttl,
        CASE WHEN current_ttl = '1h' THEN cost_1h ELSE cost_5m END AS current_cost,
        CASE WHEN current_ttl = '1h' THEN cost_5m ELSE cost_1h END AS recommended_cost
    FROM compared
),
group_totals AS (
    -- A group's sums by aggregation, joined back (cheaper than a second window pass over the rows). Compared rows
    -- are priced, so their model is never NULL and the join on it finds every group.
    SELECT platform, model, cache_group,
        sum(actual_cache_cost) AS group_actual_cost,
        sum(current_cost) AS group_current_cost,
        sum(recommended_cost) AS group_recommended_cost,
        sum(cached_tokens) AS group_cached_tokens
    FROM grouped
    GROUP BY platform, model, cache_group
),
decided AS (
    -- The baseline is chosen per group, so the group's saving is its chosen sum less its recommended sum.
    SELECT g.*, t.group_cached_tokens,
        CASE WHEN t.group_actual_cost <= t.group_current_cost THEN g.actual_cache_cost ELSE g.current_cost END
            AS baseline_cost,
        least(t.group_actual_cost, t.group_current_cost) - t.group_recommended_cost AS group_savings
    FROM grouped g
    JOIN group_totals t ON t.platform = g.platform AND t.model = g.model AND t.cache_group = g.cache_group
)
SELECT record_id, platform, workspace, api_key_id, project, model, cache_group,
    current_ttl, recommended_ttl,
    coalesce(requests, 0) AS requests, cost, charge_period_start,
    CAST(gap_us / 60000000 AS DECIMAL(18, 2)) AS gap_minutes,
    cached_tokens, read_5m_tokens, read_1h_tokens,
    CASE WHEN first_in_group THEN 1 ELSE 0 END AS cache_groups,
    actual_cache_cost, cost_5m, cost_1h, baseline_cost, recommended_cost, group_savings,
    prorate(group_savings, cached_tokens, group_cached_tokens) AS savings
FROM decided
WHERE group_savings > $min_savings_usd
ORDER BY record_id
