"""Tree passes for clean.py: drop junk, repair links, find bylines, datelines and nav lines.

Each pass edits the lxml tree of clean/parse.py in place, through clean/dom.py's edits (which
keep text pieces apart as the rules expect); the rules' data (tag sets, patterns, phrases)
lives in clean/rules.py. Searches go through lxml's own iterators, filtered by name in C.
Pure: no I/O.
"""

from __future__ import annotations

import re
from functools import cache
from typing import cast

from lxml import etree

from aggregator.clean.dom import (
    SEAM,
    Element,
    append_text,
    attribute_items,
    descendants,
    has_text,
    is_gone,
    iter_strings,
    remove,
    short_text,
    short_texts,
    unwrap,
)
from aggregator.clean.rules import (
    AD_LABEL_RE,
    BYLINE_ITEM_MAX_CHARS,
    BYLINE_MAX_ITEMS,
    DATE_EVIDENCE_RE,
    DATE_HINT_RE,
    DATE_TOKEN_RE,
    DATELINE_MAX_CHARS,
    DATELINE_REST_RE,
    DATELINE_TAGS,
    DROP_TAGS,
    FALLBACK_BLOCK_MAX_CHARS,
    FOOTER_URL_RE,
    HIDDEN_STYLE_RE,
    HTML_TAGS,
    INLINE_TAGS,
    JUNK_ATTRIBUTE_RE,
    JUNK_BLOCK_MAX_CHARS,
    JUNK_CLASS_RE,
    JUNK_DATA_E2E,
    JUNK_ROLES,
    JUNK_TOKENS,
    LINK_SCHEMES,
    MAX_DEPTH,
    NAV_SEPARATORS_RE,
    NOT_IN_DATELINE_RE,
    PROMO_BLOCK_MAX_CHARS,
    PROMO_PHRASES,
    SENTENCE_END_RE,
    SHARE_LABEL_RE,
    SHARE_LINK_RE,
    TOKEN_SPLIT_RE,
    VIDEO_FALLBACK_PHRASES,
    WIDGET_NAME_RE,
)
from aggregator.clean.urls import absolute_url

# A footer block (feedx "获取更多RSS", gfw-breaker links) is at most this long.
_FOOTER_MAX_CHARS = 200
# A removed player's caption ("视频：…") is at most this long.
_CAPTION_MAX_CHARS = 100
_LINK_BLOCK_TAGS = frozenset({"ul", "ol", "p", "div", "section", "aside", "footer", "header"})
_DATELINE_TAGS = frozenset(DATELINE_TAGS)
_LISTS = frozenset({"ul", "ol"})
_LEAF_TAGS = frozenset({"img", "br"})
# Any phrase of a list, in one search (of lower-cased text, as the phrases are written).
_VIDEO_FALLBACK_RE = re.compile("|".join(map(re.escape, VIDEO_FALLBACK_PHRASES)))
_PROMO_RE = re.compile("|".join(map(re.escape, PROMO_PHRASES)))
_ANY_PHRASE_RE = re.compile("|".join(map(re.escape, VIDEO_FALLBACK_PHRASES + PROMO_PHRASES)))
_PHRASE_BLOCK_MAX_CHARS = max(FALLBACK_BLOCK_MAX_CHARS, PROMO_BLOCK_MAX_CHARS)


def contains(element: Element, name: str) -> bool:
    """Whether an element named `name` sits inside `element`."""
    return next(element.iterdescendants(name), None) is not None


def block_around(element: Element, root: Element) -> Element:
    """`element` or its nearest ancestor that is not inline markup (or `root`)."""
    if element is root or element.tag not in INLINE_TAGS:
        return element
    for parent in element.iterancestors():
        if parent is root or parent.tag not in INLINE_TAGS:
            return parent
    return root


