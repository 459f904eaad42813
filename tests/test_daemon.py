"""`aggregator run` end to end: the real daemon in a subprocess against local origin servers."""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import feedparser
import httpx
import pytest

from aggregator.sources.seedformat import parse_seed
from tests.atomcheck import assert_valid_atom
from tests.conftest import ROOT, SAMPLE_SEEDS
from tests.origin import Origin, Route, atom_feed, english_item, rss_feed

RFI_ARRIVAL, BBC_ARRIVAL, RFI_VISIT, BBC_TALKS, EPOCH = SAMPLE_SEEDS
INTERVAL = "1s"
WAIT_S = 20.0  # generous bound for anything that should happen within a few poll intervals
BIG = 6 * 1024 * 1024  # past the 5 MiB response cap

BAD_SOURCES = {
    "broken": "/error",
    "garbage": "/garbage",
    "hang": "/hang",
    "huge": "/huge",
    "loop": "/loop",
    "gone": "/gone",
    "busy": "/busy",
}


def seed_item(path: Path, *, guid: str) -> dict[str, object]:
    """A live-feed item carrying a sample seed's article (title, link, HTML, time)."""
    doc = parse_seed(path.read_text(encoding="utf-8"), path=str(path))
    assert doc.stamp is not None
    return {
        "title": doc.title,
        "link": doc.url,
        "guid": guid,
        "html": doc.html,
        "pubdate": doc.stamp,
    }


def set_routes(origin: Origin, good_items: list[dict[str, object]]) -> None:
    origin.routes["/good.rss"] = Route(body=rss_feed(good_items))
    origin.routes["/news.atom"] = Route(
        body=atom_feed([english_item(1)]), content_type="application/atom+xml"
    )
    origin.routes["/error"] = Route(status=500, body=b"oops", content_type="text/plain")
    origin.routes["/garbage"] = Route(body=b"\x00\x01<<<not a feed>>>", content_type="text/xml")
    origin.routes["/hang"] = Route(body=rss_feed([english_item(9)]), delay_s=30)
    origin.routes["/huge"] = Route(body=b"<rss>" + b" " * BIG + b"</rss>")
    origin.routes["/loop"] = Route(redirect_to=origin.url("/loop"))
    origin.routes["/gone"] = Route(status=410, body=b"gone", content_type="text/plain")
    origin.routes["/busy"] = Route(
        status=429, body=b"slow down", content_type="text/plain", headers={"Retry-After": "3600"}
    )


