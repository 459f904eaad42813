"""Hostile input (issue 6): nothing a stranger writes may run script in a reader or crash us.

- The XSS corpus (tests/hostile.py) goes in as the body of a seed file and of a live feed item,
  through the real pure stages (seedformat or feedformat -> normalize -> clean -> render); the
  published Atom is parsed back with feedparser (its own sanitizer off, so it cannot hide a
  leak) and the entry content must be inert.
- Hostile titles, author names, outlet names and category labels stay text in every output:
  each output parsed with an XML or HTML parser has the same elements and attributes as the
  same output rendered from plain strings, and the text reads back unchanged.
- Properties (hypothesis): the seed, clean and feed-item paths raise nothing but
  AggregatorError, and every cleaned body is inert.
- Short fixed-seed atheris runs of tests/fuzz (coverage-guided) find nothing.
- One real `aggregator build` over a folder of hostile seeds with a hostile config.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import subprocess
import sys
import tomllib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

import feedparser
import pytest
from bs4 import BeautifulSoup, Tag
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from aggregator.clean import clean_html
from aggregator.config import SiteConfig
from aggregator.errors import AggregatorError, FeedParseError, SeedFormatError
from aggregator.normalize import article_from_feed_item, article_from_seed
from aggregator.publish.render import FeedMeta, render_feed, render_index, render_opml
from aggregator.records import Article, Story, StoryId, StoryMember
from aggregator.sources.feedformat import parse_feed
from aggregator.sources.seedformat import parse_seed
from tests.conftest import ROOT
from tests.hostile import HOSTILE_TEXTS, HOSTILE_VECTORS, XSS_CORPUS, Vector, assert_inert
from tests.origin import atom_feed, rss_feed

ATOM = "{http://www.w3.org/2005/Atom}"
STAMP = datetime(2023, 9, 12, 8, 0, tzinfo=UTC)
FEED_URL = "https://feed.example.org/rss.xml"
SITE = SiteConfig(title="Aggregator", base_url="http://127.0.0.1:8080/", author="aggregator")
META = FeedMeta(slug="all", title="All stories", updated=STAMP, categories={"korea": "Korea"})
PLAIN = "Plain words"
# What XML 1.0 cannot carry; render drops these characters, so the text read back lacks them.
NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
CORPUS_KINDS = {"evasion", "suite", "mxss", "svg-math", "attr", "encoding", "proto", "handler"}
FUZZ_TARGETS = ("seed", "clean", "feed")
FUZZ_RUNS = 2000
FUZZ_COMMAND = (sys.executable, "-m", "tests.fuzz.run")
FUZZ_FLAGS = (f"-runs={FUZZ_RUNS}", "-seed=1", "-max_len=4096")

corpus = pytest.mark.parametrize("vector", XSS_CORPUS, ids=[v.id for v in XSS_CORPUS])
hostile_texts = pytest.mark.parametrize(
    "text", HOSTILE_TEXTS, ids=[f"t{i:02d}" for i in range(len(HOSTILE_TEXTS))]
)


# --- building inputs ------------------------------------------------------------------------


def seed_text(html: str, *, number: int, title: str = "Hostile report") -> str:
    """A seed file carrying `html` as its article body: a feed archive, or a mirror page."""
    lead = f"<p>{lead_sentence(number)}</p>"
    if number % 2:
        return (
            f"### {title}\n---\n[首页](https://mirror.example/) | 新闻\n{lead}\n{html}\n"
            f"---\n原文链接（需翻墙）：https://example.org/news/2023/09/12/{number}.html\n"
        )
    stamp = int(STAMP.timestamp() * 1000)
    return (
        f"<!--{stamp}-->\n[{title}](https://example.org/news/2023/09/12/{number}.html)\n------\n"
        f"{lead}\n{html}\n"
    )


def feed_document(html: str, *, number: int, title: str = "Hostile report") -> bytes:
    """A live feed with one item whose body is `html`: RSS 2.0, or Atom 1.0, by `number`."""
    build = rss_feed if number % 2 else atom_feed
    item = {
        "title": title,
        "link": f"https://example.org/news/2023/09/12/{number}.html",
        "guid": f"tag:example.org,2023:{number}",
        "html": f"<p>{lead_sentence(number)}</p>{html}",
        "pubdate": STAMP,
    }
    return build([item])


def words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def encodable(text: str) -> str:
    """`text` without lone surrogates, which no encoded file or feed can hold."""
    return text.encode("utf-8", "replace").decode("utf-8")


def lead_sentence(number: int) -> str:
    """A distinct English sentence per number, so that no two test articles are duplicates."""
    chosen = random.Random(number).sample(LEAD_WORDS, 12)
    return f"Report {number}: " + " ".join(chosen) + "."


LEAD_WORDS = words(
    "harbour ministry grain railway envoy summit border talks treaty missile convoy tariff "
    "delegation parliament election reservoir drought flood vaccine pipeline factory strike "
    "embassy sanctions coastline festival airport refinery satellite bridge province mayor "
    "court verdict budget reform protest census shipyard orchard glacier"
)


def member_of(article: Article, html: str, **overrides: Any) -> StoryMember:
    values: dict[str, Any] = {
        "url": article.url,
        "title": article.title,
        "source": article.source,
        "via": article.via,
        "published": article.published,
        "html": html,
        "text": "",
        "summary": "",
        "author": article.author,
        "language": article.language,
    }
    return StoryMember(**(values | overrides))


def story_of(*members: StoryMember, topics: Sequence[str] = ()) -> Story:
    return Story(
        id=StoryId("hostile-story"),
        members=members,
        published=members[0].published,
        updated=members[0].published,
        topics=tuple(topics),
    )


def published_content(article: Article) -> str:
    """Clean `article`, publish it as Atom, and return the entry content a reader gets."""
    body = clean_html(article.raw_html, base_url=article.url)
    data = render_feed([story_of(member_of(article, body.html))], meta=META, site=SITE)
    # feedparser's own sanitizer is off: a reader may not have one, and it could hide a leak.
    parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    assert not parsed.bozo, parsed.get("bozo_exception")
    (entry,) = parsed.entries
    content: str = entry.content[0].value
    return content


def seed_article(html: str, *, number: int, title: str = "Hostile report") -> Article:
    doc = parse_seed(seed_text(html, number=number, title=title), path=f"hostile/{number}.txt")
    return article_from_seed(doc, via="seeds")


def feed_article(data: bytes) -> Article:
    parsed = parse_feed(data, source="hostile", url=FEED_URL, content_type="application/xml")
    (item,) = parsed.items
    return article_from_feed_item(item)


# --- reading outputs back -------------------------------------------------------------------


def xml_root(data: bytes) -> Any:
    """The root element of an XML document (Any: lxml's stubs make every find() Optional)."""
    return etree.fromstring(data)


def xml_shape(data: bytes) -> list[tuple[str, tuple[str, ...]]]:
    """Every element (and comment or PI) of an XML document with its attribute names."""
    return [(str(node.tag), tuple(sorted(node.attrib))) for node in xml_root(data).iter()]


def html_shape(data: bytes) -> list[tuple[str, tuple[str, ...]]]:
    """Every element of an HTML page with its attribute names, as html.parser reads it."""
    soup = BeautifulSoup(data.decode("utf-8"), "html.parser")
    return [(tag.name, tuple(sorted(tag.attrs))) for tag in soup.find_all(True)]


def as_xml_text(text: str) -> str:
    return NOT_XML_CHAR.sub("", text)


def only_child_text(element: Any) -> str:
    """The text of an element that must hold text and nothing else."""
    assert element is not None
    assert len(element) == 0, f"<{element.tag}> holds elements: {list(element)}"
    return str(element.text or "")


# --- the corpus -----------------------------------------------------------------------------


class TestCorpus:
    def test_corpus_has_at_least_300_new_vectors(self) -> None:
        """The corpus holds 300+ distinct vectors, none a copy of HOSTILE_VECTORS, ids unique."""
        htmls = [vector.html for vector in XSS_CORPUS]
        assert len(set(htmls)) == len(htmls) >= 300
        assert not set(htmls) & set(HOSTILE_VECTORS)
        assert len({vector.id for vector in XSS_CORPUS}) == len(XSS_CORPUS)

    def test_corpus_covers_every_class(self) -> None:
        """Every documented class of vector is represented by at least 40 vectors."""
        counts = Counter(vector.kind for vector in XSS_CORPUS)
        assert set(counts) == CORPUS_KINDS
        assert min(counts.values()) >= 40, counts

    def test_most_vectors_are_active_before_cleaning(self) -> None:
        """Most vectors are caught by assert_inert as written: the corpus tests something."""
        active = 0
        for vector in XSS_CORPUS:
            try:
                assert_inert(vector.html)
            except AssertionError:
                active += 1
        # The rest are encodings that must stay text and breakouts that only work after a
        # re-parse; they are there to be mangled by the pipeline, and checked after it.
        assert active >= 0.8 * len(XSS_CORPUS)

    @pytest.mark.parametrize(
        "active",
        [
            '<iframe srcdoc="<p>x</p>"></iframe>',
            '<p srcdoc="x">x</p>',
            '<img src="https://example.org/a.jpg" name="getElementById">',
            '<a href="https://example.org/" id="location">x</a>',
            '<p is="x-evil">x</p>',
            "<noembed>x</noembed>",
            "<isindex>",
        ],
    )
    def test_assert_inert_rejects_clobbering_and_markup_loading(self, active: str) -> None:
        """The checker fails on DOM-clobbering ids/names, srcdoc, is= and legacy raw-text tags."""
        with pytest.raises(AssertionError):
            assert_inert(active)

    @corpus
    def test_seed_body_publishes_inert(self, vector: Vector) -> None:
        """A vector as a seed's body (archive or mirror) reaches the published Atom inert."""
        number = XSS_CORPUS.index(vector)
        assert_inert(published_content(seed_article(vector.html, number=number)))

    @corpus
    def test_feed_item_body_publishes_inert(self, vector: Vector) -> None:
        """A vector as a live feed item's body (RSS or Atom) reaches the published Atom inert."""
        number = XSS_CORPUS.index(vector)
        data = feed_document(encodable(vector.html), number=number)
        assert_inert(published_content(feed_article(data)))


class TestFeedCarriers:
    """Ways a feed can carry markup besides an escaped description."""

    @staticmethod
    def rss(item_xml: str, *, title: str = "Carrier") -> bytes:
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>t</title>'
            "<link>https://example.org/</link><description>d</description><item>"
            f"<title>{escape(title)}</title><link>https://example.org/news/1.html</link>"
            "<pubDate>Tue, 12 Sep 2023 08:00:00 GMT</pubDate>"
            f"{item_xml}</item></channel></rss>"
        ).encode()

    @staticmethod
    def atom(entry_xml: str) -> bytes:
        return (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            "<title>t</title><id>urn:x</id><updated>2023-09-12T08:00:00Z</updated><entry>"
            "<title>Carrier</title><id>tag:example.org,2023:1</id>"
            '<link rel="alternate" href="https://example.org/news/1.html"/>'
            f"<updated>2023-09-12T08:00:00Z</updated>{entry_xml}</entry></feed>"
        ).encode()

    def test_cdata_content_encoded_is_inert(self) -> None:
        """Raw markup in a CDATA content:encoded (the usual RSS body) comes out inert."""
        body = "<p>Lead.</p><script>alert(1)</script><img src=x onerror=alert(1)>"
        data = self.rss(f"<content:encoded><![CDATA[{body}]]></content:encoded>")
        content = published_content(feed_article(data))
        assert_inert(content)
        assert "Lead." in content

    def test_atom_xhtml_content_is_inert(self) -> None:
        """Atom type="xhtml" content with script, SVG and handlers comes out inert."""
        xhtml = (
            '<div xmlns="http://www.w3.org/1999/xhtml"><p onclick="alert(1)">Lead.</p>'
            "<script>alert(1)</script><svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"
            '<a href="javascript:alert(1)">x</a></div>'
        )
        content = published_content(
            feed_article(self.atom(f'<content type="xhtml">{xhtml}</content>'))
        )
        assert_inert(content)
        assert "Lead." in content

    def test_double_escaped_description_stays_text(self) -> None:
        """A description escaped twice shows its markup as text, never as an element."""
        data = self.rss(
            "<description>&lt;p&gt;Lead.&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;"
            "&lt;/p&gt;</description>"
        )
        content = published_content(feed_article(data))
        assert_inert(content)
        assert "<script>alert(1)</script>" in BeautifulSoup(content, "html.parser").get_text()

    def test_atom_text_content_stays_text(self) -> None:
        """Atom type="text" content is text: its angle brackets never become markup."""
        data = self.atom('<content type="text">Lead. &lt;img src=x onerror=alert(1)&gt;</content>')
        content = published_content(feed_article(data))
        assert_inert(content)
        assert "<img src=x onerror=alert(1)>" in BeautifulSoup(content, "html.parser").get_text()


