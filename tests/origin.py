"""A local origin server for live-feed tests, and small RSS/Atom builders to serve.

`Origin` is a ThreadingHTTPServer on 127.0.0.1, port 0, in a daemon thread. Tests change
`origin.routes` at any time; each request is answered from the route as it is then:

    origin.routes["/feed.xml"] = Route(body=rss_feed([{"title": "A", "link": ...}]))
    url = origin.url("/feed.xml")
    ...
    assert origin.conditional_count("/feed.xml") == 1

A route answers a conditional GET with 304 (strong ETag of the body, and/or Last-Modified),
can hang (`delay_s`), trickle its body (`trickle_s`), redirect, or omit Content-Length. The
request log records every request's path and headers (lower-cased names). Hanging and
trickling wait on the server's stop event, so `stop()` returns promptly whatever is in flight.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

CHUNK_BYTES = 64 * 1024
STOP_JOIN_TIMEOUT_S = 5.0
HANDLER_TIMEOUT_S = 5.0


@dataclass(frozen=True, kw_only=True)
class Route:
    """How the origin answers one path. Replace the route in `routes` to change it."""

    body: bytes = b""
    content_type: str | None = "application/rss+xml"
    status: int = 200
    etag: bool = True  # a strong ETag of the body; 304 to a matching If-None-Match
    last_modified: str | None = None  # sent as is; 304 to an If-Modified-Since not older
    headers: dict[str, str] = field(default_factory=dict)  # extra response headers
    delay_s: float = 0.0  # hang this long before answering
    trickle_s: float = 0.0  # pause between body chunks of `trickle_bytes`
    trickle_bytes: int = 1
    redirect_to: str | None = None  # a Location; the status is 301 if permanent else 302,
    permanent: bool = False  # unless `status` is itself a 3xx (307, 308 ...)
    send_length: bool = True  # False: no Content-Length, the body ends when the connection does


@dataclass(frozen=True, kw_only=True)
class Sent:
    """What the origin managed to send for one request."""

    path: str
    status: int
    body_bytes: int  # body bytes written before the response ended or the client left
    complete: bool  # the whole body was written


class Origin:
    """A local HTTP origin with mutable routes and a thread-safe request log."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.sent: list[Sent] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str) -> str:
        """The absolute URL of `path` on this origin."""
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> Origin:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; requests still hanging or trickling end at once."""
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(STOP_JOIN_TIMEOUT_S)

    def count(self, path: str) -> int:
        """How many requests for `path` arrived."""
        with self._lock:
            return sum(1 for p, _ in self.requests if p == path)

    def conditional_count(self, path: str) -> int:
        """How many requests for `path` carried If-None-Match or If-Modified-Since."""
        with self._lock:
            return sum(
                1
                for p, headers in self.requests
                if p == path and ("if-none-match" in headers or "if-modified-since" in headers)
            )

    def headers_of(self, path: str) -> list[dict[str, str]]:
        """The headers of every request for `path`, oldest first."""
        with self._lock:
            return [dict(headers) for p, headers in self.requests if p == path]

    def sent_for(self, path: str, *, wait_s: float = 5.0) -> Sent:
        """What was sent for the first request of `path`, waiting for that response to end."""
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            with self._lock:
                found = [s for s in self.sent if s.path == path]
            if found:
                return found[0]
            time.sleep(0.02)
        raise AssertionError(f"no finished response for {path} within {wait_s} s")

    def log_request(self, path: str, headers: dict[str, str]) -> None:
        with self._lock:
            self.requests.append((path, headers))

    def log_sent(self, sent: Sent) -> None:
        with self._lock:
            self.sent.append(sent)


@contextmanager
def serving() -> Iterator[Origin]:
    """A started Origin, stopped on exit."""
    origin = Origin().start()
    try:
        yield origin
    finally:
        origin.stop()


def _handler_for(origin: Origin) -> type[BaseHTTPRequestHandler]:
    class Handler(_OriginHandler):
        pass

    Handler.origin = origin
    return Handler


class _OriginHandler(BaseHTTPRequestHandler):
    origin: Origin
    server_version = "origin/1"
    # A socket timeout, so that stop() never waits long on a client that stopped reading.
    timeout = HANDLER_TIMEOUT_S

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: tests read origin.requests

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        request_headers = {name.lower(): value for name, value in self.headers.items()}
        self.origin.log_request(path, request_headers)
        route = self.origin.routes.get(path)
        if route is None:
            self._answer(path, 404, {"Content-Type": "text/plain"}, b"not found")
            return
        if route.delay_s and self.origin.stopping.wait(route.delay_s):
            return  # stopping: hang up without an answer
        if route.redirect_to is not None:
            status = route.status if 300 <= route.status < 400 else 301 if route.permanent else 302
            self._answer(path, status, {"Location": route.redirect_to, **route.headers}, b"")
            return
        headers = {**route.headers}
        if route.content_type is not None:
            headers["Content-Type"] = route.content_type
        if route.etag:
            headers["ETag"] = strong_etag(route.body)
        if route.last_modified is not None:
            headers["Last-Modified"] = route.last_modified
        if route.status == 200 and _is_fresh(route, request_headers):
            self._answer(path, 304, headers, b"", route=route)
            return
        self._answer(path, route.status, headers, route.body, route=route)

    def _answer(
        self,
        path: str,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
        *,
        route: Route | None = None,
    ) -> None:
        written = 0
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if status != 304 and (route is None or route.send_length):
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            for chunk in _chunks(body, route):
                self.wfile.write(chunk)
                written += len(chunk)
                if route is not None and route.trickle_s:
                    self.wfile.flush()
                    if self.origin.stopping.wait(route.trickle_s):
                        break
        except OSError:  # the client went away (size cap, timeout): that is the point
            pass
        finally:
            done = written == len(body)
            self.origin.log_sent(Sent(path=path, status=status, body_bytes=written, complete=done))


def _chunks(body: bytes, route: Route | None) -> Iterator[bytes]:
    size = route.trickle_bytes if route is not None and route.trickle_s else CHUNK_BYTES
    for start in range(0, len(body), max(1, size)):
        yield body[start : start + size]


def _is_fresh(route: Route, request_headers: Mapping[str, str]) -> bool:
    """Whether a conditional request already has the route's current body."""
    if_none_match = request_headers.get("if-none-match")
    if route.etag and if_none_match is not None:
        tags = {tag.strip() for tag in if_none_match.split(",")}
        return strong_etag(route.body) in tags or "*" in tags
    since = request_headers.get("if-modified-since")
    if route.last_modified is None or since is None:
        return False
    try:
        return parsedate_to_datetime(route.last_modified) <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False


