"""Level 3 of dedup: how likely two articles from different outlets report one event.

Owns the story terms of an article (title and lead, cut into CJK-aware tokens) and the
story score of a pair; the formula and its scale are documented in aggregator.dedup, which
is what users read to tune `dedup.story`.
WARNING: keep aggregator.dedup's docstring in sync with the constants and formula here.

Pure: document frequencies come in as a mapping, times as values. Standard library only: the
score of one pair is a handful of sums over two small term sets, where numpy would not make it
faster or clearer. The story index weighs many candidates at once in numpy instead
(aggregator.dedup.termindex), then finishes each pair here with story_score.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final, Protocol

from aggregator.textfold import TOKEN_RE

# How much of the body counts as the lead: a CJK character is one unit and a word two, so the
# lead is three or four sentences in either script.
LEAD_UNITS: Final = 300
WORD_UNITS: Final = 2
TITLE_WEIGHT: Final = 2.0  # a title term counts twice: titles say what the story is
# Relatedness ramps from 0 at the overlap unrelated leads reach through common words to 1 at
# the overlap typical of two outlets' write-ups of one event.
CHANCE_OVERLAP: Final = 0.03
FULL_OVERLAP: Final = 0.12
MAX_LEAD_DATES: Final = 3  # days named in a lead that count (the first ones)
DATE_DECAY_PER_DAY: Final = 0.25  # date agreement for leads whose days differ by one
MIN_NUMBER_DIGITS: Final = 2  # "3" is noise, "122" (mm shells) or "2023" may be evidence
THOUSANDS_SEPARATOR_RE: Final = re.compile(r",(?=\d{3}(?!\d))")

# Characters that glue Chinese sentences together rather than carry their subject; a bigram
# containing one is dropped ("的武", "已抵").
CJK_FUNCTION_CHARS: Final = frozenset("的了着是在和与及也而之其这那就都还又并或被把已将")
# Words that carry no subject; dropped from story terms.
_LATIN_STOPWORDS_TEXT: Final = """
    a about after again against all also an and any are as at be because been before being but
    by can could did do does during each for from further had has have having he her here hers
    him his how i if in into is it its itself just me more most my new no nor not now of off on
    once only or other our out over own said same says she should so some such than that the
    their them then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your
"""
LATIN_STOPWORDS: Final = frozenset(_LATIN_STOPWORDS_TEXT.split())


class Dated(Protocol):
    """What the story score reads of an article once the overlap of terms is known."""

    @property
    def dates(self) -> tuple[date, ...]: ...
    @property
    def published(self) -> datetime: ...


class StoryFeatures(Dated, Protocol):
    """What the story score reads from an article's fingerprint."""

    @property
    def terms(self) -> tuple[str, ...]: ...
    @property
    def title_terms(self) -> tuple[str, ...]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class StoryScore:
    """The parts of a level-3 score, each in 0..1, and the terms behind the overlap."""

    overlap: float  # IDF-weighted Jaccard of title+lead terms
    relatedness: float  # overlap ramped from CHANCE_OVERLAP (0) to FULL_OVERLAP (1)
    dates: float  # agreement of the days the leads name (closeness when one names none)
    closeness: float  # 1 at the same instant, 0 a window apart
    score: float  # relatedness x (dates + closeness) / 2
    shared: tuple[str, ...] = ()  # shared terms, heaviest first
    hours_apart: float = 0.0


def lead_end(folded_text: str, *, units: int = LEAD_UNITS) -> int:
    """Return where the lead of `folded_text` ends: after `units` (CJK chars, words x2)."""
    used = 0
    for token in TOKEN_RE.finditer(folded_text):
        if token.lastgroup == "cjk":
            take = min(token.end() - token.start(), units - used)
            used += take
            end = token.start() + take
        else:
            used += WORD_UNITS
            end = token.end()
        if used >= units:
            return end
    return len(folded_text)


def story_terms(folded_text: str) -> list[str]:
    """Cut folded text into story terms: CJK character bigrams, Latin words, numbers."""
    terms: list[str] = []
    for cjk_run, word in TOKEN_RE.findall(folded_text):
        if cjk_run:
            terms.extend(_cjk_bigrams(cjk_run))
        elif _is_term_word(word):
            terms.append(_term_word(word))
    return terms


def _cjk_bigrams(run: str) -> list[str]:
    return [
        first + second
        for first, second in itertools.pairwise(run)
        if first not in CJK_FUNCTION_CHARS and second not in CJK_FUNCTION_CHARS
    ]


