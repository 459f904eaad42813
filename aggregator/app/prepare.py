"""Prepare: the per-document half of ingest, in worker processes when there is much of it.

One input in, one Prepared (article, clean body, digest, fingerprint) or one Skipped out: read
and decode a seed file, normalize, clean, fingerprint. Nothing here touches the store, so the
work spreads over every core while the main process stores results and decides stories.

Why processes: the work is CPU-bound Python (tree passes, regexes) that holds the GIL, so
threads would take turns on one core. concurrent.futures' ProcessPoolExecutor does the pooling;
workers are forked from the main process when it runs no other thread (they start in
milliseconds with everything imported), else started by a fork server. Inputs go out in chunks
and results come back in input order, at most IN_FLIGHT chunks per worker ahead of the consumer,
so memory stays flat however many files a folder holds.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from aggregator.errors import SourceError
from aggregator.records import Article, CleanBody, SeedDoc
from aggregator.sources import Collected
from aggregator.sources.seeds import SeedInput, load_seed_input

if TYPE_CHECKING:
    from aggregator import dedup

log = logging.getLogger(__name__)

CHUNK = 16  # inputs per task sent to a worker: amortizes the round trip, keeps results small
IN_FLIGHT = 3  # chunks per worker submitted ahead of the one being consumed
MIN_PARALLEL = 4 * CHUNK  # below this many inputs, starting workers costs more than it saves

Input = SeedInput | Collected
A = TypeVar("A")
R = TypeVar("R")


@dataclass(frozen=True, slots=True, kw_only=True)
class Prepared:
    """An input turned into everything the store keeps, except its story.

    Made in a worker process and pickled back to the main process, so it holds the fingerprint
    as the store keeps it (dedup.fingerprint_to_dict: its terms one string, not a hundred-odd
    strings to pickle, unpickle and hold while results wait to be staged).
    """

    origin: str
    stamp: str
    article: Article
    body: CleanBody
    digest: str  # article_digest(article)
    stored_fingerprint: dict[str, object]  # dedup.fingerprint_to_dict(fingerprint)

    @property
    def fingerprint(self) -> dedup.Fingerprint:
        from aggregator import dedup

        return dedup.fingerprint_from_dict(self.stored_fingerprint)


@dataclass(frozen=True, slots=True, kw_only=True)
class Skipped:
    """An input that yields no article, and why."""

    origin: str
    reason: str


def prepare(item: Input, *, via: str) -> Prepared | Skipped:
    """Read (if a SeedInput), normalize, clean and fingerprint one input; never raises."""
    # The stages load on first use: a build with nothing to read never pays for their imports.
    from aggregator import dedup
    from aggregator.clean import clean_html
    from aggregator.normalize import article_from_feed_item, article_from_seed

    collected = load_seed_input(item) if isinstance(item, SeedInput) else item
    doc = collected.doc
    if isinstance(doc, SourceError):
        return Skipped(origin=collected.origin, reason=doc.reason)
    if doc is None:
        return Skipped(origin=collected.origin, reason="unchanged")
    try:
        if isinstance(doc, SeedDoc):
            article = article_from_seed(doc, via=via)
        else:
            article = article_from_feed_item(doc)
        body = clean_html(article.raw_html, base_url=article.url)
        fingerprint = fingerprint_of(article, body.text)
    except SourceError as exc:
        return Skipped(origin=collected.origin, reason=exc.reason)
    except Exception as exc:  # one input must never stop the run: log the bug, go on
        log.exception("prepare.failed origin=%r", collected.origin)
        return Skipped(
            origin=collected.origin, reason=f"internal error: {type(exc).__name__}: {exc}"
        )
    return Prepared(
        origin=collected.origin,
        stamp=collected.stamp,
        article=article,
        body=body,
        digest=article_digest(article),
        stored_fingerprint=dedup.fingerprint_to_dict(fingerprint),
    )


def fingerprint_of(article: Article, text: str) -> dedup.Fingerprint:
    """The dedup fingerprint of an article whose clean body has plain text `text`."""
    from aggregator import dedup

    return dedup.fingerprint(
        dedup.DedupDoc(
            url=article.url,
            title=article.title,
            text=text,
            published=article.published,
            source=article.source,
            guid=article.guid,
        )
    )


def article_digest(article: Article) -> str:
    """Fingerprint of an article version: same title and HTML means the same version."""
    return hashlib.sha256(f"{article.title}\n{article.raw_html}".encode()).hexdigest()


def prepare_all(items: Sequence[Input], *, via: str, jobs: int) -> Iterator[Prepared | Skipped]:
    """Prepare every item, in `jobs` worker processes when that pays; results in input order."""
    if jobs <= 1 or len(items) < MIN_PARALLEL:
        for item in items:
            yield prepare(item, via=via)
        return
    chunks = [(items[start : start + CHUNK], via) for start in range(0, len(items), CHUNK)]
    for results in map_in_workers(_prepare_chunk, chunks, jobs=jobs):
        yield from results


def map_in_workers(
    func: Callable[[A], R], tasks: Sequence[A], *, jobs: int, ahead: int = IN_FLIGHT
) -> Iterator[R]:
    """`func` over `tasks` in `jobs` processes, results in task order, `ahead` per worker.

    If a worker dies (killed, out of memory), the tasks without a result run in this process:
    the run finishes rather than losing what was read.
    """
    method = "fork" if threading.active_count() == 1 else "forkserver"
    done = 0
    try:
        with ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=multiprocessing.get_context(method),
            initializer=_ignore_interrupts,
        ) as pool:
            waiting: deque[Future[R]] = deque()
            upcoming = deque(tasks)

            def top_up() -> None:
                while upcoming and len(waiting) < jobs * ahead:
                    waiting.append(pool.submit(func, upcoming.popleft()))

            try:
                top_up()
                while waiting:
                    result = waiting.popleft().result()
                    done += 1
                    top_up()  # before yielding: workers go on while the caller stores this
                    yield result
            finally:  # stopped early (Ctrl-C, an error, a consumer that quit): drop the queue
                pool.shutdown(wait=True, cancel_futures=True)
    except BrokenProcessPool:
        log.error("workers.lost remaining=%d; going on in one process", len(tasks) - done)
        for task in tasks[done:]:
            yield func(task)


def _ignore_interrupts() -> None:
    """In a worker: Ctrl-C is the main process's to handle; it stops the pool."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _prepare_chunk(task: tuple[Sequence[Input], str]) -> list[Prepared | Skipped]:
    chunk, via = task
    return [prepare(item, via=via) for item in chunk]
