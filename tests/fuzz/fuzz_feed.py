"""Fuzz the feed-item path: feed bytes -> items -> Article -> clean -> Atom, all inert.

Per input: parse_feed (lxml for well-formed feeds, else feedparser), then for each item
article_from_feed_item and clean_html; the bodies must be inert, and rendering them as our own
Atom must give well-formed XML. Only AggregatorError (FeedParseError, SourceError) is expected.
Run it through `python -m tests.fuzz.run feed`.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import atheris  # type: ignore[import-untyped]  # atheris ships no type stubs

# bs4 is not instrumented here: fuzz_clean and fuzz_seed cover it, and runs cost less.
with atheris.instrument_imports(include=["aggregator", "feedparser"]):
    from aggregator.clean import clean_html
    from aggregator.config import SiteConfig
    from aggregator.errors import AggregatorError
    from aggregator.normalize import article_from_feed_item
    from aggregator.publish.render import FeedMeta, render_feed
    from aggregator.records import Story, StoryId, StoryMember
    from aggregator.sources.feedformat import parse_feed

from lxml import etree

from tests.hostile import assert_inert

FEED_URL = "https://feed.example.org/rss.xml"
SITE = SiteConfig()
META = FeedMeta(slug="all", title="All", updated=datetime(2023, 9, 12, tzinfo=UTC))
# The first byte picks the declared content type, so that header's paths are fuzzed too.
CONTENT_TYPES = (None, "application/rss+xml", "application/atom+xml", "text/html", "text/xml")


def test_one_input(data: bytes) -> None:
    """Run one feed document through the item path; AggregatorError is the only allowed failure."""
    content_type = CONTENT_TYPES[data[0] % len(CONTENT_TYPES)] if data else None
    try:
        parsed = parse_feed(data[1:], source="fuzz", url=FEED_URL, content_type=content_type)
    except AggregatorError:
        return
    stories = []
    for number, item in enumerate(parsed.items):
        try:
            article = article_from_feed_item(item)
        except AggregatorError:
            continue
        body = clean_html(article.raw_html, base_url=article.url)
        assert_inert(body.html)
        member = StoryMember(
            url=article.url,
            title=article.title,
            source=article.source,
            via=article.via,
            published=article.published,
            html=body.html,
            text=body.text,
            summary=body.summary,
            author=article.author,
        )
        published = article.published
        stories.append(
            Story(
                id=StoryId(f"s{number}"), members=(member,), published=published, updated=published
            )
        )
    etree.fromstring(render_feed(stories, meta=META, site=SITE))


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
