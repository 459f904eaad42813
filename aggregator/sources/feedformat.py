"""Turn the bytes of a live feed into FeedItems.

Owns the feed formats (RSS 0.9x, RSS 1.0/RDF, RSS 2.0, Atom 0.3 and 1.0) and the boundary
where parsed entries become typed records: `Any` is allowed here and nowhere else. Pure: bytes
and the response's headers in, a ParsedFeed out; fetching is fetch.py's job.

feedparser is the product's named parser and the reference for what a feed means: it copes
with twenty years of feeds in the wild (undeclared encodings, the loose parser for ill-formed
XML, every date format). It is handed a stream and headers, never a URL or a string: given
bytes that spell a file name, feedparser would open and read that local file. Its own
sanitizing and relative-URI resolution stay off: clean.py sanitizes, and resolves relative
URLs against the item link.

Two readers, one meaning. Well-formed RSS 2.0, RSS 1.0 and Atom 1.0 made of the usual
elements are read with lxml (read_well_formed): feedparser's strict parser, mirrored handler
by handler for the fields feed_item_from_entry reads, on the text feedparser would parse (its
encoding detection, run once by xmlguard), with feedparser's own date parser and URL joining.
Anything it does not mirror (a DOCTYPE, xml:base, ill-formed XML, XHTML content, media:title,
iTunes or GeoRSS elements, a second author or summary in an item ...) goes whole to feedparser
(parse_with_feedparser), so the two cannot disagree: tests/test_feedformat.py compares them on
every data feed and on generated mixes of elements, and the 2,000-item corpus reads alike item
by item. Measured on the corpus's 13 KB items, both in one run: feedparser 1.3-2.0 ms per item
(without its sanitizer; 0.6 ms of it one str.translate), the lxml path 0.22-0.35 ms (5-8x
less; xmlguard and feedparser's encoding detection are a quarter to a third of it). lxml runs
with resolve_entities=False, no_network=True, load_dtd=False and huge_tree=False (deeper than
256 levels, or a text node over 10 MB: feedparser reads it); a document with a DOCTYPE goes to
feedparser, so lxml expands no entity and reads no DTD.

Errors as values where survivable: feedparser's `bozo` flag becomes a warning when the feed
is still usable (a wrong declared encoding, a non-XML content type, or ill-formed XML from
which entries were still read) and FeedParseError when it is not (nothing feed-like: an HTML
page, JSON, an empty body; or ill-formed XML without a single entry).

Hostile XML: xmlguard.py sees the document first, whichever reader follows, and refuses what
would make feedparser hang or blow up: a DOCTYPE declaring entities (`<!DOCTYPE x [<!ENTITY
...>]>`: "billion laughs" expansion, XXE reading local files or URLs) or attribute defaults,
and markup whose parsing cost grows faster than its size (too many attributes on a tag,
namespace prefixes, nested xml:base paths). Real feeds need none of these.
"""

from __future__ import annotations

import calendar
import contextlib
import html
import io
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
from feedparser.api import StrictFeedParser
from feedparser.datetimes import _parse_date
from feedparser.html import _cp1252 as CP1252_CONTROLS
from feedparser.mixin import _FeedParserMixin
from feedparser.urls import _urljoin, make_safe_absolute_uri
from lxml import etree

from aggregator.errors import FeedParseError
from aggregator.records import FeedItem
from aggregator.sources.xmlguard import Guarded, Refused, guard_markup, has_entity_declarations

__all__ = [
    "ParsedFeed",
    "feed_item_from_entry",
    "has_entity_declarations",
    "parse_feed",
    "parse_with_feedparser",
    "read_well_formed",
]

# https://feedparser.readthedocs.io/en/latest/character-encoding.html
SURVIVABLE_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
# What feedparser's loose parser raises on hostile input instead of setting bozo, as found by
# tests/fuzz/fuzz_feed.py (issue 6): a character reference outside Unicode (`&#xd800;`,
# `&#x110000;`, `&#99999999999;`) reaches chr() and .encode() unguarded (ValueError,
# OverflowError); an end tag without its context (`</category>`, `</link>`, `</width>`) looks up
# a missing key or int()s None (KeyError, TypeError); an encoding declaration of undecodable
# bytes or a failing codec (`encoding="undefined"`) breaks its encoding detection, which
# xmlguard runs too (UnicodeError, a ValueError). feedparser has no base class for these.
FEEDPARSER_CRASHES = (LookupError, TypeError, ValueError, OverflowError)
HTML_CONTENT_TYPES = frozenset({"text/html", "application/xhtml+xml"})
LINK_SCHEMES = frozenset({"http", "https"})


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedFeed:
    """A feed's own title and link, its usable items, and what was wrong but survivable."""

    title: str
    link: str | None
    version: str  # feedparser's name for the format: "rss20", "atom10", "rss10" ...
    items: tuple[FeedItem, ...]
    warnings: tuple[str, ...] = ()


