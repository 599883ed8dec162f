/* ---
id = "legacy_model"
title = "Legacy and retired models"
confidence = "measured"
stage = "migrate"
evidence_by = ["platform", "workspace", "api_key_id", "project", "model", "successor", "retired_on"]
evidence_sum = ["successor_cost"]
params = { min_savings_usd = 0 }  # per request
recommendation = "Move these workloads to the successor model named in each row: the same capability tier at a lower price, or at least a model that is still supported."
method = """Rows on a model that has a successor in the model table (a deprecated or retired model, or one with a cheaper model at the same tier). Savings per row = what the row cost minus the same tokens, with the same cache classes and the same modifiers (batch, regional endpoint, US-only), at the successor's rates on the row's date (or its launch rates if the row predates it). The successor is the newest model of the same tier that shares the tokenizer, so token counts carry over. A successor that costs as much or more gives savings of $0: the row is listed for its retirement date."""
--- */
WITH rows AS (
    SELECT u.*, m.successor, m.deprecated, m.retired, sm.us_geo_premium AS s_us, sm.regional_premium AS s_regional,
        greatest(u.usage_date, sm.released) AS successor_date
    FROM priced_usage u
    JOIN models m ON m.model = u.model
    JOIN models sm ON sm.model = m.successor
    WHERE u.in_findings AND u.priced
),
counterfactual AS (
    SELECT r.*,
        CAST((coalesce(r.input_tokens, 0) * s.eff_input
              + coalesce(r.cache_write_5m_tokens, 0) * s.eff_cache_write_5m
              + coalesce(r.cache_write_1h_tokens, 0) * s.eff_cache_write_1h
              + coalesce(r.cache_read_tokens, 0) * s.eff_cache_read
              + coalesce(r.output_tokens, 0) * s.eff_output)
             * (CASE WHEN r.service_tier = 'batch' THEN k.batch_discount ELSE 1.00 END)
             * (CASE WHEN r.platform = 'anthropic' AND r.inference_geo = 'us' AND r.s_us
                     THEN k.us_geo_premium ELSE 1.00 END)
             * (CASE WHEN r.platform IN ('bedrock', 'vertex') AND r.endpoint_scope = 'regional' AND r.s_regional
                     THEN k.regional_premium ELSE 1.00 END)
             * 0.000001 + r.web_search_cost AS DECIMAL(38, 12)) AS successor_cost
    FROM rows r
    JOIN prices s ON s.variant = 'standard' AND s.platform = r.platform AND s.model = r.successor
        AND s.valid_from <= r.successor_date AND (s.valid_to IS NULL OR r.successor_date < s.valid_to)
    CROSS JOIN pricing_rules k
)
SELECT record_id, platform, workspace, api_key_id, project, model, successor, retired AS retired_on,
    coalesce(requests, 0) AS requests, cost, successor_cost,
    greatest(cost - successor_cost, 0) AS savings
FROM counterfactual
WHERE greatest(cost - successor_cost, 0) >= $min_savings_usd
ORDER BY record_id
