"""Fuzz the seed path: bytes -> parse_seed -> article_from_seed -> clean_html, body inert.

Only AggregatorError (SeedFormatError, for a file in neither format) is an expected outcome;
any other exception, or a cleaned body that could run script, is a crash libFuzzer reports.
Run it through `python -m tests.fuzz.run seed`, which supplies a starting corpus.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import atheris  # type: ignore[import-untyped]  # atheris ships no type stubs

with atheris.instrument_imports(include=["aggregator", "bs4"]):
    from aggregator.clean import clean_html
    from aggregator.errors import AggregatorError
    from aggregator.normalize import article_from_seed
    from aggregator.sources.seedformat import parse_seed

from tests.hostile import assert_inert


def test_one_input(data: bytes) -> None:
    """Run one input through the seed path; AggregatorError is the only allowed failure."""
    # seeds.py decodes a file before parse_seed sees it; decoded text has no lone surrogates.
    text = data.decode("utf-8", errors="replace")
    try:
        article = article_from_seed(parse_seed(text, path="fuzz.txt"), via="fuzz")
    except AggregatorError:
        return
    assert_inert(clean_html(article.raw_html, base_url=article.url).html)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
