"""The daemon's polling runtime on real parts: a local origin, a SQLite file, feed files."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import feedparser

from aggregator.app.live import Runtime, current_state, status_report
from aggregator.config import Config, load_config
from aggregator.records import SourceState
from tests.origin import Origin, Route, english_item, rss_feed


def make_config(tmp_path: Path, origin: Origin, path: str = "/feed.rss") -> Config:
    (tmp_path / "seeds").mkdir(exist_ok=True)
    (tmp_path / "config.toml").write_text(
        '[[sources]]\nname = "seeds"\nkind = "seeds"\n\n'
        f'[[sources]]\nname = "wire"\nkind = "feed"\nurl = "{origin.url(path)}"\n'
        'interval = "1s"\ntimeout = "2s"\n',
        encoding="utf-8",
    )
    return load_config(tmp_path / "config.toml")


def served_titles(cfg: Config) -> set[str]:
    parsed = feedparser.parse((cfg.output.dir / "all.atom").read_bytes())
    return {entry.title for entry in parsed.entries}


class TestRuntime:
    def test_poll_ingests_and_publishes(self, tmp_path: Path, origin: Origin) -> None:
        """A poll of a live feed stores its items and rewrites the feed files."""
        origin.routes["/feed.rss"] = Route(body=rss_feed([english_item(1), english_item(2)]))
        cfg = make_config(tmp_path, origin)
        runtime = Runtime(cfg)
        runtime.start()
        result = runtime.poll(cfg.sources[1])
        runtime.close()
        assert (result.new, result.published) == (2, True)
        assert result.outcome == "200 2 items"
        assert served_titles(cfg) == {
            "North Korea trade report number 1",
            "North Korea trade report number 2",
        }

    def test_interrupted_poll_keeps_old_validators(self, tmp_path: Path, origin: Origin) -> None:
        """A poll stopped before storing its items does not save the new ETag: nothing is lost."""
        origin.routes["/feed.rss"] = Route(body=rss_feed([english_item(1)]))
        cfg = make_config(tmp_path, origin)
        runtime = Runtime(cfg)
        runtime.start()
        runtime.stopping.set()
        assert runtime.poll(cfg.sources[1]).new == 0
        runtime.stopping.clear()
        result = runtime.poll(cfg.sources[1])
        runtime.close()
        assert result.new == 1
        assert "if-none-match" not in origin.headers_of("/feed.rss")[1]

    def test_failures_show_in_status(self, tmp_path: Path, origin: Origin) -> None:
        """`status` lists each source's last error and backoff, and each feed's entries."""
        origin.routes["/feed.rss"] = Route(status=503, body=b"down", content_type="text/plain")
        cfg = make_config(tmp_path, origin)
        runtime = Runtime(cfg)
        runtime.start()
        for source in cfg.sources:
            runtime.poll(source)
        runtime.close()
        report = status_report(cfg)
        wire = next(line for line in report.splitlines() if line.startswith("wire"))
        assert "HTTP 503" in wire and "1 failure" in wire
        seeds = next(line for line in report.splitlines() if line.startswith("seeds"))
        assert "seeds" in seeds and "never" not in seeds
        assert any(line.startswith("all ") for line in report.splitlines())


class TestCurrentState:
    def test_changed_config_url_starts_afresh(self, tmp_path: Path, origin: Origin) -> None:
        """A source disabled by 410 comes back when its configured URL changes."""
        cfg = make_config(tmp_path, origin)
        source = cfg.sources[1]
        gone = SourceState(
            name="wire", url=source.url, configured_url=source.url, disabled=True, etag='"x"'
        )
        assert current_state(gone, source) is gone
        moved = replace(source, url=origin.url("/other.rss"))
        fresh = current_state(gone, moved)
        assert not fresh.disabled and fresh.etag is None and fresh.url == moved.url
