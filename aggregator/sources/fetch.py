"""Fetch one live feed over HTTP: conditional GET, redirects, a size cap and a deadline.

Owns the network half of feed sources; parsing is feedformat's job, and what to remember
after a poll is polling's. httpx is the product's named client: explicit per-phase timeouts
(`httpx.Timeout`), streamed bodies (so the size cap stops the read, not just the parse), and
an injected `httpx.Client` whose transport tests can swap.

Redirects are followed here, not by httpx, up to MAX_REDIRECTS, so we know whether every hop
was permanent (301/308): only then does the feed's stored URL move (`permanent_url`).

Outcomes are values, like reader's UpdateResult: `Fetched`, `NotModified` (a 304, which costs
no parsing), or `FetchFailed`. FetchFailed carries the FetchError to report (naming the
source, the URL and the reason) together with what polling needs to decide the next poll:
the Retry-After of a 429/503, and whether the feed is gone (410). A value rather than an
exception because those facts belong to the outcome, not to the shared FetchError class, and
because one bad feed must never stop a batch. httpx's errors are wrapped once, where httpx is
called; anything else escaping is a bug.
"""

from __future__ import annotations

import logging
import os
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx

from aggregator import __version__
from aggregator.errors import FetchError
from aggregator.sources.polling import MAX_RETRY_AFTER

log = logging.getLogger(__name__)

MAX_FEED_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5
DEFAULT_TIMEOUT_S = 20.0  # read, write and pool: the longest silence we wait through
DEFAULT_CONNECT_TIMEOUT_S = 10.0
# The whole fetch, redirects included: a server trickling bytes never trips the read timeout.
DEFAULT_DEADLINE_S = 60.0
USER_AGENT = f"aggregator/{__version__} (+feed aggregator)"
ACCEPT = (
    "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"
)
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_STATUSES = frozenset({301, 308})
RETRY_AFTER_STATUSES = frozenset({429, 503})
GONE_STATUS = 410
MAX_RETRY_AFTER_DIGITS = 9  # more seconds than that is "longer than MAX_RETRY_AFTER" anyway
REDIRECT_SCHEMES = frozenset({"http", "https"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Fetched:
    """A 2xx answer with its body (at most the size cap)."""

    url: str  # the final URL, after redirects
    permanent_url: str | None  # the final URL if every redirect on the way was permanent
    status: int
    content_type: str | None
    etag: str | None
    last_modified: str | None
    body: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class NotModified:
    """A 304: what we have is current. The answer may renew the validators."""

    url: str
    etag: str | None
    last_modified: str | None
    permanent_url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchFailed:
    """No usable answer: the error to report, and when the server asked us to come back."""

    error: FetchError
    retry_after: timedelta | None = None

    @property
    def is_gone(self) -> bool:
        return self.error.status == GONE_STATUS


FetchResult = Fetched | NotModified | FetchFailed


def make_client(
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
) -> httpx.Client:
    """An HTTP client for feeds: our timeouts and headers, redirects left to fetch_feed.

    The environment is not consulted (`trust_env=False`): config.py is the only reader of it.
    Clients share one TLS context per process (httpx's default: certifi's CA bundle), so a
    client costs microseconds rather than the ~17 ms of loading the bundle again: a one-shot
    fetch makes one client per feed.
    """
    return httpx.Client(
        timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s),
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT, "Accept": ACCEPT},
        trust_env=False,
        verify=tls_context(),
    )


def tls_context() -> ssl.SSLContext:
    """This process's TLS context for feed clients (made at first use, after any fork)."""
    pid = os.getpid()
    context = _TLS_CONTEXTS.get(pid)
    if context is None:
        _TLS_CONTEXTS.clear()  # a forked worker's copy of its parent's
        context = _TLS_CONTEXTS[pid] = httpx.create_ssl_context(trust_env=False)
    return context


_TLS_CONTEXTS: dict[int, ssl.SSLContext] = {}


