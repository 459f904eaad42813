"""Level-3 term statistics of the story index: document frequencies, postings, batch overlap.

StoryIndex (aggregator.dedup) keeps one TermIndex and asks it, for every incoming article:

- which indexed articles within the window share the most of its rarest terms (the
  candidates; the same rule, ties and all, as scanning per-term sets of URLs);
- the IDF-weighted overlap (similarity.weighted_jaccard of similarity.term_weights) of the
  article with every candidate at once, and from it a bound of each candidate's story score
  (relatedness × (1 + closeness) / 2, the score with dates at their most, 1).

StoryIndex then computes the score (similarity.story_score) only for the candidates whose
bound reaches `dedup.story`, and the shared terms only for the winner.

Why numpy, when similarity.py is standard library only: an article has ~170 terms and up to
MAX_CANDIDATES candidates, and IDF changes with every article added, so weighing every
candidate's terms in Python cost about a millisecond per article. Here terms have integer
ids, the articles' term ids and title flags sit in flat arrays, document frequencies in an
array by term id; one article's candidates are weighed in a few array operations, with
overlap = sum of min over shared terms / (sum_a + sum_b - that). Posting lists (term id ->
docs) are filled when first read, in bulk after a load (see _post).

Precision: numpy sums in another order than Python's per-pair loops, so an overlap may
differ from score_pair's in the last bits (~1e-15). score_pair itself sums over a set, whose
order varies between processes, so no decision rests on those bits; bounds are compared
with a margin (BOUND_MARGIN) so that rounding never drops a candidate.

Pure: no I/O. Times are integer microseconds since the epoch, so the window test is exact.
"""

from __future__ import annotations

import itertools
import math
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Generic, TypeVar

import numpy as np
import numpy.typing as npt

from aggregator.dedup.similarity import (
    CHANCE_OVERLAP,
    FULL_OVERLAP,
    TITLE_WEIGHT,
    StoryFeatures,
    idf_of,
)
from aggregator.instants import MICROSECOND, microseconds

I64 = npt.NDArray[np.int64]
T = TypeVar("T", bound=np.generic)
F64 = npt.NDArray[np.float64]

# A bound computed in numpy may fall below the exact score by rounding (~1e-15); this margin
# keeps every candidate that could reach the bar.
BOUND_MARGIN: Final = 1e-9
_INITIAL_CAPACITY: Final = 1024
_MIN_COMPACT: Final = 4096  # dead docs before the arrays are rebuilt without them
_FEW_UNPOSTED: Final = 16  # docs not posted yet that the next query posts (see _post)
_SCANS_BEFORE_POSTING: Final = 64  # queries that scan more before they are posted


class _Column(Generic[T]):
    """A numpy array that grows by doubling; `data` is a view of the filled part."""

    def __init__(self, dtype: type[T]) -> None:
        self._array: npt.NDArray[T] = np.zeros(_INITIAL_CAPACITY, dtype=dtype)
        self._size = 0

    @classmethod
    def of(cls, values: npt.NDArray[T]) -> _Column[T]:
        """A column holding `values` (not copied)."""
        column = cls(values.dtype.type)
        column._array, column._size = values, len(values)
        return column

    @property
    def data(self) -> npt.NDArray[T]:
        return self._array[: self._size]

    def __len__(self) -> int:
        return self._size

    def at(self, index: int) -> T:
        return self._array[index]  # type: ignore[no-any-return]

    def append(self, value: int | bool) -> int:
        """Append one value; return its position."""
        if self._size == len(self._array):
            self._grow(self._size + 1)
        self._array[self._size] = value
        self._size += 1
        return self._size - 1

    def extend(self, values: npt.NDArray[T]) -> int:
        """Append `values`; return the position of the first."""
        start, end = self._size, self._size + len(values)
        if end > len(self._array):
            self._grow(end)
        self._array[start:end] = values
        self._size = end
        return start

    def _grow(self, size: int) -> None:
        grown = np.zeros(max(size, 2 * len(self._array)), dtype=self._array.dtype)
        grown[: self._size] = self._array[: self._size]
        self._array = grown


