"""sources.feedformat: feed bytes + headers -> ParsedFeed, in every format, good or bad."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aggregator.errors import FeedParseError
from aggregator.sources import feedformat
from aggregator.sources.feedformat import (
    ParsedFeed,
    has_entity_declarations,
    parse_feed,
    read_well_formed,
)
from aggregator.sources.xmlguard import Guarded, guard_markup
from tests.conftest import DATA_DIR

FEEDS_DIR = DATA_DIR / "feeds"
FEED_FILES = sorted(p for p in FEEDS_DIR.iterdir() if not p.name.endswith(".json"))
URL = "https://feeds.example.org/news/feed.xml"


def _parse(data: bytes, content_type: str | None = "application/rss+xml") -> ParsedFeed:
    return parse_feed(data, source="wire", url=URL, content_type=content_type)


def _refused(data: bytes, content_type: str | None = "application/rss+xml") -> FeedParseError:
    with pytest.raises(FeedParseError) as caught:
        _parse(data, content_type)
    return caught.value


def _as_expected(parsed: ParsedFeed) -> dict[str, Any]:
    """The parts an .expected.json file pins; a warning is pinned by its text before ":"."""
    return {
        "feed": {"title": parsed.title, "link": parsed.link, "version": parsed.version},
        "warnings": [warning.split(":")[0] for warning in parsed.warnings],
        "items": [
            {
                "link": item.link,
                "title": item.title,
                "html": item.html,
                "guid": item.guid,
                "published": item.published.isoformat() if item.published else None,
                "author": item.author,
                "categories": list(item.categories),
            }
            for item in parsed.items
        ],
    }


def _fixture(name: str) -> tuple[bytes, dict[str, Any]]:
    path = FEEDS_DIR / name
    expected = json.loads(path.with_name(f"{path.stem}.expected.json").read_text("utf-8"))
    return path.read_bytes(), expected


RSS_ITEM = "<item><title>{title}</title><link>{link}</link><description>d</description></item>"


def _rss(*items: str, head: str = '<?xml version="1.0" encoding="utf-8"?>') -> bytes:
    body = "".join(items)
    return f'{head}<rss version="2.0"><channel><title>T</title>{body}</channel></rss>'.encode()


class TestFixtures:
    @pytest.mark.parametrize("path", FEED_FILES, ids=lambda p: p.name)
    def test_feed_matches_its_expected_file(self, path: Path) -> None:
        """Each data feed parses to the feed, items and warnings its .expected.json lists."""
        data, expected = _fixture(path.name)
        parsed = parse_feed(
            data, source="test", url=expected["url"], content_type=expected["content_type"]
        )
        assert _as_expected(parsed) == {k: expected[k] for k in ("feed", "warnings", "items")}

    @pytest.mark.parametrize(
        ("name", "version"),
        [
            ("rss091.xml", "rss091n"),
            ("rss092.xml", "rss092"),
            ("rss10.rdf", "rss10"),
            ("rss20.xml", "rss20"),
            ("atom03.xml", "atom03"),
            ("atom10.xml", "atom10"),
        ],
    )
    def test_every_format_yields_items(self, name: str, version: str) -> None:
        """RSS 0.91, 0.92, 1.0 (RDF), 2.0 and Atom 0.3, 1.0 are recognised and give items."""
        data, expected = _fixture(name)
        parsed = parse_feed(
            data, source="t", url=expected["url"], content_type=expected["content_type"]
        )
        assert parsed.version == version
        assert parsed.items


class TestItems:
    def test_content_encoded_is_preferred_over_description(self) -> None:
        """An RSS item's content:encoded is its body, not the shorter description."""
        data, _ = _fixture("rss20.xml")
        item = _parse(data).items[0]
        assert "armoured train" in item.html
        assert "Short summary only" not in item.html

    def test_html_content_is_preferred_over_text_content(self) -> None:
        """Of an Atom entry's contents, the HTML one is the body."""
        data, _ = _fixture("atom10.xml")
        assert _parse(data, "application/atom+xml").items[0].html.startswith("<p>The leaders")

    def test_text_content_is_escaped_into_html(self) -> None:
        """An Atom type="text" body stays text: "a < b" becomes "a &lt; b", not a tag."""
        data, _ = _fixture("atom10.xml")
        assert _parse(data, "application/atom+xml").items[2].html == "Since a &lt; b, this is text."

    def test_description_is_the_body_without_content(self) -> None:
        """Without content:encoded, the description (HTML) is the body."""
        item = _parse(_rss(RSS_ITEM.format(title="T", link="https://e.org/1"))).items[0]
        assert item.html == "d"

    def test_relative_item_link_resolves_against_the_feed_url(self) -> None:
        """A relative <link> becomes absolute against the URL the feed was fetched from."""
        parsed = _parse(_rss(RSS_ITEM.format(title="T", link="../a/1.html")))
        assert parsed.items[0].link == "https://feeds.example.org/a/1.html"

    def test_relative_urls_in_the_body_are_left_for_the_cleaner(self) -> None:
        """feedparser does not rewrite the body: clean.py resolves it against the item link."""
        data, _ = _fixture("rss20.xml")
        assert 'src="img/train.jpg"' in _parse(data).items[0].html

    def test_item_without_link_or_guid_is_dropped_with_a_warning(self) -> None:
        """An item with nothing to point at is not an item; the feed says so in a warning."""
        parsed = _parse(
            _rss(
                "<item><title>lost</title></item>",
                RSS_ITEM.format(title="ok", link="https://e.org/1"),
            )
        )
        assert [i.title for i in parsed.items] == ["ok"]
        assert parsed.warnings == ("entry 1 has neither an http(s) link nor a guid: dropped",)

    def test_permalink_guid_stands_in_for_a_missing_link(self) -> None:
        """An item with only a URL guid gets that guid as its link."""
        parsed = _parse(_rss('<item><guid isPermaLink="false">https://e.org/g/7</guid></item>'))
        assert parsed.items[0].link == "https://e.org/g/7"
        assert parsed.items[0].guid == "https://e.org/g/7"

    def test_non_url_guid_without_link_is_dropped(self) -> None:
        """A guid like "abc-123" is no address a reader can open: the item is dropped."""
        parsed = _parse(
            _rss('<item><title>t</title><guid isPermaLink="false">abc-123</guid></item>')
        )
        assert parsed.items == ()
        assert len(parsed.warnings) == 1

    def test_javascript_link_is_no_link(self) -> None:
        """Only http(s) links are kept: a javascript: link never reaches a published feed."""
        parsed = _parse(_rss(RSS_ITEM.format(title="x", link="javascript:alert(1)")))
        assert parsed.items == ()

    def test_published_is_an_aware_utc_datetime(self) -> None:
        """pubDate with an offset becomes the same instant in UTC."""
        data, _ = _fixture("rss20.xml")
        assert _parse(data).items[0].published == datetime(2023, 9, 12, 2, 0, tzinfo=UTC)

    def test_updated_stands_in_for_a_missing_published(self) -> None:
        """An Atom entry with only <updated> is dated by it."""
        data, _ = _fixture("atom10.xml")
        item = _parse(data, "application/atom+xml").items[1]
        assert item.published == datetime(2023, 9, 14, 8, 0, tzinfo=UTC)

    def test_item_without_a_date_has_none(self) -> None:
        """No pubDate, no dc:date, no updated: published is None (normalize looks further)."""
        item = _parse(_rss(RSS_ITEM.format(title="T", link="https://e.org/1"))).items[0]
        assert item.published is None

    def test_author_name_comes_without_the_email(self) -> None:
        """RSS's "email (Name)" author becomes the name."""
        data, _ = _fixture("rss20.xml")
        assert _parse(data).items[0].author == "Mira Lee"

    def test_categories_are_the_tag_terms_once_each(self) -> None:
        """Repeated <category> terms appear once, in their first order."""
        data, _ = _fixture("rss20.xml")
        assert _parse(data).items[0].categories == ("World", "Asia")

    def test_items_carry_source_and_feed_url(self) -> None:
        """Every item names the source and the URL it came from."""
        item = _parse(_rss(RSS_ITEM.format(title="T", link="https://e.org/1"))).items[0]
        assert (item.source, item.feed_url) == ("wire", URL)

    def test_empty_but_valid_feed_has_no_items_and_no_error(self) -> None:
        """A feed with a channel and no items is a feed: nothing to ingest, nothing wrong."""
        parsed = _parse(_rss())
        assert (parsed.title, parsed.items, parsed.warnings) == ("T", (), ())


