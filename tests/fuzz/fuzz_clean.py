"""Fuzz the cleaner: any text -> clean_html, which never raises and always yields inert HTML.

clean_html raises nothing at all, so every exception is a crash; so is a body that could run
script in a reader (assert_inert). Run it through `python -m tests.fuzz.run clean`.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import atheris  # type: ignore[import-untyped]  # atheris ships no type stubs

with atheris.instrument_imports(include=["aggregator", "bs4"]):
    from aggregator.clean import clean_html
    from aggregator.errors import AggregatorError

from tests.hostile import assert_inert

BASE_URL = "https://example.org/news/2023/09/12/story.html"


def test_one_input(data: bytes) -> None:
    """Clean one input and check the body; AggregatorError is the only allowed failure."""
    text = data.decode("utf-8", errors="replace")
    try:
        body = clean_html(text, base_url=BASE_URL)
    except AggregatorError:
        return
    assert_inert(body.html)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
