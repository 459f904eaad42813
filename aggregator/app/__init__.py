"""Use cases: ingest sources, assign stories, publish feeds.

Sequences the I/O (files, store, feed files) around the pure stages: `prepare` (one input to
an article, clean body and fingerprint, in worker processes), `ingest` (prepared inputs to stored
articles and stories), `publishing` (stories to feed files), `usecases` (what the CLI and the
daemon call).
"""

from aggregator.app.ingest import IngestStats, decide_pending, ingest_collected, ingest_seed_folder
from aggregator.app.prepare import Prepared, Skipped, prepare, prepare_all
from aggregator.app.publishing import PublishStats, load_stories, newest, publish
from aggregator.app.usecases import (
    BuildResult,
    Phases,
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
    "Phases",
    "Prepared",
    "Progress",
    "PublishStats",
    "Skipped",
    "build",
    "build_lock",
    "check",
    "decide_pending",
    "describe_stories",
    "ingest_collected",
    "ingest_seed_folder",
    "load_stories",
    "newest",
    "prepare",
    "prepare_all",
    "publish",
    "sources_from_config",
]
