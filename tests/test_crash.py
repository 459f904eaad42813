"""Crash safety (issue 6): `aggregator build` killed with SIGKILL at many moments loses nothing.

A seed corpus is made from the five sample seeds (same page markup; new URLs, titles and
paragraph text, so that every file is a distinct article of its own story). The real CLI is
started in a subprocess again and again on one store and one feeds/ folder, a few new seed
files each time, and killed at a moment drawn from a seeded RNG: while it starts, while it
ingests (after the n-th article stored or story decided), while it publishes (after the n-th
file written), each plus a random few milliseconds. After every kill, the state it left must
be one the next run can survive: the store passes `PRAGMA integrity_check`, every file in
feeds/ is a complete, valid feed (old or new, never partial), and no temp file sits where a
reader could be served it. At the end one build runs to completion and must give what an
uninterrupted build of the same files gives on a fresh store: the same articles, the same
story ids, the same entries.

Two builds started at once must not corrupt anything either: the second waits for the lock
(flock beside the database) or gives up with a message naming it.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree

from tests.atomcheck import assert_valid_atom
from tests.conftest import ROOT, SAMPLE_SEEDS

SEED = 20230912
KILLS = 32
FIRST_BATCH = 40  # seed files before the first run
BATCH = 6  # new seed files before each later run, so every run has articles to ingest
CORPUS = FIRST_BATCH + BATCH * KILLS
RUN_TIMEOUT_S = 120.0
# Where a run is killed: (phase, weight). "start" is a plain delay after the process starts.
PHASES = (("start", 0.15), ("ingest", 0.45), ("publish", 0.40))
# An ingest stores each new article, then decides its story: both are moments to be killed at.
INGEST_EVENTS = ("article.stored", "article.decided")
PUBLISH_EVENTS = ("publish.written",)
TEMP_NAME_RE = re.compile(r"^\..+\.tmp$")
NEW_RE = re.compile(r": (\d+) new articles")

P_RE = re.compile(r"(<p(?:\s[^>]*)?>)(.*?)(</p>)", re.DOTALL)
TITLE_RE = re.compile(r"^\[(.*)\]\((\S+)\)$", re.MULTILINE)
MIRROR_TITLE_RE = re.compile(r"^### (.*)$", re.MULTILINE)
MIRROR_URL_RE = re.compile(r"(原文链接（需翻墙）：)(\S+)")
DATELINE_RE = re.compile(r"【[^】]*\d{4}年\d{2}月\d{2}日[^】]*】")
# The date evidence of each template, rewritten so that article n is published on day n: then
# every run ingests in file order (oldest first), killed or not, and story decisions match.
FIRST_DAY = datetime(2022, 1, 1, 12, tzinfo=UTC)
CAPTURE_RE = re.compile(r"^<!--\d+-->", re.MULTILINE)
RFI_DATELINE_RE = re.compile(r"\d{2}/\d{2}/\d{4} - \d{2}:\d{2}")
BBC_DATE_RE = re.compile(r'dateTime="\d{4}-\d{2}-\d{2}"')
EPOCH_DATE_RE = re.compile(r"(【大纪元)\d{4}年\d{2}月\d{2}日")


def _alphabet() -> list[str]:
    """The CJK characters of the sample seeds: paragraphs drawn from them read like Chinese."""
    text = "".join(path.read_text(encoding="utf-8") for path in SAMPLE_SEEDS)
    return sorted({c for c in text if "\u4e00" <= c <= "\u9fff"})


def make_article(template: str, number: int, rng: random.Random, alphabet: list[str]) -> str:
    """A sample seed with its URL, title and paragraph text replaced: a distinct article."""

    def sentence(low: int, high: int) -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(low, high)))

    def paragraph(match: re.Match[str]) -> str:
        dateline = DATELINE_RE.search(match.group(2))  # the mirror page's only date
        keep = dateline.group(0) if dateline else ""
        return f"{match.group(1)}{keep}{sentence(40, 120)}。{number}{match.group(3)}"

    title = f"{sentence(8, 16)} {number}"
    url = f"https://crash.example/{number:05d}/{sentence(2, 2)}.html"
    day = FIRST_DAY + timedelta(days=number)
    text = P_RE.sub(paragraph, template)
    text = CAPTURE_RE.sub(f"<!--{int(day.timestamp() * 1000)}-->", text, count=1)
    text = RFI_DATELINE_RE.sub(day.strftime("%d/%m/%Y - 10:00"), text)
    text = BBC_DATE_RE.sub(f'dateTime="{day.date().isoformat()}"', text)
    text = EPOCH_DATE_RE.sub(lambda m: m.group(1) + day.strftime("%Y年%m月%d日"), text)
    if template.startswith("###"):  # mirror page: title on line 1, original URL on the last
        text = MIRROR_TITLE_RE.sub(lambda m: f"### {title}", text, count=1)
        return MIRROR_URL_RE.sub(lambda m: f"{m.group(1)}{url}", text)
    return TITLE_RE.sub(lambda m: f"[{title}]({url})", text, count=1)


def make_corpus(folder: Path, count: int, *, seed: int = SEED) -> list[Path]:
    """`count` seed files in `folder`, named in the order they should be added."""
    rng = random.Random(seed)
    alphabet = _alphabet()
    templates = [path.read_text(encoding="utf-8") for path in SAMPLE_SEEDS]
    folder.mkdir(parents=True)
    files = []
    for number in range(count):
        path = folder / f"{number:05d}.txt"
        path.write_text(
            make_article(templates[number % len(templates)], number, rng, alphabet),
            encoding="utf-8",
        )
        files.append(path)
    return files


def write_config(root: Path) -> Path:
    (root / "seeds").mkdir(parents=True, exist_ok=True)
    config = root / "config.toml"
    config.write_text(
        '[site]\nbase_url = "http://127.0.0.1:8080/"\n[serve]\nport = 0\n'
        '[storage]\npath = "state/agg.db"\n'
        '[output]\ndir = "feeds"\n\n'
        '[[sources]]\nname = "seeds"\nkind = "seeds"\npath = "seeds"\n\n'
        '[[topics]]\nslug = "korea"\ntitle = "Korea"\ninclude = ["朝鲜", "金正恩"]\n\n'
        '[[topics]]\nslug = "russia"\ntitle = "Russia"\ninclude = ["俄罗斯", "普京"]\n',
        encoding="utf-8",
    )
    return config


def start_build(root: Path, *, verbose: bool = False) -> subprocess.Popen[str]:
    """`python -m aggregator build` in `root`; with `verbose`, debug events on stderr."""
    args = [sys.executable, "-m", "aggregator", *(["-vv"] if verbose else []), "build"]
    return subprocess.Popen(
        [*args, "--config", "config.toml"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_build(root: Path) -> str:
    """Run a build to completion; return its summary line."""
    proc = start_build(root)
    stdout, stderr = proc.communicate(timeout=RUN_TIMEOUT_S)
    assert proc.returncode == 0, stderr
    return stdout


@dataclass(frozen=True)
class Kill:
    phase: str
    after_events: int  # kill once this many of the phase's events have been logged
    extra_s: float  # then wait this long


def draw_kill(rng: random.Random, *, new_articles: int) -> Kill:
    phase = rng.choices([p for p, _ in PHASES], weights=[w for _, w in PHASES])[0]
    if phase == "start":  # importing, taking the lock, opening the store, reading seeds
        return Kill(phase, 0, rng.uniform(0.0, 1.0))
    if phase == "ingest":
        return Kill(phase, rng.randint(1, 2 * new_articles), rng.uniform(0.0, 0.02))
    # all.atom changes on every run (new articles), so at least one file is always written.
    return Kill(phase, 1, rng.uniform(0.0, 0.05))


def kill_during(root: Path, kill: Kill) -> str:
    """Start a build and SIGKILL it at `kill`; return what happened ("killed ..." or "done")."""
    proc = start_build(root, verbose=True)
    assert proc.stderr is not None
    # A "start" kill comes after its delay or at the first stored article, whichever is first:
    # a fast build would otherwise be over before a long delay runs out.
    events = PUBLISH_EVENTS if kill.phase == "publish" else INGEST_EVENTS
    seen = 0
    reached = threading.Event()

    def watch() -> None:  # count the events on stderr; keep draining so the child never blocks
        nonlocal seen
        assert proc.stderr is not None
        for line in proc.stderr:
            if any(event in line for event in events):
                seen += 1
                if seen >= kill.after_events:
                    reached.set()
        reached.set()  # stderr closed: the build ended before the kill point

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    if kill.phase == "start":
        reached.wait(kill.extra_s)
    else:
        reached.wait(RUN_TIMEOUT_S)
        time.sleep(kill.extra_s)
    outcome = "done" if proc.poll() is not None else f"killed in {kill.phase} after {seen}"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=RUN_TIMEOUT_S)
    watcher.join(5)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
    if outcome == "done":
        assert proc.returncode == 0, f"build failed on its own (exit {proc.returncode})"
    return outcome


def assert_survivable(root: Path) -> None:
    """What a killed build leaves: an intact store, whole feeds, no servable temp file."""
    db = root / "state" / "agg.db"
    if db.exists():
        with sqlite3.connect(db) as con:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        con.close()
    feeds = root / "feeds"
    if not feeds.exists():
        return
    for path in feeds.iterdir():
        if path.name.startswith("."):
            assert path.name == ".keep" or TEMP_NAME_RE.match(path.name), path
            continue
        data = path.read_bytes()
        if path.suffix == ".atom":
            assert_valid_atom(data)
        elif path.suffix == ".opml":
            assert etree.fromstring(data).tag == "opml"
        elif path.suffix == ".html":
            assert data.rstrip().endswith(b"</html>"), path
        else:
            raise AssertionError(f"unexpected file in feeds/: {path.name}")


@dataclass(frozen=True)
class Result:
    articles: int
    story_ids: frozenset[str]
    entry_ids: dict[str, frozenset[str]]  # per feed file


def result_of(root: Path) -> Result:
    with sqlite3.connect(root / "state" / "agg.db") as con:
        articles = con.execute("SELECT count(*) FROM articles").fetchone()[0]
        stories = frozenset(row[0] for row in con.execute("SELECT story_id FROM articles"))
    con.close()
    entries = {}
    for path in sorted((root / "feeds").glob("*.atom")):
        parsed = assert_valid_atom(path.read_bytes())
        entries[path.name] = frozenset(entry.id for entry in parsed.entries)
    return Result(articles=articles, story_ids=stories, entry_ids=entries)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The seed files of the crash test, generated once."""
    return make_corpus(tmp_path_factory.mktemp("corpus") / "pool", CORPUS)


