"""HTTP serving of feeds/: a real uvicorn server on 127.0.0.1, port 0, and a real httpx client."""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import json
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from feedgen.feed import FeedGenerator

from aggregator.daemon.http import MAX_HEADER_BYTES, FeedServer, create_app
from aggregator.publish.write import write_atomic
from tests.atomcheck import assert_valid_atom

MAX_AGE_S = 123
FEED_MTIME = 1_694_500_000  # 2023-09-12, a whole second, so Last-Modified is exact
SECRET = "do-not-serve-this"
STOP_WITHIN_S = 3.0
STOP_BUDGET_S = 0.5
REPLACE_RACE_REQUESTS = 20
SIGNAL_WATCH_S = 0.5  # uvicorn would install its handlers within milliseconds of run()
OPML = b'<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0"><head><title>Feeds</title>'
OPML += b'</head><body><outline text="All" xmlUrl="http://127.0.0.1/all.atom"/></body></opml>\n'
INDEX = b"<!doctype html><title>Feeds</title><a href='all.atom'>All</a>\n"
HEALTH_OK = {"status": "ok", "sources": {"seeds": {"last_success": "2023-09-12T08:00:00+00:00"}}}


def build_atom(title: str) -> bytes:
    """A small valid Atom feed with one entry; `title` changes the bytes."""
    feed = FeedGenerator()
    feed.id("http://127.0.0.1:8080/all.atom")
    feed.title(title)
    feed.author(name="aggregator")
    feed.link(href="http://127.0.0.1:8080/all.atom", rel="self")
    feed.updated(datetime(2023, 9, 12, 8, 0, tzinfo=UTC))
    entry = feed.add_entry()
    entry.id("tag:aggregator,2023:story-1")
    entry.title("金正恩抵达俄罗斯")
    entry.link(href="https://www.rfi.fr/cn/a")
    entry.updated(datetime(2023, 9, 12, 8, 0, tzinfo=UTC))
    entry.published(datetime(2023, 9, 12, 7, 0, tzinfo=UTC))
    entry.content("<p>" + "金正恩乘专列抵达俄罗斯。" * 40 + "</p>", type="html")
    data: bytes = feed.atom_str(pretty=True)
    return data


ATOM_BYTES = build_atom("Aggregator — All")


class Health:
    """A health callback that fails `failures` times, then reports HEALTH_OK."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures

    def __call__(self) -> Mapping[str, object]:
        if self.failures > 0:
            self.failures -= 1
            raise RuntimeError("store is locked")
        last = datetime(2023, 9, 12, 8, 0, tzinfo=UTC)
        return {"status": "ok", "sources": {"seeds": {"last_success": last}}}


def make_feeds_dir(root: Path) -> Path:
    """Make root/feeds/ with servable files and every kind of file that must not be served."""
    feeds = root / "feeds"
    feeds.mkdir()
    (feeds / "all.atom").write_bytes(ATOM_BYTES)
    (feeds / "index.opml").write_bytes(OPML)
    (feeds / "index.html").write_bytes(INDEX)
    (feeds / ".all.atom.k3j2x9.tmp").write_bytes(ATOM_BYTES[:100])
    (feeds / ".hidden.atom").write_bytes(ATOM_BYTES)
    (feeds / "notes.txt").write_text(SECRET)
    (feeds / "folder.atom").mkdir()
    (feeds / "sub").mkdir()
    (feeds / "sub" / "nested.atom").write_bytes(ATOM_BYTES)
    (root / "config.toml").write_text(f'secret = "{SECRET}"\n')
    (root / "outside.atom").write_text(SECRET)
    (feeds / "outside.atom").symlink_to(root / "outside.atom")
    (feeds / "inside.atom").symlink_to(feeds / "all.atom")
    for path in feeds.iterdir():
        if not path.is_symlink():
            os.utime(path, (FEED_MTIME, FEED_MTIME))
    return feeds


@pytest.fixture
def feeds_dir(tmp_path: Path) -> Path:
    """A feeds/ folder of this test's own, free to change."""
    return make_feeds_dir(tmp_path)


