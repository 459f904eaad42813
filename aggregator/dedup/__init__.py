"""Group articles into stories: the same article, a near-duplicate, or the same story.

Owns an article's Fingerprint (computed once, stored with the article) and the in-memory
StoryIndex that the app rebuilds from the store at start. `StoryIndex.assign` tries three
levels, cheapest first, and returns a StoryDecision; it never adds (the app calls `add`).
Pure: no I/O, no clock; times come from the articles.

1. same_article: the same canonical URL, the same guid from the same outlet, or identical
   text (sha1 of the folded text without whitespace; texts under MIN_TEXT_UNITS units never
   match on text, as an empty or stub body says nothing).
2. near_duplicate: estimated Jaccard of text shingles >= `dedup.near_duplicate`, any outlet,
   any time. Shingles are 3 consecutive units (a CJK character or a word), see
   aggregator.dedup.shingles. MinHash LSH finds candidates without comparing against every
   stored article: datasketch chooses the bands for the threshold (lsh_bands), and each band of
   a signature becomes a lookup key (aggregator.dedup.lookup), so candidates are the articles
   sharing a band, as in datasketch's MinHashLSH, found in the store instead of memory; each is
   confirmed on its estimated Jaccard. The shingles are hashed with numpy, then permuted with
   datasketch's MinHash parameters, drawn as datasketch draws them (the shingles module says
   why).
3. same_story: a report of the same event by another outlet, published within
   `dedup.window_hours` of a member of the story, as long as the story then still spans at
   most window_hours from its first to its last member (the config's "stories only merge
   within this span": reports never chain a story across weeks); the score
   (aggregator.dedup.similarity computes it):

       score = relatedness × (dates + closeness) / 2        every part in 0..1

   relatedness  IDF-weighted Jaccard ("overlap") of the two title+lead term sets, ramped
                from 0 at 0.03 (what unrelated leads share through common words) to 1 at
                0.12 (what two outlets' write-ups of one event typically share). Terms: CJK
                character bigrams (those with a function character such as 的/了/已
                dropped), Latin words (stop words dropped), numbers of 2+ digits, all after
                folding Traditional to Simplified and case. Title terms weigh double. IDF
                runs over the articles in the index, so a shared rare name, place or number
                outweighs shared common words. The lead is the first 300 units of the body
                (a CJK character counts 1, a word 2): three or four sentences.
   dates        how well the days the two title+leads name agree ("周二", "9月12日", "12日",
                "on Tuesday", "Sept. 12"; see aggregator.dedup.eventdates), resolved against each
                publication time: for the closest pair among the first three named, 1 on the
                same day, 0.25 a day apart, 0.0625 two days apart. Follow-ups name later
                days than the first reports. When either names no day, it equals closeness.
   closeness    1 - hours apart / window_hours.

   Scale of `dedup.story` (default 0.5). Naming the same day, a few hours apart, two
   reports pass at relatedness >= ~0.52 (overlap >= ~0.077); a day apart (72 h window)
   they need ~0.6. Naming days one apart, they reach at most 0.625 × relatedness, and
   fall below 0.5 once about 18 h apart. Naming no day, score = relatedness × closeness.
   Unrelated leads score 0. At 0.9 only near-certain matches join (same day, close in
   time, overlap >= ~0.11). `aggregator stories` shows every part of a decision.
   Two articles of the same outlet join only at score >= 1 - (1 - story) / 3 (0.83 at the
   default): an outlet publishes many pieces on one topic, and its copies of one piece
   are caught by levels 1 and 2.

   Candidates are the indexed articles within the window that share the most of the
   article's MAX_QUERY_TERMS rarest terms, never a scan. The overlaps of all candidates of
   one article are computed together (aggregator.dedup.termindex), and only candidates whose
   bound relatedness × (1 + closeness) / 2 (dates at their most, 1) reaches `dedup.story`
   are scored in full.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TypeVar

from aggregator.config import DedupConfig
from aggregator.dedup.eventdates import mentioned_dates
from aggregator.dedup.lookup import (
    BAND_KEY,
    GUID_KEY,
    TEXT_KEY,
    URL_KEY,
    Lookup,
    MemoryLookup,
    key_kind,
    lookup_keys,
)
from aggregator.dedup.shingles import (
    MIN_TEXT_UNITS,
    NUM_PERM,
    lsh_threshold,
    minhash_signature,
    pack_signature,
    signature_jaccard,
)
from aggregator.dedup.similarity import (
    CHANCE_OVERLAP,
    FULL_OVERLAP,
    StoryScore,
    lead_end,
    score_pair,
    story_score,
    story_terms,
)
from aggregator.dedup.termindex import BOUND_MARGIN, I64, TermIndex
from aggregator.errors import StorageError
from aggregator.records import DedupLevel, StoryDecision, StoryId
from aggregator.textfold import fold, shingle_units, strip_whitespace

# Bump when fingerprint() changes, so stored ones get recomputed. 2: numpy shingle hashes.
FINGERPRINT_VERSION = 2
SAME_OUTLET_SHARE = 1 / 3  # same-outlet bar: this share of the way from `story` to 1 remains
# Level-3 candidates come from the rarest terms of the incoming article, never from a scan.
MAX_QUERY_TERMS = 32
MAX_POSTING_DOCS = 1000
MAX_CANDIDATES = 64
# Up to this many articles to decide, the index holds only the articles in their window that
# share a rare term with them (found through the Lookup's postings), not the whole window.
FEW_ARTICLES = 32
EVIDENCE_TERMS = 8

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class DedupDoc:
    """What dedup needs from an article."""

    url: str  # canonical URL
    title: str
    text: str  # plain text of the cleaned body
    published: datetime  # aware
    source: str  # outlet name (a mirror already carries its original's outlet)
    guid: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Fingerprint:
    """Everything dedup keeps per article; computed once by fingerprint() and stored."""

    # WARNING: when changing fields, update fingerprint_to_dict, fingerprint_from_dict and
    # FINGERPRINT_VERSION together.
    url: str
    source: str
    published: datetime
    guid: str | None
    text_hash: str  # sha1 of the folded text with whitespace removed
    text_units: int  # CJK characters plus words in the text
    signature: bytes  # MinHash values, packed (shingles.pack_signature); b"" when text is short
    terms: tuple[str, ...]  # title+lead terms, folded to Simplified and lower case, sorted
    title_terms: tuple[str, ...]  # the subset that occurs in the title
    dates: tuple[date, ...]  # days the title+lead names, first mention first
    version: int = FINGERPRINT_VERSION


@dataclass(frozen=True, slots=True, kw_only=True)
class Held:
    """What the index keeps of an article in its window: level 3 scores candidates by
    publication time and named days, and their terms are in its TermIndex (as ids)."""

    source: str
    published: datetime
    dates: tuple[date, ...]

    @classmethod
    def of(cls, fp: Fingerprint) -> Held:
        return cls(source=fp.source, published=fp.published, dates=fp.dates)


def fingerprint(doc: DedupDoc) -> Fingerprint:
    """Compute the fingerprint of `doc`."""
    folded_title = fold(doc.title)
    folded_text = fold(doc.text)
    units = shingle_units(folded_text)
    lead = folded_text[: lead_end(folded_text)]
    title_terms = set(story_terms(folded_title))
    return Fingerprint(
        url=doc.url,
        source=doc.source,
        published=doc.published,
        guid=doc.guid,
        text_hash=hashlib.sha1(strip_whitespace(folded_text).encode()).hexdigest(),
        text_units=len(units),
        signature=pack_signature(minhash_signature(units)),
        terms=tuple(sorted(title_terms.union(story_terms(lead)))),
        title_terms=tuple(sorted(title_terms)),
        dates=mentioned_dates(f"{folded_title}\n{lead}", published=doc.published),
    )


def new_story_id(url: str) -> StoryId:
    """Return the id of a story founded by the article at `url`; the same URL, the same id."""
    return StoryId(hashlib.sha1(url.encode()).hexdigest()[:20])


def fingerprint_to_dict(fp: Fingerprint) -> dict[str, object]:
    """Convert `fp` to JSON-safe values for the store.

    The signature is base64 of its little-endian uint32 values: a fifth of the JSON of a
    list of numbers, and decoded without a Python loop when the index is rebuilt. Terms are
    one space-separated string each: the index reads thousands of fingerprints to decide a
    few new articles, and splitting a string costs a tenth of decoding a JSON list.
    """
    return {
        "version": fp.version,
        "url": fp.url,
        "source": fp.source,
        "published": fp.published.isoformat(),
        "guid": fp.guid,
        "text_hash": fp.text_hash,
        "text_units": fp.text_units,
        "signature": _encode_signature(fp.signature),
        "terms": " ".join(fp.terms),
        "title_terms": " ".join(fp.title_terms),
        "dates": [d.isoformat() for d in fp.dates],
    }


def fingerprint_from_dict(d: Mapping[str, object]) -> Fingerprint:
    """Rebuild a fingerprint from fingerprint_to_dict's output, of this version or an older.

    Version 1 stored the signature as a list of numbers; it is read as such, and the
    fingerprint keeps version 1 (its signature is of the old hash: recompute it).

    Raises:
        StorageError: a key is missing or holds the wrong kind of value.
    """
    try:
        guid = d["guid"]
        return Fingerprint(
            version=_typed(d, "version", int),
            url=_typed(d, "url", str),
            source=_typed(d, "source", str),
            published=datetime.fromisoformat(_typed(d, "published", str)),
            guid=None if guid is None else _typed(d, "guid", str),
            text_hash=_typed(d, "text_hash", str),
            text_units=_typed(d, "text_units", int),
            signature=_signature(d),
            terms=_terms(d, "terms"),
            title_terms=_terms(d, "title_terms"),
            dates=tuple(map(date.fromisoformat, _items(d, "dates", str))),
        )
    except KeyError as exc:
        raise StorageError("decoding a fingerprint", f"missing key {exc}") from None
    except ValueError as exc:
        raise StorageError("decoding a fingerprint", str(exc)) from None


class StoryIndex:
    """Decides stories against every decided article, holding in memory only a time window.

    Levels 1 and 2 ask the Lookup (aggregator.dedup.lookup: the store, or memory) by key.
    Level 3 scores the articles published within `window_hours` of the one being decided,
    which the index holds in memory: before deciding a batch, the app calls `expect` with
    it, and the index loads the decided articles around the batch's publication times (for a
    small batch, only those sharing a rare term with it) and lets go of the others. Document
    frequencies cover every decided article: those counted in earlier runs come from the
    Lookup (`n_docs` of them), the rest are counted as they are added; `changed_doc_freqs`
    gives what to save.
    """

    def __init__(
        self,
        cfg: DedupConfig,
        *,
        lookup: Lookup | None = None,
        n_docs: int = 0,
        bands: tuple[int, int] | None = None,
    ) -> None:
        """`bands`: lsh_bands(cfg.near_duplicate), when the caller has it at hand."""
        self._cfg = cfg
        self._bands, self._rows = lsh_bands(cfg.near_duplicate) if bands is None else bands
        self._lookup: Lookup = MemoryLookup() if lookup is None else lookup
        self._n_docs = n_docs
        self._counted_elsewhere = n_docs > 0  # else nothing is counted but here
        self._held: dict[str, Held] = {}  # the window; their terms are in self._terms
        self._story_of: dict[str, StoryId] = {}
        self._terms = TermIndex()
        # Earliest and latest publication of each story's members.
        self._span: dict[StoryId, tuple[datetime, datetime]] = {}
        self._covered: tuple[datetime, datetime] | None = None  # the window loaded, if any

    def __len__(self) -> int:
        """How many decided articles the index decides against (not only those held)."""
        return self._n_docs

    @property
    def config(self) -> DedupConfig:
        return self._cfg

    @property
    def bands(self) -> tuple[int, int]:
        """(bands, rows per band) of the LSH keys."""
        return self._bands, self._rows

    def keys(self, fp: Fingerprint) -> list[str]:
        """The level-1 and level-2 lookup keys of `fp` under this index's LSH bands."""
        return lookup_keys(fp, bands=self._bands, rows=self._rows)

    def expect(self, fps: Sequence[Fingerprint]) -> None:
        """Get ready to decide `fps`: hold the decided articles published within the window
        of any of them, let go of the others, and learn the document frequencies of the terms.

        For FEW_ARTICLES or fewer, only those of the window that can be a candidate are
        loaded: the ones sharing a possible query term with one of `fps`."""
        if not fps:
            return
        first = min(fp.published for fp in fps) - self._cfg.window
        last = max(fp.published for fp in fps) + self._cfg.window
        for url in [u for u, h in self._held.items() if not first <= h.published <= last]:
            self._let_go(url)
        found: Iterable[tuple[Fingerprint, StoryId]] | None = None
        if len(fps) <= FEW_ARTICLES:
            self._learn(fps)
            found = self._lookup.sharing(sorted(self._possible_query_terms(fps)), first, last)
        if found is None:
            found = itertools.chain.from_iterable(
                self._lookup.between(start, end)
                for start, end in _missing((first, last), self._covered)
            )
            self._covered = (first, last)
        else:
            self._covered = None  # only part of the window is held
        loaded = [pair for pair in found if pair[0].url not in self._held]
        self._learn([*(fp for fp, _ in loaded), *fps])  # one look-up for both
        unknown = {story_id for _, story_id in loaded if story_id not in self._span}
        self._span.update(self._lookup.spans(sorted(unknown)))
        for fp, story_id in loaded:
            self._held[fp.url] = Held.of(fp)
            self._story_of[fp.url] = story_id
        self._terms.add_many(
            [(fp.url, fp.terms, fp.title_terms, fp.published) for fp, _ in loaded], counted=False
        )

    def _possible_query_terms(self, fps: Sequence[Fingerprint]) -> set[str]:
        """Every term that can be among the MAX_QUERY_TERMS rarest of one of `fps` when it is
        decided, `fps` being decided in order: each one decided counts its terms in before the
        next, so by then a term's frequency has grown by at most the number decided before.

        The candidates of an article are among the articles with one of its query terms, so
        holding those of the window that have one of these terms holds every candidate.
        """
        doc_freq = self._terms.doc_freq
        possible: set[str] = set()
        for decided_before, fp in enumerate(fps):
            freqs = [(doc_freq.get(term), term) for term in fp.terms]
            usable = sorted(freq for freq, _ in freqs if 0 < freq <= MAX_POSTING_DOCS)
            bar = MAX_POSTING_DOCS
            if len(usable) >= MAX_QUERY_TERMS:
                bar = min(bar, usable[MAX_QUERY_TERMS - 1] + decided_before)
            possible.update(term for freq, term in freqs if 0 < freq <= bar)
        return possible

    def add(self, fp: Fingerprint, story_id: StoryId, *, founds: bool = False) -> None:
        """Count `fp`, just decided, as a member of `story_id`, and hold it; `founds`: the
        story is new, `fp` its first member (so its span is not looked up)."""
        self._learn([fp])
        if story_id not in self._span and not founds:
            self._span.update(self._lookup.spans([story_id]))
        self._lookup.put(fp, story_id, self.keys(fp))
        self._n_docs += 1
        self._hold(fp, story_id, counted=True)
        self._span[story_id] = _widened(self._span.get(story_id), fp.published)

    def replace(self, old: Fingerprint, new: Fingerprint, story_id: StoryId) -> None:
        """Put `new`, a newer version of a decided article, in place of `old` (its story kept)."""
        self._learn([old, new])
        if old.url in self._held:
            self._let_go(old.url, counted=True)
        else:
            self._terms.discount(old.terms)
        self._lookup.drop(old, self.keys(old))
        self._n_docs -= 1
        self.add(new, story_id)

    def changed_doc_freqs(self) -> list[tuple[str, int]]:
        """(term, document frequency) of each term counted or discounted since the last call."""
        return self._terms.changed_doc_freqs()

    @property
    def unsaved(self) -> int:
        """How many articles were added since the last take_postings."""
        return self._terms.unsaved

    def take_postings(self) -> tuple[list[str], dict[str, I64 | None]]:
        """The URLs of the articles added since the last call, and by term the positions in
        that list of those with the term, for the Lookup's postings (see Lookup.sharing);
        None for a term in over MAX_POSTING_DOCS articles, which is never a query term while
        that lasts, so is not posted."""
        return self._terms.take_postings(MAX_POSTING_DOCS)

    def assign(self, fp: Fingerprint) -> StoryDecision:
        """Decide which story `fp` belongs to; a new one when nothing matches. Does not add.

        Level 3 sees only the articles held: call `expect` first with `fp` (or a batch of it).
        """
        matches = self._lookup.find(self.keys(fp))
        return (
            self._same_article(fp, matches)
            or self._near_duplicate(fp, matches)
            or self._same_story(fp)
            or StoryDecision(story_id=new_story_id(fp.url), level="new", evidence="no match")
        )

    def similarity(self, a: Fingerprint, b: Fingerprint) -> StoryScore:
        """Score `a` and `b` as reports of one event, with IDF from the decided articles."""
        self._learn([a, b])
        return score_pair(
            a, b, doc_freq=self._terms.doc_freq, n_docs=len(self), window=self._cfg.window
        )

    def story_bar(self, a: Fingerprint, b: Fingerprint | Held) -> float:
        """The level-3 score `a` and `b` need to join: higher for two pieces of one outlet."""
        if _outlet(a) == _outlet(b):
            return 1 - (1 - self._cfg.story) * SAME_OUTLET_SHARE
        return self._cfg.story

    def _same_article(
        self, fp: Fingerprint, matches: list[tuple[str, str]]
    ) -> StoryDecision | None:
        firsts: dict[str, str] = {}  # the first article found per kind of key
        for key, url in matches:
            firsts.setdefault(key_kind(key), url)
        for kind, evidence in (
            (URL_KEY, "same URL"),
            (GUID_KEY, f"same guid {fp.guid!r}"),
            (TEXT_KEY, "identical text"),
        ):
            found = firsts.get(kind)
            member = None if found is None else self._lookup.members([found]).get(found)
            if found is not None and member is not None:
                return _decision(found, member[1], "same_article", 1.0, evidence)
        return None

    def _near_duplicate(
        self, fp: Fingerprint, matches: list[tuple[str, str]]
    ) -> StoryDecision | None:
        if not fp.signature:
            return None
        urls = sorted({url for key, url in matches if key_kind(key) == BAND_KEY} - {fp.url})
        best: tuple[float, str, StoryId] | None = None
        for url, (other, story_id) in self._lookup.members(urls).items():
            jaccard = signature_jaccard(fp.signature, other.signature)
            if jaccard >= self._cfg.near_duplicate and (best is None or (jaccard, url) > best[:2]):
                best = (jaccard, url, story_id)
        if best is None:
            return None
        jaccard, url, story_id = best
        evidence = f"shingle Jaccard {jaccard:.2f} >= {self._cfg.near_duplicate:.2f}"
        return _decision(url, story_id, "near_duplicate", jaccard, evidence)

    def _same_story(self, fp: Fingerprint) -> StoryDecision | None:
        candidates = self._terms.story_candidates(
            fp,
            exclude=fp.url,
            window=self._cfg.window,
            n_docs=len(self),
            query_terms=MAX_QUERY_TERMS,
            posting_docs=MAX_POSTING_DOCS,
            limit=MAX_CANDIDATES,
        )
        best: tuple[float, str, StoryScore] | None = None
        for url, overlap, bound in zip(
            candidates.urls, candidates.overlaps, candidates.bounds, strict=True
        ):
            if bound < self._cfg.story - BOUND_MARGIN:
                continue  # the bar is at least `story`
            if not self._fits_story(fp, self._story_of[url]):
                continue
            other = self._held[url]
            scored = story_score(fp, other, overlap=overlap, window=self._cfg.window)
            if scored.score >= self.story_bar(fp, other) and (
                best is None or (scored.score, url) > best[:2]
            ):
                best = (scored.score, url, scored)
        if best is None:
            return None
        score, url, scored = best
        shared = self._terms.shared_terms(fp, url, n_docs=len(self))
        bar = self.story_bar(fp, self._held[url])
        evidence = describe_score(replace(scored, shared=shared), bar=bar)
        return _decision(url, self._story_of[url], "same_story", score, evidence)

    def _fits_story(self, fp: Fingerprint, story_id: StoryId) -> bool:
        """Whether the story, with `fp` in it, still spans at most the window: no chaining."""
        first, last = _widened(self._span.get(story_id), fp.published)
        return last - first <= self._cfg.window

    def _learn(self, fps: Iterable[Fingerprint]) -> None:
        """Learn the stored document frequencies of the terms of `fps` not known yet."""
        if not self._counted_elsewhere:
            return
        unknown = self._terms.unknown_terms(itertools.chain.from_iterable(fp.terms for fp in fps))
        if unknown:
            ordered = sorted(unknown)
            self._terms.learn_doc_freqs(self._lookup.doc_freqs(ordered), ordered)

    def _hold(self, fp: Fingerprint, story_id: StoryId, *, counted: bool) -> None:
        if fp.url in self._held:
            self._let_go(fp.url, counted=counted)
        self._held[fp.url] = Held.of(fp)
        self._story_of[fp.url] = story_id
        self._terms.add(fp.url, fp.terms, fp.title_terms, fp.published, counted=counted)

    def _let_go(self, url: str, *, counted: bool = False) -> None:
        """Stop holding `url`; `counted`: also take it out of the document frequencies."""
        del self._held[url]
        del self._story_of[url]
        self._terms.remove(url, counted=counted)


