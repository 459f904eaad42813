"""Decide which configured topics a story belongs to.

A topic matches a story when any include keyword occurs in the story's text (titles and
texts of all members; no include keywords means every story), no exclude keyword occurs,
and, when the topic names sources, a member came in through one of them (its [[sources]]
name) or was published by one (its outlet), compared case-insensitively.

Keywords are compared after the same folding on both sides (aggregator.textfold: NFKC,
Traditional to Simplified with OpenCC, casefold), so "朝鮮" matches "朝鲜" and "korea"
matches "Korea". A keyword edge that is a Latin letter or digit must sit on a word boundary
("Korea" matches "Korea's" and "Korea," but not "Koreatown" or "Koreas"); CJK edges need no
boundary, as CJK text has no spaces. Whitespace inside a keyword matches any whitespace.
Pure: values in, slugs out. Standard `re` does the matching: one alternation per keyword
list, compiled once by compile_topics.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from aggregator.config import TopicConfig
from aggregator.records import Story
from aggregator.textfold import WORD_CHAR, fold

_WORD_CHAR_RE = re.compile(WORD_CHAR)


@dataclass(frozen=True, slots=True, kw_only=True)
class TopicRule:
    """One topic, compiled: patterns over folded text and folded source names."""

    slug: str
    include: re.Pattern[str] | None  # None: every story is included
    exclude: re.Pattern[str] | None  # None: nothing is excluded
    sources: frozenset[str]  # casefolded; empty: any source


@dataclass(frozen=True, slots=True, kw_only=True)
class TopicMatcher:
    """Topics compiled once, to be matched against many stories."""

    rules: tuple[TopicRule, ...]

    def match(self, story: Story) -> tuple[str, ...]:
        """Return the slugs of the topics `story` belongs to, in config order."""
        text = story_text(story)
        outlets = {name.casefold() for m in story.members for name in (m.via, m.source)}
        return tuple(rule.slug for rule in self.rules if _rule_matches(rule, text, outlets))


def compile_topics(topics: Sequence[TopicConfig]) -> TopicMatcher:
    """Compile every topic's keywords into patterns, in config order."""
    return TopicMatcher(
        rules=tuple(
            TopicRule(
                slug=topic.slug,
                include=keyword_pattern(topic.include),
                exclude=keyword_pattern(topic.exclude),
                sources=frozenset(name.casefold() for name in topic.sources),
            )
            for topic in topics
        )
    )


def match_topics(story: Story, topics: Sequence[TopicConfig]) -> tuple[str, ...]:
    """Return the slugs of the topics `story` belongs to, in config order."""
    return compile_topics(topics).match(story)


def story_text(story: Story) -> str:
    """Fold the titles and texts of all members of `story` into one text to search."""
    return fold("\n".join(part for m in story.members for part in (m.title, m.text)))


def keyword_pattern(keywords: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern matching any of `keywords` in folded text; None for no keywords."""
    alternatives = [_keyword_regex(k) for k in keywords if k.strip()]
    return re.compile("|".join(alternatives)) if alternatives else None


def _keyword_regex(keyword: str) -> str:
    folded = fold(keyword.strip())
    body = r"\s+".join(re.escape(word) for word in folded.split())
    if _WORD_CHAR_RE.fullmatch(folded[0]):
        body = f"(?<!{WORD_CHAR}){body}"
    if _WORD_CHAR_RE.fullmatch(folded[-1]):
        body = f"{body}(?!{WORD_CHAR})"
    return f"(?:{body})"


def _rule_matches(rule: TopicRule, text: str, outlets: set[str]) -> bool:
    if rule.sources and not rule.sources & outlets:
        return False
    if rule.include is not None and rule.include.search(text) is None:
        return False
    return rule.exclude is None or rule.exclude.search(text) is None