@pytest.fixture(scope="module")
def reference(corpus: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Result:
    """What an uninterrupted build of the whole corpus gives on a fresh store."""
    root = tmp_path_factory.mktemp("reference")
    write_config(root)
    for path in corpus:
        shutil.copy(path, root / "seeds" / path.name)
    run_build(root)
    return result_of(root)


def add_files(root: Path, files: list[Path]) -> None:
    for path in files:
        shutil.copy(path, root / "seeds" / path.name)


class TestKilledBuilds:
    def test_sigkill_at_random_moments_loses_nothing(
        self, corpus: list[Path], reference: Result, tmp_path: Path
    ) -> None:
        """32 SIGKILLs while starting, ingesting and publishing; then the result is exact."""
        assert reference.articles == CORPUS and len(reference.story_ids) == CORPUS
        rng = random.Random(SEED)
        write_config(tmp_path)
        add_files(tmp_path, corpus[:FIRST_BATCH])
        added = FIRST_BATCH
        outcomes = []
        for _ in range(KILLS):
            kill = draw_kill(rng, new_articles=BATCH)
            outcomes.append(kill_during(tmp_path, kill))
            assert_survivable(tmp_path)
            add_files(tmp_path, corpus[added : added + BATCH])
            added += BATCH
        killed = [o for o in outcomes if o.startswith("killed")]
        assert len(killed) >= 30, outcomes
        for phase in ("start", "ingest", "publish"):
            assert any(f"killed in {phase}" in o for o in killed), (phase, outcomes)

        run_build(tmp_path)
        assert_survivable(tmp_path)
        assert not [p for p in (tmp_path / "feeds").iterdir() if p.name.startswith(".")]
        assert result_of(tmp_path) == reference


class TestLeftovers:
    def test_next_build_removes_temp_files_of_a_killed_publish(self, tmp_path: Path) -> None:
        """Temp files a killed write left (hidden, never served) go with the next build."""
        write_config(tmp_path)
        shutil.copy(SAMPLE_SEEDS[0], tmp_path / "seeds" / SAMPLE_SEEDS[0].name)
        feeds = tmp_path / "feeds"
        feeds.mkdir()
        leftovers = [feeds / ".all.atom.k2j4_x9a.tmp", feeds / ".index.opml.00000000.tmp"]
        for path in leftovers:
            path.write_bytes(b"<?xml version='1.0'?><feed")  # half a feed
        unrelated = feeds / ".keep"
        unrelated.write_bytes(b"")
        run_build(tmp_path)
        assert not any(path.exists() for path in leftovers)
        assert unrelated.exists()
        assert_survivable(tmp_path)


class TestConcurrentBuilds:
    def test_two_builds_at_once_run_one_after_the_other(
        self, corpus: list[Path], tmp_path: Path
    ) -> None:
        """The second build waits for the first's lock, then finds everything stored."""
        write_config(tmp_path)
        add_files(tmp_path, corpus[:40])
        builds = [start_build(tmp_path), start_build(tmp_path)]
        outputs = [proc.communicate(timeout=RUN_TIMEOUT_S) for proc in builds]
        assert [proc.returncode for proc in builds] == [0, 0], outputs
        new = sorted(int(NEW_RE.findall(stdout)[0]) for stdout, _ in outputs)
        assert new == [0, 40], outputs  # not interleaved: one stored all, the other none
        assert_survivable(tmp_path)
        assert result_of(tmp_path).articles == 40

    def test_a_writer_that_cannot_wait_is_refused_naming_the_lock(
        self, corpus: list[Path], tmp_path: Path
    ) -> None:
        """While one aggregator holds the store, a second `run` exits 1 at once, naming the lock
        file; the first is unharmed and leaves a valid store."""
        write_config(tmp_path)
        add_files(tmp_path, corpus[:10])
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        command = [sys.executable, "-m", "aggregator", "run", "--config", "config.toml"]
        first = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        try:
            assert first.stdout is not None
            assert first.stdout.readline().startswith(b"serving "), "the first did not start"
            second = subprocess.run(
                command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
            )
        finally:
            first.send_signal(signal.SIGTERM)
            first.wait(timeout=30)
            if first.stdout is not None:
                first.stdout.close()
        assert second.returncode == 1, second.stderr
        lock = tmp_path / "state" / "agg.db.lock"
        assert str(lock) in second.stderr and "another build" in second.stderr, second.stderr
        assert first.returncode == 0
        assert_survivable(tmp_path)
        assert result_of(tmp_path).articles == 10