@contextmanager
def serving(feeds_dir: Path, health: Health | None = None) -> Iterator[httpx.Client]:
    """Run the app on a real server on port 0; yield a client that asks for no compression."""
    app = create_app(feeds_dir, max_age_s=MAX_AGE_S, health=health or Health())
    server = FeedServer(app, host="127.0.0.1", port=0)
    port = server.start_in_thread()
    try:
        base_url = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base_url, headers={"Accept-Encoding": "identity"}) as client:
            yield client
    finally:
        server.stop()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A client of one server shared by the tests that only read (they must not change files)."""
    with serving(make_feeds_dir(tmp_path_factory.mktemp("site"))) as client:
        yield client


@pytest.fixture
def own_client(feeds_dir: Path) -> Iterator[httpx.Client]:
    """A client of a server of this test's own, serving `feeds_dir`."""
    with serving(feeds_dir) as client:
        yield client


def get_target(client: httpx.Client, target: bytes, method: str = "GET") -> httpx.Response:
    """Send `target` verbatim as the request-target, past httpx's own path normalization."""
    return client.request(method, "/", extensions={"target": target})


def get_raw(
    client: httpx.Client, path: str, headers: dict[str, str]
) -> tuple[httpx.Response, bytes]:
    """GET `path`; return the response and its body as sent on the wire (not decoded)."""
    with client.stream("GET", path, headers=headers) as response:
        return response, b"".join(response.iter_raw())


class TestContent:
    @pytest.mark.parametrize(
        ("path", "content_type", "body"),
        [
            ("/all.atom", "application/atom+xml; charset=utf-8", ATOM_BYTES),
            ("/index.opml", "text/x-opml; charset=utf-8", OPML),
            ("/index.html", "text/html; charset=utf-8", INDEX),
            ("/", "text/html; charset=utf-8", INDEX),
        ],
        ids=["atom", "opml", "html", "root"],
    )
    def test_serves_file_with_its_content_type(
        self, client: httpx.Client, path: str, content_type: str, body: bytes
    ) -> None:
        """Each servable file comes back byte for byte with its suffix's content type."""
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"] == content_type
        assert response.content == body

    def test_served_atom_is_valid(self, client: httpx.Client) -> None:
        """The Atom file as served passes the same validity checks as a built file."""
        assert_valid_atom(client.get("/all.atom").content)

    def test_etag_is_quoted_sha256_prefix(self, client: httpx.Client) -> None:
        """The ETag is strong: the quoted first 32 hex digits of the body's sha256."""
        expected = hashlib.sha256(ATOM_BYTES).hexdigest()[:32]
        assert client.get("/all.atom").headers["etag"] == f'"{expected}"'

    def test_last_modified_is_file_mtime(self, client: httpx.Client) -> None:
        """Last-Modified is the file's mtime as an HTTP-date."""
        response = client.get("/all.atom")
        assert response.headers["last-modified"] == email.utils.formatdate(FEED_MTIME, usegmt=True)

    def test_cache_control_uses_max_age_argument(self, client: httpx.Client) -> None:
        """Cache-Control is public with the max-age given to create_app."""
        response = client.get("/all.atom")
        assert response.headers["cache-control"] == f"public, max-age={MAX_AGE_S}"

    def test_identity_response_varies_on_accept_encoding(self, client: httpx.Client) -> None:
        """Even an uncompressed response says it depends on Accept-Encoding."""
        assert client.get("/all.atom").headers["vary"] == "Accept-Encoding"

    def test_head_has_headers_and_no_body(self, client: httpx.Client) -> None:
        """HEAD answers the same headers as GET, with an empty body."""
        response = client.head("/all.atom")
        assert response.status_code == 200
        assert response.content == b""
        assert response.headers["content-length"] == str(len(ATOM_BYTES))
        assert response.headers["etag"] == client.get("/all.atom").headers["etag"]
        assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"

    def test_replaced_file_is_served_with_new_etag(
        self, own_client: httpx.Client, feeds_dir: Path
    ) -> None:
        """After write_atomic swaps in same-size bytes, the new bytes come with a new ETag."""
        old_etag = own_client.get("/all.atom").headers["etag"]
        new_bytes = ATOM_BYTES.replace(b"Aggregator", b"Aggregated")
        assert len(new_bytes) == len(ATOM_BYTES)
        write_atomic(feeds_dir / "all.atom", new_bytes)
        response = own_client.get("/all.atom", headers={"If-None-Match": old_etag})
        assert response.status_code == 200
        assert response.content == new_bytes
        assert response.headers["etag"] not in (old_etag, "")

    def test_etag_matches_body_while_file_is_replaced(
        self, own_client: httpx.Client, feeds_dir: Path
    ) -> None:
        """While the file is replaced again and again, every response's ETag fits its body."""
        versions = [build_atom("Version A"), build_atom("Version B")]
        write_atomic(feeds_dir / "all.atom", versions[0])
        done = threading.Event()

        def rewrite() -> None:
            while not done.is_set():
                for version in versions:
                    write_atomic(feeds_dir / "all.atom", version)

        writer = threading.Thread(target=rewrite)
        writer.start()
        try:
            responses = [own_client.get("/all.atom") for _ in range(REPLACE_RACE_REQUESTS)]
        finally:
            done.set()
            writer.join()
        for response in responses:
            assert response.content in versions
            digest = hashlib.sha256(response.content).hexdigest()[:32]
            assert response.headers["etag"] == f'"{digest}"'


