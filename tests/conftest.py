"""Shared fixtures: the sample seeds, and helpers per layer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.origin import Origin, serving

ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = ROOT / "seeds"
DATA_DIR = Path(__file__).resolve().parent / "data"
SAMPLE_SEEDS = sorted(p for p in SEEDS_DIR.iterdir() if p.is_file() and not p.name.startswith("."))


@pytest.fixture
def sample_seeds() -> list[Path]:
    """The five bundled sample seed files, sorted by name."""
    return list(SAMPLE_SEEDS)


@pytest.fixture
def origin() -> Iterator[Origin]:
    """A local origin server on 127.0.0.1 (port 0) with mutable routes, stopped in teardown."""
    with serving() as server:
        yield server
