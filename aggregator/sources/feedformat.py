"""Turn the bytes of a live feed into FeedItems.

Owns the feed formats (RSS 0.9x, RSS 1.0/RDF, RSS 2.0, Atom 0.3 and 1.0) and the boundary
where feedparser's dicts become typed records: `Any` is allowed here and nowhere else. Pure:
bytes and the response's headers in, a ParsedFeed out; fetching is fetch.py's job.

feedparser is the product's named parser and the one that copes with twenty years of feeds in
the wild (undeclared encodings, the loose parser for ill-formed XML, every date format). It is
handed a stream and headers, never a URL or a string: given bytes that spell a file name,
feedparser would open and read that local file. Its own sanitizing and relative-URI
resolution stay off: clean.py sanitizes, and resolves relative URLs against the item link.

Errors as values where survivable: feedparser's `bozo` flag becomes a warning when the feed
is still usable (a wrong declared encoding, a non-XML content type, or ill-formed XML from
which entries were still read) and FeedParseError when it is not (nothing feed-like: an HTML
page, JSON, an empty body; or ill-formed XML without a single entry).

Hostile XML: xmlguard.py sees the document first and refuses what would make feedparser
hang or blow up: a DOCTYPE declaring entities (`<!DOCTYPE x [<!ENTITY ...>]>`: "billion laughs"
expansion, XXE reading local files or URLs) or attribute defaults, and markup whose parsing
cost grows faster than its size (too many attributes on a tag, namespace prefixes, nested
xml:base paths). Real feeds need none of these.
"""

from __future__ import annotations

import calendar
import html
import io
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from aggregator.errors import FeedParseError
from aggregator.records import FeedItem
from aggregator.sources.xmlguard import Refused, guard_markup, has_entity_declarations

__all__ = ["ParsedFeed", "feed_item_from_entry", "has_entity_declarations", "parse_feed"]

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
        result = feedparser.parse(
            io.BytesIO(guarded),  # a stream, never bytes: bytes naming a local file would be read
            response_headers=headers,
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except FEEDPARSER_CRASHES as exc:
        raise FeedParseError(source, url, f"unparseable feed: {exc!r:.200}") from exc
    warnings = _usability_warnings(result, data, source=source, url=url, content_type=content_type)
    items: list[FeedItem] = []
    for number, entry in enumerate(result.entries, start=1):
        item = feed_item_from_entry(entry, source=source, feed_url=url)
        if item is None:
            warnings.append(f"entry {number} has neither an http(s) link nor a guid: dropped")
        else:
            items.append(item)
    feed = result.feed
    return ParsedFeed(
        title=_text(feed.get("title")),
        link=_resolved_http_url(url, feed.get("link")),
        version=str(result.get("version") or ""),
        items=tuple(items),
        warnings=tuple(warnings),
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
    if isinstance(problem, SURVIVABLE_BOZO) or result.entries:
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
