"""Ingest: store prepared inputs, then decide the stories of what was stored, oldest first.

Two steps, each committed in batches of BATCH:
1. stage: each Prepared (aggregator.app.prepare) is stored with its input's stamp. A new URL is
   stored pending (no story yet); a newer version of a stored URL replaces it and keeps its
   story; a copy of what is stored only records the input.
2. decide: every pending article, earliest published first (so a story's founding article is its
   earliest report, whatever order the files were read in), is given a story by the dedup
   index, and its story is created or moved.
A crash loses at most one uncommitted batch: its inputs were not recorded, so the next run reads
them again, and articles left pending are decided by the next run. The one place that isolates
failures per input: a bad input is recorded as skipped with its reason and the run goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import islice
from typing import TYPE_CHECKING, TypeVar

from aggregator.app.prepare import (
    Input,
    Prepared,
    Skipped,
    fingerprint_of,
    prepare,
    prepare_all,
)
from aggregator.config import Config
from aggregator.records import KnownArticle, StoredArticle, StoryId, StoryState
from aggregator.sources import Collected, Progress
from aggregator.sources.seeds import SeedFolder
from aggregator.store import Store

if TYPE_CHECKING:
    from aggregator import dedup

log = logging.getLogger(__name__)

BATCH = 256  # articles per transaction: few commits, little lost to a crash
T = TypeVar("T")


@dataclass(slots=True, kw_only=True)
class IngestStats:
    """Counts of one ingest run; mutable while the run goes, reported at the end."""

    files: int = 0
    unchanged_files: int = 0
    new: int = 0
    updated: int = 0
    duplicates: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    # Newer versions of decided articles: the story index must take their new fingerprints.
    changed: list[tuple[dedup.Fingerprint, StoryId]] = field(default_factory=list)


def load_index(store: Store, cfg: Config) -> dedup.StoryIndex:
    """Build the in-memory story index from every decided article's stored fingerprint.

    A fingerprint of an older FINGERPRINT_VERSION is computed again from the stored article
    (and stored), so every signature in the index compares with today's.
    """
    from aggregator import dedup  # loaded on first use, like the stages in app.prepare

    index = dedup.StoryIndex(cfg.dedup)
    stale: list[tuple[str, StoryId]] = []
    for data, story_id in store.iter_fingerprints():
        fp = dedup.fingerprint_from_dict(data)
        if fp.version == dedup.FINGERPRINT_VERSION:
            index.add(fp, story_id)
        else:
            stale.append((fp.url, story_id))
    for part in _batched(stale, BATCH):
        with store.transaction():
            for url, story_id in part:
                if (fresh := _fingerprint_again(store, url)) is not None:
                    index.add(fresh, story_id)
    if stale:
        log.info("index.refreshed fingerprints=%d", len(stale))
    return index


def _fingerprint_again(store: Store, url: str) -> dedup.Fingerprint | None:
    from aggregator import dedup

    stored = store.get_article(url)
    if stored is None:
        return None
    fp = fingerprint_of(stored.article, stored.body.text)
    store.put_fingerprint(url, dedup.fingerprint_to_dict(fp))
    return fp


def ingest_seed_folder(
    store: Store,
    folder: SeedFolder,
    *,
    stats: IngestStats,
    now: datetime,
    stamps: Mapping[str, str],
    jobs: int = 1,
    progress: Progress | None = None,
) -> None:
    """Stage every new or changed file of a seed folder (prepared in `jobs` processes).

    `stamps` are the recorded inputs' digests (Store.input_digests), read once per build.
    """
    found = folder.scan(stamp_of=stamps.get)
    changed = _changed(found, stats)
    stage(
        store,
        prepare_all(changed, via=folder.name, jobs=jobs),
        stats=stats,
        now=now,
        progress=None if progress is None else _offset(progress, len(found) - len(changed)),
        total=len(found),
    )


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
    """Prepare, stage and decide collected inputs in this process; stop early if asked.

    Returns False if it stopped before storing every input (what was stored stays; pending
    articles are decided by the next call).
    """
    prepared = (prepare(item, via=via) for item in _changed(collected, stats))
    if not stage(store, prepared, stats=stats, now=now, should_stop=should_stop):
        return False
    decide_pending(store, index, stats=stats, now=now)
    return True


def _changed(items: Iterable[Input], stats: IngestStats) -> list[Input]:
    """The inputs to prepare; unchanged ones (Collected without a doc) are only counted."""
    changed: list[Input] = []
    for item in items:
        stats.files += 1
        if isinstance(item, Collected) and item.doc is None:
            stats.unchanged_files += 1
        else:
            changed.append(item)
    return changed


def stage(
    store: Store,
    results: Iterable[Prepared | Skipped],
    *,
    stats: IngestStats,
    now: datetime,
    should_stop: Callable[[], bool] = lambda: False,
    progress: Progress | None = None,
    total: int = 0,
) -> bool:
    """Store prepared inputs in batches; returns False if asked to stop before the end."""
    done = 0
    for part in _batched(results, BATCH):
        with store.transaction():
            for result in part:
                if should_stop():
                    log.info("ingest.stopped stored=%d", done)
                    return False
                if isinstance(result, Skipped):
                    _skip(stats, result.origin, result.reason)
                else:
                    _stage_one(store, result, stats=stats, now=now)
                done += 1
        if progress is not None:
            progress(done, total)
    return True


def _stage_one(store: Store, result: Prepared, *, stats: IngestStats, now: datetime) -> None:
    """Store one article: new (pending), a newer version of a known URL, or a copy."""
    from aggregator import dedup

    article = result.article
    known = store.known_article(article.url)
    if known is not None and (known.digest == result.digest or _is_older(result, known)):
        stats.duplicates += 1
        log.debug("article.known url=%r origin=%r", article.url, result.origin)
        store.record_input(result.origin, result.stamp, now=now)
        return
    # A newer version of a stored URL keeps its story (none yet if it is still pending).
    decision = known.decision if known is not None else None
    stored = StoredArticle(
        article=article,
        body=result.body,
        decision=decision,
        digest=result.digest,
        fingerprint=dedup.fingerprint_to_dict(result.fingerprint),
    )
    store.put_article(stored, now=now)
    store.record_input(result.origin, result.stamp, now=now)
    log.debug("article.stored url=%r origin=%r", article.url, result.origin)
    if known is None:
        stats.new += 1
        return
    stats.updated += 1
    if decision is not None:
        # A newer version of a decided article keeps its story; readers see the story change.
        stats.changed.append((result.fingerprint, decision.story_id))
        _touch_story(store, decision.story_id, article.published, is_new_story=False, now=now)


def decide_pending(
    store: Store,
    index: dedup.StoryIndex,
    *,
    stats: IngestStats,
    now: datetime,
    progress: Progress | None = None,
) -> int:
    """Give every pending article its story, earliest published first; returns how many."""
    from aggregator import dedup

    for fp, story_id in stats.changed:
        index.add(fp, story_id)  # replaces the older version's fingerprint
    stats.changed.clear()
    urls = store.pending_urls()
    done = 0
    for part in _batched(urls, BATCH):
        found = store.get_fingerprints(part)
        with store.transaction():
            for url in part:
                fp = dedup.fingerprint_from_dict(found[url])
                decision = index.assign(fp)
                index.add(fp, decision.story_id)
                is_new = decision.level == "new"
                _touch_story(store, decision.story_id, fp.published, is_new_story=is_new, now=now)
                store.decide(url, decision)
                log.debug(
                    "article.decided url=%r story=%s level=%s score=%.3f",
                    url,
                    decision.story_id,
                    decision.level,
                    decision.score,
                )
        done += len(part)
        if progress is not None:
            progress(done, len(urls))
    return len(urls)


def _touch_story(
    store: Store, story_id: StoryId, published: datetime, *, is_new_story: bool, now: datetime
) -> None:
    """Create the story, or move its `updated` so readers see the entry changed."""
    story = store.get_story(story_id)
    if story is None or is_new_story:
        store.put_story(StoryState(id=story_id, created=now, updated=published))
        return
    # Founded in this very run: never published yet, so its updated is content time.
    founded_now = story.created == now
    updated = max(story.updated, published if founded_now else now)
    store.put_story(replace(story, updated=updated))


def _is_older(result: Prepared, known: KnownArticle) -> bool:
    new, old = result.article.captured, known.captured
    return new is not None and old is not None and new < old


def _skip(stats: IngestStats, origin: str, reason: str) -> None:
    log.warning("input.skipped origin=%r reason=%r", origin, reason)
    stats.skipped.append(Skipped(origin=origin, reason=reason))


def _offset(progress: Progress, start: int) -> Progress:
    return lambda done, total: progress(start + done, total)


def _batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while part := list(islice(iterator, size)):
        yield part
