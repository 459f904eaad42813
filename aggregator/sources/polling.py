"""Decide what a live source remembers after each poll, and when it is next due.

Owns the polling policy of issue #4: validators kept for conditional GETs, exponential backoff
with jitter and a cap after failures, Retry-After honoured, 410 Gone disabling the source, a
permanent redirect moving its URL. Like reader's Decider, it does not interact with any
dependencies, only processes data: it is handed `now`, and its randomness as a `jitter` number
in [-1, 1], so every decision is reproducible in tests. Standard library only.

Delays: a success polls again after `interval`; the n-th failure in a row after
`interval * 2**(n-1)`, capped at MAX_BACKOFF (or at `interval`, if that is longer). Jitter
moves either by up to JITTER_SHARE of itself, and never past the cap. A Retry-After is a
floor under the failure delay, itself capped at MAX_RETRY_AFTER so that a bogus value cannot
silence a source for good.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from aggregator.config import SourceConfig
from aggregator.records import SourceState

MAX_BACKOFF = timedelta(hours=6)
MAX_RETRY_AFTER = timedelta(days=1)
JITTER_SHARE = 0.1
# Past this many failures the doubling has long reached any cap; stop before floats overflow.
MAX_DOUBLINGS = 64
GONE_ERROR = "410 Gone: source disabled"


def is_due(state: SourceState, now: datetime) -> bool:
    """Whether the source should be polled at `now`: enabled, and its next poll time reached."""
    return not state.disabled and (state.next_due is None or state.next_due <= now)


def backoff_delay(interval: timedelta, failures: int) -> timedelta:
    """The wait after `failures` failures in a row: doubling from `interval`, capped."""
    if failures <= 1:
        return interval
    ceiling = _ceiling(interval)
    doubled_s = interval.total_seconds() * 2.0 ** min(failures - 1, MAX_DOUBLINGS)
    # Compare as floats: a timedelta of 2**64 intervals would overflow.
    return ceiling if doubled_s >= ceiling.total_seconds() else timedelta(seconds=doubled_s)


def jittered(delay: timedelta, jitter: float) -> timedelta:
    """`delay` moved by up to JITTER_SHARE of itself; `jitter` in [-1, 1] (clamped) says where."""
    share = JITTER_SHARE * max(-1.0, min(1.0, jitter))
    return delay * (1.0 + share)


def after_success(
    state: SourceState,
    *,
    now: datetime,
    interval: timedelta,
    jitter: float,
    etag: str | None,
    last_modified: str | None,
    permanent_url: str | None = None,
) -> SourceState:
    """The state after a fetched and parsed feed: its validators stored, failures forgotten."""
    return replace(
        state,
        url=permanent_url or state.url,
        etag=etag,
        last_modified=last_modified,
        last_success=now,
        last_error=None,
        last_error_at=None,
        failures=0,
        next_due=now + jittered(interval, jitter),
    )


def after_not_modified(
    state: SourceState,
    *,
    now: datetime,
    interval: timedelta,
    jitter: float,
    etag: str | None,
    last_modified: str | None,
    permanent_url: str | None = None,
) -> SourceState:
    """The state after a 304: a success; validators the answer repeats or renews are kept."""
    return after_success(
        state,
        now=now,
        interval=interval,
        jitter=jitter,
        etag=etag or state.etag,
        last_modified=last_modified or state.last_modified,
        permanent_url=permanent_url,
    )


def after_failure(
    state: SourceState,
    *,
    now: datetime,
    interval: timedelta,
    jitter: float,
    reason: str,
    retry_after: timedelta | None = None,
) -> SourceState:
    """The state after a failed poll: backed off, validators and URL left as they were."""
    failures = state.failures + 1
    return replace(
        state,
        last_error=reason,
        last_error_at=now,
        failures=failures,
        next_due=now + retry_delay(interval, failures, jitter=jitter, retry_after=retry_after),
    )


def retry_delay(
    interval: timedelta, failures: int, *, jitter: float, retry_after: timedelta | None = None
) -> timedelta:
    """How long to wait after the `failures`-th failure in a row (see the module docstring)."""
    delay = min(jittered(backoff_delay(interval, failures), jitter), _ceiling(interval))
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay


def after_gone(state: SourceState, *, now: datetime) -> SourceState:
    """The state after a 410 Gone: disabled until someone re-enables it, and saying so."""
    return replace(
        state,
        disabled=True,
        last_error=GONE_ERROR,
        last_error_at=now,
        failures=state.failures + 1,
        next_due=None,
    )


def _ceiling(interval: timedelta) -> timedelta:
    # A source polled less often than MAX_BACKOFF is never retried sooner than its interval.
    return max(MAX_BACKOFF, interval)


def current_state(stored: SourceState | None, source: SourceConfig) -> SourceState:
    """The remembered state, unless the configured URL changed: then the source starts afresh
    (a 301-moved URL, a 410 disable and old validators belong to the old URL)."""
    if stored is not None and stored.configured_url == source.url:
        return stored
    return SourceState(name=source.name, url=source.url, configured_url=source.url)
