"""Use cases: ingest sources, assign stories, publish feeds.

Sequences the I/O (files, store, feed files) around the pure stages: `ingest` (inputs to stored
articles and stories), `publishing` (stories to feed files), `usecases` (what the CLI and the
daemon call).
"""

from aggregator.app.ingest import IngestStats, Skipped, ingest_article, ingest_source
from aggregator.app.publishing import PublishStats, load_stories, newest, publish
from aggregator.app.usecases import (
    BuildResult,
    build,
    build_lock,
    check,
    describe_stories,
    sources_from_config,
)
from aggregator.sources import Progress

__all__ = [
    "BuildResult",
    "IngestStats",
    "Progress",
    "PublishStats",
    "Skipped",
    "build",
    "build_lock",
    "check",
    "describe_stories",
    "ingest_article",
    "ingest_source",
    "load_stories",
    "newest",
    "publish",
    "sources_from_config",
]
