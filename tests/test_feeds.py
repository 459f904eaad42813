"""sources.feeds: FeedSource end to end against a local origin: items, 304s, failures, state."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from aggregator.config import SourceConfig
from aggregator.errors import FeedParseError, FetchError
from aggregator.normalize import article_from_feed_item
from aggregator.records import FeedItem, SourceState
from aggregator.sources import Collected, Source
from aggregator.sources.feeds import FeedSource, item_stamp
from aggregator.sources.fetch import make_client
from aggregator.sources.polling import GONE_ERROR
from tests.origin import Origin, Route, atom_feed, rss_feed, strong_etag

NOW = datetime(2023, 9, 12, 10, 0, tzinfo=UTC)
INTERVAL = timedelta(minutes=30)
ITEMS = [
    {
        "title": "Kim Jong Un arrives in Russia",
        "link": "https://wire.example.com/world/kim-russia",
        "guid": "tag:wire.example.com,2023:001",
        "html": "<p>The armoured train crossed the border at dawn.</p>",
        "pubdate": datetime(2023, 9, 12, 4, 0, tzinfo=UTC),
    },
    {
        "title": "Putin and Kim meet at the cosmodrome",
        "link": "https://wire.example.com/world/putin-kim",
        "guid": "tag:wire.example.com,2023:002",
        "html": "<p>The leaders met at the Vostochny cosmodrome.</p>",
        "pubdate": datetime(2023, 9, 13, 8, 0, tzinfo=UTC),
    },
]


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with make_client(timeout_s=1.0, connect_timeout_s=1.0) as c:
        yield c


class Poller:
    """Polls one feed source repeatedly, carrying its state and stamps like the app does."""

    def __init__(self, origin: Origin, client: httpx.Client, path: str = "/feed.xml") -> None:
        self.cfg = SourceConfig(name="wire", kind="feed", url=origin.url(path), interval=INTERVAL)
        self.client = client
        self.state: SourceState | None = None
        self.stamps: dict[str, str] = {}
        self.source: FeedSource | None = None

    def poll(self, *, now: datetime = NOW) -> list[Collected]:
        self.source = FeedSource(self.cfg, self.state, self.client, now=now)
        collected = list(self.source.collect(stamp_of=self.stamps.get))
        self.state = self.source.state
        self.stamps.update({c.origin: c.stamp for c in collected if isinstance(c.doc, FeedItem)})
        return collected

    @property
    def outcome(self) -> str:
        assert self.source is not None
        return self.source.outcome


def _items(collected: list[Collected]) -> list[FeedItem]:
    return [c.doc for c in collected if isinstance(c.doc, FeedItem)]


def _error(collected: list[Collected]) -> FetchError | FeedParseError:
    [only] = collected
    assert isinstance(only.doc, FetchError | FeedParseError), only
    return only.doc


class TestFirstPoll:
    def test_items_become_collected_feed_items(self, origin: Origin, client: httpx.Client) -> None:
        """Each item of the feed comes out as a Collected carrying its FeedItem."""
        origin.routes["/feed.xml"] = Route(body=rss_feed(ITEMS))
        poller = Poller(origin, client)
        items = _items(poller.poll())
        assert [i.title for i in items] == [i["title"] for i in ITEMS]
        assert items[0].feed_url == origin.url("/feed.xml")
        assert items[0].published == datetime(2023, 9, 12, 4, 0, tzinfo=UTC)
        assert poller.outcome == "200 2 items"

    def test_origin_is_the_guid_behind_the_source_name(
        self, origin: Origin, client: httpx.Client
    ) -> None:
        """An item's origin is "<source>:<guid>", so two feeds never share an input."""
        origin.routes["/feed.xml"] = Route(body=rss_feed(ITEMS))
        assert [c.origin for c in Poller(origin, client).poll()] == [
            "wire:tag:wire.example.com,2023:001",
            "wire:tag:wire.example.com,2023:002",
        ]

    def test_origin_falls_back_to_the_link(self, origin: Origin, client: httpx.Client) -> None:
        """An item without guid is known by its link."""
        origin.routes["/feed.xml"] = Route(body=rss_feed([{**ITEMS[0], "guid": None}]))
        [collected] = Poller(origin, client).poll()
        assert collected.origin == f"wire:{ITEMS[0]['link']}"

    def test_stamp_digests_the_item(self, origin: Origin, client: httpx.Client) -> None:
        """The stamp is item_stamp(item): a sha256 hex digest of what a reader sees."""
        origin.routes["/feed.xml"] = Route(body=rss_feed(ITEMS))
        collected = Poller(origin, client).poll()[0]
        assert isinstance(collected.doc, FeedItem)
        assert collected.stamp == item_stamp(collected.doc)
        assert len(collected.stamp) == 64

    def test_success_state_keeps_validators_and_schedules_the_next_poll(
        self, origin: Origin, client: httpx.Client
    ) -> None:
        """After a 200 the state holds the ETag, the success time and the next due time."""
        origin.routes["/feed.xml"] = Route(body=rss_feed(ITEMS))
        poller = Poller(origin, client)
        poller.poll()
        assert poller.state is not None
        assert poller.state.etag == strong_etag(rss_feed(ITEMS))
        assert (poller.state.last_success, poller.state.next_due) == (NOW, NOW + INTERVAL)
        assert (poller.state.failures, poller.state.url) == (0, origin.url("/feed.xml"))

    def test_atom_feed_works_end_to_end(self, origin: Origin, client: httpx.Client) -> None:
        """An Atom feed yields its entries the same way."""
        origin.routes["/feed.atom"] = Route(
            body=atom_feed(ITEMS), content_type="application/atom+xml"
        )
        items = _items(Poller(origin, client, "/feed.atom").poll())
        assert [i.guid for i in items] == [i["guid"] for i in ITEMS]
        assert items[1].html == ITEMS[1]["html"]

    def test_collected_items_normalize_into_articles(
        self, origin: Origin, client: httpx.Client
    ) -> None:
        """A collected FeedItem goes through the same normalize stage as seeds."""
        origin.routes["/feed.xml"] = Route(body=rss_feed(ITEMS))
        article = article_from_feed_item(_items(Poller(origin, client).poll())[0])
        assert article.url == ITEMS[0]["link"]
        assert (article.via, article.guid) == ("wire", ITEMS[0]["guid"])
        assert article.published == ITEMS[0]["pubdate"]

    def test_progress_reports_each_item(self, origin: Origin, client: httpx.Client) -> None:
        """progress(done, total) is called after each item."""
        origin.routes["/feed.xml"] = Route(body=rss_feed(ITEMS))
        calls: list[tuple[int, int]] = []
        source = FeedSource(Poller(origin, client).cfg, None, client, now=NOW)
        list(source.collect(stamp_of=lambda _: None, progress=lambda d, t: calls.append((d, t))))
        assert calls == [(1, 2), (2, 2)]

    def test_feed_source_is_a_source(self, origin: Origin, client: httpx.Client) -> None:
        """FeedSource satisfies the Source protocol the app ingests from."""
        source: Source = FeedSource(Poller(origin, client).cfg, None, client, now=NOW)
        assert source.name == "wire"