class TestSurvivable:
    def test_malformed_feed_with_entries_is_used_with_a_warning(self) -> None:
        """Ill-formed XML that still yields entries gives its items and one warning."""
        data, _ = _fixture("malformed.xml")
        parsed = _parse(data)
        assert len(parsed.items) == 2
        assert len(parsed.warnings) == 1
        assert parsed.warnings[0].startswith("SAXParseException")

    def test_non_xml_content_type_is_a_warning(self) -> None:
        """A good feed served as text/plain is used; the wrong type is a warning."""
        parsed = _parse(_rss(RSS_ITEM.format(title="T", link="https://e.org/1")), "text/plain")
        assert len(parsed.items) == 1
        assert parsed.warnings[0].startswith("NonXMLContentType")

    def test_encoding_override_is_a_warning(self) -> None:
        """A document whose bytes contradict its declared encoding is read, with a warning."""
        data = _rss(RSS_ITEM.format(title="café", link="https://e.org/1")).decode()
        parsed = _parse(data.encode("latin-1"))
        assert parsed.items[0].title == "café"
        assert parsed.warnings[0].startswith("CharacterEncodingOverride")


GARBAGE = {
    "empty": (b"", "text/html", "empty document"),
    "whitespace": (b" \n\t ", "application/rss+xml", "empty document"),
    "html page": (
        b"<!DOCTYPE html><html><head><title>Login</title></head><body><p>x</p></body></html>",
        "text/html; charset=utf-8",
        "an HTML page",
    ),
    "html served as xml": (
        b"<html><body><p>Moved</p></body></html>",
        "application/rss+xml",
        "an HTML page",
    ),
    "json": (b'{"version": "https://jsonfeed.org/version/1.1", "items": []}', None, "JSON"),
    "plain text": (b"Service temporarily unavailable", "text/plain", "no RSS or Atom root"),
    "other xml": (b'<?xml version="1.0"?><note><to>x</to></note>', "text/xml", "no RSS or Atom"),
    "binary": (bytes(range(256)) * 4, "application/octet-stream", "not a feed"),
    "malformed, no entries": (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>A & B</title>',
        "application/rss+xml",
        "malformed feed with no entries",
    ),
}


