"""Render stories as Atom 1.0 feeds, an OPML feed list and a small HTML index page.

Owns the published shape of a feed: feed and entry ids, links, dates, authors, categories and
the entry body (the representative's sanitized HTML plus a visible "also reported by" list).
Pure: takes values, returns bytes; no I/O and no clock, so identical inputs give byte-identical
output, which publish.write relies on to leave unchanged files alone.

feedgen writes the Atom, as the product names it: it builds the document with lxml, so text and
attributes are escaped for us and titles go out as `type="text"` (the Atom default). Two of its
habits are worked around here: it puts the current time into `updated` and its own version into
`generator` whenever they are not set, so render_feed sets every one of them; and feedgen 1.0.0
drops the rel and type of entry links (lkiesow/python-feedgen#135), which would turn every
related link into a second alternate one, so entry links are written by a small feedgen entry
extension (_EntryLinks) instead. OPML is a few elements, written with the standard library's
ElementTree; the index page is a short template escaped with html.escape.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urljoin, urlsplit

from aggregator.config import SiteConfig
from aggregator.records import Story, StoryId, StoryMember

if TYPE_CHECKING:
    from lxml import etree

ATOM_TYPE = "application/atom+xml"
HTML_TYPE = "text/html"
GENERATOR = "aggregator"
FEED_SUFFIX = ".atom"
INDEX_NAME = "index.html"
OPML_NAME = "index.opml"
OPML_DOCS = "http://opml.org/spec2.opml"
STORIES_PATH = "stories/"
LINKS_EXTENSION = "aggregator_links"
ALSO_REPORTED_HEADING = "Also reported by"
UNTITLED = "(untitled)"
MEMBER_TIME_FORMAT = "%Y-%m-%d %H:%M UTC"
WEB_SCHEMES = frozenset({"http", "https"})

# Characters XML 1.0 cannot carry: lxml refuses them and ElementTree writes them unescaped,
# so one stray control character in a seed would break the whole feed. Listed as what XML's
# Char production leaves out; its negated ranges would take ten times as long to compile.
_NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedMeta:
    """What a feed is, apart from its entries: file name, title, updated time, category labels."""

    slug: str  # "all" or a topic slug; the file is feeds/<slug>.atom
    title: str  # topic title ("All stories" for all); the feed title is "<site> — <title>"
    updated: datetime  # feed-level updated, chosen by the caller (aware)
    categories: Mapping[str, str] = field(default_factory=dict)  # topic slug -> topic title
    subtitle: str = ""
    entry_count: int | None = None  # shown on the index page when known


def feed_url(slug: str, site: SiteConfig) -> str:
    """Return the absolute URL of feed `slug`, which is also its Atom id."""
    return urljoin(_base_url(site), _feed_href(slug))


def entry_id(story_id: StoryId, site: SiteConfig) -> str:
    """Return the stable IRI that identifies a story's entry in every feed."""
    return urljoin(_base_url(site), STORIES_PATH + quote(story_id, safe=""))


def render_feed(stories: Sequence[Story], *, meta: FeedMeta, site: SiteConfig) -> bytes:
    """Render `stories`, in the given order, as one Atom 1.0 document."""
    [atom] = render_feeds([(meta, stories)], site=site)
    return atom


def render_feeds(
    feeds: Iterable[tuple[FeedMeta, Sequence[Story]]], *, site: SiteConfig
) -> Iterator[bytes]:
    """render_feed of each feed in turn; what an entry shows of a story that several feeds
    list (the same story: same id, same members) is worked out once for all of them."""
    shown: dict[StoryId, _Shown] = {}
    for meta, stories in feeds:
        generator = _feed_generator(meta, site)
        for story in stories:
            if story.id not in shown:
                shown[story.id] = _shown(story, site)
            _add_entry(generator.add_entry(order="append"), story, shown[story.id], meta=meta)
        atom: bytes = generator.atom_str(pretty=True)
        yield atom


