"""Publish: load stories from the store, match topics, render and write every feed."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Protocol, TypeVar

from aggregator import __version__
from aggregator.config import Config
from aggregator.instants import microseconds
from aggregator.publish.render import FeedMeta, render_feeds, render_index, render_opml
from aggregator.publish.write import remove_stale, remove_temp_files, write_atomic
from aggregator.records import (
    FeedState,
    Story,
    StoryId,
    StoryMember,
    StoryState,
    StorySummary,
)
from aggregator.store import Store

log = logging.getLogger(__name__)

ALL_SLUG = "all"
ALL_TITLE = "All stories"
PUBLISH_CONFIG_KEY = "publish.config"  # meta key: digest of the config the topics match
TOPIC_BATCH = 256  # stories whose topics are matched per transaction


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishStats:
    feeds: int
    written: int
    stories: int


def load_stories(store: Store, cfg: Config) -> list[Story]:
    """Every story with its members (earliest first) and its topics."""
    from aggregator.topics import compile_topics  # on first use: see match_changed_stories

    topics = compile_topics(cfg.topics)  # once per publish, not once per story
    stories = [_story(state, rows) for state, rows in store.iter_stories()]
    return [replace(story, topics=topics.match(story)) for story in stories]


def _story(state: StoryState, members: Sequence[StoryMember]) -> Story:
    return Story(
        id=state.id,
        members=tuple(members),
        published=min(m.published for m in members),
        updated=state.updated,
    )


def publish(store: Store, cfg: Config, *, now: datetime) -> PublishStats:
    """Write all.atom, one feed per topic, index.opml and index.html; only what changed.

    Topics are matched again only for stories written since the last publish (all of them when
    the config's topics changed). A feed is rendered again only when its plan changed: the
    config, or the ids and times of its newest entries; otherwise its file is left alone.
    """
    config_key = _config_key(cfg)
    if store.get_meta(PUBLISH_CONFIG_KEY) != config_key:
        with store.transaction():
            store.forget_story_topics()
            store.put_meta(PUBLISH_CONFIG_KEY, config_key)
    match_changed_stories(store, cfg)
    summaries = store.story_summaries()
    feeds = _plan_feeds(store, cfg, summaries, config_key=config_key, now=now)
    out = cfg.output.dir
    # Left by a publish killed mid-write; callers hold the store's lock, so none is in flight.
    remove_temp_files(out)
    written = _write_feeds(store, cfg, [f for f in feeds if not _is_current(f, out)], now=now)
    metas = [feed.meta for feed in feeds]
    write_atomic(out / "index.opml", render_opml(metas, site=cfg.site))
    write_atomic(out / "index.html", render_index(metas, site=cfg.site))
    for path in remove_stale(out, keep={f"{m.slug}.atom" for m in metas}):
        log.info("feed.removed path=%r", str(path))
    return PublishStats(feeds=len(metas), written=written, stories=len(summaries))


@dataclass(frozen=True, slots=True, kw_only=True)
class _Feed:
    """One feed to publish: its entries (newest first), its last publish and its plan."""

    meta: FeedMeta
    entries: list[StorySummary]
    previous: FeedState | None
    plan: str  # _plan(): equal plans render equal files


def _plan_feeds(
    store: Store,
    cfg: Config,
    summaries: Sequence[StorySummary],
    *,
    config_key: str,
    now: datetime,
) -> list[_Feed]:
    """all.atom and each topic's feed, in config order, with their entries and plans."""
    categories = {t.slug: t.title for t in cfg.topics}
    feeds: list[_Feed] = []
    for slug, title, entries in _feed_entries(cfg, summaries):
        previous = store.feed_state(slug)
        meta = FeedMeta(
            slug=slug,
            title=title,
            updated=_feed_updated(previous, entries, now=now),
            categories=categories,
            entry_count=len(entries),
        )
        plan = _plan(config_key, meta, entries)
        feeds.append(_Feed(meta=meta, entries=entries, previous=previous, plan=plan))
    return feeds


def _feed_entries(
    cfg: Config, summaries: Sequence[StorySummary]
) -> list[tuple[str, str, list[StorySummary]]]:
    """(slug, title, newest entries) of all.atom and of each topic's feed, in config order."""
    ordered = newest(summaries, len(summaries))  # sorted once; each feed takes its share
    limit = cfg.output.max_entries
    feeds = [(ALL_SLUG, ALL_TITLE, ordered[:limit])]
    for topic in cfg.topics:
        entries = list(islice((s for s in ordered if topic.slug in s.topics), limit))
        feeds.append((topic.slug, topic.title, entries))
    return feeds


def _is_current(feed: _Feed, out: Path) -> bool:
    """The feed's file is there and was rendered from this very plan: nothing to write."""
    previous = feed.previous
    return (
        previous is not None
        and previous.plan == feed.plan
        and (out / f"{feed.meta.slug}.atom").is_file()
    )


def _write_feeds(store: Store, cfg: Config, feeds: Sequence[_Feed], *, now: datetime) -> int:
    """Render and write `feeds`, loading and rendering each story in them once; returns how
    many files changed."""
    stories = _stories(store, [entry for feed in feeds for entry in feed.entries])
    shown = [(f.meta, [stories[e.id] for e in f.entries if e.id in stories]) for f in feeds]
    written = 0
    for feed, data in zip(feeds, render_feeds(shown, site=cfg.site), strict=True):
        if write_atomic(cfg.output.dir / f"{feed.meta.slug}.atom", data):
            written += 1
            log.info("feed.written slug=%s entries=%d", feed.meta.slug, len(feed.entries))
        _remember_feed(store, feed.previous, feed.meta, data, plan=feed.plan, now=now)
    return written


def match_changed_stories(store: Store, cfg: Config) -> int:
    """Match topics for every story written since its topics were last matched."""
    ids = store.changed_story_ids()
    if not ids:
        return 0  # compiling topics loads OpenCC's tables: not on a build with nothing new
    from aggregator.topics import compile_topics  # nor importing it, which compiles patterns

    topics = compile_topics(cfg.topics)
    for start in range(0, len(ids), TOPIC_BATCH):
        with store.transaction():
            for state, rows in store.iter_stories(ids[start : start + TOPIC_BATCH]):
                story = _story(state, rows)
                store.put_story_topics(story.id, topics.match(story), published=story.published)
    return len(ids)


def _stories(store: Store, entries: Sequence[StorySummary]) -> dict[StoryId, Story]:
    """The stories behind `entries` as feed entries show them, by id, with their known topics;
    each is loaded once, however many feeds it is in."""
    by_id = {e.id: e for e in entries}
    return {
        state.id: replace(_story(state, rows), topics=by_id[state.id].topics)
        for state, rows in store.iter_entry_stories(list(by_id))
    }


def _config_key(cfg: Config) -> str:
    """What in the config (and this version) shapes the feeds, as a digest."""
    shape = repr((__version__, cfg.site, cfg.topics, cfg.output.max_entries))
    return hashlib.sha256(shape.encode()).hexdigest()


def _plan(config_key: str, meta: FeedMeta, entries: Sequence[StorySummary]) -> str:
    """Digest of everything a feed file is rendered from but the members' content.

    A member's content never changes without its story's `updated` moving (ingest does that),
    so equal plans mean equal files.
    """
    parts = [config_key, meta.slug, meta.updated.isoformat(), str(meta.entry_count)]
    parts += [f"{e.id} {e.updated.isoformat()}" for e in entries]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _remember_feed(
    store: Store,
    previous: FeedState | None,
    meta: FeedMeta,
    data: bytes,
    *,
    plan: str,
    now: datetime,
) -> None:
    digest = hashlib.sha256(data).hexdigest()
    if previous is not None and previous.digest == digest and previous.plan == plan:
        return
    written_at = previous.written_at if previous and previous.digest == digest else now
    state = FeedState(
        slug=meta.slug,
        entries=meta.entry_count or 0,
        updated=meta.updated,
        digest=digest,
        written_at=written_at,
        plan=plan,
    )
    with store.transaction():
        store.put_feed_state(state)


class _Dated(Protocol):
    @property
    def id(self) -> StoryId: ...
    @property
    def published(self) -> datetime: ...
    @property
    def updated(self) -> datetime: ...


D = TypeVar("D", bound=_Dated)


def newest(stories: Iterable[D], limit: int) -> list[D]:
    """The `limit` most recently updated stories, newest first, ties broken by id."""
    return sorted(stories, key=_recency, reverse=True)[:limit]


def _recency(story: _Dated) -> tuple[int, int, StoryId]:
    """(updated, published, id), the times as integers (aggregator.instants): ordered as the
    aware times are, and compared faster."""
    return microseconds(story.updated), microseconds(story.published), story.id


def _feed_updated(
    previous: FeedState | None, entries: Sequence[StorySummary], *, now: datetime
) -> datetime:
    """Newest entry's updated; an empty feed keeps the time it was first written."""
    if entries:
        return max(s.updated for s in entries)
    return previous.updated if previous is not None else now
