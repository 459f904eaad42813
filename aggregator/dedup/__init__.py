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
   every stored article; each candidate is confirmed on its estimated Jaccard.
3. same_story: a report of the same event by another outlet, published within
   `dedup.window_hours` of a member of the story (aggregator.dedup.similarity computes it):

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
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from datasketch import MinHashLSH

from aggregator.config import DedupConfig
from aggregator.dedup.eventdates import mentioned_dates
from aggregator.dedup.shingles import (
    MIN_TEXT_UNITS,
    NUM_PERM,
    lean_minhash,
    lsh_threshold,
    minhash_signature,
    signature_jaccard,
)
from aggregator.dedup.similarity import (
    CHANCE_OVERLAP,
    FULL_OVERLAP,
    StoryScore,
    lead_end,
    score_pair,
    story_terms,
    term_weights,
)
from aggregator.errors import StorageError
from aggregator.records import DedupLevel, StoryDecision, StoryId
from aggregator.textfold import fold, shingle_units, strip_whitespace

FINGERPRINT_VERSION = 1  # bump when fingerprint() changes, so stored ones get recomputed
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
    signature: tuple[int, ...]  # MinHash hash values; () when the text is too short
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
        signature=minhash_signature(units),
        terms=tuple(sorted(title_terms.union(story_terms(lead)))),
        title_terms=tuple(sorted(title_terms)),
        dates=mentioned_dates(f"{folded_title}\n{lead}", published=doc.published),
    )


def new_story_id(url: str) -> StoryId:
    """Return the id of a story founded by the article at `url`; the same URL, the same id."""
    return StoryId(hashlib.sha1(url.encode()).hexdigest()[:20])


def fingerprint_to_dict(fp: Fingerprint) -> dict[str, object]:
    """Convert `fp` to JSON-safe values for the store."""
    return {
        "version": fp.version,
        "url": fp.url,
        "source": fp.source,
        "published": fp.published.isoformat(),
        "guid": fp.guid,
        "text_hash": fp.text_hash,
        "text_units": fp.text_units,
        "signature": list(fp.signature),
        "terms": list(fp.terms),
        "title_terms": list(fp.title_terms),
        "dates": [d.isoformat() for d in fp.dates],
    }


def fingerprint_from_dict(d: Mapping[str, object]) -> Fingerprint:
    """Rebuild a fingerprint from fingerprint_to_dict's output.

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
            signature=tuple(_items(d, "signature", int)),
            terms=tuple(_items(d, "terms", str)),
            title_terms=tuple(_items(d, "title_terms", str)),
            dates=tuple(date.fromisoformat(s) for s in _items(d, "dates", str)),
        )
    except KeyError as exc:
        raise StorageError("decoding a fingerprint", f"missing key {exc}") from None
    except ValueError as exc:
        raise StorageError("decoding a fingerprint", str(exc)) from None


class StoryIndex:
    """In-memory index of stored fingerprints; rebuilt by the app from the store at start."""

    def __init__(self, cfg: DedupConfig) -> None:
        self._cfg = cfg
        self._lsh = MinHashLSH(threshold=lsh_threshold(cfg.near_duplicate), num_perm=NUM_PERM)
        self._fingerprints: dict[str, Fingerprint] = {}
        self._story_of: dict[str, StoryId] = {}
        self._by_guid: dict[tuple[str, str], str] = {}
        self._by_hash: dict[str, list[str]] = {}
        self._doc_freq: Counter[str] = Counter()
        self._postings: dict[str, set[str]] = {}

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
            self._lsh.insert(fp.url, lean_minhash(fp.signature))
        for term in fp.terms:
            self._doc_freq[term] += 1
            self._postings.setdefault(term, set()).add(fp.url)

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
        return score_pair(a, b, doc_freq=self._doc_freq, n_docs=len(self), window=self._cfg.window)

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
        best: tuple[float, str, StoryScore] | None = None
        idf_cache: dict[str, float] = {}  # doc_freq does not change during one assignment
        weights = term_weights(fp, self._doc_freq, len(self), idf_cache)
        for url in self._story_candidates(fp):
            other = self._fingerprints[url]
            scored = score_pair(
                fp,
                other,
                doc_freq=self._doc_freq,
                n_docs=len(self),
                window=self._cfg.window,
                weights_a=weights,
                idf_cache=idf_cache,
            )
            if scored.score >= self.story_bar(fp, other) and (
                best is None or (scored.score, url) > best[:2]
            ):
                best = (scored.score, url, scored)
        if best is None:
            return None
        score, url, scored = best
        evidence = describe_score(scored, bar=self.story_bar(fp, self._fingerprints[url]))
        return self._decision(url, "same_story", score, evidence)

    def _story_candidates(self, fp: Fingerprint) -> list[str]:
        """Indexed articles within the window sharing the most of `fp`'s rarest terms."""
        rare = sorted(
            (t for t in fp.terms if 0 < self._doc_freq[t] <= MAX_POSTING_DOCS),
            key=lambda t: (self._doc_freq[t], t),
        )[:MAX_QUERY_TERMS]
        window = self._cfg.window
        hits: Counter[str] = Counter()
        for term in rare:
            for url in self._postings[term]:
                if (
                    url != fp.url
                    and abs(self._fingerprints[url].published - fp.published) <= window
                ):
                    hits[url] += 1
        ranked = sorted(hits.items(), key=lambda item: (-item[1], item[0]))
        return [url for url, _ in ranked[:MAX_CANDIDATES]]

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
        for term in fp.terms:
            self._doc_freq[term] -= 1
            if not self._doc_freq[term]:
                del self._doc_freq[term]
            self._postings[term].discard(url)
            if not self._postings[term]:
                del self._postings[term]


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
    if not isinstance(value, list) or not all(
        isinstance(v, kind) and not isinstance(v, bool) for v in value
    ):
        raise ValueError(f"{key}: expected a list of {kind.__name__}")
    return value
