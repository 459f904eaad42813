"""Tree passes for clean.py: drop junk, repair links, find bylines, datelines and nav lines.

Each pass walks a BeautifulSoup tree (parsed by clean.py) and edits it in place; the rules'
data (tag sets, patterns, phrases) lives in clean/rules.py. Searches use find_tags/find_tag:
bs4's find_all builds a filter and matches every node through it, several times the cost of the
walk itself, and clean runs dozens of searches per document. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from bs4 import NavigableString, PageElement, Tag
from bs4.element import PreformattedString

from aggregator.clean.rules import (
    AD_LABEL_RE,
    BYLINE_ITEM_MAX_CHARS,
    BYLINE_MAX_ITEMS,
    DATE_EVIDENCE_RE,
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
_A = frozenset({"a"})
_IMG = frozenset({"img"})
_LI = frozenset({"li"})
_LEAF_TAGS = frozenset({"img", "br"})
# Any phrase of a list, in one search (of lower-cased text, as the phrases are written).
_VIDEO_FALLBACK_RE = re.compile("|".join(map(re.escape, VIDEO_FALLBACK_PHRASES)))
_PROMO_RE = re.compile("|".join(map(re.escape, PROMO_PHRASES)))


def attr(tag: Tag, name: str) -> str:
    """An attribute's value as one string ('' when absent)."""
    value = tag.get(name)
    if value is None:
        return ""
    return value if isinstance(value, str) else " ".join(value)


def text_of(tag: Tag) -> str:
    """The text inside `tag`, stripped."""
    return tag.get_text().strip()


def short_text(tag: Tag, limit: int) -> str | None:
    """`tag`'s stripped text when it is at most about `limit` long, else None.

    Stops reading as soon as the text is known to be longer, so a rule that only cares
    about short blocks costs little on a long one.
    """
    parts: list[str] = []
    size = 0
    for node in tag.descendants:
        if isinstance(node, NavigableString) and not isinstance(node, PreformattedString):
            size += len(node.strip())
            if size > limit:
                return None
            parts.append(node)
    return "".join(parts).strip()


def is_detached(node: PageElement) -> bool:
    """Whether an earlier rule removed `node` (bs4's own `decomposed` searches the subtree).

    Reads the instance dict: decompose() empties it, and a missing attribute would cost a
    subtree search through Tag.__getattr__.
    """
    return vars(node).get("parent") is None


def find_tags(root: Tag, names: Collection[str]) -> list[Tag]:
    """The tags below `root` named in `names`, in document order: `find_all` without bs4's
    filter machinery, which costs several times the walk itself."""
    return [node for node in root.descendants if isinstance(node, Tag) and node.name in names]


def all_tags(root: Tag) -> list[Tag]:
    """Every tag below `root`, in document order (`find_all(True)`)."""
    return [node for node in root.descendants if isinstance(node, Tag)]


def find_tag(root: Tag, names: Collection[str]) -> Tag | None:
    """The first tag below `root` named in `names` (`find`), or None."""
    for node in root.descendants:
        if isinstance(node, Tag) and node.name in names:
            return node
    return None


def find_strings(root: Tag) -> list[NavigableString]:
    """The non-empty strings below `root`, in document order (`find_all(string=True)`)."""
    return [node for node in root.descendants if isinstance(node, NavigableString) and node]


def replace_text(old: NavigableString, text: str) -> None:
    """Put a plain string with `text` where `old` is: `old.replace_with(text)`, done in place.

    bs4's replace_with extracts and re-inserts, walking the tree to relink both; a string has
    no children, so taking over its links is enough.
    """
    parent = old.parent
    if parent is None:
        raise ValueError("cannot replace a string that is not in a tree")
    new = NavigableString(text)
    new.parent = parent
    new.previous_element, new.next_element = old.previous_element, old.next_element
    new.previous_sibling, new.next_sibling = old.previous_sibling, old.next_sibling
    if new.previous_element is not None:
        new.previous_element.next_element = new
    if new.next_element is not None:
        new.next_element.previous_element = new
    if new.previous_sibling is not None:
        new.previous_sibling.next_sibling = new
    if new.next_sibling is not None:
        new.next_sibling.previous_sibling = new
    parent.contents[parent.index(old)] = new
    old.parent = old.previous_element = old.next_element = None
    old.previous_sibling = old.next_sibling = None


def has_ancestor(node: PageElement, names: Collection[str], *, below: Tag | None = None) -> bool:
    """Whether `node` sits inside a tag named in `names` (looking no higher than `below`)."""
    for parent in node.parents:
        if parent is below:
            return False
        if parent.name in names:
            return True
    return False


def _has_text(node: PageElement) -> bool:
    return isinstance(node, NavigableString) and bool(node.strip())