class TestGarbage:
    @pytest.mark.parametrize(("data", "content_type", "reason"), GARBAGE.values(), ids=GARBAGE)
    def test_garbage_is_a_feed_parse_error_with_a_reason(
        self, data: bytes, content_type: str | None, reason: str
    ) -> None:
        """What is not a usable feed raises FeedParseError saying what it is instead."""
        error = _refused(data, content_type)
        assert reason in error.reason

    def test_error_names_source_and_url(self) -> None:
        """The message starts with the source and the URL, then the problem."""
        error = _refused(b"<html><body>hi</body></html>", "text/html")
        assert (error.source, error.url) == ("wire", URL)
        assert str(error) == f"source wire ({URL}): not a feed: an HTML page"

    def test_bytes_naming_a_local_file_are_not_read_as_that_file(self, tmp_path: Path) -> None:
        """A body that spells a path is parsed as bytes: feedparser must not open the file."""
        local = tmp_path / "secret.xml"
        local.write_bytes(_rss(RSS_ITEM.format(title="SECRET", link="https://e.org/s")))
        error = _refused(str(local).encode())
        assert "not a feed" in error.reason


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n <!ENTITY lol "lol">\n'
    + b"".join(
        b' <!ENTITY lol%d "%s">\n' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10)
        for n in range(1, 10)
    )
    + b"]>\n"
    + _rss(RSS_ITEM.format(title="&lol9;", link="https://e.org/1"), head="")
)
XXE = b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + _rss(
    RSS_ITEM.format(title="&x;", link="https://e.org/1"), head=""
)
HOSTILE = {
    "billion laughs": BILLION_LAUGHS,
    "xxe": XXE,
    "after a comment": b'<!-- <rss> --><!DOCTYPE rss [<!ENTITY a "b">]><rss/>',
    "after an attlist quoting ]>": b'<!DOCTYPE r [<!ATTLIST r a CDATA "]>"><!ENTITY a "b">]><r/>',
    "parameter entity": b'<!DOCTYPE r [<!ENTITY % p SYSTEM "http://evil.example/x.dtd"> %p;]><r/>',
    "lower case": b'<!doctype rss [<!entity a "b">]><rss/>',
    "unterminated doctype": b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "b"> <rss/>',
    "utf-16 with bom": '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "b">]><r/>'.encode("utf-16"),
    "utf-16 without bom": '<!DOCTYPE r [<!ENTITY a "b">]><r/>'.encode("utf-16-be"),
    "utf-8 bom": b'\xef\xbb\xbf<!DOCTYPE r [<!ENTITY a "b">]><r/>',
}
HARMLESS = {
    "no doctype": _rss(),
    "doctype without subset": b'<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape '
    b'Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">'
    b"<rss/>",
    "entity text in an item": _rss(
        '<item><link>https://e.org/1</link><description><![CDATA[<!DOCTYPE x [<!ENTITY a "b">]>]]>'
        "</description></item>"
    ),
}


