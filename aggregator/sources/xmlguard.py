"""Refuse, before any parser reads them, feed documents built to make feedparser hang or blow up.

Pure: the bytes of a feed and the response headers in, the bytes to hand feedparser and the
UTF-8 text it would parse (or the reason they are refused) out. feedformat.py calls it first
thing, for either of its parsers; nothing else should need it.

Why a guard in front of the parser rather than limits inside it: feedparser (6.0) has no knobs
for any of this, and each cost below grows faster than the document, so the 5 MiB response cap
alone does not bound the time a hostile feed takes (issue 6; tests/test_hostile_xml.py holds
one regression test per row):

| markup | cost in feedparser | here |
|---|---|---|
| `<!ENTITY` in the DOCTYPE | billion laughs, quadratic blowup; XXE | refused |
| `<!ATTLIST` in the DOCTYPE | defaults added to every element (so, attributes) | refused |
| a long first line starting `<?` | its encoding regex is cubic in that line | break after `?>` |
| many attributes on one tag | each looked up by a scan of the others | MAX_ATTRIBUTES |
| many `xmlns:` prefixes | all scanned per element, unknown namespace | MAX_NAMESPACE_PREFIXES |
| nested relative `xml:base` | each URL resolved below walks the path so far | MAX_BASE_SLASHES |
| very many tags | linear, but up to ~6 us a byte: ~30 s at the 5 MiB cap | MAX_TAGS |

Everything is checked on the text feedparser will actually parse: its own encoding detection
(`feedparser.encodings.convert_to_utf8`) is run first, so a declaration spelled in UTF-7 or
UTF-16 without a BOM is seen like any other. That text (UTF-8) and the detection's verdict come
back with the bytes, so feedformat's lxml path reads exactly what feedparser would, without
detecting the encoding again. The scans are linear (possessive regexes, no backtracking; about
0.02 ms per 13 KB item) and err on the side of seeing markup: comments, CDATA sections and
declarations are skipped the way the more lenient of feedparser's two parsers skips them, and a
`<` always starts a new tag, so nothing the parsers will read as a tag can hide inside something
else. The limits hold whichever parser reads the document: lxml needs none of them, but a
document refused here is refused, not handed to a parser that would accept it.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from dataclasses import dataclass

from feedparser.encodings import convert_to_utf8

# The XML declaration (or a first processing instruction) must end within this many characters
# when the first line is longer: feedparser's RE_XML_PI_ENCODING (`^<\?.*encoding=...`) is
# cubic in the length of the first line, so a line break goes right after the `?>`.
MAX_DECLARATION_CHARS = 1024
# Per start tag, namespace declarations aside. The strict parser resolves every attribute by
# scanning the tag's attribute list (xml.sax's AttributesNSImpl.getValueByQName): quadratic.
MAX_ATTRIBUTES = 64
# Distinct `xmlns:prefix` names in a document. The strict parser scans all declared prefixes
# for each element in a namespace it does not know (feedparser/parsers/strict.py).
MAX_NAMESPACE_PREFIXES = 64
# Every "<" counts (tags, end tags, comments, CDATA sections as one each; a stray "<" too).
# Real feeds stay far below it (a 2000-episode podcast has ~80,000); past it, feedparser would
# spend over ~10 s on one core, and up to ~30 s on 5 MiB of nothing but tags.
MAX_TAGS = 200_000
# `/` in one absolute xml:base value, and in all path-relative ones of a document together.
# Relative values nest; every relative URL resolved below walks the segments built so far.
MAX_BASE_SLASHES = 64

ENTITY_REASON = "document declares XML entities (<!ENTITY>): refused as hostile"
ATTLIST_REASON = "document declares XML attribute defaults (<!ATTLIST>): refused as hostile"

# How feedparser sniffs the encoding before it reads the XML declaration
# (feedparser/encodings.py): a byte-order mark, which it drops, ...
BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_BE, "utf-32be"),
    (codecs.BOM_UTF32_LE, "utf-32le"),
    (codecs.BOM_UTF16_BE, "utf-16be"),
    (codecs.BOM_UTF16_LE, "utf-16le"),
    (codecs.BOM_UTF8, "utf-8"),
)
# ... or how "<?xm" looks, which it keeps.
DECLARATION_MARKERS = (
    (b"\x4c\x6f\xa7\x94", "cp037"),
    (b"\x00\x3c\x00\x3f", "utf-16be"),
    (b"\x3c\x00\x3f\x00", "utf-16le"),
    (b"\x00\x00\x00\x3c", "utf-32be"),
    (b"\x3c\x00\x00\x00", "utf-32le"),
)
RAW = "latin-1"  # no BOM, no marker: feedparser's regex reads the bytes as they are

# The prolog: whitespace, the XML declaration and processing instructions, comments.
PROLOG_MISC_RE = re.compile(r"(?:\s++|<\?.*?\?>|<!--.*?-->)*+", re.DOTALL)
# A whole DOCTYPE, internal subset included; quoted strings may hold "]" and ">". Possessive
# quantifiers keep it linear on hostile input.
DOCTYPE_RE = re.compile(
    r"""<!DOCTYPE(?:[^"'\[>]++|"[^"]*+"|'[^']*+'|\[(?:[^"'\]]++|"[^"]*+"|'[^']*+')*+\])*+>""",
    re.IGNORECASE,
)
DOCTYPE_START_RE = re.compile(r"<!DOCTYPE", re.IGNORECASE)
ENTITY_DECL_RE = re.compile(r"<!ENTITY", re.IGNORECASE)
ATTLIST_DECL_RE = re.compile(r"<!ATTLIST", re.IGNORECASE)
# How the first characters of an XML document look in the wide encodings (no BOM).
WIDE_ENCODINGS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00", "utf-16-le"),
    (b"\x00<", "utf-16-be"),
)

