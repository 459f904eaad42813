"""The daemon's use cases: poll one source, ingest and publish it, report health and status.

A Runtime lives as long as `aggregator run`. Polls of different sources run at the same time
(network I/O, file reads); ingesting and publishing take one lock, so the store's stories and
the feed files have a single writer. Each ingest opens the story index over the store
(aggregator.app.ingest.open_index), which holds only the articles around the new ones. A poll
never raises for a bad source: the failure is recorded in the source's state (backoff, last
error) and logged with the source's name.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import httpx

from aggregator.app.ingest import IngestStats, decide_pending, ingest_collected, open_index
from aggregator.app.publishing import publish
from aggregator.app.usecases import opened_store
from aggregator.config import Config, SourceConfig
from aggregator.errors import SourceError
from aggregator.records import SourceState
from aggregator.sources import Collected
from aggregator.sources.feeds import FeedSource
from aggregator.sources.fetch import make_client
from aggregator.sources.polling import current_state, is_due
from aggregator.sources.seeds import SeedFolder
from aggregator.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class PollResult:
    source: str
    outcome: str  # "200 12 items", "304", "HTTP 503", "not due", "12 files" ...
    new: int = 0
    updated: int = 0
    skipped: int = 0
    published: bool = False
    seconds: float = 0.0


class Runtime:
    """Long-lived state of a running daemon."""

    def __init__(self, cfg: Config, *, client: httpx.Client | None = None) -> None:
        self.cfg = cfg
        self.client = client if client is not None else make_client()
        self.stopping = threading.Event()
        self._write_lock = threading.Lock()
        self._states: dict[str, SourceState] = {}
        self._states_lock = threading.Lock()

    def close(self) -> None:
        self.client.close()

    def start(self, *, now: datetime | None = None) -> None:
        """Load remembered source states, open the story index, decide what a killed run left
        pending, and publish what is stored."""
        now = now or datetime.now(UTC)
        with opened_store(self.cfg) as store, self._write_lock:
            for state in store.source_states():
                self._remember(state)
            # Now rather than in the first poll: dedup's imports, and deriving its keys again
            # if the store needs it (after an upgrade, or a killed run).
            open_index(store, self.cfg, IngestStats())
            # Articles a killed run stored but did not give a story yet.
            decide_pending(store, self.cfg, stats=IngestStats(), now=now)
            publish(store, self.cfg, now=now)

    def poll(self, source: SourceConfig, *, now: datetime | None = None) -> PollResult:
        """Poll one source: collect its changed inputs, ingest them, publish if anything changed."""
        started = time.monotonic()
        now = now or datetime.now(UTC)
        with opened_store(self.cfg) as store:
            state = current_state(store.get_source_state(source.name), source)
            if source.kind == "feed" and not is_due(state, now):
                self._remember(state)
                return PollResult(source=source.name, outcome="not due")
            collected, new_state, outcome = self._collect(store, source, state, now=now)
            result = self._ingest(store, source, collected, new_state, now=now)
        result = replace(result, outcome=outcome, seconds=time.monotonic() - started)
        self._log(result, new_state)
        return result

    def _collect(
        self, store: Store, source: SourceConfig, state: SourceState, *, now: datetime
    ) -> tuple[list[Collected], SourceState, str]:
        """Collect a source's inputs; a failure of the whole source goes into its state only."""
        if source.kind == "seeds":
            assert source.path is not None  # config fills in the default folder
            folder = SeedFolder(source.name, source.path)
            collected = list(folder.collect(stamp_of=store.input_digests().get))
            failure = _source_failure(collected, origin=str(source.path))
            if failure is not None:
                new_state = replace(state, last_error=str(failure), last_error_at=now)
                outcome = failure.reason
            else:
                new_state = replace(state, last_success=now, last_error=None, failures=0)
                outcome = f"{len(collected)} files"
            new_state = replace(new_state, next_due=now + source.interval)
        else:
            feed = FeedSource(source, state, self.client, now=now, jitter=random.uniform(-1.0, 1.0))
            collected = list(feed.collect(stamp_of=store.input_digest))
            failure = _source_failure(collected, origin=feed.url)
            new_state, outcome = feed.state, feed.outcome
        items = [c for c in collected if failure is None or c.doc is not failure]
        return items, new_state, outcome

    def _ingest(
        self,
        store: Store,
        source: SourceConfig,
        collected: list[Collected],
        state: SourceState,
        *,
        now: datetime,
    ) -> PollResult:
        stats = IngestStats()
        with self._write_lock:
            completed = ingest_collected(
                store,
                self.cfg,
                collected,
                via=source.name,
                stats=stats,
                now=now,
                should_stop=self.stopping.is_set,
            )
            if completed:
                # Not when cut short: new validators would turn the next poll into a 304 and
                # lose the items not yet stored.
                with store.transaction():
                    store.put_source_state(state)
            changed = bool(stats.new or stats.updated)
            if changed:
                publish(store, self.cfg, now=now)
        self._remember(state)
        return PollResult(
            source=source.name,
            outcome="",
            new=stats.new,
            updated=stats.updated,
            skipped=len(stats.skipped),
            published=changed,
        )

    def _remember(self, state: SourceState) -> None:
        with self._states_lock:
            self._states[state.name] = state

    def source_states(self) -> dict[str, SourceState]:
        """The latest known state of every source (for /healthz), without touching the store."""
        with self._states_lock:
            return dict(self._states)

    @staticmethod
    def _log(result: PollResult, state: SourceState) -> None:
        if state.last_error and state.last_error_at and result.outcome != "not due":
            log.warning(
                "poll.failed source=%s outcome=%r failures=%d next_due=%s error=%r",
                result.source,
                result.outcome,
                state.failures,
                state.next_due.isoformat() if state.next_due else "-",
                state.last_error,
            )
            return
        log.info(
            "poll.done source=%s outcome=%r new=%d updated=%d skipped=%d published=%s ms=%d",
            result.source,
            result.outcome,
            result.new,
            result.updated,
            result.skipped,
            result.published,
            result.seconds * 1000,
        )


