"""Checks that a feed file is valid Atom 1.0 (RFC 4287) and parses cleanly with feedparser."""

from __future__ import annotations

import re
from typing import Any

import feedparser
from lxml import etree

ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
IRI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$")


def assert_valid_atom(data: bytes) -> Any:
    """Assert RFC 4287 structure and a bozo-free feedparser parse; return the parsed feed."""
    root = etree.fromstring(data)
    assert root.tag == f"{ATOM}feed"
    _assert_common(root, "feed")
    selfs = [link for link in root.findall(f"{ATOM}link") if link.get("rel") == "self"]
    assert len(selfs) == 1 and IRI.match(selfs[0].get("href", ""))
    for entry in root.findall(f"{ATOM}entry"):
        _assert_common(entry, "entry")
        content = entry.find(f"{ATOM}content")
        assert content is not None and content.get("type") == "html"
        for date in entry.findall(f"{ATOM}published"):
            assert RFC3339.match(date.text or ""), date.text
    parsed = feedparser.parse(data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def _assert_common(element: Any, what: str) -> None:
    for name in ("id", "title", "updated"):
        found = element.findall(f"{ATOM}{name}")
        assert len(found) == 1, f"{what} has {len(found)} <{name}>"
    assert IRI.match(element.find(f"{ATOM}id").text or ""), f"{what} id is not an IRI"
    assert RFC3339.match(element.find(f"{ATOM}updated").text or ""), f"{what} updated not RFC 3339"
