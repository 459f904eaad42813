"""The real CLI, end to end: `python -m aggregator build` in a subprocess on the sample seeds."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import click
import feedparser
import pytest
from click.testing import CliRunner
from lxml import html as lxml_html

from aggregator.cli import cli, progress_reporter
from tests.atomcheck import assert_valid_atom
from tests.conftest import ROOT, SAMPLE_SEEDS

RFI_ARRIVAL = "https://www.rfi.fr/cn/%E5%9B%BD%E9%99%85/20230912-"
BBC_ARRIVAL = "https://www.bbc.com/zhongwen/simp/world-66783048"
BBC_TALKS = "https://www.bbc.com/zhongwen/simp/world-66806764"
RFI_VISIT = "https://www.rfi.fr/cn/%E5%9B%BD%E9%99%85/20230915-"
EPOCH = "https://www.epochtimes.com/gb/23/9/5/n14067525.htm"

CONFIG = """
[site]
title = "Test"
base_url = "http://127.0.0.1:8080/"

[storage]
path = "state/agg.db"

[output]
dir = "out"

[dedup]
story = {story}

[[sources]]
name = "local"
kind = "seeds"
path = "input"

[[topics]]
slug = "korea"
title = "Korea"
include = ["朝鮮", "North Korea"]

[[topics]]
slug = "empty"
title = "Nothing matches"
include = ["zzzz-no-such-word"]
"""


@dataclass
class Site:
    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    @property
    def out(self) -> Path:
        return self.root / "out"

    @property
    def seeds(self) -> Path:
        return self.root / "input"

    def feed(self, slug: str) -> bytes:
        return (self.out / f"{slug}.atom").read_bytes()


@pytest.fixture
def site(tmp_path: Path) -> Site:
    """A folder with its own config, seed folder (a copy of the samples) and output dir."""
    root = tmp_path / "site"
    shutil.copytree(ROOT / "seeds", root / "input")
    (root / "config.toml").write_text(CONFIG.format(story=0.5), encoding="utf-8")
    return Site(root)


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "aggregator", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def build(site: Site, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run a build from an unrelated working directory, with --config pointing at the site."""
    result = run_cli("build", "--config", str(site.config), *extra, cwd=site.root.parent)
    assert result.returncode == 0, result.stderr
    return result


def entry_links(entry: feedparser.FeedParserDict) -> set[str]:
    return {link["href"] for link in entry.get("links", [])}


def find_entry(parsed: feedparser.FeedParserDict, url_prefix: str) -> feedparser.FeedParserDict:
    matches = [e for e in parsed.entries if any(h.startswith(url_prefix) for h in entry_links(e))]
    assert len(matches) == 1, f"{len(matches)} entries link {url_prefix}"
    return matches[0]


class TestBuildSampleSeeds:
    def test_all_feed_has_one_entry_per_story(self, site: Site) -> None:
        """The five samples make four entries: the RFI and BBC arrival pieces are one story."""
        build(site)
        parsed = assert_valid_atom(site.feed("all"))
        assert len(parsed.entries) == 4
        arrival = find_entry(parsed, BBC_ARRIVAL)
        assert any(h.startswith(RFI_ARRIVAL) for h in entry_links(arrival))
        content = arrival.content[0].value
        assert "RFI" in content and RFI_ARRIVAL.split("/cn/")[0] in content
        for other in (BBC_TALKS, RFI_VISIT, EPOCH):
            entry = find_entry(parsed, other)
            assert entry is not arrival

    def test_stricter_story_threshold_keeps_outlets_apart(self, site: Site) -> None:
        """With dedup.story = 0.95 the RFI and BBC arrival pieces stay two entries."""
        site.config.write_text(CONFIG.format(story=0.95), encoding="utf-8")
        build(site)
        parsed = assert_valid_atom(site.feed("all"))
        assert len(parsed.entries) == 5

    def test_published_times_from_page_evidence(self, site: Site) -> None:
        """Epoch keeps its Beijing dateline (+08:00); RFI's Paris dateline is 18:24 +02:00."""
        build(site)
        data = site.feed("all").decode()
        assert "<published>2023-09-05T00:00:00+08:00</published>" in data
        assert "<published>2023-09-15T17:37:00+02:00</published>" in data
        parsed = feedparser.parse(site.feed("korea"))
        # The merged arrival story is published at its earliest report (BBC, 04:17 UTC).
        arrival = find_entry(parsed, BBC_ARRIVAL)
        assert arrival.published.startswith("2023-09-12T04:17")

    def test_every_feed_is_valid_atom(self, site: Site) -> None:
        """Every written feed is valid Atom; a topic matching nothing is a valid, empty feed."""
        build(site)
        feeds = sorted(site.out.glob("*.atom"))
        assert {p.stem for p in feeds} == {"all", "korea", "empty"}
        for path in feeds:
            assert_valid_atom(path.read_bytes())
        assert feedparser.parse(site.feed("empty")).entries == []
        # Traditional-script keyword 朝鮮 matched the Simplified 朝鲜 of every sample.
        assert len(feedparser.parse(site.feed("korea")).entries) == 4

    def test_bodies_are_clean(self, site: Site) -> None:
        """Each body has > 200 chars of text, absolute proxy-free images, and no active content."""
        build(site)
        for entry in feedparser.parse(site.feed("all")).entries:
            body = entry.content[0].value
            tree = lxml_html.fromstring(f"<div>{body}</div>")
            assert len(tree.text_content()) > 200
            images = [img.get("src") for img in tree.iter("img")]
            assert images, entry.title
            for src in images:
                assert src.startswith("https://") and "weserv" not in src
            assert not list(tree.iter("script", "style", "iframe"))
            for element in tree.iter():
                assert not any(name.lower().startswith("on") for name in element.attrib)
            for junk in (
                "你的器材不支持播放多媒体材料",
                "facebook.com/dialog/share",
                "feedx",
                "广告",
            ):
                assert junk not in body

    def test_index_files(self, site: Site) -> None:
        """index.opml and index.html list every feed."""
        build(site)
        opml = (site.out / "index.opml").read_text(encoding="utf-8")
        page = (site.out / "index.html").read_text(encoding="utf-8")
        for slug in ("all", "korea", "empty"):
            assert f"{slug}.atom" in opml and f"{slug}.atom" in page

    def test_summary_line(self, site: Site) -> None:
        """The build ends with a summary of files, articles, stories and feeds on stdout."""
        result = build(site)
        summary = result.stdout.splitlines()[0]
        assert "read 5 files" in summary and "5 new articles" in summary
        assert "4 stories" in summary and "wrote 3 of 3 feeds" in summary


