"""Serve the published feeds/ folder over HTTP, read-only, from the daemon's process (issue #4).

Owns the HTTP surface of `aggregator run`: GET and HEAD of the Atom, OPML and index files that
sit directly in feeds/, with strong ETags, Last-Modified, 304s, gzip, and `/healthz`. It must not
reach anything else: no subfolder, no hidden or temp file (write_atomic's `.<name>.*.tmp`), no
symlink, nothing outside feeds/. It never writes files and never parses feeds.

Starlette + uvicorn rather than `http.server`: uvicorn is asyncio, so a slow client costs one
coroutine, not a thread, and cannot hold up the others; it has keep-alive timeouts, connection
and header-size limits, and a graceful shutdown the daemon can drive from its own signal
handlers. Starlette gives routing, 405s and HEAD. Compression is done here, not by Starlette's
GZipMiddleware, because the middleware keeps the identity ETag on the gzipped body and skips
`Vary` on small bodies; here each variant has its own strong ETag and is compressed once.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import functools
import gzip
import hashlib
import json
import logging
import os
import re
import socket
import stat
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Final, Generic, TypeVar

import anyio.to_thread
import h11
import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["FeedServer", "create_app"]

log = logging.getLogger(__name__)

# What may be served, by suffix. Anything else in feeds/ is 404.
MEDIA_TYPES: Final[Mapping[str, str]] = {
    ".atom": "application/atom+xml; charset=utf-8",
    ".opml": "text/x-opml; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}
INDEX_NAME = "index.html"
READ_METHODS = ["GET", "HEAD"]
# A servable name is one path segment of plain characters that does not start with "." (hidden
# files and write_atomic's temp files): this alone rules out "..", "/", "\", NUL and the like.
MAX_NAME_CHARS = 255
SERVED_NAME_RE = re.compile(rf"[A-Za-z0-9_-][A-Za-z0-9._-]{{0,{MAX_NAME_CHARS - 1}}}")

ETAG_HEX_CHARS = 32  # first 128 bits of the sha256: ample to tell versions of a file apart
GZIP_ETAG_SUFFIX = "-gz"  # the gzipped variant gets its own ETag so caches never mix variants
GZIP_LEVEL = 6  # zlib's default trade-off; bodies are compressed once per ETag, then cached
# In-memory caches, oldest entry forgotten first. ETags are tiny; gzipped bodies are whole feeds,
# and feeds/ holds one file per topic plus the index and OPML, each in one or two versions.
ETAG_CACHE_MAX_ENTRIES = 1024
GZIP_CACHE_MAX_ENTRIES = 64

# uvicorn limits.
KEEP_ALIVE_TIMEOUT_S = 5  # an idle keep-alive connection is closed after this
MAX_CONCURRENCY = 1000  # connections + tasks at once; beyond it, uvicorn answers 503
# A request head (request line + headers) still incomplete past this many buffered bytes is
# refused with 400. h11 checks between reads, so a head that arrives whole in one read may be
# somewhat larger; what this bounds is the memory a slow or hostile client can pin.
MAX_HEADER_BYTES = 16 * 1024
# Each request head (request line + headers) must be complete within this long of the
# connection opening or of the previous response, however slowly its bytes trickle in; a
# connection that misses it is closed (slowloris; see _H11WithHeadTimeout).
REQUEST_HEAD_TIMEOUT_S = 10.0
LISTEN_BACKLOG = 1024  # connections queued by the kernel before accept
GRACEFUL_SHUTDOWN_TIMEOUT_S = 3  # in-flight requests get at most this long once stop is asked
LOG_LEVEL = "warning"  # uvicorn's own loggers; the daemon logs its own events

STARTUP_TIMEOUT_S = 10.0
STARTUP_POLL_S = 0.01
DEFAULT_STOP_TIMEOUT_S = 5.0

JSON_MEDIA_TYPE = "application/json"
NO_STORE: Final[Mapping[str, str]] = {"Cache-Control": "no-store"}

K = TypeVar("K")
V = TypeVar("V")
FileKey = tuple[int, int, int, int]  # st_dev, st_ino, st_size, st_mtime_ns


def create_app(
    feeds_dir: Path, *, max_age_s: int, health: Callable[[], Mapping[str, object]]
) -> Starlette:
    """Build the ASGI app serving `feeds_dir` and reporting `health()` at /healthz.

    `health` is called in a worker thread on each /healthz request, so it must be thread-safe;
    datetimes in its result are rendered as ISO 8601.

    Raises:
        ValueError: `max_age_s` is negative.
    """
    if max_age_s < 0:
        raise ValueError(f"max_age_s must be >= 0, got {max_age_s}")
    files = _FeedFiles(feeds_dir, max_age_s=max_age_s)
    routes = [
        Route("/", files.endpoint, methods=READ_METHODS),
        Route("/healthz", functools.partial(_health_endpoint, health), methods=READ_METHODS),
        Route("/{name}", files.endpoint, methods=READ_METHODS),
    ]
    app = Starlette(routes=routes)
    app.router.redirect_slashes = False  # "/all.atom/" is simply not a file
    return app


class FeedServer:
    """A uvicorn server for `app`, run in a background thread or in the foreground.

    It installs no signal handlers: the daemon owns SIGTERM/SIGINT and calls stop().
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        host: str,
        port: int,
        request_head_timeout_s: float = REQUEST_HEAD_TIMEOUT_S,
    ) -> None:
        self._host, self._port = host, port
        config = _uvicorn_config(
            app, host=host, port=port, request_head_timeout_s=request_head_timeout_s
        )
        self._server = _SignalFreeServer(config)
        self._thread: threading.Thread | None = None

    def start_in_thread(self) -> int:
        """Start serving in a daemon thread, wait until it listens, return the bound port.

        Raises:
            OSError: the address cannot be bound (in use, not local, not allowed).
            RuntimeError: the server did not start within STARTUP_TIMEOUT_S.
        """
        if self._thread is not None:
            raise RuntimeError("FeedServer already started")
        sock = _bind(self._host, self._port)
        port: int = sock.getsockname()[1]
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="http-server", daemon=True
        )
        self._thread.start()
        try:
            self._wait_until_started(self._thread)
        except RuntimeError:
            self._server.should_exit = True
            sock.close()
            raise
        log.info("http.started host=%s port=%d", self._host, port)
        return port

    def stop(self, timeout_s: float = DEFAULT_STOP_TIMEOUT_S) -> None:
        """Ask the server to finish in-flight requests and exit; return within `timeout_s`.

        A server still busy after `timeout_s` is told to exit at once (open connections are
        dropped) and left to finish in its daemon thread, so this call never outlasts its budget.
        """
        self._server.should_exit = True
        thread = self._thread
        if thread is None:
            return  # foreground run(): it returns by itself once should_exit is seen
        thread.join(timeout_s)
        if thread.is_alive():
            self._server.force_exit = True
            log.warning("http.stop_timeout host=%s timeout_s=%g", self._host, timeout_s)
            return
        log.info("http.stopped host=%s", self._host)

    def run(self) -> None:
        """Serve in the calling thread until stop() is called.

        Raises:
            OSError: the address cannot be bound (in use, not local, not allowed).
        """
        sock = _bind(self._host, self._port)
        log.info("http.started host=%s port=%d", self._host, sock.getsockname()[1])
        self._server.run(sockets=[sock])
        log.info("http.stopped host=%s", self._host)

    def _wait_until_started(self, thread: threading.Thread) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not self._server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"HTTP server on {self._host} did not start")
            time.sleep(STARTUP_POLL_S)


