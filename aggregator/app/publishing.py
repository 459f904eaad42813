"""Publish: load stories from the store, match topics, render and write every feed."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from aggregator.config import Config
from aggregator.publish.render import FeedMeta, render_feed, render_index, render_opml
from aggregator.publish.write import remove_stale, remove_temp_files, write_atomic
from aggregator.records import (
    FeedState,
    StoredArticle,
    Story,
    StoryMember,
)
from aggregator.store import Store
from aggregator.topics import compile_topics

log = logging.getLogger(__name__)

ALL_SLUG = "all"
ALL_TITLE = "All stories"


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishStats:
    feeds: int
    written: int
    stories: int


def load_stories(store: Store, cfg: Config) -> list[Story]:
    """Every story with its members (earliest first) and its topics."""
    stories = []
    topics = compile_topics(cfg.topics)  # once per publish, not once per story
    for state, rows in store.iter_stories():
        members = tuple(_member(row) for row in rows)
        story = Story(
            id=state.id,
            members=members,
            published=min(m.published for m in members),
            updated=state.updated,
        )
        stories.append(replace(story, topics=topics.match(story)))
    return stories


def _member(row: StoredArticle) -> StoryMember:
    a, body = row.article, row.body
    return StoryMember(
        url=a.url,
        title=a.title,
        source=a.source,
        via=a.via,
        published=a.published,
        html=body.html,
        text=body.text,
        summary=body.summary,
        author=a.author,
        language=a.language,
        decision=row.decision,
    )


def publish(store: Store, cfg: Config, *, now: datetime) -> PublishStats:
    """Render and write all.atom, one feed per topic, index.opml and index.html."""
    stories = load_stories(store, cfg)
    categories = {t.slug: t.title for t in cfg.topics}
    feeds = [(ALL_SLUG, ALL_TITLE, stories)]
    feeds += [(t.slug, t.title, [s for s in stories if t.slug in s.topics]) for t in cfg.topics]
    metas: list[FeedMeta] = []
    written = 0
    out = cfg.output.dir
    # Left by a publish killed mid-write; callers hold the store's lock, so none is in flight.
    remove_temp_files(out)
    for slug, title, members in feeds:
        entries = newest(members, cfg.output.max_entries)
        previous = store.feed_state(slug)
        meta = FeedMeta(
            slug=slug,
            title=title,
            updated=_feed_updated(previous, entries, now=now),
            categories=categories,
            entry_count=len(entries),
        )
        metas.append(meta)
        data = render_feed(entries, meta=meta, site=cfg.site)
        if write_atomic(out / f"{slug}.atom", data):
            written += 1
            log.info("feed.written slug=%s entries=%d", slug, len(entries))
        _remember_feed(store, previous, meta, data, now=now)
    write_atomic(out / "index.opml", render_opml(metas, site=cfg.site))
    write_atomic(out / "index.html", render_index(metas, site=cfg.site))
    for path in remove_stale(out, keep={f"{m.slug}.atom" for m in metas}):
        log.info("feed.removed path=%r", str(path))
    return PublishStats(feeds=len(metas), written=written, stories=len(stories))


def _remember_feed(
    store: Store, previous: FeedState | None, meta: FeedMeta, data: bytes, *, now: datetime
) -> None:
    digest = hashlib.sha256(data).hexdigest()
    if previous is not None and previous.digest == digest:
        return
    state = FeedState(
        slug=meta.slug,
        entries=meta.entry_count or 0,
        updated=meta.updated,
        digest=digest,
        written_at=now,
    )
    with store.transaction():
        store.put_feed_state(state)


def newest(stories: Iterable[Story], limit: int) -> list[Story]:
    """The `limit` most recently updated stories, newest first, ties broken by id."""
    ordered = sorted(stories, key=lambda s: (s.updated, s.published, s.id), reverse=True)
    return ordered[:limit]


def _feed_updated(
    previous: FeedState | None, entries: Sequence[Story], *, now: datetime
) -> datetime:
    """Newest entry's updated; an empty feed keeps the time it was first written."""
    if entries:
        return max(s.updated for s in entries)
    return previous.updated if previous is not None else now
