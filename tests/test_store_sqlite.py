"""SqliteStore on real files: round-trips, transactions, reopen, corrupt files."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aggregator.errors import StorageError
from aggregator.records import (
    Article,
    CleanBody,
    FeedState,
    SourceState,
    StoredArticle,
    StoryDecision,
    StoryId,
    StoryState,
)
from aggregator.store.schema import MIGRATIONS
from aggregator.store.sqlite import SqliteStore

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
BEIJING = timezone(timedelta(hours=8))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    with SqliteStore.open(tmp_path / "agg.db") as s:
        yield s


def make_stored(
    url: str = "https://example.org/a", story: str = "s1", **changes: object
) -> StoredArticle:
    article = Article(
        url=url,
        title=str(changes.get("title", "金正恩抵达俄罗斯")),
        published=datetime(2023, 9, 5, tzinfo=BEIJING),
        source="大纪元",
        via="seeds",
        origin="seeds/004.txt",
        raw_html="<p>正文</p>",
        language="zh-Hans",
        author=None,
        guid="g-1",
        captured=datetime(2023, 9, 5, 1, 2, 3, tzinfo=UTC),
    )
    return StoredArticle(
        article=article,
        body=CleanBody(
            html="<p>正文</p>", text="正文", summary="正文", images=("https://e.org/i.jpg",)
        ),
        decision=StoryDecision(story_id=StoryId(story), level="new", score=0.0, evidence=""),
        digest=str(changes.get("digest", "d1")),
        fingerprint={"url": url, "signature": [1, 2, 3]},
    )


def add(store: SqliteStore, stored: StoredArticle) -> None:
    with store.transaction():
        sid = stored.decision.story_id
        store.put_story(StoryState(id=sid, created=NOW, updated=stored.article.published))
        store.put_article(stored, now=NOW)


class TestSqliteStore:
    def test_article_round_trip_keeps_offset(self, store: SqliteStore) -> None:
        """An article comes back equal, its +08:00 published time intact."""
        stored = make_stored()
        add(store, stored)
        back = store.get_article(stored.article.url)
        assert back == stored
        assert back is not None and back.article.published.utcoffset() == timedelta(hours=8)

    def test_put_same_url_replaces(self, store: SqliteStore) -> None:
        """Writing the same URL again updates the row instead of adding one."""
        add(store, make_stored())
        add(store, make_stored(title="新标题", digest="d2"))
        assert store.counts()["articles"] == 1
        back = store.get_article("https://example.org/a")
        assert back is not None and back.article.title == "新标题"

    def test_rollback_on_error_keeps_nothing(self, store: SqliteStore) -> None:
        """An exception inside a transaction rolls back every write in it."""
        with pytest.raises(RuntimeError), store.transaction():
            store.put_story(StoryState(id=StoryId("s1"), created=NOW, updated=NOW))
            store.put_article(make_stored(), now=NOW)
            raise RuntimeError("crash mid-write")
        assert store.counts()["articles"] == 0 and store.counts()["stories"] == 0

    def test_reopen_keeps_committed(self, tmp_path: Path) -> None:
        """What was committed is there after closing and reopening the file."""
        with SqliteStore.open(tmp_path / "agg.db") as s:
            add(s, make_stored())
            s.record_input("seeds/a.txt", "10:20", now=NOW)
        with SqliteStore.open(tmp_path / "agg.db") as s:
            assert s.get_article("https://example.org/a") is not None
            assert s.input_digest("seeds/a.txt") == "10:20"
            assert s.integrity_check() == "ok"

    def test_wal_mode(self, tmp_path: Path) -> None:
        """The database runs in WAL mode."""
        with SqliteStore.open(tmp_path / "agg.db"):
            mode = sqlite3.connect(tmp_path / "agg.db").execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"

    def test_stories_list_members_earliest_first(self, store: SqliteStore) -> None:
        """iter_stories yields each story with its members ordered by published time."""
        early = make_stored("https://example.org/early")
        late = make_stored("https://example.org/late")
        late = replace(
            late, article=replace(late.article, published=datetime(2023, 9, 6, tzinfo=UTC))
        )
        add(store, late)
        add(store, early)
        [(state, members)] = list(store.iter_stories())
        assert state.id == "s1"
        assert [m.url for m in members] == [early.article.url, late.article.url]
        assert members[0].html == early.body.html and members[0].decision == early.decision

    def test_entry_stories_read_only_the_representatives_body(self, store: SqliteStore) -> None:
        """iter_entry_stories gives iter_stories' stories, in the order asked, with the first
        member's html and summary; the other bodies, the texts and the decisions are left out."""
        for n, story in enumerate(("s1", "s2", "s1")):
            stored = make_stored(f"https://example.org/{n}", story=story)
            article = replace(stored.article, published=datetime(2023, 9, 5 + n, tzinfo=BEIJING))
            body = replace(stored.body, html=f"<p>{n}</p>", summary=f"summary {n}")
            add(store, replace(stored, article=article, body=body))
        ids = [StoryId("s2"), StoryId("s1")]
        full = list(store.iter_stories(ids))
        entries = list(store.iter_entry_stories(ids))
        assert [state for state, _ in entries] == [state for state, _ in full]
        for (_, members), (_, light) in zip(full, entries, strict=True):
            first, *others = members
            expected = [replace(first, text="", decision=None)]
            expected += [replace(m, html="", text="", summary="", decision=None) for m in others]
            assert light == expected
        assert entries[1][1][0].html == "<p>0</p>" and entries[1][1][1].html == ""

    def test_input_digests_map_every_origin(self, store: SqliteStore) -> None:
        """input_digests holds each recorded input's latest digest."""
        with store.transaction():
            store.record_input("seeds/a.txt", "10:20", now=NOW)
            store.record_input("seeds/b.txt", "11:21", now=NOW)
            store.record_input("seeds/a.txt", "12:22", now=NOW)
        assert store.input_digests() == {"seeds/a.txt": "12:22", "seeds/b.txt": "11:21"}

    def test_source_state_round_trip(self, store: SqliteStore) -> None:
        """Source fetch state (validators, errors, backoff) survives a write and read."""
        state = SourceState(
            name="rfi", url="https://e.org/f.xml", etag='"abc"', last_success=NOW, failures=2
        )
        with store.transaction():
            store.put_source_state(state)
        assert store.get_source_state("rfi") == state
        assert store.get_source_state("other") is None

    def test_feed_state(self, store: SqliteStore) -> None:
        """What a feed was last published with is remembered, and listed."""
        state = FeedState(slug="all", entries=3, updated=NOW, digest="xyz", written_at=NOW)
        with store.transaction():
            store.put_feed_state(state)
        assert store.feed_state("all") == state
        assert store.feed_states() == [state]
        assert store.feed_state("korea") is None

    def test_migration_from_version_1_keeps_feeds(self, tmp_path: Path) -> None:
        """A version-1 database is migrated in place; its feed rows survive with defaults."""
        path = tmp_path / "old.db"
        db = sqlite3.connect(path)
        db.executescript(MIGRATIONS[0])
        db.execute(
            "INSERT INTO feeds(slug, digest, updated) VALUES ('all', 'd', ?)", (NOW.isoformat(),)
        )
        db.execute("PRAGMA user_version=1")
        db.commit()
        db.close()
        with SqliteStore.open(path) as s:
            state = s.feed_state("all")
        assert state == FeedState(slug="all", entries=0, updated=NOW, digest="d", written_at=NOW)

    def test_migration_from_version_2_keeps_articles_and_stories(self, tmp_path: Path) -> None:
        """Version 3 rebuilds the articles table (story_id may be NULL); rows survive intact."""
        path = tmp_path / "v2.db"
        db = sqlite3.connect(path)
        for script in MIGRATIONS[:2]:
            db.executescript(script)
        db.execute("INSERT INTO stories VALUES ('s1', ?, ?)", (NOW.isoformat(), NOW.isoformat()))
        columns = [row[1] for row in db.execute("PRAGMA table_info(articles)")]
        values = {c: "x" for c in columns} | {
            "url": "https://example.org/a",
            "story_id": "s1",
            "published": NOW.isoformat(),
            "published_utc": NOW.isoformat(),
            "captured": None,
            "images": "[]",
            "fingerprint": "{}",
            "level": "new",
            "score": 0.0,
        }
        marks = ",".join("?" * len(columns))
        db.execute(f"INSERT INTO articles VALUES ({marks})", [values[c] for c in columns])
        db.execute("PRAGMA user_version=2")
        db.commit()
        db.close()
        with SqliteStore.open(path) as s:
            back = s.get_article("https://example.org/a")
            assert back is not None and back.decision is not None
            assert back.decision.story_id == "s1" and back.article.title == "x"
            assert s.changed_story_ids() == [StoryId("s1")]
            assert s.pending_urls() == []

    def test_pending_article_has_no_story_until_decided(self, store: SqliteStore) -> None:
        pending = replace(make_stored(), decision=None)
        with store.transaction():
            store.put_article(pending, now=NOW)
        assert store.pending_urls() == [pending.article.url]
        assert list(store.iter_fingerprints()) == []
        known = store.known_article(pending.article.url)
        assert known is not None and known.decision is None and known.digest == "d1"
        assert store.has_pending()
        decision = StoryDecision(story_id=StoryId("s9"), level="same_story", score=0.7)
        with store.transaction():
            store.put_story(StoryState(id=StoryId("s9"), created=NOW, updated=NOW))
            store.decide(pending.article.url, decision)
        assert store.pending_urls() == [] and not store.has_pending()
        known = store.known_article(pending.article.url)
        assert known is not None and known.decision == decision
        back = store.get_article(pending.article.url)
        assert back is not None and back.decision == decision

    def test_story_topics_are_forgotten_when_the_story_changes(self, store: SqliteStore) -> None:
        add(store, make_stored())
        sid = StoryId("s1")
        with store.transaction():
            store.put_story_topics(sid, ("korea",), published=NOW)
        assert store.changed_story_ids() == []
        [summary] = store.story_summaries()
        assert summary.topics == ("korea",) and summary.published == NOW
        with store.transaction():
            store.put_story(StoryState(id=sid, created=NOW, updated=NOW + timedelta(hours=1)))
        assert store.changed_story_ids() == [sid] and store.story_summaries() == []