class _SignalFreeServer(uvicorn.Server):
    """uvicorn's Server minus its SIGINT/SIGTERM handlers (it sets them in the main thread)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class _H11WithHeadTimeout(H11Protocol):
    """uvicorn's h11 protocol, plus a deadline for each request head (issue 6).

    uvicorn closes an idle keep-alive connection after timeout_keep_alive, but any byte
    received cancels that timer, and a new connection gets none at all: a client that connects
    and says nothing, or trickles its request head a byte at a time (slowloris), or vanished
    without closing, held its connection forever, and 1000 such (MAX_CONCURRENCY) made the
    server answer 503 to everyone (bench/load.py --slowloris 1000). Here every head must be
    complete within `head_timeout_s` of the connection or of the previous response.
    """

    head_timeout_s: float = REQUEST_HEAD_TIMEOUT_S
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # a whole head arrived
            self._cancel_head_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self._arm_head_timer()  # the next head, on a kept-alive connection

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self.head_timeout_s, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.conn.their_state is not h11.IDLE or self.transport.is_closing():
            return
        log.debug("http.head_timeout client=%s", self.client)
        with contextlib.suppress(h11.LocalProtocolError):
            self.conn.send(h11.ConnectionClosed())
        self.transport.close()


def _with_head_timeout(timeout_s: float) -> type[H11Protocol]:
    return type("H11WithHeadTimeout", (_H11WithHeadTimeout,), {"head_timeout_s": timeout_s})


def _uvicorn_config(
    app: ASGIApp, *, host: str, port: int, request_head_timeout_s: float
) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        # h11 (h11_max_incomplete_event_size applies to it only), with a request-head deadline
        http=_with_head_timeout(request_head_timeout_s),
        loop="asyncio",
        ws="none",
        lifespan="off",
        log_config=None,  # leave logging handlers to aggregator.log
        log_level=LOG_LEVEL,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        timeout_keep_alive=KEEP_ALIVE_TIMEOUT_S,
        limit_concurrency=MAX_CONCURRENCY,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        backlog=LISTEN_BACKLOG,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_TIMEOUT_S,
    )


def _bind(host: str, port: int) -> socket.socket:
    """Bind the listening socket here, so a busy port raises OSError instead of sys.exit()."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=LISTEN_BACKLOG)


