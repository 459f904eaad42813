"""Where articles come from: the Source interface, and its seed-folder and live-feed kinds.

A Source lists its inputs with a cheap change stamp, and loads the ones whose stamp differs
from what the store remembers; the app normalizes, cleans and stores what they yield. Seed
files: `seedformat` (pure parsing) and `seeds` (files on disk). Live feeds: `feedformat` (pure
parsing), `fetch` (HTTP), `polling` (pure backoff decisions) and `feeds` (the FeedSource).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from aggregator.errors import SourceError
from aggregator.records import FeedItem, SeedDoc

Progress = Callable[[int, int], None]  # (inputs looked at, inputs in all)


@dataclass(frozen=True, slots=True, kw_only=True)
class Collected:
    """One input of a source: its document, the reason it is unusable, or None if unchanged."""

    origin: str  # a seed path, or "<source>:<guid or link>" for a feed entry
    stamp: str  # what tells this input changed since it was last ingested
    doc: SeedDoc | FeedItem | SourceError | None


class Source(Protocol):
    """A configured [[sources]] entry that can be read."""

    name: str

    def collect(
        self, *, stamp_of: Callable[[str], str | None], progress: Progress | None = None
    ) -> Iterator[Collected]:
        """Yield every input; load only those whose stamp differs from `stamp_of(origin)`."""
        ...