class _Vocabulary(dict[str, int]):
    """Term -> id; looking up an unknown term gives it the next id. `terms` is id -> term."""

    def __init__(self) -> None:
        super().__init__()
        self.terms: list[str] = []

    def __missing__(self, term: str) -> int:
        self[term] = term_id = len(self)
        self.terms.append(term)
        return term_id


class DocFreq(Mapping[str, int]):
    """A read-only view of the document frequencies: in how many indexed articles a term is."""

    def __init__(self, vocabulary: Mapping[str, int], counts: _Column[np.int64]) -> None:
        self._vocabulary = vocabulary
        self._counts = counts

    def get(self, term: str, default: int = 0) -> int:  # type: ignore[override]
        term_id = self._vocabulary.get(term)
        if term_id is None:
            return default
        return int(self._counts.at(term_id)) or default

    def __getitem__(self, term: str) -> int:
        count = self.get(term)
        if not count:
            raise KeyError(term)
        return count

    def __iter__(self) -> Iterator[str]:
        counts = self._counts.data
        return (term for term, term_id in self._vocabulary.items() if counts[term_id])

    def __len__(self) -> int:
        return int(np.count_nonzero(self._counts.data))


@dataclass(frozen=True, slots=True, kw_only=True)
class StoryCandidates:
    """Level-3 candidates of one article, their overlap with it and a bound of their score."""

    urls: list[str]
    overlaps: list[float]  # IDF-weighted Jaccard, as score_pair has it up to float rounding
    bounds: list[float]  # relatedness × (1 + closeness) / 2 >= score, up to float rounding


