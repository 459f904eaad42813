"""The tree the clean passes edit: lxml elements, with the text split the way the rules read it.

lxml keeps text in two slots per element (`text`, before its first child, and `tail`, after
it), and its own edits (`drop_tree`, `drop_tag`) join the text on either side of what they
remove. The rules read text piece by piece: whitespace is squeezed, blocks are trimmed and
short blocks measured one piece at a time, as they were when clean ran on BeautifulSoup, whose
strings stay apart when a tag between them goes. So the edits here leave a *seam* where
something went: an empty element named SEAM, holding only the text after it. Seams are
invisible: no rule matches their name, they hold no text of their own, and the serializer
writes only their tail.

Removal turns the removed element and everything in it into seams (`is_gone` is then one
name check); the removed element stays in place as a seam when text follows it.
Pure: edits a tree in place.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import TYPE_CHECKING, cast

from lxml import etree

__all__ = [
    "SEAM",
    "Element",
    "append_text",
    "attribute_items",
    "descendants",
    "detach",
    "has_ancestor",
    "has_text",
    "is_gone",
    "iter_strings",
    "remove",
    "replace",
    "short_text",
    "short_texts",
    "unwrap",
]

Element = etree._Element
# The parser lower-cases element names, so no element of a document is named this.
SEAM = "Seam"

if TYPE_CHECKING:

    def attribute_items(element: Element) -> list[tuple[str, str]]:
        """`element.items()`: lxml's stubs allow bytes, which the HTML parser never gives."""

else:
    attribute_items = etree._Element.items


def is_gone(element: Element) -> bool:
    """Whether an earlier edit removed `element` (or it is a seam)."""
    return element.tag == SEAM


def descendants(root: Element, names: Collection[str]) -> list[Element]:
    """The elements below `root` named in `names`, in document order."""
    found = list(root.iter(names))
    return found[1:] if found and found[0] is root else found


def has_text(text: str | None) -> bool:
    """Whether a text piece holds more than whitespace."""
    return bool(text and text.strip())


def has_ancestor(element: Element, names: Collection[str]) -> bool:
    """Whether `element` sits inside an element named in `names`.

    A plain loop: lxml's iterancestors(names) first compiles a matcher for the names, which
    costs more than this walk up.
    """
    parent = element.getparent()
    while parent is not None:
        if parent.tag in names:
            return True
        parent = parent.getparent()
    return False


def short_text(element: Element, limit: int) -> str | None:
    """`element`'s stripped text when it is at most about `limit` long, else None.

    Counts each text piece stripped, and stops reading as soon as the text is too long, so a
    rule that only cares about short blocks costs little on a long one. (lxml's itertext
    costs more than this walk: it is used only to join a text known to be short.)
    """
    text = element.text
    if not len(element):  # one piece at most: the common case
        text = text.strip() if text else ""
        return text if len(text) <= limit else None
    size = len(text.strip()) if text else 0
    if size > limit:
        return None
    for node in element.iterdescendants():
        size += stripped_size(node)
        if size > limit:
            return None
    return "".join(cast("Iterator[str]", element.itertext())).strip()


def stripped_size(node: Element) -> int:
    """The length of `node`'s text and tail, each stripped: what short_text counts of it."""
    text, tail = node.text, node.tail
    return (len(text.strip()) if text else 0) + (len(tail.strip()) if tail else 0)


def short_texts(root: Element, limit: int) -> dict[Element, str]:
    """The text (unstripped) of each element in `root` whose text short_text would give at
    `limit`: every short one at the cost of one walk. (Recursive: for trees flattened.)"""
    texts: dict[Element, str] = {}
    _text_size(root, limit, texts)
    return texts


def _text_size(element: Element, limit: int, texts: dict[Element, str]) -> int:
    text = element.text
    size = len(text.strip()) if text else 0
    if not len(element):
        if size <= limit:
            texts[element] = text or ""
        return size
    tails: list[tuple[Element, str | None]] = []
    for child in element:
        tail = child.tail
        size += _text_size(child, limit, texts) + (len(tail.strip()) if tail else 0)
        tails.append((child, tail))
    if size <= limit:  # then so are the children's: their texts are known
        parts = [text or ""]
        for child, tail in tails:
            parts.append(texts[child])
            if tail:
                parts.append(tail)
        texts[element] = "".join(parts)
    return size


def iter_strings(root: Element) -> Iterator[tuple[Element, Element, bool]]:
    """Every text piece below `root` in document order, as (parent, owner, is_tail).

    The piece is `owner.tail` when is_tail, else `owner.text`; `parent` is the element it
    sits in. Empty pieces are left out.
    """
    for event, element in etree.iterwalk(root, events=("start", "end")):
        if event == "start":
            if element.text:
                yield element, element, False
        elif element.tail and element is not root:
            parent = element.getparent()
            if parent is not None:
                yield parent, element, True


def remove(element: Element) -> int:
    """Take `element` out with everything inside it; the text after it stays, apart.

    Returns how many elements went (`element` and those inside it).
    """
    count = 0
    for inner in element.iter():
        inner.tag = SEAM  # gone, for whoever still holds it
        count += 1
    tail = element.tail
    parent = element.getparent()
    if not tail and parent is not None:
        parent.remove(element)
        return count
    element.clear()  # what is left is a seam holding the tail
    element.tail = tail
    return count


def detach(element: Element) -> None:
    """Take `element` out of its place to put it elsewhere; the text after it stays."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        parent.replace(element, _seam(element, element.tail))
        element.tail = None
    else:
        parent.remove(element)


def replace(old: Element, new: Element) -> None:
    """Put `new` (not in the tree) where `old` is, and remove `old`."""
    parent = old.getparent()
    if parent is None:
        return
    new.tail, old.tail = old.tail, None
    parent.replace(old, new)
    remove(old)


def unwrap(element: Element) -> None:
    """Put the children and text of `element` where it is, each text piece still apart."""
    parent = element.getparent()
    if parent is None:
        return
    nodes: list[Element] = []
    if element.text:
        nodes.append(_seam(element, element.text))
    nodes.extend(element)
    if element.tail:
        nodes.append(_seam(element, element.tail))
    index = parent.index(element)
    parent[index : index + 1] = nodes
    element.tag = SEAM


def append_text(parent: Element, text: str) -> None:
    """Add `text` as the last piece inside `parent`, apart from the piece before it."""
    if len(parent):
        last = parent[-1]
        if last.tail:
            parent.append(_seam(parent, text))
        else:
            last.tail = text
    elif parent.text:
        parent.append(_seam(parent, text))
    else:
        parent.text = text


def _seam(near: Element, tail: str) -> Element:
    seam = near.makeelement(SEAM, {})
    seam.tail = tail
    return seam