class TestRebuild:
    def test_second_build_touches_nothing(self, site: Site) -> None:
        """A second build with no new input leaves every output file byte-identical, same mtime."""
        build(site)
        before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in site.out.iterdir()}
        result = build(site)
        after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in site.out.iterdir()}
        assert after == before
        assert "wrote 0 of 3 feeds" in result.stdout

    def test_copied_seed_adds_nothing(self, site: Site) -> None:
        """A copy of a seed under another name (in a subfolder) adds no entry."""
        build(site)
        before = site.feed("all")
        (site.seeds / "sub").mkdir()
        shutil.copy(SAMPLE_SEEDS[0], site.seeds / "sub" / "copy-of-rfi.md")
        result = build(site)
        assert "1 already known" in result.stdout
        assert site.feed("all") == before

    def test_garbage_file_is_named_and_skipped(self, site: Site) -> None:
        """A garbage file is reported with its reason; the build exits 0 and publishes the rest."""
        (site.seeds / "garbage.txt").write_bytes(b"\x00\x01\x02 not an article \xff\xfe")
        (site.seeds / "notes.txt").write_text("just some notes\n", encoding="utf-8")
        result = build(site)
        assert "skipped 2 files" in result.stdout
        assert "garbage.txt" in result.stdout and "notes.txt" in result.stdout
        assert len(feedparser.parse(site.feed("all")).entries) == 4


class TestConfigErrors:
    def test_bad_config_exits_2_naming_key(self, site: Site) -> None:
        """A wrong type exits 2 naming the file and key, and writes nothing."""
        site.config.write_text('[output]\nmax_entries = "many"\n', encoding="utf-8")
        result = run_cli("build", "--config", str(site.config), cwd=site.root)
        assert result.returncode == 2
        assert 'output.max_entries: expected an integer, got "many"' in result.stderr
        assert str(site.config) in result.stderr
        assert not (site.root / "feeds").exists() and not site.out.exists()

    def test_missing_config_exits_2(self, tmp_path: Path) -> None:
        """No config file: exit 2 with the path named."""
        result = run_cli("build", "--config", "nope.toml", cwd=tmp_path)
        assert result.returncode == 2 and "nope.toml" in result.stderr


class TestCommands:
    def test_every_command_has_help_with_example(self) -> None:
        """Each command has help text that includes an example."""
        group = cli
        assert isinstance(group, click.Group)
        for name, command in group.commands.items():
            assert command.help and "Example:" in command.help, name

    def test_stories_explains_merges(self, site: Site) -> None:
        """`aggregator stories` lists the merged story with both outlets and the score."""
        build(site)
        result = CliRunner().invoke(cli, ["stories", "--config", str(site.config)])
        assert result.exit_code == 0, result.output
        assert "RFI" in result.output and "BBC" in result.output
        assert "joined as same_story (score" in result.output

    def test_check_reports_ok(self, site: Site) -> None:
        """`aggregator check` validates the config and exits 0."""
        result = CliRunner().invoke(cli, ["check", "--config", str(site.config)])
        assert result.exit_code == 0 and "ok: 1 sources, 2 topics" in result.output


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class TestProgress:
    def test_bar_follows_the_running_count(self) -> None:
        """Ingest reports per batch with a running count; the bar ends full, not at 3/1000."""
        stream = _Terminal()
        with progress_reporter(stream) as phases:
            reading = phases("reading files")
            for done in (256, 512, 1000):
                reading(done, 1000)
            phases("deciding stories")(10, 10)
        out = stream.getvalue()
        assert "reading files  [####" in out and "deciding stories  [####" in out
        assert out.count("100%") >= 2

    def test_lines_without_a_terminal(self) -> None:
        stream = io.StringIO()
        with progress_reporter(stream) as phases:
            phases("reading files")(1000, 1000)
            phases("deciding stories")(1000, 1000)
        assert stream.getvalue() == (
            "progress: reading files 1000/1000\nprogress: deciding stories 1000/1000\n"
        )
