"""Layout passes for clean.py: figures with captions, paragraphs, whitespace, plain text.

After junk is gone and repairs are done, these passes give the body a feed reader's shape:
an image with the short text around it becomes a <figure> with a <figcaption>, loose text in
wrapper <div>s goes into <p>s, empty wrappers go, and whitespace from pretty-printed HTML
collapses (removed between Chinese characters, where it would show as a stray space; the
rule is here, clean/render.py applies it as it writes the text out).
Pure: edits the lxml tree in place (through clean/dom.py).
"""

from __future__ import annotations

import re

from aggregator.clean.dom import (
    SEAM,
    Element,
    append_text,
    descendants,
    detach,
    has_ancestor,
    has_text,
    is_gone,
    remove,
    replace,
    short_text,
    stripped_size,
)
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

_WHITESPACE_RE = re.compile(r"\s+")
# CJK characters and full-width punctuation, and the same but U+3000 (a space, too).
_CJK = "[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003134f]"
_CJK_TEXT = (
    "[\u2e80-\u2fff\u3001-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003134f]"
)
_CJK_RE = re.compile(_CJK)
# What squeeze_whitespace may change: whitespace but a space; a space between CJK text (the
# pattern starts with the space: re finds a literal first character fast).
_ODD_SPACE_RE = re.compile(r"[^\S ]")
_CJK_SPACE_RE = re.compile(f" (?<={_CJK_TEXT} )(?={_CJK_TEXT})")
# Whitespace runs that go beside CJK: between two CJK characters, or beside one with a line
# break. The lookarounds look for text, not U+3000 (inside a run): so each alternative
# matches whole runs only.
_CJK_RUN_RE = re.compile(
    f"(?<={_CJK_TEXT})\\s+(?={_CJK_TEXT})|(?<={_CJK_TEXT})\\s*\\n\\s*|\\s*\\n\\s*(?={_CJK_TEXT})"
)
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
_H1_OR_CONTAINER = CONTAINER_TAGS | {"h1"}
_FIGURE = frozenset({"figure"})
_CAPTION_TAGS = frozenset({"figure", "figcaption"})
_BREAK_TAGS = frozenset({"br", "hr"})
# What _trim_edges drops at either end of the body (seams hold nothing but the text after them).
_EDGE_TAGS = frozenset({"br", "hr", SEAM})


def is_cjk(char: str) -> bool:
    """Whether `char` (its first character) is a Chinese/Japanese character or full-width
    punctuation: _CJK's ranges, compared as numbers."""
    if not char:
        return False
    code = ord(char[0])
    return (
        0x2E80 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0xFE30 <= code <= 0xFE4F
        or 0xFF00 <= code <= 0xFFEF
        or 0x20000 <= code <= 0x3134F
    )


def squeeze_whitespace(text: str) -> str:
    """Collapse whitespace runs to one space; drop them beside CJK text where they are noise.

    A run goes between two CJK characters, or beside one when it holds a line break.
    """
    if _is_squeezed(text):  # most text pieces
        return text
    if _CJK_RE.search(text) is not None:
        text = _CJK_RUN_RE.sub("", text)
    return _WHITESPACE_RE.sub(" ", text)


def _is_squeezed(text: str) -> bool:
    """Whether squeeze_whitespace leaves `text` as it is (every run one space, none between
    CJK text). isprintable() is False for any whitespace but the space: the fast test first."""
    if "  " in text or (not text.isprintable() and _ODD_SPACE_RE.search(text) is not None):
        return False
    return " " not in text or _CJK_SPACE_RE.search(text) is None


def make_figures(root: Element) -> None:
    """Turn an image's small wrapper with short text into <figure><img><figcaption>."""
    for img in descendants(root, _IMG):
        if is_gone(img) or has_ancestor(img, _FIGURE):
            continue
        block = _image_block(img, root)
        if block is None:
            continue
        parent = img.getparent()
        picture = (
            parent
            if parent is not None and parent.tag == "a" and short_text(parent, 0) == ""
            else img
        )
        detach(picture)
        lines = [text for text, _ in text_lines(block)]
        credits = [line for line in lines if CREDIT_LINE_RE.match(line)]
        figure = block.makeelement("figure", {})
        figure.append(picture)
        caption = figure.makeelement("figcaption", {})
        for number, line in enumerate([line for line in lines if line not in credits] + credits):
            if number:
                caption.append(caption.makeelement("br", {}))
            append_text(caption, line)
        figure.append(caption)
        replace(block, figure)


def _image_block(img: Element, root: Element) -> Element | None:
    """The largest wrapper holding only this image and a caption-sized text, if any text."""
    block, has_caption = None, False
    for parent in img.iterancestors():
        if parent is root or parent.tag not in _IMAGE_WRAPPERS:
            break
        size = _caption_size(parent)
        if size is None:
            break
        block, has_caption = parent, size > 0
    return block if has_caption else None


