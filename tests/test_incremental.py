"""Incremental and parallel builds (issue 5): workers change nothing, rebuilds do only what changed.

Real CLI subprocesses and real SQLite files. The corpus is test_crash's: the sample seeds'
markup with new URLs, titles, text and one day per article, so every file is its own story.
"""

from __future__ import annotations

import json
import os
import pickle
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC
from pathlib import Path

import pytest

from aggregator import app, dedup
from aggregator.app.prepare import Prepared, fingerprint_of, prepare
from aggregator.config import load_config
from aggregator.sources.seeds import SeedInput
from tests.conftest import ROOT, SAMPLE_SEEDS
from tests.origin import Origin, Route, english_item, rss_feed
from tests.test_crash import make_corpus, write_config

PARALLEL_FILES = 80  # above prepare.MIN_PARALLEL, so --jobs 2 really uses workers


def build(root: Path, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "aggregator", "build", "--config", "config.toml", *args],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def articles(root: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(root / "state" / "agg.db") as con:
        rows = con.execute(
            "SELECT url, story_id, level, matched_url, title, published, body_html, body_text,"
            " f.data FROM articles JOIN bodies USING (url) JOIN fingerprints f USING (url)"
            " ORDER BY url"
        ).fetchall()
    con.close()
    return rows


def run_sql(root: Path, statement: str) -> None:
    with sqlite3.connect(root / "state" / "agg.db") as con:
        con.execute(statement)
    con.close()


def mtimes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return make_corpus(tmp_path_factory.mktemp("corpus") / "pool", PARALLEL_FILES)


def site_with(root: Path, files: list[Path]) -> Path:
    write_config(root)
    for path in files:
        shutil.copy(path, root / "seeds" / path.name)
    return root


class TestParallelBuild:
    def test_workers_give_what_one_process_gives(self, corpus: list[Path], tmp_path: Path) -> None:
        """--jobs 2 and --jobs 1 store the same articles, stories and decisions."""
        serial = site_with(tmp_path / "serial", corpus)
        parallel = site_with(tmp_path / "parallel", corpus)
        build(serial, "--jobs", "1")
        summary = build(parallel, "--jobs", "2")
        assert f"{PARALLEL_FILES} new articles" in summary
        assert articles(parallel) == articles(serial)
        for name in ("all.atom", "korea.atom", "russia.atom"):
            assert (parallel / "feeds" / name).exists()

    def test_prepared_comes_back_from_a_worker_whole(self, corpus: list[Path]) -> None:
        """Prepared pickles as plain values (its __reduce__): every field comes back equal."""
        result = prepare(SeedInput(path=corpus[0], stamp="-"), via="seeds")
        assert isinstance(result, Prepared) and result.article.captured is not None
        back = pickle.loads(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
        assert back == result
        assert back.fingerprint == fingerprint_of(result.article, result.body.text)

    def test_ctrl_c_stops_workers_quietly_and_loses_nothing(
        self, corpus: list[Path], tmp_path: Path
    ) -> None:
        """SIGINT to the process group (Ctrl-C) while workers run: exit 1 at once, no worker
        traceback, an intact store; the next build completes the same articles."""
        root = site_with(tmp_path, corpus)
        proc = subprocess.Popen(
            [sys.executable, "-m", "aggregator", "-vv", "build", "--config", "config.toml"],
            cwd=root,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            start_new_session=True,  # its own process group, as a terminal gives a command
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        assert proc.stderr is not None
        for line in proc.stderr:  # workers are busy once the first batch is being stored
            if "article.stored" in line:
                break
        os.killpg(proc.pid, signal.SIGINT)
        rest = proc.stderr.read()
        proc.stderr.close()
        assert proc.wait(timeout=10) == 1
        assert "Traceback" not in rest and "Aborted!" in rest
        with sqlite3.connect(root / "state" / "agg.db") as con:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        con.close()
        assert "skipped 0 files" in build(root)
        assert len(articles(root)) == PARALLEL_FILES

    def test_oldest_article_founds_the_story_whatever_the_file_order(self, tmp_path: Path) -> None:
        """Stories are decided earliest published first, not in file-name order."""
        rfi, bbc = SAMPLE_SEEDS[0], SAMPLE_SEEDS[1]  # one event: RFI and BBC arrival reports
        one = site_with(tmp_path / "one", [])
        shutil.copy(rfi, one / "seeds" / "a.txt")
        shutil.copy(bbc, one / "seeds" / "b.txt")
        two = site_with(tmp_path / "two", [])
        shutil.copy(rfi, two / "seeds" / "b.txt")
        shutil.copy(bbc, two / "seeds" / "a.txt")
        build(one)
        build(two)
        assert [row[:4] for row in articles(one)] == [row[:4] for row in articles(two)]


class TestRebuild:
    def test_unchanged_files_are_not_read(self, corpus: list[Path], tmp_path: Path) -> None:
        """A file with the same size and mtime is not read again, even if its bytes differ."""
        root = site_with(tmp_path, corpus[:10])
        build(root)
        before = articles(root)
        victim = root / "seeds" / corpus[0].name
        stat = victim.stat()
        victim.write_bytes(b"\0" * stat.st_size)  # unreadable as a seed, were it read
        os.utime(victim, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        summary = build(root)
        assert "read 10 files (10 unchanged)" in summary and "skipped 0 files" in summary
        assert articles(root) == before

    def test_touched_and_same_size_edits_are_read_again(
        self, corpus: list[Path], tmp_path: Path
    ) -> None:
        """A file whose mtime moved is read again: with the same bytes it is already known,
        edited to the same size its article is updated."""
        root = site_with(tmp_path, corpus[:10])
        build(root)
        touched, edited = (root / "seeds" / path.name for path in corpus[:2])
        stat = touched.stat()
        os.utime(touched, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
        text = edited.read_text(encoding="utf-8")
        title_start = text.index("[") + 1
        new_char = "甲" if text[title_start] != "甲" else "乙"  # three UTF-8 bytes, as any Han
        edited.write_text(text[:title_start] + new_char + text[title_start + 1 :], "utf-8")
        stat = edited.stat()
        os.utime(edited, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
        assert stat.st_size == len(text.encode("utf-8"))
        summary = build(root)
        assert "read 10 files (8 unchanged): 0 new articles, 1 updated, 1 already known" in summary
        titles = [str(row[4]) for row in articles(root)]
        assert sum(title.startswith(new_char) for title in titles) == 1

    def test_nothing_changed_writes_no_feed(self, corpus: list[Path], tmp_path: Path) -> None:
        root = site_with(tmp_path, corpus[:10])
        build(root)
        before = mtimes(root / "feeds")
        assert "wrote 0 of 3 feeds" in build(root)
        assert mtimes(root / "feeds") == before

    def test_deleted_feed_is_written_again(self, corpus: list[Path], tmp_path: Path) -> None:
        root = site_with(tmp_path, corpus[:10])
        build(root)
        data = (root / "feeds" / "korea.atom").read_bytes()
        (root / "feeds" / "korea.atom").unlink()
        assert "wrote 1 of 3 feeds" in build(root)
        assert (root / "feeds" / "korea.atom").read_bytes() == data

    def test_article_outside_every_feed_rewrites_nothing(
        self, corpus: list[Path], tmp_path: Path
    ) -> None:
        """With max_entries = 3, an article older than every entry leaves all feeds alone."""
        root = site_with(tmp_path, corpus[5:15])
        config = root / "config.toml"
        text = config.read_text(encoding="utf-8")
        config.write_text(text.replace("[output]\n", "[output]\nmax_entries = 3\n"))
        build(root)
        before = mtimes(root / "feeds")
        shutil.copy(corpus[0], root / "seeds" / corpus[0].name)  # article 0: the oldest day
        summary = build(root)
        assert "1 new articles" in summary and "wrote 0 of 3 feeds" in summary
        assert mtimes(root / "feeds") == before
        shutil.copy(corpus[20], root / "seeds" / corpus[20].name)  # the newest day
        assert "wrote 0 of 3 feeds" not in build(root)

    def test_changed_topics_rematch_every_story(self, corpus: list[Path], tmp_path: Path) -> None:
        """Editing a topic's keywords re-matches stored stories; the topic feed follows."""
        root = site_with(tmp_path, corpus[:10])
        build(root)
        config = root / "config.toml"
        text = config.read_text(encoding="utf-8")
        # Article n's title and paragraphs end in n: only article 3 has a whole word "3".
        config.write_text(text.replace('include = ["朝鲜", "金正恩"]', 'include = ["3"]'))
        summary = build(root)
        assert "0 new articles" in summary
        korea = (root / "feeds" / "korea.atom").read_text(encoding="utf-8")
        assert korea.count("<entry>") == 1 and "/00003/" in korea

    def test_stale_fingerprints_are_computed_again(
        self, corpus: list[Path], tmp_path: Path
    ) -> None:
        """Fingerprints of an older FINGERPRINT_VERSION are recomputed when the index opens."""
        root = site_with(tmp_path, corpus[:6])
        build(root)
        fresh = articles(root)
        # As a store written by an older aggregator has them, marker included.
        run_sql(root, "UPDATE fingerprints SET data = json_set(data, '$.version', 0)")
        run_sql(root, "UPDATE meta SET value = 'fingerprint v0' WHERE key = 'dedup.derived'")
        shutil.copy(corpus[6], root / "seeds" / corpus[6].name)  # something to decide
        build(root)
        after = {row[0]: row for row in articles(root)}
        for row in fresh:
            assert after[row[0]][:8] == row[:8]
            assert json.loads(str(after[row[0]][8]))["version"] == dedup.FINGERPRINT_VERSION

    def test_pending_articles_of_a_killed_run_are_decided(
        self, corpus: list[Path], tmp_path: Path
    ) -> None:
        """Articles stored but left without a story are given theirs by the next build."""
        root = site_with(tmp_path, corpus[:6])
        build(root)
        decided = articles(root)
        # What a run killed while deciding leaves: articles without a story (and without
        # dedup keys: both are written in one transaction), and the dedup marker "deciding".
        pending = "SELECT url FROM articles ORDER BY url LIMIT 3"
        run_sql(root, f"UPDATE articles SET story_id = NULL WHERE url IN ({pending})")
        run_sql(root, f"DELETE FROM dedup_keys WHERE url IN ({pending})")
        run_sql(root, "UPDATE meta SET value = 'deciding' WHERE key = 'dedup.derived'")
        cfg = load_config(root / "config.toml")
        result = app.build(cfg)
        assert result.ingest.unchanged_files == 6
        assert articles(root) == decided


class TestBuildFetch:
    def test_fetch_polls_each_feed_once_and_remembers_validators(
        self, tmp_path: Path, origin: Origin
    ) -> None:
        """`build --fetch` ingests live items in workers; a second build is answered with 304."""
        items = [english_item(n) for n in range(1, PARALLEL_FILES + 1)]
        origin.routes["/big.rss"] = Route(body=rss_feed(items))
        origin.routes["/small.rss"] = Route(body=rss_feed([english_item(500)]))
        origin.routes["/broken.rss"] = Route(status=500, body=b"down")
        sources = "".join(
            f'[[sources]]\nname = "{name}"\nkind = "feed"\nurl = "{origin.url(path)}"\n\n'
            for name, path in (("big", "/big.rss"), ("small", "/small.rss"), ("bad", "/broken.rss"))
        )
        (tmp_path / "config.toml").write_text(
            '[storage]\npath = "state/agg.db"\n' + sources, encoding="utf-8"
        )
        first = build(tmp_path, "--fetch", "--jobs", "2")
        assert f"{PARALLEL_FILES + 1} new articles" in first
        assert "skipped 1 files" in first and "HTTP 500" in first
        titles = {row[4] for row in articles(tmp_path)}
        assert "North Korea trade report number 7" in titles
        second = build(tmp_path, "--fetch")
        assert "0 new articles" in second
        assert origin.conditional_count("/big.rss") == 1
        assert origin.count("/broken.rss") == 2
        assert "wrote 0 of 1 feeds" in build(tmp_path)  # no --fetch: no request at all
        assert origin.count("/big.rss") == 2

    def test_feeds_polled_in_workers_store_what_one_process_stores(
        self, tmp_path: Path, origin: Origin
    ) -> None:
        """Prepared items pickled back from the workers lose nothing; an item two feeds carry
        is stored once and counted as known the second time, as in one process."""
        items = [english_item(n) for n in range(1, PARALLEL_FILES + 1)]
        origin.routes["/a.rss"] = Route(body=rss_feed(items[:50]))
        origin.routes["/b.rss"] = Route(body=rss_feed(items[40:]))
        sources = "".join(
            f'[[sources]]\nname = "{name}"\nkind = "feed"\nurl = "{origin.url(path)}"\n\n'
            for name, path in (("a", "/a.rss"), ("b", "/b.rss"))
        )
        for name in ("serial", "parallel"):
            (tmp_path / name).mkdir()
            (tmp_path / name / "config.toml").write_text(
                '[storage]\npath = "state/agg.db"\n' + sources, encoding="utf-8"
            )
        serial = build(tmp_path / "serial", "--fetch", "--jobs", "1")
        parallel = build(tmp_path / "parallel", "--fetch", "--jobs", "2")
        expected = f"{PARALLEL_FILES} new articles, 0 updated, 10 already known"
        assert expected in serial and expected in parallel
        assert articles(tmp_path / "parallel") == articles(tmp_path / "serial")


class TestStoreBackedIndex:
    """Builds that each add some files of a corpus decide every article as one in-memory index
    holding everything, deciding them in the same order: the stored keys, postings, document
    frequencies and story spans, and the index's time window, lose nothing."""

    def test_thirds_in_publication_order(self, tmp_path: Path) -> None:
        ordered = self._prepared_corpus(tmp_path, seed=3)
        third = len(ordered) // 3
        self._check_steps(
            tmp_path, [ordered[:third], ordered[third : 2 * third], ordered[2 * third :]]
        )

    @pytest.mark.parametrize("most_docs", [dedup.MAX_POSTING_DOCS, 25])
    def test_few_files_at_a_time_in_any_order(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, most_docs: int
    ) -> None:
        """Steps of at most dedup.FEW_ARTICLES files hold only the articles sharing a rare term
        with them, found through the stored postings; the files of a step come from anywhere
        in the corpus's month, so steps reach back before articles decided earlier. With
        query terms capped at 25 articles, many terms outgrow their postings (no longer
        posted), and a step needing one holds the whole window instead."""
        monkeypatch.setattr(dedup, "MAX_POSTING_DOCS", most_docs)
        ordered = self._prepared_corpus(tmp_path, seed=5)
        first, rest = ordered[:400], ordered[400:]
        random.Random(5).shuffle(rest)
        steps = [first]
        for size in (1, 2, 5, 9, dedup.FEW_ARTICLES, dedup.FEW_ARTICLES + 1, 3, 17, 1):
            steps.append(rest[:size])
            rest = rest[size:]
        self._check_steps(tmp_path, [*steps, rest])

    def test_few_files_whose_terms_are_no_longer_posted(self, tmp_path: Path) -> None:
        """A term leaves the postings when it grows too common; should it become rare again
        (newer versions of articles dropping it), a few new files with it get the whole
        window: here every term is made unposted after the first build."""
        ordered = self._prepared_corpus(tmp_path, seed=5)
        first, rest = ordered[:400], ordered[400:]
        random.Random(6).shuffle(rest)
        few = dedup.FEW_ARTICLES
        steps = [first, rest[:few], rest[few : 2 * few]]
        self._check_steps(tmp_path, steps, unpost_after_first=True)

    @staticmethod
    def _prepared_corpus(tmp_path: Path, *, seed: int) -> list[tuple[Path, Prepared]]:
        """A 900-file corpus from bench/make_corpus.py, one file per URL, prepared."""
        corpus = tmp_path / "corpus"
        generator = [sys.executable, str(ROOT / "bench" / "make_corpus.py")]
        subprocess.run(
            [*generator, "--n", "900", "--seed", str(seed), "--out", str(corpus)],
            check=True,
            capture_output=True,
        )
        first_of_url: dict[str, tuple[Path, Prepared]] = {}
        for path in sorted(p for p in (corpus / "seeds").rglob("*") if p.is_file()):
            result = prepare(SeedInput(path=path, stamp="-"), via="seeds")
            if isinstance(result, Prepared):
                first_of_url.setdefault(result.article.url, (path, result))
        return sorted(first_of_url.values(), key=_decide_order)

    @staticmethod
    def _check_steps(
        tmp_path: Path,
        steps: list[list[tuple[Path, Prepared]]],
        *,
        unpost_after_first: bool = False,
    ) -> None:
        root = site_with(tmp_path / "site", [])
        cfg = load_config(root / "config.toml")
        index = dedup.StoryIndex(cfg.dedup)
        expected = {}
        for step in steps:  # a build decides what it stored in the store's order
            for _, result in sorted(step, key=_decide_order):
                decision = index.assign(result.fingerprint)
                index.add(result.fingerprint, decision.story_id)
                expected[result.article.url] = decision
        assert {d.level for d in expected.values()} >= {"new", "near_duplicate", "same_story"}

        corpus = tmp_path / "corpus" / "seeds"
        for number, step in enumerate(steps):
            for path, _ in step:
                target = root / "seeds" / path.relative_to(corpus)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, target)
            app.build(cfg)
            if number == 0 and unpost_after_first:
                with sqlite3.connect(root / "state" / "agg.db") as con:
                    assert con.execute("UPDATE postings SET docs = NULL").rowcount > 1000
                con.close()
        with sqlite3.connect(root / "state" / "agg.db") as con:
            rows = con.execute("SELECT url, story_id, level, matched_url, score FROM articles")
            stored = {row[0]: row[1:] for row in rows}
        con.close()
        assert stored.keys() == expected.keys()
        for url, decision in expected.items():
            story_id, level, matched_url, score = stored[url]
            assert (story_id, level, matched_url) == (
                decision.story_id,
                decision.level,
                decision.matched_url,
            ), url
            assert score == pytest.approx(decision.score, abs=1e-12), url


def _decide_order(pair: tuple[Path, Prepared]) -> tuple[str, str]:
    """The order the store decides pending articles in: UTC publication time, then URL."""
    article = pair[1].article
    return article.published.astimezone(UTC).isoformat(), article.url
