"""An article's HTML as an lxml tree, and the text a reader sees in it. Pure.

The evidence readers (`published`, `byline`, the page title) only find elements and read their
attributes and text, so lxml's own tree serves them: building it costs a tenth of what
BeautifulSoup's tree over the same parser does (0.09 against 1.05 ms of CPU a page on the
2,000-page bench corpus, 7,300 characters a page). Elements and texts are selected with
iter(tag) and XPath, which libxml2 runs in C; a page nested deeper than XPATH_TEXT_MAX_DEPTH
has its texts read by a linear walk instead (unless no element that hides text is near: then
no ancestor is tested), and comments become BOUNDARY_TAG elements.

The parse is the one BeautifulSoup's "lxml" builder runs (lxml's recovering HTMLParser, fed the
whole str), so tree and attributes are what BeautifulSoup saw, and text follows its
`get_text()` rules, which the evidence was written against: text under <script>, <style>,
<template>, <rt> or <rp> is not page text (an element of those kinds reads only its own kind),
and comments never are. Where lxml's tree builder and BeautifulSoup part (a page nested 2,048
deep, where libxml2 stops building; a doctype after the start, which BeautifulSoup counts as a
break between texts), the tree is built from the parser's events instead, as BeautifulSoup
does. None of the 2,000 bench pages needs that path.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Collection, Iterable, Iterator

from lxml import etree

# Elements whose text is code, a template or a ruby annotation, not what the page says.
NON_TEXT_TAGS = frozenset({"script", "style", "template", "rt", "rp"})
# The wrapper holding every top-level node: upper case, so no parsed (lower-cased) tag equals it.
DOCUMENT_TAG = "Document"
# Stands in for each comment: it ends a text run as a comment does and holds no text. XPath over
# texts that follow comments is quadratic in libxml2 (ordering them walks the siblings); texts
# that follow elements are ordered at once.
BOUNDARY_TAG = "Boundary"
# libxml2's tree builder stops at this depth (huge_tree on; 256 without) and drops the rest of
# the page; BeautifulSoup, fed by the same parser's events, has no limit.
TREE_DEPTH_LIMIT = 2048
_REACHES_DEPTH_LIMIT = etree.XPath(f"boolean({'/*' * TREE_DEPTH_LIMIT})")
# Each element of the tree comes from a "<" of the markup, but for the few the parser implies
# (html, head or body, p): markup with fewer "<" than this cannot reach the limit, and skips the
# XPath above (a third of the cost of a parse: it runs all its 2,048 steps on any page).
FEW_TAGS = TREE_DEPTH_LIMIT // 2
# A doctype after the start of a page ends a text run for BeautifulSoup ("a<!DOCTYPE x>b" is
# "a b"); lxml's tree keeps no trace of it ("ab").
_DOCTYPE_RE = re.compile("<!doctype", re.IGNORECASE)
# Characters an lxml tree built from Python refuses. The whitespace ones become spaces (text is
# read whitespace-collapsed); the others the replacement character.
_NOT_XML_WHITESPACE_RE = re.compile("[\x0b\x0c\x1c-\x1f]")
_NOT_XML_RE = re.compile("[\x00-\x08\x0e-\x1b\ufffe\uffff]")
# Texts are selected by XPath: libxml2 walks the tree and tests ancestors in C. The nearest
# non-text element above a text decides its kind, as BeautifulSoup's string classes do.
_IN_NON_TEXT = " or ".join(f"ancestor::{tag}" for tag in sorted(NON_TEXT_TAGS))
_NEAREST_NON_TEXT = (
    f"ancestor::*[{' or '.join(f'self::{tag}' for tag in sorted(NON_TEXT_TAGS))}][1]"
)
_PAGE_TEXTS = etree.XPath(f"descendant::text()[not({_IN_NON_TEXT})]", smart_strings=False)
# Where no element that leaves texts out is near, no ancestor needs a test (a third of the cost),
# whatever the depth: most article pages hold no script or style at all, many no <time>.
_ALL_TEXTS = etree.XPath("descendant::text()", smart_strings=False)
_ALL_SHORT_TEXTS = etree.XPath(
    "descendant::text()[string-length() <= $max_chars]", smart_strings=False
)
_SHORT_PAGE_TEXTS = etree.XPath(
    f"descendant::text()[string-length() <= $max_chars][not({_IN_NON_TEXT} or ancestor::time)]",
    smart_strings=False,
)
_TEXTS_OF_KIND = etree.XPath(
    f"descendant::text()[name({_NEAREST_NON_TEXT}) = $kind]", smart_strings=False
)
# Those XPaths test every text's ancestors, so on a page nested deeper than this a stack walk in
# Python (slower on real pages, but linear) reads the texts instead.
XPATH_TEXT_MAX_DEPTH = 64
_DEEPER_THAN_XPATH_TEXT = etree.XPath(f"boolean({'/*' * (XPATH_TEXT_MAX_DEPTH + 1)})")


def parse_html(markup: str) -> etree._Element:
    """Parse `markup` into one element that holds every top-level node the parser produced,
    comments replaced by BOUNDARY_TAG elements.

    Never raises: markup lxml cannot read (in practice none; an empty or comment-only page
    has no elements) gives an empty document. The caller drops lone surrogates first.
    """
    if _has_late_doctype(markup):
        return _parse_by_events(markup)
    parser = etree.HTMLParser(recover=True, huge_tree=True)
    try:
        parser.feed(markup)
        root = parser.close()
    except (etree.LxmlError, ValueError):
        return _parse_by_events(markup)
    if root is not None and markup.count("<") >= FEW_TAGS and _REACHES_DEPTH_LIMIT(root):
        return _parse_by_events(markup)
    document = etree.Element(DOCUMENT_TAG)
    if root is None:
        return document
    # Content after </html> becomes a second top-level <html>: keep it, as BeautifulSoup does.
    before = reversed(list(root.itersiblings(preceding=True)))
    document.extend([*before, root, *root.itersiblings()])
    # Each comment gives way to a boundary, which takes the text after it: moved inside libxml2,
    # as lxml would refuse some characters (control characters) given back from Python.
    for comment in list(document.iter(etree.Comment, etree.ProcessingInstruction)):
        comment.addprevious(etree.Element(BOUNDARY_TAG))
    etree.strip_elements(document, etree.Comment, etree.ProcessingInstruction, with_tail=False)
    return document


def _has_late_doctype(markup: str) -> bool:
    """Whether a doctype follows anything but whitespace (a second doctype always does)."""
    first = _DOCTYPE_RE.search(markup)
    if first is None:
        return False
    return bool(markup[: first.start()].strip()) or bool(_DOCTYPE_RE.search(markup, first.end()))


def _parse_by_events(markup: str) -> etree._Element:
    """Build the tree from the parser's events, as BeautifulSoup does: no depth limit, and a
    doctype anywhere separates texts.

    About five times slower than lxml's own tree builder, so kept for the pages that need it.
    """
    target = _EventTarget()
    parser = etree.HTMLParser(recover=True, target=target)
    with contextlib.suppress(etree.LxmlError, ValueError):
        parser.feed(markup)
        parser.close()
    return target.finish()


class _EventTarget:
    """An lxml parser target that builds the tree by hand under a DOCUMENT_TAG element.

    Names lxml refuses become "invalid" (no reader looks for them); characters it refuses in
    text and attribute values are replaced. Comments, instructions and doctypes become
    BOUNDARY_TAG elements, as in parse_html.
    """

    def __init__(self) -> None:
        # Each open element with its last child so far (len() on an lxml element counts).
        self._open: list[tuple[etree._Element, etree._Element | None]] = [
            (etree.Element(DOCUMENT_TAG), None)
        ]
        self._pending: list[str] = []

    def start(self, tag: str | bytes, attrib: dict[str | bytes, str | bytes]) -> None:
        self._flush()
        parent = self._open[-1][0]
        try:
            element = etree.SubElement(parent, _str(tag))
        except ValueError:
            element = etree.SubElement(parent, "invalid")
        for key, value in attrib.items():
            with contextlib.suppress(ValueError):
                element.set(_str(key), _xml_text(_str(value)))
        self._open[-1] = (parent, element)
        self._open.append((element, None))

    def end(self, tag: str | bytes) -> None:
        self._flush()
        if len(self._open) > 1:
            self._open.pop()

    def data(self, data: str | bytes) -> None:
        self._pending.append(_str(data))

    def comment(self, text: str | bytes) -> None:
        self._flush()
        parent = self._open[-1][0]
        self._open[-1] = (parent, etree.SubElement(parent, BOUNDARY_TAG))

    def pi(self, target: str, data: str) -> None:
        self.comment(data)

    def doctype(self, name: str, pubid: str, system: str) -> None:
        self.comment(name)  # a text boundary, as a comment is

    def close(self) -> None:
        self._flush()

    def finish(self) -> etree._Element:
        self._flush()
        return self._open[0][0]

    def _flush(self) -> None:
        if not self._pending:
            return
        text = _xml_text("".join(self._pending))
        self._pending.clear()
        parent, last = self._open[-1]
        if last is not None:
            last.tail = (last.tail or "") + text
        else:
            parent.text = (parent.text or "") + text


def _str(value: str | bytes) -> str:
    """lxml hands a str parse's events str; bytes only in theory."""
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def _xml_text(text: str) -> str:
    return _NOT_XML_RE.sub("\ufffd", _NOT_XML_WHITESPACE_RE.sub(" ", text))