def _caption_size(wrapper: Element) -> int | None:
    """The size of `wrapper`'s text (as short_text counts) if it holds one image, no list,
    table or heading, and little text; else None."""
    text = wrapper.text
    size = len(text.strip()) if text else 0
    images = 0
    for element in wrapper.iterdescendants():
        name = element.tag
        if name == "img":
            images += 1
            if images > 1:
                return None
        elif name in CAPTION_BLOCKER_TAGS:
            return None
        size += stripped_size(element)
        if size > CAPTION_MAX_CHARS:
            return None
    return size if size <= CAPTION_MAX_CHARS else None


def tidy(root: Element) -> None:
    """Put loose text into paragraphs, drop empty elements and edges, trim blocks' text.

    Whitespace is collapsed as the tree is written out (clean/render.py): trimming first gives
    the same text, and it saves a walk.
    Wrapper <div>s stay until nh3 strips them (keeping their content): unwrapping them here
    would cost a scan of the siblings per child.
    """
    containers = [root]
    for element in descendants(root, _H1_OR_CONTAINER):
        if element.tag == "h1":
            element.tag = "h2"  # the entry title is the page's h1
        else:
            containers.append(element)
    inside: dict[Element, bool] = {}  # for _sits_in_phrasing
    for container in containers:
        if not _sits_in_phrasing(container, inside):
            _wrap_inline_runs(container)
    _drop_empty(root)
    _trim_edges(root)
    for block in descendants(root, _TRIMMED_BLOCKS):
        _trim_block_text(block)


def _sits_in_phrasing(element: Element, inside: dict[Element, bool]) -> bool:
    """Whether an ancestor of `element` is one a <p> may not open in.

    `inside` remembers, per element, whether it is or sits in one: containers nest, so each
    walk up stops where an earlier one passed. (Wrapping moves only what comes later.)
    """
    path: list[Element] = []
    parent = element.getparent()
    while parent is not None and parent not in inside:
        path.append(parent)
        parent = parent.getparent()
    is_inside = parent is not None and inside[parent]
    for ancestor in reversed(path):
        is_inside = is_inside or ancestor.tag in _NO_PARAGRAPH_INSIDE
        inside[ancestor] = is_inside
    return is_inside


def _wrap_inline_runs(parent: Element) -> None:
    """Put each run of text and inline children of `parent` into its own <p>."""
    for lead, children in reversed(_inline_runs(parent)):
        paragraph = parent.makeelement("p", {})
        if lead is parent:
            paragraph.text, parent.text = parent.text, None
            index = 0
        elif lead is not None:
            paragraph.text, lead.tail = lead.tail, None
            index = parent.index(lead) + 1
        else:
            index = parent.index(children[0])
        paragraph.extend(children)  # each with the text after it
        parent.insert(index, paragraph)


def _inline_runs(parent: Element) -> list[tuple[Element | None, list[Element]]]:
    """The runs of text and inline children of `parent` that show something.

    A run is (lead, children): `lead` is `parent` when the run starts with parent.text, the
    child after which it starts when it starts with that child's tail, else None.
    """
    runs: list[tuple[Element | None, list[Element]]] = []
    run: tuple[Element | None, list[Element]] | None = None
    shows = False
    if parent.text:
        run, shows = (parent, []), has_text(parent.text)
    for child in parent:
        if _is_inline(child):
            if run is None:
                run, shows = (None, []), False
            run[1].append(child)
            shows = shows or _has_content(child) or has_text(child.tail)
            continue
        if run is not None and shows:
            runs.append(run)
        run = None
        if child.tail:
            run, shows = (child, []), has_text(child.tail)
    if run is not None and shows:
        runs.append(run)
    return runs


def _is_inline(element: Element) -> bool:
    name = element.tag
    if name in HTML_TAGS:
        return name in INLINE_TAGS
    # An unknown element (or a seam) is inline unless it wraps blocks.
    return not len(element) or all(
        inner.tag not in TEXT_BLOCK_TAGS for inner in element.iterdescendants()
    )


def _has_content(element: Element) -> bool:
    """Whether `element` is or holds an image or visible text (stops at the first it finds)."""
    if element.tag == "img" or has_text(element.text):
        return True
    return any(_has_content(child) or has_text(child.tail) for child in element)