def parse_feed(data: bytes, *, source: str, url: str, content_type: str | None) -> ParsedFeed:
    """Parse the body of a feed fetched from `url` (the final URL, after redirects).

    Raises:
        FeedParseError: the bytes are not a usable feed, or xmlguard refuses them as hostile.
    """
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    try:
        guarded = guard_markup(data, headers=headers)  # runs feedparser's encoding detection
        if isinstance(guarded, Refused):
            raise FeedParseError(source, url, guarded.reason)
        result = read_well_formed(guarded, url=url)
        if result is None:
            result = parse_with_feedparser(guarded, headers=headers)
    except FEEDPARSER_CRASHES as exc:
        raise FeedParseError(source, url, f"unparseable feed: {exc!r:.200}") from exc
    warnings = _usability_warnings(result, data, source=source, url=url, content_type=content_type)
    items: list[FeedItem] = []
    for number, entry in enumerate(result["entries"], start=1):
        item = feed_item_from_entry(entry, source=source, feed_url=url)
        if item is None:
            warnings.append(f"entry {number} has neither an http(s) link nor a guid: dropped")
        else:
            items.append(item)
    feed = result["feed"]
    return ParsedFeed(
        title=_text(feed.get("title")),
        link=_resolved_http_url(url, feed.get("link")),
        version=str(result.get("version") or ""),
        items=tuple(items),
        warnings=tuple(warnings),
    )


def parse_with_feedparser(guarded: Guarded, *, headers: dict[str, str]) -> Any:
    """feedparser's result for a document xmlguard let through (the reference reading)."""
    return feedparser.parse(
        io.BytesIO(guarded.data),  # a stream, never bytes: bytes naming a local file would be read
        response_headers=headers,
        sanitize_html=False,
        resolve_relative_uris=False,
    )


def _usability_warnings(
    result: Any, data: bytes, *, source: str, url: str, content_type: str | None
) -> list[str]:
    """What is wrong with a usable feed; raise if it is not usable at all."""
    problem = result.get("bozo_exception") if result.get("bozo") else None
    if not result.get("version"):
        raise FeedParseError(source, url, _not_a_feed_reason(data, content_type, problem))
    if problem is None:
        return []
    if isinstance(problem, SURVIVABLE_BOZO) or result["entries"]:
        return [f"{type(problem).__name__}: {problem}"]
    raise FeedParseError(source, url, f"malformed feed with no entries: {problem}")


def _not_a_feed_reason(data: bytes, content_type: str | None, problem: object) -> str:
    head = data[:1024].lstrip().lower()
    media_type = (content_type or "").lower()
    if not data.strip():
        return "not a feed: empty document"
    if b"<html" in head or b"<!doctype html" in head or "html" in media_type:
        return "not a feed: an HTML page"
    if head.startswith((b"{", b"[")) or "json" in media_type:
        return "not a feed: JSON"
    detail = f" ({problem})" if problem is not None else ""
    return f"not a feed: no RSS or Atom root element{detail}"


def feed_item_from_entry(entry: Any, *, source: str, feed_url: str) -> FeedItem | None:
    """The FeedItem for one feedparser entry, or None if it has no address at all.

    An entry needs an http(s) link, or a guid: without a link, a guid that is an http(s) URL
    stands in for it (RSS's permalink guids); a guid that is not a URL leaves nothing a reader
    could open, and the entry is dropped too.
    """
    guid = _text(entry.get("id")).strip() or None
    link = _resolved_http_url(feed_url, entry.get("link"))
    if link is None and guid is not None:
        link = _resolved_http_url("", guid)  # a guid is absolute, or it is no URL
    if link is None:
        return None
    return FeedItem(
        source=source,
        feed_url=feed_url,
        link=link,
        title=_text(entry.get("title")),
        html=_entry_html(entry),
        guid=guid,
        published=_entry_time(entry, "published_parsed") or _entry_time(entry, "updated_parsed"),
        author=_entry_author(entry),
        categories=_entry_categories(entry),
    )


