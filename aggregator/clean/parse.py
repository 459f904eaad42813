"""Parse an article body into the tree `BeautifulSoup(markup, "lxml")` builds, in less time.

BeautifulSoup's lxml builder runs lxml's parser with itself as the target: one Python call per
start tag, end tag and text run, each going through bs4's namespace and string bookkeeping.
Here lxml builds its own tree in C (the same libxml2 parser, options and markup), and one walk
turns it into bs4 objects, linked the way bs4's builder links them: in document order, with
whitespace-only strings cut to " " or "\\n" outside <pre>/<textarea>, and the special string
classes bs4 uses inside <script>, <style>, <template>, <rt> and <rp>.
The two trees differ where libxml2's tree builder adds, moves or drops what bs4 keeps as it
comes (a value for a bare boolean attribute, a doctype or processing instruction placed apart
from the text, text after </html>, elements nested 256 deep): such markup goes to
BeautifulSoup itself, and tests/test_clean.py compares the two trees node for node.
Pure: a string in, a tree out.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from lxml import etree

__all__ = ["parse_html"]

# Doctypes, CDATA sections and processing instructions (anything `<!` or `<?` but a comment):
# bs4 keeps them in the text flow, lxml's tree keeps them aside. And text after `</html>`:
# bs4 puts it beside <html>, lxml's tree drops it.
_UNUSUAL_MARKUP_RE = re.compile(r"<(?:!(?!--)|\?|/html)", re.IGNORECASE)
# libxml2 gives these a value when they have none (`<input disabled>` -> disabled="disabled");
# through bs4's builder they stay empty. Seen with their own name as value, bs4 decides.
_BOOLEAN_ATTRIBUTES = frozenset(
    {
        "checked",
        "compact",
        "declare",
        "defer",
        "disabled",
        "ismap",
        "multiple",
        "nohref",
        "noresize",
        "noshade",
        "nowrap",
        "readonly",
        "selected",
    }
)
_ASCII_SPACES = "\x20\x0a\x09\x0c\x0d"  # BeautifulSoup.ASCII_SPACES
# libxml2's tree builder cuts a text node at 10 MB; far below that, bs4 builds the tree.
_MAX_CHARS = 1_000_000
# libxml2's tree builder silently drops elements nested 256 deep, which bs4's builder keeps:
# from well before that depth, bs4 builds the tree (broken markup only; see flatten_deep_nesting).
_MAX_DEPTH = 200


class _Unsupported(Exception):
    """Markup whose bs4 tree this module does not reproduce."""


def parse_html(markup: str) -> BeautifulSoup:
    """The tree of `BeautifulSoup(markup, "lxml", multi_valued_attributes=None)`."""
    if len(markup) <= _MAX_CHARS and _UNUSUAL_MARKUP_RE.search(markup) is None:
        try:
            return _Builder(markup).soup
        except (_Unsupported, etree.LxmlError, UnicodeError, LookupError, ValueError):
            pass  # BeautifulSoup decides, as it always did: a tree or ParserRejectedMarkup
    return BeautifulSoup(markup, "lxml", multi_valued_attributes=None)


class _Builder:
    """One parse: lxml's tree, copied into a fresh BeautifulSoup object."""

    def __init__(self, markup: str) -> None:
        parser = etree.HTMLParser(recover=True, huge_tree=False)  # bs4's options, minus target
        parser.feed(markup)
        root = parser.close()
        if (
            root is None
            or root.getprevious() is not None
            or root.getnext() is not None
            or root.tail
        ):
            raise _Unsupported("content outside the root element")
        self.soup = BeautifulSoup("", "lxml", multi_valued_attributes=None)
        builder = self.soup.builder
        self.string_containers = builder.string_containers
        self.preserve_whitespace_tags = builder.preserve_whitespace_tags
        # What bs4's lxml builder hands each Tag (the `xml` prefix only, for HTML).
        self.namespaces: dict[str, str] = vars(builder)["active_namespace_prefixes"][-1]
        self.previous: Tag | NavigableString | None = None  # bs4's _most_recent_element
        self._add_element(root, self.soup, NavigableString, False, 0)

    def _add_element(
        self,
        element: etree._Element,
        parent: Tag,
        string_class: type[NavigableString],
        preserve: bool,
        depth: int,
    ) -> None:
        name = element.tag
        if not isinstance(name, str) or name[:1] == "{" or depth > _MAX_DEPTH:
            raise _Unsupported("namespaced or deeply nested element")
        attrs: dict[str, str] = {}
        for key, value in element.items():
            if not isinstance(key, str) or not isinstance(value, str) or key[:1] == "{":
                raise _Unsupported("namespaced attribute")
            if key in _BOOLEAN_ATTRIBUTES and value == key:
                raise _Unsupported("boolean attribute")
            attrs[key] = value
        tag = Tag(
            self.soup,
            self.soup.builder,
            name,
            None,
            None,
            attrs,
            parent,
            self.previous,
            namespaces=self.namespaces,
        )
        parent.contents.append(tag)
        self.previous = tag
        string_class = self.string_containers.get(name, string_class)
        preserve = preserve or name in self.preserve_whitespace_tags
        if element.text:
            self._add_string(element.text, tag, string_class, preserve)
        for child in element:
            if isinstance(child, etree._Comment):
                self._add_string(child.text or "", tag, Comment, preserve)
            elif isinstance(child.tag, str):
                self._add_element(child, tag, string_class, preserve, depth + 1)
            else:
                raise _Unsupported("processing instruction or entity")
            if child.tail:
                self._add_string(child.tail, tag, string_class, preserve)

    def _add_string(
        self, text: str, parent: Tag, string_class: type[NavigableString], preserve: bool
    ) -> None:
        if not preserve and not text.strip(_ASCII_SPACES):
            text = "\n" if "\n" in text else " "
        string = string_class(text)
        string.setup(parent, self.previous)
        parent.contents.append(string)
        self.previous = string