# One piece of markup, or a stray "<"; only a start tag has group 1, its attributes. A comment
# ends at "--", optional space, ">" (the loose parser's rule; the strict one refuses "--" inside
# comments); a declaration, PI or end tag ends at the next "<" or ">"; a quoted value never
# holds "<" (XML forbids it), so every "<" the parsers may read as a tag starts a match here.
# Comments and CDATA sections are read in runs of characters that cannot end them (a lazy `.*?`
# would try the terminator at every character: 20x slower on a feed of CDATA bodies).
MARKUP_RE = re.compile(
    rb"<!--(?:[^-]++|-(?!-\s*+>))*+(?:--\s*+>|\Z)"
    rb"|<!\[CDATA\[(?:[^\]]++|\](?!\]>))*+(?:\]\]>|\Z)"
    rb"|<[!?/][^<>]*+"
    rb"""|<[^\s<>/!?]++((?:[^<>"']++|"[^"<]*+"|'[^'<]*+')*+)"""
    rb"|<",
    re.DOTALL,
)
ATTRIBUTE_RE = re.compile(rb"""([^\s=<>"']++)\s*+=\s*+("[^"<]*+"|'[^'<]*+'|[^\s"'<>]*+)""")
WORTH_A_LOOK_RE = re.compile(rb"xmlns|base", re.IGNORECASE)
SCHEME_RE = re.compile(rb"[A-Za-z][A-Za-z0-9+.-]*:")


@dataclass(frozen=True, slots=True)
class Refused:
    """Why a document is not handed to a parser."""

    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Guarded:
    """A document that passed: what to hand feedparser, and what feedparser would parse."""

    data: bytes  # the bytes themselves, or a copy with a line break after the declaration
    utf8: bytes  # feedparser's convert_to_utf8(data): UTF-8, with a UTF-8 XML declaration
    encoding: str  # the encoding it was read in; "" if none worked (then utf8 is not UTF-8)
    # What convert_to_utf8 found wrong (CharacterEncodingOverride, NonXMLContentType ...).
    problem: Exception | None


def guard_markup(data: bytes, *, headers: Mapping[str, str]) -> Guarded | Refused:
    """What to parse of a feed served with `headers`, or why not to parse it."""
    defused = _with_short_first_line(data)
    if defused is None:
        return Refused(
            f"XML declaration longer than {MAX_DECLARATION_CHARS} characters"
            " on a longer first line: refused as hostile"
        )
    # What feedparser will parse: its own choice of encoding, converted to UTF-8.
    verdict: dict[str, object] = {}
    parsed = convert_to_utf8(dict(headers), defused, verdict)
    if has_entity_declarations(parsed):
        return Refused(ENTITY_REASON)
    if _declares_in_doctype(_markup_text(parsed), ATTLIST_DECL_RE):
        return Refused(ATTLIST_REASON)
    reason = markup_limit_exceeded(parsed)
    if reason is not None:
        return Refused(reason)
    problem = verdict.get("bozo_exception")
    return Guarded(
        data=defused,
        utf8=parsed,
        encoding=str(verdict.get("encoding") or ""),
        problem=problem if isinstance(problem, Exception) else None,
    )


