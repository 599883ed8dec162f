/* ---
id = "us_only_premium"
title = "US-only inference premium"
confidence = "measured"
stage = "premium"
params = {}
recommendation = "Keep inference_geo \"us\" only where a data-residency rule requires it; on Claude 4.6 and later models US-only inference adds 10% to the global price, so global routing costs 9.1% (1/11) less for the same tokens."
method = """Anthropic API requests with usage.inference_geo = "us" on a model that carries the US-only multiplier (Claude 4.6 and later): all token classes cost 1.1x. Savings per request = its token cost before multipliers x its batch factor x 0.10 (the 10% premium on the base price, which is 1/11, 9.1%, of what the request paid); web-search fees carry no premium."""
--- */
SELECT record_id, platform, workspace, api_key_id, project, model,
    coalesce(requests, 0) AS requests, cost,
    CAST(base_cost * batch_factor * (geo_factor - 1.00) AS DECIMAL(38, 12)) AS savings
FROM priced_usage
WHERE in_findings AND priced AND geo_factor > 1.00
ORDER BY record_id