# --- titles, authors, categories ------------------------------------------------------------


def render_everything(text: str) -> tuple[bytes, bytes, bytes]:
    """Atom, OPML and index page with `text` as every title, author, outlet and category label."""
    site = replace(SITE, title=text, author=text)
    first = StoryMember(
        url="https://example.org/news/1.html",
        title=text,
        source=text,
        via="seeds",
        published=STAMP,
        html="<p>Body.</p>",
        text="Body.",
        summary=text,
        author=text,
    )
    second = replace(first, url="https://example.org/news/2.html", author=None)
    meta = replace(META, title=text, subtitle=text, categories={"korea": text}, entry_count=1)
    atom = render_feed([story_of(first, second, topics=["korea"])], meta=meta, site=site)
    return atom, render_opml([meta], site=site), render_index([meta], site=site)


class TestHostileText:
    @hostile_texts
    def test_atom_keeps_every_label_text(self, text: str) -> None:
        """In the Atom, a hostile title, author, category label and summary add no element."""
        atom, _, _ = render_everything(text)
        assert xml_shape(atom) == xml_shape(render_everything(PLAIN)[0])
        root = xml_root(atom)
        entry = root.find(f"{ATOM}entry")
        expected = as_xml_text(text)
        assert only_child_text(entry.find(f"{ATOM}title")) == expected
        assert only_child_text(entry.find(f"{ATOM}author/{ATOM}name")) == expected
        assert only_child_text(entry.find(f"{ATOM}summary")) == expected
        assert entry.find(f"{ATOM}category").get("label") == expected
        assert only_child_text(root.find(f"{ATOM}title")) == f"{expected} — {expected}"
        assert only_child_text(root.find(f"{ATOM}author/{ATOM}name")) == expected

    @hostile_texts
    def test_atom_title_is_declared_text(self, text: str) -> None:
        """A reader is told the titles are plain text, and reads them back unchanged."""
        atom, _, _ = render_everything(text)
        parsed = feedparser.parse(atom, sanitize_html=False)
        (entry,) = parsed.entries
        assert entry.title_detail.type == "text/plain"
        assert parsed.feed.title_detail.type == "text/plain"

    @hostile_texts
    def test_also_reported_list_is_inert(self, text: str) -> None:
        """Another outlet's hostile title and name, listed in the entry body, stay text."""
        atom, _, _ = render_everything(text)
        (entry,) = feedparser.parse(atom, sanitize_html=False).entries
        content = entry.content[0].value
        assert_inert(content)
        shown = BeautifulSoup(content, "html.parser").get_text()
        assert " ".join(as_xml_text(text).split()) in " ".join(shown.split())

    @hostile_texts
    def test_opml_keeps_titles_text(self, text: str) -> None:
        """In the OPML, a hostile site and topic title add no element or attribute."""
        _, opml, _ = render_everything(text)
        assert xml_shape(opml) == xml_shape(render_everything(PLAIN)[1])
        root = xml_root(opml)
        expected = as_xml_text(text)
        assert only_child_text(root.find("head/title")) == expected
        assert only_child_text(root.find("head/ownerName")) == expected
        outline = root.find("body/outline")
        assert outline.get("text") == outline.get("title") == f"{expected} — {expected}"
        assert outline.get("xmlUrl") == "http://127.0.0.1:8080/all.atom"

    @hostile_texts
    def test_index_page_keeps_titles_text(self, text: str) -> None:
        """In index.html, a hostile site and topic title add no element or attribute."""
        _, _, page = render_everything(text)
        assert html_shape(page) == html_shape(render_everything(PLAIN)[2])
        soup = BeautifulSoup(page.decode("utf-8"), "html.parser")
        expected = as_xml_text(text)
        assert soup.title is not None and soup.title.get_text() == expected
        assert soup.h1 is not None and soup.h1.get_text() == expected
        link = soup.find("link", rel="alternate")
        assert isinstance(link, Tag) and link.get("title") == f"{expected} — {expected}"
        assert [a.get("href") for a in soup.find_all("a")] == ["all.atom", "index.opml"]

    @hostile_texts
    def test_seed_title_is_published_as_text(self, text: str) -> None:
        """A hostile seed title reaches the Atom entry title as text, nothing else."""
        article = seed_article("<p>Body.</p>", number=0, title=text)
        body = clean_html(article.raw_html, base_url=article.url)
        atom = render_feed([story_of(member_of(article, body.html))], meta=META, site=SITE)
        entry = xml_root(atom).find(f"{ATOM}entry")
        assert only_child_text(entry.find(f"{ATOM}title")) == as_xml_text(article.title)
        assert {child.tag for child in entry} <= ENTRY_CHILDREN

    @hostile_texts
    def test_feed_item_title_and_author_are_published_as_text(self, text: str) -> None:
        """A hostile feed item title, author and category reach the Atom as text."""
        text = as_xml_text(text)  # a feed cannot carry what XML cannot
        item = (
            f"<dc:creator>{escape(text)}</dc:creator><category>{escape(text)}</category>"
            "<description>&lt;p&gt;Body.&lt;/p&gt;</description>"
        )
        article = feed_article(TestFeedCarriers.rss(item, title=text))
        body = clean_html(article.raw_html, base_url=article.url)
        atom = render_feed([story_of(member_of(article, body.html))], meta=META, site=SITE)
        entry = xml_root(atom).find(f"{ATOM}entry")
        assert only_child_text(entry.find(f"{ATOM}title")) == as_xml_text(article.title)
        name = entry.find(f"{ATOM}author/{ATOM}name")
        assert only_child_text(name) == as_xml_text(article.author or article.source)
        assert {child.tag for child in entry} <= ENTRY_CHILDREN


