"""The author a page names: meta tags, rel/itemprop/byline classes, BBC's reporter list,
Chinese reporter credits ("大纪元记者徐简综合报导"). Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bs4 import (
    BeautifulSoup,
    Tag,
)

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


def author_in_page(page: BeautifulSoup, text: str, *, outlet: str) -> str | None:
    """Return the first plausible author name the page gives, if any."""
    for candidate in _author_candidates(page, text):
        name = clean_author(candidate)
        if name and name.lower() != outlet.lower():
            return name
    return None


def _author_candidates(page: BeautifulSoup, text: str) -> Iterator[str]:
    for meta in page.find_all("meta"):
        names = {str(meta.get(key, "")).lower() for key in ("property", "name", "itemprop")}
        if names & AUTHOR_META and (content := meta.get("content")):
            yield str(content)
    for tag in page.find_all(attrs={"rel": "author"}):
        yield tag.get_text(" ")
    for tag in page.find_all(attrs={"itemprop": "author"}):
        yield tag.get_text(" ")
    for tag in page.find_all(class_=re.compile(r"byline|author", re.IGNORECASE)):
        yield tag.get_text(" ")
    if byline := _byline_list(page):
        yield byline
    if credit := CHINESE_CREDIT_RE.search(text[:CHINESE_DATELINE_WINDOW_CHARS]):
        yield credit["name"]


def _byline_list(page: BeautifulSoup) -> str | None:
    """BBC's layout: reporter, then role, as a short <ul role="list"> before the body text."""
    listing = page.find("ul", attrs={"role": "list"})
    if not isinstance(listing, Tag) or listing.find_previous("p") is not None:
        return None
    items = listing.find_all("li")
    if not items or len(items) > 4 or items[0].find("a") is not None:
        return None
    return str(items[0].get_text(" "))


def clean_author(raw: str) -> str | None:
    name = AUTHOR_PREFIX_RE.sub("", " ".join(raw.split())).strip(" ,;:|-–—")
    if not name or len(name) > AUTHOR_MAX_CHARS or "://" in name or name.startswith("www."):
        return None
    return name
