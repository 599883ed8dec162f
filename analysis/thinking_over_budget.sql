/* ---
id = "thinking_over_budget"
title = "Extended thinking over budget"
confidence = "measured"
stage = "thinking"
evidence_by = ["workspace", "api_key_id", "project", "model", "thinking_budget", "rate_output", "multiplier"]
evidence_sum = ["thinking_tokens", "tokens_over_cap"]
params = { cap_tokens = 4000 }  # thinking tokens per request
recommendation = "Lower the thinking budget (budget_tokens) of these endpoints to the cap, or switch them to adaptive thinking with a lower effort: quality rarely improves beyond 2,000-4,000 thinking tokens. Re-run the endpoint's evaluation set at the lower budget before rolling it out."
method = """Request-level rows with extended thinking (thinking type 'enabled' or 'adaptive', or any thinking tokens recorded) whose thinking budget (budget_tokens from the request) or thinking tokens exceed cap_tokens. Thinking tokens come from the response's output_tokens_details.thinking_tokens when logged; otherwise from the thinking text in the response at 4 characters per token, and such rows mark the finding as estimated. Thinking tokens are billed as output tokens. Savings per row = tokens_over_cap x rate_output x multiplier / 1,000,000, where tokens_over_cap = the row's thinking tokens (at most its output tokens, of which they are a part) minus cap_tokens, floored at 0; rate_output is the row's output rate in USD per million tokens on its date (the effective rate, negotiated where configured) and multiplier the product of its batch (0.5), US-only (1.1) and regional-endpoint (1.1) factors. It assumes that with a budget of cap_tokens the model would have stopped thinking at the cap and written the same answer. Rows whose budget exceeds the cap but whose thinking tokens are unknown are listed with savings $0. Each evidence row groups one budget, output rate and multiplier, so its savings = tokens_over_cap x rate_output x multiplier / 1,000,000. This finding and 'thinking enabled for short answers' act on the same thinking tokens; the stacked total applies this cap first and the other finding only to the thinking cost that remains, so the two are never counted twice."""
--- */
WITH rows AS (
    SELECT *,
        least(thinking_tokens, coalesce(output_tokens, 0)) AS billed_thinking
    FROM priced_usage
    WHERE in_findings AND priced
      AND granularity = 'request'
      AND (thinking_type IN ('enabled', 'adaptive') OR coalesce(thinking_tokens, 0) > 0)
      AND (thinking_budget > $cap_tokens OR thinking_tokens > $cap_tokens)
)
SELECT record_id, platform, workspace, api_key_id, project, model, thinking_type, thinking_budget,
    coalesce(requests, 1) AS requests, output_tokens, thinking_tokens,
    coalesce(greatest(billed_thinking - $cap_tokens, 0), 0) AS tokens_over_cap,
    rate_output, multiplier, cost,
    CAST(coalesce(greatest(billed_thinking - $cap_tokens, 0), 0) * rate_output * multiplier * 0.000001
         AS DECIMAL(38, 12)) AS savings,
    thinking_tokens IS NOT NULL AND coalesce(thinking_estimated, false) AS estimated
FROM rows
ORDER BY record_id
