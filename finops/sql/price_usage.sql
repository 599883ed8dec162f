-- Price every usage row. Inputs: usage, price_pivot (the dated rates per MTok of `prices`, list_ and eff_, pivoted:
-- one row per platform, model and date with every variant's row in force as plain columns), models, pricing_rules.
-- Rules (pricing.md): the variant is chosen per row (fast, long context over the model's threshold counting
-- input + cache writes + cache reads, or standard); batch x0.50, US-only inference x1.10 on models that
-- carry it (Anthropic API), regional Bedrock/Vertex endpoints x1.10 on 4.5-series and later; the multipliers
-- stack on every token class. Web searches are $0.01 each, never discounted. Unknown models stay unpriced
-- (NULL cost), never $0.
-- Speed: the join on each price row's validity interval (valid_from <= day < valid_to, an as-of join that
-- every SQL engine runs) is made on the few distinct (platform, model, day) of the usage, and every usage row is then
-- hash-joined to its day's prices, so the wide usage rows stream through small hash joins and are never sorted.
-- A cache class without a rate (a model from before prompt caching) costs nothing when it has no tokens and is
-- unknown (NULL) when it has some: such a row is unpriced, never priced as if its cache tokens were free.
CREATE OR REPLACE MACRO cache_rate(tokens, rate) AS coalesce(rate, CASE WHEN coalesce(tokens, 0) = 0 THEN 0 END);
CREATE OR REPLACE MACRO token_cost(i, w5, w1, rd, o, r_i, r_w5, r_w1, r_rd, r_o) AS
    CAST((coalesce(i, 0) * r_i + coalesce(w5, 0) * cache_rate(w5, r_w5) + coalesce(w1, 0) * cache_rate(w1, r_w1)
          + coalesce(rd, 0) * cache_rate(rd, r_rd) + coalesce(o, 0) * r_o) * 0.000001 AS DECIMAL(38, 12));
-- The chosen variant's value of a price column: v is 0 standard, 1 long context, 2 fast, 3 fast long context.
CREATE OR REPLACE MACRO pick_variant(v, std, lng, fst, fastlong) AS
    CASE v WHEN 0 THEN std WHEN 1 THEN lng WHEN 2 THEN fst ELSE fastlong END;

