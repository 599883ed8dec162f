/* ---
id = "batch_candidates"
title = "Workloads that could use the Batch API"
confidence = "estimated"
stage = "batch"
evidence_by = ["workspace", "api_key_id", "project", "model", "signals", "unstreamed_share", "offhours_share", "peak_requests_per_minute"]
evidence_sum = ["web_search_cost"]
params = { min_unstreamed_share = 0.95, business_start_hour = 8, business_end_hour = 18, offhours_share = 0.5, burst_requests = 10, latency_tolerant = "" }
recommendation = "Send these workloads through the Message Batches API (or batch inference on Bedrock and Vertex) instead of one request at a time: it bills every token class at half price and returns results within 24 hours, usually much sooner. Start with the workloads that run off-hours or in bursts, and name other latency-tolerant projects or tags in finops.toml (batch_candidates.latency_tolerant)."
method = """The population is request-level rows on the standard service tier at standard speed (Priority Tier, batch and fast-mode rows are left out). A workload is one workspace, API key and project; its shares and peak count use all of its rows in this population. The rule: a request is a candidate when (1) it was not streamed (stream = false; rows where streaming is not recorded, such as Claude Code, count as interactive and never qualify), (2) at least min_unstreamed_share of its workload's requests were not streamed (unstreamed_share), and (3) at least one signal fired: 'off-hours', at least offhours_share of the workload's requests (offhours_share) were sent outside business hours, that is before business_start_hour:00 or from business_end_hour:00 UTC, or on a Saturday or Sunday; 'burst', the workload sent at least burst_requests requests within 60 seconds (the first and last at most 60 seconds apart; peak_requests_per_minute is the most it sent in such a window); 'latency-tolerant project', the workload's project is named in latency_tolerant (a comma-separated list); 'latency-tolerant tag', the request carries a tag (a value of its JSON tag list or object) named in latency_tolerant. Savings per request = (cost - web_search_cost) x (1 - 0.5), 0.5 being the batch price factor: the Batch API halves every token class, with the same cache, US-only and regional-endpoint multipliers, while web searches ($0.01 each) keep their price. For an evidence row, savings = (cost - web_search_cost) / 2. Assumptions, which make this an estimate: nobody waits for these answers, so a result within 24 hours is acceptable, and the same tokens are sent in batch (cache hits in batch are best-effort, so cached input may cost more). Savings are counted before caching changes; in the stacked total, caching then acts on the halved cost."""
--- */
WITH unstreamed_workloads AS (
    -- Only a workload with an unstreamed request can be reported (every reported row is one), so the windows
    -- below run on those workloads' rows alone: none at all when the source does not say whether it streamed.
    SELECT DISTINCT workspace, api_key_id, project
    FROM priced_usage
    WHERE in_findings AND priced
      AND granularity = 'request'
      AND service_tier = 'standard'
      AND speed = 'standard'
      AND stream = false
),
population AS (
    SELECT *,
        coalesce(stream = false, false) AS unstreamed,
        (hour(charge_period_start) < $business_start_hour OR hour(charge_period_start) >= $business_end_hour
            OR isodow(charge_period_start) >= 6) AS offhours,
        count(*) OVER (PARTITION BY workspace, api_key_id, project ORDER BY charge_period_start
                       RANGE BETWEEN INTERVAL 60 SECONDS PRECEDING AND CURRENT ROW) AS in_last_minute,
        list_filter(list_transform(string_split($latency_tolerant, ','), lambda x: trim(x)), lambda x: x <> '')
            AS tolerant_names,
        -- the string values of the JSON tag list or object: a quoted string followed by , ] or } (a key is
        -- followed by :); a regular expression both engines run the same way
        regexp_extract_all(tags, '"([^"]*)" *(,|}|])', 1) AS tag_values
    FROM priced_usage
    WHERE in_findings AND priced
      AND granularity = 'request'
      AND service_tier = 'standard'
      AND speed = 'standard'
      AND EXISTS (SELECT 1 FROM unstreamed_workloads w
                  WHERE w.workspace IS NOT DISTINCT FROM priced_usage.workspace
                    AND w.api_key_id IS NOT DISTINCT FROM priced_usage.api_key_id
                    AND w.project IS NOT DISTINCT FROM priced_usage.project)
),
workloads AS (
    SELECT *,
        avg(CASE WHEN unstreamed THEN 1 ELSE 0 END) OVER w AS unstreamed_share_exact,
        avg(CASE WHEN offhours THEN 1 ELSE 0 END) OVER w AS offhours_share_exact,
        max(in_last_minute) OVER w AS peak_requests_per_minute,
        coalesce(list_contains(tolerant_names, project), false) AS project_tolerant,
        coalesce(array_length(array_intersect(tag_values, tolerant_names)) > 0, false) AS tag_tolerant
    FROM population
    WINDOW w AS (PARTITION BY workspace, api_key_id, project)
),
signalled AS (
    SELECT *,
        offhours_share_exact >= $offhours_share AS sig_offhours,
        peak_requests_per_minute >= $burst_requests AS sig_burst
    FROM workloads
)
SELECT record_id, platform, workspace, api_key_id, project, model, charge_period_start,
    concat_ws(', ',
        CASE WHEN sig_offhours THEN 'off-hours' END,
        CASE WHEN sig_burst THEN 'burst' END,
        CASE WHEN project_tolerant THEN 'latency-tolerant project' END,
        CASE WHEN tag_tolerant THEN 'latency-tolerant tag' END) AS signals,
    round(unstreamed_share_exact, 4) AS unstreamed_share,
    round(offhours_share_exact, 4) AS offhours_share,
    peak_requests_per_minute,
    coalesce(requests, 1) AS requests, cost, web_search_cost,
    CAST((cost - web_search_cost) * (1 - k.batch_discount) AS DECIMAL(38, 12)) AS savings
FROM signalled
CROSS JOIN pricing_rules k
WHERE unstreamed
  AND unstreamed_share_exact >= $min_unstreamed_share
  AND (sig_offhours OR sig_burst OR project_tolerant OR tag_tolerant)
ORDER BY record_id
