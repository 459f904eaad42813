"""Shared fixtures: the sample seeds, and helpers per layer."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = ROOT / "seeds"
DATA_DIR = Path(__file__).resolve().parent / "data"
SAMPLE_SEEDS = sorted(p for p in SEEDS_DIR.iterdir() if p.is_file() and not p.name.startswith("."))


@pytest.fixture
def sample_seeds() -> list[Path]:
    """The five bundled sample seed files, sorted by name."""
    return list(SAMPLE_SEEDS)
