-- Price every usage row. Inputs: usage, prices (dated rates per MTok, list_ and eff_), models, pricing_rules.
-- Rules (pricing.md): the variant is chosen per row (fast, long context over the model's threshold counting
-- input + cache writes + cache reads, or standard); batch x0.50, US-only inference x1.10 on models that
-- carry it (Anthropic API), regional Bedrock/Vertex endpoints x1.10 on 4.5-series and later; the multipliers
-- stack on every token class. Web searches are $0.01 each, never discounted. Unknown models stay unpriced
-- (NULL cost), never $0.
CREATE OR REPLACE MACRO token_cost(p, i, w5, w1, rd, o) AS
    CAST((coalesce(i, 0) * p.eff_input + coalesce(w5, 0) * p.eff_cache_write_5m
          + coalesce(w1, 0) * p.eff_cache_write_1h + coalesce(rd, 0) * p.eff_cache_read
          + coalesce(o, 0) * p.eff_output) * 0.000001 AS DECIMAL(38, 12));

CREATE OR REPLACE TABLE priced_usage AS
WITH u AS (
    SELECT *,
        CAST(charge_period_start AS DATE) AS usage_date,
        coalesce(input_tokens, 0) + coalesce(cache_write_5m_tokens, 0) + coalesce(cache_write_1h_tokens, 0)
            + coalesce(cache_read_tokens, 0) AS prompt_tokens
    FROM usage
),
std AS (SELECT * FROM prices WHERE variant = 'standard'),
lc AS (SELECT * FROM prices WHERE variant = 'long_context'),
fst AS (SELECT * FROM prices WHERE variant = 'fast'),
flc AS (SELECT * FROM prices WHERE variant = 'fast_long_context'),
joined AS (
    SELECT u.*, s AS s_row, l AS l_row, f AS f_row, fl AS fl_row
    FROM u
    ASOF LEFT JOIN std s ON s.platform = u.platform AND s.model = u.model AND u.usage_date >= s.valid_from
    ASOF LEFT JOIN lc l ON l.platform = u.platform AND l.model = u.model AND u.usage_date >= l.valid_from
    ASOF LEFT JOIN fst f ON f.platform = u.platform AND f.model = u.model AND u.usage_date >= f.valid_from
    ASOF LEFT JOIN flc fl ON fl.platform = u.platform AND fl.model = u.model AND u.usage_date >= fl.valid_from
),
tiers AS (
    SELECT *,
        coalesce(l_row.list_input IS NOT NULL AND (
            (granularity = 'request' AND prompt_tokens > l_row.threshold) OR context_window = '200k-1M'), false)
            AS is_long,
        coalesce(speed = 'fast' AND f_row.list_input IS NOT NULL, false) AS is_fast
    FROM joined
),
chosen AS (
    SELECT t.*,
        CASE WHEN is_fast AND is_long AND fl_row.list_input IS NOT NULL THEN fl_row
             WHEN is_fast THEN f_row
             WHEN is_long THEN l_row
             ELSE s_row END AS p,
        CASE WHEN is_fast AND is_long AND fl_row.list_input IS NOT NULL THEN 'fast_long_context'
             WHEN is_fast THEN 'fast'
             WHEN is_long THEN 'long_context'
             ELSE 'standard' END AS price_variant,
        CASE WHEN is_long THEN l_row ELSE s_row END AS p_no_fast,
        CASE WHEN is_fast THEN f_row ELSE s_row END AS p_no_long,
        m.us_geo_premium, m.regional_premium,
        CASE WHEN service_tier = 'batch' THEN r.batch_discount ELSE 1.00 END AS batch_factor,
        CASE WHEN t.platform = 'anthropic' AND inference_geo = 'us' AND m.us_geo_premium
             THEN r.us_geo_premium ELSE 1.00 END AS geo_factor,
        CASE WHEN t.platform IN ('bedrock', 'vertex') AND endpoint_scope = 'regional' AND m.regional_premium
             THEN r.regional_premium ELSE 1.00 END AS regional_factor,
        r.web_search_usd
    FROM tiers t
    LEFT JOIN models m ON m.model = t.model
    CROSS JOIN pricing_rules r
),
costed AS (
    SELECT *,
        batch_factor * geo_factor * regional_factor AS multiplier,
        token_cost(p, input_tokens, cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens, output_tokens)
            AS base_cost,
        token_cost(p_no_fast, input_tokens, cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens,
                   output_tokens) AS base_cost_no_fast,
        token_cost(p_no_long, input_tokens, cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens,
                   output_tokens) AS base_cost_no_long,
        token_cost(s_row, input_tokens, cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens,
                   output_tokens) AS base_cost_standard,
        (model IS NOT NULL AND s_row.list_input IS NOT NULL) AS priced,
        CAST(coalesce(input_tokens, 0) * p.eff_input * multiplier * 0.000001 AS DECIMAL(38, 12)) AS input_cost,
        CAST((coalesce(cache_write_5m_tokens, 0) * p.eff_cache_write_5m
              + coalesce(cache_write_1h_tokens, 0) * p.eff_cache_write_1h) * multiplier * 0.000001
             AS DECIMAL(38, 12)) AS cache_write_cost,
        CAST(coalesce(cache_read_tokens, 0) * p.eff_cache_read * multiplier * 0.000001
             AS DECIMAL(38, 12)) AS cache_read_cost,
        CAST(coalesce(output_tokens, 0) * p.eff_output * multiplier * 0.000001 AS DECIMAL(38, 12)) AS output_cost,
        CAST(coalesce(web_search_requests, 0) * web_search_usd AS DECIMAL(38, 12)) AS web_search_cost,
        CAST((coalesce(input_tokens, 0) * p.list_input
              + coalesce(cache_write_5m_tokens, 0) * p.list_cache_write_5m
              + coalesce(cache_write_1h_tokens, 0) * p.list_cache_write_1h
              + coalesce(cache_read_tokens, 0) * p.list_cache_read
              + coalesce(output_tokens, 0) * p.list_output) * multiplier * 0.000001
             + coalesce(web_search_requests, 0) * web_search_usd AS DECIMAL(38, 12)) AS list_cost_all
    FROM chosen
),
basis AS (
    -- Which source is the spend basis for each platform and UTC day: a cloud bill with tokens (AWS CUR, then the
    -- AWS FOCUS export; Google Cloud billing export) for its platform, else an aggregated report (usage report
    -- before Console CSV; the finest grouping) when one covers the day, else the request-level logs.
    -- Rows of other sources that day are kept as detail for findings but not added to totals. A bucket covers
    -- every UTC day from its start to just before its end (a monthly bill line covers its month).
    SELECT platform, usage_date,
        arg_min(basis_key, (basis_rank, basis_key)) AS chosen_key  -- ties: the same key whatever the row order
    FROM (
        SELECT DISTINCT platform, basis_key, basis_rank,
            unnest(CASE WHEN last_day > usage_date
                        THEN list_transform(generate_series(usage_date, last_day, INTERVAL 1 DAY),
                                            lambda x: CAST(x AS DATE))
                        ELSE [usage_date] END) AS usage_date
        FROM (
            SELECT DISTINCT platform, usage_date,  -- distinct first: the days are listed per key, not per row
                CASE WHEN granularity = 'bucket' AND charge_period_end > charge_period_start + INTERVAL 1 DAY
                     THEN CAST(charge_period_end - INTERVAL 1 MICROSECOND AS DATE) END AS last_day,
                CASE WHEN granularity = 'request' THEN 'request' ELSE source_format || '|' || grouping END
                    AS basis_key,
                CASE WHEN granularity = 'request' THEN 1000000
                     ELSE (CASE source_format WHEN 'bedrock_cur' THEN 0 WHEN 'gcp_billing' THEN 0
                           WHEN 'aws_focus' THEN 1 WHEN 'anthropic_usage_report' THEN 1
                           WHEN 'console_usage_csv' THEN 2 ELSE 3 END) * 10000 - length(grouping) END AS basis_rank
            FROM u
        )
    )
    GROUP BY ALL
),
request_models AS (
    -- Findings read request-level rows where a platform, day and model has them (they carry the detail);
    -- aggregated rows of the spend basis elsewhere. Never both for the same traffic, so never double counted.
    SELECT DISTINCT platform, usage_date, model FROM u WHERE granularity = 'request'
)
SELECT
    c.* EXCLUDE (s_row, l_row, f_row, fl_row, p, p_no_fast, p_no_long, list_cost_all, input_cost, cache_write_cost, cache_read_cost,
                 output_cost, web_search_cost, multiplier, web_search_usd, us_geo_premium, regional_premium),
    c.price_variant,
    c.p.valid_from AS price_valid_from,
    c.l_row.threshold AS long_context_threshold,
    c.p.source AS price_source,
    c.p.negotiated AS price_negotiated,
    c.multiplier,
    c.p.eff_input AS rate_input, c.p.eff_cache_write_5m AS rate_cache_write_5m,
    c.p.eff_cache_write_1h AS rate_cache_write_1h, c.p.eff_cache_read AS rate_cache_read,
    c.p.eff_output AS rate_output,
    CASE WHEN c.priced THEN c.input_cost END AS input_cost,
    CASE WHEN c.priced THEN c.cache_write_cost END AS cache_write_cost,
    CASE WHEN c.priced THEN c.cache_read_cost END AS cache_read_cost,
    CASE WHEN c.priced THEN c.output_cost END AS output_cost,
    CASE WHEN c.priced THEN c.web_search_cost END AS web_search_cost,
    CASE WHEN c.priced THEN c.input_cost + c.cache_write_cost + c.cache_read_cost + c.output_cost
                            + c.web_search_cost END AS cost,
    CASE WHEN c.priced THEN c.list_cost_all END AS list_cost,
    CASE WHEN c.model IS NULL THEN 'unknown model'
         WHEN c.s_row.list_input IS NULL THEN 'no price for this model, platform and date'
    END AS unpriced_reason,
    nullif(concat_ws('; ',
        CASE WHEN c.cache_ttl_assumed THEN 'cache TTL not reported: writes priced as 5-minute' END,
        CASE WHEN c.speed = 'fast' AND NOT c.is_fast THEN 'fast mode not offered on this date: standard rates' END,
        CASE WHEN c.granularity = 'bucket' AND c.context_window IS NULL AND c.l_row.list_input IS NOT NULL
             THEN 'context tier not reported: standard rates' END,
        CASE WHEN c.granularity = 'bucket' AND c.context_window = '0-200k' AND c.l_row.threshold < 200000
             THEN 'long-context threshold is below the reported 200k tier: standard rates' END,
        CASE WHEN c.service_tier = 'priority' THEN 'Priority Tier: contract-priced, shown at list rates' END,
        CASE WHEN c.platform = 'vertex' AND c.endpoint_scope IS NULL AND c.regional_premium
             THEN 'endpoint not reported: priced as global' END
    ), '') AS pricing_notes,
    CASE WHEN c.granularity = 'request' THEN b.chosen_key = 'request'
         ELSE b.chosen_key = c.source_format || '|' || c.grouping END AS in_totals,
    CASE WHEN c.granularity = 'request' THEN true
         ELSE b.chosen_key = c.source_format || '|' || c.grouping AND rm.usage_date IS NULL END AS in_findings
FROM costed c
JOIN basis b ON b.platform = c.platform AND b.usage_date = c.usage_date
LEFT JOIN request_models rm
    ON rm.platform = c.platform AND rm.usage_date = c.usage_date AND rm.model IS NOT DISTINCT FROM c.model