def render_opml(feeds: Sequence[FeedMeta], *, site: SiteConfig) -> bytes:
    """Render an OPML 2.0 subscription list with one outline per feed."""
    root = ET.Element("opml", {"version": "2.0"})
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = _xml_text(site.title)
    ET.SubElement(head, "ownerName").text = _xml_text(site.author)
    ET.SubElement(head, "docs").text = OPML_DOCS
    body = ET.SubElement(root, "body")
    for meta in feeds:
        title = _xml_text(_feed_title(meta, site))
        outline = {
            "type": "rss",
            "text": title,
            "title": title,
            "xmlUrl": feed_url(meta.slug, site),
            "htmlUrl": _index_url(site),
        }
        ET.SubElement(body, "outline", outline)
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


def render_index(feeds: Sequence[FeedMeta], *, site: SiteConfig) -> bytes:
    """Render a small HTML5 page that lists the feeds and advertises them for autodiscovery."""
    site_title = escape(site.title)
    discovery = "".join(
        f'<link rel="alternate" type="{ATOM_TYPE}" title="{escape(_feed_title(meta, site))}"'
        f' href="{escape(_feed_href(meta.slug))}">\n'
        for meta in feeds
    )
    items = "".join(_index_item(meta) for meta in feeds)
    page = (
        "<!DOCTYPE html>\n"
        "<html>\n"
        "<head>\n"
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{site_title}</title>\n"
        f"{discovery}"
        "</head>\n"
        "<body>\n"
        f"<h1>{site_title}</h1>\n"
        f"<ul>\n{items}</ul>\n"
        f'<p><a href="{OPML_NAME}">All feeds as OPML</a></p>\n'
        "</body>\n"
        "</html>\n"
    )
    return _xml_text(page).encode("utf-8")


def _feed_generator(meta: FeedMeta, site: SiteConfig) -> Any:
    """Return a feedgen generator holding the feed-level elements, every one set explicitly."""
    from feedgen.feed import FeedGenerator  # deferred: an unchanged build renders nothing

    generator = FeedGenerator()
    self_url = feed_url(meta.slug, site)
    generator.id(self_url)
    generator.title(_xml_text(_feed_title(meta, site)))
    if meta.subtitle:
        generator.subtitle(_xml_text(meta.subtitle))
    generator.updated(meta.updated)
    generator.link(href=self_url, rel="self", type=ATOM_TYPE)
    generator.link(href=_index_url(site), rel="alternate", type=HTML_TYPE)
    generator.author(name=_xml_text(site.author))
    generator.generator(GENERATOR)
    generator.register_extension(
        LINKS_EXTENSION, _NoFeedExtension, _EntryLinks, atom=True, rss=False
    )
    return generator


@dataclass(frozen=True, slots=True, kw_only=True)
class _Shown:
    """What a story's entry shows that is worked out from its members, the same in any feed."""

    id: str
    title: str
    links: tuple[tuple[str, str], ...]  # (rel, href)
    author: str
    content: str
    summary: str


def _shown(story: Story, site: SiteConfig) -> _Shown:
    representative = story.representative
    others = _other_members(story)
    links = [("alternate", _web_url(representative.url))]
    links += [("related", _web_url(member.url)) for member in others]
    body = representative.html + _also_reported_html(others)
    return _Shown(
        id=entry_id(story.id, site),
        title=_xml_text(representative.title) or UNTITLED,
        links=tuple((rel, href) for rel, href in links if href),
        author=_xml_text(representative.author or "") or _xml_text(representative.source),
        content=_xml_text(body),
        summary=_xml_text(representative.summary),
    )


def _add_entry(entry: Any, story: Story, shown: _Shown, *, meta: FeedMeta) -> None:
    entry.id(shown.id)
    entry.title(shown.title)
    entry.updated(story.updated)
    entry.published(story.published)
    links: _EntryLinks = getattr(entry, LINKS_EXTENSION)
    for rel, href in shown.links:
        links.add(rel, href)
    if shown.author:
        entry.author(name=shown.author)
    for slug in dict.fromkeys(story.topics):
        term = _xml_text(slug)
        if term:
            entry.category(term=term, label=_xml_text(meta.categories.get(slug, "")))
    entry.content(shown.content, type="html")
    if shown.summary:
        entry.summary(shown.summary)


