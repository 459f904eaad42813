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
    url = canonical_url(doc.url)
    raw_html = _SURROGATE_RE.sub("", doc.html)
    page = _parse_html(raw_html)
    text = _page_text(page)
    title = clean_title(doc.title) or _title_in_page(page)
    if not title:
        raise SeedFormatError(doc.path, "no title")
    language = detect_language(f"{title}\n{text}")
    published = published_from_evidence(page, text, url=url, language=language, stamp=doc.stamp)
    if published is None:
        raise SeedFormatError(doc.path, "no date")
    outlet = outlet_name(url)
    return Article(
        url=url,
        title=title,
        published=published,
        source=outlet,
        origin=doc.path,
        via=via,
        raw_html=raw_html,
        language=language,
        author=author_in_page(page, text, outlet=outlet),
        captured=doc.stamp,
    )


def article_from_feed_item(item: FeedItem) -> Article:
    """Build the Article for one entry of a live feed.

    Raises:
        SourceError: the entry has no title, or neither a date nor date evidence in its HTML.
    """
    url = canonical_url(item.link)
    raw_html = _SURROGATE_RE.sub("", item.html)
    page = _parse_html(raw_html)
    text = _page_text(page)
    title = clean_title(item.title) or _title_in_page(page)
    where = f"source {item.source} ({item.feed_url}): entry {item.link}"
    if not title:
        raise SourceError(item.source, f"{where}: no title")
    language = detect_language(f"{title}\n{text}")
    published = _aware(item.published) if item.published else None
    published = published or published_from_evidence(
        page, text, url=url, language=language, stamp=None
    )
    if published is None:
        raise SourceError(item.source, f"{where}: no date")
    outlet = outlet_name(url)
    return Article(
        url=url,
        title=title,
        published=published,
        source=outlet,
        origin=item.feed_url,
        via=item.source,
        raw_html=raw_html,
        language=language,
        author=clean_author(item.author or "") or author_in_page(page, text, outlet=outlet),
        guid=item.guid,
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
