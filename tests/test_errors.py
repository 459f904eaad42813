"""The error tree: one root, messages that name the thing first."""

from __future__ import annotations

import inspect

import aggregator.errors as errors
from aggregator.errors import AggregatorError, ConfigError, FetchError, SeedFormatError


def test_every_exception_subclasses_the_root() -> None:
    """Every exception class in aggregator.errors derives from AggregatorError."""
    classes = [
        c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, BaseException)
    ]
    assert len(classes) >= 8
    for cls in classes:
        assert issubclass(cls, AggregatorError), cls


def test_messages_name_the_thing_then_the_problem() -> None:
    """str() of an error starts with the file, key or source it is about."""
    assert str(ConfigError("config.toml", "sources[2].interval", "bad")) == (
        "config.toml: sources[2].interval: bad"
    )
    assert str(SeedFormatError("seeds/a/001.txt", "empty file")) == "seeds/a/001.txt: empty file"
    assert str(FetchError("rfi", "https://e.org/f.xml", "HTTP 503", 503)) == (
        "source rfi (https://e.org/f.xml): HTTP 503"
    )
