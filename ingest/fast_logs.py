"""The fast path for request/response logs with bodies (ingest/anthropic_log.py): the reference reader, with its
costly step, the prompt fingerprints, computed the same way from text written by orjson instead of json.dumps.

The reference (request_features.prompt_columns) writes tools and system twice with json.dumps (sorted keys, no
ASCII escapes, compact), the messages once more, walks every value to drop `cache_control` keys first, and writes
the whole request once again to see whether it names `cache_control`. That is four times the request's text per
line. Here each part (tools, system, each message, the rest of the request) is written once, with orjson, and the
texts that are hashed are put together from the parts, byte for byte those of the reference:

- A JSON object written with sorted keys and no spaces is `{"k1":v1,"k2":v2}` and a list `[a,b]`: so the prefix
  `{"messages":[m1,...],"system":S,"tools":T}` is the parts joined, whatever they hold.
- orjson writes every string as json.dumps(ensure_ascii=False) does (checked for every code point,
  tests/test_fast_readers.py), sorts keys in the same order (code point order is UTF-8 byte order), and writes
  integers, true, false and null alike. It differs on: lone surrogates, integers beyond 64 bits and nesting beyond
  255 levels (it raises: that line is done by the reference); floats in exponent form, infinities and NaN (the
  parse hook below notes them: that line is done by the reference).
- The `cache_control` keys are dropped only from a part whose text names `"cache_control"` (a part without it
  has no such key), and the request asks for caching exactly when one part's text, before dropping, names it
  (json.dumps and orjson escape alike, so the words appear in one text when they appear in the other).
"""

from __future__ import annotations

import hashlib
import json
import json.decoder
from typing import Any

import orjson

from .request_features import _strip_cache_control, prompt_columns

_SORTED = orjson.OPT_SORT_KEYS
_MARK = b'"cache_control"'
# What json.loads gives for the constants it accepts (the same objects, as the reference holds them)
_CONSTANTS = {"-Infinity": json.decoder.NegInf, "Infinity": json.decoder.PosInf, "NaN": json.decoder.NaN}


class _Floats:
    """Whether the line parsed last holds a float that orjson would write differently from json.dumps."""

    differ = False


def _float(literal: str) -> float:
    value = float(literal)  # what json.loads makes of a float literal (PyFloat_FromString)
    written = repr(value)  # json.dumps writes float.__repr__: orjson agrees except in exponent form, inf, nan
    if "e" in written or "n" in written:
        _Floats.differ = True
    return value


def _constant(name: str) -> float:
    _Floats.differ = True
    return _CONSTANTS[name]


_DECODER = json.JSONDecoder(parse_float=_float, parse_constant=_constant)


def loads(line: str) -> Any:
    """json.loads(line), the same value (one frame deep, as json.loads is, so that nesting fails where it fails)."""
    _Floats.differ = False
    if line.startswith("\ufeff"):  # as json.loads (decode() drops a BOM, so this does not happen)
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", line, 0)
    return _DECODER.decode(line)


def _part(value: Any) -> tuple[bytes, bool]:
    """A part's canonical text (sorted keys, no cache_control keys) and whether it named cache_control before."""
    raw = orjson.dumps(value, option=_SORTED)
    if _MARK in raw:
        return orjson.dumps(_strip_cache_control(value), option=_SORTED), True
    return raw, False


def _chars(text: bytes) -> int:
    """Characters (code points) in UTF-8 text, as len() of the reference's str."""
    return len(text) if text.isascii() else len(text.decode("utf-8"))


def prompt_columns_fast(request: dict[str, Any], tools: list[Any], messages: list[Any]) -> dict[str, Any]:
    """request_features.prompt_columns, the same values; the reference computes them when orjson cannot."""
    if _Floats.differ:
        return prompt_columns(request, tools, messages)
    try:
        system, marked = _part(request.get("system"))
        tool_text, marked_tools = _part(tools)
        parts = [_part(m) for m in messages]
        # The rest of the request (and any tools or messages that are not lists) only for the caching flag
        rest = {k: v for k, v in request.items()
                if k != "system" and not (k in ("tools", "messages") and isinstance(v, list))}
        marked = marked or marked_tools or any(m for _, m in parts) or _MARK in orjson.dumps(rest)
    except TypeError:  # orjson.JSONEncodeError: a lone surrogate, an integer beyond 64 bits, deep nesting
        return prompt_columns(request, tools, messages)
    # The texts are hashed in pieces (not joined into one more copy): head is {"system":S,"tools":T}, prefix is
    # {"messages":[m1,...,mn-1],"system":S,"tools":T}.
    messages_text = b",".join([p for p, _ in parts[:-1]])
    tail = b',"tools":' + tool_text + b"}"
    head = hashlib.sha256(b'{"system":')
    head.update(system)
    head.update(tail)
    prefix = hashlib.sha256(b'{"messages":[')
    prefix.update(messages_text)
    prefix.update(b'],"system":')
    prefix.update(system)
    prefix.update(tail)
    prefix_chars = 13 + _chars(messages_text) + 11 + _chars(system) + _chars(tail)  # the two constants' lengths
    return {
        "system_fingerprint": head.hexdigest()[:24],
        "prefix_fingerprint": prefix.hexdigest()[:24],
        "prefix_chars": prefix_chars,
        "prompt_chars": prefix_chars + (_chars(parts[-1][0]) + 2 if parts else 2),  # "[last]" or "[]"
        "cache_control": marked,
    }