def strong_etag(body: bytes) -> str:
    """The origin's ETag for a body: quoted, strong, changes with every byte."""
    return '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


def http_date(moment: datetime) -> str:
    """An IMF-fixdate (RFC 9110) for Last-Modified, Date and Retry-After."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def rss_feed(
    items: Iterable[Mapping[str, object]],
    *,
    title: str = "Origin feed",
    link: str = "http://origin.test/",
) -> bytes:
    """An RSS 2.0 document; each item a dict of title, link, guid, html, pubdate (datetime)."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0"><channel>',
        f"<title>{escape(title)}</title><link>{escape(link)}</link>",
        "<description>served by tests.origin</description>",
    ]
    for item in items:
        parts.append("<item>")
        parts.append(_element("title", item.get("title")))
        parts.append(_element("link", item.get("link")))
        if item.get("guid") is not None:
            parts.append(f'<guid isPermaLink="false">{escape(str(item["guid"]))}</guid>')
        parts.append(_element("description", item.get("html")))
        pubdate = item.get("pubdate")
        if isinstance(pubdate, datetime):
            parts.append(f"<pubDate>{format_datetime(pubdate.astimezone(UTC))}</pubDate>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "\n".join(p for p in parts if p).encode("utf-8")


def atom_feed(
    items: Iterable[Mapping[str, object]],
    *,
    title: str = "Origin feed",
    link: str = "http://origin.test/",
    feed_id: str = "urn:uuid:60a76c80-d399-11d9-b93c-0003939e0af6",
) -> bytes:
    """An Atom 1.0 document; each item a dict of title, link, guid, html, pubdate (datetime).

    The guid becomes <id>, which Atom wants absolute ("tag:...", "urn:...", a URL): feedparser
    resolves a relative id against the feed URL.
    """
    items = list(items)
    stamps = [d for d in (i.get("pubdate") for i in items) if isinstance(d, datetime)]
    updated = max(stamps, default=datetime(2023, 9, 12, tzinfo=UTC))
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"<title>{escape(title)}</title><id>{escape(feed_id)}</id>",
        f'<link rel="alternate" href="{escape(link)}"/>',
        f"<updated>{_atom_time(updated)}</updated>",
    ]
    for item in items:
        parts.append("<entry>")
        parts.append(_element("title", item.get("title")))
        if item.get("link") is not None:
            parts.append(f'<link rel="alternate" href="{escape(str(item["link"]))}"/>')
        parts.append(_element("id", item.get("guid") or item.get("link")))
        pubdate = item.get("pubdate")
        if isinstance(pubdate, datetime):
            parts.append(f"<published>{_atom_time(pubdate)}</published>")
            parts.append(f"<updated>{_atom_time(pubdate)}</updated>")
        if item.get("html") is not None:
            parts.append(f'<content type="html">{escape(str(item["html"]))}</content>')
        parts.append("</entry>")
    parts.append("</feed>")
    return "\n".join(p for p in parts if p).encode("utf-8")


def _element(name: str, value: object) -> str:
    return "" if value is None else f"<{name}>{escape(str(value))}</{name}>"


def _atom_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def english_item(n: int) -> dict[str, object]:
    body = " ".join(
        f"<p>Paragraph {i} of report {n}: officials in Pyongyang and Moscow discussed rail links,"
        f" grain shipments and port access for the {n}th time this year, a ministry said.</p>"
        for i in range(4)
    )
    return {
        "title": f"North Korea trade report number {n}",
        "link": f"https://news.example.org/reports/{n}",
        "guid": f"tag:news.example.org,2023:{n}",
        "html": body,
        "pubdate": datetime(2023, 9, 1, 8, 0, tzinfo=UTC) + timedelta(days=n),
    }