class TestLaterPolls:
    def test_second_poll_is_conditional_and_yields_nothing(
        self, origin: Origin, client: httpx.Client
    ) -> None:
        """The origin sees If-None-Match and answers 304: no items, outcome "304"."""
        origin.routes["/feed.xml"] = Route(body=rss_feed(ITEMS))
        poller = Poller(origin, client)
        poller.poll()
        assert poller.poll(now=NOW + INTERVAL) == []
        assert poller.outcome == "304"
        assert origin.conditional_count("/feed.xml") == 1
        assert poller.state is not None
        assert poller.state.last_success == NOW + INTERVAL

    def test_unchanged_items_are_not_loaded_again(
        self, origin: Origin, client: httpx.Client
    ) -> None:
        """Without validators the feed is fetched again; unchanged items carry doc=None."""
        origin.routes["/feed.xml"] = Route(body=rss_feed(ITEMS), etag=False)
        poller = Poller(origin, client)
        poller.poll()
        again = poller.poll(now=NOW + INTERVAL)
        assert [c.doc for c in again] == [None, None]
        assert origin.conditional_count("/feed.xml") == 0

    def test_new_and_changed_items_are_loaded(self, origin: Origin, client: httpx.Client) -> None:
        """After the feed changes, only the edited and the new item carry a FeedItem."""
        origin.routes["/feed.xml"] = Route(body=rss_feed(ITEMS))
        poller = Poller(origin, client)
        poller.poll()
        edited = {**ITEMS[0], "html": "<p>Updated: the train arrived.</p>"}
        added = {
            **ITEMS[1],
            "guid": "tag:wire.example.com,2023:003",
            "link": "https://wire.example.com/world/3",
        }
        origin.routes["/feed.xml"] = Route(body=rss_feed([edited, ITEMS[1], added]))
        again = poller.poll(now=NOW + INTERVAL)
        assert [c.origin for c in again if c.doc is not None] == [
            "wire:tag:wire.example.com,2023:001",
            "wire:tag:wire.example.com,2023:003",
        ]

    def test_caller_stopping_early_keeps_the_old_state(
        self, origin: Origin, client: httpx.Client
    ) -> None:
        """If the caller stops after one item, the validators are not stored: poll again."""
        origin.routes["/feed.xml"] = Route(body=rss_feed(ITEMS))
        source = FeedSource(Poller(origin, client).cfg, None, client, now=NOW)
        next(source.collect(stamp_of=lambda _: None))
        assert source.state.etag is None