def block_ancestor(node: PageElement, root: Tag) -> Tag:
    """The nearest ancestor that is not inline markup (or `root`)."""
    for parent in node.parents:
        if parent is root or parent.name not in INLINE_TAGS:
            return parent
    return root


def flatten_deep_nesting(root: Tag, *, max_depth: int = MAX_DEPTH) -> None:
    """Below `max_depth`, keep only text, images and line breaks, in order.

    Broken markup (unclosed <div>s or <font>s) can nest thousands deep; no article needs
    that, and it would make every ancestor walk in the passes below quadratic.
    """
    depth: dict[int, int] = {id(root): 0}
    floor: list[Tag] = []
    for tag in all_tags(root):
        level = depth[id(tag.parent)] + 1
        depth[id(tag)] = level
        if level == max_depth and any(isinstance(child, Tag) for child in tag.children):
            floor.append(tag)
    for tag in floor:
        leaves = [
            node
            for node in tag.descendants
            if isinstance(node, NavigableString)
            or (isinstance(node, Tag) and node.name in _LEAF_TAGS)
        ]
        for index in range(len(tag.contents) - 1, -1, -1):
            tag.contents[index].extract(_self_index=index)
        for leaf in leaves:
            tag.append(leaf)


def drop_junk(root: Tag) -> None:
    """Remove comments, active content, players, ads, share widgets and hidden blocks."""
    tags: list[Tag] = []
    for node in list(root.descendants):
        if isinstance(node, Tag):
            tags.append(node)
        elif isinstance(node, PreformattedString):  # comments, CDATA, processing instructions
            node.extract()
    for tag in tags:
        if is_detached(tag) or not _is_junk(tag):
            continue
        parent, is_player = tag.parent, _is_player(tag)
        tag.decompose()
        if is_player and parent is not None and parent is not root:
            _drop_orphan_caption(parent)
    # One search for both phrase passes: the first only removes nodes, which the second skips.
    strings = find_strings(root)
    _drop_blocks_with_phrases(root, strings, _VIDEO_FALLBACK_RE, max_chars=FALLBACK_BLOCK_MAX_CHARS)
    _drop_blocks_with_phrases(root, strings, _PROMO_RE, max_chars=PROMO_BLOCK_MAX_CHARS)


def _is_junk(tag: Tag) -> bool:
    name = tag.name.lower()
    if name in DROP_TAGS or ("-" in name and WIDGET_NAME_RE.search(name)):
        return True
    if not tag.attrs:  # every rule below reads an attribute
        return False
    if any(JUNK_ATTRIBUTE_RE.match(key) for key in tag.attrs):
        return True
    if attr(tag, "data-e2e").lower() in JUNK_DATA_E2E or AD_LABEL_RE.search(
        attr(tag, "aria-label")
    ):
        return True
    if attr(tag, "role").lower() in JUNK_ROLES:
        return True
    names = f"{attr(tag, 'id')} {attr(tag, 'class')}"
    is_marked = (
        "hidden" in tag.attrs
        or HIDDEN_STYLE_RE.search(attr(tag, "style")) is not None
        or JUNK_CLASS_RE.search(names) is not None
        or any(token.lower() in JUNK_TOKENS for token in TOKEN_SPLIT_RE.split(names))
    )
    return is_marked and short_text(tag, JUNK_BLOCK_MAX_CHARS) is not None


def _is_player(tag: Tag) -> bool:
    return (
        tag.name in ("video", "audio")
        or "player" in tag.name
        or attr(tag, "data-e2e").lower() == "media-player"
        or any("video-player" in key for key in tag.attrs)
        or JUNK_CLASS_RE.search(f"{attr(tag, 'id')} {attr(tag, 'class')}") is not None
    )


def _drop_orphan_caption(wrapper: Tag) -> None:
    """Drop a removed player's caption: the one short text block left in its wrapper."""
    left = [child for child in wrapper.children if isinstance(child, Tag) or _has_text(child)]
    is_caption = len(left) == 1 and find_tag(wrapper, _IMG) is None
    if is_caption and short_text(wrapper, _CAPTION_MAX_CHARS) is not None:
        wrapper.decompose()


def _drop_blocks_with_phrases(
    root: Tag, strings: list[NavigableString], phrases: re.Pattern[str], *, max_chars: int
) -> None:
    """Drop the short block (or <noscript>) around any of `strings` where `phrases` matches.

    A block longer than `max_chars` is article text that merely mentions the phrase.
    """
    for string in strings:
        if is_detached(string):
            continue
        lowered = str(string).lower()
        if phrases.search(lowered) is None:
            continue
        block = string.find_parent("noscript") or block_ancestor(string, root)
        if block is not root and short_text(block, max_chars) is not None:
            block.decompose()
        elif len(lowered.strip()) <= max_chars:
            string.extract()


