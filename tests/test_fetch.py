"""sources.fetch: conditional GET, statuses, Retry-After, size cap, deadline and redirects.

Everything a server can do is served by a real local origin (tests/origin.py); respx stands in
only for what a local server cannot produce (a connect timeout, a name that does not resolve).
"""

from __future__ import annotations

import gzip
import logging
import socket
import ssl
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx

from aggregator import __version__
from aggregator.sources.fetch import (
    DEFAULT_DEADLINE_S,
    MAX_FEED_BYTES,
    MAX_REDIRECTS,
    Fetched,
    FetchFailed,
    FetchResult,
    NotModified,
    fetch_feed,
    make_client,
    parse_retry_after,
    tls_context,
)
from aggregator.sources.polling import MAX_RETRY_AFTER
from tests.origin import Origin, Route, http_date, rss_feed, strong_etag

FEED = rss_feed([{"title": "One", "link": "https://e.org/1", "guid": "1", "html": "<p>1</p>"}])
NOW = datetime(2023, 9, 12, 10, 0, tzinfo=UTC)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with make_client() as c:
        yield c


@pytest.fixture
def quick_client() -> Iterator[httpx.Client]:
    """A client that gives up after one second of silence."""
    with make_client(timeout_s=1.0, connect_timeout_s=1.0) as c:
        yield c


def _fetch(
    client: httpx.Client,
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    max_bytes: int = MAX_FEED_BYTES,
    deadline_s: float = DEFAULT_DEADLINE_S,
) -> FetchResult:
    return fetch_feed(
        client,
        url,
        source="wire",
        etag=etag,
        last_modified=last_modified,
        max_bytes=max_bytes,
        deadline_s=deadline_s,
    )


def _failed(result: FetchResult) -> FetchFailed:
    assert isinstance(result, FetchFailed), result
    return result


def _fetched(result: FetchResult) -> Fetched:
    assert isinstance(result, Fetched), result
    return result


class TestConditionalGet:
    def test_first_fetch_returns_body_and_validators(
        self, origin: Origin, client: httpx.Client
    ) -> None:
        """A 200 gives the body, its content type, ETag and Last-Modified, and the final URL."""
        modified = http_date(NOW)
        origin.routes["/feed.xml"] = Route(body=FEED, last_modified=modified)
        fetched = _fetched(_fetch(client, origin.url("/feed.xml")))
        assert fetched.body == FEED
        assert fetched.status == 200
        assert fetched.content_type == "application/rss+xml"
        assert (fetched.etag, fetched.last_modified) == (strong_etag(FEED), modified)
        assert (fetched.url, fetched.permanent_url) == (origin.url("/feed.xml"), None)

    def test_second_fetch_is_conditional_and_not_modified(
        self, origin: Origin, client: httpx.Client
    ) -> None:
        """With the stored ETag the origin answers 304, and fetch_feed returns NotModified."""
        origin.routes["/feed.xml"] = Route(body=FEED)
        first = _fetched(_fetch(client, origin.url("/feed.xml")))
        second = _fetch(client, origin.url("/feed.xml"), etag=first.etag)
        assert isinstance(second, NotModified)
        assert second.etag == first.etag
        assert origin.conditional_count("/feed.xml") == 1
        assert origin.headers_of("/feed.xml")[1]["if-none-match"] == first.etag

    def test_last_modified_alone_makes_a_conditional_request(
        self, origin: Origin, client: httpx.Client
    ) -> None:
        """Without an ETag, If-Modified-Since carries the stored Last-Modified."""
        modified = http_date(NOW)
        origin.routes["/feed.xml"] = Route(body=FEED, etag=False, last_modified=modified)
        result = _fetch(client, origin.url("/feed.xml"), last_modified=modified)
        assert isinstance(result, NotModified)
        assert result.last_modified == modified
        assert origin.headers_of("/feed.xml")[0]["if-modified-since"] == modified

    def test_changed_feed_answers_200_despite_the_old_etag(
        self, origin: Origin, client: httpx.Client
    ) -> None:
        """A stale ETag gets the new body and the new ETag."""
        origin.routes["/feed.xml"] = Route(body=FEED + b"\n")
        fetched = _fetched(_fetch(client, origin.url("/feed.xml"), etag=strong_etag(FEED)))
        assert fetched.etag == strong_etag(FEED + b"\n")

    def test_unsendable_etag_is_not_kept(self, origin: Origin, client: httpx.Client) -> None:
        """A non-ASCII ETag could not be sent back: it is dropped, not stored."""
        origin.routes["/feed.xml"] = Route(body=FEED, etag=False, headers={"ETag": '"café"'})
        assert _fetched(_fetch(client, origin.url("/feed.xml"))).etag is None

    def test_unsendable_stored_etag_is_left_out_of_the_request(
        self, origin: Origin, client: httpx.Client
    ) -> None:
        """A stored validator that cannot be sent is skipped; the fetch still works."""
        origin.routes["/feed.xml"] = Route(body=FEED)
        assert _fetched(_fetch(client, origin.url("/feed.xml"), etag='"café"')).body == FEED
        assert "if-none-match" not in origin.headers_of("/feed.xml")[0]

    def test_requests_name_the_product_and_accept_feeds(
        self, origin: Origin, client: httpx.Client
    ) -> None:
        """User-Agent names aggregator and its version; Accept asks for Atom and RSS first."""
        origin.routes["/feed.xml"] = Route(body=FEED)
        _fetch(client, origin.url("/feed.xml"))
        headers = origin.headers_of("/feed.xml")[0]
        assert headers["user-agent"] == f"aggregator/{__version__} (+feed aggregator)"
        assert headers["accept"].startswith("application/atom+xml, application/rss+xml")


