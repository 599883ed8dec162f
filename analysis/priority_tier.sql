/* ---
id = "priority_tier"
title = "Priority Tier traffic to review"
confidence = "measured"
stage = "review"
params = {}
recommendation = "Review the Priority Tier commitment against this traffic: the tier is contract-priced and no longer sold, so check what the contract costs per token and whether standard capacity now serves these workloads."
method = """Requests with usage.service_tier = "priority". Their price is set by a capacity contract, not the list, so this report shows them at standard list rates and claims no savings: the figure to compare is the contract's cost for these tokens."""
--- */
SELECT record_id, platform, workspace, api_key_id, project, model,
    coalesce(requests, 0) AS requests, cost,
    CAST(0 AS DECIMAL(38, 12)) AS savings
FROM priced_usage
WHERE in_findings AND priced AND service_tier = 'priority'
ORDER BY record_id