def fetch_feed(
    client: httpx.Client,
    url: str,
    *,
    source: str,
    etag: str | None,
    last_modified: str | None,
    max_bytes: int = MAX_FEED_BYTES,
    deadline_s: float = DEFAULT_DEADLINE_S,
    timeout_s: float | None = None,
) -> FetchResult:
    """GET the feed at `url` for `source`, conditionally on the stored validators.

    Never raises for a bad feed or server: failures come back as FetchFailed.
    """
    fetch = _Fetch(
        client, source=source, max_bytes=max_bytes, deadline_s=deadline_s, timeout_s=timeout_s
    )
    try:
        result = fetch.follow(url, headers=conditional_headers(etag, last_modified))
    except FetchError as exc:
        result = FetchFailed(error=exc)
    if isinstance(result, FetchFailed):
        # info: the caller decides how loud a failed poll is (the daemon warns once per poll)
        log.info(
            "fetch.failed source=%s url=%r reason=%r", source, result.error.url, result.error.reason
        )
    else:
        log.debug("fetch.done source=%s url=%r result=%s", source, url, type(result).__name__)
    return result


def conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    """If-None-Match / If-Modified-Since for the validators we have (and can send)."""
    headers: dict[str, str] = {}
    if etag := sendable(etag):
        headers["If-None-Match"] = etag
    if last_modified := sendable(last_modified):
        headers["If-Modified-Since"] = last_modified
    return headers


def sendable(validator: str | None) -> str | None:
    """`validator` if it can go back in a request header (printable ASCII), else None.

    WARNING: httpx raises UnicodeEncodeError for a non-ASCII header value, so a server's
    "ETag: café" stored as is would break every later poll of that source.
    """
    if validator and validator.isascii() and validator.isprintable():
        return validator
    return None


def parse_retry_after(value: str, *, now: datetime) -> timedelta | None:
    """Read a Retry-After value: delay seconds, or an HTTP date (compared with `now`).

    None if it is neither. A date in the past means zero; anything longer than
    MAX_RETRY_AFTER means MAX_RETRY_AFTER (no overflow, however many digits).
    """
    value = value.strip()
    if value.isascii() and value.isdigit():
        too_long = len(value) > MAX_RETRY_AFTER_DIGITS
        delay = MAX_RETRY_AFTER if too_long else timedelta(seconds=int(value))
    elif (when := _http_date(value)) is not None:
        delay = max(when - now, timedelta(0))
    else:
        return None
    return min(delay, MAX_RETRY_AFTER)


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


