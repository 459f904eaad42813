"""The storage interface, and open_store() to get the configured backend.

The store keeps records, not stage logic: no clustering or topic matching here. SQLite is the
default (one file, WAL mode); the Store protocol is what a PostgreSQL backend will implement.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol

from aggregator.config import StorageConfig
from aggregator.errors import StorageError
from aggregator.records import (
    FeedState,
    KnownArticle,
    SourceState,
    StoredArticle,
    StoryDecision,
    StoryId,
    StoryMember,
    StoryState,
    StorySummary,
)


class Store(Protocol):
    """What the app needs from a database. Every method raises StorageError on failure."""

    def close(self) -> None: ...

    def transaction(self) -> AbstractContextManager[None]:
        """Group writes: all of them commit at the end of the block, or none does."""
        ...

    def input_digest(self, origin: str) -> str | None:
        """The digest recorded for an input (a seed path) when it was last ingested."""
        ...

    def input_digests(self) -> dict[str, str]:
        """Every recorded input's digest, by origin: one read instead of one per input."""
        ...

    def record_input(self, origin: str, digest: str, *, now: datetime) -> None: ...

    def known_article(self, url: str) -> KnownArticle | None:
        """The stored version's digest, capture time and decision, without its text."""
        ...

    def has_pending(self) -> bool:
        """Whether any stored article waits for its story."""
        ...

    def get_article(self, url: str) -> StoredArticle | None: ...

    def put_article(self, stored: StoredArticle, *, now: datetime) -> None:
        """Insert or replace the article with this canonical URL (pending if no decision)."""
        ...

    def iter_fingerprints(
        self, published: tuple[datetime, datetime] | None = None
    ) -> Iterator[tuple[dict[str, object], StoryId]]:
        """Every decided article's dedup fingerprint with its story, oldest ingested first;
        only those published from `published[0]` to `published[1]` (both included) if given."""
        ...

    def decided_fingerprints(
        self, urls: Sequence[str]
    ) -> dict[str, tuple[dict[str, object], StoryId]]:
        """The fingerprints and stories of those of `urls` that are decided, by URL."""
        ...

    def count_decided(self) -> int:
        """How many articles have a story."""
        ...

    def find_dedup_keys(self, keys: Sequence[str]) -> list[tuple[str, str]]:
        """(key, URL) for every stored dedup key among `keys`, in the order they were put."""
        ...

    def put_dedup_keys(self, url: str, keys: Sequence[str]) -> None:
        """Record the dedup lookup keys of the decided article at `url`."""
        ...

    def drop_dedup_keys(self, url: str, keys: Sequence[str]) -> None: ...

    def story_spans(self, ids: Sequence[StoryId]) -> dict[StoryId, tuple[datetime, datetime]]:
        """The earliest and latest publication of each story's members (stories without
        members are left out)."""
        ...

    def doc_freqs(self, terms: Sequence[str]) -> dict[str, int]:
        """The stored document frequencies of `terms` (terms never counted are left out)."""
        ...

    def put_doc_freqs(self, counts: Iterable[tuple[str, int]]) -> None:
        """Set the document frequencies of these terms."""
        ...

    def doc_ids(self, urls: Sequence[str]) -> dict[str, int]:
        """The id under which postings name each article of `urls` that is stored."""
        ...

    def add_postings(self, postings: Mapping[str, bytes | None]) -> None:
        """Post under each term the articles whose doc_ids `postings[term]` holds (int64, in
        native byte order), besides those posted there before; None: stop posting under the
        term (until cleared; articles posted under it after that may be kept or not)."""
        ...

    def fingerprints_sharing(
        self, terms: Sequence[str], published: tuple[datetime, datetime]
    ) -> list[tuple[dict[str, object], StoryId]] | None:
        """The fingerprint and story of each decided article published within `published`
        (ends included) that is posted under one of `terms`; None if one of `terms` is not
        posted any more."""
        ...

    def clear_dedup_derived(self) -> None:
        """Forget every dedup key, document frequency and posting (to derive them again)."""
        ...

    def pending_urls(self) -> list[str]:
        """URLs of the articles without a story yet, earliest published first."""
        ...

    def get_fingerprints(self, urls: Sequence[str]) -> dict[str, dict[str, object]]:
        """The stored fingerprints of `urls`, by URL (URLs not stored are left out)."""
        ...

    def put_fingerprint(self, url: str, fingerprint: dict[str, object]) -> None: ...

    def decide(self, url: str, decision: StoryDecision) -> None:
        """Give a stored article its story (and the reasons)."""
        ...

    def get_story(self, story_id: StoryId) -> StoryState | None: ...

    def put_story(self, story: StoryState) -> None:
        """Insert or update a story; its topics count as unknown until put_story_topics."""
        ...

    def iter_stories(
        self, ids: Sequence[StoryId] | None = None
    ) -> Iterator[tuple[StoryState, list[StoryMember]]]:
        """Every story (or those in `ids`, in that order) with its members, earliest first."""
        ...

    def iter_entry_stories(
        self, ids: Sequence[StoryId]
    ) -> Iterator[tuple[StoryState, list[StoryMember]]]:
        """The stories in `ids` as a feed entry shows them: like iter_stories, but only the
        first member has its html and summary, and no member its text or decision."""
        ...

    def changed_story_ids(self) -> list[StoryId]:
        """Stories written since their topics were last matched."""
        ...

    def put_story_topics(
        self, story_id: StoryId, topics: tuple[str, ...], *, published: datetime
    ) -> None: ...

    def forget_story_topics(self) -> None:
        """Mark every story changed (the topics in the config changed)."""
        ...

    def story_summaries(self) -> list[StorySummary]:
        """Every story whose topics are known, without members."""
        ...

    def get_meta(self, key: str) -> str | None: ...

    def put_meta(self, key: str, value: str) -> None: ...

    def feed_state(self, slug: str) -> FeedState | None:
        """What a feed was last published with."""
        ...

    def put_feed_state(self, state: FeedState) -> None: ...

    def feed_states(self) -> list[FeedState]: ...

    def get_source_state(self, name: str) -> SourceState | None: ...

    def source_states(self) -> list[SourceState]: ...

    def put_source_state(self, state: SourceState) -> None: ...

    def counts(self) -> dict[str, int]:
        """Row counts by table, for summaries."""
        ...


def open_store(cfg: StorageConfig) -> Store:
    """Open the configured backend, creating and migrating it as needed.

    Raises:
        StorageError: the database cannot be opened or migrated.
    """
    if cfg.url is not None:
        raise StorageError(
            "open", f"storage.url {cfg.url!r}: only SQLite (storage.path) is supported yet"
        )
    from aggregator.store.sqlite import SqliteStore

    return SqliteStore.open(cfg.path)
