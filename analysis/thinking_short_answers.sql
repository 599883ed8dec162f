/* ---
id = "thinking_short_answers"
title = "Extended thinking on endpoints with short answers"
confidence = "estimated"
stage = "thinking"
evidence_by = ["workspace", "api_key_id", "project", "model", "endpoint_requests", "median_answer_tokens", "rate_output", "multiplier"]
evidence_sum = ["thinking_tokens"]
params = { max_median_answer_tokens = 200, min_requests = 5 }
recommendation = "Turn extended thinking off on these endpoints (omit the thinking parameter, or set it to disabled), or give them a small budget: their answers are short, which suggests classification, extraction or formatting tasks that rarely gain from thinking. Compare answers on a sample with thinking off before switching."
method = """An endpoint is one workspace, API key, project and model. Its thinking requests are its request-level rows with extended thinking on (thinking type 'enabled' or 'adaptive', or any thinking tokens recorded) and known thinking tokens; rows whose thinking tokens are unknown are left out. Each request's visible answer = output_tokens - thinking_tokens (floored at 0). An endpoint is listed when it has at least min_requests thinking requests (endpoint_requests) and the median of their visible answers (median_answer_tokens; for an even count, the mean of the two middle values) is under max_median_answer_tokens. Its requests with thinking tokens are the evidence. Savings per request = thinking tokens (at most its output tokens) x rate_output x multiplier / 1,000,000, where rate_output is the row's output rate in USD per million tokens on its date and multiplier the product of its batch (0.5), US-only (1.1) and regional-endpoint (1.1) factors; each evidence row groups one output rate and multiplier, so its savings = thinking_tokens x rate_output x multiplier / 1,000,000. Assumptions, which make this an estimate: with thinking off the visible answer keeps its length and is good enough, and no other cost changes. Thinking tokens are taken from the response's usage when logged, else from the thinking text at 4 characters per token. The finding 'extended thinking over budget' acts on the same thinking tokens, so the two standalone figures can overlap; the stacked total applies that cap first and this finding only to the thinking cost left after it, so no thinking token is saved twice."""
--- */
WITH thinking AS (
    SELECT *,
        greatest(coalesce(output_tokens, 0) - thinking_tokens, 0) AS answer_tokens
    FROM priced_usage
    WHERE in_findings AND priced
      AND granularity = 'request'
      AND (thinking_type IN ('enabled', 'adaptive') OR coalesce(thinking_tokens, 0) > 0)
      AND thinking_tokens IS NOT NULL
),
endpoints AS (
    SELECT *,
        count(*) OVER w AS endpoint_requests,
        median(answer_tokens) OVER w AS median_answer_tokens
    FROM thinking
    WINDOW w AS (PARTITION BY workspace, api_key_id, project, model)
)
SELECT record_id, platform, workspace, api_key_id, project, model, thinking_type,
    endpoint_requests, median_answer_tokens,
    coalesce(requests, 1) AS requests, output_tokens, thinking_tokens, answer_tokens,
    rate_output, multiplier, cost,
    CAST(least(thinking_tokens, coalesce(output_tokens, 0)) * rate_output * multiplier * 0.000001
         AS DECIMAL(38, 12)) AS savings
FROM endpoints
WHERE endpoint_requests >= $min_requests
  AND median_answer_tokens < $max_median_answer_tokens
  AND thinking_tokens > 0
ORDER BY record_id