def lsh_bands(near_duplicate: float) -> tuple[int, int]:
    """(bands, rows per band) of the MinHash LSH for a near-duplicate threshold: datasketch's
    choice of the pair that minimises false positives and negatives at that threshold."""
    from datasketch import MinHashLSH  # deferred: it loads scipy (~0.45 s)

    lsh = MinHashLSH(threshold=lsh_threshold(near_duplicate), num_perm=NUM_PERM)
    return int(lsh.b), int(lsh.r)


def _decision(
    url: str, story_id: StoryId, level: DedupLevel, score: float, evidence: str
) -> StoryDecision:
    return StoryDecision(
        story_id=story_id, level=level, matched_url=url, score=score, evidence=evidence
    )


def _missing(
    wanted: tuple[datetime, datetime], held: tuple[datetime, datetime] | None
) -> list[tuple[datetime, datetime]]:
    """The parts of the `wanted` time range not in the `held` one (ends included in both)."""
    first, last = wanted
    if held is None or last < held[0] or first > held[1]:
        return [wanted]
    parts = []
    if first < held[0]:
        parts.append((first, held[0]))
    if last > held[1]:
        parts.append((held[1], last))
    return parts


def explain(a: Fingerprint, b: Fingerprint, index: StoryIndex) -> str:
    """Describe, for a person tuning thresholds, every dedup measure between `a` and `b`."""
    facts = [
        f"same URL: {_yes(a.url == b.url)}",
        f"same guid: {_yes(a.guid is not None and a.guid == b.guid)}",
        f"identical text: {_yes(a.text_hash == b.text_hash and a.text_units >= MIN_TEXT_UNITS)}",
    ]
    jaccard = signature_jaccard(a.signature, b.signature)
    scored = index.similarity(a, b)
    outlets = "same outlet" if _outlet(a) == _outlet(b) else "different outlets"
    if scored.closeness == 0:
        outlets += ", outside dedup.window_hours so never joined by it"
    return "\n".join(
        (
            "; ".join(facts),
            f"near-duplicate: shingle Jaccard {jaccard:.2f}"
            f" (needs {index.config.near_duplicate:.2f})",
            f"same story ({outlets}): {describe_score(scored, bar=index.story_bar(a, b))}",
        )
    )