class TestSqliteFailures:
    def test_not_a_database(self, tmp_path: Path) -> None:
        """A file that is not SQLite gives StorageError naming the file."""
        path = tmp_path / "agg.db"
        path.write_bytes(b"this is not a database at all" * 100)
        with pytest.raises(StorageError, match=r"agg\.db"):
            SqliteStore.open(path)

    def test_unwritable_location(self, tmp_path: Path) -> None:
        """A database path under a regular file cannot be created: StorageError."""
        (tmp_path / "file").write_text("x")
        with pytest.raises(StorageError, match="opening"):
            SqliteStore.open(tmp_path / "file" / "agg.db")

    def test_newer_schema_refused(self, tmp_path: Path) -> None:
        """A database from a newer aggregator is refused rather than damaged."""
        path = tmp_path / "agg.db"
        db = sqlite3.connect(path)
        db.execute("PRAGMA user_version=99")
        db.close()
        with pytest.raises(StorageError, match="newer"):
            SqliteStore.open(path)


text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=50)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=text, html=text, author=st.none() | text, offset=st.integers(-12, 14))
def test_any_article_round_trips(
    tmp_path: Path, title: str, html: str, author: str | None, offset: int
) -> None:
    """Any article text, author and UTC offset round-trips through a real SQLite file."""
    stored = make_stored()
    article = replace(
        stored.article,
        title=title,
        raw_html=html,
        author=author,
        published=datetime(2023, 1, 1, tzinfo=timezone(timedelta(hours=offset))),
    )
    stored = replace(stored, article=article)
    with SqliteStore.open(tmp_path / "prop.db") as s:
        add(s, stored)
        assert s.get_article(stored.article.url) == stored