def page_text(document: etree._Element, *, min_chars: int) -> str:
    """The page's text, whitespace collapsed, cut after the text node that reaches `min_chars`.

    Callers read only the head of the text (datelines, credits, a language sample); a long
    page stops being read once that head is known.
    """
    parts: list[str] = []
    size = -1  # len(" ".join(parts))
    for string in _texts(document, kind=None):
        if part := " ".join(string.split()):
            parts.append(part)
            size += len(part) + 1
        if size >= min_chars:
            break
    return " ".join(parts)


def short_page_texts(document: etree._Element, *, max_chars: int) -> list[str]:
    """The page's texts of at most `max_chars` characters outside any <time>, in order."""
    if not _near(document, ("time", *NON_TEXT_TAGS)):
        return _strings(_ALL_SHORT_TEXTS, document, max_chars=max_chars)
    if not _is_deep(document):
        return _strings(_SHORT_PAGE_TEXTS, document, max_chars=max_chars)
    return [
        text
        for text, kind, in_time in _walk(document, kind=None)
        if kind is None and not in_time and len(text) <= max_chars
    ]


def text_of(element: etree._Element) -> str:
    """Return the element's text joined by spaces, as BeautifulSoup's `get_text(" ")`."""
    kind = element.tag if element.tag in NON_TEXT_TAGS else None
    if _context(element) != kind:
        return ""  # inside a <script>, <template>, ...: none of it is page text
    return " ".join(_texts(element, kind=kind))


