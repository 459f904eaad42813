"""Use cases: ingest seeds, assign stories, publish feeds.

Sequences the I/O (files, store, feed files) around the pure stages, and is the one place that
isolates failures per input: a bad seed file is recorded as skipped with its reason and the run
goes on; anything unexpected on one input is logged with its traceback and skipped the same way.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from aggregator import dedup
from aggregator.clean import clean_html
from aggregator.config import Config
from aggregator.errors import AggregatorError, SourceError, StorageError
from aggregator.normalize import article_from_feed_item, article_from_seed
from aggregator.publish.render import FeedMeta, render_feed, render_index, render_opml
from aggregator.publish.write import remove_stale, write_atomic
from aggregator.records import (
    Article,
    FeedItem,
    SeedDoc,
    StoredArticle,
    Story,
    StoryDecision,
    StoryMember,
    StoryState,
)
from aggregator.sources import Collected, Progress, Source
from aggregator.sources.seeds import SeedFolder
from aggregator.store import Store, open_store
from aggregator.topics import match_topics

log = logging.getLogger(__name__)

LOCK_WAIT_S = 60.0  # a second build waits this long for the first, then gives up
ALL_SLUG = "all"
ALL_TITLE = "All stories"


@dataclass(frozen=True, slots=True, kw_only=True)
class Skipped:
    origin: str
    reason: str


@dataclass(slots=True, kw_only=True)
class IngestStats:
    """Counts of one ingest run; mutable while the run goes, reported at the end."""

    files: int = 0
    unchanged_files: int = 0
    new: int = 0
    updated: int = 0
    duplicates: int = 0
    skipped: list[Skipped] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishStats:
    feeds: int
    written: int
    stories: int


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildResult:
    ingest: IngestStats
    publish: PublishStats
    seconds: float

    def summary(self) -> str:
        i, p = self.ingest, self.publish
        line = (
            f"read {i.files} files ({i.unchanged_files} unchanged): {i.new} new articles,"
            f" {i.updated} updated, {i.duplicates} already known; {p.stories} stories;"
            f" wrote {p.written} of {p.feeds} feeds; skipped {len(i.skipped)} files;"
            f" {self.seconds:.2f} s"
        )
        return "\n".join([line, *(f"skipped {s.origin}: {s.reason}" for s in i.skipped)])


def build(cfg: Config, *, progress: Progress | None = None) -> BuildResult:
    """Ingest every seeds source, assign stories, write every feed; the one-shot command.

    Raises:
        StorageError: the store cannot be opened or written.
        PublishError: a feed file cannot be written.
    """
    started = time.monotonic()
    with build_lock(cfg.storage.path), _opened(cfg) as store:
        now = datetime.now(UTC)
        index = load_index(store, cfg)
        stats = IngestStats()
        for source in sources_from_config(cfg):
            ingest_source(store, index, source, stats=stats, now=now, progress=progress)
        published = publish(store, cfg, now=now)
    return BuildResult(ingest=stats, publish=published, seconds=time.monotonic() - started)


@contextmanager
def _opened(cfg: Config) -> Iterator[Store]:
    store = open_store(cfg.storage)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def build_lock(db_path: Path, *, wait_s: float = LOCK_WAIT_S) -> Iterator[None]:
    """Hold an exclusive lock beside the database so two builds never interleave.

    Raises:
        StorageError: another build still holds the lock after `wait_s` seconds.
    """
    lock_path = db_path.with_name(db_path.name + ".lock")
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StorageError(f"locking {lock_path}", exc.strerror or str(exc)) from exc
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StorageError(
                        f"locking {lock_path}", f"another build is still running after {wait_s:g} s"
                    ) from None
                time.sleep(0.2)
        yield
    finally:
        os.close(fd)


def load_index(store: Store, cfg: Config) -> dedup.StoryIndex:
    """Rebuild the in-memory story index from every stored fingerprint."""
    index = dedup.StoryIndex(cfg.dedup)
    for data, story_id in store.iter_fingerprints():
        index.add(dedup.fingerprint_from_dict(data), story_id)
    return index


def sources_from_config(cfg: Config, *, kinds: Iterable[str] = ("seeds",)) -> list[Source]:
    """The configured sources of the given kinds, ready to collect."""
    wanted = set(kinds)
    sources: list[Source] = []
    for source in cfg.sources:
        if source.kind == "seeds" and "seeds" in wanted:
            assert source.path is not None  # config fills in the default folder
            sources.append(SeedFolder(source.name, source.path))
    return sources


def ingest_source(
    store: Store,
    index: dedup.StoryIndex,
    source: Source,
    *,
    stats: IngestStats,
    now: datetime,
    progress: Progress | None = None,
) -> None:
    """Collect a source's changed inputs and ingest their articles, oldest first."""
    pending: list[tuple[Collected, Article]] = []
    for item in source.collect(stamp_of=store.input_digest, progress=progress):
        stats.files += 1
        if item.doc is None:
            stats.unchanged_files += 1
        elif isinstance(item.doc, SourceError):
            _skip(stats, item.origin, _reason(item.doc))
        elif (article := _normalized(item, source.name, stats)) is not None:
            pending.append((item, article))
    # Oldest first, so a story's founding article is the earliest report and ids are reproducible.
    pending.sort(key=lambda entry: (entry[1].published, entry[1].url))
    for item, article in pending:
        try:
            with store.transaction():
                ingest_article(store, index, article, stats=stats, now=now)
                store.record_input(item.origin, item.stamp, now=now)
        except StorageError:
            raise
        except Exception as exc:  # one input must never stop the run: log the bug, go on
            log.exception("article.failed origin=%r url=%r", item.origin, article.url)
            _skip(stats, item.origin, f"internal error: {type(exc).__name__}: {exc}")


