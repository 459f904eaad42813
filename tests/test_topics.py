"""Topics: keyword, exclude and source matching of stories, across case and script."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aggregator.config import TopicConfig
from aggregator.records import Story, StoryId, StoryMember
from aggregator.topics import compile_topics, match_topics

WHEN = datetime(2023, 9, 12, 4, 17, tzinfo=UTC)


def member(
    title: str = "", text: str = "", *, source: str = "BBC", via: str = "seeds"
) -> StoryMember:
    return StoryMember(
        url=f"https://example.org/{source}/{len(title)}-{len(text)}",
        title=title,
        source=source,
        via=via,
        published=WHEN,
        html=f"<p>{text}</p>",
        text=text,
        summary=text[:50],
    )


def story(*members: StoryMember) -> Story:
    return Story(id=StoryId("s1"), members=members, published=WHEN, updated=WHEN)


def topic(
    slug: str = "t",
    *,
    include: tuple[str, ...] = (),
    exclude: tuple[str, ...] = (),
    sources: tuple[str, ...] = (),
) -> TopicConfig:
    return TopicConfig(slug=slug, title=slug, include=include, exclude=exclude, sources=sources)


def matches(s: Story, t: TopicConfig) -> bool:
    return match_topics(s, [t]) == (t.slug,)


class TestKeywords:
    def test_cjk_keyword_matches_as_a_substring(self) -> None:
        """A CJK keyword matches inside a longer run of CJK text."""
        s = story(member("金正恩访俄", "朝鲜领导人金正恩已抵达俄罗斯"))
        assert matches(s, topic(include=("领导人",)))

    @pytest.mark.parametrize(
        ("keyword", "text"),
        [("朝鮮", "朝鲜领导人抵达"), ("朝鲜", "朝鮮領導人抵達"), ("關係", "两国关系")],
    )
    def test_traditional_and_simplified_match_each_other(self, keyword: str, text: str) -> None:
        """Keywords and text are compared as one script."""
        assert matches(story(member(text=text)), topic(include=(keyword,)))

    def test_latin_keyword_ignores_case(self) -> None:
        """'North Korea' matches 'NORTH KOREA'."""
        assert matches(story(member(text="NORTH KOREA fired")), topic(include=("North Korea",)))

    @pytest.mark.parametrize(
        "text", ["Korea's leader", "in Korea, today", "(Korea)", "访问Korea期间", "KOREA"]
    )
    def test_latin_keyword_matches_a_whole_word(self, text: str) -> None:
        """'Korea' matches where it stands as a word, whatever punctuation or CJK is beside it."""
        assert matches(story(member(text=text)), topic(include=("Korea",)))

    @pytest.mark.parametrize("text", ["Koreatown", "the two Koreas", "SouthKorea"])
    def test_latin_keyword_does_not_match_inside_a_word(self, text: str) -> None:
        """'Korea' does not match as part of a longer word."""
        assert not matches(story(member(text=text)), topic(include=("Korea",)))

    def test_whitespace_in_a_keyword_matches_any_whitespace(self) -> None:
        """'North Korea' matches across a line break or doubled spaces."""
        assert matches(story(member(text="North\n  Korea")), topic(include=("North Korea",)))

    def test_full_width_latin_matches(self) -> None:
        """Full-width letters in CJK text match their ASCII keyword."""
        assert matches(story(member(text="访问ＫＯＲＥＡ")), topic(include=("korea",)))

    def test_keyword_in_any_member_counts(self) -> None:
        """The story text is every member's title and text, not only the representative's."""
        s = story(member("Putin meets Kim", "Talks in Russia"), member("金正恩访俄", "抵达"))
        assert matches(s, topic(include=("金正恩",)))

    def test_keyword_in_a_title_counts(self) -> None:
        """Titles are part of the story text."""
        assert matches(story(member("金正恩访俄", "会谈")), topic(include=("访俄",)))

    def test_story_without_any_keyword_is_left_out(self) -> None:
        """No include keyword in the text: not in the topic."""
        assert not matches(story(member("苹果发布新手机", "iPhone 15")), topic(include=("朝鲜",)))


class TestIncludeExclude:
    def test_empty_include_matches_every_story(self) -> None:
        """A topic without include keywords takes every story its excludes allow."""
        assert matches(story(member("anything", "at all")), topic())

    def test_exclude_keeps_a_matching_story_out(self) -> None:
        """Any exclude keyword keeps the story out even when an include matches."""
        s = story(member("金正恩访俄", "视频：普京与金正恩"))
        assert not matches(s, topic(include=("金正恩",), exclude=("視頻",)))

    def test_exclude_alone_filters_everything_else_in(self) -> None:
        """With only excludes, stories without them are in."""
        t = topic(exclude=("sport",))
        assert matches(story(member(text="election")), t)
        assert not matches(story(member(text="Sport results")), t)


class TestSources:
    def test_source_filter_matches_the_outlet(self) -> None:
        """A topic naming an outlet takes stories with a member from it, any case."""
        assert matches(story(member(text="x", source="RFI")), topic(sources=("rfi",)))

    def test_source_filter_matches_the_sources_name(self) -> None:
        """A topic naming a [[sources]] name takes stories with a member that came through it."""
        assert matches(story(member(text="x", via="Live-RFI")), topic(sources=("live-rfi",)))

    def test_source_filter_leaves_out_other_sources(self) -> None:
        """No member from a named source: not in the topic."""
        assert not matches(story(member(text="x", source="BBC")), topic(sources=("RFI",)))

    def test_one_member_from_the_source_is_enough(self) -> None:
        """A story with members from several outlets matches if any one is named."""
        s = story(member(text="x", source="BBC"), member(text="y", source="RFI"))
        assert matches(s, topic(sources=("rfi",)))


class TestMatcher:
    def test_slugs_come_in_config_order(self) -> None:
        """The result lists matching topics in the order the config gives them."""
        topics = [topic("b", include=("kim",)), topic("a"), topic("c", include=("none",))]
        assert match_topics(story(member(text="Kim arrives")), topics) == ("b", "a")

    def test_compiled_matcher_gives_the_same_answer(self) -> None:
        """compile_topics once, match many: the same slugs as match_topics."""
        topics = [topic("korea", include=("朝鲜", "North Korea")), topic("all-else")]
        stories = [story(member(text="朝鮮")), story(member(text="north korea")), story(member())]
        matcher = compile_topics(topics)
        assert [matcher.match(s) for s in stories] == [match_topics(s, topics) for s in stories]

    def test_no_topics_match_nothing(self) -> None:
        """An empty topic list gives no slugs."""
        assert match_topics(story(member(text="x")), []) == ()

    def test_regex_characters_in_keywords_are_literal(self) -> None:
        """Keywords are text, not patterns: 'C++' and 'U.S.' match literally."""
        t = topic(include=("C++", "U.S."))
        assert matches(story(member(text="written in C++ today")), t)
        assert not matches(story(member(text="USA")), t)
