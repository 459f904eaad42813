"""`aggregator run`: the daemon's lifecycle around the scheduler jobs and the HTTP server.

Start: take the store's lock (one writer per store), load remembered source states and the
story index, publish what is stored, serve feeds/, schedule the polls. Stop, on SIGTERM or
SIGINT: stop scheduling, let in-flight polls finish their current article (each article is its
own transaction, so anything cut short is rolled back and picked up next time), stop serving,
exit 0 within SHUTDOWN_S seconds.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from types import FrameType

from aggregator.app import build_lock
from aggregator.app.live import Runtime, health_report
from aggregator.config import Config
from aggregator.daemon.http import FeedServer, create_app
from aggregator.daemon.jobs import Jobs, max_age
from aggregator.errors import ServeError

log = logging.getLogger(__name__)

SHUTDOWN_S = 8.0  # polls get this long to finish after SIGTERM; the exit comes before 10 s
SERVER_STOP_S = 1.5
LOCK_WAIT_S = 0.0  # a second daemon (or a build) on the same store is refused at once


def run_daemon(cfg: Config, *, on_ready: Callable[[str], None] = lambda url: None) -> int:
    """Run until SIGTERM/SIGINT; return the exit status.

    Raises:
        StorageError: the store is in use by another aggregator, or cannot be opened.
        ServeError: the configured address cannot be listened on (port in use, ...).
    """
    stop = threading.Event()
    with build_lock(cfg.storage.path, wait_s=LOCK_WAIT_S):
        runtime = Runtime(cfg)
        jobs = Jobs(cfg, runtime.poll)
        app = create_app(
            cfg.output.dir,
            max_age_s=int(max_age(cfg).total_seconds()),
            health=lambda: health_report(cfg, runtime.source_states(), jobs.next_polls()),
        )
        server = FeedServer(app, host=cfg.serve.host, port=cfg.serve.port)
        try:
            port = server.start_in_thread()
        except OSError as exc:
            address = f"{cfg.serve.host}:{cfg.serve.port}"
            raise ServeError(address, exc.strerror or str(exc)) from exc
        previous = _install_signal_handlers(stop)
        finished = True
        try:
            runtime.start()
            jobs.start()
            url = f"http://{cfg.serve.host}:{port}/"
            log.info("daemon.ready url=%s feeds=%r", url, str(cfg.output.dir))
            on_ready(url)
            stop.wait()
            log.info("daemon.stopping")
        finally:
            runtime.stopping.set()
            finished = jobs.stop(timeout_s=SHUTDOWN_S)
            server.stop(timeout_s=SERVER_STOP_S)
            runtime.close()
            _restore_signal_handlers(previous)
    if not finished:
        # A poll stuck in the network past the grace time: its open transaction (if any) is
        # rolled back by SQLite; leave now rather than wait on its thread at interpreter exit.
        logging.shutdown()
        os._exit(0)
    log.info("daemon.stopped")
    return 0


_Handler = Callable[[int, FrameType | None], object] | int | None


def _install_signal_handlers(stop: threading.Event) -> dict[int, _Handler]:
    def request_stop(signum: int, frame: FrameType | None) -> None:
        log.info("daemon.signal signal=%s", signal.Signals(signum).name)
        stop.set()

    previous: dict[int, _Handler] = {}
    for signum in (signal.SIGTERM, signal.SIGINT):
        previous[signum] = signal.signal(signum, request_stop)
    return previous


def _restore_signal_handlers(previous: dict[int, _Handler]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