# --- files -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _FileRead:
    """The bytes of one served file and the stat of the very descriptor they came from."""

    data: bytes
    key: FileKey
    mtime: float


@dataclass(frozen=True, slots=True)
class _Variant:
    """What to send for one file: identity or gzipped body, with its own ETag."""

    body: bytes
    etag: str
    mtime: float
    is_gzipped: bool


class _BoundedCache(Generic[K, V]):
    """A thread-safe dict that forgets its oldest entry past `max_entries`."""

    def __init__(self, max_entries: int) -> None:
        self._max_entries = max_entries
        self._items: dict[K, V] = {}
        self._lock = threading.Lock()

    def get_or_compute(self, key: K, compute: Callable[[], V]) -> V:
        with self._lock:
            if key in self._items:
                return self._items[key]
        value = compute()  # outside the lock: two threads may compute the same value, harmlessly
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._max_entries:
                del self._items[next(iter(self._items))]
        return value


class _FeedFiles:
    """Answers requests for the files directly in feeds_dir."""

    def __init__(self, feeds_dir: Path, *, max_age_s: int) -> None:
        self._feeds_dir = feeds_dir
        self._cache_control = f"public, max-age={max_age_s}"
        # WARNING: keyed by (device, inode, size, mtime_ns). write_atomic replaces a file by
        # rename, giving a new inode, so a changed file never keeps a cached ETag.
        self._etags = _BoundedCache[FileKey, str](ETAG_CACHE_MAX_ENTRIES)
        self._gzipped = _BoundedCache[str, bytes](GZIP_CACHE_MAX_ENTRIES)

    async def endpoint(self, request: Request) -> Response:
        name: str = request.path_params.get("name", INDEX_NAME)
        suffix = Path(name).suffix
        if not SERVED_NAME_RE.fullmatch(name) or suffix not in MEDIA_TYPES:
            return _not_found()
        wants_gzip = _accepts_gzip(request.headers.get("accept-encoding", ""))
        variant = await anyio.to_thread.run_sync(self._load, name, wants_gzip)
        if variant is None:
            return _not_found()
        headers = {
            "ETag": variant.etag,
            "Last-Modified": email.utils.formatdate(variant.mtime, usegmt=True),
            "Cache-Control": self._cache_control,
            "Vary": "Accept-Encoding",
        }
        if _is_not_modified(request.headers, etag=variant.etag, mtime=variant.mtime):
            log.debug("http.not_modified name=%s", name)
            return Response(status_code=304, headers=headers)
        headers["Content-Type"] = MEDIA_TYPES[suffix]
        if variant.is_gzipped:
            headers["Content-Encoding"] = "gzip"
        log.debug("http.served name=%s bytes=%d gzip=%s", name, len(variant.body), wants_gzip)
        return Response(content=variant.body, headers=headers)

    def _load(self, name: str, wants_gzip: bool) -> _Variant | None:
        """Read `name` once and pick its variant; runs in a worker thread."""
        read = _read_served_file(self._feeds_dir, name)
        if read is None:
            return None
        etag = self._etags.get_or_compute(read.key, lambda: _strong_etag(read.data))
        if not wants_gzip:
            return _Variant(body=read.data, etag=etag, mtime=read.mtime, is_gzipped=False)
        body = self._gzipped.get_or_compute(etag, lambda: _gzip(read.data))
        return _Variant(body=body, etag=_gzip_etag(etag), mtime=read.mtime, is_gzipped=True)