def flatten_deep_nesting(
    root: Element, elements: list[Element], *, max_depth: int = MAX_DEPTH
) -> None:
    """Below `max_depth`, keep only text, images and line breaks, in order.

    Broken markup (unclosed <div>s or <font>s) can nest thousands deep; no article needs
    that, and it would make every ancestor walk in the passes below quadratic. `elements`
    are those below `root` (or more: it may list removed ones).
    """
    if len(elements) < max_depth:  # too few to nest that deep: spare the search
        return
    for element in _elements_at_depth(root, max_depth):
        if any(child.tag != SEAM for child in element):
            _keep_only_leaves(element)


@cache
def _at_depth(depth: int) -> etree.XPath:
    return etree.XPath("/".join(["*"] * depth))


def _elements_at_depth(root: Element, depth: int) -> list[Element]:
    return cast("list[Element]", _at_depth(depth)(root))


def _keep_only_leaves(element: Element) -> None:
    leaves: list[str | Element] = []
    for event, node in etree.iterwalk(element, events=("start", "end")):
        if event == "start":
            if node is not element and node.tag in _LEAF_TAGS:
                leaves.append(node)
            if node.text:
                leaves.append(node.text)
        elif node is not element and node.tail:
            leaves.append(node.tail)
    element.text = None
    del element[:]
    for leaf in leaves:
        if isinstance(leaf, str):
            append_text(element, leaf)
        else:
            leaf.tail = None
            element.append(leaf)


def drop_junk(root: Element, elements: list[Element]) -> None:
    """Remove active content, players, ads, share widgets and hidden blocks (comments went
    at parsing). `elements` are those below `root`, in document order."""
    # The text left where a phrase could matter (_is_short).
    short_pieces = [root.text] if root.text and _is_short(root.text) else []
    index = 0
    while index < len(elements):
        element = elements[index]
        index += 1
        tail = element.tail
        if tail and _is_short(tail):
            short_pieces.append(tail)
        if element.tag == SEAM:
            continue
        if not _is_junk(element):
            text = element.text
            if text and _is_short(text):
                short_pieces.append(text)
            continue
        parent, is_player = element.getparent(), _is_player(element)
        index += remove(element) - 1  # past the elements it held, in document order
        if is_player and parent is not None and parent is not root:
            _drop_orphan_caption(parent)
    # (Pieces of removed captions may be there too: edits here only remove text.)
    if not _ANY_PHRASE_RE.search("\n".join(short_pieces).lower()):
        return  # most bodies: no need to list the text in order
    # One search for both phrase passes (the first only removes text, which the second
    # skips), keeping the pieces where a phrase matters, in document order.
    strings = [
        (parent, owner, is_tail)
        for parent, owner, is_tail in iter_strings(root)
        if _is_short(text := (owner.tail if is_tail else owner.text) or "")
        and _ANY_PHRASE_RE.search(text.lower())
    ]
    _drop_blocks_with_phrases(root, strings, _VIDEO_FALLBACK_RE, max_chars=FALLBACK_BLOCK_MAX_CHARS)
    _drop_blocks_with_phrases(root, strings, _PROMO_RE, max_chars=PROMO_BLOCK_MAX_CHARS)


def _is_short(text: str) -> bool:
    """Whether a text piece is short enough for a phrase in it to matter: a longer one is
    article text merely mentioning it (its block is longer still, and the piece is kept)."""
    return len(text) <= _PHRASE_BLOCK_MAX_CHARS or len(text.strip()) <= _PHRASE_BLOCK_MAX_CHARS


def _is_junk(element: Element) -> bool:
    name = element.tag
    if name in DROP_TAGS or ("-" in name and WIDGET_NAME_RE.search(name)):
        return True
    items = attribute_items(element)
    if not items:  # every rule below reads an attribute
        return False
    attributes = dict(items)
    for key in attributes:
        if JUNK_ATTRIBUTE_RE.match(key):
            return True
    get = attributes.get
    if get("data-e2e", "").lower() in JUNK_DATA_E2E or AD_LABEL_RE.search(get("aria-label", "")):
        return True
    if get("role", "").lower() in JUNK_ROLES:
        return True
    is_marked = (
        "hidden" in attributes
        or HIDDEN_STYLE_RE.search(get("style", "")) is not None
        or _has_junk_names(f"{get('id', '')} {get('class', '')}")
    )
    return is_marked and short_text(element, JUNK_BLOCK_MAX_CHARS) is not None


