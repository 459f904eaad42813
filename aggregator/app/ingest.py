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
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
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
from aggregator.config import Config, DedupConfig
from aggregator.records import KnownArticle, StoredArticle, StoryId, StoryState
from aggregator.sources import Collected, Progress
from aggregator.sources.seeds import SeedFolder
from aggregator.store import Store

if TYPE_CHECKING:
    from aggregator import dedup

log = logging.getLogger(__name__)

BATCH = 256  # articles per transaction: few commits, little lost to a crash
DERIVED_KEY = "dedup.derived"  # meta: what the keys, postings, frequencies were derived for
LSH_KEY = "dedup.lsh"  # meta: the LSH bands worked out for a near-duplicate threshold
POSTED_TOGETHER = 4096  # decided articles whose postings are written together
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
    # Newer versions of decided articles (old fingerprint, new, story): the story index must
    # take the new fingerprints in place of the old.
    changed: list[tuple[dedup.Fingerprint, dedup.Fingerprint, StoryId]] = field(
        default_factory=list
    )


def open_index(store: Store, cfg: Config, stats: IngestStats) -> dedup.StoryIndex:
    """The story index over the store's decided articles, ready to decide pending ones.

    The index holds only a window of articles in memory (for a few new articles, only those
    sharing a rare term with them) and finds the rest through the store's dedup keys,
    postings and document frequencies. Those are derived from the fingerprints;
    when they are not current (a new store schema, another FINGERPRINT_VERSION or LSH
    threshold, a run killed while deciding), they are derived again here, and a fingerprint
    of an older version is first computed again from the stored article.
    """
    from aggregator import dedup  # loaded on first use, like the stages in app.prepare

    bands = _lsh_bands(store, cfg.dedup)
    marker = _derived_marker(bands)
    if store.get_meta(DERIVED_KEY) != marker:
        _derive_again(store, bands, marker)
        stats.changed.clear()  # the stored newer versions are counted already
    return dedup.StoryIndex(
        cfg.dedup,
        lookup=StoreLookup(store),
        n_docs=store.count_decided(),
        bands=bands,
    )


def _lsh_bands(store: Store, cfg: DedupConfig) -> tuple[int, int]:
    """dedup.lsh_bands for the configured threshold, remembered in the store's meta: working
    them out imports datasketch and scipy, half a second that a small rebuild need not pay."""
    from aggregator.dedup.shingles import NUM_PERM

    asked = f"near_duplicate {cfg.near_duplicate!r}, {NUM_PERM} permutations: "
    remembered = store.get_meta(LSH_KEY) or ""
    if remembered.startswith(asked):
        bands, rows = remembered.removeprefix(asked).split("x")
        return int(bands), int(rows)
    from aggregator import dedup

    bands_rows = dedup.lsh_bands(cfg.near_duplicate)
    with store.transaction():
        store.put_meta(LSH_KEY, f"{asked}{bands_rows[0]}x{bands_rows[1]}")
    return bands_rows


