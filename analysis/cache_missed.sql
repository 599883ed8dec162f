/* ---
id = "cache_missed"
title = "Repeated prompt prefixes sent without prompt caching"
confidence = "measured"
stage = "cache"
evidence_by = ["platform", "workspace", "api_key_id", "project", "model"]
evidence_sum = ["prefix_groups", "prefix_tokens", "replay_write_tokens", "replay_read_tokens", "prefix_cost_uncached", "prefix_cost_cached"]
params = { min_savings_usd = 0.01, min_group_requests = 2, default_min_cacheable_tokens = 1024 }  # savings per prefix group
recommendation = "Put a cache_control breakpoint at the end of the repeated part of these prompts (tools, system prompt and the leading messages shared by the rows of each prefix), or send one top-level cache_control to turn on automatic caching; keep anything that changes per request (dates, ids, user input) after the breakpoint. The default 5-minute TTL is the one this saving assumes."
method = """Request-level rows with a request body (a prefix fingerprint) that had no cache activity at all (0 cache reads, 0 cache writes). Prefix tokens of a row = floor(input tokens x prefix characters / prompt characters), where the prefix is tools + system + every message but the last. A row counts only if its prefix tokens reach the model's minimum cacheable length (the models table; default_min_cacheable_tokens where the table has none). Rows with the same platform, model and prefix fingerprint form a prefix group (prefix_groups counts them); groups of fewer than min_group_requests rows are dropped. Each group is replayed in time order under a 5-minute cache refreshed on every hit: the first row, and every row more than 5 minutes after the group's previous row, writes its prefix at the row's 5-minute cache-write rate (replay_write_tokens); every other row reads it at the cache-read rate (replay_read_tokens); the rest of the input is unchanged. prefix_cost_uncached = prefix tokens x input rate x the row's multiplier (batch, US-only, regional) / 1e6, which is what the prefix cost as sent; prefix_cost_cached = prefix tokens x (write or read rate) x multiplier / 1e6. Savings of a group = sum of prefix_cost_uncached - sum of prefix_cost_cached; groups saving no more than min_savings_usd are dropped. Because a write costs more than the uncached prefix, the group's net saving is spread over its rows in proportion to their prefix tokens (row savings = group savings x row prefix tokens / group prefix tokens), so no row shows a negative saving; an evidence row that holds whole prefix groups (a group rarely spans API keys) therefore satisfies savings = prefix_cost_uncached - prefix_cost_cached."""
--- */
WITH candidates AS (
    SELECT u.*,
        (u.input_tokens * u.prefix_chars) // u.prompt_chars AS prefix_tokens,
        coalesce(m.min_cacheable_tokens, $default_min_cacheable_tokens) AS min_cacheable_tokens
    FROM priced_usage u
    LEFT JOIN models m ON m.model = u.model
    WHERE u.in_findings AND u.priced AND u.granularity = 'request'
        AND u.prefix_fingerprint IS NOT NULL AND u.prompt_chars > 0 AND u.prefix_chars > 0
        AND coalesce(u.input_tokens, 0) > 0
        AND coalesce(u.cache_read_tokens, 0) = 0
        AND coalesce(u.cache_write_5m_tokens, 0) + coalesce(u.cache_write_1h_tokens, 0) = 0
),
sequenced AS (
    SELECT *,
        count(*) OVER grp AS group_requests,
        charge_period_start - lag(charge_period_start) OVER (PARTITION BY platform, model, prefix_fingerprint
                                                    ORDER BY charge_period_start, record_id) AS gap
    FROM candidates
    WHERE prefix_tokens >= min_cacheable_tokens
    WINDOW grp AS (PARTITION BY platform, model, prefix_fingerprint)
),
replayed AS (
    SELECT *,
        (gap IS NULL OR gap > INTERVAL 5 MINUTE) AS replay_write,
        CAST(prefix_tokens * rate_input * multiplier * 0.000001 AS DECIMAL(38, 12)) AS prefix_cost_uncached,
        CAST(prefix_tokens
             * (CASE WHEN gap IS NULL OR gap > INTERVAL 5 MINUTE THEN rate_cache_write_5m ELSE rate_cache_read END)
             * multiplier * 0.000001 AS DECIMAL(38, 12)) AS prefix_cost_cached
    FROM sequenced
    WHERE group_requests >= $min_group_requests
),
grouped AS (
    SELECT *,
        sum(prefix_cost_uncached - prefix_cost_cached) OVER grp AS group_savings,
        sum(prefix_tokens) OVER grp AS group_prefix_tokens,
        gap IS NULL AS first_in_group
    FROM replayed
    WINDOW grp AS (PARTITION BY platform, model, prefix_fingerprint)
)
SELECT record_id, platform, workspace, api_key_id, project, model, left(prefix_fingerprint, 12) AS prefix,
    coalesce(requests, 0) AS requests, cost, charge_period_start,
    CASE WHEN first_in_group THEN 1 ELSE 0 END AS prefix_groups,
    prefix_tokens, min_cacheable_tokens, group_requests,
    CASE WHEN replay_write THEN prefix_tokens ELSE 0 END AS replay_write_tokens,
    CASE WHEN replay_write THEN 0 ELSE prefix_tokens END AS replay_read_tokens,
    prefix_cost_uncached, prefix_cost_cached, group_savings,
    prorate(group_savings, prefix_tokens, group_prefix_tokens) AS savings
FROM grouped
WHERE group_savings > $min_savings_usd
ORDER BY record_id
