"""The live feed source: one `kind = "feed"` [[sources]] entry, polled with its remembered state.

Sequences one poll: fetch (fetch.py, the only I/O), parse (feedformat), decide what to
remember (polling), and yield one Collected per item for the app to ingest. It never raises
for a bad feed or server: a failure becomes one Collected carrying the FetchError or
FeedParseError, and the new SourceState records it (backoff, last error, disabled on 410).
Whatever happens, `state` holds what to persist and `outcome` a short text for the logs.
httpx appears only as the injected client's type: the daemon shares one client (one
connection pool) between sources.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import httpx

from aggregator.config import SourceConfig
from aggregator.errors import FeedParseError
from aggregator.records import FeedItem, SourceState
from aggregator.sources import Collected, Progress
from aggregator.sources.feedformat import parse_feed
from aggregator.sources.fetch import Fetched, FetchFailed, NotModified, fetch_feed
from aggregator.sources.polling import (
    GONE_ERROR,
    after_failure,
    after_gone,
    after_not_modified,
    after_success,
)

log = logging.getLogger(__name__)

MIB = 1024 * 1024
DEADLINE_TIMEOUTS = 3  # a whole fetch (redirects, a trickling body) may take this many timeouts


class FeedSource:
    """A live RSS/Atom feed: its items, fetched only when the server says they changed."""

    def __init__(
        self,
        cfg: SourceConfig,
        state: SourceState | None,
        client: httpx.Client,
        *,
        now: datetime,
        jitter: float = 0.0,
        max_bytes: int | None = None,
    ) -> None:
        if cfg.url is None:
            raise ValueError(f"source {cfg.name}: a feed source needs a url")
        self.name = cfg.name
        self.state = (
            state
            if state is not None
            else SourceState(name=cfg.name, url=cfg.url, configured_url=cfg.url)
        )
        self.outcome = "not polled"
        self._cfg = cfg
        self._client = client
        self._now = now
        self._jitter = jitter
        self._max_bytes = max_bytes if max_bytes is not None else cfg.max_mb * MIB

    @property
    def url(self) -> str:
        """Where the feed is fetched from: the configured URL, unless a 301 moved it."""
        return self.state.url or self._cfg.url or ""

    def collect(
        self, *, stamp_of: Callable[[str], str | None], progress: Progress | None = None
    ) -> Iterator[Collected]:
        """Yield each item of the feed, loaded only if its stamp changed; or one failure.

        A disabled source yields nothing and fetches nothing; a 304 yields nothing. The new
        state is set once everything is yielded, so a caller that stops early polls again.
        """
        if self.state.disabled:
            self.outcome = "disabled"
            return
        url = self.url
        result = fetch_feed(
            self._client,
            url,
            source=self.name,
            etag=self.state.etag,
            last_modified=self.state.last_modified,
            max_bytes=self._max_bytes,
            timeout_s=self._cfg.timeout.total_seconds(),
            deadline_s=DEADLINE_TIMEOUTS * self._cfg.timeout.total_seconds(),
        )
        if isinstance(result, FetchFailed):
            yield self._failed(result)
        elif isinstance(result, NotModified):
            self._moved(result.permanent_url)
            self.state = after_not_modified(
                self.state,
                now=self._now,
                interval=self._cfg.interval,
                jitter=self._jitter,
                etag=result.etag,
                last_modified=result.last_modified,
                permanent_url=result.permanent_url,
            )
            self.outcome = "304"
        else:
            yield from self._items(result, stamp_of=stamp_of, progress=progress)

    def _items(
        self, fetched: Fetched, *, stamp_of: Callable[[str], str | None], progress: Progress | None
    ) -> Iterator[Collected]:
        try:
            parsed = parse_feed(
                fetched.body, source=self.name, url=fetched.url, content_type=fetched.content_type
            )
        except FeedParseError as exc:
            log.warning("feed.unusable source=%s url=%r reason=%r", self.name, exc.url, exc.reason)
            self.state = self._after_failure(exc.reason)
            self.outcome = exc.reason
            yield Collected(origin=self.url, stamp="", doc=exc)
            return
        for warning in parsed.warnings:
            log.warning("feed.degraded source=%s url=%r reason=%r", self.name, fetched.url, warning)
        for done, item in enumerate(parsed.items, start=1):
            yield self._collected(item, stamp_of)
            if progress is not None:
                progress(done, len(parsed.items))
        self._moved(fetched.permanent_url)
        self.state = after_success(
            self.state,
            now=self._now,
            interval=self._cfg.interval,
            jitter=self._jitter,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
            permanent_url=fetched.permanent_url,
        )
        self.outcome = f"{fetched.status} {len(parsed.items)} items"

    def _collected(self, item: FeedItem, stamp_of: Callable[[str], str | None]) -> Collected:
        # The source's name in front: two feeds carrying one guid never share an input.
        origin = f"{self.name}:{item.guid or item.link}"
        stamp = item_stamp(item)
        doc = None if stamp_of(origin) == stamp else item
        return Collected(origin=origin, stamp=stamp, doc=doc)

    def _failed(self, failed: FetchFailed) -> Collected:
        error = failed.error
        if failed.is_gone:
            self.state = after_gone(self.state, now=self._now)
            self.outcome = f"{error.reason} (disabled)"
            log.warning(
                "feed.disabled source=%s url=%r reason=%r", self.name, error.url, GONE_ERROR
            )
        else:
            self.state = self._after_failure(error.reason, failed.retry_after)
            self.outcome = error.reason
        return Collected(origin=self.url, stamp="", doc=error)

    def _after_failure(self, reason: str, retry_after: timedelta | None = None) -> SourceState:
        return after_failure(
            self.state,
            now=self._now,
            interval=self._cfg.interval,
            jitter=self._jitter,
            reason=reason,
            retry_after=retry_after,
        )

    def _moved(self, permanent_url: str | None) -> None:
        if permanent_url is not None and permanent_url != self.url:
            log.info("feed.moved source=%s from=%r to=%r", self.name, self.url, permanent_url)


def item_stamp(item: FeedItem) -> str:
    """What tells a feed item changed: a digest of its title, body, date and link."""
    published = item.published.isoformat() if item.published else ""
    text = "\n".join((item.title, item.html, published, item.link))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
