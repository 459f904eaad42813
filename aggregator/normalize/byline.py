"""The author a page names: meta tags, rel/itemprop/byline classes, BBC's reporter list,
Chinese reporter credits ("大纪元记者徐简综合报导"). Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from aggregator.normalize.markup import find_all, text_of
from aggregator.normalize.published import CHINESE_DATELINE_WINDOW_CHARS

AUTHOR_MAX_CHARS = 60
AUTHOR_META = frozenset({"author", "article:author", "byl", "dc.creator", "parsely-author"})
AUTHOR_PREFIX_RE = re.compile(
    r"^(?:by|par|von|作者|撰文|文|记者|記者|编辑|編輯|责任编辑|責任編輯)\s*[:：/|]?\s*",
    re.IGNORECASE,
)
# （大纪元记者徐简综合报导）, 记者王明报道
CHINESE_CREDIT_RE = re.compile(
    r"[记記]者\s*(?P<name>[\u4e00-\u9fff·‧]{2,5}?)\s*"
    r"(?:综合|綜合)?(?:报导|报道|報導|報道|编译|編譯|整理|采访|採訪)"
)
BYLINE_CLASS_RE = re.compile(r"byline|author", re.IGNORECASE)
# rel is a space-separated list on these elements, a single value elsewhere (as BeautifulSoup).
REL_LIST_TAGS = frozenset({"a", "link", "area"})
# Through the attribute axis, then back to the element: in libxml2 under half the time of a
# predicate tested on every element ("descendant::*[@rel]"), and the same elements, in order.
REL_XPATH = etree.XPath("descendant::*/@rel/..")
ITEMPROP_AUTHOR_XPATH = etree.XPath("descendant::*/@itemprop[. = 'author']/..")
CLASS_XPATH = etree.XPath("descendant::*/@class/..")


def author_in_page(page: etree._Element, text: str, *, outlet: str) -> str | None:
    """Return the first plausible author name the page gives, if any."""
    for candidate in _author_candidates(page, text):
        name = clean_author(candidate)
        if name and name.lower() != outlet.lower():
            return name
    return None


def _author_candidates(page: etree._Element, text: str) -> Iterator[str]:
    for meta in page.iter("meta"):
        names = {meta.get(key, "").lower() for key in ("property", "name", "itemprop")}
        if names & AUTHOR_META and (content := meta.get("content")):
            yield content
    yield from (text_of(tag) for tag in find_all(page, REL_XPATH) if _is_rel_author(tag))
    yield from (text_of(tag) for tag in find_all(page, ITEMPROP_AUTHOR_XPATH))
    # A class word can hold no whitespace, so searching the whole attribute is per word.
    for tag in find_all(page, CLASS_XPATH):
        if BYLINE_CLASS_RE.search(tag.get("class", "")):
            yield text_of(tag)
    if byline := _byline_list(page):
        yield byline
    if credit := CHINESE_CREDIT_RE.search(text[:CHINESE_DATELINE_WINDOW_CHARS]):
        yield credit["name"]


def _is_rel_author(tag: etree._Element) -> bool:
    rel = tag.get("rel")
    if rel is None:
        return False
    return "author" in rel.split() if tag.tag in REL_LIST_TAGS else rel == "author"


def _byline_list(page: etree._Element) -> str | None:
    """BBC's layout: reporter, then role, as a short <ul role="list"> before the body text."""
    for element in page.iter("p", "ul"):
        if element.tag == "p":
            return None  # the first listing, if any, comes after body text
        if element.get("role") == "list":
            listing = element
            break
    else:
        return None
    items = list(listing.iterdescendants("li"))
    if not items or len(items) > 4 or next(items[0].iterdescendants("a"), None) is not None:
        return None
    return text_of(items[0])


def clean_author(raw: str) -> str | None:
    name = AUTHOR_PREFIX_RE.sub("", " ".join(raw.split())).strip(" ,;:|-–—")
    if not name or len(name) > AUTHOR_MAX_CHARS or "://" in name or name.startswith("www."):
        return None
    return name
