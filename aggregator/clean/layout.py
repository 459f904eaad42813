"""Layout passes for clean.py: figures with captions, paragraphs, whitespace, plain text.

After junk is gone and repairs are done, these passes give the body a feed reader's shape:
an image with the short text around it becomes a <figure> with a <figcaption>, loose text in
wrapper <div>s goes into <p>s, empty wrappers go, and whitespace from pretty-printed HTML
collapses (removed between Chinese characters, where it would show as a stray space).
Pure: edits a tree in place.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bs4 import BeautifulSoup, NavigableString, PageElement, Tag
from bs4.element import PreformattedString

from aggregator.clean.rules import (
    CAPTION_BLOCKER_TAGS,
    CAPTION_MAX_CHARS,
    CONTAINER_TAGS,
    CREDIT_LINE_RE,
    HTML_TAGS,
    INLINE_TAGS,
    TEXT_BLOCK_TAGS,
    words,
)
from aggregator.clean.tree import (
    all_tags,
    find_tag,
    find_tags,
    has_ancestor,
    is_detached,
    replace_text,
    short_text,
)

_WHITESPACE_RE = re.compile(r"\s+")
_CJK_RE = re.compile("[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003134f]")
# Loose text inside these stays as it is: a <p> may not open there.
_PHRASING_PARENTS: frozenset[str] = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "caption", "figure", "figcaption"}
)
_EMPTY_DROPPABLE = CONTAINER_TAGS | words(
    "p a span b strong em i u s small sub sup q cite mark font code li ul ol dl dt dd "
    "blockquote figcaption h2 h3 h4 h5 h6"
)
_FIGURE_CONTENT = frozenset({"img", "table", "pre", "blockquote"})
_TRIMMED_BLOCKS = words("p li dt dd figcaption h2 h3 h4 h5 h6 td th")
_NO_PARAGRAPH_INSIDE = _PHRASING_PARENTS | INLINE_TAGS
_IMAGE_WRAPPERS = CONTAINER_TAGS | {"p", "span", "a"}
_IMG = frozenset({"img"})


def is_cjk(char: str) -> bool:
    """Whether `char` is a Chinese/Japanese character or full-width punctuation."""
    return bool(char) and _CJK_RE.match(char) is not None


def squeeze_whitespace(text: str) -> str:
    """Collapse whitespace runs to one space; drop them beside CJK text where they are noise."""
    if _CJK_RE.search(text) is None:  # no CJK neighbour anywhere: every run is one space
        return _WHITESPACE_RE.sub(" ", text)

    def replace(match: re.Match[str]) -> str:
        start, end = match.span()
        before = start > 0 and _CJK_RE.match(text, start - 1) is not None
        after = end < len(text) and _CJK_RE.match(text, end) is not None
        if (before and after) or ("\n" in match.group() and (before or after)):
            return ""
        return " "

    return _WHITESPACE_RE.sub(replace, text)


def make_figures(root: Tag, soup: BeautifulSoup) -> None:
    """Turn an image's small wrapper with short text into <figure><img><figcaption>."""
    for img in find_tags(root, _IMG):
        if is_detached(img) or has_ancestor(img, ("figure",)):
            continue
        block = _image_block(img, root)
        if block is None:
            continue
        parent = img.parent
        picture = (
            parent
            if parent is not None and parent.name == "a" and short_text(parent, 0) == ""
            else img
        )
        picture.extract()
        lines = [text for text, _ in text_lines(block)]
        credits = [line for line in lines if CREDIT_LINE_RE.match(line)]
        caption = soup.new_tag("figcaption")
        for line in [line for line in lines if line not in credits] + credits:
            if caption.contents:
                caption.append(soup.new_tag("br"))
            caption.append(line)
        figure = soup.new_tag("figure")
        figure.append(picture)
        figure.append(caption)
        block.replace_with(figure)


def _image_block(img: Tag, root: Tag) -> Tag | None:
    """The largest wrapper holding only this image and a caption-sized text, if any text."""
    block, caption = None, ""
    for parent in img.parents:
        if parent is root or parent.name not in _IMAGE_WRAPPERS:
            break
        text = _caption_text(parent)
        if text is None:
            break
        block, caption = parent, text
    return block if caption else None


def _caption_text(wrapper: Tag) -> str | None:
    """`wrapper`'s text if it holds one image, no list, table or heading, and little text."""
    images, size, parts = 0, 0, []
    for node in wrapper.descendants:
        if isinstance(node, Tag):
            images += node.name == "img"
            if images > 1 or node.name in CAPTION_BLOCKER_TAGS:
                return None
        elif isinstance(node, NavigableString) and not isinstance(node, PreformattedString):
            size += len(node.strip())
            if size > CAPTION_MAX_CHARS:
                return None
            parts.append(node)
    return "".join(parts).strip()


def tidy(root: Tag, soup: BeautifulSoup) -> None:
    """Collapse whitespace, put loose text into paragraphs, drop empty elements and edges.

    Wrapper <div>s stay until nh3 strips them (keeping their content): unwrapping them here
    would cost a scan of the siblings per child.
    """
    strings: list[NavigableString] = []
    containers = [root]
    for node in root.descendants:  # one walk for the first three steps: none adds or moves a tag
        if isinstance(node, Tag):
            if node.name == "h1":
                node.name = "h2"  # the entry title is the page's h1
            elif node.name in CONTAINER_TAGS:
                containers.append(node)
        elif isinstance(node, NavigableString) and node:  # as find_all(string=True): not ""
            strings.append(node)
    for string in strings:
        squeezed = squeeze_whitespace(str(string))
        if squeezed != string and not has_ancestor(string, ("pre",)):
            replace_text(string, squeezed)
    for container in containers:
        if not has_ancestor(container, _NO_PARAGRAPH_INSIDE, below=root):
            _wrap_inline_runs(container, soup)
    tags = _drop_empty(root)
    _trim_edges(root)
    for block in tags:  # what _drop_empty and _trim_edges left, in document order
        if block.name in _TRIMMED_BLOCKS and not is_detached(block):
            _trim_block_text(block)


