"""Ingest: turn collected inputs into stored articles with their story decisions.

The one place that isolates failures per input: a bad input is recorded as skipped with its
reason and the run goes on; anything unexpected on one input is logged with its traceback and
skipped the same way. Each article is stored in its own transaction with its input's stamp, so a
crash loses nothing committed and the next run picks up exactly what was not.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from aggregator import dedup
from aggregator.clean import clean_html
from aggregator.config import Config
from aggregator.errors import SourceError, StorageError
from aggregator.normalize import article_from_feed_item, article_from_seed
from aggregator.records import (
    Article,
    FeedItem,
    SeedDoc,
    StoredArticle,
    StoryDecision,
    StoryState,
)
from aggregator.sources import Collected, Progress, Source
from aggregator.store import Store

log = logging.getLogger(__name__)


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


def load_index(store: Store, cfg: Config) -> dedup.StoryIndex:
    """Rebuild the in-memory story index from every stored fingerprint."""
    index = dedup.StoryIndex(cfg.dedup)
    for data, story_id in store.iter_fingerprints():
        index.add(dedup.fingerprint_from_dict(data), story_id)
    return index


def ingest_source(
    store: Store,
    index: dedup.StoryIndex,
    source: Source,
    *,
    stats: IngestStats,
    now: datetime,
    progress: Progress | None = None,
) -> None:
    """Collect a source's changed inputs and ingest their articles."""
    collected = source.collect(stamp_of=store.input_digest, progress=progress)
    ingest_collected(store, index, collected, via=source.name, stats=stats, now=now)


def ingest_collected(
    store: Store,
    index: dedup.StoryIndex,
    collected: Iterable[Collected],
    *,
    via: str,
    stats: IngestStats,
    now: datetime,
    should_stop: Callable[[], bool] = lambda: False,
) -> bool:
    """Normalize and store collected inputs, oldest article first; stop early if asked.

    Returns False if it stopped before storing every article.
    """
    pending: list[tuple[Collected, Article]] = []
    for item in collected:
        stats.files += 1
        if item.doc is None:
            stats.unchanged_files += 1
        elif isinstance(item.doc, SourceError):
            _skip(stats, item.origin, item.doc.reason)
        elif (article := _normalized(item, via, stats)) is not None:
            pending.append((item, article))
    # Oldest first, so a story's founding article is the earliest report and ids are reproducible.
    pending.sort(key=lambda entry: (entry[1].published, entry[1].url))
    for item, article in pending:
        if should_stop():
            log.info("ingest.stopped via=%s", via)
            return False
        try:
            with store.transaction():
                ingest_article(store, index, article, stats=stats, now=now)
                store.record_input(item.origin, item.stamp, now=now)
        except StorageError:
            raise
        except Exception as exc:  # one input must never stop the run: log the bug, go on
            log.exception("article.failed origin=%r url=%r", item.origin, article.url)
            _skip(stats, item.origin, f"internal error: {type(exc).__name__}: {exc}")
    return True


def _normalized(item: Collected, via: str, stats: IngestStats) -> Article | None:
    """The Article for a loaded input, or None (recorded as skipped) if it cannot be built."""
    try:
        if isinstance(item.doc, SeedDoc):
            return article_from_seed(item.doc, via=via)
        if isinstance(item.doc, FeedItem):
            return article_from_feed_item(item.doc)
    except SourceError as exc:
        _skip(stats, item.origin, exc.reason)
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
    log.warning("input.skipped origin=%r reason=%r", origin, reason)
    stats.skipped.append(Skipped(origin=origin, reason=reason))