class TestStatus:
    def test_server_error_is_a_failure_naming_the_source(
        self, origin: Origin, client: httpx.Client
    ) -> None:
        """A 500 becomes FetchFailed whose error names source, URL and status."""
        origin.routes["/feed.xml"] = Route(body=b"oops", status=500, content_type="text/plain")
        error = _failed(_fetch(client, origin.url("/feed.xml"))).error
        assert (error.source, error.url, error.status) == ("wire", origin.url("/feed.xml"), 500)
        assert str(error) == f"source wire ({origin.url('/feed.xml')}): HTTP 500"

    def test_gone_is_flagged(self, origin: Origin, client: httpx.Client) -> None:
        """A 410 is a failure that says the feed is gone."""
        origin.routes["/feed.xml"] = Route(status=410)
        assert _failed(_fetch(client, origin.url("/feed.xml"))).is_gone

    def test_other_failures_are_not_gone(self, origin: Origin, client: httpx.Client) -> None:
        """A 404 is a failure, not a disappearance."""
        assert not _failed(_fetch(client, origin.url("/missing.xml"))).is_gone

    def test_too_many_requests_with_retry_after_seconds(
        self, origin: Origin, client: httpx.Client
    ) -> None:
        """429 with "Retry-After: 120" asks for two minutes."""
        origin.routes["/feed.xml"] = Route(status=429, headers={"Retry-After": "120"})
        failed = _failed(_fetch(client, origin.url("/feed.xml")))
        assert failed.retry_after == timedelta(seconds=120)
        assert failed.error.status == 429

    def test_unavailable_with_retry_after_http_date(
        self, origin: Origin, client: httpx.Client
    ) -> None:
        """503 with an HTTP date asks for the time until then (by the server's Date)."""
        later = http_date(datetime.now(UTC) + timedelta(seconds=90))
        origin.routes["/feed.xml"] = Route(status=503, headers={"Retry-After": later})
        failed = _failed(_fetch(client, origin.url("/feed.xml")))
        assert failed.retry_after is not None
        assert timedelta(seconds=80) <= failed.retry_after <= timedelta(seconds=91)

    def test_unavailable_without_retry_after_has_none(
        self, origin: Origin, client: httpx.Client
    ) -> None:
        """A bare 503 leaves the delay to the backoff."""
        origin.routes["/feed.xml"] = Route(status=503)
        assert _failed(_fetch(client, origin.url("/feed.xml"))).retry_after is None

    def test_retry_after_is_ignored_on_other_statuses(
        self, origin: Origin, client: httpx.Client
    ) -> None:
        """Retry-After counts on 429 and 503 only."""
        origin.routes["/feed.xml"] = Route(status=500, headers={"Retry-After": "600"})
        assert _failed(_fetch(client, origin.url("/feed.xml"))).retry_after is None