def _normalized(item: Collected, via: str, stats: IngestStats) -> Article | None:
    """The Article for a loaded input, or None (recorded as skipped) if it cannot be built."""
    try:
        if isinstance(item.doc, SeedDoc):
            return article_from_seed(item.doc, via=via)
        if isinstance(item.doc, FeedItem):
            return article_from_feed_item(item.doc)
    except SourceError as exc:
        _skip(stats, item.origin, _reason(exc))
    except Exception as exc:  # one input must never stop the run: log the bug, go on
        log.exception("normalize.failed origin=%r", item.origin)
        _skip(stats, item.origin, f"internal error: {type(exc).__name__}: {exc}")
    return None


def ingest_article(
    store: Store, index: dedup.StoryIndex, article: Article, *, stats: IngestStats, now: datetime
) -> None:
    """Store one article: new, a newer version of a known URL, or a copy of what we have."""
    digest = article_digest(article)
    existing = store.get_article(article.url)
    if existing is not None and (existing.digest == digest or _is_older(article, existing)):
        stats.duplicates += 1
        log.debug("article.known url=%r origin=%r", article.url, article.origin)
        return
    body = clean_html(article.raw_html, base_url=article.url)
    fp = dedup.fingerprint(
        dedup.DedupDoc(
            url=article.url,
            title=article.title,
            text=body.text,
            published=article.published,
            source=article.source,
            guid=article.guid,
        )
    )
    if existing is not None:
        # A newer version of a known URL: it keeps its story; the text is replaced.
        decision = existing.decision
        index.add(fp, decision.story_id)  # replaces the old version's fingerprint
        stats.updated += 1
    else:
        decision = index.assign(fp)
        index.add(fp, decision.story_id)
        stats.new += 1
    stored = StoredArticle(
        article=article,
        body=body,
        decision=decision,
        digest=digest,
        fingerprint=dedup.fingerprint_to_dict(fp),
    )
    is_new_story = existing is None and decision.level == "new"
    _touch_story(store, decision, article, is_new_story=is_new_story, now=now)
    store.put_article(stored, now=now)
    log.debug(
        "article.stored url=%r story=%s level=%s score=%.3f",
        article.url,
        decision.story_id,
        decision.level,
        decision.score,
    )


def _touch_story(
    store: Store, decision: StoryDecision, article: Article, *, is_new_story: bool, now: datetime
) -> None:
    """Create the story, or move its `updated` so readers see the entry changed."""
    story = store.get_story(decision.story_id)
    if story is None or is_new_story:
        store.put_story(StoryState(id=decision.story_id, created=now, updated=article.published))
        return
    if story.created == now:
        # Founded in this very run: never published yet, so its updated is content time.
        updated = max(story.updated, article.published)
    else:
        updated = max(story.updated, now)
    store.put_story(replace(story, updated=updated))


