"""Language of an article: "zh-Hans", "zh-Hant", "en" or "und". Pure.

OpenCC decides Traditional vs Simplified from how much a Traditional-to-Simplified conversion
changes, which a character table cannot.
"""

from __future__ import annotations

import re

from aggregator.textfold import to_simplified

LANGUAGE_SAMPLE_CHARS = 4000
CJK_SHARE = 0.3  # a CJK character carries about as much as a three-letter word
KANA_SHARE = 0.1  # more kana than this among the CJK characters: Japanese, not Chinese
# Traditional text changes by about a third; Simplified text (a stray 係 aside) by nothing.
TRADITIONAL_SHARE = 0.1
ENGLISH_WORD_SHARE = 0.1
ENGLISH_FUNCTION_WORDS = frozenset(
    {
        "the", "a", "an", "and", "or", "of", "to", "in", "on", "at", "for", "with", "from", "by",
        "as", "is", "are", "was", "were", "be", "been", "has", "have", "had", "it", "its", "this",
        "that", "which", "who", "he", "she", "they", "his", "her", "their", "not", "but", "will",
        "would", "said", "says",
    }
)  # fmt: skip
LATIN_WORD_RE = re.compile(r"[A-Za-z\u00c0-\u024f]+")


def detect_language(text: str) -> str:
    """Return "zh-Hans", "zh-Hant", "en" or "und" for a text."""
    sample = text[:LANGUAGE_SAMPLE_CHARS]
    cjk = sum(1 for char in sample if _is_han(char))
    kana = sum(1 for char in sample if "\u3040" <= char <= "\u30ff")
    words = LATIN_WORD_RE.findall(sample)
    latin = sum(len(word) for word in words)
    if cjk + latin == 0:
        return "und"
    if cjk >= CJK_SHARE * (cjk + latin):
        if kana > KANA_SHARE * cjk:
            return "und"
        return "zh-Hant" if _is_traditional(sample, cjk) else "zh-Hans"
    english = sum(1 for word in words if word.lower() in ENGLISH_FUNCTION_WORDS)
    return "en" if english >= ENGLISH_WORD_SHARE * len(words) else "und"


def _is_han(char: str) -> bool:
    return (
        "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf" or "\uf900" <= char <= "\ufaff"
    )


def _is_traditional(sample: str, han_count: int) -> bool:
    # Convert each distinct character alone (one per line), so that phrase rules cannot shift
    # the alignment between input and output.
    distinct = sorted({char for char in sample if _is_han(char)})
    simplified = to_simplified("\n".join(distinct)).split("\n")
    if len(simplified) != len(distinct):
        return False
    changes = {old for old, new in zip(distinct, simplified, strict=True) if old != new}
    changed = sum(1 for char in sample if char in changes)
    return changed >= TRADITIONAL_SHARE * han_count
