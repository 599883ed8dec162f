/* ---
id = "fast_mode_premium"
title = "Fast mode premium"
confidence = "measured"
stage = "premium"
params = {}
recommendation = "Reserve fast mode (speed: fast) for interactive paths where output speed is worth the premium; background and batch-like work should run at standard speed."
method = """Requests with usage.speed = "fast" on a model and date that priced fast mode. Savings per request = its token cost at the fast rates minus the same tokens at standard-speed rates (long-context rates where the request was over the threshold), times its multipliers."""
--- */
SELECT record_id, platform, workspace, api_key_id, project, model,
    coalesce(requests, 0) AS requests, cost,
    CAST((base_cost - base_cost_no_fast) * multiplier AS DECIMAL(38, 12)) AS savings
FROM priced_usage
WHERE in_findings AND priced AND is_fast
ORDER BY record_id