class _Fetch:
    """One fetch in progress: the hops taken so far and the time left."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        source: str,
        max_bytes: int,
        deadline_s: float,
        timeout_s: float | None = None,
    ) -> None:
        self.client = client
        self.source = source
        self.max_bytes = max_bytes
        self.deadline_s = deadline_s
        # A per-source timeout overrides the client's; connecting never waits longer than it.
        self.timeout: httpx.Timeout | None = None
        if timeout_s is not None:
            connect = min(timeout_s, DEFAULT_CONNECT_TIMEOUT_S)
            self.timeout = httpx.Timeout(timeout_s, connect=connect)
        self.deadline = time.monotonic() + deadline_s

    def follow(self, url: str, *, headers: dict[str, str]) -> FetchResult:
        """GET `url`, following up to MAX_REDIRECTS redirects.

        Raises:
            FetchError: a network error, a bad redirect, too large, or too slow.
        """
        seen = {url}
        all_permanent = True
        for hops in range(MAX_REDIRECTS + 1):
            response, body = self.get(url, headers=headers)
            status = response.status_code
            if status not in REDIRECT_STATUSES:
                moved = url if hops and all_permanent else None
                return self.result(url, response, body, permanent_url=moved)
            if hops == MAX_REDIRECTS:
                raise self.error(url, f"too many redirects (more than {MAX_REDIRECTS})", status)
            target = self.redirect_target(url, response)
            if target in seen:
                raise self.error(url, f"redirect loop: back to {target}", status)
            seen.add(target)
            all_permanent = all_permanent and status in PERMANENT_STATUSES
            url = target
        raise AssertionError("unreachable: the loop returns or raises")

    def get(self, url: str, *, headers: dict[str, str]) -> tuple[httpx.Response, bytes]:
        """One GET, redirects not followed; the body is read for a 2xx answer only."""
        self.check_deadline(url)
        try:
            timeout = self.timeout if self.timeout is not None else httpx.USE_CLIENT_DEFAULT
            with self.client.stream("GET", url, headers=headers, timeout=timeout) as response:
                body = self.read_body(url, response) if response.is_success else b""
                return response, body
        except httpx.TimeoutException as exc:
            raise self.error(url, f"timed out ({_timeout_phase(exc)})") from exc
        except httpx.ConnectError as exc:
            raise self.error(url, f"cannot connect: {exc}") from exc
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise self.error(url, f"{type(exc).__name__}: {exc}") from exc

    def read_body(self, url: str, response: httpx.Response) -> bytes:
        """Read the body, stopping as soon as it passes the size cap or the deadline."""
        too_large = f"response larger than {self.max_bytes} bytes"
        declared = response.headers.get("Content-Length", "")
        # Content-Length counts the bytes on the wire; the cap applies to the decoded body,
        # which is at least as large for gzip, so a declared excess is already too much.
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise self.error(url, too_large, response.status_code)
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise self.error(url, too_large, response.status_code)
            self.check_deadline(url)
            chunks.append(chunk)
        return b"".join(chunks)

    def result(
        self, url: str, response: httpx.Response, body: bytes, *, permanent_url: str | None
    ) -> FetchResult:
        headers = response.headers
        status = response.status_code
        if status == httpx.codes.NOT_MODIFIED:
            return NotModified(
                url=url,
                etag=sendable(headers.get("ETag")),
                last_modified=sendable(headers.get("Last-Modified")),
                permanent_url=permanent_url,
            )
        if response.is_success:
            return Fetched(
                url=url,
                permanent_url=permanent_url,
                status=status,
                content_type=headers.get("Content-Type"),
                etag=sendable(headers.get("ETag")),
                last_modified=sendable(headers.get("Last-Modified")),
                body=body,
            )
        return FetchFailed(
            error=self.error(url, f"HTTP {status}", status), retry_after=_retry_after(response)
        )

    def redirect_target(self, url: str, response: httpx.Response) -> str:
        status = response.status_code
        location = response.headers.get("Location", "").strip()
        if not location:
            raise self.error(url, f"HTTP {status} redirect without a Location", status)
        try:
            target = response.url.join(location)
        except httpx.InvalidURL as exc:
            raise self.error(url, f"redirect to an invalid URL {location!r}", status) from exc
        if target.scheme not in REDIRECT_SCHEMES or not target.host:
            raise self.error(url, f"redirect to a non-http(s) URL {location!r}", status)
        return str(target)

    def check_deadline(self, url: str) -> None:
        if time.monotonic() > self.deadline:
            raise self.error(url, f"took longer than {self.deadline_s:g} s")

    def error(self, url: str, reason: str, status: int | None = None) -> FetchError:
        return FetchError(self.source, url, reason, status)


def _retry_after(response: httpx.Response) -> timedelta | None:
    value = response.headers.get("Retry-After")
    if response.status_code not in RETRY_AFTER_STATUSES or not value:
        return None
    # The server's own clock, when it says, so that our clock's skew does not matter.
    now = _http_date(response.headers.get("Date")) or datetime.now(UTC)
    return parse_retry_after(value, now=now)


def _timeout_phase(exc: httpx.TimeoutException) -> str:
    phases = {
        httpx.ConnectTimeout: "connect",
        httpx.ReadTimeout: "read",
        httpx.WriteTimeout: "write",
        httpx.PoolTimeout: "pool",
    }
    return phases.get(type(exc), type(exc).__name__)