def _entry_html(entry: Any) -> str:
    """The entry's fullest body as HTML: its content (HTML preferred), else its summary."""
    contents = [c for c in entry.get("content") or () if _text(c.get("value")).strip()]
    chosen = next((c for c in contents if c.get("type") in HTML_CONTENT_TYPES), None)
    if chosen is None and contents:
        chosen = contents[0]
    if chosen is not None:
        return _as_html(_text(chosen.get("value")), chosen.get("type"))
    detail = entry.get("summary_detail") or {}
    return _as_html(_text(entry.get("summary")), detail.get("type"))


def _as_html(value: str, media_type: object) -> str:
    # feedparser says text/plain for Atom's type="text": "a < b" is text, not a tag.
    return html.escape(value, quote=False) if media_type == "text/plain" else value


def _entry_time(entry: Any, key: str) -> datetime | None:
    # dict.get, not entry.get: feedparser's dict answers "updated_parsed" with "published_parsed".
    value = dict.get(entry, key)
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, OSError):  # a year feedparser read but datetime cannot hold
        return None


def _entry_author(entry: Any) -> str | None:
    detail = entry.get("author_detail") or {}
    name = _text(detail.get("name")).strip() or _text(entry.get("author")).strip()
    return name or None


def _entry_categories(entry: Any) -> tuple[str, ...]:
    terms = (_text(tag.get("term")).strip() for tag in entry.get("tags") or ())
    return tuple(dict.fromkeys(term for term in terms if term))


def _resolved_http_url(base: str, value: object) -> str | None:
    """`value` resolved against `base`, if that makes an http(s) URL with a host; else None."""
    text = _text(value).strip()
    if not text:
        return None
    try:
        url = urljoin(base, text)
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced "[" in the host
        return None
    return url if parts.scheme.lower() in LINK_SCHEMES and parts.netloc else None


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


# The lxml path: what feedparser's strict (expat) parser makes of a well-formed feed, for the
# elements feeds are made of, at a fiftieth of its cost. Each handler below mirrors the
# feedparser 6 handler named in its docstring, for the keys feed_item_from_entry reads; any
# element or attribute whose handling it does not mirror sends the whole document to
# feedparser instead (_Unsupported), so the two paths cannot disagree on what either reads.

XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace"
ATOM10_NAMESPACE = "http://www.w3.org/2005/atom"  # lower case, as feedparser compares them
RSS10_NAMESPACE = "http://purl.org/rss/1.0/"
RSS090_NAMESPACE = "http://my.netscape.com/rdf/simple/0.9/"
# feedparser's own tables: its prefix for each namespace it knows ("" for the feed formats').
KNOWN_NAMESPACES: dict[str, str] = {
    uri.lower(): prefix.lower() for uri, prefix in _FeedParserMixin.namespaces.items()
}
PREFIX_NAMES = frozenset(prefix for prefix in KNOWN_NAMESPACES.values() if prefix)
looks_like_html = _FeedParserMixin.looks_like_html
HANDLED = frozenset(
    name.split("_", 2)[2].lower()
    for name in dir(StrictFeedParser)
    if name.startswith(("_start_", "_end_"))
)
# Every "_"-suffix of a handled name: an element of a namespace feedparser does not know gets
# whichever prefix the document declared for it, so only its local name tells it is inert.
HANDLED_SUFFIXES = frozenset(
    "_".join(parts[i:])
    for parts in (name.split("_") for name in HANDLED)
    for i in range(len(parts))
)
# What feed_item_from_entry and parse_feed read: an element stored under one of these names
# (or a suffix, whatever its prefix) would overwrite them, so it is never inert.
READ_KEYS = (
    *("id", "link", "title", "content", "summary", "summary_detail", "published_parsed"),
    *("updated_parsed", "author_detail", "author", "tags"),
)
READ_SUFFIXES = frozenset(
    "_".join(parts[i:])
    for parts in (key.split("_") for key in READ_KEYS)
    for i in range(len(parts))
)
RSS_VERSIONS = {"0.91": "rss091u", "0.92": "rss092", "0.93": "rss093", "0.94": "rss094"}
TEXT_TYPES = frozenset({"text/plain", "text/html", "application/xhtml+xml"})
XHTML = "application/xhtml+xml"
FEED_TITLES = frozenset({"title", "dc_title"})
GUIDS = frozenset({"guid", "id"})
ITEMS = frozenset({"item", "entry"})
# Feed-level elements with no bearing on the feed's title and link, nor on its items (leaves).
FEED_ASIDES = frozenset(
    {
        *("description", "dc_description", "subtitle", "tagline", "info"),
        *("rights", "copyright", "dc_rights", "language", "dc_language", "generator", "cloud"),
        *("lastbuilddate", "pubdate", "published", "issued", "updated", "modified", "dc_date"),
        *("dcterms_issued", "dcterms_modified", "category", "dc_subject", "webmaster"),
        "dc_publisher",
    }
)
AUTHORS = frozenset({"author", "managingeditor", "dc_author", "dc_creator"})
# Media RSS elements kept under names of their own (media_content, media_thumbnail, url ...).
# Not media:title, media:description, media:category, media:keywords: those set the title,
# summary or tags. <media:group> and <media:content> may hold the others.
MEDIA_ASIDES = frozenset(
    {
        *("media_content", "media_thumbnail", "media_credit", "media_rating"),
        *("media_restriction", "media_license", "media_player"),
    }
)
MEDIA_HOLDERS = frozenset({"media_group", "media_content"})
AUTHOR_PARTS = frozenset({"name", "email", "uri"})
# The children feedparser keeps inside <image> and <textinput> (any other one ends them).
IMAGE_PARTS = frozenset({"title", "link", "description", "url", "width", "height"})
TEXTINPUT_PARTS = frozenset({"title", "link", "description", "name"})
PUBLISHED = frozenset({"pubdate", "published", "issued", "dcterms_issued"})
UPDATED = frozenset({"updated", "modified", "lastbuilddate", "dc_date", "dcterms_modified"})
CATEGORIES = frozenset({"category", "dc_subject", "keywords"})
DESCRIPTIONS = frozenset({"description", "dc_description"})
C1_CONTROLS = tuple(chr(code) for code in range(0x80, 0xA0))
DOCTYPE_IN_PROLOG_RE = re.compile(rb"<!(?!--)")
FIRST_ELEMENT_RE = re.compile(rb"<\w")
PREFIX_DECLARATION = b"xmlns:"
PREFIX_DECLARATION_RE = re.compile(rb"""xmlns:([^\s=<>/"']+)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')""")
LINK_ENTITY_RE = re.compile("&([A-Za-z0-9_]+);")  # mixin.pop's repair of "&amp;" in links
# mixin._sync_author_detail: the e-mail address in an RSS "desk@x.org (Name)" author.
AUTHOR_EMAIL_RE = re.compile(
    r"""(([a-zA-Z0-9\_\-\.\+]+)@((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.)|(([a-zA-Z0-9\-]+\.)+))"""
    r"""([a-zA-Z]{2,4}|[0-9]{1,3})(\]?))(\?subject=\S+)?"""
)


class _Unsupported(Exception):
    """Markup the lxml path does not mirror: feedparser reads the document."""


def read_well_formed(guarded: Guarded, *, url: str) -> dict[str, Any] | None:
    """What feedparser would make of a well-formed feed, read with lxml; None to ask feedparser.

    The result has the keys of feedparser's (version, feed, entries, bozo, bozo_exception),
    holding what feed_item_from_entry and parse_feed read, with the same values.
    """
    document = guarded.utf8
    if not guarded.encoding:
        return None
    first = FIRST_ELEMENT_RE.search(document)
    if first is None or DOCTYPE_IN_PROLOG_RE.search(document, 0, first.start()):
        return None  # feedparser's replace_doctype acts on a DOCTYPE (RSS 0.91's names rss091n)
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )
    try:
        root = etree.fromstring(document, parser)
        if len(parser.error_log):  # e.g. a relative namespace URI: expat may judge otherwise
            return None
        docinfo: Any = root.getroottree().docinfo  # (lxml-stubs lack DocInfo.doctype)
        if docinfo.doctype:  # one the prolog scan missed (after a comment)
            return None
        reader = _WellFormedReader(document, url=url)
        reader.read(root)
    except (etree.LxmlError, _Unsupported):
        return None
    problem = guarded.problem
    return {
        "version": reader.version,
        "feed": reader.feed,
        "entries": reader.entries,
        "bozo": problem is not None,
        "bozo_exception": problem,
    }


