"""Where Claude usage was bought: the `platform` of a usage or bill row.

The Anthropic API, Amazon Bedrock and Google Vertex AI are the platforms of the logs and of the clouds' bills. A
FOCUS export from any other host (Microsoft Foundry, Snowflake, Databricks, Oracle, a reseller) is Claude bought
through that host: other money than the organisation's own Anthropic API traffic, so it is its own platform, never
summed or deduplicated against the Anthropic sources. Such hosts are priced at the Anthropic API's list rates (the
rates they resell at; their own bill states what they charged), and they reconcile on their own.
"""

from __future__ import annotations

import re

# Hosts that resell Claude through their own bills, each a platform of its own; "other" is any further host.
HOSTS = {"microsoft": "Microsoft Foundry", "snowflake": "Snowflake", "databricks": "Databricks",
         "oracle": "Oracle Cloud", "other": "Other host"}
PLATFORMS = ("anthropic", "bedrock", "vertex", *HOSTS)
PLATFORM_LABEL = {"anthropic": "Anthropic API", "bedrock": "Amazon Bedrock", "vertex": "Google Vertex AI", **HOSTS}
# Who sells the platform's Claude usage: the vendor a commitment is made with.
VENDOR = {"anthropic": "Anthropic", "bedrock": "AWS", "vertex": "Google Cloud", "microsoft": "Microsoft",
          "snowflake": "Snowflake", "databricks": "Databricks", "oracle": "Oracle", "other": "Other host"}
_HOST_WORDS = (("amazon", "bedrock"), ("aws", "bedrock"), ("google", "vertex"), ("anthropic", "anthropic"),
               ("microsoft", "microsoft"), ("azure", "microsoft"), ("snowflake", "snowflake"),
               ("databricks", "databricks"), ("oracle", "oracle"), ("oci", "oracle"))


def host_platform(name: str) -> str | None:
    """The platform of a host or provider name as a FOCUS file writes it; None when the name is empty. Anthropic's
    own FOCUS export is the Anthropic API (the same money as its usage and cost reports)."""
    words = re.findall(r"[a-z0-9]+", name.lower())
    if not words:
        return None
    for word, platform in _HOST_WORDS:
        if word in words:
            return platform
    return "other"
