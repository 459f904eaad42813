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
   aggregator.dedup.shingles. MinHash LSH (datasketch) finds candidates without comparing against
   every stored article; each candidate is confirmed on its estimated Jaccard. The shingles are
   hashed with numpy, then permuted with datasketch's own MinHash parameters (the shingles
   module says why).
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
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TypeVar

from aggregator.config import DedupConfig
from aggregator.dedup.eventdates import mentioned_dates
from aggregator.dedup.shingles import (
    MIN_TEXT_UNITS,
    NUM_PERM,
    lean_minhash,
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
    shared_terms,
    story_score,
    story_terms,
)
from aggregator.dedup.termindex import BOUND_MARGIN, TermIndex
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
    list of numbers, and decoded without a Python loop when the index is rebuilt.
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
        "terms": list(fp.terms),
        "title_terms": list(fp.title_terms),
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
            # Interned: the index holds every article's terms, and most terms recur across
            # thousands of articles; one string each keeps a large index small.
            terms=tuple(map(sys.intern, _items(d, "terms", str))),
            title_terms=tuple(map(sys.intern, _items(d, "title_terms", str))),
            dates=tuple(map(date.fromisoformat, _items(d, "dates", str))),
        )
    except KeyError as exc:
        raise StorageError("decoding a fingerprint", f"missing key {exc}") from None
    except ValueError as exc:
        raise StorageError("decoding a fingerprint", str(exc)) from None


class StoryIndex:
    """In-memory index of stored fingerprints; rebuilt by the app from the store at start."""

    def __init__(self, cfg: DedupConfig) -> None:
        self._cfg = cfg
        from datasketch import MinHashLSH  # deferred, as in aggregator.dedup.shingles

        self._lsh = MinHashLSH(threshold=lsh_threshold(cfg.near_duplicate), num_perm=NUM_PERM)
        self._fingerprints: dict[str, Fingerprint] = {}
        self._story_of: dict[str, StoryId] = {}
        self._by_guid: dict[tuple[str, str], str] = {}
        self._by_hash: dict[str, list[str]] = {}
        self._terms = TermIndex()
        # Earliest and latest publication of each story's members (a replaced version's time
        # is not taken out: a span only grows).
        self._span: dict[StoryId, tuple[datetime, datetime]] = {}

    def __len__(self) -> int:
        return len(self._fingerprints)

    @property
    def config(self) -> DedupConfig:
        return self._cfg

    def add(self, fp: Fingerprint, story_id: StoryId) -> None:
        """Index `fp` as a member of `story_id`, replacing an earlier version of its URL."""
        if fp.url in self._fingerprints:
            self._remove(fp.url)
        self._fingerprints[fp.url] = fp
        self._story_of[fp.url] = story_id
        if fp.guid is not None:
            self._by_guid.setdefault(_guid_key(fp), fp.url)
        if fp.text_units >= MIN_TEXT_UNITS:
            self._by_hash.setdefault(fp.text_hash, []).append(fp.url)
        if fp.signature:
            # _remove took out an earlier version, so the duplicate check is not needed.
            self._lsh.insert(fp.url, lean_minhash(fp.signature), check_duplication=False)
        self._terms.add(fp.url, fp.terms, fp.title_terms, fp.published)
        self._span[story_id] = _widened(self._span.get(story_id), fp.published)

    def assign(self, fp: Fingerprint) -> StoryDecision:
        """Decide which story `fp` belongs to; a new one when nothing matches. Does not add."""
        return (
            self._same_article(fp)
            or self._near_duplicate(fp)
            or self._same_story(fp)
            or StoryDecision(story_id=new_story_id(fp.url), level="new", evidence="no match")
        )

    def similarity(self, a: Fingerprint, b: Fingerprint) -> StoryScore:
        """Score `a` and `b` as reports of one event, with IDF from the indexed articles."""
        return score_pair(
            a, b, doc_freq=self._terms.doc_freq, n_docs=len(self), window=self._cfg.window
        )

    def story_bar(self, a: Fingerprint, b: Fingerprint) -> float:
        """The level-3 score `a` and `b` need to join: higher for two pieces of one outlet."""
        if _outlet(a) == _outlet(b):
            return 1 - (1 - self._cfg.story) * SAME_OUTLET_SHARE
        return self._cfg.story

    def _same_article(self, fp: Fingerprint) -> StoryDecision | None:
        if fp.url in self._fingerprints:
            return self._decision(fp.url, "same_article", 1.0, "same URL")
        if fp.guid is not None and (url := self._by_guid.get(_guid_key(fp))) is not None:
            return self._decision(url, "same_article", 1.0, f"same guid {fp.guid!r}")
        if fp.text_units >= MIN_TEXT_UNITS and (urls := self._by_hash.get(fp.text_hash)):
            return self._decision(urls[0], "same_article", 1.0, "identical text")
        return None

    def _near_duplicate(self, fp: Fingerprint) -> StoryDecision | None:
        if not fp.signature:
            return None
        best: tuple[float, str] | None = None
        for url in self._lsh.query(lean_minhash(fp.signature)):
            jaccard = signature_jaccard(fp.signature, self._fingerprints[url].signature)
            if jaccard >= self._cfg.near_duplicate and (best is None or (jaccard, url) > best):
                best = (jaccard, url)
        if best is None:
            return None
        jaccard, url = best
        evidence = f"shingle Jaccard {jaccard:.2f} >= {self._cfg.near_duplicate:.2f}"
        return self._decision(url, "near_duplicate", jaccard, evidence)

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
            other = self._fingerprints[url]
            scored = story_score(fp, other, overlap=overlap, window=self._cfg.window)
            if scored.score >= self.story_bar(fp, other) and (
                best is None or (scored.score, url) > best[:2]
            ):
                best = (scored.score, url, scored)
        if best is None:
            return None
        score, url, scored = best
        winner = self._fingerprints[url]
        shared = shared_terms(fp, winner, self._terms.doc_freq, len(self))
        evidence = describe_score(replace(scored, shared=shared), bar=self.story_bar(fp, winner))
        return self._decision(url, "same_story", score, evidence)

    def _fits_story(self, fp: Fingerprint, story_id: StoryId) -> bool:
        """Whether the story, with `fp` in it, still spans at most the window: no chaining."""
        first, last = _widened(self._span.get(story_id), fp.published)
        return last - first <= self._cfg.window

    def _decision(self, url: str, level: DedupLevel, score: float, evidence: str) -> StoryDecision:
        return StoryDecision(
            story_id=self._story_of[url],
            level=level,
            matched_url=url,
            score=score,
            evidence=evidence,
        )

    def _remove(self, url: str) -> None:
        fp = self._fingerprints.pop(url)
        del self._story_of[url]
        if fp.guid is not None and self._by_guid.get(_guid_key(fp)) == url:
            del self._by_guid[_guid_key(fp)]
        same_text = self._by_hash.get(fp.text_hash, [])
        if url in same_text:
            same_text.remove(url)
            if not same_text:
                del self._by_hash[fp.text_hash]
        if fp.signature:
            self._lsh.remove(url)
        self._terms.remove(url)


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


def _outlet(fp: Fingerprint) -> str:
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