class TestConditional:
    def test_matching_if_none_match_is_304_without_body(self, client: httpx.Client) -> None:
        """A matching If-None-Match gets 304 and no body."""
        etag = client.get("/all.atom").headers["etag"]
        response = client.get("/all.atom", headers={"If-None-Match": etag})
        assert response.status_code == 304
        assert response.content == b""

    def test_not_modified_keeps_cache_headers(self, client: httpx.Client) -> None:
        """A 304 repeats ETag, Last-Modified, Cache-Control and Vary."""
        first = client.get("/all.atom")
        response = client.get("/all.atom", headers={"If-None-Match": first.headers["etag"]})
        for name in ("etag", "last-modified", "cache-control", "vary"):
            assert response.headers[name] == first.headers[name], name

    def test_if_none_match_star_is_304(self, client: httpx.Client) -> None:
        """If-None-Match: * matches any existing file."""
        response = client.get("/all.atom", headers={"If-None-Match": "*"})
        assert response.status_code == 304

    def test_if_none_match_list_is_304(self, client: httpx.Client) -> None:
        """A comma list containing the ETag (here in weak form) matches."""
        etag = client.get("/all.atom").headers["etag"]
        listed = f'"0000", W/{etag} , "ffff"'
        response = client.get("/all.atom", headers={"If-None-Match": listed})
        assert response.status_code == 304

    def test_other_etag_is_200(self, client: httpx.Client) -> None:
        """An If-None-Match naming only other versions gets the full body."""
        response = client.get("/all.atom", headers={"If-None-Match": '"0000", "ffff"'})
        assert response.status_code == 200
        assert response.content == ATOM_BYTES

    @pytest.mark.parametrize("offset_s", [0, 3600], ids=["same", "later"])
    def test_if_modified_since_not_before_mtime_is_304(
        self, client: httpx.Client, offset_s: int
    ) -> None:
        """If-Modified-Since at or after Last-Modified gets 304."""
        since = email.utils.formatdate(FEED_MTIME + offset_s, usegmt=True)
        response = client.get("/all.atom", headers={"If-Modified-Since": since})
        assert response.status_code == 304

    def test_if_modified_since_before_mtime_is_200(self, client: httpx.Client) -> None:
        """If-Modified-Since a second before Last-Modified gets the body."""
        since = email.utils.formatdate(FEED_MTIME - 1, usegmt=True)
        response = client.get("/all.atom", headers={"If-Modified-Since": since})
        assert response.status_code == 200

    def test_unparsable_if_modified_since_is_ignored(self, client: httpx.Client) -> None:
        """A malformed If-Modified-Since is ignored, not an error."""
        response = client.get("/all.atom", headers={"If-Modified-Since": "yesterday-ish"})
        assert response.status_code == 200

    def test_if_none_match_overrides_if_modified_since(self, client: httpx.Client) -> None:
        """With a non-matching If-None-Match, a satisfied If-Modified-Since is ignored."""
        since = email.utils.formatdate(FEED_MTIME, usegmt=True)
        headers = {"If-None-Match": '"0000"', "If-Modified-Since": since}
        assert client.get("/all.atom", headers=headers).status_code == 200


