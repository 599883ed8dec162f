/* ---
id = "cache_write_unread"
title = "Cache writes that nothing read"
confidence = "measured"
stage = "cache"
evidence_by = ["platform", "workspace", "api_key_id", "project", "model"]
evidence_sum = ["cache_write_5m_tokens", "cache_write_1h_tokens", "cache_write_cost", "write_cost_at_input_rate"]
params = { min_savings_usd = 0.0 }  # per request
recommendation = "Find what changes from one request to the next early in these prompts (a timestamp, date or request id in the system prompt, tools in a different order, per-user text before the shared part) and move it after the last cache_control breakpoint so the cached prefix repeats; where a prompt is genuinely used once, drop cache_control for it so it is billed at the plain input rate instead of the write rate."
method = """Request-level rows that paid for cache writes (5-minute or 1-hour write tokens > 0) after which no request came in the same cache group within 60 minutes, the longest cache lifetime, so nothing could have read what was written. A cache group is the platform, the model and the first of: the fingerprint of tools + system prompt (stable across a conversation's turns, different on every request when the system prompt carries a changing value), else the session id, else API key + project. The follow-up check counts every request-level row of the group, cached or not. Savings per row = the write premium: (5-minute write tokens x (5-minute write rate - input rate) + 1-hour write tokens x (1-hour write rate - input rate)) x the row's multiplier (batch, US-only, regional) / 1e6, which equals cache_write_cost - write_cost_at_input_rate (the same tokens at the input rate). Writes that were followed by traffic within 60 minutes are judged by cache_ttl instead, so the two findings never share a row."""
--- */
WITH sequenced AS (SELECT * FROM cache_sequenced()),  -- analysis/_shared.sql
unread AS (
    SELECT *,
        CAST((coalesce(cache_write_5m_tokens, 0) + coalesce(cache_write_1h_tokens, 0)) * rate_input * multiplier
             * 0.000001 AS DECIMAL(38, 12)) AS write_cost_at_input_rate
    FROM sequenced
    WHERE in_findings AND priced
        AND coalesce(cache_write_5m_tokens, 0) + coalesce(cache_write_1h_tokens, 0) > 0
        AND (next_request_at IS NULL OR next_request_at - charge_period_start > INTERVAL 60 MINUTE)
)
SELECT record_id, platform, workspace, api_key_id, project, model, cache_group,
    coalesce(requests, 0) AS requests, cost, charge_period_start, next_request_at,
    coalesce(cache_write_5m_tokens, 0) AS cache_write_5m_tokens,
    coalesce(cache_write_1h_tokens, 0) AS cache_write_1h_tokens,
    cache_write_cost, write_cost_at_input_rate,
    greatest(cache_write_cost - write_cost_at_input_rate, 0) AS savings
FROM unread
WHERE greatest(cache_write_cost - write_cost_at_input_rate, 0) >= $min_savings_usd
ORDER BY record_id
