/* ---
id = "long_context_premium"
title = "Long-context premium"
confidence = "measured"
stage = "premium"
params = {}
evidence_by = ["platform", "workspace", "api_key_id", "project", "model", "long_context_threshold"]
evidence_sum = ["tokens_over_threshold"]
recommendation = "Trim these prompts below the model's long-context threshold (drop stale history, retrieve fewer chunks, summarise), or move them to a model priced flat across its context window."
method = """Requests whose input (uncached + cache writes + cache reads) was over the model's long-context threshold on a date when the model priced it higher: every token of such a request is billed at the long-context rates. Savings per request = its token cost at the long-context rates minus the same tokens at the standard rates, times the request's batch, US-only and regional multipliers. This is also what trimming the prompt to the threshold saves, before the trimmed tokens themselves. Aggregated rows count when their source reports the 200k-1M context tier."""
--- */
SELECT record_id, platform, workspace, api_key_id, project, model, long_context_threshold,
    CASE WHEN granularity = 'request' THEN prompt_tokens - long_context_threshold END AS tokens_over_threshold,
    coalesce(requests, 0) AS requests, cost,
    CAST((base_cost - base_cost_no_long) * multiplier AS DECIMAL(38, 12)) AS savings
FROM priced_usage
WHERE in_findings AND priced AND is_long
ORDER BY record_id