class TestGzip:
    def test_gzip_when_asked(self, client: httpx.Client) -> None:
        """Accept-Encoding: gzip gets a gzip body that decodes to the file's bytes."""
        response, body = get_raw(client, "/all.atom", {"Accept-Encoding": "gzip"})
        assert response.headers["content-encoding"] == "gzip"
        assert response.headers["vary"] == "Accept-Encoding"
        assert gzip.decompress(body) == ATOM_BYTES
        assert response.headers["content-length"] == str(len(body))

    def test_no_gzip_when_not_asked(self, client: httpx.Client) -> None:
        """Without gzip in Accept-Encoding the body is sent as is."""
        response, body = get_raw(client, "/all.atom", {"Accept-Encoding": "identity"})
        assert "content-encoding" not in response.headers
        assert body == ATOM_BYTES

    def test_gzip_refused_with_q_zero(self, client: httpx.Client) -> None:
        """gzip;q=0 means the client does not accept gzip."""
        response, body = get_raw(client, "/all.atom", {"Accept-Encoding": "gzip;q=0, identity"})
        assert "content-encoding" not in response.headers
        assert body == ATOM_BYTES

    def test_gzip_variant_has_its_own_etag(self, client: httpx.Client) -> None:
        """The gzipped variant's ETag differs from the identity one, so caches never mix them."""
        plain = client.get("/all.atom").headers["etag"]
        zipped = client.get("/all.atom", headers={"Accept-Encoding": "gzip"}).headers["etag"]
        assert zipped == f'{plain[:-1]}-gz"'

    def test_gzip_etag_revalidates_to_304(self, client: httpx.Client) -> None:
        """A gzip client revalidating with the gzip ETag gets 304."""
        gzip_headers = {"Accept-Encoding": "gzip"}
        etag = client.get("/all.atom", headers=gzip_headers).headers["etag"]
        response = client.get("/all.atom", headers={**gzip_headers, "If-None-Match": etag})
        assert response.status_code == 304

    def test_identity_etag_does_not_revalidate_gzip_variant(self, client: httpx.Client) -> None:
        """A gzip request with the identity variant's ETag gets the gzipped body, not 304."""
        etag = client.get("/all.atom").headers["etag"]
        headers = {"Accept-Encoding": "gzip", "If-None-Match": etag}
        response, body = get_raw(client, "/all.atom", headers)
        assert response.status_code == 200
        assert gzip.decompress(body) == ATOM_BYTES

    def test_head_with_gzip_gives_gzip_length(self, client: httpx.Client) -> None:
        """HEAD with gzip reports the compressed length and encoding, with no body."""
        _, body = get_raw(client, "/all.atom", {"Accept-Encoding": "gzip"})
        response = client.head("/all.atom", headers={"Accept-Encoding": "gzip"})
        assert response.headers["content-encoding"] == "gzip"
        assert response.headers["content-length"] == str(len(body))
        assert response.content == b""