class _WellFormedReader:
    """One document's walk: feedparser's state for the elements it mirrors."""

    def __init__(self, document: bytes, *, url: str) -> None:
        self.base = _base_uri(url)
        _check_prefixes(document)
        self.version = ""
        self.atom = False
        self.feed: dict[str, Any] = {}
        self.entries: list[dict[str, Any]] = []
        self.title_depth = -1  # mixin.title_depth: where the last non-empty title ended
        self.keys: dict[str, str] = {}

    def read(self, root: Any) -> None:
        """The root: mixin.track_namespace and _start_rss / _start_feed decide the version."""
        key = self.key(root)
        declared = {uri.lower() for uri in root.nsmap.values()}
        netscape = (root.nsmap.get(None) or "").lower() == RSS090_NAMESPACE
        if key == "rss" and RSS10_NAMESPACE not in declared and not netscape:
            version = str(root.get("version") or "")
            rss20 = "rss20" if version.startswith("2.") else "rss"
            self.version = RSS_VERSIONS.get(version, rss20)
            self.children(root, 1, self.root_child)
        elif (
            root.tag == "{http://www.w3.org/2005/Atom}feed"
            and RSS10_NAMESPACE not in declared
            and not netscape
        ):
            self.version = "atom10"
            self.atom = True
            self.children(root, 1, self.feed_child)
        elif (
            key == "rdf_rdf"
            and RSS10_NAMESPACE in declared
            and ATOM10_NAMESPACE not in declared
            and not netscape
        ):
            self.version = "rss10"
            self.children(root, 1, self.root_child)
        else:
            raise _Unsupported(key)

    def children(self, parent: Any, depth: int, handle: Any) -> None:
        for child in parent:
            handle(child, self.key(child), depth + 1)

    def key(self, element: Any) -> str:
        """feedparser's name for an element: its known prefix, "_", its local name in lower case.

        "?name" for a namespace feedparser does not know (only ever inert, see inert()).
        """
        tag = element.tag
        if not isinstance(tag, str):
            raise _Unsupported("entity reference")
        key = self.keys.get(tag)
        if key is None:
            namespace, _, local = tag[1:].partition("}") if tag[0] == "{" else ("", "", tag)
            local = local.lower()
            if not local.isascii():
                raise _Unsupported(tag)
            lower = namespace.lower()
            if "backend.userland.com/rss" in lower:
                lower = ""
            prefix = KNOWN_NAMESPACES.get(lower)
            if prefix is None:
                key = f"?{local}"  # a namespace feedparser does not know
            elif prefix:
                key = f"{prefix}_{local}"
            else:
                key = local
            self.keys[tag] = key
        if key[0] == "?" and element.prefix is None:
            raise _Unsupported(tag)  # an unknown default namespace: feedparser drops its prefix
        for name in element.attrib:  # xml:base, or any attribute named base, moves the base URI
            if name.rpartition("}")[2].lower() == "base":
                raise _Unsupported(name)
        return key

    # The document's top: <rss>, <rdf:RDF> (children of the root), <channel> and Atom's <feed>.

    def root_child(self, element: Any, key: str, depth: int) -> None:
        if key == "channel":
            _check_attributes(element, allowed=("rdf_about",))
            self.children(element, depth, self.feed_child)
        elif key in ITEMS:
            self.item(element, depth)
        elif key in ("image", "textinput"):
            self.image(element, key, depth)
        else:
            self.inert(element, key)

    def feed_child(self, element: Any, key: str, depth: int) -> None:
        if key in ITEMS:
            self.item(element, depth)
        elif key in FEED_TITLES:
            self.title(element, depth, self.feed)
        elif key == "link":
            self.link(element, self.feed, in_entry=False)
        elif key in GUIDS:
            self.guid(element, self.feed)
        elif key in ("image", "textinput"):
            self.image(element, key, depth)
        elif key in AUTHORS:
            self.author_parts(element)
        elif key in FEED_ASIDES:
            _leaf_text(element)
        elif key in MEDIA_ASIDES or key in MEDIA_HOLDERS:
            self.media(element, key)
        else:
            self.inert(element, key)

    def image(self, element: Any, key: str, depth: int) -> None:
        """_start_image, _start_textinput: their titles move title_depth, nothing else read."""
        self.title_depth = -1
        parts = IMAGE_PARTS if key == "image" else TEXTINPUT_PARTS
        for child in element:
            part = self.key(child)
            if part not in parts:
                raise _Unsupported(part)
            if part == "title":
                self.text_type(child, "text/plain")
                if self.value(_leaf_text(child)):
                    self.title_depth = depth + 1
            else:
                _leaf_text(child)

    def media(self, element: Any, key: str) -> None:
        """mediarss: an aside (a leaf), or a group or content holding asides."""
        if key in MEDIA_HOLDERS:
            for child in element:
                part = self.key(child)
                if part not in MEDIA_ASIDES and part not in MEDIA_HOLDERS:
                    raise _Unsupported(part)
                self.media(child, part)
        elif key in MEDIA_ASIDES:
            _leaf_text(element)
        else:
            raise _Unsupported(key)

    def inert(self, element: Any, key: str) -> None:
        """An element feedparser has no handler for: stored under its own name, read by no one.

        Its children must be inert too; an element with a handler is not mirrored here.
        """
        local = key.removeprefix("?")
        if key[0] == "?":
            if local in HANDLED_SUFFIXES or local in READ_SUFFIXES:
                raise _Unsupported(key)
        elif key in HANDLED or key in READ_SUFFIXES:
            raise _Unsupported(key)
        for child in element:
            self.inert(child, self.key(child))

    # Items: mixin._start_item, and the handlers of its children.

    def item(self, element: Any, depth: int) -> None:
        entry: dict[str, Any] = {}
        about = _check_attributes(element, allowed=("rdf_about",)).get("rdf_about")
        if about:
            entry["id"] = about
        self.title_depth = -1
        state = _ItemState()
        for child in element:
            self.item_child(child, self.key(child), depth + 1, entry, state)
        if state.tags is not None:
            entry["tags"] = [{"term": tag[0]} for tag in state.tags]
        self.entries.append(entry)

    def item_child(
        self, element: Any, key: str, depth: int, entry: dict[str, Any], state: _ItemState
    ) -> None:
        if key in FEED_TITLES:
            self.title(element, depth, entry)
        elif key == "link":
            self.link(element, entry, in_entry=True)
        elif key in GUIDS:
            self.guid(element, entry)
        elif key in DESCRIPTIONS or key == "summary":
            if "summary" in entry and not state.has_content:
                raise _Unsupported("a second summary")  # feedparser reads it as content
            default = "text/html" if key in DESCRIPTIONS else "text/plain"
            value, media_type = self.content(element, default)
            entry["summary"] = value
            entry["summary_detail"] = {"type": media_type}
        elif key in ("content", "content_encoded"):
            state.has_content = True
            value, media_type = self.content(element, "text/plain" if key == "content" else None)
            entry.setdefault("content", []).append({"type": media_type, "value": value})
            if media_type in TEXT_TYPES:
                entry.setdefault("summary", value)
        elif key in PUBLISHED:
            entry["published_parsed"] = _parse_date(self.value(_leaf_text(element)))
        elif key in UPDATED:
            entry["updated_parsed"] = _parse_date(self.value(_leaf_text(element)))
        elif key in AUTHORS:
            if state.authored:
                raise _Unsupported("a second author")
            state.authored = True
            self.author(element, entry)
        elif key in CATEGORIES:
            self.category(element, state)
        elif key == "source":
            _leaf_text(element)
            self.title_depth = -1
        elif key == "enclosure":
            _leaf_text(element)
        elif key in MEDIA_ASIDES or key in MEDIA_HOLDERS:
            self.media(element, key)
        else:
            self.inert(element, key)

    def title(self, element: Any, depth: int, context: dict[str, Any]) -> None:
        """_start_title / _end_title, and pop's rule that the first non-empty title stands."""
        self.text_type(element, "text/plain")
        value = self.value(_leaf_text(element))
        if not -1 < self.title_depth <= depth:
            context["title"] = value
        if value:
            self.title_depth = depth

    def link(self, element: Any, context: dict[str, Any], *, in_entry: bool) -> None:
        """_start_link: an Atom link's href if it is the HTML alternate; else its text."""
        attributes = _check_attributes(element)
        text = _leaf_text(element)
        rel = attributes.setdefault("rel", "alternate")
        attributes.setdefault("type", "application/atom+xml" if rel == "self" else "text/html")
        href = attributes.get("url", attributes.get("uri", attributes.get("href")))
        if href:
            attributes.pop("url", None)
            attributes.pop("uri", None)
            attributes["href"] = href
        if "href" in attributes:
            if rel == "alternate" and _media_type(attributes["type"]) in HTML_CONTENT_TYPES:
                context["link"] = _urljoin(self.base, attributes["href"])
            return
        value = self.value(text, resolve=True)
        if in_entry:
            value = value.replace("&amp;", "&")
        context["link"] = LINK_ENTITY_RE.sub(r"&\g<1>", value)

    def guid(self, element: Any, context: dict[str, Any]) -> None:
        """_start_guid / _end_guid: a permalink guid (the default) is the link if none yet."""
        is_link = _check_attributes(element).get("ispermalink", "true") == "true"
        value = self.value(_leaf_text(element), resolve=is_link)
        context["id"] = value
        if is_link:
            context.setdefault("link", value)

    def content(self, element: Any, default: str | None) -> tuple[str, str]:
        """push_content / pop_content: the value and its media type.

        `default` None: the element's type attribute is not mirrored (content:encoded).
        """
        media_type = self.text_type(element, default or "text/html", typed=default is not None)
        value = self.value(_leaf_text(element))
        if not self.atom and media_type == "text/plain" and looks_like_html(value):
            media_type = "text/html"
        return value, media_type

    def text_type(self, element: Any, default: str, *, typed: bool = True) -> str:
        """The content type push_content gives an element, if its value is its plain text."""
        attributes = _check_attributes(element)
        if "mode" in attributes or (not typed and "type" in attributes):
            raise _Unsupported("mode or type")
        media_type = _media_type(attributes.get("type", default))
        # Base64 (any other type), or markup feedparser rebuilds from child elements (XHTML).
        if media_type == XHTML or not (
            media_type.startswith("text/") or media_type.endswith(("+xml", "/xml"))
        ):
            raise _Unsupported(media_type)
        return media_type

    def author(self, element: Any, entry: dict[str, Any]) -> None:
        """_start_author, _end_name/_end_email/_end_url, _sync_author_detail: one author."""
        parts = self.author_parts(element)
        if parts is None:  # RSS: "desk@x.org (Name)" as text
            value = self.value(_leaf_text(element))
            entry["author"] = value
            name = _author_name(value) if value else None
            if name:
                entry["author_detail"] = {"name": name}
            return
        # Atom: name, email and uri children; their text is taken as is, not as content.
        name, email = parts.get("name"), parts.get("email")
        if name is not None:
            entry["author_detail"] = {"name": name}
        entry["author"] = f"{name} ({email})" if name and email else (name or email or "")

    def author_parts(self, element: Any) -> dict[str, str] | None:
        """An author's name, email, uri children (each at most once), or None without children."""
        if not len(element):
            _leaf_text(element)
            return None
        if (element.text or "").strip():
            raise _Unsupported("author text beside its parts")
        parts: dict[str, str] = {}
        for child in element:
            part = self.key(child)
            if part not in AUTHOR_PARTS or part in parts or (child.tail or "").strip():
                raise _Unsupported(f"author {part}")
            text = _leaf_text(child)
            parts[part] = self.value(text, resolve=True) if part == "uri" else text.strip()
        return parts

    def category(self, element: Any, state: _ItemState) -> None:
        """_start_category (term, scheme or domain, label attributes) and _end_category (text)."""
        attributes = _check_attributes(element)
        if state.tags is None:
            state.tags = []
        tags = state.tags
        scheme = attributes.get("scheme", attributes.get("domain"))
        _add_tag(tags, attributes.get("term"), scheme, attributes.get("label"))
        value = self.value(_leaf_text(element))
        if not value:
            return
        if tags and not tags[-1][0]:
            tags[-1][0] = value
        else:
            _add_tag(tags, value, None, None)

    def value(self, text: str, *, resolve: bool = False) -> str:
        """mixin.pop on an element's text: stripped, resolved if a URI, encoding repairs."""
        value = text.strip()
        if resolve and value:
            value = _urljoin(self.base, value)
        if value.isascii():
            return value
        with contextlib.suppress(UnicodeError):  # UTF-8 read as Latin-1: feedparser undoes it
            value = value.encode("iso-8859-1").decode("utf-8")
        if any(control in value for control in C1_CONTROLS):  # Windows-1252 read as Latin-1
            value = value.translate(CP1252_CONTROLS)
        return value