def _is_term_word(word: str) -> bool:
    if word[0].isdigit():
        return len(word) >= MIN_NUMBER_DIGITS
    return word not in LATIN_STOPWORDS and len(word) > 1


def _term_word(word: str) -> str:
    """Drop thousands separators and a possessive: "2,000" -> "2000", "korea's" -> "korea"."""
    if word[0].isdigit():
        return THOUSANDS_SEPARATOR_RE.sub("", word)
    return word.replace("’", "'").removesuffix("'s")


def idf(term: str, doc_freq: Mapping[str, int], n_docs: int) -> float:
    """Smoothed inverse document frequency: 1 for a term in every doc, more for rarer ones."""
    return idf_of(doc_freq.get(term, 0), n_docs)


def idf_of(docs_with_term: int, n_docs: int) -> float:
    """idf of a term in `docs_with_term` of `n_docs` articles."""
    return math.log((1 + n_docs) / (1 + docs_with_term)) + 1.0


def score_pair(
    a: StoryFeatures,
    b: StoryFeatures,
    *,
    doc_freq: Mapping[str, int],
    n_docs: int,
    window: timedelta,
    weights_a: Mapping[str, float] | None = None,
    idf_cache: dict[str, float] | None = None,
) -> StoryScore:
    """Score how likely `a` and `b` report the same event; symmetric in `a` and `b`.

    One article scored against many candidates (with the same doc_freq) passes its own
    `weights_a` (from term_weights) and one `idf_cache`, so neither is computed again per pair.
    """
    if weights_a is None:
        weights_a = term_weights(a, doc_freq, n_docs, idf_cache)
    weights_b = term_weights(b, doc_freq, n_docs, idf_cache)
    shared = sorted(
        weights_a.keys() & weights_b.keys(),
        key=lambda t: (-min(weights_a[t], weights_b[t]), t),
    )
    overlap = weighted_jaccard(weights_a, weights_b)
    return story_score(a, b, overlap=overlap, window=window, shared=tuple(shared))


def story_score(
    a: Dated,
    b: Dated,
    *,
    overlap: float,
    window: timedelta,
    shared: tuple[str, ...] = (),
) -> StoryScore:
    """The story score of `a` and `b` whose terms overlap by `overlap` (see score_pair)."""
    relatedness = min(1.0, max(0.0, (overlap - CHANCE_OVERLAP) / (FULL_OVERLAP - CHANCE_OVERLAP)))
    seconds_apart = abs((a.published - b.published).total_seconds())
    closeness = max(0.0, 1.0 - seconds_apart / window.total_seconds())
    dates = date_agreement(a.dates, b.dates, fallback=closeness)
    return StoryScore(
        overlap=overlap,
        relatedness=relatedness,
        dates=dates,
        closeness=closeness,
        score=relatedness * (dates + closeness) / 2,
        shared=shared,
        hours_apart=seconds_apart / 3600,
    )


def term_weights(
    doc: StoryFeatures,
    doc_freq: Mapping[str, int],
    n_docs: int,
    idf_cache: dict[str, float] | None = None,
) -> dict[str, float]:
    """Each term's IDF, title terms weighing TITLE_WEIGHT times more."""
    cache = idf_cache if idf_cache is not None else {}
    in_title = set(doc.title_terms)
    weights = {}
    for term in doc.terms:
        weight = cache.get(term)
        if weight is None:
            weight = cache[term] = idf(term, doc_freq, n_docs)
        weights[term] = weight * (TITLE_WEIGHT if term in in_title else 1.0)
    return weights


def weighted_jaccard(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Sum of the smaller weights over sum of the larger ones, 0 when both are empty."""
    union = a.keys() | b.keys()
    larger = sum(max(a.get(t, 0.0), b.get(t, 0.0)) for t in union)
    if larger == 0:
        return 0.0
    smaller = sum(min(a[t], b[t]) for t in a.keys() & b.keys())
    return smaller / larger


def date_agreement(a: tuple[date, ...], b: tuple[date, ...], *, fallback: float) -> float:
    """Agreement of the closest pair of named days: 1 if equal, x DATE_DECAY_PER_DAY per day."""
    if not a or not b:
        return fallback
    days_apart = min(abs((x - y).days) for x in a[:MAX_LEAD_DATES] for y in b[:MAX_LEAD_DATES])
    return float(DATE_DECAY_PER_DAY**days_apart)