class TestHostileXml:
    @pytest.mark.parametrize("data", HOSTILE.values(), ids=HOSTILE)
    def test_entity_declarations_are_detected(self, data: bytes) -> None:
        """A prolog declaring entities is recognised, whatever the encoding or disguise."""
        assert has_entity_declarations(data)

    @pytest.mark.parametrize("data", HARMLESS.values(), ids=HARMLESS)
    def test_feeds_without_entity_declarations_pass(self, data: bytes) -> None:
        """A DOCTYPE without internal subset, or entity text inside an item, is not hostile."""
        assert not has_entity_declarations(data)

    def test_billion_laughs_is_refused_with_a_clear_reason(self) -> None:
        """The exponential-entity bomb never reaches the XML parser."""
        error = _refused(BILLION_LAUGHS)
        assert error.reason == "document declares XML entities (<!ENTITY>): refused as hostile"

    def test_external_entity_is_refused(self) -> None:
        """An entity naming a local file is refused, so nothing of that file can leak."""
        assert "<!ENTITY>" in _refused(XXE).reason

    def test_netscape_rss_091_doctype_is_accepted(self) -> None:
        """The standard RSS 0.91 DOCTYPE (external DTD, no subset) parses normally."""
        data, expected = _fixture("rss091.xml")
        assert len(_parse(data).items) == len(expected["items"])


XML_FRAGMENTS = [
    b'<?xml version="1.0" encoding="utf-8"?>',
    b'<rss version="2.0">',
    b"<channel>",
    b"<title>t</title>",
    b"<item>",
    b"<link>https://e.org/a</link>",
    b"<link>/rel</link>",
    b"<guid>g</guid>",
    b"<description>&lt;p&gt;x</description>",
    b"<pubDate>Tue, 12 Sep 2023 10:00:00 +0800</pubDate>",
    b"<pubDate>not a date</pubDate>",
    b"</item>",
    b"</channel></rss>",
    b'<feed xmlns="http://www.w3.org/2005/Atom">',
    b"<entry><id>urn:x</id><link href='e/1'/><updated>2023-09-12T10:00:00Z</updated></entry>",
    b"</feed>",
    b"<!DOCTYPE rss [",
    b'<!ENTITY a "b">',
    b"]>",
    b"<!--",
    b"-->",
    b"&amp;",
    b"&",
    b"<![CDATA[",
    b"]]>",
    b"\xff\xfe",
    b"\x00",
]


@given(st.lists(st.sampled_from(XML_FRAGMENTS) | st.binary(max_size=12), max_size=30).map(b"".join))
def test_any_bytes_give_a_feed_or_a_feed_parse_error(data: bytes) -> None:
    """Whatever the bytes, parse_feed returns items with http(s) links or raises FeedParseError."""
    try:
        parsed = _parse(data)
    except FeedParseError:
        return
    for item in parsed.items:
        assert urlsplit(item.link).scheme in ("http", "https")
        assert item.published is None or item.published.tzinfo is UTC


# The lxml path must read what feedparser reads, or hand the document to feedparser.

