-- Lifecycle checks for the data-quality appendix: rows the platform would have refused or priced otherwise.
-- Inputs: priced_usage, models (the Claude API retirement dates), lifecycle (retirements on other platforms,
-- fast-mode withdrawals, models the Batch API never served: finops/data/lifecycle.csv). The rows stay priced as logged; these only flag them.
-- One row per check, model and platform: how many rows and the first file:line.
WITH retirements AS (
    SELECT model, 'anthropic' AS platform, retired AS day FROM models WHERE retired IS NOT NULL
    UNION ALL
    SELECT model, platform, day FROM lifecycle WHERE event = 'retired'
),
flagged AS (
    SELECT 'after_retirement' AS check_id, u.model, u.platform,
        'used after its retirement on ' || strftime(r.day, '%Y-%m-%d')
            || ': the platform would have refused it (a wrong date or a mislabelled log)' AS detail,
        u.source_file, u.source_line
    FROM priced_usage u JOIN retirements r ON r.model = u.model AND r.platform = u.platform
    WHERE u.usage_date >= r.day
    UNION ALL
    SELECT 'fast_after_withdrawal', u.model, u.platform,
        'fast mode after it was withdrawn for this model on ' || strftime(l.day, '%Y-%m-%d'),
        u.source_file, u.source_line
    FROM priced_usage u JOIN lifecycle l ON l.model = u.model AND l.platform = u.platform
        AND l.event = 'fast_withdrawn'
    WHERE u.speed = 'fast' AND u.usage_date >= l.day
    UNION ALL
    SELECT 'fast_in_batch', u.model, u.platform,
        'fast mode inside a batch: the Batch API does not offer fast mode', u.source_file, u.source_line
    FROM priced_usage u
    WHERE u.speed = 'fast' AND u.service_tier = 'batch'
    UNION ALL
    SELECT 'batch_unsupported', u.model, u.platform,
        'in a batch, but the Batch API never served this model (it launched on ' || strftime(l.day, '%Y-%m-%d')
            || ' without it): a wrong tier or a mislabelled log', u.source_file, u.source_line
    FROM priced_usage u JOIN lifecycle l ON l.model = u.model AND l.platform = u.platform
        AND l.event = 'batch_unsupported'
    WHERE u.service_tier = 'batch'
    UNION ALL
    SELECT 'vertex_endpoint_unknown', u.model, u.platform,
        'Vertex AI row without an endpoint scope on a model whose regional endpoints cost 10% more: priced as global',
        u.source_file, u.source_line
    FROM priced_usage u JOIN models m ON m.model = u.model
    WHERE u.platform = 'vertex' AND u.endpoint_scope IS NULL AND m.regional_premium
)
SELECT check_id AS "check", model, platform, any_value(detail) AS detail, count(*) AS rows,
    arg_min(source_file || ':' || source_line, (source_file, source_line)) AS first_row
FROM flagged
GROUP BY check_id, model, platform
ORDER BY check_id, model, platform