@dataclass
class Daemon:
    root: Path
    origin: Origin
    proc: subprocess.Popen[str] | None = None
    url: str = ""
    stderr_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.stderr_path = self.root / "daemon.log"

    @property
    def seeds(self) -> Path:
        return self.root / "seeds"

    @property
    def db(self) -> Path:
        return self.root / "state" / "agg.db"

    def write_config(self, *, sources: dict[str, str]) -> None:
        feeds = "".join(
            f'[[sources]]\nname = "{name}"\nkind = "feed"\nurl = "{self.origin.url(path)}"\n'
            f'interval = "{INTERVAL}"\ntimeout = "1s"\n\n'
            for name, path in sources.items()
        )
        (self.root / "config.toml").write_text(
            '[site]\nbase_url = "http://127.0.0.1:8080/"\n'
            '[storage]\npath = "state/agg.db"\n'
            '[output]\ndir = "feeds"\n'
            '[serve]\nhost = "127.0.0.1"\nport = 0\n\n'
            '[[sources]]\nname = "seeds"\nkind = "seeds"\npath = "seeds"\n'
            f'interval = "{INTERVAL}"\n\n'
            + feeds
            + '[[topics]]\nslug = "korea"\ntitle = "Korea"\ninclude = ["朝鲜", "North Korea"]\n',
            encoding="utf-8",
        )

    def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        with self.stderr_path.open("a", encoding="utf-8") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "aggregator", "-v", "run", "--config", "config.toml"],
                cwd=self.root,
                env=env,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        self.url = self._read_url()

    def _read_url(self) -> str:
        assert self.proc is not None and self.proc.stdout is not None
        found: list[str] = []
        reader = threading.Thread(target=lambda: found.append(self.proc.stdout.readline()))  # type: ignore[union-attr]
        reader.start()
        reader.join(WAIT_S)
        match = re.search(r"serving (http://\S+/)", found[0] if found else "")
        assert match, f"daemon did not start: {self.log()}"
        return match.group(1)

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, float]:
        assert self.proc is not None
        started = time.monotonic()
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=30)
        elapsed = time.monotonic() - started
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return code, elapsed

    def kill(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def log(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8")

    def get(self, path: str, **headers: str) -> httpx.Response:
        return httpx.get(self.url + path, headers=headers, timeout=10)

    def served_feed(self, slug: str = "all") -> feedparser.FeedParserDict:
        response = self.get(f"{slug}.atom")
        assert response.status_code == 200
        return feedparser.parse(response.content)


def wait_until(condition: Callable[[], object], what: str, timeout_s: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")


def titles(feed: feedparser.FeedParserDict) -> set[str]:
    return {entry.title for entry in feed.entries}


def links_of(entry: feedparser.FeedParserDict) -> set[str]:
    return {link["href"] for link in entry.get("links", [])}


def entry_linking(feed: feedparser.FeedParserDict, url: str) -> feedparser.FeedParserDict | None:
    found = [e for e in feed.entries if url in links_of(e)]
    return found[0] if found else None


@pytest.fixture
def daemon(tmp_path: Path, origin: Origin) -> Iterator[Daemon]:
    """A daemon folder: seeds (all samples but the RFI arrival piece), config, origin routes."""
    root = tmp_path / "site"
    (root / "seeds").mkdir(parents=True)
    for seed in (RFI_VISIT, BBC_TALKS, EPOCH):
        shutil.copy(seed, root / "seeds" / seed.name)
    set_routes(origin, [seed_item(BBC_ARRIVAL, guid="bbc-66783048")])
    d = Daemon(root=root, origin=origin)
    d.write_config(sources={"good": "/good.rss", "atom": "/news.atom", **BAD_SOURCES})
    try:
        yield d
    finally:
        d.kill()


BBC_ARRIVAL_URL = "https://www.bbc.com/zhongwen/simp/world-66783048"


class TestDaemon:
    def test_polls_merges_serves_and_backs_off(self, daemon: Daemon) -> None:
        """Live items and seeds appear, changes arrive within two polls, bad sources back off."""
        daemon.start()
        # 3 seeds + the BBC item of the RSS feed + the Atom feed's item
        wait_until(lambda: len(daemon.served_feed().entries) == 5, "the first polls")
        feed = daemon.served_feed()
        assert "North Korea trade report number 1" in titles(feed)
        arrival = entry_linking(feed, BBC_ARRIVAL_URL)
        assert arrival is not None

        # A new item at the origin shows up within two poll intervals (plus processing).
        daemon.origin.routes["/good.rss"] = Route(
            body=rss_feed([seed_item(BBC_ARRIVAL, guid="bbc-66783048"), english_item(2)])
        )
        wait_until(
            lambda: "North Korea trade report number 2" in titles(daemon.served_feed()),
            "the new item",
            timeout_s=10,
        )
        # A seed dropped into seeds/ reporting the same event joins the live item's story.
        shutil.copy(RFI_ARRIVAL, daemon.seeds / "dropped.txt")
        wait_until(
            lambda: len(links_of(entry_linking(daemon.served_feed(), BBC_ARRIVAL_URL) or {})) > 1,
            "the RFI seed to join the BBC story",
        )
        merged = entry_linking(daemon.served_feed(), BBC_ARRIVAL_URL)
        assert merged is not None
        assert merged.id == arrival.id
        assert merged.updated_parsed > arrival.updated_parsed
        assert any("rfi.fr" in href for href in links_of(merged))
        assert len(daemon.served_feed().entries) == 6

        origin = daemon.origin
        assert origin.conditional_count("/good.rss") >= 1
        # Backoff shows once the good feed has been polled a few times (1 s interval):
        # a failing source is retried after 1, 2, 4, 8 ... s.
        wait_until(lambda: origin.count("/good.rss") >= 8, "eight polls of the good feed")
        good = origin.count("/good.rss")
        for name, path in BAD_SOURCES.items():
            assert f"source={name}" in daemon.log(), name
            if name != "loop":
                assert origin.count(path) < good, (name, origin.count(path), good)
        assert origin.count("/gone") == 1  # 410 disables the source
        assert origin.count("/busy") == 1  # Retry-After: 3600
        health = daemon.get("healthz").json()
        assert health["sources"]["good"]["last_success"] is not None
        assert health["sources"]["gone"]["disabled"] is True
        assert "500" in (health["sources"]["broken"]["last_error"] or "")
        assert health["sources"]["good"]["next_poll"] is not None

    def test_served_feeds_answer_like_a_web_server(self, daemon: Daemon) -> None:
        """Served feeds: Atom content type, valid, 304 to conditional GETs, gzip on request."""
        daemon.start()
        wait_until(lambda: len(daemon.served_feed().entries) >= 4, "the first polls")
        first = daemon.get("korea.atom")
        assert first.headers["content-type"] == "application/atom+xml; charset=utf-8"
        assert_valid_atom(first.content)
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        assert daemon.get("korea.atom", **{"If-None-Match": etag}).status_code in (200, 304)
        wait_until(
            lambda: (
                daemon.get(
                    "korea.atom", **{"If-None-Match": daemon.get("korea.atom").headers["etag"]}
                ).status_code
                == 304
            ),
            "a 304 once the feed settles",
        )
        assert (
            daemon.get(
                "all.atom", **{"If-Modified-Since": "Sun, 01 Jan 2090 00:00:00 GMT"}
            ).status_code
            == 304
        )
        zipped = daemon.get("all.atom", **{"Accept-Encoding": "gzip"})
        assert zipped.headers["content-encoding"] == "gzip"
        assert_valid_atom(zipped.content)  # httpx decoded it
        assert modified

    def test_sigterm_exits_cleanly_and_restart_resumes(self, daemon: Daemon) -> None:
        """SIGTERM: exit 0 in < 10 s, store intact, feeds whole; a restart polls conditionally."""
        daemon.start()
        wait_until(
            lambda: daemon.origin.count("/good.rss") >= 1 and daemon.served_feed().entries, "a poll"
        )
        wait_until(
            lambda: "poll.done source=good" in daemon.log(), "the good feed's poll to finish"
        )
        code, seconds = daemon.stop()
        assert code == 0 and seconds < 10, (code, seconds)
        with sqlite3.connect(daemon.db) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        for path in (daemon.root / "feeds").glob("*.atom"):
            assert_valid_atom(path.read_bytes())
        assert not list((daemon.root / "feeds").glob(".*"))  # no temp file left behind

        before = daemon.origin.count("/good.rss")
        daemon.start()
        wait_until(
            lambda: daemon.origin.count("/good.rss") > before, "the first poll after restart"
        )
        first_after = daemon.origin.headers_of("/good.rss")[before]
        assert "if-none-match" in first_after
        code, seconds = daemon.stop(signal.SIGINT)
        assert code == 0 and seconds < 10

    def test_newsboat_sees_each_story_once(self, daemon: Daemon) -> None:
        """A real reader (newsboat) subscribed to the served feeds: one item per story, updated."""
        assert shutil.which("newsboat"), (
            "newsboat is installed by .ci/run (apt-get install newsboat)"
        )
        daemon.start()
        wait_until(lambda: len(daemon.served_feed().entries) == 5, "the first polls")
        reader = daemon.root / "reader"
        reader.mkdir()
        (reader / "urls").write_text(
            f"{daemon.url}all.atom\n{daemon.url}korea.atom\n", encoding="utf-8"
        )
        (reader / "config").write_text("", encoding="utf-8")

        def reload() -> list[tuple[str, str, str, int, str]]:
            subprocess.run(
                ["newsboat", "-u", "urls", "-c", "cache.db", "-C", "config", "-x", "reload"],
                cwd=reader,
                env={**os.environ, "HOME": str(reader)},
                check=True,
                timeout=60,
                capture_output=True,
            )
            # The same story in all.atom and korea.atom has one entry id: newsboat keeps one item.
            with sqlite3.connect(reader / "cache.db") as db:
                rows = db.execute(
                    "SELECT guid, title, url, pubDate, content FROM rss_item"
                ).fetchall()
            return [(g, t, u, int(p), c) for g, t, u, p, c in rows]

        items = reload()
        served = daemon.served_feed()
        assert len(items) == len(served.entries) == 5
        assert len({guid for guid, *_ in items}) == len(items)
        for _guid, title, url, pub_date, _content in items:
            assert title and url.startswith("http") and pub_date > 0
        arrival = entry_linking(served, BBC_ARRIVAL_URL)
        assert arrival is not None
        [before] = [i for i in items if i[0] == arrival.id]
        assert "rfi.fr" not in before[4]

        shutil.copy(RFI_ARRIVAL, daemon.seeds / "dropped.txt")
        wait_until(
            lambda: len(links_of(entry_linking(daemon.served_feed(), BBC_ARRIVAL_URL) or {})) > 1,
            "the RFI seed to join the story",
        )
        items = reload()
        assert len(items) == 5
        [after] = [i for i in items if i[0] == arrival.id]
        assert "rfi.fr" in after[4]  # the entry was updated in place, not duplicated
