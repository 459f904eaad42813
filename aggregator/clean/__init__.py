"""Clean an article body for a feed reader: its text, images and links, nothing else.

Owns the body's last mile: junk out (ads, share bars, players, self-promotion, tracking pixels,
navigation lines, mirror footers, bylines and datelines that normalize reads separately), repairs
in (fused tag names, a mirror's `<ok href>` links, lazy, proxied and srcset images, relative
URLs), then plain text and a summary. Pure: a string in, a CleanBody out; no I/O, no clock.

lxml parses, and the passes edit lxml's own tree (clean/parse.py, clean/dom.py): libxml2 is
fast and lenient with the broken markup saved pages carry, and builds the tree in C. The rules
read text piece by piece, as they did on the BeautifulSoup tree clean once built from the same
parse; dom.py's edits keep lxml's text pieces apart the same way (seams), so the output is
what it was, byte for byte (tests/test_clean.py checks parser and writer against bs4's).
nh3 (ammonia on html5ever) sanitizes last with an allowlist, so the output is safe even where a
repair rule is wrong: no input, however hostile, yields script in a reader.
Rule tables live in clean/rules.py, URL helpers in clean/urls.py, the tree passes in
clean/tree.py (junk, links, boilerplate), clean/images.py and clean/layout.py (figures,
paragraphs), and clean/render.py writes the markup and the lines of text in one walk.
The passes run per document, so they are written for speed: about 1.1 ms a document on the
benchmark corpus (2.9 ms on the bs4 tree, 6.0 before that). lxml's iterators find tags by
name in C; a pass walks the tree once, or reads every short text once; lxml's element proxies
are held for the whole document; and slow patterns sit behind cheap first tests
(rules.GatedPattern, rules.NOT_IN_DATELINE_RE, urls' finished-URL and proxy tests).
"""

from __future__ import annotations

import re

import nh3

from aggregator.clean import images as cleanimages
from aggregator.clean import layout as cleanlayout
from aggregator.clean import render as cleanrender
from aggregator.clean import tree as cleantree
from aggregator.clean.layout import is_cjk
from aggregator.clean.parse import parse_body
from aggregator.clean.rules import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    CLEAN_CONTENT_TAGS,
    ELLIPSIS,
    HTML_TAGS,
    IMAGE_SCHEMES,
    LINK_REL,
    LINK_SCHEMES,
    SUMMARY_MAX_CHARS,
)
from aggregator.records import CleanBody

__all__ = ["clean_html", "summarize"]

# C0 controls (but tab, newline, carriage return), DEL, lone surrogates and non-characters:
# lxml rejects some, nh3 cannot take surrogates, and none belongs in an article.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
# `<imgfetchpriority="low"`: a tag name run into its first attribute name. (The name is taken
# whole, `*+`, which is fast: a shorter name would be followed by a name character, not "=".)
_FUSED_TAG_RE = re.compile(r"<([A-Za-z][\w:.@-]*+)(?=\s*=)")
_CLOSING_TAG_RE = re.compile(r"</([A-Za-z][\w:.-]*)\s*>")
_SENTENCE_RE = re.compile(r".+?(?:[。！？!?]+[”」』\"'’）)]*|\.[”\"'’)]*(?=\s)|$)\s*", re.DOTALL)


def clean_html(raw_html: str, *, base_url: str) -> CleanBody:
    """Turn a raw article body into sanitized HTML, plain text, a summary and its image URLs.

    `base_url` is the article's URL: relative links and images resolve against it. The text
    includes image captions; the summary starts at the article's first paragraph instead.
    """
    root = parse_body(_prepare_markup(raw_html))
    # lxml gives an element a Python proxy when it is reached and frees it when nothing holds
    # it: holding them all while cleaning spares every pass making them again.
    elements = list(root.iter())[1:]
    cleantree.drop_junk(root, elements)
    cleantree.flatten_deep_nesting(root, elements)
    cleanimages.repair_images(root, base_url=base_url)
    cleantree.repair_links(root, elements, base_url=base_url)
    cleantree.drop_boilerplate(root)
    cleanlayout.make_figures(root)
    cleanimages.drop_duplicate_images(root)
    cleanlayout.tidy(root)
    html, lines = cleanrender.render(root)
    body_lines = [text for text, is_caption in lines if not is_caption]
    return CleanBody(
        html=_sanitize(html),
        text="\n".join(text for text, _ in lines),
        summary=summarize(body_lines or [text for text, _ in lines]),
        images=tuple(dict.fromkeys(cleanimages.image_sources(root))),
    )


def summarize(lines: list[str], *, max_chars: int = SUMMARY_MAX_CHARS) -> str:
    """The first sentences of `lines` that fit in `max_chars`, with … when text was cut."""
    text = _join_lines(lines)
    if len(text) <= max_chars:
        return text
    summary = ""
    for match in _SENTENCE_RE.finditer(text):  # lazily: only the first sentences count
        sentence = match.group()
        if len(summary) + len(sentence.rstrip()) > max_chars:
            break
        summary += sentence
    if not summary.strip():
        summary = _cut_at_word(text, max_chars)
    return summary.rstrip() + ELLIPSIS


def _prepare_markup(raw_html: str) -> str:
    """Drop control characters and split fused tag names, before lxml sees the markup."""
    markup = _CONTROL_RE.sub("", raw_html.replace("\x0c", " "))
    if _FUSED_TAG_RE.search(markup) is None:  # the common case: nothing fused
        return "<body>" + markup
    known = HTML_TAGS | {name.lower() for name in _CLOSING_TAG_RE.findall(markup)}

    def split_fused(match: re.Match[str]) -> str:
        name = match.group(1)
        lowered = name.lower()
        for cut in range(len(name) - 1, 0, -1):  # the longest known tag name wins
            if lowered[:cut] in known and (name[cut].isalpha() or name[cut] in "@_:"):
                return f"<{name[:cut]} {name[cut:]}"
        return match.group(0)

    # "<body>" first: a fragment that looks like a URL or an XML file stays a fragment.
    return "<body>" + _FUSED_TAG_RE.sub(split_fused, markup)


def _join_lines(lines: list[str]) -> str:
    joined = ""
    for line in lines:
        if joined and not (is_cjk(joined[-1]) or is_cjk(line[0])):
            joined += " "
        joined += line
    return joined


def _cut_at_word(text: str, max_chars: int) -> str:
    cut = text[:max_chars]
    space = cut.rfind(" ")
    return cut[:space] if space > max_chars // 2 else cut


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """nh3 hook: an image may only load over http(s); mailto is for links."""
    if tag == "img" and attribute == "src":
        scheme = value.split(":", 1)[0].strip().lower()
        return value if scheme in IMAGE_SCHEMES else None
    return value


_SANITIZER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    clean_content_tags=CLEAN_CONTENT_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    attribute_filter=_filter_attribute,
    url_schemes=LINK_SCHEMES,
    link_rel=LINK_REL,
    strip_comments=True,
    url_relative="deny",  # every URL was made absolute; a relative one left is a mistake
)


def _sanitize(html: str) -> str:
    return _SANITIZER.clean(html).strip()