def article_digest(article: Article) -> str:
    """Fingerprint of an article version: same title and HTML means the same version."""
    return hashlib.sha256(f"{article.title}\n{article.raw_html}".encode()).hexdigest()


def _is_older(article: Article, existing: StoredArticle) -> bool:
    old = existing.article.captured
    return article.captured is not None and old is not None and article.captured < old


def _skip(stats: IngestStats, origin: str, reason: str) -> None:
    log.warning("seed.skipped path=%r reason=%r", origin, reason)
    stats.skipped.append(Skipped(origin=origin, reason=reason))


def _reason(exc: SourceError) -> str:
    reason = getattr(exc, "reason", None)
    return str(reason) if reason else str(exc)


def load_stories(store: Store, cfg: Config) -> list[Story]:
    """Every story with its members (earliest first) and its topics."""
    stories = []
    for state, rows in store.iter_stories():
        members = tuple(_member(row) for row in rows)
        story = Story(
            id=state.id,
            members=members,
            published=min(m.published for m in members),
            updated=state.updated,
        )
        stories.append(replace(story, topics=match_topics(story, cfg.topics)))
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
    for slug, title, members in feeds:
        entries = newest(members, cfg.output.max_entries)
        meta = FeedMeta(
            slug=slug,
            title=title,
            updated=_feed_updated(store, slug, entries, now=now),
            categories=categories,
        )
        metas.append(meta)
        if write_atomic(out / f"{slug}.atom", render_feed(entries, meta=meta, site=cfg.site)):
            written += 1
            log.info("feed.written slug=%s entries=%d", slug, len(entries))
    write_atomic(out / "index.opml", render_opml(metas, site=cfg.site))
    write_atomic(out / "index.html", render_index(metas, site=cfg.site))
    for path in remove_stale(out, keep={f"{m.slug}.atom" for m in metas}):
        log.info("feed.removed path=%r", str(path))
    return PublishStats(feeds=len(metas), written=written, stories=len(stories))


def newest(stories: Iterable[Story], limit: int) -> list[Story]:
    """The `limit` most recently updated stories, newest first, ties broken by id."""
    ordered = sorted(stories, key=lambda s: (s.updated, s.published, s.id), reverse=True)
    return ordered[:limit]


def _feed_updated(store: Store, slug: str, entries: Sequence[Story], *, now: datetime) -> datetime:
    """Newest entry's updated; an empty feed keeps the time it was first written."""
    if entries:
        return max(s.updated for s in entries)
    state = store.feed_state(slug)
    if state is not None:
        return state[1]
    with store.transaction():
        store.put_feed_state(slug, "", now)
    return now


def describe_stories(cfg: Config, *, show_all: bool = False) -> str:
    """A listing of stories, newest first, with each member and the dedup decision behind it."""
    with _opened(cfg) as store:
        stories = newest(load_stories(store, cfg), limit=10**9)
    lines = []
    shown = [s for s in stories if show_all or len(s.members) > 1]
    for story in shown:
        topics = ", ".join(story.topics) or "-"
        lines.append(
            f"story {story.id}  updated {story.updated.isoformat()}  "
            f"{len(story.members)} articles  topics: {topics}"
        )
        for member in story.members:
            lines.append(f"  {member.published.isoformat()}  {member.source}  {member.title}")
            lines.append(f"      {member.url}")
            d = member.decision
            if d is not None and d.level != "new":
                lines.append(f"      joined as {d.level} (score {d.score:.3f}) via {d.matched_url}")
                if d.evidence:
                    lines.append(f"      {d.evidence}")
    hidden = len(stories) - len(shown)
    lines.append(
        f"{len(stories)} stories, {sum(len(s.members) for s in stories)} articles"
        + (f" ({hidden} single-article stories not shown; --all lists them)" if hidden else "")
    )
    return "\n".join(lines)


def check(cfg: Config) -> list[str]:
    """Problems a build would meet that the config itself cannot show (missing folders)."""
    problems = []
    for source in cfg.sources:
        if source.kind == "seeds" and source.path is not None and not source.path.is_dir():
            problems.append(f"sources: {source.name}: seed folder {source.path} does not exist")
    return problems


__all__ = [
    "AggregatorError",
    "BuildResult",
    "IngestStats",
    "Progress",
    "build",
    "check",
    "describe_stories",
    "ingest_article",
    "load_stories",
    "publish",
]