ENTRY_CHILDREN = {
    f"{ATOM}{name}"
    for name in words("id title updated published link author category content summary")
}


# --- properties -----------------------------------------------------------------------------

FRAGMENTS = st.sampled_from([vector.html for vector in XSS_CORPUS] + list(HOSTILE_VECTORS))
HTML_SOUP = st.lists(FRAGMENTS | st.text(max_size=40), max_size=12).map("".join)
STAMP_LINES = st.sampled_from(
    ["<!--1694537101000-->", "<!--1694537101-->", "<!--2023-09-12T08:00:00+08:00-->", "<!---->"]
) | st.text(max_size=30).map(lambda value: f"<!--{value}-->")
URLS = st.sampled_from(
    ["https://example.org/a/1.html", "http://[::1", "javascript:alert(1)", "https://", "//x"]
) | st.text(max_size=30)
RULES = st.sampled_from(["------", "---", "", "-----------"])


@st.composite
def seed_like(draw: st.DrawFn) -> str:
    """Text shaped like a seed file, with any of its parts replaced by something hostile."""
    title, url, html = draw(st.text(max_size=40)), draw(URLS), draw(HTML_SOUP)
    if draw(st.booleans()):
        lines = [draw(STAMP_LINES), f"[{title}]({url})", draw(RULES), html]
    else:
        footer = draw(st.sampled_from(["原文链接（需翻墙）：", "原文連結:", "原文链接"]))
        lines = [f"### {title}", draw(RULES), "nav", html, draw(RULES), footer + url]
    if draw(st.booleans()):
        del lines[draw(st.integers(0, len(lines) - 1))]
    return draw(st.sampled_from(["\n", "\r\n", "\r"])).join(lines)


