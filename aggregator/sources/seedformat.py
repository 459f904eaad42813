"""Split the text of one seed file into a SeedDoc.

Owns the two seed formats of DESIGN.md and their real-world variants:

- feed archive: `<!--1694537101000-->`, `[title](url)`, `------`, raw HTML;
- mirror page: `### title`, `---`, one navigation line, HTML, `---`, `原文链接（需翻墙）：URL`.

Tolerated: a BOM, CRLF or CR line ends, blank lines around the header lines, leading
whitespace, line 1 in seconds, milliseconds or microseconds (told apart by magnitude) or as an
ISO date-time, a title holding `]` or markdown escapes, footer variants (full- or half-width
colon and brackets, with or without 需翻墙, Traditional 連結). Anything else raises
SeedFormatError with a specific reason.

Pure: takes text, returns a record. Decoding bytes is seeds.py's job. Plain `re` is enough:
the formats are line-based, and the HTML part is passed on untouched.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

from aggregator.errors import SeedFormatError
from aggregator.records import SeedDoc

# Line-1 numbers below this are seconds, below the next milliseconds, else microseconds.
SECONDS_BELOW = 10**11
MILLISECONDS_BELOW = 10**14
MAX_STAMP_DIGITS = 20  # microseconds until 2100 take 16 digits
EARLIEST_STAMP = datetime(1990, 1, 1, tzinfo=UTC)
LATEST_STAMP = datetime(2100, 1, 1, tzinfo=UTC)

STAMP_LINE_RE = re.compile(r"^<!--\s*(?P<value>.*?)\s*-->$")
# Greedy title: a title may itself hold "](", the URL is what follows the last one.
LINK_LINE_RE = re.compile(r'^\[(?P<title>.*)\]\(\s*<?(?P<url>[^\s<>]+)>?(?:\s+"[^"]*")?\s*\)$')
RULE_RE = re.compile(r"^-{3,}$")
HEADING_RE = re.compile(r"^#{1,6}[ \t]+(?P<title>.*?)(?:[ \t]+#+)?$")
FOOTER_RE = re.compile(
    r"^原文(?:链接|鏈接|連結|链结|網址|网址|地址)\s*"
    r"(?:[（(]\s*需翻[墙牆]\s*[）)])?\s*[:：]?\s*(?P<url>\S*)$"
)
MARKDOWN_ESCAPE_RE = re.compile(r"\\([!-/:-@\[-`{-~])")


def parse_seed(text: str, *, path: str) -> SeedDoc:
    """Split seed `text` (read from `path`) into title, URL, HTML and time stamp.

    Raises:
        SeedFormatError: the text is in neither format, or a part is missing or malformed.
    """
    lines = _Lines(text)
    first = lines.next_content(0)
    if first is None:
        raise SeedFormatError(path, "empty file")
    head = lines.stripped(first)
    stamp_line = STAMP_LINE_RE.match(head)
    if stamp_line and stamp_line.group("value")[:1].isdigit():
        return _parse_archive(lines, first, path=path)
    if LINK_LINE_RE.match(head):  # an archive whose line 1 was left out
        return _parse_archive(lines, first, path=path)
    if HEADING_RE.match(head):
        return _parse_mirror(lines, first, path=path)
    raise SeedFormatError(path, "neither feed-archive nor mirror format")


class _Lines:
    """The file's lines as written (for the HTML) and stripped (to recognise header lines).

    A line is stripped when first asked for: the format reads a few lines at either end, and
    the HTML between them is passed on as written.
    """

    def __init__(self, text: str) -> None:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        self.raw = text.split("\n")
        self._stripped: list[str | None] = [None] * len(self.raw)

    def stripped(self, index: int) -> str:
        line = self._stripped[index]
        if line is None:
            line = self._stripped[index] = self.raw[index].strip().lstrip("\ufeff").strip()
        return line

    def next_content(self, start: int) -> int | None:
        for index in range(start, len(self.raw)):
            if self.stripped(index):
                return index
        return None

    def previous_content(self, before: int) -> int | None:
        for index in range(before - 1, -1, -1):
            if self.stripped(index):
                return index
        return None

    def joined(self, start: int, stop: int) -> str:
        return "\n".join(self.raw[start:stop]).strip().lstrip("\ufeff")


def _parse_archive(lines: _Lines, first: int, *, path: str) -> SeedDoc:
    stamp: datetime | None = None
    link_at = first
    if stamp_line := STAMP_LINE_RE.match(lines.stripped(first)):
        after_stamp = lines.next_content(first + 1)
        if after_stamp is None:
            raise SeedFormatError(path, "truncated: feed archive ends after line 1")
        stamp = _parse_stamp(stamp_line.group("value"), path=path)
        link_at = after_stamp
    link = LINK_LINE_RE.match(lines.stripped(link_at))
    if link is None:
        if lines.stripped(link_at).startswith("[") and lines.next_content(link_at + 1) is None:
            raise SeedFormatError(path, "truncated: feed archive ends inside line 2")
        raise SeedFormatError(path, "feed archive: line 2 is not a [title](url) link")
    url = _checked_url(link.group("url"), path=path)
    title = _unescape_markdown(link.group("title")).strip()

    rule_at = lines.next_content(link_at + 1)
    if rule_at is None:
        raise SeedFormatError(path, "truncated: feed archive ends after the [title](url) line")
    body_start = rule_at + 1
    if not RULE_RE.match(lines.stripped(rule_at)):
        # Some archivers omit the rule; HTML right after the link is still unambiguous.
        if not lines.stripped(rule_at).startswith("<"):
            raise SeedFormatError(path, "feed archive: line 3 is not a ------ rule")
        body_start = rule_at
    html = lines.joined(body_start, len(lines.raw))
    if not html:
        raise SeedFormatError(path, "no article HTML")
    return SeedDoc(path=path, format="archive", title=title, url=url, html=html, stamp=stamp)


def _parse_stamp(value: str, *, path: str) -> datetime:
    # isdecimal, not isdigit: int() refuses digits like "²" (issue 6).
    if value.isdecimal():
        if len(value) > MAX_STAMP_DIGITS:  # int() refuses over 4300 digits; none is a time
            raise SeedFormatError(path, f"feed archive: line 1 time {value[:40]}… out of range")
        number = int(value)
        if number < SECONDS_BELOW:
            seconds = float(number)
        elif number < MILLISECONDS_BELOW:
            seconds = number / 1_000
        else:
            seconds = number / 1_000_000
        try:
            stamp = datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise SeedFormatError(path, f"feed archive: line 1 time {value} out of range") from None
    else:
        try:
            stamp = datetime.fromisoformat(value)
        except ValueError:
            raise SeedFormatError(
                path, f"feed archive: line 1 is not a time stamp: {value[:40]!r}"
            ) from None
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=UTC)
    if not EARLIEST_STAMP <= stamp < LATEST_STAMP:
        raise SeedFormatError(path, f"feed archive: line 1 time {value} out of range")
    return stamp


def _parse_mirror(lines: _Lines, first: int, *, path: str) -> SeedDoc:
    heading = HEADING_RE.match(lines.stripped(first))
    assert heading is not None  # parse_seed only calls us on a heading line
    title = _unescape_markdown(heading.group("title")).strip()

    url_text, footer_at = _footer_url(lines)
    if url_text is None:
        if not any(RULE_RE.match(lines.stripped(i)) for i in range(first, len(lines.raw))):
            raise SeedFormatError(path, "neither feed-archive nor mirror format")
        raise SeedFormatError(
            path, "truncated: mirror page does not end with a 原文链接 footer line"
        )
    url = _checked_url(url_text, path=path)

    start = _skip_rule(lines, first + 1, step=1)
    stop = _skip_rule(lines, footer_at - 1, step=-1) + 1
    if start < stop and not lines.stripped(start).startswith("<"):
        start += 1  # the mirror's navigation line, not article content
    html = lines.joined(start, stop) if start < stop else ""
    if not html:
        raise SeedFormatError(path, "no article HTML")
    return SeedDoc(path=path, format="mirror", title=title, url=url, html=html)


def _footer_url(lines: _Lines) -> tuple[str | None, int]:
    """Return the footer's URL text (None when there is no footer) and its first line."""
    last = lines.previous_content(len(lines.raw))
    if last is None:
        return None, 0
    if footer := FOOTER_RE.match(lines.stripped(last)):
        url = footer.group("url")
        return (_link_target(url) if url else None), last
    # Variant: the label on one line, the bare URL alone on the next.
    before = lines.previous_content(last)
    label = FOOTER_RE.match(lines.stripped(before)) if before is not None else None
    if before is not None and label and not label.group("url"):
        return _link_target(lines.stripped(last)), before
    return None, last


def _skip_rule(lines: _Lines, index: int, *, step: int) -> int:
    """From `index`, walk past blank lines, one --- rule, and blank lines again."""

    def blank(i: int) -> bool:
        return 0 <= i < len(lines.raw) and not lines.stripped(i)

    while blank(index):
        index += step
    if 0 <= index < len(lines.raw) and RULE_RE.match(lines.stripped(index)):
        index += step
    while blank(index):
        index += step
    return index


def _link_target(text: str) -> str:
    """Return the URL of `url`, `<url>` or a markdown `[text](url)`."""
    if text.startswith("[") and "](" in text and text.endswith(")"):
        text = text[text.rindex("](") + 2 : -1]
    return text.strip().strip("<>")


def _checked_url(url: str, *, path: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        raise SeedFormatError(path, f"malformed URL: {url[:200]!r}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise SeedFormatError(path, f"URL is not http(s): {url[:200]!r}")
    return url


def _unescape_markdown(text: str) -> str:
    return MARKDOWN_ESCAPE_RE.sub(r"\1", text)
