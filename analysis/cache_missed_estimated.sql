/* ---
id = "cache_missed_estimated"
title = "Bursts of large uncached requests from one key (no request body logged)"
confidence = "estimated"
stage = "cache"
evidence_by = ["platform", "workspace", "api_key_id", "project", "model"]
evidence_sum = ["prefix_tokens", "replay_write_tokens", "replay_read_tokens", "prefix_cost_uncached", "prefix_cost_cached"]
params = { min_savings_usd = 0.01, min_requests_per_window = 3, assumed_prefix_share = 0.5, default_min_cacheable_tokens = 1024 }  # savings per key group
recommendation = "These keys send bursts of large requests with no prompt caching, and the logs carry no request body to show what repeats. Check whether their prompts start with a shared part (tools, system prompt, fixed instructions or documents); if they do, put a cache_control breakpoint at the end of that part (or send one top-level cache_control for automatic caching) and move anything that changes per request (dates, ids, user input) after it. The figure rests on the assumption that assumed_prefix_share of each request's input is such a shared prefix under the default 5-minute TTL; log request bodies (or their prefix fingerprints) to have it measured by cache_missed instead."
method = """Assumption: a share of each request's input tokens (assumed_prefix_share, default 0.5) is a prefix shared by every request of the same key, model and project and could be cached; the logs cannot confirm it because they carry no request body. Rows: request-level rows with no request body (no prefix fingerprint) and no cache activity (0 cache reads, 0 cache writes). Assumed prefix tokens of a row = floor(input tokens x assumed_prefix_share); a row counts only if its assumed prefix reaches the model's minimum cacheable length (the models table; default_min_cacheable_tokens where the table has none), since a shorter prefix cannot be cached. Rows with the same platform, workspace, API key, project and model form a group; a group counts only if, for some row, at least min_requests_per_window of the group's rows start between that row's time and 5 minutes later, both ends included (peak_requests_5m is the most found). Every row of a counted group is then replayed in time order under a 5-minute cache refreshed on every hit: the first row, and every row more than 5 minutes after the group's previous row, writes its assumed prefix at the row's 5-minute cache-write rate (replay_write_tokens); every other row reads it at the cache-read rate (replay_read_tokens); the rest of the input is unchanged. prefix_cost_uncached = prefix tokens x input rate x the row's multiplier (batch, US-only, regional) / 1e6; prefix_cost_cached = prefix tokens x (write or read rate) x multiplier / 1e6. Savings of a group = sum of prefix_cost_uncached - sum of prefix_cost_cached; groups saving no more than min_savings_usd are dropped. The group's saving is spread over its rows in proportion to their prefix tokens (row savings = group savings x row prefix tokens / group prefix tokens), so no row shows a negative saving and each evidence row (one group) satisfies savings = prefix_cost_uncached - prefix_cost_cached."""
--- */
WITH candidates AS (
    SELECT u.*,
        CAST(floor(u.input_tokens * CAST($assumed_prefix_share AS DECIMAL(7, 6))) AS BIGINT) AS prefix_tokens,
        coalesce(m.min_cacheable_tokens, $default_min_cacheable_tokens) AS min_cacheable_tokens
    FROM priced_usage u
    LEFT JOIN models m ON m.model = u.model
    WHERE u.in_findings AND u.priced AND u.granularity = 'request'
        AND u.prefix_fingerprint IS NULL
        AND coalesce(u.input_tokens, 0) > 0
        AND coalesce(u.cache_read_tokens, 0) = 0
        AND coalesce(u.cache_write_5m_tokens, 0) + coalesce(u.cache_write_1h_tokens, 0) = 0
),
windowed AS (
    SELECT *,
        count(*) OVER (PARTITION BY platform, workspace, api_key_id, project, model ORDER BY charge_period_start
                       RANGE BETWEEN CURRENT ROW AND INTERVAL 5 MINUTE FOLLOWING) AS requests_in_5m
    FROM candidates
    WHERE input_tokens >= min_cacheable_tokens AND prefix_tokens >= min_cacheable_tokens
),
sequenced AS (
    SELECT *,
        count(*) OVER grp AS group_requests,
        max(requests_in_5m) OVER grp AS peak_requests_5m,
        charge_period_start - lag(charge_period_start) OVER (PARTITION BY platform, workspace, api_key_id, project, model
                                                    ORDER BY charge_period_start, record_id) AS gap
    FROM windowed
    WINDOW grp AS (PARTITION BY platform, workspace, api_key_id, project, model)
),
replayed AS (
    SELECT *,
        (gap IS NULL OR gap > INTERVAL 5 MINUTE) AS replay_write,
        CAST(prefix_tokens * rate_input * multiplier * 0.000001 AS DECIMAL(38, 12)) AS prefix_cost_uncached,
        CAST(prefix_tokens
             * (CASE WHEN gap IS NULL OR gap > INTERVAL 5 MINUTE THEN rate_cache_write_5m ELSE rate_cache_read END)
             * multiplier * 0.000001 AS DECIMAL(38, 12)) AS prefix_cost_cached
    FROM sequenced
    WHERE peak_requests_5m >= $min_requests_per_window
),
grouped AS (
    SELECT *,
        sum(prefix_cost_uncached - prefix_cost_cached) OVER grp AS group_savings,
        sum(prefix_tokens) OVER grp AS group_prefix_tokens
    FROM replayed
    WINDOW grp AS (PARTITION BY platform, workspace, api_key_id, project, model)
)
SELECT record_id, platform, workspace, api_key_id, project, model,
    coalesce(requests, 0) AS requests, cost, charge_period_start, input_tokens,
    CAST($assumed_prefix_share AS DECIMAL(7, 6)) AS assumed_prefix_share,
    prefix_tokens, min_cacheable_tokens, group_requests, peak_requests_5m,
    CASE WHEN replay_write THEN prefix_tokens ELSE 0 END AS replay_write_tokens,
    CASE WHEN replay_write THEN 0 ELSE prefix_tokens END AS replay_read_tokens,
    prefix_cost_uncached, prefix_cost_cached, group_savings,
    prorate(group_savings, prefix_tokens, group_prefix_tokens) AS savings
FROM grouped
WHERE group_savings > $min_savings_usd
ORDER BY record_id