def repair_links(root: Tag, *, base_url: str) -> None:
    """Turn `<ok href>` into links, make hrefs absolute, drop share links and mirror footers."""
    links: list[Tag] = []
    for tag in all_tags(root):
        if tag.name not in HTML_TAGS and tag.has_attr("href"):
            tag.name = "a"  # a mirror renames <a> to dodge filters (gfw-breaker's <ok>)
        if tag.name == "a":
            links.append(tag)
    for link in links:
        if is_detached(link):
            continue
        raw = attr(link, "href")
        if SHARE_LINK_RE.search(raw.strip()):
            link.decompose()
            continue
        href = absolute_url(raw, base_url=base_url, schemes=LINK_SCHEMES) if raw else None
        if href is not None and FOOTER_URL_RE.search(href):
            _drop_footer(link, root)
        elif href is None:
            link.unwrap()
        else:
            title = attr(link, "title")
            link.attrs = {"href": href, **({"title": title} if title else {})}


def _drop_footer(link: Tag, root: Tag) -> None:
    block = link
    for parent in link.parents:
        if parent is root or short_text(parent, _FOOTER_MAX_CHARS) is None:
            break
        block = parent
    block.decompose()


def drop_boilerplate(root: Tag) -> None:
    """Remove share labels, datelines, nav lines, related-link lists and a leading byline."""
    for tag in find_tags(root, _DATELINE_TAGS):
        if not is_detached(tag):
            _drop_label_or_dateline(tag, root)
    for tag in find_tags(root, _LINK_BLOCK_TAGS):
        # _is_link_only first: it usually fails at the first word, the image search never does.
        if not is_detached(tag) and _is_link_only(tag) and find_tag(tag, _IMG) is None:
            tag.decompose()
    _drop_leading_byline(root)


def _drop_label_or_dateline(tag: Tag, root: Tag) -> None:
    text = short_text(tag, DATELINE_MAX_CHARS)
    if not text or not (SHARE_LABEL_RE.match(text) or is_dateline(text)):
        return
    holder = tag if tag.name not in INLINE_TAGS else block_ancestor(tag, root)
    if holder is not tag and (holder is root or short_text(holder, len(text)) != text):
        return  # a date inside a sentence stays
    if find_tag(holder, _IMG) is None:
        holder.decompose()
    elif tag is not holder:
        tag.decompose()  # an image's block keeps its image (RFI's video duration <time>)


def is_dateline(text: str) -> bool:
    """Whether `text` is only a date or time ("12/09/2023 - 18:24", "26 分钟前")."""
    if not text or len(text) > DATELINE_MAX_CHARS or not DATE_EVIDENCE_RE.search(text):
        return False
    return DATELINE_REST_RE.match(DATE_TOKEN_RE.sub("", text)) is not None


def _is_link_only(tag: Tag) -> bool:
    """A nav line or related-articles list: links and separators, nothing else."""
    if tag.name in ("ul", "ol"):
        items = find_tags(tag, _LI)
        return bool(items) and all(
            _outside_links(item) and find_tag(item, _A) is not None for item in items
        )
    return _outside_links(tag) and _has_links(tag, 2)


def _has_links(tag: Tag, count: int) -> bool:
    """Whether `tag` holds at least `count` links."""
    for node in tag.descendants:
        if isinstance(node, Tag) and node.name == "a":
            count -= 1
            if count <= 0:
                return True
    return False


def _outside_links(tag: Tag) -> bool:
    """True when every character of `tag` outside its links is a separator."""
    for child in tag.contents:
        if isinstance(child, Tag):
            if child.name != "a" and not _outside_links(child):
                return False
        elif isinstance(child, NavigableString) and NAV_SEPARATORS_RE.match(child) is None:
            return False
    return True


def _drop_leading_byline(root: Tag) -> None:
    """Drop short lists that come before any other text: reporter name and role."""
    leading: list[Tag] = []
    for node in root.descendants:
        in_list = has_ancestor(node, ("ul", "ol"), below=root)
        if isinstance(node, Tag):
            if node.name in ("ul", "ol") and not in_list:
                leading.append(node)
        elif _has_text(node) and not in_list:
            break
    for tag in leading:
        items = [short_text(item, BYLINE_ITEM_MAX_CHARS) for item in find_tags(tag, _LI)]
        if _looks_like_byline(items):
            tag.decompose()


def _looks_like_byline(items: list[str | None]) -> bool:
    """Few short items, none a sentence: names and roles, not key points."""
    return 0 < len(items) <= BYLINE_MAX_ITEMS and all(
        item is not None and not SENTENCE_END_RE.search(item) for item in items
    )
