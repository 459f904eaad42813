"""sources.polling: what a live source remembers after each poll, and when it is next due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from aggregator.records import SourceState
from aggregator.sources.polling import (
    GONE_ERROR,
    JITTER_SHARE,
    MAX_BACKOFF,
    MAX_RETRY_AFTER,
    after_failure,
    after_gone,
    after_not_modified,
    after_success,
    backoff_delay,
    is_due,
    jittered,
    retry_delay,
)

NOW = datetime(2023, 9, 12, 10, 0, tzinfo=UTC)
INTERVAL = timedelta(minutes=30)
URL = "https://wire.example.com/feed.xml"
FRESH = SourceState(name="wire", url=URL)
FAILING = SourceState(
    name="wire",
    url=URL,
    etag='"old"',
    last_modified="Mon, 11 Sep 2023 10:00:00 GMT",
    last_error="HTTP 503",
    last_error_at=NOW - timedelta(hours=1),
    failures=3,
    next_due=NOW,
)

intervals = st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=30))
failure_counts = st.integers(min_value=0, max_value=10_000)
jitters = st.floats(min_value=-1.0, max_value=1.0)


def _fail(state: SourceState, *, retry_after: timedelta | None = None) -> SourceState:
    return after_failure(
        state, now=NOW, interval=INTERVAL, jitter=0.0, reason="HTTP 503", retry_after=retry_after
    )


class TestIsDue:
    def test_never_polled_is_due(self) -> None:
        """A source without next_due is polled at once."""
        assert is_due(FRESH, NOW)

    def test_due_once_next_due_is_reached(self) -> None:
        """Due at and after next_due, not before."""
        state = SourceState(name="wire", next_due=NOW)
        assert is_due(state, NOW)
        assert not is_due(state, NOW - timedelta(seconds=1))

    def test_disabled_is_never_due(self) -> None:
        """A disabled source is not polled, however late it is."""
        assert not is_due(SourceState(name="wire", disabled=True), NOW + timedelta(days=365))


class TestSuccess:
    def test_success_stores_validators_and_forgets_failures(self) -> None:
        """After a 200 the new validators are kept and the failure streak ends."""
        state = after_success(
            FAILING, now=NOW, interval=INTERVAL, jitter=0.0, etag='"new"', last_modified=None
        )
        assert (state.etag, state.last_modified) == ('"new"', None)
        assert (state.failures, state.last_error, state.last_error_at) == (0, None, None)
        assert state.last_success == NOW
        assert state.next_due == NOW + INTERVAL

    def test_permanent_redirect_moves_the_url(self) -> None:
        """A 301 chain's final URL becomes the source's URL."""
        state = after_success(
            FRESH,
            now=NOW,
            interval=INTERVAL,
            jitter=0.0,
            etag=None,
            last_modified=None,
            permanent_url="https://new.example.com/feed.xml",
        )
        assert state.url == "https://new.example.com/feed.xml"

    def test_no_permanent_redirect_keeps_the_url(self) -> None:
        """Without a permanent redirect the URL stays."""
        state = after_success(
            FRESH, now=NOW, interval=INTERVAL, jitter=0.0, etag=None, last_modified=None
        )
        assert state.url == URL

    def test_not_modified_keeps_validators_the_answer_omits(self) -> None:
        """A 304 without validators keeps the stored ones; it is still a success."""
        state = after_not_modified(
            FAILING, now=NOW, interval=INTERVAL, jitter=0.0, etag=None, last_modified=None
        )
        assert (state.etag, state.last_modified) == (FAILING.etag, FAILING.last_modified)
        assert (state.failures, state.last_success) == (0, NOW)

    def test_not_modified_takes_renewed_validators(self) -> None:
        """A 304 carrying a new ETag replaces the stored one."""
        state = after_not_modified(
            FAILING, now=NOW, interval=INTERVAL, jitter=0.0, etag='"v2"', last_modified=None
        )
        assert state.etag == '"v2"'

    @given(jitters)
    def test_success_next_due_is_the_interval_give_or_take_the_jitter(self, jitter: float) -> None:
        """The next poll is `interval` away, moved by at most JITTER_SHARE of it."""
        state = after_success(
            FRESH, now=NOW, interval=INTERVAL, jitter=jitter, etag=None, last_modified=None
        )
        assert state.next_due is not None
        delay = state.next_due - NOW
        assert INTERVAL * (1 - JITTER_SHARE) <= delay <= INTERVAL * (1 + JITTER_SHARE)


class TestFailure:
    def test_failure_counts_and_records_the_error(self) -> None:
        """A failure adds one to the streak and remembers the reason and when."""
        state = _fail(FRESH)
        assert (state.failures, state.last_error, state.last_error_at) == (1, "HTTP 503", NOW)

    def test_failure_keeps_validators_and_url(self) -> None:
        """What a failed poll did not confirm is not forgotten either."""
        state = _fail(FAILING)
        assert (state.url, state.etag, state.last_modified) == (
            FAILING.url,
            FAILING.etag,
            FAILING.last_modified,
        )

    def test_backoff_doubles_with_each_failure(self) -> None:
        """The n-th failure in a row waits interval * 2**(n-1)."""
        assert _fail(FRESH).next_due == NOW + INTERVAL
        assert _fail(_fail(FRESH)).next_due == NOW + 2 * INTERVAL
        assert _fail(_fail(_fail(FRESH))).next_due == NOW + 4 * INTERVAL

    def test_backoff_stops_at_the_cap(self) -> None:
        """Many failures wait MAX_BACKOFF, not longer."""
        assert _fail(SourceState(name="wire", failures=50)).next_due == NOW + MAX_BACKOFF

    def test_retry_after_is_a_floor(self) -> None:
        """A Retry-After longer than the backoff is honoured."""
        state = _fail(FRESH, retry_after=timedelta(hours=2))
        assert state.next_due == NOW + timedelta(hours=2)

    def test_short_retry_after_does_not_shorten_the_backoff(self) -> None:
        """A Retry-After shorter than the backoff leaves the backoff."""
        state = _fail(SourceState(name="wire", failures=2), retry_after=timedelta(seconds=5))
        assert state.next_due == NOW + 4 * INTERVAL

    def test_retry_after_is_capped(self) -> None:
        """A Retry-After of a year waits MAX_RETRY_AFTER."""
        state = _fail(FRESH, retry_after=timedelta(days=365))
        assert state.next_due == NOW + MAX_RETRY_AFTER

    def test_gone_disables_and_says_so(self) -> None:
        """A 410 disables the source with a last error saying why; it is never due again."""
        state = after_gone(FAILING, now=NOW)
        assert state.disabled
        assert (state.last_error, state.last_error_at) == (GONE_ERROR, NOW)
        assert GONE_ERROR == "410 Gone: source disabled"
        assert not is_due(state, NOW + timedelta(days=30))


class TestBackoffProperties:
    @given(intervals, failure_counts)
    def test_backoff_is_between_interval_and_cap(self, interval: timedelta, failures: int) -> None:
        """Never below the interval; never above MAX_BACKOFF (or the interval, if longer)."""
        delay = backoff_delay(interval, failures)
        assert interval <= delay <= max(MAX_BACKOFF, interval)

    @given(intervals, failure_counts)
    def test_backoff_is_monotonic_in_failures(self, interval: timedelta, failures: int) -> None:
        """One more failure never waits less."""
        assert backoff_delay(interval, failures) <= backoff_delay(interval, failures + 1)

    @given(intervals, failure_counts, jitters)
    def test_jittered_retry_never_passes_the_cap(
        self, interval: timedelta, failures: int, jitter: float
    ) -> None:
        """Jitter spreads retries but never past the cap."""
        delay = retry_delay(interval, failures, jitter=jitter)
        assert delay <= max(MAX_BACKOFF, interval)
        assert delay >= interval * (1 - JITTER_SHARE)

    @given(intervals, failure_counts, jitters, st.timedeltas(min_value=timedelta(0)))
    def test_retry_waits_at_least_the_capped_retry_after(
        self, interval: timedelta, failures: int, jitter: float, retry_after: timedelta
    ) -> None:
        """With a Retry-After the wait is at least min(Retry-After, MAX_RETRY_AFTER)."""
        delay = retry_delay(interval, failures, jitter=jitter, retry_after=retry_after)
        assert delay >= min(retry_after, MAX_RETRY_AFTER)
        assert delay <= max(MAX_BACKOFF, interval, MAX_RETRY_AFTER)

    @given(st.floats(allow_nan=False))
    def test_jitter_outside_the_range_is_clamped(self, jitter: float) -> None:
        """Any jitter moves a delay by at most JITTER_SHARE of it."""
        delay = jittered(INTERVAL, jitter)
        assert INTERVAL * (1 - JITTER_SHARE) <= delay <= INTERVAL * (1 + JITTER_SHARE)