class TermIndex:
    """The story terms and publication times of the indexed articles, by URL.

    Document frequencies may count more articles than are indexed: an article added with
    `counted=False` is one whose terms are already counted (learned from the store with
    learn_doc_freqs), and one removed with `counted=False` stays counted, as when it leaves
    the index's time window but not the corpus.
    """

    def __init__(self) -> None:
        self._vocabulary = _Vocabulary()
        self._doc_freq: _Column[np.int64] = _Column(np.int64)  # by term id
        self._log_freq: _Column[np.float64] = _Column(np.float64)  # by term id: log(1 + freq)
        self._changed: _Column[np.bool_] = _Column(np.bool_)  # by term id: counted here
        # By term id: the docs that have the term, removed ones included (see remove); docs
        # from _posted_up_to on are not in yet (see _post).
        # array("i"): 4 bytes per entry, where a list of ints takes 40 (100 MB at 20,000 docs).
        self._postings: list[array[int]] = []
        self._posted_up_to = 0
        self._tail_scans = 0  # queries that scanned the docs not posted yet
        self._doc_of: dict[str, int] = {}  # URL -> doc; a URL added again gets a new doc
        self._url_of: list[str] = []  # by doc
        self._live: _Column[np.bool_] = _Column(np.bool_)  # by doc: not removed
        self._time: _Column[np.int64] = _Column(np.int64)  # by doc: microseconds()
        self._start: _Column[np.int64] = _Column(np.int64)  # by doc: where its terms begin
        self._count: _Column[np.int64] = _Column(np.int64)  # by doc: how many terms
        self._terms: _Column[np.int32] = _Column(np.int32)  # term ids, doc after doc
        self._in_title: _Column[np.bool_] = _Column(np.bool_)  # parallel to _terms
        # The articles counted since the last take_postings: URLs, then term ids, doc by doc.
        self._unsaved_urls: list[str] = []
        self._unsaved_terms: _Column[np.int32] = _Column(np.int32)
        self._unsaved_counts: _Column[np.int64] = _Column(np.int64)

    @property
    def doc_freq(self) -> DocFreq:
        return DocFreq(self._vocabulary, self._doc_freq)

    def __contains__(self, url: object) -> bool:
        return url in self._doc_of

    def shared_terms(self, article: StoryFeatures, url: str, *, n_docs: int) -> tuple[str, ...]:
        """The terms `article` shares with the indexed article at `url`, heaviest first (the
        smaller weight of the two, then the term), as similarity.score_pair lists them."""
        doc = self._doc_of[url]
        start = int(self._start.data[doc])
        end = start + int(self._count.data[doc])
        their_ids = self._terms.data[start:end].tolist()
        in_their_title = dict(zip(their_ids, self._in_title.data[start:end].tolist(), strict=True))
        own_title = frozenset(article.title_terms)
        counts = self._doc_freq.data
        weights: dict[str, float] = {}
        for term in article.terms:
            term_id = self._vocabulary.get(term)
            if term_id is None or term_id not in in_their_title:
                continue
            both_titles = in_their_title[term_id] and term in own_title
            weights[term] = idf_of(int(counts[term_id]), n_docs) * (
                TITLE_WEIGHT if both_titles else 1.0
            )
        return tuple(sorted(weights, key=lambda t: (-weights[t], t)))

    def unknown_terms(self, terms: Iterable[str]) -> set[str]:
        """Those of `terms` whose document frequency the index does not know yet."""
        return set(terms).difference(self._vocabulary)

    def learn_doc_freqs(self, counts: Mapping[str, int], terms: Iterable[str]) -> None:
        """Take the document frequencies of `terms`, unknown so far, from `counts` (0 if not
        there): how many articles counted elsewhere have them."""
        fresh = [term for term in terms if term not in self._vocabulary]
        ids = np.fromiter(map(self._vocabulary.__getitem__, fresh), np.int64, len(fresh))
        self._grow_terms()
        self._doc_freq.data[ids] = np.fromiter(
            (counts.get(term, 0) for term in fresh), np.int64, len(fresh)
        )
        self._log_freq.data[ids] = np.log1p(self._doc_freq.data[ids])

    @property
    def unsaved(self) -> int:
        """How many articles were counted since the last take_postings."""
        return len(self._unsaved_urls)

    def take_postings(self, most_docs: int) -> tuple[list[str], dict[str, I64 | None]]:
        """The URLs of the articles counted since the last call, and by term the positions in
        that list of those with the term; None for a term now in more than `most_docs`
        articles (a term never looked up by its postings)."""
        urls, term_ids = self._unsaved_urls, self._unsaved_terms.data
        docs = np.repeat(np.arange(len(urls)), self._unsaved_counts.data)
        self._unsaved_urls = []
        self._unsaved_terms, self._unsaved_counts = _Column(np.int32), _Column(np.int64)
        if not len(term_ids):
            return urls, {}
        order = np.argsort(term_ids, kind="stable")  # stable: docs stay in order per term
        term_ids, docs = term_ids[order], docs[order]
        cuts = np.flatnonzero(np.diff(term_ids)) + 1
        heads = term_ids[np.concatenate(([0], cuts))].tolist()
        counts, terms = self._doc_freq.data, self._vocabulary.terms
        return urls, {
            terms[term_id]: None if counts[term_id] > most_docs else group
            for term_id, group in zip(heads, np.split(docs, cuts), strict=True)
        }

    def changed_doc_freqs(self) -> list[tuple[str, int]]:
        """(term, document frequency) of every term counted or discounted since the last call."""
        changed = self._changed.data
        counts = self._doc_freq.data
        result = [
            (term, int(counts[term_id]))
            for term, term_id in self._vocabulary.items()
            if changed[term_id]
        ]
        changed[:] = False
        return result

    def add(
        self,
        url: str,
        terms: tuple[str, ...],
        title_terms: tuple[str, ...],
        published: datetime,
        *,
        counted: bool = True,
    ) -> None:
        """Index the story terms of the article at `url`, which must not be indexed yet;
        `counted`: count its terms in the document frequencies."""
        self.add_many([(url, terms, title_terms, published)], counted=counted)

    def add_many(
        self,
        docs: Sequence[tuple[str, tuple[str, ...], tuple[str, ...], datetime]],
        *,
        counted: bool = True,
    ) -> None:
        """add() each of `docs` (URL, terms, title terms, publication time), in one pass."""
        flat = list(itertools.chain.from_iterable(doc[1] for doc in docs))
        term_ids = np.fromiter(map(self._vocabulary.__getitem__, flat), np.int64, len(flat))
        in_title = np.fromiter(
            itertools.chain.from_iterable(_in_title(doc[1], doc[2]) for doc in docs),
            np.bool_,
            len(flat),
        )
        self._grow_terms()
        first = len(self._url_of)
        for doc, (url, *_) in enumerate(docs, start=first):
            self._doc_of[url] = doc
            self._url_of.append(url)
        counts = np.fromiter((len(doc[1]) for doc in docs), np.int64, len(docs))
        start = self._terms.extend(term_ids.astype(np.int32))
        self._start.extend(start + np.cumsum(counts) - counts)
        self._count.extend(counts)
        self._live.extend(np.ones(len(docs), dtype=np.bool_))
        self._time.extend(np.fromiter((microseconds(doc[3]) for doc in docs), np.int64, len(docs)))
        self._in_title.extend(in_title)
        if counted:
            self._count_terms(term_ids, +1)
            self._unsaved_urls.extend(doc[0] for doc in docs)
            self._unsaved_terms.extend(term_ids.astype(np.int32))
            self._unsaved_counts.extend(counts)

    def remove(self, url: str, *, counted: bool = True) -> None:
        """Forget the article at `url`; `counted`: take its terms out of the frequencies.

        Its doc stays in the postings and flat arrays, marked dead: taking it out of the
        posting list of a common term would scan thousands of docs. Once dead docs outnumber
        live ones, the arrays are rebuilt without them (_compact).
        """
        doc = self._doc_of.pop(url)
        self._live.data[doc] = False
        if counted:
            start = int(self._start.data[doc])
            self._count_terms(self._terms.data[start : start + int(self._count.data[doc])], -1)
        if len(self._url_of) - len(self._doc_of) > max(len(self._doc_of), _MIN_COMPACT):
            self._compact()

    def discount(self, terms: tuple[str, ...]) -> None:
        """Take an article that is not indexed out of the document frequencies."""
        ids = np.fromiter(map(self._vocabulary.__getitem__, terms), np.int64, len(terms))
        self._grow_terms()
        self._count_terms(ids, -1)

    def _count_terms(
        self, term_ids: npt.NDArray[np.int64] | npt.NDArray[np.int32], by: int
    ) -> None:
        np.add.at(self._doc_freq.data, term_ids, by)  # add_many: a term may recur
        self._log_freq.data[term_ids] = np.log1p(self._doc_freq.data[term_ids])
        self._changed.data[term_ids] = True

    def _grow_terms(self) -> None:
        """Give the terms new to the vocabulary their postings and (zero) counts."""
        new_terms = len(self._vocabulary) - len(self._postings)
        if new_terms:
            self._postings.extend(array("i") for _ in range(new_terms))
            self._doc_freq.extend(np.zeros(new_terms, dtype=np.int64))
            self._log_freq.extend(np.zeros(new_terms, dtype=np.float64))
            self._changed.extend(np.zeros(new_terms, dtype=np.bool_))

    def _compact(self) -> None:
        """Rebuild the per-doc arrays and postings with the live docs only.

        A doc's terms sit together, doc after doc, so the live docs' terms are those at the
        positions a per-position flag marks: one byte per term, not the index arrays that
        picking them out by position took (~100 MB at a window of 20,000 articles).
        """
        live = np.flatnonzero(self._live.data)
        counts = self._count.data[live]
        kept = np.repeat(self._live.data, self._count.data)  # by term position
        self._url_of = [self._url_of[doc] for doc in live.tolist()]
        self._doc_of = {url: doc for doc, url in enumerate(self._url_of)}
        self._time = _Column.of(self._time.data[live])
        self._start = _Column.of(np.cumsum(counts) - counts)
        self._count = _Column.of(counts)
        self._terms = _Column.of(self._terms.data[kept])
        self._in_title = _Column.of(self._in_title.data[kept])
        self._live = _Column.of(np.ones(len(live), dtype=np.bool_))
        self._postings = [array("i") for _ in range(len(self._postings))]
        # All were posted: post them again at the next query rather than scan them first.
        self._posted_up_to, self._tail_scans = 0, _SCANS_BEFORE_POSTING

    def story_candidates(
        self,
        article: StoryFeatures,
        *,
        exclude: str,
        window: timedelta,
        n_docs: int,
        query_terms: int,
        posting_docs: int,
        limit: int,
    ) -> StoryCandidates:
        """The level-3 candidates of `article`, with their relatedness and closeness to it.

        Candidates are the indexed articles within `window` (other than `exclude`) sharing
        the most of the `query_terms` rarest terms of `article`: a term counts if
        1..`posting_docs` articles have it; rarest means lowest document frequency, then
        first in `article.terms` (sorted, so alphabetical). At most `limit`: most shared
        terms first, then by URL. Their order in the result is by doc, not by rank.
        """
        own_ids = np.fromiter(
            map(self._vocabulary.get, article.terms, itertools.repeat(-1)),
            np.int64,
            len(article.terms),
        )
        docs = self._candidates(
            own_ids,
            published=microseconds(article.published),
            window=window // MICROSECOND,
            exclude=self._doc_of.get(exclude, -1),
            query_terms=query_terms,
            posting_docs=posting_docs,
            limit=limit,
        )
        if not len(docs):
            return StoryCandidates(urls=[], overlaps=[], bounds=[])
        in_title = _title_flags(article.terms, article.title_terms)
        overlaps = self._overlaps(own_ids, in_title, docs, n_docs)
        ramp = (overlaps - CHANCE_OVERLAP) / (FULL_OVERLAP - CHANCE_OVERLAP)
        time_apart = np.abs(self._time.data[docs] - microseconds(article.published))
        closeness = np.maximum(0.0, 1.0 - time_apart / (window // MICROSECOND))
        bounds = np.clip(ramp, 0.0, 1.0) * (1.0 + closeness) / 2
        return StoryCandidates(
            urls=[self._url_of[doc] for doc in docs.tolist()],
            overlaps=overlaps.tolist(),
            bounds=bounds.tolist(),
        )

    def _candidates(
        self,
        own_ids: I64,
        *,
        published: int,
        window: int,
        exclude: int,
        query_terms: int,
        posting_docs: int,
        limit: int,
    ) -> I64:
        self._post()
        known = own_ids[own_ids >= 0]
        freq = self._doc_freq.data[known]
        usable = (freq > 0) & (freq <= posting_docs)
        rare = known[usable][np.argsort(freq[usable], kind="stable")][:query_terms]
        docs = np.concatenate(
            [np.frombuffer(self._postings[t], dtype=np.int32) for t in rare.tolist()]
            + [self._unposted_with(rare)]
        ).astype(np.int64)
        wanted = (
            (np.abs(self._time.data[docs] - published) <= window)
            & self._live.data[docs]
            & (docs != exclude)
        )
        docs, hits = np.unique(docs[wanted], return_counts=True)
        if len(docs) <= limit:
            return docs
        least = np.partition(hits, len(hits) - limit)[len(hits) - limit]  # hits of the last
        sure = docs[hits > least]
        tied = sorted(docs[hits == least].tolist(), key=self._url_of.__getitem__)
        return np.concatenate((sure, np.array(tied[: limit - len(sure)], dtype=np.int64)))

    def _post(self) -> None:
        """Add the docs not posted yet to the postings: a few at once, many once their terms
        were scanned SCANS_BEFORE_POSTING times (_unposted_with).

        Postings are only read by _candidates, so they are filled then. One new doc (the
        usual case while ingesting: add, assign, add, ...) is appended term by term. Many (a
        load from the store) are posted in bulk, one sort of their term ids and one extend per
        term, which costs about as much as scanning their term ids for a hundred queries: so
        the few queries that follow a load for a few new articles scan instead, and a long
        run of queries posts after the first SCANS_BEFORE_POSTING.
        """
        first = self._posted_up_to
        unposted = len(self._url_of) - first
        if not unposted or (unposted > _FEW_UNPOSTED and self._tail_scans < _SCANS_BEFORE_POSTING):
            return
        counts = self._count.data[first:]
        start = int(self._start.data[first])
        term_ids = self._terms.data[start : start + int(counts.sum())]
        self._posted_up_to, self._tail_scans = len(self._url_of), 0
        if unposted == 1:
            for term_id in term_ids.tolist():
                self._postings[term_id].append(first)
            return
        docs = np.repeat(np.arange(first, len(self._url_of)), counts)
        order = np.argsort(term_ids, kind="stable")  # stable: docs stay in order per term
        sorted_ids = term_ids[order]
        bounds = [0, *(np.flatnonzero(np.diff(sorted_ids)) + 1).tolist(), len(sorted_ids)]
        heads = sorted_ids[bounds[:-1]].tolist() if len(sorted_ids) else []
        sorted_docs = docs[order].tolist()
        postings = self._postings
        for term_id, begin, end in zip(heads, bounds, bounds[1:], strict=False):
            postings[term_id].extend(sorted_docs[begin:end])

    def _unposted_with(self, term_ids: I64) -> I64:
        """The docs not posted yet that have one of `term_ids`, once per such term."""
        first = self._posted_up_to
        if first == len(self._url_of):
            return np.empty(0, dtype=np.int64)
        self._tail_scans += 1
        begin = int(self._start.data[first])
        wanted = np.zeros(len(self._vocabulary), dtype=np.bool_)
        wanted[term_ids] = True
        at = np.flatnonzero(wanted[self._terms.data[begin:]]) + begin  # positions in _terms
        return np.searchsorted(self._start.data[first:], at, side="right") - 1 + first

    def _overlaps(
        self, own_ids: I64, in_title: npt.NDArray[np.bool_], docs: I64, n_docs: int
    ) -> F64:
        """The IDF-weighted Jaccard of the own terms with each doc's, as score_pair has it.

        Equal to similarity.weighted_jaccard up to float rounding: the sum of the smaller
        weights over the shared terms, divided by sum_a + sum_b - that (the sum of the larger).
        """
        own_log_freq = np.where(own_ids >= 0, self._log_freq.data[np.maximum(own_ids, 0)], 0.0)
        own_weights = self._weights(own_log_freq, in_title, n_docs)
        has_terms = self._count.data[docs] > 0  # a doc without terms overlaps nothing
        counts = self._count.data[docs[has_terms]]
        ends = np.cumsum(counts)
        starts = ends - counts  # where each doc's terms begin in `flat`
        flat = np.arange(int(ends[-1]) if len(ends) else 0) + np.repeat(
            self._start.data[docs[has_terms]] - starts, counts
        )
        their_ids = self._terms.data[flat]
        their_weights = self._weights(
            self._log_freq.data[their_ids], self._in_title.data[flat], n_docs
        )
        # The own weight of each of their terms (0 unless shared), through an array by term
        # id: np.zeros gets pages the system zeroes on first touch, so only touched ones cost.
        known = own_ids >= 0
        by_term = np.zeros(len(self._vocabulary))
        by_term[own_ids[known]] = own_weights[known]
        own_of_theirs = by_term[their_ids]
        smaller = _segment_sums(np.minimum(own_of_theirs, their_weights), starts)
        larger = own_weights.sum() + _segment_sums(their_weights, starts) - smaller
        overlaps: F64 = np.zeros(len(docs))
        overlaps[has_terms] = np.divide(
            smaller, larger, out=np.zeros(len(smaller)), where=larger > 0
        )
        return overlaps

    @staticmethod
    def _weights(log_freq: F64, in_title: npt.NDArray[np.bool_], n_docs: int) -> F64:
        """similarity.term_weights in numpy: smoothed IDF, log((1 + n_docs) / (1 + freq)) + 1,
        from each term's log(1 + freq) (kept per term: a log per weight cost more than the
        rest of the overlaps); title terms weigh TITLE_WEIGHT times."""
        idf: F64 = (math.log1p(n_docs) + 1.0) - log_freq
        return np.where(in_title, idf * TITLE_WEIGHT, idf)


def _segment_sums(values: F64, starts: I64) -> F64:
    """The sums of `values` from each of `starts` to the next (non-empty segments)."""
    if not len(starts):
        return np.zeros(0)
    sums: F64 = np.add.reduceat(values, starts)
    return sums


def _in_title(terms: tuple[str, ...], title_terms: tuple[str, ...]) -> Iterator[bool]:
    """For each of `terms`, whether it is a title term."""
    return map(frozenset(title_terms).__contains__, terms)


def _title_flags(terms: tuple[str, ...], title_terms: tuple[str, ...]) -> npt.NDArray[np.bool_]:
    """_in_title as an array."""
    return np.fromiter(_in_title(terms, title_terms), bool, len(terms))