@st.composite
def feed_like(draw: st.DrawFn) -> bytes:
    """A feed document built from hostile parts, sometimes with bytes spliced into it."""
    items = [
        {
            "title": draw(st.text(max_size=30)),
            "link": draw(URLS),
            "guid": draw(st.none() | st.text(max_size=20)),
            "html": encodable(draw(HTML_SOUP)),
            "pubdate": draw(st.none() | st.just(STAMP)),
        }
        for _ in range(draw(st.integers(0, 3)))
    ]
    build = draw(st.sampled_from([rss_feed, atom_feed]))
    document = build(items)
    if draw(st.booleans()):
        at = draw(st.integers(0, len(document)))
        document = document[:at] + draw(st.binary(max_size=20)) + document[at:]
    return document


def articles_from_feed(data: bytes) -> Iterator[Article]:
    """Parse `data` as a feed and yield each item's Article; AggregatorError may end it."""
    parsed = parse_feed(data, source="hostile", url=FEED_URL, content_type=None)
    for item in parsed.items:
        try:
            yield article_from_feed_item(item)
        except AggregatorError:
            continue


class TestProperties:
    @settings(max_examples=300, deadline=None)
    @given(st.text() | seed_like())
    def test_parse_seed_raises_only_seed_format_error(self, text: str) -> None:
        """parse_seed returns a SeedDoc or raises SeedFormatError, whatever the text."""
        with contextlib.suppress(SeedFormatError):
            parse_seed(text, path="hostile.txt")

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(seed_like())
    def test_seed_to_clean_body_raises_only_aggregator_errors(self, text: str) -> None:
        """A seed goes to an Article and an inert body, or stops with an AggregatorError."""
        try:
            article = article_from_seed(parse_seed(text, path="hostile.txt"), via="seeds")
        except AggregatorError:
            return
        assert_inert(clean_html(article.raw_html, base_url=article.url).html)

    @settings(max_examples=200, deadline=None)
    @given(HTML_SOUP | st.text())
    def test_clean_html_never_raises_and_is_inert(self, html: str) -> None:
        """clean_html takes any text and always returns a body that cannot run script."""
        assert_inert(clean_html(html, base_url="https://example.org/news/a.html").html)

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(feed_like() | st.binary(max_size=300))
    def test_feed_item_path_raises_only_aggregator_errors(self, data: bytes) -> None:
        """Feed bytes become Articles with inert bodies, or stop with an AggregatorError."""
        try:
            articles = list(articles_from_feed(data))
        except AggregatorError:
            return
        for article in articles:
            assert_inert(clean_html(article.raw_html, base_url=article.url).html)

    @settings(max_examples=150, deadline=None)
    @given(st.text(), st.text())
    def test_any_title_and_author_render_as_text(self, title: str, author: str) -> None:
        """Whatever a title and author hold, the Atom is well-formed and reads them back."""
        first = StoryMember(
            url="https://example.org/news/1.html",
            title=title,
            source="Example",
            via="seeds",
            published=STAMP,
            html="<p>Body.</p>",
            text="Body.",
            summary="",
            author=author,
        )
        entry = xml_root(render_feed([story_of(first)], meta=META, site=SITE)).find(f"{ATOM}entry")
        assert only_child_text(entry.find(f"{ATOM}title")) in (as_xml_text(title), "(untitled)")
        name = entry.find(f"{ATOM}author/{ATOM}name")
        assert only_child_text(name) in (as_xml_text(author), "Example")


