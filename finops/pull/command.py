"""`finops pull anthropic`: the click command, the progress bars, and the lines printed at the end."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from finops import names

from .client import AdminClient, PullError, Secret
from .endpoints import ANTHROPIC, WIDTHS, Endpoint
from .run import Plan, Puller, check_widths, default_since, output_folder, parse_day

DEFAULT_BASE_URL = "https://api.anthropic.com"
BACKOFF_ENV = "FINOPS_PULL_BACKOFF"  # the first retry's base delay in seconds (default 1)


@click.group()
def pull() -> None:
    """Fetch usage and cost data from a provider's API into files that `finops analyze` reads."""


@pull.command("anthropic")
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("exports/anthropic"), show_default=True,
              help="Folder for the pages: one folder per endpoint and month, one file per page.")
@click.option("--since", metavar="YYYY-MM-DD",
              help="First day to fetch (UTC). Default: the day after the last complete bucket already saved. "
                   "Days already saved are never fetched again.")
@click.option("--until", metavar="YYYY-MM-DD",
              help="Day after the last one to fetch (exclusive). Default: today (only ended buckets are fetched).")
@click.option("--bucket-width", type=click.Choice(WIDTHS), default="1d", show_default=True,
              help="Bucket width of the usage reports (the cost report has daily buckets only).")
@click.option("--admin-key-env", default="ANTHROPIC_ADMIN_KEY", show_default=True, metavar="NAME",
              help="Environment variable that holds the Admin API key (the key is never taken as an option).")
@click.option("--base-url", default=DEFAULT_BASE_URL, show_default=True,
              help="API root, for a proxy or a test server.")
@click.option("--timeout", type=click.FloatRange(min=0.01), default=60.0, show_default=True,
              help="Seconds to wait for a connection or for the next bytes of an answer.")
@click.option("--tries", type=click.IntRange(min=1, max=20), default=6, show_default=True,
              help="Most requests for one page (429, 5xx, timeouts and cut-off answers are retried).")
@click.option("--quiet", is_flag=True, help="No progress bars and no retry notices; only the summary lines.")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def anthropic(out_dir: Path, since: str | None, until: str | None, bucket_width: str, admin_key_env: str,
              base_url: str, timeout: float, tries: int, quiet: bool, debug: bool) -> None:
    """Fetch the usage report, cost report, Usage and Cost Analytics, Claude Code report, workspaces and API
    keys from Anthropic's Admin API, saving every page as received.

    The key is read from ANTHROPIC_ADMIN_KEY (or --admin-key-env NAME). Run the same command again (daily, from
    cron) and it fetches only what is missing.

    \b
    Example:
        export ANTHROPIC_ADMIN_KEY=sk-ant-admin01-...
        finops pull anthropic --since 2026-11-01 -o exports/anthropic/
        finops analyze exports/ -o report/
    """
    key = os.environ.get(admin_key_env, "").strip()
    if not key:
        raise PullError(f"set {admin_key_env} to an Admin API key (sk-ant-admin01…): finops reads the key "
                        "from the environment only")
    if not (key.isascii() and key.isprintable()) or any(c.isspace() for c in key):
        # httpx cannot send it (non-ASCII) or h11 refuses it quoting the whole value: say so without the key
        raise PullError(f"{admin_key_env} holds a character no API key has (a space, a control or non-ASCII "
                        "character): copy the key again")
    _check_base_url(base_url)
    secret = Secret(key)
    try:
        now = datetime.now(UTC).replace(tzinfo=None)
        store = output_folder(out_dir)
        check_widths(store, ANTHROPIC, bucket_width)
        start = parse_day(since, "--since") if since else default_since(store, ANTHROPIC)
        if start is None:
            raise PullError(f"nothing pulled into {out_dir} yet: give the first day, e.g. --since "
                            f"{now.strftime('%Y-%m')}-01")
        end = parse_day(until, "--until") if until else None
        if since and end is not None and end <= start:  # (a default start at or past the end: up to date)
            raise PullError(f"--until {until} is not after the first day to fetch ({start.date()})")
        plan = Plan(since=start, now=now, until=end, width=bucket_width)
        outcomes = _run(secret, base_url, timeout, tries, store, plan, quiet)
    except PullError as e:
        raise PullError(secret.hide(str(e))) from None
    for outcome in outcomes:
        click.echo(secret.hide(outcome.line()))
    names_file = out_dir / names.NAMES_FILE
    if any(o.endpoint.kind == "list" and o.status == "saved" for o in outcomes) and names_file.is_file():
        click.echo(f"names of workspaces and API keys: {names_file} (finops analyze applies it)")
    # Only the required endpoints decide the exit code: `pull && analyze` then runs on complete core data, and an
    # optional endpoint that failed (reported above) is fetched by the next run.
    failed = [o.endpoint.name for o in outcomes if o.failed and o.endpoint.required]
    if failed:
        raise PullError(f"{', '.join(failed)} not complete: run the same command again to fetch what is missing")


def _check_base_url(url: str) -> None:
    """https, or plain http to this machine only: the admin key must not cross a network unencrypted."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        parts = urlsplit("")
    local = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and local) or not parts.hostname:
        raise click.BadParameter(f"{url!r}: give an https URL (plain http only to localhost, as the key would "
                                 f"cross the network unencrypted), e.g. {DEFAULT_BASE_URL}", param_hint="--base-url")


def _run(secret: Secret, base_url: str, timeout: float, tries: int, store: Any, plan: Plan, quiet: bool) -> list:
    bars = _Bars(enabled=not quiet)
    retry = None if quiet else (lambda text: click.echo(secret.hide(text), err=True))
    with AdminClient(base_url, secret, timeout=timeout, tries=tries, backoff=_backoff(), on_retry=retry) as client, \
            bars:
        return Puller(client, store, plan, on_plan=bars.plan, on_page=bars.page).run(ANTHROPIC)


def _backoff() -> float:
    text = os.environ.get(BACKOFF_ENV, "")
    try:
        return max(0.0, float(text)) if text else 1.0
    except ValueError:
        raise PullError(f"{BACKOFF_ENV}={text!r}: give the first retry's delay in seconds, e.g. 1") from None


class _Bars:
    """One progress bar per endpoint on stderr, on a terminal only (never in CI or with --quiet)."""

    def __init__(self, enabled: bool) -> None:
        from rich.console import Console

        err = Console(stderr=True)
        self.enabled = enabled and err.is_terminal and not os.environ.get("CI")
        self._console = err
        self._bar: Any = None
        self._tasks: dict[str, Any] = {}
        self._pages: dict[str, int] = {}

    def __enter__(self) -> _Bars:
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 console=self._console)
            self._bar.start()
        return self

    def __exit__(self, *_: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def plan(self, endpoint: Endpoint, queries: int) -> None:
        if self._bar is not None:
            self._tasks[endpoint.name] = self._bar.add_task(endpoint.name, total=max(queries, 1) if queries else 1,
                                                            completed=0 if queries else 1)

    def page(self, endpoint: Endpoint, query_done: bool) -> None:
        if self._bar is None or endpoint.name not in self._tasks:
            return
        task = self._tasks[endpoint.name]
        if query_done:
            self._bar.advance(task)
        else:
            self._pages[endpoint.name] = self._pages.get(endpoint.name, 0) + 1
            pages = self._pages[endpoint.name]
            self._bar.update(task, description=f"{endpoint.name} ({pages} page{'' if pages == 1 else 's'})")
