"""Markup of a cleaned tree for clean.py: what bs4's `decode_contents()` gives, in less time.

bs4 renders through a generic event stream that compares each node's parent with the open tag
and asks the formatter about every string and attribute; this writes the same characters
(the "minimal" HTML formatter: `&`, `<`, `>` escaped, attributes sorted, `<br/>`) straight from
`.contents`. Anything it does not know the exact rendering of (a hidden or prefixed tag, a
charset attribute, a comment) goes to bs4 itself, so the result is always bs4's.
Pure: reads a tree, returns a string.
"""

from __future__ import annotations

from bs4 import NavigableString, Tag
from bs4.formatter import Formatter, HTMLFormatter

__all__ = ["html_of_contents"]

_FORMATTER: Formatter = HTMLFormatter.REGISTRY["minimal"]
# Strings in these tags are written as they are (HTMLFormatter.cdata_containing_tags).
_RAW_TEXT_PARENTS = _FORMATTER.cdata_containing_tags
# Deeper than this, bs4 renders the rest (it does not recurse); cleaned trees are far shallower.
_MAX_DEPTH = 200


def html_of_contents(root: Tag) -> str:
    """The markup of `root`'s children, exactly as `root.decode_contents()` writes it."""
    parts: list[str] = []
    _write_children(root, parts, 0)
    return "".join(parts)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _write_children(tag: Tag, parts: list[str], depth: int) -> None:
    raw_text = tag.name in _RAW_TEXT_PARENTS
    for node in tag.contents:
        if isinstance(node, Tag):
            _write_tag(node, parts, depth + 1)
        elif type(node) is NavigableString:
            parts.append(node if raw_text else _escape(node))
        elif isinstance(node, NavigableString):  # a comment, CDATA, ruby text: bs4's own rules
            parts.append(node.output_ready(_FORMATTER))


def _write_tag(tag: Tag, parts: list[str], depth: int) -> None:
    attributes = _attribute_markup(tag)
    if attributes is None or type(tag) is not Tag or tag.hidden or tag.prefix or depth > _MAX_DEPTH:
        parts.append(tag.decode(formatter=_FORMATTER))
        return
    if tag.is_empty_element:
        parts.append(f"<{tag.name}{attributes}/>")
        return
    parts.append(f"<{tag.name}{attributes}>")
    _write_children(tag, parts, depth)
    parts.append(f"</{tag.name}>")


def _attribute_markup(tag: Tag) -> str | None:
    """' key="value" ...' in sorted order, or None for a value bs4 has its own rules for."""
    if not tag.attrs:
        return ""
    pieces = [""]
    for key, value in sorted(tag.attrs.items()):
        if type(key) is not str or type(value) is not str:
            return None  # a namespaced name, a list, None or a charset value
        text = _escape(value)
        if '"' not in text:
            pieces.append(f'{key}="{text}"')
        elif "'" not in text:
            pieces.append(f"{key}='{text}'")
        else:
            pieces.append(f'{key}="{text.replace(chr(34), "&quot;")}"')
    return " ".join(pieces)
