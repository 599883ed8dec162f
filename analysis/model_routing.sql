/* ---
id = "model_routing"
title = "Simple requests on Opus and Sonnet"
confidence = "estimated"
stage = "route"
evidence_by = ["workspace", "api_key_id", "project", "model", "target_model"]
evidence_sum = ["target_cost"]
params = { max_input_tokens = 2000, max_output_tokens = 300, target_model = "claude-haiku-4-5" }
recommendation = "Route these short, tool-free requests to the cheaper target model (or let a router send simple requests there): they read little, write little and do not think. Check a sample of their answers on the target model first; keep Opus or Sonnet where quality drops."
method = """Request-level rows on an Opus or Sonnet model (the model table's family) that look simple: the prompt (uncached input + cache writes + cache reads) is at most max_input_tokens, the output at most max_output_tokens, thinking is off (thinking type not recorded or 'disabled', and no thinking tokens), and the request offered no tools (tool_count = 0; rows whose request body was not logged are left out). Rows sent with US-only inference are left out when the target model does not offer it. target_cost = the same tokens in the same classes at target_model's rates in USD per million tokens on the row's date (its launch rates if the row predates it; its long-context rates if the prompt is over its threshold), times the row's batch factor (0.5) and, where the target model carries them, the US-only (1.1) and regional-endpoint (1.1) factors, plus the row's web search cost, which does not change. Cache writes and reads keep their class, except when the prompt is shorter than the target's minimum cacheable length (Haiku 4.5: 4,096 tokens), where the target could not cache it and every prompt token is priced as uncached input. Fast mode is not kept (the target is priced at standard speed). Savings per row = cost - target_cost; rows where the target would cost as much or more are not listed, so for every evidence row savings = cost - target_cost. Assumptions, which make this an estimate: the target model answers these requests well enough, and the token counts carry over; they do so only approximately, because Claude Opus 4.7 and later models use a newer tokenizer that counts about 30% more tokens for the same text (so savings from an Opus 4.7+ row to an older target are understated, and to a newer-tokenizer target from an older model overstated)."""
--- */
WITH target AS (
    -- a target_model that is not in the model table stops the run with a message instead of finding nothing
    SELECT coalesce(m.model, error('unknown target_model ' || w.wanted)) AS model,
        m.us_geo_premium, m.regional_premium, m.min_cacheable_tokens, m.released
    FROM (SELECT $target_model AS wanted) w
    LEFT JOIN models m ON m.model = w.wanted
),
rows AS (
    SELECT u.*, t.model AS target_model, t.us_geo_premium AS t_us, t.regional_premium AS t_regional,
        t.min_cacheable_tokens AS t_min_cacheable,
        greatest(u.usage_date, t.released) AS target_date
    FROM priced_usage u
    JOIN models m ON m.model = u.model
    CROSS JOIN target t
    WHERE u.in_findings AND u.priced
      AND u.granularity = 'request'
      AND m.family IN ('opus', 'sonnet')
      AND u.model <> t.model
      AND u.prompt_tokens <= $max_input_tokens
      AND coalesce(u.output_tokens, 0) <= $max_output_tokens
      AND (u.thinking_type IS NULL OR u.thinking_type = 'disabled')
      AND coalesce(u.thinking_tokens, 0) = 0
      AND u.tool_count = 0
      AND NOT (u.platform = 'anthropic' AND coalesce(u.inference_geo = 'us', false) AND NOT t.us_geo_premium)
),
rated AS (
    SELECT r.*,
        l.list_input IS NOT NULL AND r.prompt_tokens > l.threshold AS target_long,
        s.eff_input AS s_input, s.eff_cache_write_5m AS s_write_5m, s.eff_cache_write_1h AS s_write_1h,
        s.eff_cache_read AS s_read, s.eff_output AS s_output,
        l.eff_input AS l_input, l.eff_cache_write_5m AS l_write_5m, l.eff_cache_write_1h AS l_write_1h,
        l.eff_cache_read AS l_read, l.eff_output AS l_output,
        -- the target could not cache a prompt shorter than its minimum cacheable length
        coalesce(r.prompt_tokens < r.t_min_cacheable, false) AS uncacheable
    FROM rows r
    JOIN prices s ON s.variant = 'standard' AND s.platform = r.platform AND s.model = r.target_model
        AND s.valid_from <= r.target_date AND (s.valid_to IS NULL OR r.target_date < s.valid_to)
    LEFT JOIN prices l ON l.variant = 'long_context' AND l.platform = r.platform AND l.model = r.target_model
        AND l.valid_from <= r.target_date AND (l.valid_to IS NULL OR r.target_date < l.valid_to)
),
target_rates AS (
    SELECT *,  -- the target's rates: long context over its threshold, else standard
        CASE WHEN target_long THEN l_input ELSE s_input END AS tp_input,
        CASE WHEN target_long THEN l_write_5m ELSE s_write_5m END AS tp_write_5m,
        CASE WHEN target_long THEN l_write_1h ELSE s_write_1h END AS tp_write_1h,
        CASE WHEN target_long THEN l_read ELSE s_read END AS tp_read,
        CASE WHEN target_long THEN l_output ELSE s_output END AS tp_output
    FROM rated
),
counterfactual AS (
    SELECT r.*,
        CAST((CASE WHEN r.uncacheable THEN r.prompt_tokens * r.tp_input
                   ELSE coalesce(r.input_tokens, 0) * r.tp_input
                        + coalesce(r.cache_write_5m_tokens, 0) * r.tp_write_5m
                        + coalesce(r.cache_write_1h_tokens, 0) * r.tp_write_1h
                        + coalesce(r.cache_read_tokens, 0) * r.tp_read END
              + coalesce(r.output_tokens, 0) * r.tp_output)
             * (CASE WHEN r.service_tier = 'batch' THEN k.batch_discount ELSE 1.00 END)
             * (CASE WHEN r.platform = 'anthropic' AND r.inference_geo = 'us' AND r.t_us
                     THEN k.us_geo_premium ELSE 1.00 END)
             * (CASE WHEN r.platform IN ('bedrock', 'vertex') AND r.endpoint_scope = 'regional' AND r.t_regional
                     THEN k.regional_premium ELSE 1.00 END)
             * 0.000001 + r.web_search_cost AS DECIMAL(38, 12)) AS target_cost
    FROM target_rates r
    CROSS JOIN pricing_rules k
)
SELECT record_id, platform, workspace, api_key_id, project, model, target_model, service_tier,
    prompt_tokens, output_tokens, uncacheable AS priced_uncached_on_target,
    coalesce(requests, 1) AS requests, cost, target_cost,
    cost - target_cost AS savings
FROM counterfactual
WHERE cost - target_cost > 0
ORDER BY record_id
