"""Mask secrets and personal data before they reach the table: reports only ever see the masked form."""

from __future__ import annotations

import re

_API_KEY = re.compile(r"sk-ant-[A-Za-z0-9_\-]{8,}")
_BEARER = re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/\-]{8,}=*")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")


def _mask(secret: str, keep_prefix: int) -> str:
    if len(secret) <= keep_prefix + 4:
        return secret[:2] + "…"
    return f"{secret[:keep_prefix]}…{secret[-4:]}"


def mask(text: str | None) -> str | None:
    """Replace API keys, bearer tokens and email addresses with a short prefix and their last 4 characters."""
    if not text:
        return text
    if "sk-ant-" in text:
        text = _API_KEY.sub(lambda m: _mask(m.group(0), 10), text)
    if "earer" in text:
        text = _BEARER.sub(lambda m: "Bearer " + _mask(m.group(0).split()[-1], 4), text)
    if "@" in text:
        text = _EMAIL.sub(lambda m: _mask(m.group(0), 2), text)
    return text