@dataclass(slots=True)
class _ItemState:
    has_content: bool = False  # mixin.hasContent
    authored: bool = False
    tags: list[list[str | None]] | None = None  # [term, scheme, label] as _add_tag keeps them


def _leaf_text(element: Any) -> str:
    if len(element):
        raise _Unsupported("markup inside a text element")
    return str(element.text or "")


def _check_attributes(element: Any, *, allowed: tuple[str, ...] = ()) -> dict[str, str]:
    """The element's attributes as feedparser names them (lower case; rel and type values too).

    Attributes in a namespace other than xml:lang are not mirrored, except the `allowed` ones
    (e.g. rdf_about); nor are CDF's lastmod and href on an item or channel (see _cdf_common).
    """
    attributes: dict[str, str] = {}
    for name, value in element.attrib.items():
        if name[0] == "{":
            namespace, _, local = name[1:].partition("}")
            if namespace == XML_NAMESPACE and local == "lang":
                continue
            known = f"{KNOWN_NAMESPACES.get(namespace.lower())}_{local.lower()}"
            if known not in allowed:
                raise _Unsupported(name)
            attributes[known] = value
            continue
        name = name.lower()
        attributes[name] = value.lower() if name in ("rel", "type") else value
    if allowed and ("lastmod" in attributes or "href" in attributes):
        raise _Unsupported("CDF attributes")
    return attributes