class TestNetworkFailures:
    def test_hang_is_cut_off_by_the_read_timeout(
        self, origin: Origin, quick_client: httpx.Client
    ) -> None:
        """An origin silent past the 1 s timeout is a failure within a few seconds."""
        origin.routes["/feed.xml"] = Route(body=FEED, delay_s=30)
        started = time.monotonic()
        error = _failed(_fetch(quick_client, origin.url("/feed.xml"))).error
        assert time.monotonic() - started < 5
        assert error.reason == "timed out (read)"

    def test_trickle_is_cut_off_by_the_deadline(self, origin: Origin, client: httpx.Client) -> None:
        """A body dribbling a byte at a time never trips the read timeout; the deadline stops it."""
        origin.routes["/feed.xml"] = Route(body=FEED, trickle_s=0.05, trickle_bytes=1)
        started = time.monotonic()
        error = _failed(_fetch(client, origin.url("/feed.xml"), deadline_s=1.0)).error
        assert time.monotonic() - started < 5
        assert error.reason == "took longer than 1 s"

    def test_refused_connection_is_a_failure(self, client: httpx.Client) -> None:
        """Nothing listening on the port: a failure saying it cannot connect."""
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        error = _failed(_fetch(client, f"http://127.0.0.1:{port}/feed.xml")).error
        assert error.reason.startswith("cannot connect")
        assert error.status is None

    def test_connect_timeout_is_a_failure(self, client: httpx.Client) -> None:
        """A connect that never completes (a black-holed address) is a timed-out failure."""
        url = "https://unreachable.example/feed.xml"
        with respx.mock(assert_all_called=True) as mock:
            mock.get(url).mock(side_effect=httpx.ConnectTimeout("connect timed out"))
            error = _failed(_fetch(client, url)).error
        assert error.reason == "timed out (connect)"

    def test_unresolvable_host_is_a_failure(self, client: httpx.Client) -> None:
        """A name that does not resolve fails for this source only, saying it cannot connect."""
        url = "https://no-such-host.example/feed.xml"
        with respx.mock(assert_all_called=True) as mock:
            mock.get(url).mock(
                side_effect=httpx.ConnectError("[Errno -2] Name or service not known")
            )
            error = _failed(_fetch(client, url)).error
        assert error.reason == "cannot connect: [Errno -2] Name or service not known"

    def test_failures_are_logged_with_the_source(
        self, origin: Origin, client: httpx.Client, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Every failure logs fetch.failed (info) naming the source, URL and reason."""
        caplog.set_level(logging.INFO, logger="aggregator")
        origin.routes["/feed.xml"] = Route(status=502)
        _fetch(client, origin.url("/feed.xml"))
        [record] = [r for r in caplog.records if r.msg.startswith("fetch.failed")]
        assert record.args == ("wire", origin.url("/feed.xml"), "HTTP 502")


class TestSizeCap:
    def test_declared_length_over_the_cap_is_refused(
        self, origin: Origin, client: httpx.Client
    ) -> None:
        """A Content-Length past the cap fails before the body is read."""
        origin.routes["/big.xml"] = Route(body=b"x" * 10_000)
        error = _failed(_fetch(client, origin.url("/big.xml"), max_bytes=1024)).error
        assert error.reason == "response larger than 1024 bytes"

    def test_undeclared_length_stops_the_read_at_the_cap(
        self, origin: Origin, client: httpx.Client
    ) -> None:
        """Without Content-Length, reading stops past the cap: the origin cannot send it all."""
        body = b"x" * (16 * 1024 * 1024)
        origin.routes["/big.xml"] = Route(body=body, send_length=False)
        error = _failed(_fetch(client, origin.url("/big.xml"), max_bytes=64 * 1024)).error
        assert error.reason == f"response larger than {64 * 1024} bytes"
        sent = origin.sent_for("/big.xml")
        assert not sent.complete
        assert sent.body_bytes < len(body)

    def test_cap_counts_decoded_bytes(self, origin: Origin, client: httpx.Client) -> None:
        """A small gzip body that inflates past the cap is refused (no gzip bomb)."""
        bomb = gzip.compress(b"\0" * (8 * 1024 * 1024))
        origin.routes["/bomb.xml"] = Route(body=bomb, headers={"Content-Encoding": "gzip"})
        error = _failed(_fetch(client, origin.url("/bomb.xml"), max_bytes=1024 * 1024)).error
        assert error.reason == f"response larger than {1024 * 1024} bytes"

    def test_body_of_exactly_the_cap_is_accepted(
        self, origin: Origin, client: httpx.Client
    ) -> None:
        """The cap is inclusive: max_bytes bytes are fine."""
        origin.routes["/feed.xml"] = Route(body=b"y" * 4096, send_length=False)
        assert len(_fetched(_fetch(client, origin.url("/feed.xml"), max_bytes=4096)).body) == 4096


def _chain(origin: Origin, hops: int, *, permanent: bool = True) -> str:
    """Routes /r0 -> /r1 -> ... -> /r{hops-1} -> /feed.xml; returns the first URL."""
    for n in range(hops):
        target = f"/r{n + 1}" if n + 1 < hops else "/feed.xml"
        origin.routes[f"/r{n}"] = Route(redirect_to=origin.url(target), permanent=permanent)
    origin.routes["/feed.xml"] = Route(body=FEED)
    return origin.url("/r0")


class TestRedirects:
    def test_temporary_redirect_is_followed_but_not_permanent(
        self, origin: Origin, client: httpx.Client
    ) -> None:
        """A 302 leads to the feed; the stored URL must not move (permanent_url is None)."""
        fetched = _fetched(_fetch(client, _chain(origin, 1, permanent=False)))
        assert (fetched.url, fetched.permanent_url) == (origin.url("/feed.xml"), None)

    def test_permanent_redirect_reports_the_new_url(
        self, origin: Origin, client: httpx.Client
    ) -> None:
        """A 301 leads to the feed and reports where it now lives."""
        fetched = _fetched(_fetch(client, _chain(origin, 1)))
        assert fetched.permanent_url == origin.url("/feed.xml")

    def test_permanent_308_counts_as_permanent(self, origin: Origin, client: httpx.Client) -> None:
        """308 Permanent Redirect moves the URL like 301."""
        origin.routes["/old"] = Route(redirect_to="/feed.xml", status=308)
        origin.routes["/feed.xml"] = Route(body=FEED)
        assert _fetched(_fetch(client, origin.url("/old"))).permanent_url == origin.url("/feed.xml")

    def test_one_temporary_hop_makes_the_chain_temporary(
        self, origin: Origin, client: httpx.Client
    ) -> None:
        """301 then 302: the final URL is not permanent."""
        origin.routes["/a"] = Route(redirect_to="/b", permanent=True)
        origin.routes["/b"] = Route(redirect_to="/feed.xml", permanent=False)
        origin.routes["/feed.xml"] = Route(body=FEED)
        assert _fetched(_fetch(client, origin.url("/a"))).permanent_url is None

    def test_relative_location_resolves_against_the_request(
        self, origin: Origin, client: httpx.Client
    ) -> None:
        """Location "../feed.xml" from /dir/old resolves to /feed.xml."""
        origin.routes["/dir/old"] = Route(redirect_to="../feed.xml")
        origin.routes["/feed.xml"] = Route(body=FEED)
        assert _fetched(_fetch(client, origin.url("/dir/old"))).url == origin.url("/feed.xml")

    def test_five_redirects_are_followed(self, origin: Origin, client: httpx.Client) -> None:
        """A chain of exactly MAX_REDIRECTS hops still reaches the feed."""
        assert MAX_REDIRECTS == 5
        assert _fetched(_fetch(client, _chain(origin, 5))).body == FEED

    def test_too_many_redirects_fail(self, origin: Origin, client: httpx.Client) -> None:
        """Six redirects in a row fail without requesting the feed."""
        error = _failed(_fetch(client, _chain(origin, 6))).error
        assert error.reason == "too many redirects (more than 5)"
        assert origin.count("/feed.xml") == 0

    def test_redirect_loop_fails(self, origin: Origin, client: httpx.Client) -> None:
        """/a -> /b -> /a is caught at the first repeat, not after the limit."""
        origin.routes["/a"] = Route(redirect_to="/b")
        origin.routes["/b"] = Route(redirect_to="/a")
        error = _failed(_fetch(client, origin.url("/a"))).error
        assert error.reason == f"redirect loop: back to {origin.url('/a')}"
        assert origin.count("/a") == 1

    def test_redirect_without_location_fails(self, origin: Origin, client: httpx.Client) -> None:
        """A 302 with no Location header is a failure, not a body to parse."""
        origin.routes["/feed.xml"] = Route(status=302, body=b"moved")
        error = _failed(_fetch(client, origin.url("/feed.xml"))).error
        assert error.reason == "HTTP 302 redirect without a Location"

    def test_redirect_to_another_scheme_fails(self, origin: Origin, client: httpx.Client) -> None:
        """A Location of file:// or ftp:// is refused."""
        origin.routes["/feed.xml"] = Route(redirect_to="file:///etc/passwd")
        error = _failed(_fetch(client, origin.url("/feed.xml"))).error
        assert error.reason == "redirect to a non-http(s) URL 'file:///etc/passwd'"

    def test_permanent_redirect_then_not_modified_reports_the_new_url(
        self, origin: Origin, client: httpx.Client
    ) -> None:
        """A 304 at the end of a 301 still says where the feed moved."""
        url = _chain(origin, 1)
        result = _fetch(client, url, etag=strong_etag(FEED))
        assert isinstance(result, NotModified)
        assert result.permanent_url == origin.url("/feed.xml")


class TestParseRetryAfter:
    def test_seconds(self) -> None:
        """A number is a delay in seconds."""
        assert parse_retry_after(" 30 ", now=NOW) == timedelta(seconds=30)

    def test_http_date(self) -> None:
        """A date is the time from `now` until then."""
        assert parse_retry_after(http_date(NOW + timedelta(minutes=5)), now=NOW) == timedelta(
            minutes=5
        )

    def test_date_in_the_past_is_zero(self) -> None:
        """A date already past means retry at once (the backoff still applies)."""
        assert parse_retry_after(http_date(NOW - timedelta(hours=1)), now=NOW) == timedelta(0)

    @pytest.mark.parametrize("value", ["", "soon", "-5", "1.5", "٣٠", "Mon, 99 Foo 2023"])
    def test_nonsense_is_none(self, value: str) -> None:
        """Anything but digits or an HTTP date is ignored."""
        assert parse_retry_after(value, now=NOW) is None

    @pytest.mark.parametrize("value", ["999999999", "9" * 5000])
    def test_huge_values_are_capped(self, value: str) -> None:
        """However many digits, the delay is at most MAX_RETRY_AFTER (and nothing overflows)."""
        assert parse_retry_after(value, now=NOW) == MAX_RETRY_AFTER


class TestMakeClient:
    def test_timeouts_are_explicit(self) -> None:
        """The connect timeout and the read/write/pool timeout are the ones asked for."""
        with make_client(timeout_s=7.0, connect_timeout_s=3.0) as c:
            assert c.timeout == httpx.Timeout(7.0, connect=3.0)

    def test_httpx_does_not_follow_redirects(self) -> None:
        """Redirects are fetch_feed's to follow, to tell permanent from temporary."""
        with make_client() as c:
            assert c.follow_redirects is False

    def test_clients_share_one_verifying_tls_context(self) -> None:
        """One TLS context per process (the CA bundle is read once), verifying like httpx's."""
        context = tls_context()
        assert context is tls_context()
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
        assert context.get_ca_certs() or context.cert_store_stats()["x509_ca"] > 0