def _read_served_file(feeds_dir: Path, name: str) -> _FileRead | None:
    """Read the regular file `name` directly in `feeds_dir`; None if it is not one (or gone)."""
    path = feeds_dir / name
    if not _is_regular_file_in(path, feeds_dir):
        return None
    # O_NOFOLLOW: a symlink swapped in after the lstat check still fails to open.
    # O_NONBLOCK: a FIFO swapped in cannot hang the worker thread.
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        log.debug("http.unreadable path=%r reason=%r", str(path), exc.strerror)
        return None
    try:
        return _read_regular_file(fd)
    except OSError as exc:
        log.warning("http.read_failed path=%r reason=%r", str(path), exc.strerror)
        return None
    finally:
        os.close(fd)


def _read_regular_file(fd: int) -> _FileRead | None:
    """Read all of `fd` if it is a regular file (a folder or device swapped in is None)."""
    # fstat the descriptor we read: the ETag key and the bytes are from the same inode even if
    # write_atomic renames a new version over the name meanwhile.
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        return None
    with open(fd, "rb", closefd=False) as file:
        data = file.read()
    return _FileRead(
        data=data, key=(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns), mtime=st.st_mtime
    )


def _is_regular_file_in(path: Path, folder: Path) -> bool:
    """Tell whether `path` is a regular file (not a symlink) whose real parent is `folder`."""
    try:
        st = os.lstat(path)
        return stat.S_ISREG(st.st_mode) and path.resolve().parent == folder.resolve()
    except OSError:
        return False


def _strong_etag(data: bytes) -> str:
    """Return the quoted, strong ETag of `data`: the first hex digits of its sha256."""
    return f'"{hashlib.sha256(data).hexdigest()[:ETAG_HEX_CHARS]}"'


def _gzip_etag(etag: str) -> str:
    """Return the ETag of the gzipped variant of the body whose ETag is `etag`."""
    return f'{etag[:-1]}{GZIP_ETAG_SUFFIX}"'


def _gzip(data: bytes) -> bytes:
    # mtime=0: the same bytes always compress to the same body, as a strong ETag promises.
    return gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)


# --- conditional requests and content negotiation ----------------------------------------------


def _accepts_gzip(accept_encoding: str) -> bool:
    """Tell whether an Accept-Encoding value allows gzip (listed, or `*`, with q > 0)."""
    qualities = _coding_qualities(accept_encoding)
    return qualities.get("gzip", qualities.get("*", 0.0)) > 0.0


def _coding_qualities(accept_encoding: str) -> dict[str, float]:
    qualities: dict[str, float] = {}
    for item in accept_encoding.split(","):
        coding, _, params = item.partition(";")
        coding = coding.strip().lower()
        if coding:
            qualities[coding] = _quality(params)
    return qualities


def _quality(params: str) -> float:
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0


def _is_not_modified(headers: Headers, *, etag: str, mtime: float) -> bool:
    """Decide a 304: If-None-Match wins when present, else If-Modified-Since (RFC 9110 13.2.2)."""
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        return _etag_matches(if_none_match, etag)
    if_modified_since = headers.get("if-modified-since")
    if if_modified_since is None:
        return False
    since = _parse_http_date(if_modified_since)
    return since is not None and since >= int(mtime)  # Last-Modified has whole seconds


def _etag_matches(if_none_match: str, etag: str) -> bool:
    """Tell whether an If-None-Match value (`*` or a comma list) matches `etag`, weakly."""
    if if_none_match.strip() == "*":
        return True
    wanted = _opaque_tag(etag)
    return any(_opaque_tag(tag) == wanted for tag in if_none_match.split(","))


def _opaque_tag(tag: str) -> str:
    tag = tag.strip()
    return tag.removeprefix("W/")


def _parse_http_date(value: str) -> float | None:
    """Return the POSIX time of an HTTP-date, or None if it is not one."""
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


# --- health and errors -------------------------------------------------------------------------


async def _health_endpoint(
    health: Callable[[], Mapping[str, object]], request: Request
) -> Response:
    try:
        body = await anyio.to_thread.run_sync(_render_health, health)
    except Exception:  # health() is the daemon's callback: whatever it raises, report and go on
        log.exception("http.health_failed")
        return JSONResponse({"status": "error"}, status_code=500, headers=dict(NO_STORE))
    return Response(content=body, media_type=JSON_MEDIA_TYPE, headers=dict(NO_STORE))


def _render_health(health: Callable[[], Mapping[str, object]]) -> bytes:
    return json.dumps(dict(health()), default=_json_value, ensure_ascii=False).encode()


def _json_value(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _not_found() -> Response:
    return PlainTextResponse("Not Found", status_code=404)
