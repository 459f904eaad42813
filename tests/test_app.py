"""app use cases on real files: stories that grow, new versions of an article, the build lock."""

from __future__ import annotations

import shutil
from pathlib import Path

import feedparser
import pytest

from aggregator import app
from aggregator.config import Config, load_config
from aggregator.errors import StorageError
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
