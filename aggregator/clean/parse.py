"""Parse an article body into the lxml tree the clean passes edit (see clean/dom.py).

lxml builds its tree in C with libxml2's HTML parser: the same parser, options and markup
BeautifulSoup's lxml builder used when clean ran on bs4, so the same elements and text
(tests/test_clean.py compares the two). Where libxml2's tree builder drops what the parse
events carry (a doctype in the text, which kept the text around it apart; anything nested 255
deep; text nodes over 10 MB), the tree is built here from the parse events instead, as bs4's
builder built it. Comments become seams; characters lxml cannot store are dropped.
Pure: a string in, a tree out (each thread reuses its own parser object).
"""

from __future__ import annotations

import contextlib
import re
import threading

from lxml import etree

from aggregator.clean.dom import SEAM, Element, attribute_items

__all__ = ["parse_body"]

# A doctype in the text (as libxml2 reads one: ASCII letters in any case): the tree builder
# drops it and joins the text around it. (Spelt out, the pattern starts with a literal, which
# re finds fast.)
_DOCTYPE_RE = re.compile("<![Dd][Oo][Cc][Tt][Yy][Pp][Ee]")
# libxml2's tree builder cuts a text node at 10 MB; far below that, the events build the tree.
_MAX_CHARS = 1_000_000
# libxml2's tree builder drops elements nested 255 deep: from well before that, events decide.
_MAX_DEPTH = 200
_TOO_DEEP = etree.XPath(f"boolean({'/'.join(['*'] * _MAX_DEPTH)})")
_PARSERS = threading.local()
# Characters lxml refuses in text and attribute values (XML excludes them). clean drops them
# from the markup first, but a character reference can still write one (`&#8;`): such text
# is dropped too, like the characters themselves, rather than crash an edit of its text.
_REFUSED_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# A character reference that may stand for one (decimal up to 31 or 65534-5, hex up to 1F or
# FFFE-F; libxml2 turns 0 and surrogates into U+FFFD).
_REFUSED_REFERENCE_RE = re.compile(
    r"&#(?:0*(?:[12]?[0-9]|3[01]|6553[45])(?![0-9])|[xX]0*(?:1?[0-9a-fA-F]|[fF]{3}[eEfF])"
    r"(?![0-9a-fA-F]))"
)
# Name characters lxml refuses in an element or attribute name (`o:p`, `xml:lang`, `"x"`).
_INVALID_NAME_CHARS_RE = re.compile(r"[^\w.-]")


def parse_body(markup: str) -> Element:
    """The <body> element of `markup` (the root element if there is no body)."""
    if len(markup) <= _MAX_CHARS and _DOCTYPE_RE.search(markup) is None:
        try:
            body = _body_of(_parse_tree(markup))
        except (etree.LxmlError, ValueError):
            pass  # the parse events decide
        else:
            # Nesting is never deeper than the number of tags: count those first, in C.
            if markup.count("<") < _MAX_DEPTH or not _TOO_DEEP(body):
                if _REFUSED_REFERENCE_RE.search(markup):
                    _drop_refused_characters(body)
                return body
    return _body_of(_parse_events(markup))


def _parse_tree(markup: str) -> Element:
    parser = _tree_parser()
    try:
        parser.feed(markup)
        root = parser.close()
    except BaseException:
        _PARSERS.parser = None  # a parser that failed halfway is not used again
        raise
    for node in list(root.iter(etree.Comment, etree.ProcessingInstruction, etree.Entity)):
        parent = node.getparent()
        if parent is not None:
            seam = parent.makeelement(SEAM, {})
            seam.tail = node.tail
            parent.replace(node, seam)
    return root


def _tree_parser() -> etree.HTMLParser:
    """This thread's parser: one parser serves document after document (a parser costs a
    tenth of a parse to make), but never two threads at once."""
    parser: etree.HTMLParser | None = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = etree.HTMLParser(recover=True, huge_tree=False)
    return parser


def _drop_refused_characters(root: Element) -> None:
    """Take the characters lxml refuses out of the text and attribute values in `root`."""
    for element in root.iter():
        if element.text and _REFUSED_RE.search(element.text):
            element.text = _REFUSED_RE.sub("", element.text) or None
        if element.tail and _REFUSED_RE.search(element.tail):
            element.tail = _REFUSED_RE.sub("", element.tail) or None
        for key, value in attribute_items(element):
            if _REFUSED_RE.search(value):
                element.set(key, _REFUSED_RE.sub("", value))


def _body_of(root: Element) -> Element:
    body = root.find("body")
    return root if body is None else body


def _parse_events(markup: str) -> Element:
    builder = _TreeBuilder()
    parser = etree.HTMLParser(recover=True, huge_tree=False, target=builder)
    parser.feed(markup)
    parser.close()
    return builder.root if builder.root is not None else etree.Element("html")


class _TreeBuilder:
    """An lxml parser target that builds the tree from parse events, as bs4's builder did.

    Elements nest as their events do; a comment, instruction or doctype leaves a seam; what
    comes after the root element ends is dropped (it was never part of the body). (Names and
    text come as str from the HTML parser; lxml's target protocol also allows bytes.)
    """

    def __init__(self) -> None:
        self.root: Element | None = None
        self.open: list[Element] = []
        self.done = False

    def start(self, tag: str | bytes, attrib: dict[str | bytes, str | bytes]) -> None:
        if self.done:
            return
        element = _new_element(self.open[-1] if self.open else None, _str(tag), attrib)
        if self.root is None:
            self.root = element
        self.open.append(element)

    def end(self, tag: str | bytes) -> None:
        if self.open:
            self.open.pop()
            self.done = not self.open

    def data(self, data: str | bytes) -> None:
        if self.open and not self.done:
            parent, text = self.open[-1], _REFUSED_RE.sub("", _str(data))
            if len(parent):
                last = parent[-1]
                last.tail = (last.tail or "") + text
            else:
                parent.text = (parent.text or "") + text

    def comment(self, text: str | bytes) -> None:
        self._seam()

    def pi(self, target: str | bytes, data: str | bytes | None = None) -> None:
        self._seam()

    def doctype(
        self, name: str | bytes, pubid: str | bytes | None, system: str | bytes | None
    ) -> None:
        self._seam()

    def close(self) -> None:
        return None

    def _seam(self) -> None:
        if self.open and not self.done:
            parent = self.open[-1]
            parent.append(parent.makeelement(SEAM, {}))


def _str(text: str | bytes) -> str:
    return text if isinstance(text, str) else text.decode()


def _new_element(
    parent: Element | None, tag: str, attrib: dict[str | bytes, str | bytes]
) -> Element:
    """A new element under `parent`, its names made valid for lxml where they are not.

    Characters lxml refuses become "_": no rule reads them (rules look for words, `-` and
    `data-` prefixes), and the sanitizer drops such elements and attributes anyway.
    """
    try:
        element = _element(parent, _valid_name(tag))
    except ValueError:  # a name lxml refuses even so
        element = _element(parent, "_")
    for key, value in attrib.items():
        # A name lxml refuses even so: no rule reads it, and the sanitizer drops it.
        with contextlib.suppress(ValueError):
            element.set(_valid_name(_str(key)), _REFUSED_RE.sub("", _str(value)))
    return element


def _element(parent: Element | None, name: str) -> Element:
    return etree.Element(name) if parent is None else etree.SubElement(parent, name)


def _valid_name(name: str) -> str:
    name = _INVALID_NAME_CHARS_RE.sub("_", name)
    return name if name[:1].isalpha() or name[:1] == "_" else f"_{name}"