def has_entity_declarations(data: bytes) -> bool:
    """Whether the document's prolog declares XML entities.

    Scans the prolog only (cheap, linear) and errs on the side of refusing: a DOCTYPE it
    cannot delimit counts as declaring entities if `<!ENTITY` follows it anywhere.
    """
    return _declares_in_doctype(_markup_text(data), ENTITY_DECL_RE)


def markup_limit_exceeded(text: bytes) -> str | None:
    """Which limit on tags the UTF-8 `text` exceeds (see the module docstring), if any."""
    prefixes: set[bytes] = set()
    relative_slashes = 0
    for count, match in enumerate(MARKUP_RE.finditer(text), start=1):
        if count > MAX_TAGS:
            return f"more than {MAX_TAGS} tags: refused as hostile"
        attributes = match.group(1)
        if not attributes:
            continue
        if attributes.count(b"=") <= MAX_ATTRIBUTES and not WORTH_A_LOOK_RE.search(attributes):
            continue
        pairs = [(name.lower(), value) for name, value in ATTRIBUTE_RE.findall(attributes)]
        # Namespace declarations reach the strict parser apart from the attributes.
        if sum(1 for name, _ in pairs if not name.startswith(b"xmlns")) > MAX_ATTRIBUTES:
            return f"a tag has more than {MAX_ATTRIBUTES} attributes: refused as hostile"
        for name, quoted in pairs:
            value = quoted.strip(b"\"'")
            if name.startswith(b"xmlns:"):
                prefixes.add(name)
                if len(prefixes) > MAX_NAMESPACE_PREFIXES:
                    return (
                        f"more than {MAX_NAMESPACE_PREFIXES} namespace prefixes: refused as hostile"
                    )
            elif name in (b"xml:base", b"base"):
                slashes = value.count(b"/")
                if value.startswith(b"/") or SCHEME_RE.match(value):
                    too_many = slashes > MAX_BASE_SLASHES
                else:
                    relative_slashes += slashes
                    too_many = relative_slashes > MAX_BASE_SLASHES
                if too_many:
                    return f"xml:base paths deeper than {MAX_BASE_SLASHES}: refused as hostile"
    return None


def _with_short_first_line(data: bytes) -> bytes | None:
    """`data`, with a line break after its XML declaration if its first line is long.

    None if the declaration does not end within MAX_DECLARATION_CHARS. Works in the encoding
    feedparser sniffs, on the text its regex would read.
    """
    start, codec = _sniffed_encoding(data)
    try:
        text = data[start:].decode(codec)
    except UnicodeDecodeError:
        return data  # feedparser skips its regex on what it cannot decode
    if not text.startswith("<?"):
        return data
    line_end = text.find("\n")
    if 0 <= line_end <= MAX_DECLARATION_CHARS or len(text) <= MAX_DECLARATION_CHARS:
        return data
    end = text.find("?>", 0, MAX_DECLARATION_CHARS)
    if end < 0:
        return None
    end += len("?>")
    return data[:start] + (text[:end] + "\n" + text[end:]).encode(codec)


def _sniffed_encoding(data: bytes) -> tuple[int, str]:
    """Where the text starts and how to decode it, as feedparser sniffs them."""
    for mark, codec in BYTE_ORDER_MARKS:
        # feedparser reads FF FE 00 00 as UTF-32 (checked first) and FE FF 00 00 as no BOM.
        if data.startswith(mark) and not (len(mark) == 2 and data[2:4] == b"\x00\x00"):
            return len(mark), codec
    for marker, codec in DECLARATION_MARKERS:
        if data.startswith(marker):
            return 0, codec
    return 0, RAW


def _declares_in_doctype(text: str, declaration: re.Pattern[str]) -> bool:
    """Whether the DOCTYPE after the prolog holds `declaration` (see has_entity_declarations)."""
    misc = PROLOG_MISC_RE.match(text)
    position = misc.end() if misc else 0
    if text.startswith(("<!--", "<?"), position):  # an unterminated comment or PI
        return declaration.search(text, position) is not None
    if not DOCTYPE_START_RE.match(text, position):
        return False
    doctype = DOCTYPE_RE.match(text, position)
    end = doctype.end() if doctype else len(text)
    return declaration.search(text, position, end) is not None


def _markup_text(data: bytes) -> str:
    """The document as text good enough to find markup in, whatever its encoding."""
    for start, encoding in WIDE_ENCODINGS:
        if data.startswith(start):
            return data.decode(encoding, errors="replace").lstrip("\ufeff")
    # Every other encoding feeds use keeps ASCII markup as ASCII bytes.
    return data.removeprefix(codecs.BOM_UTF8).decode("latin-1")
