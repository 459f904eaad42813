"""app use cases on real files: stories that grow, new versions of an article, the build lock."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import feedparser
import pytest

from aggregator import app
from aggregator.app.usecases import opened_store
from aggregator.config import Config, TopicConfig, load_config
from aggregator.errors import StorageError
from aggregator.publish.render import FeedMeta, render_feed
from aggregator.records import StoryId, StorySummary
from tests.conftest import SAMPLE_SEEDS

RFI_ARRIVAL, BBC_ARRIVAL, RFI_VISIT, BBC_TALKS, EPOCH = SAMPLE_SEEDS


def make_site(tmp_path: Path, *seeds: Path) -> Config:
    (tmp_path / "seeds").mkdir()
    for seed in seeds:
        shutil.copy(seed, tmp_path / "seeds" / seed.name)
    (tmp_path / "config.toml").write_text(
        '[[sources]]\nname = "seeds"\nkind = "seeds"\n', encoding="utf-8"
    )
    return load_config(tmp_path / "config.toml")


def all_feed(cfg: Config) -> feedparser.FeedParserDict:
    return feedparser.parse((cfg.output.dir / "all.atom").read_bytes())


class TestStoryLifecycle:
    def test_story_gaining_an_outlet_keeps_its_id_and_moves_updated(self, tmp_path: Path) -> None:
        """A later report from another outlet joins the published story: same id, newer updated."""
        cfg = make_site(tmp_path, BBC_ARRIVAL)
        app.build(cfg)
        [before] = all_feed(cfg).entries
        shutil.copy(RFI_ARRIVAL, tmp_path / "seeds" / RFI_ARRIVAL.name)
        result = app.build(cfg)
        [after] = all_feed(cfg).entries
        assert after.id == before.id
        assert after.updated_parsed > before.updated_parsed
        assert len(after.links) > len(before.links)
        assert result.ingest.new == 1 and result.publish.stories == 1

    def test_new_version_of_an_article_replaces_it(self, tmp_path: Path) -> None:
        """The same URL saved later with edited text updates the article, not a new entry."""
        cfg = make_site(tmp_path, BBC_TALKS)
        app.build(cfg)
        [before] = all_feed(cfg).entries
        lines = BBC_TALKS.read_text(encoding="utf-8").split("\n")
        stamp = int(lines[0].strip("<!->"))
        lines[0] = f"<!--{stamp + 3_600_000}-->"
        edited = "\n".join(lines).replace("梨花女子大学", "首尔梨花女子大学（更新）")
        (tmp_path / "seeds" / "later-version.txt").write_text(edited, encoding="utf-8")
        result = app.build(cfg)
        [after] = all_feed(cfg).entries
        assert result.ingest.updated == 1 and result.ingest.new == 0
        assert after.id == before.id
        assert "（更新）" in after.content[0].value
        assert "（更新）" not in before.content[0].value

    def test_older_version_does_not_replace_newer(self, tmp_path: Path) -> None:
        """A copy saved earlier than the stored version is ignored."""
        cfg = make_site(tmp_path, BBC_TALKS)
        app.build(cfg)
        lines = BBC_TALKS.read_text(encoding="utf-8").split("\n")
        stamp = int(lines[0].strip("<!->"))
        lines[0] = f"<!--{stamp - 3_600_000}-->"
        older = "\n".join(lines).replace("梨花女子大学", "旧版本")
        (tmp_path / "seeds" / "older-version.txt").write_text(older, encoding="utf-8")
        result = app.build(cfg)
        assert result.ingest.duplicates == 1 and result.ingest.updated == 0
        assert "旧版本" not in all_feed(cfg).entries[0].content[0].value


class TestPublish:
    def test_newest_orders_by_instant_whatever_the_utc_offset(self) -> None:
        """Later instants first (not later wall-clock times), then later published, then the
        higher id; the same instant written with two offsets is a tie."""
        beijing = timezone(timedelta(hours=8))
        noon = datetime(2023, 9, 5, 12, 0, tzinfo=UTC)

        def summary(story: str, updated: datetime, published: datetime = noon) -> StorySummary:
            return StorySummary(id=StoryId(story), published=published, updated=updated, topics=())

        stories = [
            summary("a", noon.astimezone(beijing)),  # 20:00 in Beijing: the same instant
            summary("b", noon),
            summary("c", datetime(2023, 9, 5, 19, 0, tzinfo=beijing)),  # 11:00 UTC: earlier
            summary("d", noon, published=noon + timedelta(microseconds=1)),
            summary("e", noon + timedelta(microseconds=1)),
        ]
        assert [s.id for s in app.newest(stories, limit=4)] == ["e", "d", "b", "a"]

    def test_each_feed_is_what_its_fully_loaded_stories_render(self, tmp_path: Path) -> None:
        """Publish loads a story once for all the feeds it is in, and only what an entry shows;
        every feed file is still byte for byte render_feed of its stories loaded whole."""
        cfg = make_site(tmp_path, *SAMPLE_SEEDS)
        topics = (
            TopicConfig(slug="korea", title="Korea", include=("朝鲜",)),
            TopicConfig(slug="every", title="Every story"),
        )
        cfg = replace(cfg, topics=topics, output=replace(cfg.output, max_entries=3))
        assert app.build(cfg).publish.written == 3
        with opened_store(cfg) as store:
            stories = app.newest(app.load_stories(store, cfg), limit=10**9)
        categories = {t.slug: t.title for t in topics}
        for slug, title in [("all", "All stories"), *categories.items()]:
            entries = [s for s in stories if slug == "all" or slug in s.topics][:3]
            assert len(entries) > 1
            meta = FeedMeta(
                slug=slug,
                title=title,
                updated=max(s.updated for s in entries),
                categories=categories,
                entry_count=len(entries),
            )
            expected = render_feed(entries, meta=meta, site=cfg.site)
            assert (cfg.output.dir / f"{slug}.atom").read_bytes() == expected


class TestBuildEdges:
    def test_missing_seed_folder_is_reported(self, tmp_path: Path) -> None:
        """A seeds folder that is missing is skipped with its reason; feeds are still written."""
        cfg = make_site(tmp_path)
        (tmp_path / "seeds").rmdir()
        result = app.build(cfg)
        assert [s.reason for s in result.ingest.skipped] == ["seed folder does not exist"]
        assert all_feed(cfg).entries == []

    def test_second_build_waits_then_gives_up_with_a_message(self, tmp_path: Path) -> None:
        """While one build holds the lock, another cannot start; it says why."""
        db = tmp_path / "agg.db"
        held = app.build_lock(db)
        with (
            held,
            pytest.raises(StorageError, match="another build"),
            app.build_lock(db, wait_s=0.3),
        ):
            pass

    def test_lock_is_released_after_a_build(self, tmp_path: Path) -> None:
        """After a build ends, the next one gets the lock at once."""
        db = tmp_path / "agg.db"
        with app.build_lock(db):
            pass
        with app.build_lock(db, wait_s=0):
            pass