def _has_junk_names(names: str) -> bool:
    """Whether an element's id and class ("id class") mark an ad, share bar or promo box."""
    if JUNK_CLASS_RE.search(names) is not None:
        return True
    return not JUNK_TOKENS.isdisjoint(TOKEN_SPLIT_RE.split(names.lower()))


def _is_player(element: Element) -> bool:
    name = element.tag
    attributes = dict(attribute_items(element))
    get = attributes.get
    return (
        name in ("video", "audio")
        or "player" in name
        or get("data-e2e", "").lower() == "media-player"
        or any("video-player" in key for key in attributes)
        or JUNK_CLASS_RE.search(f"{get('id', '')} {get('class', '')}") is not None
    )


def _drop_orphan_caption(wrapper: Element) -> None:
    """Drop a removed player's caption: the one short text block left in its wrapper."""
    left = has_text(wrapper.text) + sum(
        (child.tag != SEAM) + has_text(child.tail) for child in wrapper
    )
    is_caption = left == 1 and not contains(wrapper, "img")
    if is_caption and short_text(wrapper, _CAPTION_MAX_CHARS) is not None:
        remove(wrapper)


def _drop_blocks_with_phrases(
    root: Element,
    strings: list[tuple[Element, Element, bool]],
    phrases: re.Pattern[str],
    *,
    max_chars: int,
) -> None:
    """Drop the short block (or <noscript>) around any of `strings` where `phrases` matches.

    A block longer than `max_chars` is article text that merely mentions the phrase.
    """
    for parent, owner, is_tail in strings:
        text = owner.tail if is_tail else owner.text
        if not text or is_gone(parent):
            continue
        lowered = text.lower()
        if phrases.search(lowered) is None:
            continue
        block = _noscript_around(parent)
        if block is None:
            block = block_around(parent, root)
        if block is not root and short_text(block, max_chars) is not None:
            remove(block)
        elif len(lowered.strip()) <= max_chars:
            if is_tail:
                owner.tail = None
            else:
                owner.text = None


def _noscript_around(element: Element) -> Element | None:
    if element.tag == "noscript":
        return element
    return next(element.iterancestors("noscript"), None)


def repair_links(root: Element, elements: list[Element], *, base_url: str) -> None:
    """Turn `<ok href>` into links, make hrefs absolute, drop share links and mirror footers.

    `elements` are those of the tree as parsed (passes since made only seams, images and
    <picture> parts, no element of an unknown name).
    """
    for element in elements:
        name = element.tag
        if name not in HTML_TAGS and name != SEAM and element.get("href") is not None:
            element.tag = "a"  # a mirror renames <a> to dodge filters (gfw-breaker's <ok>)
    for link in descendants(root, ("a",)):
        if is_gone(link):
            continue
        raw = link.get("href", "")
        if SHARE_LINK_RE.search(raw.strip()):
            remove(link)
            continue
        href = absolute_url(raw, base_url=base_url, schemes=LINK_SCHEMES) if raw else None
        if href is not None and FOOTER_URL_RE.search(href):
            _drop_footer(link, root)
        elif href is None:
            unwrap(link)
        else:
            title = link.get("title", "")
            link.attrib.clear()
            link.set("href", href)
            if title:
                link.set("title", title)


def _drop_footer(link: Element, root: Element) -> None:
    block = link
    for parent in link.iterancestors():
        if parent is root or short_text(parent, _FOOTER_MAX_CHARS) is None:
            break
        block = parent
    remove(block)