RSS_NAMESPACES = (
    'xmlns:content="http://purl.org/rss/1.0/modules/content/"'
    ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom"'
    ' xmlns:media="http://search.yahoo.com/mrss/" xmlns:x="http://unknown.example/ns"'
)
ITEM_PARTS = [
    "<title>T &amp; t</title>",
    "<title></title>",
    "<title>中文标题</title>",
    "<title type='html'>&lt;b&gt;x&lt;/b&gt;</title>",
    "<title>caf\u00c3\u00a9 &#128; \u0093q\u0094</title>",
    "<dc:title>DC</dc:title>",
    "<link>https://e.org/a?x=1&amp;y=2</link>",
    "<link>../rel/1</link>",
    "<link>javascript:alert(1)</link>",
    "<link href='https://e.org/h'/>",
    "<link rel='self' href='https://e.org/s'/>",
    "<link rel='enclosure' href='a.mp3'/>",
    "<link href=''/>",
    "<atom:link rel='alternate' type='text/html' href='https://e.org/alt'/>",
    "<guid>https://e.org/g</guid>",
    "<guid>rel/guid</guid>",
    "<guid isPermaLink='false'>abc-1</guid>",
    "<id>urn:x:1</id>",
    "<description>&lt;p&gt;d&lt;/p&gt;</description>",
    "<description><![CDATA[<p>c &amp; d</p>]]></description>",
    "<description>a &lt; b</description>",
    "<content:encoded><![CDATA[<p>body</p><img src='i.jpg'>]]></content:encoded>",
    "<content:encoded>  </content:encoded>",
    "<summary>a &lt; b</summary>",
    "<summary type='html'>&lt;i&gt;s&lt;/i&gt;</summary>",
    "<content type='text'>x &lt; y</content>",
    "<content type='html'>&lt;p&gt;h&lt;/p&gt;</content>",
    "<content type='xhtml'><div xmlns='http://www.w3.org/1999/xhtml'>x</div></content>",
    "<pubDate>Tue, 12 Sep 2023 10:00:00 +0800</pubDate>",
    "<pubDate>not a date</pubDate>",
    "<published>2023-09-12T10:00:00Z</published>",
    "<updated>2023-09-14</updated>",
    "<dc:date>2023-09-12T06:30:00+02:00</dc:date>",
    "<author>desk@e.org (Mira Lee)</author>",
    "<author><name>N</name><email>n@e.org</email></author>",
    "<author><email>only@e.org</email></author>",
    "<dc:creator>编辑部</dc:creator>",
    "<category>World</category>",
    "<category domain='d'>Asia</category>",
    "<category term='t' label='L'/>",
    "<category domain='d'></category>",
    "<dc:subject>World</dc:subject>",
    "<source url='https://e.org/s'>S</source>",
    "<enclosure url='https://e.org/a.mp3' type='audio/mpeg' length='1'/>",
    "<comments>https://e.org/c</comments>",
    "<x:extra a='1'>e</x:extra>",
    "<x:title>not a title</x:title>",
    "<media:content url='https://e.org/i.jpg'/>",
    "<media:thumbnail url='https://e.org/t.jpg'/>",
    "<media:group><media:content url='https://e.org/v.mp4'><media:credit>AP</media:credit>"
    "</media:content></media:group>",
    "<media:title>a media title</media:title>",
    "<media:description>a media description</media:description>",
    "<foo><bar>inert</bar></foo>",
]
CHANNEL_PARTS = [
    "<title>Feed &amp; co</title>",
    "<title></title>",
    "<link>https://e.org/</link>",
    "<atom:link rel='self' href='https://e.org/feed'/>",
    "<image><title>Logo</title><url>https://e.org/l.png</url><link>https://e.org/</link></image>",
    "<description>about</description>",
    "<language>zh-cn</language>",
    "<lastBuildDate>Tue, 12 Sep 2023 10:00:00 GMT</lastBuildDate>",
    "<ttl>60</ttl>",
]


def _readings(
    data: bytes, content_type: str | None = "application/rss+xml", url: str = URL
) -> tuple[ParsedFeed | str, ParsedFeed | str]:
    """parse_feed as it is (lxml where it can), and with feedparser alone; an error's reason."""

    def reading() -> ParsedFeed | str:
        try:
            return parse_feed(data, source="wire", url=url, content_type=content_type)
        except FeedParseError as exc:
            return exc.reason

    as_is = reading()
    with mock.patch.object(feedformat, "read_well_formed", return_value=None):
        return as_is, reading()


def _read_by_lxml(data: bytes, content_type: str = "application/rss+xml") -> bool:
    guarded = guard_markup(data, headers={"content-location": URL, "content-type": content_type})
    return isinstance(guarded, Guarded) and read_well_formed(guarded, url=URL) is not None


def _feed(kind: str, channel: list[str], items: list[list[str]]) -> bytes:
    """A feed of `kind` (rss, atom, rdf); RSS 1.0 does not declare Atom's namespace."""
    tag = "entry" if kind == "atom" else "item"
    about = " rdf:about='https://e.org/r'" if kind == "rdf" else ""
    entries = "".join(f"<{tag}{about}>{''.join(parts)}</{tag}>" for parts in items)
    head, tail = "<rss version='2.0' {ns}><channel>", "</channel></rss>"
    if kind == "atom":
        head, tail = "<feed xmlns='http://www.w3.org/2005/Atom' {ns}>", "</feed>"
    elif kind == "rdf":
        head = (
            "<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'"
            " xmlns='http://purl.org/rss/1.0/' {ns}><channel rdf:about='https://e.org/'>"
        )
        head, tail = head + "".join(channel) + "</channel>", "</rdf:RDF>"
        channel = []
    ns = RSS_NAMESPACES.replace(' xmlns:atom="http://www.w3.org/2005/Atom"', "")
    declared = head.format(ns=RSS_NAMESPACES if kind == "rss" else ns)
    body = declared + "".join(channel) + entries + tail
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode()


