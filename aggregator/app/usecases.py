"""Use cases the CLI and the daemon call: build, check, describe stories."""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aggregator.app.ingest import IngestStats, decide_pending, ingest_seed_folder
from aggregator.app.publishing import PublishStats, load_stories, newest, publish
from aggregator.config import Config
from aggregator.errors import StorageError
from aggregator.sources import Progress
from aggregator.sources.seeds import SeedFolder
from aggregator.store import Store, open_store

# A build reports each phase's progress through its own callback: phases("reading files").
Phases = Callable[[str], Progress]

log = logging.getLogger(__name__)

LOCK_WAIT_S = 60.0  # a second build waits this long for the first, then gives up


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


def build(
    cfg: Config, *, jobs: int = 1, fetch: bool = False, phases: Phases | None = None
) -> BuildResult:
    """Ingest every seed folder, decide stories, write the feeds that changed (one-shot).

    `jobs` worker processes prepare changed files. With nothing changed, no file is read, the
    story index is not loaded and no feed is rendered. With `fetch`, every enabled live feed
    is polled once too (aggregator.app.fetching).

    Raises:
        StorageError: the store cannot be opened or written.
        PublishError: a feed file cannot be written.
    """
    started = time.monotonic()
    with build_lock(cfg.storage.path), opened_store(cfg) as store:
        now = datetime.now(UTC)
        stats = IngestStats()
        stamps = store.input_digests()  # every input's digest, read once for all sources
        for source in sources_from_config(cfg):
            reading = None if phases is None else phases("reading files")
            ingest_seed_folder(
                store, source, stats=stats, now=now, stamps=stamps, jobs=jobs, progress=reading
            )
        if fetch:
            from aggregator.app.fetching import ingest_feeds  # httpx: only when fetching

            feeds = [s for s in cfg.sources if s.kind == "feed"]
            ingest_feeds(store, feeds, stats=stats, now=now, stamps=stamps, jobs=jobs)
        if stats.changed or store.has_pending():
            deciding = None if phases is None else phases("deciding stories")
            decide_pending(store, cfg, stats=stats, now=now, progress=deciding)
        published = publish(store, cfg, now=now)
    return BuildResult(ingest=stats, publish=published, seconds=time.monotonic() - started)


@contextmanager
def opened_store(cfg: Config) -> Iterator[Store]:
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


def sources_from_config(cfg: Config) -> list[SeedFolder]:
    """The configured seed folders, ready to scan."""
    sources: list[SeedFolder] = []
    for source in cfg.sources:
        if source.kind == "seeds":
            assert source.path is not None  # config fills in the default folder
            sources.append(SeedFolder(source.name, source.path))
    return sources


def describe_stories(cfg: Config, *, show_all: bool = False) -> str:
    """A listing of stories, newest first, with each member and the dedup decision behind it."""
    with opened_store(cfg) as store:
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
