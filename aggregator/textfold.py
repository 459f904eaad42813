"""Fold text to one script and one case, and cut it into tokens.

Shared by dedup (shingles, story terms) and topics (keyword matching), so that both compare
text the same way: Unicode NFKC (full-width letters and digits become ASCII), Traditional
Chinese folded to Simplified, then casefold. Pure: no I/O.

Why OpenCC: its t2s tables convert phrases as well as single characters and are maintained
with the variants real outlets use (Taiwan, Hong Kong), which a hand-made table would not be.
One converter is kept as a module constant: building it loads dictionaries (slow), and a
built converter is stateless, so sharing it is safe.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator
from typing import Any, Final

# Han (BMP and extension A, compatibility, extensions B+), kana and hangul: scripts written
# without spaces between words, so they are tokenized by character rather than by word.
CJK_RANGES: Final = (
    "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
)
# A letter or digit of a space-separated script: any word character except "_" and CJK.
WORD_CHAR: Final = f"[^\\W_{CJK_RANGES}]"
# A number keeps its separators ("2,000", "6.8"); a word its apostrophes ("korea's").
TOKEN_RE: Final = re.compile(
    f"(?P<cjk>[{CJK_RANGES}]+)"
    f"|(?P<word>\\d+(?:[.,]\\d+)+(?!{WORD_CHAR})|{WORD_CHAR}+(?:['’]{WORD_CHAR}+)*)"
)
WHITESPACE_RE: Final = re.compile(r"\s+")


@functools.cache
def _t2s() -> Any:
    """The OpenCC converter, loaded on first use (its tables take a while to read)."""
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Return `text` with Traditional Chinese converted to Simplified (OpenCC t2s)."""
    converted: str = _t2s().convert(text)
    return converted


def fold(text: str) -> str:
    """Return `text` in NFKC form, Traditional Chinese folded to Simplified, casefolded."""
    return to_simplified(unicodedata.normalize("NFKC", text)).casefold()


def strip_whitespace(text: str) -> str:
    """Return `text` with every run of whitespace removed."""
    return WHITESPACE_RE.sub("", text)


def scan_tokens(text: str) -> Iterator[tuple[str, bool, int]]:
    """Yield (run, is_cjk, start) for each CJK run and each word of `text`; punctuation drops."""
    for match in TOKEN_RE.finditer(text):
        yield match.group(), match.lastgroup == "cjk", match.start()


def shingle_units(text: str) -> list[str]:
    """Cut folded `text` into units for shingling: one per CJK character, one per word."""
    units: list[str] = []
    for run, is_cjk_run, _ in scan_tokens(text):
        if is_cjk_run:
            units.extend(run)
        else:
            units.append(run)
    return units