PLAIN_RSS = _feed("rss", CHANNEL_PARTS[:3], [ITEM_PARTS[:1] + ITEM_PARTS[6:7] + ITEM_PARTS[21:22]])
NOT_MIRRORED = {
    "doctype": _fixture("rss091.xml")[0],
    "xml:base": _fixture("atom10.xml")[0],
    "media title": _feed(
        "rss", [], [["<link>https://e.org/1</link>", "<media:title>m</media:title>"]]
    ),
    "xhtml content": _feed("atom", [], [["<link href='https://e.org/1'/>", ITEM_PARTS[27]]]),
    "two descriptions": _feed("rss", [], [["<link>https://e.org/1</link>", *ITEM_PARTS[18:20]]]),
    "two authors": _feed("rss", [], [["<link>https://e.org/1</link>", *ITEM_PARTS[33:35]]]),
    "dc: bound to Dublin Core terms": PLAIN_RSS.replace(
        b"http://purl.org/dc/elements/1.1/", b"http://purl.org/dc/terms/"
    ),
    "unknown default namespace": PLAIN_RSS.replace(
        b"<channel>", b'<channel xmlns="http://unknown.example/default">'
    ),
    "undefined entity": PLAIN_RSS.replace(b"T &amp; t", b"T &nbsp; t"),
}


class TestTwoReaders:
    @pytest.mark.parametrize("path", FEED_FILES, ids=lambda p: p.name)
    @pytest.mark.parametrize("content_type", ["application/xml", "text/xml", None])
    def test_data_feeds_read_alike(self, path: Path, content_type: str | None) -> None:
        """Every data feed gives the same ParsedFeed (or error) with or without the lxml path."""
        as_is, by_feedparser = _readings(path.read_bytes(), content_type)
        assert as_is == by_feedparser

    @pytest.mark.parametrize("kind", ["rss", "atom", "rdf"])
    def test_plain_feeds_take_the_lxml_path(self, kind: str) -> None:
        """RSS 2.0, Atom 1.0 and RSS 1.0 made of the usual elements are read by lxml, alike."""
        items = [[*ITEM_PARTS[:1], ITEM_PARTS[9], ITEM_PARTS[14], ITEM_PARTS[21], ITEM_PARTS[28]]]
        data = _feed(kind, CHANNEL_PARTS[:3], items * 3)
        assert _read_by_lxml(data)
        as_is, by_feedparser = _readings(data)
        assert as_is == by_feedparser
        assert isinstance(as_is, ParsedFeed) and len(as_is.items) == 3

    def test_rss20_data_feed_takes_the_lxml_path(self) -> None:
        assert _read_by_lxml(_fixture("rss20.xml")[0])
        assert _read_by_lxml(_fixture("rss10.rdf")[0])

    @pytest.mark.parametrize("data", NOT_MIRRORED.values(), ids=NOT_MIRRORED)
    def test_what_lxml_does_not_mirror_goes_to_feedparser(self, data: bytes) -> None:
        """A DOCTYPE, xml:base, handlers not mirrored, ill-formed XML: feedparser reads it."""
        assert not _read_by_lxml(data)
        as_is, by_feedparser = _readings(data)
        assert as_is == by_feedparser

    @given(
        st.sampled_from(["rss", "atom", "rdf"]),
        st.lists(st.sampled_from(CHANNEL_PARTS), max_size=4),
        st.lists(st.lists(st.sampled_from(ITEM_PARTS), max_size=8), max_size=3),
        st.sampled_from(["application/rss+xml", "text/xml", None, "text/html"]),
    )
    def test_any_mix_of_elements_reads_alike(
        self, kind: str, channel: list[str], items: list[list[str]], content_type: str | None
    ) -> None:
        """Whatever the lxml path accepts, it reads as feedparser does, field for field."""
        as_is, by_feedparser = _readings(_feed(kind, channel, items), content_type)
        assert as_is == by_feedparser
