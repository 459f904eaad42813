"""Every error aggregator raises on purpose.

    AggregatorError
    ├── ConfigError(path, key, problem)        bad config.toml: exit status 2
    ├── SourceError(source)                    one input failed; the run goes on
    │   ├── SeedFormatError(path, reason)      a seed file in neither format, unreadable, ...
    │   ├── FetchError(source, url, status)    a live feed could not be fetched
    │   └── FeedParseError(source, url)        a live feed's bytes are not a feed
    ├── StorageError(operation)                the database failed
    ├── PublishError(path)                     a feed file could not be written
    └── ServeError(address)                    the daemon cannot serve on its address

Anything else that escapes is a bug. Messages name the thing first, then the problem.
"""

from __future__ import annotations

from pathlib import Path


class AggregatorError(Exception):
    """Root of every error we raise on purpose; anything else is a bug."""


class ConfigError(AggregatorError):
    """The config file is unreadable, invalid TOML, or breaks the contract."""

    def __init__(self, path: Path | str, key: str, problem: str) -> None:
        where = f"{path}: {key}: " if key else f"{path}: "
        super().__init__(f"{where}{problem}")
        self.path, self.key, self.problem = str(path), key, problem


class SourceError(AggregatorError):
    """One input (a seed file, a live feed) could not be used."""

    def __init__(self, source: str, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.source = source
        self.reason = reason if reason is not None else message


class SeedFormatError(SourceError):
    """A seed file is in neither format, or cannot be read or decoded."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(str(path), f"{path}: {reason}")
        self.path, self.reason = str(path), reason


class FetchError(SourceError):
    """A live feed could not be fetched (network error or HTTP status)."""

    def __init__(self, source: str, url: str, reason: str, status: int | None = None) -> None:
        super().__init__(source, f"source {source} ({url}): {reason}")
        self.url, self.reason, self.status = url, reason, status


class FeedParseError(SourceError):
    """A live feed's bytes are not a usable feed."""

    def __init__(self, source: str, url: str, reason: str) -> None:
        super().__init__(source, f"source {source} ({url}): {reason}")
        self.url, self.reason = url, reason


class StorageError(AggregatorError):
    """The store failed while doing `operation`."""

    def __init__(self, operation: str, reason: str) -> None:
        super().__init__(f"storage: {operation}: {reason}")
        self.operation, self.reason = operation, reason


class PublishError(AggregatorError):
    """A feed file could not be written."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = str(path), reason


class ServeError(AggregatorError):
    """The daemon cannot listen on its configured host and port."""

    def __init__(self, address: str, reason: str) -> None:
        super().__init__(f"serve {address}: {reason}")
        self.address, self.reason = address, reason