# --- regressions for what fuzzing found (issue 6) -------------------------------------------


class TestRegressions:
    @pytest.mark.parametrize("value", ["²", "³⁴", "9" * 5000], ids=["superscript", "two", "long"])
    def test_odd_archive_stamp_is_a_seed_format_error(self, value: str) -> None:
        """Line 1 of superscript digits or of 5000 digits is reported, not a ValueError."""
        text = f"<!--{value}-->\n[Title](https://example.org/a)\n------\n<p>Body.</p>\n"
        with pytest.raises(SeedFormatError, match="line 1"):
            parse_seed(text, path="odd.txt")

    @pytest.mark.parametrize(
        "reference", ["&#xd800;", "&#55296;", "&#x110000;", "&#99999999999999999999;"]
    )
    def test_character_reference_outside_unicode_is_a_feed_parse_error(
        self, reference: str
    ) -> None:
        """A feed whose char reference is no Unicode character is refused, not a crash."""
        data = TestFeedCarriers.rss(f"<description>x {reference} y</description>")
        with pytest.raises(FeedParseError, match="unparseable feed"):
            parse_feed(data, source="hostile", url=FEED_URL, content_type=None)

    @pytest.mark.parametrize(
        "document",
        [
            b"<item><category>x</item></category>",  # KeyError 'tags'
            b"<item><link>https://example.org/a</item></link>",  # KeyError 'links'
            b"<image></width></image><item><title>x</item>",  # TypeError: int(None)
        ],
        ids=["category-outside-item", "link-outside-item", "width-without-start"],
    )
    def test_tag_soup_that_trips_feedparser_is_a_feed_parse_error(self, document: bytes) -> None:
        """Ill-formed XML on which feedparser's loose parser crashes is refused, not a crash."""
        data = b'<rss version="2.0"><channel><title>t</title>' + document + b"</channel></rss>"
        with pytest.raises(FeedParseError, match="unparseable feed"):
            parse_feed(data, source="hostile", url=FEED_URL, content_type=None)

    @pytest.mark.parametrize("encoding", [b"\xff\xfe", b"undefined"], ids=["bytes", "undefined"])
    def test_unusable_declared_encoding_is_a_feed_parse_error(self, encoding: bytes) -> None:
        """An XML declaration naming undecodable bytes or a failing codec is refused."""
        data = b'<?xml version="1.0" encoding="' + encoding + b'"?><rss version="2.0"></rss>'
        with pytest.raises(FeedParseError, match="unparseable feed"):
            parse_feed(data, source="hostile", url=FEED_URL, content_type=None)

    def test_lone_surrogate_in_article_html_is_dropped(self) -> None:
        """A lone surrogate in a body or title given to normalize is dropped, not a crash."""
        doc = parse_seed(
            "<!--1694537101000-->\n[Ti\ud800tle](https://example.org/a)\n------\n"
            "<p>Bo\udfffdy.</p>\n",
            path="surrogate.txt",
        )
        article = article_from_seed(doc, via="seeds")
        assert (article.title, article.raw_html) == ("Title", "<p>Body.</p>")