def drop_boilerplate(root: Element) -> None:
    """Remove share labels, datelines, nav lines, related-link lists and a leading byline.

    Texts and link counts are read once, before each loop: an edit in a loop only changes
    what the loop has passed (an element and its ancestors).
    """
    texts = short_texts(root, DATELINE_MAX_CHARS)
    verdicts: dict[str, bool] = {}  # wrappers often repeat the text inside them
    for element in descendants(root, _DATELINE_TAGS):
        text = texts.get(element)
        if text is None or is_gone(element):
            continue
        text = text.strip()
        verdict = verdicts.get(text)
        if verdict is None:
            verdict = verdicts[text] = _is_label_or_dateline(text)
        if verdict:
            _drop_label_or_dateline(element, text, root)
    links = _link_counts(root)
    for element in descendants(root, _LINK_BLOCK_TAGS):
        # Link counts first: most blocks hold no link.
        if element in links and not is_gone(element) and _is_link_only(element, links):
            remove(element)
    _drop_leading_byline(root)


def _link_counts(root: Element) -> dict[Element, int]:
    """How many links each element holds (those holding none are left out)."""
    counts: dict[Element, int] = {}
    for link in root.iter("a"):
        parent = link.getparent()
        while parent is not None:
            counts[parent] = counts.get(parent, 0) + 1
            parent = parent.getparent()
    return counts


def _is_label_or_dateline(text: str) -> bool:
    return bool(text) and (SHARE_LABEL_RE.match(text) is not None or is_dateline(text))


def _drop_label_or_dateline(element: Element, text: str, root: Element) -> None:
    """Drop `element` (a share label or dateline) or the block it makes up by itself."""
    holder = element
    if element.tag in INLINE_TAGS:
        parent = element.getparent()
        holder = root if parent is None else block_around(parent, root)
    if holder is not element and (holder is root or short_text(holder, len(text)) != text):
        return  # a date inside a sentence stays
    if not contains(holder, "img"):
        remove(holder)
    elif element is not holder:
        remove(element)  # an image's block keeps its image (RFI's video duration <time>)


def is_dateline(text: str) -> bool:
    """Whether `text` is only a date or time ("12/09/2023 - 18:24", "26 分钟前")."""
    if not text or len(text) > DATELINE_MAX_CHARS or NOT_IN_DATELINE_RE.search(text):
        return False
    if not DATE_HINT_RE.search(text):
        return False
    if not DATE_EVIDENCE_RE.search(text):
        return False
    return DATELINE_REST_RE.match(DATE_TOKEN_RE.sub("", text)) is not None


def _is_link_only(element: Element, links: dict[Element, int]) -> bool:
    """A nav line or related-articles list: links and separators, nothing else, no image."""
    # The image search last: it seldom fails.
    if element.tag in _LISTS:
        items = list(element.iterdescendants("li"))
        is_link_list = bool(items) and all(item in links and _outside_links(item) for item in items)
        return is_link_list and not contains(element, "img")
    return links.get(element, 0) >= 2 and _outside_links(element) and not contains(element, "img")


def _outside_links(element: Element) -> bool:
    """True when every character of `element` outside its links is a separator."""
    if element.text and NAV_SEPARATORS_RE.match(element.text) is None:
        return False
    for child in element:
        if child.tag != "a" and not _outside_links(child):
            return False
        if child.tail and NAV_SEPARATORS_RE.match(child.tail) is None:
            return False
    return True


def _drop_leading_byline(root: Element) -> None:
    """Drop short lists that come before any other text: reporter name and role."""
    leading: list[Element] = []
    _leading_lists(root, leading)
    for element in leading:
        items = [short_text(item, BYLINE_ITEM_MAX_CHARS) for item in element.iterdescendants("li")]
        if _looks_like_byline(items):
            remove(element)


def _leading_lists(element: Element, found: list[Element]) -> bool:
    """Collect the lists inside `element` that come before any text outside a list; True
    once such text is found."""
    if has_text(element.text):
        return True
    for child in element:
        if child.tag in _LISTS:
            found.append(child)
        elif _leading_lists(child, found):
            return True
        if has_text(child.tail):
            return True
    return False


def _looks_like_byline(items: list[str | None]) -> bool:
    """Few short items, none a sentence: names and roles, not key points."""
    return 0 < len(items) <= BYLINE_MAX_ITEMS and all(
        item is not None and not SENTENCE_END_RE.search(item) for item in items
    )
