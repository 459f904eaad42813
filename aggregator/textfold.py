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
from typing import Any, Final

# Han (BMP and extension A, compatibility, extensions B+), kana and hangul: scripts written
# without spaces between words, so they are tokenized by character rather than by word.
CJK_RANGES: Final = (
    "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
)
# A letter or digit of a space-separated script: any word character except "_" and CJK.
WORD_CHAR: Final = f"[^\\W_{CJK_RANGES}]"
# A number keeps its separators ("2,000", "6.8"); a word its apostrophes ("korea's"). Two groups
# only: findall gives a (CJK run, word) pair per token, one of the two empty.
TOKEN_RE: Final = re.compile(
    f"(?P<cjk>[{CJK_RANGES}]+)"
    f"|(?P<word>\\d+(?:[.,]\\d+)+(?!{WORD_CHAR})|{WORD_CHAR}+(?:['’]{WORD_CHAR}+)*)"
)


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
    return to_simplified(nfkc(text)).casefold()


def nfkc(text: str) -> str:
    """Return unicodedata.normalize("NFKC", `text`), in a tenth of the time on Chinese text.

    normalize() returns at once a text it finds normalized, and is slow on any other: Chinese
    text always holds full-width punctuation ("，", "（"), so it takes the slow path over every
    character. Each character NFKC changes is first replaced by its own NFKC form (found by a
    regex, replaced by str.replace: both in C), which leaves normalize() little or nothing to
    do. The result is the same: a character and its NFKC form have the same compatibility
    decomposition, and NFKC composes the decomposition of the whole text.
    """
    pattern, forms = _compatibility_characters()
    for char in set(pattern.findall(text)):
        text = text.replace(char, forms[char])
    return unicodedata.normalize("NFKC", text)


@functools.cache
def _compatibility_characters() -> tuple[re.Pattern[str], dict[str, str]]:
    """The BMP characters that NFKC changes (2,972; ~15 ms to find), and their NFKC forms."""
    changed = [
        char for char in map(chr, range(0x10000)) if not unicodedata.is_normalized("NFKC", char)
    ]
    pattern = re.compile(f"[{''.join(map(re.escape, changed))}]")
    return pattern, {char: unicodedata.normalize("NFKC", char) for char in changed}


def strip_whitespace(text: str) -> str:
    """Return `text` with every run of whitespace removed."""
    # str.split() and the regex \s agree on what is whitespace; split is five times faster.
    return "".join(text.split())


def shingle_units(text: str) -> list[str]:
    """Cut folded `text` into units for shingling: one per CJK character, one per word."""
    units: list[str] = []
    for cjk_run, word in TOKEN_RE.findall(text):
        if cjk_run:
            units.extend(cjk_run)
        else:
            units.append(word)
    return units