class StoreLookup:
    """dedup.Lookup over the store: fingerprints decoded on their way out."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def find(self, keys: Sequence[str]) -> list[tuple[str, str]]:
        return self._store.find_dedup_keys(keys)

    def members(self, urls: Sequence[str]) -> dict[str, tuple[dedup.Fingerprint, StoryId]]:
        from aggregator import dedup

        found = self._store.decided_fingerprints(urls)
        return {url: (dedup.fingerprint_from_dict(d), s) for url, (d, s) in found.items()}

    def between(
        self, first: datetime, last: datetime
    ) -> Iterator[tuple[dedup.Fingerprint, StoryId]]:
        from aggregator import dedup

        for data, story_id in self._store.iter_fingerprints((first, last)):
            yield dedup.fingerprint_from_dict(data), story_id

    def sharing(
        self, terms: Sequence[str], first: datetime, last: datetime
    ) -> list[tuple[dedup.Fingerprint, StoryId]] | None:
        from aggregator import dedup

        found = self._store.fingerprints_sharing(terms, (first, last))
        if found is None:
            return None
        return [(dedup.fingerprint_from_dict(data), story_id) for data, story_id in found]

    def spans(self, ids: Sequence[StoryId]) -> dict[StoryId, tuple[datetime, datetime]]:
        return self._store.story_spans(ids)

    def doc_freqs(self, terms: Sequence[str]) -> dict[str, int]:
        return self._store.doc_freqs(terms)

    def put(self, fp: dedup.Fingerprint, story_id: StoryId, keys: Sequence[str]) -> None:
        self._store.put_dedup_keys(fp.url, keys)  # the story is the article's (Store.decide)

    def drop(self, fp: dedup.Fingerprint, keys: Sequence[str]) -> None:
        self._store.drop_dedup_keys(fp.url, keys)


def _derived_marker(bands: tuple[int, int]) -> str:
    """What meta DERIVED_KEY holds when the keys, postings and frequencies are current."""
    from aggregator import dedup

    return f"fingerprint v{dedup.FINGERPRINT_VERSION}, LSH {bands[0]}x{bands[1]}"


def _derive_again(store: Store, bands_rows: tuple[int, int], marker: str) -> None:
    """Derive every decided article's dedup keys and postings, and the document frequencies,
    in one read of the fingerprints: postings are written as for any decided article, and
    the terms found too common at the end stop being posted."""
    from aggregator import dedup

    counts: Counter[str] = Counter()
    stale: list[str] = []
    with store.transaction():
        store.clear_dedup_derived()
        fresh: list[dedup.Fingerprint] = []
        for data, _ in store.iter_fingerprints():
            fp = dedup.fingerprint_from_dict(data)
            if fp.version != dedup.FINGERPRINT_VERSION:
                stale.append(fp.url)
                continue
            fresh.append(fp)
            if len(fresh) == POSTED_TOGETHER:
                _derive_for(store, fresh, bands_rows, counts)
                fresh = []
        fresh += filter(None, (_fingerprint_again(store, url) for url in stale))
        _derive_for(store, fresh, bands_rows, counts)
        store.put_doc_freqs(counts.items())
        common = [term for term, count in counts.items() if count > dedup.MAX_POSTING_DOCS]
        store.add_postings(dict.fromkeys(common))
        store.put_meta(DERIVED_KEY, marker)
    log.info("index.derived fingerprints_refreshed=%d terms=%d", len(stale), len(counts))


def _derive_for(
    store: Store,
    fps: Sequence[dedup.Fingerprint],
    bands_rows: tuple[int, int],
    counts: Counter[str],
) -> None:
    """Store the dedup keys and postings of `fps` and count their terms into `counts`."""
    from aggregator.dedup.lookup import lookup_keys

    bands, rows = bands_rows
    docs_of: dict[str, list[int]] = {}
    for position, fp in enumerate(fps):
        store.put_dedup_keys(fp.url, lookup_keys(fp, bands=bands, rows=rows))
        counts.update(fp.terms)
        for term in fp.terms:
            docs_of.setdefault(term, []).append(position)
    _save_postings(store, [fp.url for fp in fps], docs_of)


def _save_postings(
    store: Store, urls: Sequence[str], docs_of: Mapping[str, Collection[int] | None]
) -> None:
    """Post under each term the articles at positions `docs_of[term]` of `urls` (None: stop
    posting under the term), as the store's doc ids packed in one numpy pass per term."""
    import numpy as np  # with the dedup stage: a build with nothing new never loads it

    found = store.doc_ids(urls)
    ids = np.fromiter((found.get(url, -1) for url in urls), np.int64, len(urls))
    packed: dict[str, bytes | None] = {}
    for term, docs in docs_of.items():
        if docs is None:
            packed[term] = None
        else:
            posted = ids[np.asarray(docs, dtype=np.int64)]
            packed[term] = posted[posted >= 0].tobytes()  # -1: an article no longer stored
    store.add_postings(packed)


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
    cfg: Config,
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
    decide_pending(store, cfg, stats=stats, now=now)
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
    if decision is not None:
        old_fingerprint = dedup.fingerprint_from_dict(
            store.get_fingerprints([article.url])[article.url]
        )
    stored = StoredArticle(
        article=article,
        body=result.body,
        decision=decision,
        digest=result.digest,
        fingerprint=result.stored_fingerprint,
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
        stats.changed.append((old_fingerprint, result.fingerprint, decision.story_id))
        _touch_story(store, decision.story_id, article.published, is_new_story=False, now=now)


def decide_pending(
    store: Store,
    cfg: Config,
    *,
    stats: IngestStats,
    now: datetime,
    progress: Progress | None = None,
) -> int:
    """Give every pending article its story, earliest published first; returns how many.

    The story index is opened for the run (open_index). The postings of the decided articles
    are saved every POSTED_TOGETHER articles and the document frequencies at the end; until
    then meta DERIVED_KEY says "deciding", so a run killed in between has them derived again.
    """
    from aggregator import dedup

    urls = store.pending_urls()
    if not urls and not stats.changed:
        return 0
    index = open_index(store, cfg, stats)
    with store.transaction():
        store.put_meta(DERIVED_KEY, "deciding")
        for old, new, story_id in stats.changed:
            index.replace(old, new, story_id)
    stats.changed.clear()
    done = 0
    for part in _batched(urls, BATCH):
        found = store.get_fingerprints(part)
        for fps in _within(
            [dedup.fingerprint_from_dict(found[url]) for url in part], cfg.dedup.window
        ):
            _decide(store, index, fps, now=now)
        done += len(part)
        if progress is not None:
            progress(done, len(urls))
    with store.transaction():
        _save_postings(store, *index.take_postings())
        store.put_doc_freqs(index.changed_doc_freqs())
        store.put_meta(DERIVED_KEY, _derived_marker(index.bands))
    return len(urls)


def _within(fps: list[dedup.Fingerprint], span: timedelta) -> Iterator[list[dedup.Fingerprint]]:
    """`fps` (earliest published first) in runs published within `span` of their first: the
    index holds the articles around one run at a time, not around all of them."""
    run: list[dedup.Fingerprint] = []
    for fp in fps:
        if run and fp.published - run[0].published > span:
            yield run
            run = []
        run.append(fp)
    if run:
        yield run


def _decide(
    store: Store, index: dedup.StoryIndex, fps: list[dedup.Fingerprint], *, now: datetime
) -> None:
    """Decide the stories of `fps` in one transaction, in order."""
    index.expect(fps)
    with store.transaction():
        for fp in fps:
            decision = index.assign(fp)
            is_new = decision.level == "new"
            _touch_story(store, decision.story_id, fp.published, is_new_story=is_new, now=now)
            store.decide(fp.url, decision)
            index.add(fp, decision.story_id, founds=is_new)
            if index.unsaved >= POSTED_TOGETHER:
                _save_postings(store, *index.take_postings())
            log.debug(
                "article.decided url=%r story=%s level=%s score=%.3f",
                fp.url,
                decision.story_id,
                decision.level,
                decision.score,
            )


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
