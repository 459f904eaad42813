"""APScheduler 3 jobs for the daemon: one polling job per source, on its interval.

Why APScheduler 3: the stable line named by the product; its BackgroundScheduler runs jobs in
a thread pool, so a slow or hanging source (bounded by the fetch timeouts) never delays the
others, and its job options give exactly the guarantees we need: `max_instances=1` (no
overlapping runs of one source), `coalesce=True` (missed runs collapse into one), a misfire
grace time, and jitter so many sources do not poll in lockstep.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from aggregator.config import Config, SourceConfig

log = logging.getLogger(__name__)

MAX_JITTER_S = 60.0  # a poll starts up to this much (or 10% of its interval) early or late
JITTER_SHARE = 0.1
EXTRA_WORKERS = 1


class Jobs:
    """One scheduled polling job per configured source."""

    def __init__(self, cfg: Config, poll: Callable[[SourceConfig], object]) -> None:
        self.cfg = cfg
        self._poll = poll
        self._running = 0
        self._idle = threading.Condition()
        self._scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(len(cfg.sources) + EXTRA_WORKERS)},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=UTC,
        )

    def start(self) -> None:
        """Schedule every source, each polled once right away, then on its interval."""
        now = datetime.now(UTC)
        for source in self.cfg.sources:
            interval = source.interval.total_seconds()
            self._scheduler.add_job(
                self._run,
                IntervalTrigger(
                    seconds=interval,
                    jitter=min(MAX_JITTER_S, interval * JITTER_SHARE),
                    timezone=UTC,
                ),
                args=[source],
                id=source.name,
                name=f"poll {source.name}",
                next_run_time=now,
                misfire_grace_time=max(1, int(interval)),
            )
        self._scheduler.start()
        log.info("jobs.started sources=%d", len(self.cfg.sources))

    def next_polls(self) -> dict[str, datetime | None]:
        """When each source's next poll is due (None once the scheduler stopped)."""
        polls: dict[str, datetime | None] = {}
        for source in self.cfg.sources:
            job = self._scheduler.get_job(source.name) if self._scheduler.running else None
            polls[source.name] = job.next_run_time if job is not None else None
        return polls

    def stop(self, *, timeout_s: float) -> bool:
        """Stop scheduling; wait up to `timeout_s` for running polls. True if all finished."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        deadline = time.monotonic() + timeout_s
        with self._idle:
            while self._running:
                left = deadline - time.monotonic()
                if left <= 0:
                    log.warning("jobs.stop_timeout running=%d", self._running)
                    return False
                self._idle.wait(left)
        return True

    def _run(self, source: SourceConfig) -> None:
        with self._idle:
            self._running += 1
        try:
            self._poll(source)
        except Exception:  # a bug in one poll must not kill the job: log it, poll again later
            log.exception("poll.crashed source=%s", source.name)
        finally:
            with self._idle:
                self._running -= 1
                self._idle.notify_all()


def max_age(cfg: Config) -> timedelta:
    """How long readers may cache a feed: the shortest source interval (1 minute at least)."""
    intervals = [s.interval for s in cfg.sources] or [timedelta(minutes=10)]
    return max(timedelta(minutes=1), min(intervals))