CREATE OR REPLACE TABLE priced_usage AS
WITH day_prices AS (
    SELECT d.platform, d.model, d.usage_date, pv.pr
    FROM (SELECT DISTINCT platform, model, CAST(charge_period_start AS DATE) AS usage_date FROM usage) d
    JOIN price_pivot pv ON pv.platform = d.platform AND pv.model = d.model
        AND pv.valid_from <= d.usage_date AND (pv.valid_to IS NULL OR d.usage_date < pv.valid_to)
),
-- NOT MATERIALIZED: u is read twice; materialised, it would be one more full copy of the usage rows in memory.
u AS NOT MATERIALIZED (
    SELECT *,
        CAST(charge_period_start AS DATE) AS usage_date,
        -- The source a row belongs to in the choice of the spend basis: request-level logs (and Claude Code's
        -- telemetry metrics, per session and minute, never for a session its events or transcript cover) form
        -- one source, 'request'; each aggregated report and bill with its grouping is one.
        CASE WHEN granularity = 'request' OR source_format = 'claude_code_otel' THEN 'request'
             ELSE source_format || '|' || grouping END AS basis_key,
        coalesce(input_tokens, 0) + coalesce(cache_write_5m_tokens, 0) + coalesce(cache_write_1h_tokens, 0)
            + coalesce(cache_read_tokens, 0) AS prompt_tokens
    FROM usage
),
tiers AS (
    SELECT u.*,
        coalesce(dp.pr.long_list_input IS NOT NULL AND (
            (granularity = 'request' AND prompt_tokens > dp.pr.long_threshold) OR context_window = '200k-1M'),
            false) AS is_long,
        coalesce(speed = 'fast' AND dp.pr.fast_list_input IS NOT NULL, false) AS is_fast,
        dp.pr  -- the day's prices, one struct (plain fields: std_, long_, fast_, fastlong_)
    FROM u
    LEFT JOIN day_prices dp ON dp.platform = u.platform AND dp.model = u.model AND dp.usage_date = u.usage_date
),
chosen AS (
    SELECT t.*,
        CASE WHEN is_fast AND is_long AND pr.fastlong_list_input IS NOT NULL THEN 3
             WHEN is_fast THEN 2
             WHEN is_long THEN 1
             ELSE 0 END AS v,
        m.us_geo_premium, m.regional_premium, m.released,
        t.model IN (SELECT model FROM price_pivot) AS has_prices,
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
        token_cost(input_tokens, cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens, output_tokens,
                   pr.std_eff_input, pr.std_eff_cache_write_5m, pr.std_eff_cache_write_1h, pr.std_eff_cache_read,
                   pr.std_eff_output) AS cost_std,
        -- The other variants' costs only on the rows that use them (amounts reads each only where it applies):
        -- decimal arithmetic on every row is most of the time pricing takes.
        CASE WHEN is_long THEN
            token_cost(input_tokens, cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens, output_tokens,
                       pr.long_eff_input, pr.long_eff_cache_write_5m, pr.long_eff_cache_write_1h,
                       pr.long_eff_cache_read, pr.long_eff_output) END AS cost_long,
        CASE WHEN is_fast THEN
            token_cost(input_tokens, cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens, output_tokens,
                       pr.fast_eff_input, pr.fast_eff_cache_write_5m, pr.fast_eff_cache_write_1h,
                       pr.fast_eff_cache_read, pr.fast_eff_output) END AS cost_fast,
        CASE WHEN v = 3 THEN
            token_cost(input_tokens, cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens, output_tokens,
                       pr.fastlong_eff_input, pr.fastlong_eff_cache_write_5m, pr.fastlong_eff_cache_write_1h,
                       pr.fastlong_eff_cache_read, pr.fastlong_eff_output) END AS cost_fastlong,
        pick_variant(v, pr.std_eff_input, pr.long_eff_input, pr.fast_eff_input, pr.fastlong_eff_input) AS p_eff_input,
        pick_variant(v, pr.std_eff_cache_write_5m, pr.long_eff_cache_write_5m, pr.fast_eff_cache_write_5m,
                     pr.fastlong_eff_cache_write_5m) AS p_eff_cache_write_5m,
        pick_variant(v, pr.std_eff_cache_write_1h, pr.long_eff_cache_write_1h, pr.fast_eff_cache_write_1h,
                     pr.fastlong_eff_cache_write_1h) AS p_eff_cache_write_1h,
        pick_variant(v, pr.std_eff_cache_read, pr.long_eff_cache_read,
                     pr.fast_eff_cache_read, pr.fastlong_eff_cache_read)
            AS p_eff_cache_read,
        pick_variant(v, pr.std_eff_output, pr.long_eff_output,
                     pr.fast_eff_output, pr.fastlong_eff_output) AS p_eff_output,
        pick_variant(v, pr.std_list_input, pr.long_list_input,
                     pr.fast_list_input, pr.fastlong_list_input) AS p_list_input,
        pick_variant(v, pr.std_list_cache_write_5m, pr.long_list_cache_write_5m, pr.fast_list_cache_write_5m,
                     pr.fastlong_list_cache_write_5m) AS p_list_cache_write_5m,
        pick_variant(v, pr.std_list_cache_write_1h, pr.long_list_cache_write_1h, pr.fast_list_cache_write_1h,
                     pr.fastlong_list_cache_write_1h) AS p_list_cache_write_1h,
        pick_variant(v, pr.std_list_cache_read, pr.long_list_cache_read,
                     pr.fast_list_cache_read, pr.fastlong_list_cache_read)
            AS p_list_cache_read,
        pick_variant(v, pr.std_list_output, pr.long_list_output,
                     pr.fast_list_output, pr.fastlong_list_output) AS p_list_output
    FROM chosen
),
amounts AS (
    SELECT *,
        pick_variant(v, cost_std, cost_long, cost_fast, cost_fastlong) AS base_cost,
        CASE WHEN is_long THEN cost_long ELSE cost_std END AS base_cost_no_fast,
        CASE WHEN is_fast THEN cost_fast ELSE cost_std END AS base_cost_no_long,
        cost_std AS base_cost_standard,
        -- cache tokens on a price row without cache rates (a model from before prompt caching)
        (coalesce(cache_write_5m_tokens, 0) > 0 AND p_eff_cache_write_5m IS NULL
         OR coalesce(cache_write_1h_tokens, 0) > 0 AND p_eff_cache_write_1h IS NULL
         OR coalesce(cache_read_tokens, 0) > 0 AND p_eff_cache_read IS NULL) AS uncacheable,
        (model IS NOT NULL AND pr.std_list_input IS NOT NULL AND NOT uncacheable) AS priced,
        CAST(coalesce(input_tokens, 0) * p_eff_input * multiplier * 0.000001 AS DECIMAL(38, 12)) AS input_cost,
        CAST((coalesce(cache_write_5m_tokens, 0) * cache_rate(cache_write_5m_tokens, p_eff_cache_write_5m)
              + coalesce(cache_write_1h_tokens, 0) * cache_rate(cache_write_1h_tokens, p_eff_cache_write_1h))
             * multiplier * 0.000001 AS DECIMAL(38, 12)) AS cache_write_cost,
        CAST(coalesce(cache_read_tokens, 0) * cache_rate(cache_read_tokens, p_eff_cache_read) * multiplier * 0.000001
             AS DECIMAL(38, 12)) AS cache_read_cost,
        CAST(coalesce(output_tokens, 0) * p_eff_output * multiplier * 0.000001 AS DECIMAL(38, 12)) AS output_cost,
        CAST(coalesce(web_search_requests, 0) * web_search_usd AS DECIMAL(38, 12)) AS web_search_cost,
        CAST((coalesce(input_tokens, 0) * p_list_input
              + coalesce(cache_write_5m_tokens, 0) * cache_rate(cache_write_5m_tokens, p_list_cache_write_5m)
              + coalesce(cache_write_1h_tokens, 0) * cache_rate(cache_write_1h_tokens, p_list_cache_write_1h)
              + coalesce(cache_read_tokens, 0) * cache_rate(cache_read_tokens, p_list_cache_read)
              + coalesce(output_tokens, 0) * p_list_output) * multiplier * 0.000001
             + coalesce(web_search_requests, 0) * web_search_usd AS DECIMAL(38, 12)) AS list_cost_all
    FROM costed
),
basis AS (
    -- Which source is the spend basis for each platform and UTC day: a cloud bill with tokens (AWS CUR, then the
    -- AWS FOCUS export; Google Cloud billing export) for its platform, else an aggregated report (usage report
    -- before Console CSV; the finest grouping: the most dimensions, then the first basis key by name, the rule of
    -- the bill's cost queries too, ingest/bill_groupings.py) when one covers the day, else the request-level logs.
    -- Rows of other sources that day are kept as detail for findings but not added to totals. A bucket covers
    -- every UTC day from its start to just before its end (a monthly bill line covers its month).
    SELECT platform, usage_date, basis_key AS chosen_key
    FROM (
        SELECT platform, usage_date, basis_key,
            row_number() OVER (PARTITION BY platform, usage_date
                               ORDER BY basis_rank, basis_key) AS pick  -- ties: the same key whatever the row order
        FROM (
            SELECT DISTINCT platform, basis_key, basis_rank, CAST(covered_day AS DATE) AS usage_date
            FROM (
                SELECT platform, basis_key, basis_rank,
                    unnest(generate_series(CAST(usage_date AS TIMESTAMP),
                                           CAST(coalesce(last_day, usage_date) AS TIMESTAMP),
                                           INTERVAL 1 DAY)) AS covered_day
                FROM (
                    SELECT platform, usage_date, last_day, basis_key,
                        CASE WHEN basis_key = 'request' THEN 1000000
                             ELSE (CASE source_format WHEN 'bedrock_cur' THEN 0 WHEN 'gcp_billing' THEN 0
                                   WHEN 'aws_focus' THEN 1 WHEN 'focus' THEN 1 WHEN 'anthropic_usage_report' THEN 1
                                   WHEN 'anthropic_analytics_usage' THEN 1
                                   WHEN 'console_usage_csv' THEN 2 WHEN 'claude_code_report' THEN 4
                                   ELSE 3 END) * 10000
                                  - (length(grouping) - length(replace(grouping, ',', ''))
                                     + CASE WHEN grouping LIKE '%:_%' THEN 1 ELSE 0 END)
                             END AS basis_rank  -- the finest grouping: the most dimensions
                    FROM (
                        SELECT DISTINCT platform, basis_key, source_format, grouping,  -- distinct first: the days are
                            CAST(charge_period_start AS DATE) AS usage_date,          -- listed per key, not per row
                            CASE WHEN granularity = 'bucket'
                                      AND charge_period_end > charge_period_start + INTERVAL 1 DAY
                                 THEN CAST(charge_period_end - INTERVAL 1 MICROSECOND AS DATE) END AS last_day
                        FROM u
                    )
                )
            )
        )
    )
    WHERE pick = 1
),
request_models AS (
    -- Findings read request-level rows where a platform, day and model has them (they carry the detail);
    -- aggregated rows of the spend basis elsewhere. Never both for the same traffic, so never double counted.
    SELECT DISTINCT platform, CAST(charge_period_start AS DATE) AS usage_date, model
    FROM usage WHERE granularity = 'request'
)
SELECT
    c.* EXCLUDE (pr, v, us_geo_premium, regional_premium, released, has_prices, batch_factor, geo_factor,
                 regional_factor,
                 web_search_usd, multiplier, cost_std, cost_long, cost_fast, cost_fastlong,
                 p_eff_input, p_eff_cache_write_5m, p_eff_cache_write_1h, p_eff_cache_read, p_eff_output,
                 p_list_input, p_list_cache_write_5m, p_list_cache_write_1h, p_list_cache_read, p_list_output,
                 base_cost, base_cost_no_fast, base_cost_no_long, base_cost_standard, priced, list_cost_all,
                 input_cost, cache_write_cost, cache_read_cost, output_cost, web_search_cost, basis_key,
                 uncacheable),
    CASE c.v WHEN 0 THEN 'standard' WHEN 1 THEN 'long_context' WHEN 2 THEN 'fast' ELSE 'fast_long_context' END
        AS price_variant,
    c.batch_factor, c.geo_factor, c.regional_factor,
    c.base_cost, c.base_cost_no_fast, c.base_cost_no_long, c.base_cost_standard, c.priced,
    pick_variant(c.v, c.pr.std_valid_from, c.pr.long_valid_from, c.pr.fast_valid_from, c.pr.fastlong_valid_from)
        AS price_valid_from,
    c.pr.long_threshold AS long_context_threshold,
    pick_variant(c.v, c.pr.std_source, c.pr.long_source, c.pr.fast_source, c.pr.fastlong_source) AS price_source,
    pick_variant(c.v, c.pr.std_negotiated, c.pr.long_negotiated, c.pr.fast_negotiated, c.pr.fastlong_negotiated)
        AS price_negotiated,
    c.multiplier,
    c.p_eff_input AS rate_input, c.p_eff_cache_write_5m AS rate_cache_write_5m,
    c.p_eff_cache_write_1h AS rate_cache_write_1h, c.p_eff_cache_read AS rate_cache_read,
    c.p_eff_output AS rate_output,
    CASE WHEN c.priced THEN c.input_cost END AS input_cost,
    CASE WHEN c.priced THEN c.cache_write_cost END AS cache_write_cost,
    CASE WHEN c.priced THEN c.cache_read_cost END AS cache_read_cost,
    CASE WHEN c.priced THEN c.output_cost END AS output_cost,
    CASE WHEN c.priced THEN c.web_search_cost END AS web_search_cost,
    CASE WHEN c.priced THEN c.input_cost + c.cache_write_cost + c.cache_read_cost + c.output_cost
                            + c.web_search_cost END AS cost,
    CASE WHEN c.priced THEN c.list_cost_all END AS list_cost,
    CASE WHEN c.model IS NULL THEN 'unknown model'
         WHEN c.pr.std_list_input IS NULL AND NOT c.has_prices THEN 'known model without a documented price'
         WHEN c.pr.std_list_input IS NULL AND c.usage_date < c.released THEN 'dated before the model''s release'
         WHEN c.pr.std_list_input IS NULL THEN 'no price for this model, platform and date'
         WHEN c.uncacheable THEN 'cache tokens on a model without cache prices'
    END AS unpriced_reason,
    nullif(concat_ws('; ',
        CASE WHEN c.cache_ttl_assumed THEN 'cache TTL not reported: writes priced as 5-minute' END,
        CASE WHEN c.speed = 'fast' AND NOT c.is_fast THEN 'fast mode not offered on this date: standard rates' END,
        CASE WHEN c.granularity = 'bucket' AND c.context_window IS NULL AND c.pr.long_list_input IS NOT NULL
             THEN 'context tier not reported: standard rates' END,
        CASE WHEN c.granularity = 'bucket' AND c.context_window = '0-200k' AND c.pr.long_threshold < 200000
             THEN 'long-context threshold is below the reported 200k tier: standard rates' END,
        CASE WHEN c.service_tier = 'priority' THEN 'Priority Tier: contract-priced, shown at list rates' END,
        CASE WHEN c.platform = 'vertex' AND c.endpoint_scope IS NULL AND c.regional_premium
             THEN 'endpoint not reported: priced as global' END
    ), '') AS pricing_notes,
    -- Claude Code's analytics report covers Claude Code only: when it is the basis of a day (no organisation-wide
    -- report or bill), it replaces that day's Claude Code transcripts and telemetry, and the other logs still count.
    coalesce(c.basis_key = b.chosen_key
             OR b.chosen_key LIKE 'claude_code_report|%' AND c.basis_key = 'request'
                AND c.source_format NOT IN ('claude_code', 'claude_code_otel'), false) AS in_totals,
    -- NOT EXISTS, not a LEFT JOIN: a join may hash the wide usage rows (hundreds of MB) instead of the few
    -- request_models rows; the subquery of NOT EXISTS is always the side that is hashed.
    CASE WHEN c.granularity = 'request' THEN true
         ELSE coalesce(c.basis_key = b.chosen_key, false) AND NOT EXISTS (
             SELECT 1 FROM request_models rm
             WHERE rm.platform = c.platform AND rm.usage_date = c.usage_date
               AND rm.model IS NOT DISTINCT FROM c.model) END AS in_findings
FROM amounts c
JOIN basis b ON b.platform = c.platform AND b.usage_date = c.usage_date
