"""Publish: load stories from the store, match topics, render and write every feed."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol, TypeVar

from aggregator import __version__
from aggregator.config import Config
from aggregator.publish.render import FeedMeta, render_feed, render_index, render_opml
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
from aggregator.topics import compile_topics

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
    categories = {t.slug: t.title for t in cfg.topics}
    feeds = [(ALL_SLUG, ALL_TITLE, summaries)]
    feeds += [(t.slug, t.title, [s for s in summaries if t.slug in s.topics]) for t in cfg.topics]
    metas: list[FeedMeta] = []
    written = 0
    out = cfg.output.dir
    # Left by a publish killed mid-write; callers hold the store's lock, so none is in flight.
    remove_temp_files(out)
    for slug, title, candidates in feeds:
        entries = newest(candidates, cfg.output.max_entries)
        previous = store.feed_state(slug)
        meta = FeedMeta(
            slug=slug,
            title=title,
            updated=_feed_updated(previous, entries, now=now),
            categories=categories,
            entry_count=len(entries),
        )
        metas.append(meta)
        plan = _plan(config_key, meta, entries)
        path = out / f"{slug}.atom"
        if previous is not None and previous.plan == plan and path.is_file():
            continue
        data = render_feed(_stories(store, entries), meta=meta, site=cfg.site)
        if write_atomic(path, data):
            written += 1
            log.info("feed.written slug=%s entries=%d", slug, len(entries))
        _remember_feed(store, previous, meta, data, plan=plan, now=now)
    write_atomic(out / "index.opml", render_opml(metas, site=cfg.site))
    write_atomic(out / "index.html", render_index(metas, site=cfg.site))
    for path in remove_stale(out, keep={f"{m.slug}.atom" for m in metas}):
        log.info("feed.removed path=%r", str(path))
    return PublishStats(feeds=len(metas), written=written, stories=len(summaries))


def match_changed_stories(store: Store, cfg: Config) -> int:
    """Match topics for every story written since its topics were last matched."""
    ids = store.changed_story_ids()
    if not ids:
        return 0  # compiling topics loads OpenCC's tables: not on a build with nothing new
    topics = compile_topics(cfg.topics)
    for start in range(0, len(ids), TOPIC_BATCH):
        with store.transaction():
            for state, rows in store.iter_stories(ids[start : start + TOPIC_BATCH]):
                story = _story(state, rows)
                store.put_story_topics(story.id, topics.match(story), published=story.published)
    return len(ids)


def _stories(store: Store, entries: Sequence[StorySummary]) -> list[Story]:
    """The full stories behind `entries`, in the same order, with their known topics."""
    by_id = {e.id: e for e in entries}
    loaded = {
        state.id: replace(_story(state, rows), topics=by_id[state.id].topics)
        for state, rows in store.iter_stories(list(by_id))
    }
    return [loaded[e.id] for e in entries if e.id in loaded]


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
    ordered = sorted(stories, key=lambda s: (s.updated, s.published, s.id), reverse=True)
    return ordered[:limit]


def _feed_updated(
    previous: FeedState | None, entries: Sequence[StorySummary], *, now: datetime
) -> datetime:
    """Newest entry's updated; an empty feed keeps the time it was first written."""
    if entries:
        return max(s.updated for s in entries)
    return previous.updated if previous is not None else now
