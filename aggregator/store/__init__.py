"""The storage interface, and open_store() to get the configured backend.

The store keeps records, not stage logic: no clustering or topic matching here. SQLite is the
default (one file, WAL mode); the Store protocol is what a PostgreSQL backend will implement.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol

from aggregator.config import StorageConfig
from aggregator.errors import StorageError
from aggregator.records import FeedState, SourceState, StoredArticle, StoryId, StoryState


class Store(Protocol):
    """What the app needs from a database. Every method raises StorageError on failure."""

    def close(self) -> None: ...

    def transaction(self) -> AbstractContextManager[None]:
        """Group writes: all of them commit at the end of the block, or none does."""
        ...

    def input_digest(self, origin: str) -> str | None:
        """The digest recorded for an input (a seed path) when it was last ingested."""
        ...

    def record_input(self, origin: str, digest: str, *, now: datetime) -> None: ...

    def get_article(self, url: str) -> StoredArticle | None: ...

    def put_article(self, stored: StoredArticle, *, now: datetime) -> None:
        """Insert or replace the article with this canonical URL."""
        ...

    def iter_fingerprints(self) -> Iterator[tuple[dict[str, object], StoryId]]:
        """Every article's dedup fingerprint with its story, oldest ingested first."""
        ...

    def get_story(self, story_id: StoryId) -> StoryState | None: ...

    def put_story(self, story: StoryState) -> None: ...

    def iter_stories(self) -> Iterator[tuple[StoryState, list[StoredArticle]]]:
        """Every story with its member articles (earliest published first)."""
        ...

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
