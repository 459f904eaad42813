"""Turn a SeedDoc or a FeedItem into an Article.

Owns the Article record's construction; the parts live in submodules: `urls` (canonical
form), `outlets` (name and home time zone of known news sites), `published` (publication time
from the page's evidence), `byline` (author), `language`. Pure: values in, values out; "now"
is never read, the capture time stands in.

BeautifulSoup over lxml reads the HTML evidence: it copes with the broken markup real pages
and mirrors carry, and lxml keeps it fast.
"""

from __future__ import annotations

import html
import re
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, Tag, XMLParsedAsHTMLWarning

from aggregator.errors import SeedFormatError, SourceError
from aggregator.normalize.byline import author_in_page, clean_author
from aggregator.normalize.language import detect_language
from aggregator.normalize.outlets import outlet_name
from aggregator.normalize.published import published_from_evidence
from aggregator.normalize.urls import canonical_url
from aggregator.records import Article, FeedItem, SeedDoc

# Lone surrogates: lxml cannot encode them (UnicodeEncodeError) and no text holds them. Decoded
# files and feeds never do, but these functions take any str (issue 6).
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def article_from_seed(doc: SeedDoc, *, via: str) -> Article:
    """Build the Article for a parsed seed file that came in through source `via`.

    Raises:
        SeedFormatError: the seed has no title, or no date at all (no evidence, no stamp).
    """
    page = _read_page(doc.url, doc.html, doc.title)
    if not page.title:
        raise SeedFormatError(doc.path, "no title")
    published = page.published(stamp=doc.stamp)
    if published is None:
        raise SeedFormatError(doc.path, "no date")
    return Article(
        url=page.url,
        title=page.title,
        published=published,
        source=page.outlet,
        origin=doc.path,
        via=via,
        raw_html=page.raw_html,
        language=page.language,
        author=page.author(),
        captured=doc.stamp,
    )


def article_from_feed_item(item: FeedItem) -> Article:
    """Build the Article for one entry of a live feed.

    Raises:
        SourceError: the entry has no title, or neither a date nor date evidence in its HTML.
    """
    page = _read_page(item.link, item.html, item.title)
    where = f"source {item.source} ({item.feed_url}): entry {item.link}"
    if not page.title:
        raise SourceError(item.source, f"{where}: no title")
    published = _aware(item.published) if item.published else page.published(stamp=None)
    if published is None:
        raise SourceError(item.source, f"{where}: no date")
    return Article(
        url=page.url,
        title=page.title,
        published=published,
        source=page.outlet,
        origin=item.feed_url,
        via=item.source,
        raw_html=page.raw_html,
        language=page.language,
        author=clean_author(item.author or "") or page.author(),
        guid=item.guid,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class _Page:
    """One article's HTML parsed once, with what both kinds of input read from it."""

    url: str  # canonical
    raw_html: str  # lone surrogates dropped
    soup: BeautifulSoup
    text: str
    title: str  # the given title, else the page's own; "" if neither
    language: str
    outlet: str

    def published(self, *, stamp: datetime | None) -> datetime | None:
        return published_from_evidence(
            self.soup, self.text, url=self.url, language=self.language, stamp=stamp
        )

    def author(self) -> str | None:
        return author_in_page(self.soup, self.text, outlet=self.outlet)


def _read_page(url: str, html_text: str, title: str) -> _Page:
    canonical = canonical_url(url)
    raw_html = _SURROGATE_RE.sub("", html_text)
    soup = _parse_html(raw_html)
    text = _page_text(soup)
    title = clean_title(title) or _title_in_page(soup)
    return _Page(
        url=canonical,
        raw_html=raw_html,
        soup=soup,
        text=text,
        title=title,
        language=detect_language(f"{title}\n{text}"),
        outlet=outlet_name(canonical),
    )


def clean_title(raw: str) -> str:
    """Decode HTML entities (twice-escaped ones too), drop lone surrogates, collapse whitespace."""
    return " ".join(_SURROGATE_RE.sub("", html.unescape(html.unescape(raw))).split())


def _parse_html(markup: str) -> BeautifulSoup:
    with warnings.catch_warnings():
        # A body that is only a URL or a file name, or XHTML, is still parsed as HTML.
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        return BeautifulSoup(markup, "lxml")


def _page_text(page: BeautifulSoup) -> str:
    return " ".join(page.get_text(" ").split())


def _title_in_page(page: BeautifulSoup) -> str:
    meta = page.find("meta", attrs={"property": "og:title"})
    if isinstance(meta, Tag) and (content := meta.get("content")):
        return clean_title(str(content))
    for name in ("h1", "title"):
        if isinstance(tag := page.find(name), Tag) and (title := clean_title(tag.get_text(" "))):
            return title
    return ""


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


__all__ = [
    "article_from_feed_item",
    "article_from_seed",
    "canonical_url",
    "clean_title",
    "detect_language",
    "outlet_name",
]
