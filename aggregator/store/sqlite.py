"""SqliteStore: the default Store, one SQLite file in WAL mode.

Why SQLite: one file, no server, transactional; WAL lets readers (the daemon's HTTP side, a
`stories` command) read while a build writes, and a crash loses nothing committed.
Every sqlite3.Error is wrapped once, here, as StorageError naming the operation.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

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

BUSY_TIMEOUT_S = 30.0  # a second writer (two builds at once) waits this long for the lock

P = ParamSpec("P")
R = TypeVar("R")


def wrap_errors(operation: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Turn sqlite3.Error raised by the decorated method into StorageError(operation)."""

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        @wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return func(*args, **kwargs)
            except sqlite3.Error as exc:
                raise StorageError(operation, str(exc)) from exc

        return wrapper

    return decorate


class SqliteStore:
    """Store backed by one SQLite file."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self._db = db
        self.path = path
        self._depth = 0

    @classmethod
    def open(cls, path: Path) -> SqliteStore:
        """Open (creating and migrating) the database at `path`.

        Raises:
            StorageError: the file cannot be created, is not a database, or is corrupt.
        """
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"opening {path}", exc.strerror or str(exc)) from exc
        try:
            db = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_S)
        except sqlite3.Error as exc:
            raise StorageError(f"opening {path}", str(exc)) from exc
        store = cls(db, path)
        try:
            store._setup()
        except sqlite3.Error as exc:
            db.close()
            raise StorageError(f"opening {path}", str(exc)) from exc
        return store

    def _setup(self) -> None:
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise sqlite3.DatabaseError(
                f"schema version {version} is newer than this aggregator ({len(MIGRATIONS)})"
            )
        for number in range(version, len(MIGRATIONS)):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for statement in MIGRATIONS[number].split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version={number + 1}")
                self._db.execute("COMMIT")
            except sqlite3.Error:
                self._db.execute("ROLLBACK")
                raise

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Commit everything written in the block at its end, or roll it all back."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._execute("beginning a transaction", "BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self._execute("rolling back", "ROLLBACK")
            raise
        self._depth = 0
        self._execute("committing", "COMMIT")

    def _execute(self, operation: str, sql: str, params: Any = ()) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, params)
        except sqlite3.Error as exc:
            raise StorageError(operation, str(exc)) from exc

    @wrap_errors("reading inputs")
    def input_digest(self, origin: str) -> str | None:
        row = self._db.execute("SELECT digest FROM inputs WHERE origin = ?", (origin,)).fetchone()
        return None if row is None else str(row["digest"])

    @wrap_errors("recording an input")
    def record_input(self, origin: str, digest: str, *, now: datetime) -> None:
        self._db.execute(
            "INSERT INTO inputs(origin, digest, seen_at) VALUES (?, ?, ?)"
            " ON CONFLICT(origin) DO UPDATE SET"
            " digest = excluded.digest, seen_at = excluded.seen_at",
            (origin, digest, _iso(now)),
        )

    @wrap_errors("reading an article")
    def get_article(self, url: str) -> StoredArticle | None:
        row = self._db.execute("SELECT * FROM articles WHERE url = ?", (url,)).fetchone()
        return None if row is None else _stored_article_from_row(row)

    @wrap_errors("writing an article")
    def put_article(self, stored: StoredArticle, *, now: datetime) -> None:
        a, body, d = stored.article, stored.body, stored.decision
        self._db.execute(
            """
            INSERT INTO articles(url, story_id, title, published, published_utc, source, via,
                origin, language, author, guid, captured, raw_html, body_html, body_text, summary,
                images, digest, fingerprint, level, matched_url, score, evidence,
                ingested_at, changed_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(url) DO UPDATE SET
                story_id = excluded.story_id, title = excluded.title,
                published = excluded.published, published_utc = excluded.published_utc,
                source = excluded.source, via = excluded.via, origin = excluded.origin,
                language = excluded.language, author = excluded.author, guid = excluded.guid,
                captured = excluded.captured, raw_html = excluded.raw_html,
                body_html = excluded.body_html, body_text = excluded.body_text,
                summary = excluded.summary, images = excluded.images, digest = excluded.digest,
                fingerprint = excluded.fingerprint, level = excluded.level,
                matched_url = excluded.matched_url, score = excluded.score,
                evidence = excluded.evidence, changed_at = excluded.changed_at
            """,
            (
                a.url, d.story_id, a.title, _iso(a.published), _iso_utc(a.published), a.source,
                a.via, a.origin, a.language, a.author, a.guid, _iso_or_none(a.captured),
                a.raw_html, body.html, body.text, body.summary, json.dumps(list(body.images)),
                stored.digest, json.dumps(stored.fingerprint, ensure_ascii=False), d.level,
                d.matched_url, d.score, d.evidence, _iso(now), _iso(now),
            ),
        )  # fmt: skip

    @wrap_errors("reading fingerprints")
    def iter_fingerprints(self) -> Iterator[tuple[dict[str, object], StoryId]]:
        cursor = self._db.execute("SELECT fingerprint, story_id FROM articles ORDER BY rowid")
        for row in cursor:
            yield json.loads(row["fingerprint"]), StoryId(row["story_id"])

    @wrap_errors("reading a story")
    def get_story(self, story_id: StoryId) -> StoryState | None:
        row = self._db.execute("SELECT * FROM stories WHERE id = ?", (story_id,)).fetchone()
        return None if row is None else _story_from_row(row)

    @wrap_errors("writing a story")
    def put_story(self, story: StoryState) -> None:
        self._db.execute(
            "INSERT INTO stories(id, created, updated) VALUES (?, ?, ?)"
            " ON CONFLICT(id) DO UPDATE SET updated = excluded.updated",
            (story.id, _iso(story.created), _iso(story.updated)),
        )

    @wrap_errors("reading stories")
    def iter_stories(self) -> Iterator[tuple[StoryState, list[StoredArticle]]]:
        stories = [
            _story_from_row(r) for r in self._db.execute("SELECT * FROM stories ORDER BY id")
        ]
        for story in stories:
            rows = self._db.execute(
                "SELECT * FROM articles WHERE story_id = ? ORDER BY published_utc, url",
                (story.id,),
            ).fetchall()
            if rows:
                yield story, [_stored_article_from_row(r) for r in rows]

    @wrap_errors("reading feed state")
    def feed_state(self, slug: str) -> FeedState | None:
        row = self._db.execute("SELECT * FROM feeds WHERE slug = ?", (slug,)).fetchone()
        return None if row is None else _feed_state_from_row(row)

    @wrap_errors("writing feed state")
    def put_feed_state(self, state: FeedState) -> None:
        self._db.execute(
            "INSERT INTO feeds(slug, digest, updated, entries, written_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(slug) DO UPDATE SET digest = excluded.digest,"
            " updated = excluded.updated, entries = excluded.entries,"
            " written_at = excluded.written_at",
            (state.slug, state.digest, _iso(state.updated), state.entries, _iso(state.written_at)),
        )

    @wrap_errors("reading feed states")
    def feed_states(self) -> list[FeedState]:
        rows = self._db.execute("SELECT * FROM feeds ORDER BY slug").fetchall()
        return [_feed_state_from_row(row) for row in rows]

    @wrap_errors("reading source state")
    def get_source_state(self, name: str) -> SourceState | None:
        row = self._db.execute("SELECT state FROM sources WHERE name = ?", (name,)).fetchone()
        return None if row is None else _source_state_from_json(row["state"])

    @wrap_errors("reading source states")
    def source_states(self) -> list[SourceState]:
        rows = self._db.execute("SELECT state FROM sources ORDER BY name").fetchall()
        return [_source_state_from_json(row["state"]) for row in rows]

    @wrap_errors("writing source state")
    def put_source_state(self, state: SourceState) -> None:
        self._db.execute(
            "INSERT INTO sources(name, state) VALUES (?, ?)"
            " ON CONFLICT(name) DO UPDATE SET state = excluded.state",
            (state.name, _source_state_to_json(state)),
        )

    @wrap_errors("counting rows")
    def counts(self) -> dict[str, int]:
        return {
            table: int(self._db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
            for table in ("inputs", "articles", "stories", "feeds", "sources")
        }

    @wrap_errors("checking integrity")
    def integrity_check(self) -> str:
        return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])


def _stored_article_from_row(row: sqlite3.Row) -> StoredArticle:
    article = Article(
        url=row["url"],
        title=row["title"],
        published=_parse(row["published"]),
        source=row["source"],
        via=row["via"],
        origin=row["origin"],
        raw_html=row["raw_html"],
        language=row["language"],
        author=row["author"],
        guid=row["guid"],
        captured=None if row["captured"] is None else _parse(row["captured"]),
    )
    body = CleanBody(
        html=row["body_html"],
        text=row["body_text"],
        summary=row["summary"],
        images=tuple(json.loads(row["images"])),
    )
    decision = StoryDecision(
        story_id=StoryId(row["story_id"]),
        level=row["level"],
        matched_url=row["matched_url"],
        score=float(row["score"]),
        evidence=row["evidence"],
    )
    return StoredArticle(
        article=article,
        body=body,
        decision=decision,
        digest=row["digest"],
        fingerprint=json.loads(row["fingerprint"]),
    )


def _story_from_row(row: sqlite3.Row) -> StoryState:
    return StoryState(
        id=StoryId(row["id"]), created=_parse(row["created"]), updated=_parse(row["updated"])
    )


def _feed_state_from_row(row: sqlite3.Row) -> FeedState:
    updated = _parse(row["updated"])
    written = row["written_at"]
    return FeedState(
        slug=row["slug"],
        entries=int(row["entries"]),
        updated=updated,
        digest=row["digest"],
        written_at=updated if written is None else _parse(written),
    )


def _source_state_to_json(state: SourceState) -> str:
    data = asdict(state)
    for key, value in data.items():
        if isinstance(value, datetime):
            data[key] = _iso(value)
    return json.dumps(data, sort_keys=True)


def _source_state_from_json(text: str) -> SourceState:
    data = json.loads(text)
    for key in ("last_success", "last_error_at", "next_due"):
        if data.get(key) is not None:
            data[key] = _parse(data[key])
    return SourceState(**data)


def _iso(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r} reached the store")
    return value.isoformat()


def _iso_utc(value: datetime) -> str:
    return _iso(value.astimezone(UTC))


def _iso_or_none(value: datetime | None) -> str | None:
    return None if value is None else _iso(value)


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text)
