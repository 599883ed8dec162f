"""HTTP for the Admin API: headers, timeouts, and retries with exponential backoff and jitter.

The admin key goes into one header and nowhere else: it is never logged, and every message this module raises
passes through `Secret.hide`, which masks it (and any other key) before a user can see it.
"""

from __future__ import annotations

import email.utils
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from finops import __version__
from finops.errors import FinopsError
from finops.redact import mask

if TYPE_CHECKING:
    import httpx

API_VERSION = "2023-06-01"
RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
MAX_BODY = 256 * 2**20  # bytes: the most finops's readers take in one document
MAX_BACKOFF = 60.0  # seconds: the longest wait between tries without a retry-after
MAX_WAIT = 300.0  # seconds: the longest retry-after honoured; past it the try counts as failed
sleep = time.sleep  # module-level so that tests can record the waits instead of sleeping


class PullError(FinopsError):
    """A pull that cannot go on: the message is one line, with the key masked."""


class AccessDenied(PullError):
    """401/403: the key is not an Admin API key, or lacks access to an endpoint."""


class Refused(Exception):
    """A 4xx answer (other than 401, 403, 429) for one endpoint: reported, the rest of the pull goes on."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message


class GaveUp(Exception):
    """Every try failed (429, 5xx, timeouts, broken bodies): this endpoint stops for this run."""


class Secret:
    """The admin key, kept out of every message, repr and log."""

    def __init__(self, value: str) -> None:
        self._value = value

    @property
    def value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({self.masked()!r})"

    def masked(self) -> str:
        v = self._value
        return f"{v[:10]}…{v[-4:]}" if len(v) > 16 else "…"

    def hide(self, text: str) -> str:
        """text with the key (and anything that looks like a key, a token or an email address) masked."""
        if self._value:
            text = text.replace(self._value, self.masked())
        return mask(text) or ""


@dataclass(frozen=True)
class Page:
    """One response as received: the exact bytes, and the parsed JSON object."""

    body: bytes
    data: dict[str, Any]


class AdminClient:
    """GET requests to the Admin API with bounded, jittered retries.

    backoff: the first retry's base delay in seconds (doubled each try, with full jitter); tries: the most
    requests made for one page; timeout: seconds to connect and between bytes of the answer.
    """

    def __init__(self, base_url: str, key: Secret, *, timeout: float = 60.0, tries: int = 6,
                 backoff: float = 1.0, on_retry: Callable[[str], None] | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        import httpx  # here, not at the top: every other finops command starts faster

        self.key = key
        self.tries = max(1, tries)
        self.backoff = backoff
        self.on_retry = on_retry
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"), timeout=httpx.Timeout(timeout, connect=min(timeout, 30.0)),
            headers={"x-api-key": key.value, "anthropic-version": API_VERSION,
                     "user-agent": f"finops/{__version__}", "accept": "application/json"},
            follow_redirects=False, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> AdminClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def get(self, path: str, params: list[tuple[str, str]], beta: str | None = None) -> Page:
        """The page at path with params; retries what can succeed later, raises what cannot."""
        import httpx

        headers = {"anthropic-beta": beta} if beta else {}
        last, made = "", 0
        for attempt in range(self.tries):
            made = attempt + 1
            retry_after = None
            try:
                response, body = self._fetch(path, params, headers)  # a cut-off body raises here
            except httpx.TimeoutException:
                last = "timed out"
            except httpx.RequestError as e:
                last = f"connection failed ({type(e).__name__}: {self.key.hide(str(e))[:200]})"
            else:
                status = response.status_code
                if status == 200:
                    page = _parse(body)
                    if page is not None:
                        if self.key.value and self.key.value.encode() in body:
                            raise PullError(f"{path}: the answer holds the admin key; not saved")
                        return Page(body=body, data=page)
                    last = "answer is not a whole JSON object (cut off?)"
                elif status in (401, 403):
                    raise AccessDenied(self._denied(path, status, body))
                elif status == 410:  # an analytics page cursor that expired: the query must start over
                    raise GaveUp("HTTP 410: the page cursor expired")
                elif status in RETRY_STATUSES:
                    last = f"HTTP {status}"
                    retry_after = _retry_after(response.headers.get("retry-after"))
                else:
                    raise Refused(status, self.key.hide(_error_message(body))[:300])
            if attempt + 1 == self.tries:
                break
            wait = random.uniform(0, min(MAX_BACKOFF, self.backoff * 2 ** attempt))  # full jitter
            if retry_after is not None:
                if retry_after > MAX_WAIT:
                    last += f", retry-after {retry_after:g} s is longer than {MAX_WAIT:g} s"
                    break
                wait = max(wait, retry_after)
            if self.on_retry:
                self.on_retry(f"{path}: {last}; retrying in {wait:.1f} s")
            sleep(wait)
        raise GaveUp(f"{last} ({made} {'try' if made == 1 else 'tries'})")

    def _fetch(self, path: str, params: list[tuple[str, str]],
               headers: dict[str, str]) -> tuple[httpx.Response, bytes]:
        """The response and its whole body, read in chunks so that an endless answer stops at MAX_BODY."""
        with self._http.stream("GET", path, params=params, headers=headers) as response:
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_BODY:
                    raise GaveUp(f"an answer larger than {MAX_BODY // 2**20} MiB: not saved")
                chunks.append(chunk)
        return response, b"".join(chunks)

    def _denied(self, path: str, status: int, body: bytes) -> str:
        detail = self.key.hide(_error_message(body))[:200]
        why = "is not an Admin API key (sk-ant-admin01…)" if status == 401 else "lacks access to"
        where = "" if status == 401 else f" {path}"
        return (f"the Admin API refused the key (HTTP {status}): it {why}{where}"
                + (f" ({detail})" if detail else ""))


def _parse(body: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _error_message(body: bytes) -> str:
    """The API's own message from an error body ({"type": "error", "error": {"message": ...}}), on one line."""
    data = _parse(body)
    error = data.get("error") if data else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        message = error["message"]
    else:
        message = body[:200].decode("utf-8", "replace")
    return " ".join(message.split())


def _retry_after(value: str | None) -> float | None:
    """retry-after in seconds: a number of seconds, or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
