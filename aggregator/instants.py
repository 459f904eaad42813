"""Points in time as integers: exact to compare and subtract, unlike float seconds, and
several times faster to compare than aware datetimes of different UTC offsets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND: Final = timedelta(microseconds=1)


def microseconds(t: datetime) -> int:
    """`t` (aware) as integer microseconds since the epoch."""
    return (t - EPOCH) // MICROSECOND