def _texts(top: etree._Element, *, kind: str | None) -> Iterable[str]:
    """The texts under `top` whose nearest non-text element is a `kind` (None: page text)."""
    if kind is None and not _near(top, NON_TEXT_TAGS):
        return _strings(_ALL_TEXTS, top)
    if _is_deep(top):
        return (text for text, found, _ in _walk(top, kind=kind) if found == kind)
    if kind is None:
        return _strings(_PAGE_TEXTS, top)
    return _strings(_TEXTS_OF_KIND, top, kind=kind)


def _near(node: etree._Element, tags: Collection[str]) -> bool:
    """Whether an element of one of `tags` is `node`, holds it or is under it."""
    return (
        next(node.iter(*tags), None) is not None
        or next(node.iterancestors(*tags), None) is not None
    )


def _is_deep(node: etree._Element) -> bool:
    return _DEEPER_THAN_XPATH_TEXT(node) is True


def _walk(top: etree._Element, *, kind: str | None) -> Iterator[tuple[str, str | None, bool]]:
    """Yield (text, kind, whether in a <time>) for every text under `top`, in document order.

    `kind` is the nearest non-text element holding the text at `top` (None: page text).
    """
    stack: list[tuple[str | None, bool]] = []
    for event, node in etree.iterwalk(top, events=("start", "end")):
        if event == "end":
            stack.pop()
            if stack and node.tail:
                yield node.tail, *stack[-1]
            continue
        outer_kind, in_time = stack[-1] if stack else (kind, False)
        node_kind = node.tag if node.tag in NON_TEXT_TAGS else outer_kind
        stack.append((node_kind, in_time or node.tag == "time"))
        if node.text:
            yield node.text, *stack[-1]


def find_all(page: etree._Element, xpath: etree.XPath) -> list[etree._Element]:
    """The elements an XPath selects, in document order.

    For selecting by attribute: libxml2 walks the tree, where a Python loop over every element
    would build a proxy object for each (and on a page nested thousands deep, slowly).
    """
    found = xpath(page)
    if not isinstance(found, list):
        return []
    return [node for node in found if isinstance(node, etree._Element)]


def _strings(xpath: etree.XPath, node: etree._Element, **variables: str | int) -> list[str]:
    found = xpath(node, **variables)
    return [text for text in found if isinstance(text, str)] if isinstance(found, list) else []


def _context(element: etree._Element) -> str | None:
    """The innermost non-text element among `element` and its ancestors, else None."""
    if isinstance(element.tag, str) and element.tag in NON_TEXT_TAGS:
        return element.tag
    ancestor = next(element.iterancestors(*NON_TEXT_TAGS), None)
    return None if ancestor is None else str(ancestor.tag)