# --- fuzzing --------------------------------------------------------------------------------


class TestFuzzTargets:
    @pytest.mark.parametrize("target", FUZZ_TARGETS)
    def test_short_fixed_seed_run_finds_nothing(self, target: str, tmp_path: Path) -> None:
        """A fixed-seed atheris run of the target ends after its runs with exit status 0."""
        result = subprocess.run(
            [*FUZZ_COMMAND, target, "--corpus", str(tmp_path), *FUZZ_FLAGS],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr[-4000:]
        done = re.search(r"^Done (\d+) runs", result.stderr, re.MULTILINE)
        assert done is not None and int(done.group(1)) >= FUZZ_RUNS, result.stderr[-2000:]
        assert not any((tmp_path / f"{target}-crashes").iterdir())


# --- end to end -----------------------------------------------------------------------------

HOSTILE_SITE_TITLE = "</title><script>alert(1)</script> \"x\" & 'y'"
HOSTILE_TOPIC_TITLE = '<img src=x onerror=alert(1)> 朝鲜 </outline><outline xmlUrl="javascript:x">'
E2E_CONFIG = """
[site]
title = {site_title}
author = {site_title}
base_url = "http://127.0.0.1:8080/"

[storage]
path = "state/agg.db"

[output]
dir = "out"
max_entries = 5000

[[sources]]
name = "hostile"
kind = "seeds"
path = "input"

[[topics]]
slug = "report"
title = {topic_title}
include = ["report"]
"""


def toml_string(text: str) -> str:
    """`text` as a TOML basic string (every non-printable character escaped)."""
    body = "".join(
        ch if ch.isprintable() and ch not in '"\\' else f"\\u{ord(ch):04x}" for ch in text
    )
    return f'"{body}"'


class TestEndToEnd:
    def test_build_over_hostile_seeds_publishes_nothing_active(self, tmp_path: Path) -> None:
        """`aggregator build` on hostile seeds and config writes only inert bodies and text."""
        seeds = tmp_path / "input"
        seeds.mkdir()
        vectors = XSS_CORPUS[::3]
        for number, vector in enumerate(vectors):
            title = f"{HOSTILE_TEXTS[number % len(HOSTILE_TEXTS)]} report {number}"
            text = seed_text(vector.html, number=number, title=title)
            # A NUL makes a file binary to seeds.py; the in-process tests cover NUL bodies.
            text = encodable(text).replace("\x00", "")
            (seeds / f"{number:03d}.txt").write_text(text, encoding="utf-8")
        config = tmp_path / "config.toml"
        config.write_text(
            E2E_CONFIG.format(
                site_title=toml_string(HOSTILE_SITE_TITLE),
                topic_title=toml_string(HOSTILE_TOPIC_TITLE),
            ),
            encoding="utf-8",
        )
        assert tomllib.loads(config.read_text(encoding="utf-8"))["site"]["title"] == (
            HOSTILE_SITE_TITLE
        )
        result = subprocess.run(
            [sys.executable, "-m", "aggregator", "build", "--config", str(config)],
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr[-4000:]
        assert f"{len(vectors)} new articles" in result.stdout, result.stdout

        out = tmp_path / "out"
        titles = {"all": "All stories", "report": HOSTILE_TOPIC_TITLE}
        for slug, topic_title in titles.items():
            data = (out / f"{slug}.atom").read_bytes()
            root = xml_root(data)
            feed_title = only_child_text(root.find(f"{ATOM}title"))
            assert feed_title == f"{HOSTILE_SITE_TITLE} — {topic_title}"
            entries = feedparser.parse(data, sanitize_html=False).entries
            assert len(entries) == len(root.findall(f"{ATOM}entry")) > 0
            for entry, element in zip(entries, root.findall(f"{ATOM}entry"), strict=True):
                assert_inert(entry.content[0].value)
                assert {child.tag for child in element} <= ENTRY_CHILDREN
                only_child_text(element.find(f"{ATOM}title"))
                for category in element.findall(f"{ATOM}category"):
                    assert category.get("label") in ("", HOSTILE_TOPIC_TITLE)

        opml = xml_root((out / "index.opml").read_bytes())
        outlines = opml.findall("body/outline")
        assert [o.get("text") for o in outlines] == [
            f"{HOSTILE_SITE_TITLE} — {title}" for title in titles.values()
        ]
        assert [len(o) for o in outlines] == [0, 0]
        page = BeautifulSoup((out / "index.html").read_text(encoding="utf-8"), "html.parser")
        assert page.title is not None and page.title.get_text() == HOSTILE_SITE_TITLE
        assert {tag.name for tag in page.find_all(True)} == INDEX_TAGS
        for tag in page.find_all(True):
            assert not any(name.startswith("on") for name in tag.attrs)


INDEX_TAGS = {"html", "head", "meta", "title", "link", "body", "h1", "ul", "li", "a", "p"}
