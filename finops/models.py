"""Model identity: map the many spellings of a Claude model id to one canonical, dateless id."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

_PROVIDER_PREFIX = re.compile(r"^(?:anthropic/|bedrock/(?:converse/|invoke/)?|vertex_ai/|vertex/|aws/)+")
_ARN = re.compile(r"^arn:aws[\w-]*:bedrock:(?P<region>[\w-]*):\d*:(?:[\w-]+)/(?P<id>.+)$")
_GEO_PROFILE = re.compile(r"^(?P<geo>global|us|eu|apac|jp|au|us-gov|in|ca)\.(?=anthropic\.)")
_VERSION_SUFFIX = re.compile(r"-v\d+(?::\d+)?$")
_DATE_SUFFIX = re.compile(r"-\d{8}$")
_VERTEX_DATE = re.compile(r"@\d{8}$")
# A Vertex AI resource path, short or full; the location is the endpoint ("global", or a region or multi-region).
_VERTEX_PATH = re.compile(r"^(?:projects/[^/]+/locations/(?P<location>[^/]+)/)?publishers/anthropic/models/"
                          r"(?P<id>[^:/]+)(?::[a-z]+)?$", re.IGNORECASE)
# Bedrock's ids of the Claude 2 era carry no date and put the version where later ids have "-v1:0".
_BEDROCK_LEGACY = {"claude-v2": "claude-2-0", "claude-v2:1": "claude-2-1", "claude-instant-v1": "claude-instant-1"}

# Older or alternative spellings of the same model.
_ALIASES = {
    "claude-opus-4-0": "claude-opus-4",
    "claude-sonnet-4-0": "claude-sonnet-4",
    "claude-4-opus": "claude-opus-4",
    "claude-4-sonnet": "claude-sonnet-4",
    "claude-opus-4-1-0": "claude-opus-4-1",
    "claude-haiku-3": "claude-3-haiku",
    "claude-haiku-3-5": "claude-3-5-haiku",
    "claude-opus-3": "claude-3-opus",
    "claude-sonnet-3-7": "claude-3-7-sonnet",
    "claude-sonnet-3-5": "claude-3-5-sonnet",
    "claude-3-5-sonnet-v2": "claude-3-5-sonnet",  # Vertex's id of the 2024-10-22 snapshot
    "claude-sonnet-3": "claude-3-sonnet",
    "claude-instant-1-1": "claude-instant-1",
    "claude-instant-1-2": "claude-instant-1",
}


@dataclass(frozen=True)
class ModelId:
    """What a raw model string says: the canonical model (None if unknown) and the platform it implies."""

    model: str | None
    platform: str | None  # anthropic | bedrock | vertex, when the id itself tells
    endpoint_scope: str | None  # global | regional, when the id itself tells (Bedrock profiles)
    region: str | None


@cache
def known_models() -> frozenset[str]:
    """The canonical ids in the shipped model table."""
    text = files("finops").joinpath("data/models.csv").read_text(encoding="utf-8")
    return frozenset(row["model"] for row in csv.DictReader(text.splitlines()))


@cache
def resolve(raw: str | None) -> ModelId:
    """Resolve a raw model string (1P id, alias, Bedrock id/ARN, Vertex id, display name) to a ModelId."""
    if not raw:
        return ModelId(None, None, None, None)
    s = raw.strip().lower()
    platform: str | None = None
    scope: str | None = None
    region: str | None = None
    if s.startswith("bedrock/"):
        platform = "bedrock"
    elif s.startswith(("vertex_ai/", "vertex/")):
        platform = "vertex"
    s = _PROVIDER_PREFIX.sub("", s)
    vertex = _VERTEX_PATH.match(s)
    if vertex:
        platform, s = "vertex", vertex["id"]
        location = (vertex["location"] or "").lower()
        if location == "global":
            scope = "global"
        elif location:
            scope, region = "regional", location
    arn = _ARN.match(s)
    if arn:
        platform, region, s = "bedrock", arn["region"] or None, arn["id"]
    geo = _GEO_PROFILE.match(s)
    if geo:
        platform = "bedrock"
        scope = "global" if geo["geo"] == "global" else "regional"
        s = s[geo.end() :]
    if s.startswith("anthropic."):
        platform = "bedrock"
        scope = scope or "regional"  # an in-region base model id
        s = s[len("anthropic.") :]
        s = _BEDROCK_LEGACY.get(s, s)
    if "@" in s:
        platform = platform or "vertex"
        s = _VERTEX_DATE.sub("", s).split("@", 1)[0]
    s = s.replace("[1m]", "").removesuffix("-latest")
    s = _VERSION_SUFFIX.sub("", s)
    s = _DATE_SUFFIX.sub("", s)
    # Display names ("Claude Opus 4.6") and snake-case ids ("claude_opus_4_7").
    s = re.sub(r"[\s_.]+", "-", s)
    s = _ALIASES.get(s, s)
    model = s if s in known_models() else None
    return ModelId(model, platform, scope, region)
