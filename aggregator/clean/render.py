"""Write a cleaned tree out, in one walk: its markup for the sanitizer and its lines of text.

The markup is what BeautifulSoup's `decode_contents()` wrote when clean ran on bs4: `&`, `<`
and `>` escaped in text and attribute values, attributes sorted by name, a childless void
element as `<br/>`; seams (clean/dom.py) write only the text after them. Only attributes nh3
keeps are written (it drops the others, so its output is the same without them). Each text
piece is written with its whitespace squeezed (clean/layout.py), but inside <pre>. (lxml's
own HTML serializer would not do: libxml2 re-escapes URL attributes.)
The lines are layout.text_lines' (one per text block, captions flagged), read in the same walk.
Pure: reads a tree, returns strings.
"""

from __future__ import annotations

from aggregator.clean.dom import SEAM, Element, attribute_items, has_ancestor
from aggregator.clean.layout import Piece, lines_of, squeeze_whitespace
from aggregator.clean.rules import ALLOWED_ATTRIBUTES, TEXT_BLOCK_TAGS, words

__all__ = ["render"]

# BeautifulSoup's HTMLTreeBuilder.empty_element_tags: written `<name/>` when empty.
_VOID_TAGS = words(
    "area base br col embed hr img input keygen link menuitem meta param source track wbr "
    "basefont bgsound command frame image isindex nextid spacer"
)
_BREAK_TAGS = frozenset({"br", "hr"})
_CAPTION_TAGS = frozenset({"figure", "figcaption"})
_FIGURE = frozenset({"figure"})
_ANY_TAG = ALLOWED_ATTRIBUTES["*"]
_NONE: frozenset[str] = frozenset()


def render(root: Element) -> tuple[str, list[tuple[str, bool]]]:
    """The markup of what `root` holds (not `root` itself), and its text as (line, is_caption)
    pairs."""
    parts: list[str] = []
    pieces: list[Piece] = []
    in_figure = root.tag == "figure" or has_ancestor(root, _FIGURE)
    _write(root, root, in_figure or root.tag in _CAPTION_TAGS, in_figure, False, parts, pieces)
    return "".join(parts), lines_of(pieces)


def _write(
    element: Element,
    block: Element,
    caption: bool,
    in_figure: bool,
    in_pre: bool,
    parts: list[str],
    pieces: list[Piece],
) -> None:
    """Write what `element` holds to `parts`, its text to `pieces`. The text belongs to
    `block` (a caption if `caption`); `in_figure` and `in_pre` say whether `element` is or
    sits in a <figure>, a <pre>."""
    if element.text:
        _write_text(element.text, block, caption, in_pre, parts, pieces)
    for child in element:
        name = child.tag
        if name != SEAM:
            if name in _BREAK_TAGS:
                pieces.append((None, block, caption))
            items = attribute_items(child)
            start = f"<{name}{_attribute_markup(items, name)}" if items else f"<{name}"
            if name in _VOID_TAGS and _is_empty(child):
                parts.append(start + "/>")
            else:
                parts.append(start + ">")
                if name in TEXT_BLOCK_TAGS:  # a block of its own (figure and pre are)
                    _write(
                        child,
                        child,
                        in_figure or name in _CAPTION_TAGS,
                        in_figure or name == "figure",
                        in_pre or name == "pre",
                        parts,
                        pieces,
                    )
                else:
                    _write(child, block, caption, in_figure, in_pre, parts, pieces)
                parts.append(f"</{name}>")
        if child.tail:
            _write_text(child.tail, block, caption, in_pre, parts, pieces)


def _write_text(
    text: str,
    block: Element,
    caption: bool,
    in_pre: bool,
    parts: list[str],
    pieces: list[Piece],
) -> None:
    """Write a text or tail to `parts` (escaped) and `pieces` (whitespace squeezed outside
    a <pre>)."""
    if not in_pre:
        text = squeeze_whitespace(text)
    parts.append(_escape(text))
    pieces.append((text, block, caption))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _is_empty(element: Element) -> bool:
    """No text inside (seams may be)."""
    return not element.text and all(child.tag == SEAM and not child.tail for child in element)


def _attribute_markup(items: list[tuple[str, str]], name: str) -> str:
    """' key="value" ...' in sorted order, for the attributes nh3 keeps on `name`: the others
    it drops, and whether they are written makes no difference to what it gives."""
    allowed = ALLOWED_ATTRIBUTES.get(name, _NONE)
    pieces = [""]
    for key, value in sorted(items):
        if key not in allowed and key not in _ANY_TAG:
            continue
        text = _escape(value)
        if '"' not in text:
            pieces.append(f'{key}="{text}"')
        elif "'" not in text:
            pieces.append(f"{key}='{text}'")
        else:
            pieces.append(f'{key}="{text.replace(chr(34), "&quot;")}"')
    return " ".join(pieces)