class TestFailures:
    def test_server_error_yields_one_error_and_backs_off(
        self, origin: Origin, client: httpx.Client
    ) -> None:
        """A 500 yields one Collected with the FetchError, origin the feed URL; it backs off."""
        origin.routes["/feed.xml"] = Route(status=500)
        poller = Poller(origin, client)
        collected = poller.poll()
        error = _error(collected)
        assert isinstance(error, FetchError)
        assert (collected[0].origin, collected[0].stamp) == (origin.url("/feed.xml"), "")
        assert poller.outcome == "HTTP 500"
        assert poller.state is not None
        assert (poller.state.failures, poller.state.last_error) == (1, "HTTP 500")
        assert poller.state.next_due == NOW + INTERVAL

    def test_garbage_yields_a_parse_error_and_stores_no_validators(
        self, origin: Origin, client: httpx.Client
    ) -> None:
        """An HTML page is a FeedParseError for this source; its ETag is not remembered."""
        origin.routes["/feed.xml"] = Route(
            body=b"<html><body>Login</body></html>", content_type="text/html"
        )
        poller = Poller(origin, client)
        error = _error(poller.poll())
        assert isinstance(error, FeedParseError)
        assert poller.state is not None
        assert (poller.state.etag, poller.state.failures) == (None, 1)
        assert poller.state.last_error == "not a feed: an HTML page"

    def test_hanging_origin_yields_a_timeout(self, origin: Origin, client: httpx.Client) -> None:
        """An origin that never answers is a timed-out failure, not a hang."""
        origin.routes["/feed.xml"] = Route(body=rss_feed(ITEMS), delay_s=30)
        poller = Poller(origin, client)
        assert _error(poller.poll()).reason == "timed out (read)"

    def test_too_many_requests_waits_for_retry_after(
        self, origin: Origin, client: httpx.Client
    ) -> None:
        """A 429 with Retry-After: 3600 schedules the next poll an hour away."""
        origin.routes["/feed.xml"] = Route(status=429, headers={"Retry-After": "3600"})
        poller = Poller(origin, client)
        poller.poll()
        assert poller.state is not None
        assert poller.state.next_due == NOW + timedelta(hours=1)

    def test_gone_disables_the_source(self, origin: Origin, client: httpx.Client) -> None:
        """A 410 yields its error once and disables the source, saying so."""
        origin.routes["/feed.xml"] = Route(status=410)
        poller = Poller(origin, client)
        error = _error(poller.poll())
        assert isinstance(error, FetchError)
        assert error.status == 410
        assert poller.state is not None
        assert (poller.state.disabled, poller.state.last_error) == (True, GONE_ERROR)

    def test_disabled_source_fetches_nothing(self, origin: Origin, client: httpx.Client) -> None:
        """Once disabled, collecting yields nothing and sends no request."""
        origin.routes["/feed.xml"] = Route(status=410)
        poller = Poller(origin, client)
        poller.poll()
        assert poller.poll(now=NOW + timedelta(days=1)) == []
        assert poller.outcome == "disabled"
        assert origin.count("/feed.xml") == 1

    def test_failures_are_logged_with_the_source_name(
        self, origin: Origin, client: httpx.Client, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A degraded feed logs feed.degraded naming the source."""
        origin.routes["/feed.xml"] = Route(body=rss_feed(ITEMS), content_type="text/plain")
        Poller(origin, client).poll()
        [record] = [r for r in caplog.records if r.msg.startswith("feed.degraded")]
        assert isinstance(record.args, tuple)
        assert record.args[0] == "wire"


class TestRedirects:
    def test_permanent_redirect_updates_the_url(self, origin: Origin, client: httpx.Client) -> None:
        """After a 301 the state's URL is the new one, and the next poll goes straight there."""
        origin.routes["/old.xml"] = Route(redirect_to="/feed.xml", permanent=True)
        origin.routes["/feed.xml"] = Route(body=rss_feed(ITEMS))
        poller = Poller(origin, client, "/old.xml")
        poller.poll()
        assert poller.state is not None
        assert poller.state.url == origin.url("/feed.xml")
        poller.poll(now=NOW + INTERVAL)
        assert origin.count("/old.xml") == 1
        assert origin.conditional_count("/feed.xml") == 1

    def test_temporary_redirect_keeps_the_url(self, origin: Origin, client: httpx.Client) -> None:
        """After a 302 the configured URL stays the one to poll."""
        origin.routes["/old.xml"] = Route(redirect_to="/feed.xml", permanent=False)
        origin.routes["/feed.xml"] = Route(body=rss_feed(ITEMS))
        poller = Poller(origin, client, "/old.xml")
        poller.poll()
        assert poller.state is not None
        assert poller.state.url == origin.url("/old.xml")

    def test_redirect_loop_is_one_error(self, origin: Origin, client: httpx.Client) -> None:
        """A redirect loop yields one FetchError naming the loop."""
        origin.routes["/a"] = Route(redirect_to="/b")
        origin.routes["/b"] = Route(redirect_to="/a")
        assert _error(Poller(origin, client, "/a").poll()).reason.startswith("redirect loop")
