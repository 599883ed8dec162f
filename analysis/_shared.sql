-- Definitions that several analyses share (not an analysis: files starting with "_" are not loaded as one).
-- Run once after pricing, by analysis.prepare(), so each analysis file still reads as one query.

-- amount x part / whole to 12 decimal places (half up), in integers: DuckDB divides decimals in DOUBLE, and money
-- is never divided that way. cache_missed, cache_missed_estimated and cache_ttl spread a group's
-- saving over its rows with it.
CREATE OR REPLACE MACRO prorate(amount, part, whole) AS
    CAST((CAST(amount * 1000000000000 AS HUGEINT) * part * 2 + whole) // (CAST(whole AS HUGEINT) * 2)
         AS DECIMAL(38, 0)) * 0.000000000001;

-- Request-level rows with their cache group and when the group's next request came. A cache group is the
-- platform, the model and the first of: the fingerprint of tools + system prompt (stable across a conversation's
-- turns), the session id, else API key + project. cache_write_unread and cache_ttl judge writes by it.
CREATE OR REPLACE MACRO cache_sequenced() AS TABLE
SELECT *,
    lead(charge_period_start) OVER (PARTITION BY platform, model, cache_group
                                    ORDER BY charge_period_start, record_id) AS next_request_at
FROM (
    SELECT *,
        CASE WHEN system_fingerprint IS NOT NULL THEN 'system:' || system_fingerprint
             WHEN session_id IS NOT NULL THEN 'session:' || session_id
             ELSE 'key:' || coalesce(api_key_id, '') || '/' || coalesce(project, '') END AS cache_group
    FROM priced_usage
    WHERE granularity = 'request'
);