REFUSED_TARGETS = [
    b"/../config.toml",
    b"/%2e%2e/config.toml",
    b"/..%2fconfig.toml",
    b"/%2e%2e%2fconfig.toml",
    b"/..%5cconfig.toml",
    b"/..\\config.toml",
    b"/%2e%2e%5c%2e%2e%5cconfig.toml",
    b"/all.atom%00",
    b"/all.atom%00.html",
    b"/%00",
    b"/..",
    b"/.",
    b"//config.toml",
    b"/%2fetc%2fpasswd",
    b"/.hidden.atom",
    b"/.all.atom.k3j2x9.tmp",
    b"/outside.atom",
    b"/inside.atom",
    b"/sub/nested.atom",
    b"/sub%2fnested.atom",
    b"/sub%5cnested.atom",
    b"/sub",
    b"/folder.atom",
    b"/notes.txt",
    b"/missing.atom",
    b"/all.atom/",
    b"/all.atom.",
    b"/config.toml",
]


class TestRefused:
    @pytest.mark.parametrize("target", REFUSED_TARGETS, ids=lambda t: t.decode())
    def test_target_outside_served_files_is_404(self, client: httpx.Client, target: bytes) -> None:
        """Traversal, encoded separators, NUL, hidden, temp, symlink, nested, other suffix: 404."""
        response = get_target(client, target)
        assert response.status_code == 404
        assert SECRET not in response.text

    def test_percent_encoded_plain_name_is_served(self, client: httpx.Client) -> None:
        """Control for the 404s: a raw target reaches the server undecoded and is decoded there."""
        response = get_target(client, b"/%61ll.atom")
        assert response.status_code == 200
        assert response.content == ATOM_BYTES

    def test_symlink_into_feeds_is_refused_though_target_is_served(
        self, client: httpx.Client
    ) -> None:
        """A symlink is 404 even when it points at a file that is itself served."""
        assert client.get("/all.atom").status_code == 200
        assert client.get("/inside.atom").status_code == 404

    @pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
    def test_other_methods_are_405(self, client: httpx.Client, method: str) -> None:
        """Only GET and HEAD are allowed on a served file."""
        assert client.request(method, "/all.atom").status_code == 405

    def test_missing_feeds_dir_is_404(self, tmp_path: Path) -> None:
        """Before feeds/ exists, files are 404s, not server errors."""
        with serving(tmp_path / "not-yet") as client:
            assert client.get("/").status_code == 404
            assert client.get("/all.atom").status_code == 404


