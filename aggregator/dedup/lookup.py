"""Where the story index finds decided articles beyond the ones it holds in memory.

The index (aggregator.dedup.StoryIndex) keeps in memory only the articles published within
`dedup.window_hours` of those it is deciding: level 3 never looks further. Levels 1 and 2
look at every decided article, through lookup keys: the URL, the outlet's guid, the text
hash and one key per LSH band of the MinHash signature (two signatures share a band key
exactly when MinHash LSH would make them candidates). A Lookup answers those queries and
serves the articles the index loads (around many new articles, every one in their window;
around a few, only those sharing a rare term with them, through postings of the terms); the
app's adapter (aggregator.app.ingest) reads them from the store, MemoryLookup from memory
(tests, a one-off index).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from aggregator.dedup.shingles import MIN_TEXT_UNITS
from aggregator.records import StoryId

if TYPE_CHECKING:
    from aggregator.dedup import Fingerprint

URL_KEY = "u"
GUID_KEY = "g"
TEXT_KEY = "t"
BAND_KEY = "b"
_SEP = "\x1f"  # cannot occur in a URL, an outlet's name or a hex digest


class Lookup(Protocol):
    """Decided articles, found by lookup key, by URL or by publication time."""

    def find(self, keys: Sequence[str]) -> list[tuple[str, str]]:
        """(key, URL) for every decided article with one of `keys`, oldest first."""
        ...

    def members(self, urls: Sequence[str]) -> dict[str, tuple[Fingerprint, StoryId]]:
        """The fingerprint and story of each decided article of `urls`."""
        ...

    def between(self, first: datetime, last: datetime) -> Iterator[tuple[Fingerprint, StoryId]]:
        """The decided articles published from `first` to `last`, both included."""
        ...

    def sharing(
        self, terms: Sequence[str], first: datetime, last: datetime
    ) -> list[tuple[Fingerprint, StoryId]] | None:
        """The decided articles published from `first` to `last` with one of `terms` (and
        maybe some without: a version replaced since may have had one); None if a term's
        articles are not known (StoryIndex.take_postings left it out)."""
        ...

    def spans(self, ids: Sequence[StoryId]) -> dict[StoryId, tuple[datetime, datetime]]:
        """The earliest and latest publication among each story's members."""
        ...

    def doc_freqs(self, terms: Sequence[str]) -> dict[str, int]:
        """In how many decided articles each term was counted (as of the last save)."""
        ...

    def put(self, fp: Fingerprint, story_id: StoryId, keys: Sequence[str]) -> None:
        """Remember a newly decided article and its keys (its terms come with the next
        StoryIndex.take_postings)."""
        ...

    def drop(self, fp: Fingerprint, keys: Sequence[str]) -> None:
        """Forget the keys of a version of an article that a newer one replaces."""
        ...


def lookup_keys(fp: Fingerprint, *, bands: int, rows: int) -> list[str]:
    """The level-1 and level-2 lookup keys of `fp`, for LSH with `bands` bands of `rows`."""
    keys = [f"{URL_KEY}{_SEP}{fp.url}"]
    if fp.guid is not None:
        keys.append(f"{GUID_KEY}{_SEP}{fp.source.strip().casefold()}{_SEP}{fp.guid}")
    if fp.text_units >= MIN_TEXT_UNITS:
        keys.append(f"{TEXT_KEY}{_SEP}{fp.text_hash}")
    if fp.signature:
        width = 4 * rows  # a packed signature holds 4 bytes per value
        for band in range(bands):
            # A digest, not the band's bytes: a key of 16 characters instead of 104. Two
            # different bands sharing a digest only adds a candidate, which level 2 confirms
            # on its Jaccard, so no match is lost.
            digest = hashlib.blake2b(fp.signature[band * width : (band + 1) * width], digest_size=8)
            keys.append(f"{BAND_KEY}{band}{_SEP}{digest.hexdigest()}")
    return keys


def key_kind(key: str) -> str:
    """URL_KEY, GUID_KEY, TEXT_KEY or BAND_KEY."""
    return key[0]


class MemoryLookup:
    """A Lookup over articles held in memory: for tests and an index built without a store."""

    def __init__(self) -> None:
        self._urls_of: dict[str, list[str]] = {}
        self._members: dict[str, tuple[Fingerprint, StoryId]] = {}
        self._spans: dict[StoryId, tuple[datetime, datetime]] = {}

    def find(self, keys: Sequence[str]) -> list[tuple[str, str]]:
        return [(key, url) for key in keys for url in self._urls_of.get(key, ())]

    def members(self, urls: Sequence[str]) -> dict[str, tuple[Fingerprint, StoryId]]:
        return {url: self._members[url] for url in urls if url in self._members}

    def between(self, first: datetime, last: datetime) -> Iterator[tuple[Fingerprint, StoryId]]:
        return (pair for pair in self._members.values() if first <= pair[0].published <= last)

    def sharing(
        self, terms: Sequence[str], first: datetime, last: datetime
    ) -> list[tuple[Fingerprint, StoryId]] | None:
        wanted = frozenset(terms)
        return [pair for pair in self.between(first, last) if not wanted.isdisjoint(pair[0].terms)]

    def spans(self, ids: Sequence[StoryId]) -> dict[StoryId, tuple[datetime, datetime]]:
        return {story_id: self._spans[story_id] for story_id in ids if story_id in self._spans}

    def doc_freqs(self, terms: Sequence[str]) -> dict[str, int]:
        return {}  # the index has counted every article it was given itself

    def put(self, fp: Fingerprint, story_id: StoryId, keys: Sequence[str]) -> None:
        for key in keys:
            self._urls_of.setdefault(key, []).append(fp.url)
        self._members[fp.url] = (fp, story_id)
        span = self._spans.get(story_id, (fp.published, fp.published))
        self._spans[story_id] = (min(span[0], fp.published), max(span[1], fp.published))

    def drop(self, fp: Fingerprint, keys: Sequence[str]) -> None:
        for key in keys:
            urls = self._urls_of.get(key, [])
            if fp.url in urls:
                urls.remove(fp.url)
        self._members.pop(fp.url, None)