def describe_score(scored: StoryScore, *, bar: float) -> str:
    """One line with the level-3 score, its parts and the heaviest shared terms."""
    terms = " ".join(scored.shared[:EVIDENCE_TERMS]) or "-"
    verdict = ">=" if scored.score >= bar else "<"
    return (
        f"score {scored.score:.2f} {verdict} {bar:.2f} = relatedness {scored.relatedness:.2f}"
        f" (overlap {scored.overlap:.3f} on {CHANCE_OVERLAP}..{FULL_OVERLAP})"
        f" x (dates {scored.dates:.2f} + closeness {scored.closeness:.2f},"
        f" {scored.hours_apart:.1f} h apart) / 2;"
        f" shared: {terms}"
    )


def _widened(span: tuple[datetime, datetime] | None, moment: datetime) -> tuple[datetime, datetime]:
    if span is None:
        return moment, moment
    return min(span[0], moment), max(span[1], moment)


def _outlet(fp: Fingerprint | Held) -> str:
    return fp.source.strip().casefold()


def _guid_key(fp: Fingerprint) -> tuple[str, str]:
    # A guid is only unique within one outlet's feed: "12345" from two outlets is two articles.
    return _outlet(fp), fp.guid or ""


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _typed(d: Mapping[str, object], key: str, kind: type[T]) -> T:
    value = d[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError(f"{key}: expected {kind.__name__}, got {type(value).__name__}")
    return value


def _items(d: Mapping[str, object], key: str, kind: type[T]) -> list[T]:
    value = d[key]
    # Exact types (JSON gives no subclasses; this also refuses bool for int), checked in C.
    if not isinstance(value, list) or not set(map(type, value)) <= {kind}:
        raise ValueError(f"{key}: expected a list of {kind.__name__}")
    return value


def _terms(d: Mapping[str, object], key: str) -> tuple[str, ...]:
    """Stored terms: one string, space-separated (a term never holds whitespace), or a list
    (stores written before that). Not interned: the index holds only a window of articles,
    and reading thousands of fingerprints for a few new articles must stay cheap."""
    value = d[key]
    return tuple(value.split() if isinstance(value, str) else _items(d, key, str))


def _encode_signature(signature: bytes) -> str:
    return base64.b64encode(signature).decode("ascii")


def _signature(d: Mapping[str, object]) -> bytes:
    """The stored signature: base64 of little-endian uint32 (version 2), or a list (1)."""
    value = d["signature"]
    if isinstance(value, str):
        try:
            raw = base64.b64decode(value, validate=True)
        except ValueError:
            raise ValueError("signature: expected base64") from None
        signature = raw
    else:
        values = _items(d, "signature", int)
        if not all(0 <= v < 2**32 for v in values):
            raise ValueError("signature: expected uint32 values")
        signature = pack_signature(tuple(values))
    if len(signature) not in (0, 4 * NUM_PERM):
        raise ValueError(
            f"signature: expected 0 or {NUM_PERM} uint32 values, got {len(signature)} bytes"
        )
    return signature