class TestHealth:
    def test_healthz_is_json_of_health(self, client: httpx.Client) -> None:
        """/healthz is health()'s mapping as JSON, datetimes in ISO 8601."""
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert json.loads(response.content) == HEALTH_OK

    def test_healthz_is_not_cached(self, client: httpx.Client) -> None:
        """/healthz says no-store, so no cache replays a stale status."""
        assert client.get("/healthz").headers["cache-control"] == "no-store"

    def test_failing_health_is_500_and_logged(
        self, feeds_dir: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        """If health() raises, /healthz is 500 {"status": "error"} and the failure is logged."""
        with caplog.at_level(logging.ERROR), serving(feeds_dir, Health(failures=1)) as client:
            response = client.get("/healthz")
        assert response.status_code == 500
        assert response.json() == {"status": "error"}
        assert response.headers["cache-control"] == "no-store"
        logged = [r for r in caplog.records if r.getMessage() == "http.health_failed"]
        assert len(logged) == 1
        assert logged[0].exc_info is not None

    def test_server_answers_after_health_failed(self, feeds_dir: Path) -> None:
        """A failed health() does not stop the server: the next requests succeed."""
        with serving(feeds_dir, Health(failures=1)) as client:
            assert client.get("/healthz").status_code == 500
            assert client.get("/healthz").json() == HEALTH_OK
            assert client.get("/all.atom").status_code == 200


class TestServer:
    def test_start_returns_real_port(self, feeds_dir: Path) -> None:
        """Port 0 binds a free port, which start_in_thread returns, already listening."""
        server = FeedServer(
            create_app(feeds_dir, max_age_s=1, health=Health()), host="127.0.0.1", port=0
        )
        port = server.start_in_thread()
        try:
            assert port > 0
            assert httpx.get(f"http://127.0.0.1:{port}/all.atom").status_code == 200
        finally:
            server.stop()

    def test_stops_within_seconds_with_open_connection(self, feeds_dir: Path) -> None:
        """stop() returns quickly although a keep-alive connection is open, and the port closes."""
        server = FeedServer(
            create_app(feeds_dir, max_age_s=1, health=Health()), host="127.0.0.1", port=0
        )
        port = server.start_in_thread()
        with httpx.Client() as client:
            assert client.get(f"http://127.0.0.1:{port}/").status_code == 200
            started = time.monotonic()
            server.stop()
            assert time.monotonic() - started < STOP_WITHIN_S
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{port}/")

    def test_stop_keeps_its_budget_with_request_in_flight(self, feeds_dir: Path) -> None:
        """stop(timeout_s) returns on time even while a request is still being answered."""
        release = threading.Event()
        app = create_app(feeds_dir, max_age_s=1, health=lambda: {"released": release.wait()})
        server = FeedServer(app, host="127.0.0.1", port=0)
        port = server.start_in_thread()
        request = threading.Thread(target=get_quietly, args=(f"http://127.0.0.1:{port}/healthz",))
        request.start()
        time.sleep(0.2)  # the request is now waiting inside health()
        started = time.monotonic()
        server.stop(timeout_s=STOP_BUDGET_S)
        elapsed = time.monotonic() - started
        release.set()
        request.join()
        assert elapsed < STOP_BUDGET_S + 0.5

    def test_busy_port_raises_oserror(self, feeds_dir: Path) -> None:
        """Starting on a port already in use raises OSError in the caller."""
        app = create_app(feeds_dir, max_age_s=1, health=Health())
        first = FeedServer(app, host="127.0.0.1", port=0)
        port = first.start_in_thread()
        try:
            with pytest.raises(OSError):
                FeedServer(app, host="127.0.0.1", port=port).start_in_thread()
        finally:
            first.stop()

    def test_slow_client_does_not_block_others(self, client: httpx.Client) -> None:
        """A client stuck halfway through its request head does not delay another request."""
        host, port = client.base_url.host, client.base_url.port
        assert port is not None
        with socket.create_connection((host, port)) as slow:
            slow.sendall(b"GET /all.atom HTTP/1.1\r\nHost: x\r\n")
            response = client.get("/all.atom", timeout=2.0)
        assert response.status_code == 200

    def test_oversized_request_head_is_refused(self, client: httpx.Client) -> None:
        """A request head that keeps growing past MAX_HEADER_BYTES is refused with 400."""
        host, port = client.base_url.host, client.base_url.port
        assert port is not None
        with socket.create_connection((host, port), timeout=2.0) as conn:
            conn.sendall(b"GET /all.atom HTTP/1.1\r\nHost: x\r\n")
            with pytest.raises(OSError):  # the server hangs up once the limit is passed
                for _ in range(2 * MAX_HEADER_BYTES // 4096 + 8):
                    conn.sendall(b"X-Pad: " + b"a" * 4096 + b"\r\n")
                    time.sleep(0.01)
            assert conn.recv(64).startswith(b"HTTP/1.1 400 ")

    def test_run_keeps_the_daemons_signal_handlers(self, feeds_dir: Path) -> None:
        """run() in the main thread leaves the daemon's SIGINT/SIGTERM handlers in place."""
        server = FeedServer(
            create_app(feeds_dir, max_age_s=1, health=Health()), host="127.0.0.1", port=0
        )
        handlers = {signal.SIGINT: daemon_handler, signal.SIGTERM: daemon_handler}
        previous = {sig: signal.signal(sig, handler) for sig, handler in handlers.items()}
        replaced: list[object] = []

        def watch_then_stop() -> None:
            deadline = time.monotonic() + SIGNAL_WATCH_S
            while time.monotonic() < deadline and not replaced:
                replaced.extend(
                    signal.getsignal(sig)
                    for sig in handlers
                    if signal.getsignal(sig) != daemon_handler
                )
                time.sleep(0.01)
            server.stop()

        watcher = threading.Thread(target=watch_then_stop)
        watcher.start()
        try:
            server.run()
        finally:
            watcher.join()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        assert replaced == []


def get_quietly(url: str) -> None:
    """GET `url`, ignoring whatever answer or error comes back."""
    with suppress(httpx.HTTPError):
        httpx.get(url, timeout=5.0)


def daemon_handler(signum: int, frame: object) -> None:
    """Stands in for the daemon's own SIGINT/SIGTERM handler."""


HEAD_TIMEOUT_S = 0.5  # the deadline given to the servers of TestRequestHeadTimeout
HEAD_TIMEOUT_SLACK_S = 3.0


@pytest.fixture
def head_timeout_server(feeds_dir: Path) -> Iterator[tuple[str, int]]:
    """A server whose request heads must arrive within HEAD_TIMEOUT_S; yields its address."""
    app = create_app(feeds_dir, max_age_s=MAX_AGE_S, health=Health())
    server = FeedServer(app, host="127.0.0.1", port=0, request_head_timeout_s=HEAD_TIMEOUT_S)
    port = server.start_in_thread()
    try:
        yield "127.0.0.1", port
    finally:
        server.stop()


def seconds_until_hung_up(conn: socket.socket, trickle: bytes = b"") -> float:
    """Send `trickle` a byte every 50 ms (or nothing); return when the server closes."""
    started = time.monotonic()
    conn.settimeout(0.05)
    remaining = iter(trickle)
    while time.monotonic() - started < HEAD_TIMEOUT_S + HEAD_TIMEOUT_SLACK_S:
        try:
            if (byte := next(remaining, None)) is not None:
                conn.sendall(bytes([byte]))
            if conn.recv(4096) == b"":
                return time.monotonic() - started
        except TimeoutError:
            continue
        except OSError:  # reset or broken pipe: closed as well
            return time.monotonic() - started
    raise AssertionError("the server kept the connection open")


class TestRequestHeadTimeout:
    """Slow or silent clients are hung up on (issue 6: slowloris). Before, uvicorn kept them
    forever, and MAX_CONCURRENCY of them made the server answer 503 to everyone."""

    def test_silent_connection_is_closed(self, head_timeout_server: tuple[str, int]) -> None:
        """A client that connects and never sends a byte is hung up on."""
        with socket.create_connection(head_timeout_server) as conn:
            assert seconds_until_hung_up(conn) < HEAD_TIMEOUT_S + HEAD_TIMEOUT_SLACK_S

    def test_trickled_head_is_cut_off(self, head_timeout_server: tuple[str, int]) -> None:
        """A head sent a byte at a time is cut off at the deadline, bytes or not."""
        head = b"GET /all.atom HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 1000
        with socket.create_connection(head_timeout_server) as conn:
            assert seconds_until_hung_up(conn, head) < HEAD_TIMEOUT_S + HEAD_TIMEOUT_SLACK_S

    def test_next_head_on_a_kept_alive_connection_has_a_deadline(
        self, head_timeout_server: tuple[str, int]
    ) -> None:
        """After a response, the next head on the same connection gets its own deadline."""
        with socket.create_connection(head_timeout_server) as conn:
            conn.sendall(b"GET /all.atom HTTP/1.1\r\nHost: x\r\n\r\n")
            assert conn.recv(64).startswith(b"HTTP/1.1 200 ")
            time.sleep(0.1)  # the rest of the body
            conn.recv(1 << 20)
            head = b"GET /all.atom HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 1000
            assert seconds_until_hung_up(conn, head) < HEAD_TIMEOUT_S + HEAD_TIMEOUT_SLACK_S

    def test_head_in_pieces_within_the_deadline_is_served(
        self, head_timeout_server: tuple[str, int]
    ) -> None:
        """A head split over several packets, whole before the deadline, is answered."""
        with socket.create_connection(head_timeout_server, timeout=5.0) as conn:
            for piece in (b"GET /all.atom HT", b"TP/1.1\r\nHost:", b" x\r\n\r\n"):
                conn.sendall(piece)
                time.sleep(HEAD_TIMEOUT_S / 5)
            assert conn.recv(64).startswith(b"HTTP/1.1 200 ")