class _NoFeedExtension:
    """The feed half of the links extension: feedgen requires one; it adds nothing."""

    def extend_ns(self) -> dict[str, str]:
        return {}

    def extend_atom(self, feed: etree._Element) -> etree._Element:
        return feed

    def extend_rss(self, feed: etree._Element) -> etree._Element:
        return feed


class _EntryLinks:
    """feedgen entry extension that writes an entry's links with their rel and type.

    Needed while feedgen's own entry links lose both (lkiesow/python-feedgen#135).
    """

    def __init__(self) -> None:
        self.links: list[tuple[str, str]] = []  # (rel, href)

    def add(self, rel: str, href: str) -> None:
        self.links.append((rel, href))

    def extend_ns(self) -> dict[str, str]:
        return {}

    def extend_atom(self, entry: etree._Element) -> etree._Element:
        # feedgen builds un-prefixed elements under a root declaring the Atom namespace as the
        # default one, so plain "link" lands in the Atom namespace like its own elements.
        from lxml import etree  # loaded with feedgen: an unchanged build renders nothing

        for rel, href in self.links:
            etree.SubElement(entry, "link", {"href": href, "rel": rel, "type": HTML_TYPE})
        return entry

    def extend_rss(self, item: etree._Element) -> etree._Element:
        return item


def _other_members(story: Story) -> list[StoryMember]:
    """Members after the representative, one per URL (a copy of a listed URL adds nothing)."""
    seen = {story.representative.url}
    others: list[StoryMember] = []
    for member in story.members[1:]:
        if member.url not in seen:
            seen.add(member.url)
            others.append(member)
    return others


def _also_reported_html(members: Sequence[StoryMember]) -> str:
    if not members:
        return ""
    by_outlet: dict[str, list[StoryMember]] = {}
    for member in members:
        by_outlet.setdefault(member.source, []).append(member)
    outlets = "".join(
        f"<li>{escape(outlet)}<ul>{''.join(_member_item(m) for m in group)}</ul></li>"
        for outlet, group in by_outlet.items()
    )
    return f"<hr><p><strong>{ALSO_REPORTED_HEADING}</strong></p><ul>{outlets}</ul>"


def _member_item(member: StoryMember) -> str:
    title = escape(member.title or member.url)
    when = escape(member.published.astimezone(UTC).strftime(MEMBER_TIME_FORMAT))
    url = _web_url(member.url)
    # A link with any other scheme (javascript:, data:) is shown as text, never made clickable.
    linked = f'<a href="{escape(url)}" rel="noopener noreferrer">{title}</a>' if url else title
    return f"<li>{linked} ({when})</li>"


def _index_item(meta: FeedMeta) -> str:
    count = ""
    if meta.entry_count is not None:
        noun = "entry" if meta.entry_count == 1 else "entries"
        count = f" ({meta.entry_count} {noun})"
    return f'<li><a href="{escape(_feed_href(meta.slug))}">{escape(meta.title)}</a>{count}</li>\n'


def _feed_title(meta: FeedMeta, site: SiteConfig) -> str:
    return f"{site.title} — {meta.title}"


def _feed_href(slug: str) -> str:
    return quote(slug, safe="") + FEED_SUFFIX


def _index_url(site: SiteConfig) -> str:
    return urljoin(_base_url(site), INDEX_NAME)


def _base_url(site: SiteConfig) -> str:
    # base_url names the folder feeds/ is served from; without the slash urljoin would
    # replace its last segment instead of appending to it.
    return site.base_url if site.base_url.endswith("/") else site.base_url + "/"


def _web_url(url: str) -> str | None:
    """Return `url` if it is an http(s) URL fit for an XML attribute, else None."""
    cleaned = _xml_text(url).strip()
    try:
        scheme = urlsplit(cleaned).scheme.lower()
    except ValueError:
        return None
    return cleaned if scheme in WEB_SCHEMES else None


def _xml_text(value: str) -> str:
    return _NOT_XML_CHAR.sub("", value)