def _drop_empty(element: Element) -> bool:
    """Drop the empty elements and the figures without a picture inside `element`, innermost
    first; return whether `element` is or holds an image or visible text."""
    shows = element.tag == "img" or has_text(element.text)
    for child in list(element):
        name = child.tag
        if name != SEAM:
            child_shows = _drop_empty(child)
            if name in _EMPTY_DROPPABLE and not child_shows:
                remove(child)
            elif name == "figure" and not any(
                inner.tag in _FIGURE_CONTENT for inner in child.iterdescendants()
            ):
                remove(child)  # a caption whose image is gone
                child_shows = False
            shows = shows or child_shows
        shows = shows or has_text(child.tail)
    return shows


def _trim_block_text(block: Element) -> None:
    """Strip the spaces a block starts or ends with (left by indented source HTML)."""
    if not len(block):  # its text is its one piece: the common case
        text = block.text
        if text and text != (stripped := text.strip()):
            block.text = stripped or None
        return
    first = _first_piece(block)
    if first is None:
        return
    last = _last_piece(block)
    if last is None:
        return
    if first[:2] == last[:2]:
        _retext(first, first[2].strip())
        return
    _retext(first, first[2].lstrip())
    _retext(last, last[2].rstrip())


# A text piece: (owner, is_tail, text), the text being owner.tail if is_tail else owner.text.
_Piece = tuple[Element, bool, str]


def _retext(piece: _Piece, text: str) -> None:
    """Give `piece` the text `text` (an unchanged text is left alone: a change costs an edit)."""
    owner, is_tail, old = piece
    if text == old:
        return
    if is_tail:
        owner.tail = text or None
    else:
        owner.text = text or None


def _first_piece(element: Element) -> _Piece | None:
    """The first non-empty text piece inside `element`."""
    text = element.text
    if text:
        return element, False, text
    for child in element:
        found = _first_piece(child)
        if found is not None:
            return found
        tail = child.tail
        if tail:
            return child, True, tail
    return None


def _last_piece(element: Element) -> _Piece | None:
    """The last non-empty text piece inside `element`."""
    for child in reversed(element):
        tail = child.tail
        if tail:
            return child, True, tail
        found = _last_piece(child)
        if found is not None:
            return found
    text = element.text
    return (element, False, text) if text else None


def _trim_edges(root: Element) -> None:
    """Drop <br>, <hr> and blank text before the first and after the last content."""
    while True:  # from the start
        if root.text:
            if root.text.strip():
                break
            root.text = None
        elif len(root) and root[0].tag in _EDGE_TAGS:
            first = root[0]
            tail, first.tail = first.tail, None
            root.remove(first)
            root.text = tail
        else:
            break
    while True:  # from the end
        if not len(root):
            if root.text and not root.text.strip():
                root.text = None
            break
        last = root[-1]
        if last.tail:
            if last.tail.strip():
                break
            last.tail = None
        elif last.tag in _EDGE_TAGS:
            root.remove(last)
        else:
            break


# A text piece for lines_of: its text (None for a line break), its text block (the nearest
# enclosing TEXT_BLOCK_TAGS element, or the root) and whether that block is a caption.
Piece = tuple[str | None, Element, bool]


def text_lines(root: Element) -> list[tuple[str, bool]]:
    """Text of `root` as (line, is_caption) pairs: one line per block, whitespace collapsed."""
    pieces: list[Piece] = []
    in_figure = root.tag == "figure" or has_ancestor(root, _FIGURE)
    _text_pieces(root, root, in_figure or root.tag in _CAPTION_TAGS, in_figure, pieces)
    return lines_of(pieces)


def lines_of(pieces: list[Piece]) -> list[tuple[str, bool]]:
    """The lines of text `pieces` make: one per block, a line break starting a new one."""
    lines: list[tuple[list[str], bool]] = []
    current: Element | None = None
    for text, block, caption in pieces:
        if text is None:
            current = None
            continue
        if block is not current or not lines:
            lines.append(([], caption))
            current = block
        lines[-1][0].append(text)
    squeezed = ((squeeze_whitespace("".join(parts)).strip(), flag) for parts, flag in lines)
    return [(text, flag) for text, flag in squeezed if text]


def _text_pieces(
    element: Element, block: Element, caption: bool, in_figure: bool, pieces: list[Piece]
) -> None:
    """Add the text pieces inside `element` to `pieces`, in document order."""
    if element.text:
        pieces.append((element.text, block, caption))
    for child in element:
        name = child.tag
        if name in _BREAK_TAGS:
            pieces.append((None, block, caption))
        inner_figure = in_figure or name == "figure"
        if name in TEXT_BLOCK_TAGS:
            is_caption = in_figure or name in _CAPTION_TAGS
            _text_pieces(child, child, is_caption, inner_figure, pieces)
        else:
            _text_pieces(child, block, caption, inner_figure, pieces)
        if child.tail:
            pieces.append((child.tail, block, caption))