def _wrap_inline_runs(parent: Tag, soup: BeautifulSoup) -> None:
    """Put each run of text and inline children of `parent` into its own <p>."""
    children = list(parent.contents)
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for index, child in enumerate([*children, None]):
        if child is not None and _is_inline(child):
            start = index if start is None else start
            continue
        if start is not None and any(_has_content(node) for node in children[start:index]):
            runs.append((start, index))
        start = None
    for start, end in reversed(runs):  # from the end, so earlier positions stay valid
        moved = [parent.contents[i].extract(_self_index=i) for i in range(end - 1, start - 1, -1)]
        paragraph = soup.new_tag("p")
        for node in reversed(moved):
            paragraph.append(node)
        parent.insert(start, paragraph)


def _is_inline(node: PageElement) -> bool:
    if isinstance(node, NavigableString):
        return True
    if not isinstance(node, Tag) or node.name in HTML_TAGS:
        return isinstance(node, Tag) and node.name in INLINE_TAGS
    # An unknown element is inline unless it wraps blocks.
    return find_tag(node, TEXT_BLOCK_TAGS) is None


def _has_content(node: PageElement) -> bool:
    """Whether `node` is or holds an image or visible text (stops at the first it finds)."""
    if isinstance(node, Tag) and node.name != "img":
        return any(_is_visible(inner) for inner in node.descendants)
    return _is_visible(node)


def _is_visible(node: PageElement) -> bool:
    if isinstance(node, Tag):
        return node.name == "img"
    return (
        isinstance(node, NavigableString)
        and not isinstance(node, PreformattedString)
        and bool(node.strip())
    )


def _drop_empty(root: Tag) -> list[Tag]:
    """Drop empty elements and figures without a picture; return the tags it saw."""
    tags = all_tags(root)
    for tag in reversed(tags):  # innermost first
        if is_detached(tag):
            continue
        if tag.name in _EMPTY_DROPPABLE and not _has_content(tag):
            tag.decompose()
        elif tag.name == "figure" and find_tag(tag, _FIGURE_CONTENT) is None:
            tag.decompose()  # a caption whose image is gone
    return tags


def _trim_block_text(block: Tag) -> None:
    """Strip the spaces a block starts or ends with (left by indented source HTML)."""
    first, last = _first_string(block), _last_string(block)
    if first is None or last is None:
        return
    if first is last:
        _replace_text(first, first.strip())
        return
    _replace_text(first, first.lstrip())
    _replace_text(last, last.rstrip())


def _replace_text(string: NavigableString, text: str) -> None:
    if text != string:  # an unchanged string is left alone: a replacement costs a tree edit
        replace_text(string, text)


def _first_string(block: Tag) -> NavigableString | None:
    """The first non-empty string inside `block`, reading forward from its start."""
    for node in block.descendants:
        if isinstance(node, NavigableString) and node:
            return node
    return None


def _last_string(block: Tag) -> NavigableString | None:
    """The last non-empty string inside `block`, reading backward from its end."""
    last: PageElement = block
    while isinstance(last, Tag) and last.contents:
        last = last.contents[-1]
    node: PageElement | None = last
    while node is not None and node is not block:
        if isinstance(node, NavigableString) and node:
            return node
        node = node.previous_element
    return None


def _trim_edges(root: Tag) -> None:
    """Drop <br>, <hr> and blank text before the first and after the last content."""
    for from_end in (False, True):
        while root.contents:
            edge = root.contents[-1 if from_end else 0]
            if isinstance(edge, Tag) and edge.name not in ("br", "hr"):
                break
            if isinstance(edge, NavigableString) and edge.strip():
                break
            edge.extract()


def text_lines(root: Tag) -> list[tuple[str, bool]]:
    """Text of `root` as (line, is_caption) pairs: one line per block, whitespace collapsed."""
    lines: list[tuple[list[str], bool]] = []
    current: Tag | None = None
    # Depth first, in document order, each child with its text block: the nearest enclosing
    # TEXT_BLOCK_TAGS tag below `root`, or `root`.
    stack: list[tuple[Iterator[PageElement], Tag]] = [(iter(root.contents), root)]
    while stack:
        children, block = stack[-1]
        node = next(children, None)
        if node is None:
            stack.pop()
        elif isinstance(node, Tag):
            if node.name in ("br", "hr"):
                current = None
            stack.append((iter(node.contents), node if node.name in TEXT_BLOCK_TAGS else block))
        elif isinstance(node, NavigableString) and not isinstance(node, PreformattedString):
            if block is not current or not lines:
                lines.append(([], _is_caption(block)))
                current = block
            lines[-1][0].append(str(node))
    squeezed = ((squeeze_whitespace("".join(parts)).strip(), flag) for parts, flag in lines)
    return [(text, flag) for text, flag in squeezed if text]


def _is_caption(block: Tag) -> bool:
    return block.name in ("figure", "figcaption") or has_ancestor(block, ("figure",))