def _source_failure(collected: list[Collected], *, origin: str) -> SourceError | None:
    """The error of the source as a whole (its folder or feed URL), if it failed."""
    for item in collected:
        if item.origin == origin and isinstance(item.doc, SourceError):
            return item.doc
    return None


def health_report(
    cfg: Config, states: dict[str, SourceState], next_polls: dict[str, datetime | None]
) -> dict[str, object]:
    """The /healthz document: each source's last success, last error and next poll."""
    sources: dict[str, object] = {}
    for source in cfg.sources:
        state = states.get(source.name)
        sources[source.name] = {
            "kind": source.kind,
            "last_success": _iso(state.last_success if state else None),
            "last_error": state.last_error if state else None,
            "last_error_at": _iso(state.last_error_at if state else None),
            "failures": state.failures if state else 0,
            "disabled": state.disabled if state else False,
            "next_poll": _iso(next_polls.get(source.name)),
        }
    return {"status": "ok", "sources": sources}


def status_report(cfg: Config) -> str:
    """A table of sources and topics, read from the store (for `aggregator status`)."""
    with opened_store(cfg) as store:
        states = {s.name: s for s in store.source_states()}
        feeds = {f.slug: f for f in store.feed_states()}
    lines = ["SOURCE  KIND  LAST SUCCESS  LAST ERROR  NEXT DUE  BACKOFF"]
    for source in cfg.sources:
        state = states.get(source.name)
        if state is None:
            lines.append(f"{source.name}  {source.kind}  never polled  -  -  -")
            continue
        error = "-"
        if state.last_error:
            error = f"{_short(state.last_error_at)} {state.last_error}"
        backoff = _backoff(state)
        lines.append(
            f"{source.name}  {source.kind}  {_short(state.last_success)}  {error}"
            f"  {_short(state.next_due)}  {backoff}"
        )
    lines.append("")
    lines.append("FEED  ENTRIES  LAST CHANGE")
    slugs = ["all", *(t.slug for t in cfg.topics)]
    for slug in slugs:
        feed = feeds.get(slug)
        if feed is None:
            lines.append(f"{slug}  -  never written")
        else:
            lines.append(f"{slug}  {feed.entries}  {_short(feed.written_at)}")
    return "\n".join(_columns(lines))


def _backoff(state: SourceState) -> str:
    if state.disabled:
        return "disabled"
    if not state.failures:
        return "-"
    return f"{state.failures} failure" + ("s" if state.failures > 1 else "")


def _columns(lines: list[str]) -> list[str]:
    """Align the two-space separated cells of each table block."""
    out: list[str] = []
    block: list[list[str]] = []
    for line in [*lines, ""]:
        if line:
            block.append(line.split("  "))
            continue
        if block:
            widths = [
                max(len(row[i]) for row in block if i < len(row)) for i in range(len(block[0]))
            ]
            out.extend(
                "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)).rstrip()
                for row in block
            )
            block = []
        out.append("")
    return out[:-1]


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat(timespec="seconds")


def _short(value: datetime | None) -> str:
    return "-" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