def _media_type(value: str) -> str:
    """mixin.map_content_type."""
    value = value.lower()
    return {"text": "text/plain", "plain": "text/plain", "html": "text/html"}.get(
        value, XHTML if value == "xhtml" else value
    )


def _add_tag(
    tags: list[list[str | None]], term: str | None, scheme: str | None, label: str | None
) -> None:
    if not term and not scheme and not label:
        return
    tag = [term, scheme, label]
    if tag not in tags:
        tags.append(tag)


def _author_name(author: str) -> str | None:
    """The name _sync_author_detail finds in an RSS author: the text less its e-mail address."""
    match = AUTHOR_EMAIL_RE.search(author)
    if match:
        email = match.group(0)
        for junk in (email, "()", "<>", "&lt;&gt;"):
            author = author.replace(junk, "")
        author = author.strip()
        if author and author[0] == "(":
            author = author[1:]
        if author and author[-1] == ")":
            author = author[:-1]
        author = author.strip()
    return author or None


def _base_uri(url: str) -> str:
    """feedparser's base URI for a feed fetched from `url`, as every element start leaves it."""
    base = make_safe_absolute_uri("", url)
    settled = make_safe_absolute_uri(base, base) or base
    if not settled or (make_safe_absolute_uri(settled, settled) or settled) != settled:
        raise _Unsupported("base URI")
    return str(settled)


def _check_prefixes(document: bytes) -> None:
    """Refuse documents where feedparser's prefix for a namespace is not its canonical one.

    feedparser maps a declared prefix to its own name for the namespace, and looks its own
    names up in that map again: `xmlns:content="http://www.w3.org/2005/Atom"` would make
    content:encoded an Atom <encoded>. Scans every declaration-like text (more is safe).
    """
    start = document.find(PREFIX_DECLARATION)
    while start >= 0:
        match = PREFIX_DECLARATION_RE.match(document, start)
        start = document.find(PREFIX_DECLARATION, start + 1)
        if match is None:
            continue
        prefix = match.group(1).decode("utf-8", "replace")
        uri = (match.group(2) or match.group(3) or b"").decode("utf-8", "replace")
        if "&" in uri:
            raise _Unsupported("entity in a namespace URI")
        lower = uri.lower()
        known = "" if "backend.userland.com/rss" in lower else KNOWN_NAMESPACES.get(lower)
        if known is not None and prefix in PREFIX_NAMES and prefix != known:  # lower case
            raise _Unsupported(f"prefix {prefix} for {uri}")
