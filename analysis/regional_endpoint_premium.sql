/* ---
id = "regional_endpoint_premium"
title = "Regional endpoint premium on Bedrock and Vertex"
confidence = "measured"
stage = "premium"
params = {}
evidence_by = ["platform", "workspace", "api_key_id", "project", "model", "region"]
recommendation = "Use the global endpoint (Bedrock global. inference profile, Vertex locations/global) where data may leave the region: a regional endpoint adds 10% to the global price, so the same tokens cost 9.1% (1/11) less on the global one."
method = """Amazon Bedrock and Google Vertex AI requests on a regional endpoint (a us./eu./apac./jp./au. inference profile, an in-region model id, or a regional Vertex location) for a model released from the 4.5 series on: regional endpoints cost 1.1x the global one. Savings per row = its token cost before multipliers x its batch factor x 0.10 (the 10% premium on the base price, which is 1/11, 9.1%, of what the row paid); web-search fees carry no premium."""
--- */
SELECT record_id, platform, workspace, api_key_id, project, model, region,
    coalesce(requests, 0) AS requests, cost,
    CAST(base_cost * batch_factor * geo_factor * (regional_factor - 1.00) AS DECIMAL(38, 12)) AS savings
FROM priced_usage
WHERE in_findings AND priced AND regional_factor > 1.00
ORDER BY record_id
