"""SqliteStore: the default Store, one SQLite file in WAL mode.

Why SQLite: one file, no server, transactional; WAL lets readers (the daemon's HTTP side, a
`stories` command) read while a build writes, and a crash loses nothing committed.
Every sqlite3.Error is wrapped once, here, as StorageError naming the operation.
"""

from __future__ import annotations

import json
import sqlite3
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, replace
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from aggregator.errors import StorageError
from aggregator.records import (
    Article,
    CleanBody,
    FeedState,
    KnownArticle,
    SourceState,
    StoredArticle,
    StoryDecision,
    StoryId,
    StoryMember,
    StoryState,
    StorySummary,
)
from aggregator.store.schema import MIGRATIONS

BUSY_TIMEOUT_S = 30.0  # a second writer (two builds at once) waits this long for the lock
_MAX_PARAMS = 500  # host parameters per statement, well under SQLite's limit
# What a pending article's decision columns hold until its story is decided.
_PENDING = StoryDecision(story_id=StoryId(""), level="new", evidence="pending")

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


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

    @wrap_errors("reading inputs")
    def input_digests(self) -> dict[str, str]:
        cursor = self._db.cursor()
        cursor.row_factory = None  # plain tuples: a Row per input costs more than the rest
        return dict(cursor.execute("SELECT origin, digest FROM inputs"))

    @wrap_errors("reading an article")
    def known_article(self, url: str) -> KnownArticle | None:
        row = self._db.execute(
            "SELECT digest, captured, story_id, level, matched_url, score, evidence"
            " FROM articles WHERE url = ?",
            (url,),
        ).fetchone()
        if row is None:
            return None
        captured = row["captured"]
        return KnownArticle(
            url=url,
            digest=row["digest"],
            captured=None if captured is None else _parse(captured),
            decision=_decision_from_row(row),
        )

    @wrap_errors("reading pending articles")
    def has_pending(self) -> bool:
        row = self._db.execute("SELECT 1 FROM articles WHERE story_id IS NULL LIMIT 1")
        return row.fetchone() is not None

    @wrap_errors("reading an article")
    def get_article(self, url: str) -> StoredArticle | None:
        row = self._db.execute(
            "SELECT a.*, b.raw_html, b.body_html, b.body_text, f.data AS fingerprint"
            " FROM articles a JOIN bodies b USING (url) JOIN fingerprints f USING (url)"
            " WHERE url = ?",
            (url,),
        ).fetchone()
        return None if row is None else _stored_article_from_row(row)

    @wrap_errors("writing an article")
    def put_article(self, stored: StoredArticle, *, now: datetime) -> None:
        a, body = stored.article, stored.body
        d = stored.decision if stored.decision is not None else _PENDING
        story_id = None if stored.decision is None else d.story_id
        self._db.execute(
            """
            INSERT INTO articles(url, story_id, title, published, published_utc, source, via,
                origin, language, author, guid, captured, summary, images, digest, level,
                matched_url, score, evidence, ingested_at, changed_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(url) DO UPDATE SET
                story_id = excluded.story_id, title = excluded.title,
                published = excluded.published, published_utc = excluded.published_utc,
                source = excluded.source, via = excluded.via, origin = excluded.origin,
                language = excluded.language, author = excluded.author, guid = excluded.guid,
                captured = excluded.captured,
                summary = excluded.summary, images = excluded.images, digest = excluded.digest,
                level = excluded.level,
                matched_url = excluded.matched_url, score = excluded.score,
                evidence = excluded.evidence, changed_at = excluded.changed_at
            """,
            (
                a.url, story_id, a.title, _iso(a.published), _iso_utc(a.published), a.source,
                a.via, a.origin, a.language, a.author, a.guid, _iso_or_none(a.captured),
                body.summary, json.dumps(list(body.images)),
                stored.digest, d.level, d.matched_url, d.score, d.evidence, _iso(now), _iso(now),
            ),
        )  # fmt: skip
        self._db.execute(
            "INSERT INTO bodies(url, raw_html, body_html, body_text) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(url) DO UPDATE SET raw_html = excluded.raw_html,"
            " body_html = excluded.body_html, body_text = excluded.body_text",
            (a.url, a.raw_html, body.html, body.text),
        )
        self._db.execute(
            "INSERT INTO fingerprints(url, published_utc, data) VALUES (?, ?, ?)"
            " ON CONFLICT(url) DO UPDATE SET"
            " published_utc = excluded.published_utc, data = excluded.data",
            (a.url, _iso_utc(a.published), json.dumps(stored.fingerprint, ensure_ascii=False)),
        )

    @wrap_errors("reading fingerprints")
    def iter_fingerprints(
        self, published: tuple[datetime, datetime] | None = None
    ) -> Iterator[tuple[dict[str, object], StoryId]]:
        between, params = "", tuple[str, ...]()  # any time, or within `published`
        if published is not None:
            between = " AND f.published_utc BETWEEN ? AND ?"
            params = (_iso_utc(published[0]), _iso_utc(published[1]))
        cursor = self._db.execute(
            "SELECT f.data, a.story_id FROM fingerprints f JOIN articles a USING (url)"
            f" WHERE a.story_id IS NOT NULL{between} ORDER BY a.rowid",
            params,
        )
        for row in cursor:
            yield json.loads(row[0]), StoryId(row[1])

    @wrap_errors("reading fingerprints")
    def decided_fingerprints(
        self, urls: Sequence[str]
    ) -> dict[str, tuple[dict[str, object], StoryId]]:
        rows = self._rows_in(
            "SELECT url, f.data, a.story_id FROM fingerprints f JOIN articles a USING (url)"
            " WHERE url IN ({marks}) AND a.story_id IS NOT NULL",
            urls,
        )
        return {row[0]: (json.loads(row[1]), StoryId(row[2])) for row in rows}

    @wrap_errors("counting decided articles")
    def count_decided(self) -> int:
        row = self._db.execute("SELECT count(*) FROM articles WHERE story_id IS NOT NULL")
        return int(row.fetchone()[0])

    @wrap_errors("reading pending articles")
    def pending_urls(self) -> list[str]:
        rows = self._db.execute(
            "SELECT url FROM articles WHERE story_id IS NULL ORDER BY published_utc, url"
        )
        return [row[0] for row in rows]

    @wrap_errors("reading fingerprints")
    def get_fingerprints(self, urls: Sequence[str]) -> dict[str, dict[str, object]]:
        rows = self._rows_in("SELECT url, data FROM fingerprints WHERE url IN ({marks})", urls)
        return {row[0]: json.loads(row[1]) for row in rows}

    @wrap_errors("writing a fingerprint")
    def put_fingerprint(self, url: str, fingerprint: dict[str, object]) -> None:
        self._db.execute(
            "UPDATE fingerprints SET data = ? WHERE url = ?",
            (json.dumps(fingerprint, ensure_ascii=False), url),
        )

    @wrap_errors("reading dedup keys")
    def find_dedup_keys(self, keys: Sequence[str]) -> list[tuple[str, str]]:
        rows = self._rows_in("SELECT rowid, key, url FROM dedup_keys WHERE key IN ({marks})", keys)
        return [(key, url) for _, key, url in sorted((r[0], r[1], r[2]) for r in rows)]

    @wrap_errors("writing dedup keys")
    def put_dedup_keys(self, url: str, keys: Sequence[str]) -> None:
        self._db.executemany(
            "INSERT INTO dedup_keys(key, url) VALUES (?, ?)", ((key, url) for key in keys)
        )

    @wrap_errors("writing dedup keys")
    def drop_dedup_keys(self, url: str, keys: Sequence[str]) -> None:
        self._db.executemany(
            "DELETE FROM dedup_keys WHERE key = ? AND url = ?", ((key, url) for key in keys)
        )

    @wrap_errors("reading story spans")
    def story_spans(self, ids: Sequence[StoryId]) -> dict[StoryId, tuple[datetime, datetime]]:
        rows = self._rows_in(
            "SELECT story_id, min(published_utc), max(published_utc) FROM articles"
            " WHERE story_id IN ({marks}) GROUP BY story_id",
            ids,
        )
        return {StoryId(row[0]): (_parse(row[1]), _parse(row[2])) for row in rows}

    @wrap_errors("reading document frequencies")
    def doc_freqs(self, terms: Sequence[str]) -> dict[str, int]:
        rows = self._rows_in("SELECT term, docs FROM doc_freqs WHERE term IN ({marks})", terms)
        return {row[0]: int(row[1]) for row in rows}

    @wrap_errors("writing document frequencies")
    def put_doc_freqs(self, counts: Iterable[tuple[str, int]]) -> None:
        self._db.executemany(
            "INSERT INTO doc_freqs(term, docs) VALUES (?, ?)"
            " ON CONFLICT(term) DO UPDATE SET docs = excluded.docs",
            counts,
        )

    @wrap_errors("reading fingerprints")
    def doc_ids(self, urls: Sequence[str]) -> dict[str, int]:
        rows = self._rows_in("SELECT url, rowid FROM fingerprints WHERE url IN ({marks})", urls)
        return {row[0]: row[1] for row in rows}

    @wrap_errors("writing postings")
    def add_postings(self, postings: Mapping[str, bytes | None]) -> None:
        unposted = [term for term, docs in postings.items() if docs is None]
        for part in _parts(unposted):  # their rows give way to one NULL row each
            self._db.execute(f"DELETE FROM postings WHERE term IN ({_marks(part)})", part)
        self._db.executemany("INSERT INTO postings(term, docs) VALUES (?, ?)", postings.items())

    @wrap_errors("reading fingerprints")
    def fingerprints_sharing(
        self, terms: Sequence[str], published: tuple[datetime, datetime]
    ) -> list[tuple[dict[str, object], StoryId]] | None:
        rowids: set[int] = set()
        for (docs,) in self._rows_in("SELECT docs FROM postings WHERE term IN ({marks})", terms):
            if docs is None:
                return None
            rowids.update(array("q", docs))
        rows = self._rows_in(
            "SELECT f.data, a.story_id FROM fingerprints f JOIN articles a USING (url)"
            " WHERE f.rowid IN ({marks}) AND a.story_id IS NOT NULL"
            " AND f.published_utc BETWEEN ? AND ?",
            sorted(rowids),
            _iso_utc(published[0]),
            _iso_utc(published[1]),
        )
        return [(json.loads(row[0]), StoryId(row[1])) for row in rows]

    @wrap_errors("clearing derived dedup data")
    def clear_dedup_derived(self) -> None:
        self._db.execute("DELETE FROM dedup_keys")
        self._db.execute("DELETE FROM doc_freqs")
        self._db.execute("DELETE FROM postings")

    @wrap_errors("writing a story decision")
    def decide(self, url: str, decision: StoryDecision) -> None:
        self._db.execute(
            "UPDATE articles SET story_id = ?, level = ?, matched_url = ?, score = ?,"
            " evidence = ? WHERE url = ?",
            (
                decision.story_id,
                decision.level,
                decision.matched_url,
                decision.score,
                decision.evidence,
                url,
            ),
        )

    @wrap_errors("reading a story")
    def get_story(self, story_id: StoryId) -> StoryState | None:
        row = self._db.execute("SELECT * FROM stories WHERE id = ?", (story_id,)).fetchone()
        return None if row is None else _story_from_row(row)

    @wrap_errors("writing a story")
    def put_story(self, story: StoryState) -> None:
        # A written story is a changed story: its topics are matched again at the next publish.
        self._db.execute(
            "INSERT INTO stories(id, created, updated) VALUES (?, ?, ?)"
            " ON CONFLICT(id) DO UPDATE SET updated = excluded.updated, topics = NULL",
            (story.id, _iso(story.created), _iso(story.updated)),
        )

    @wrap_errors("reading stories")
    def iter_stories(
        self, ids: Sequence[StoryId] | None = None
    ) -> Iterator[tuple[StoryState, list[StoryMember]]]:
        if ids is None:
            ids = [
                StoryId(row[0]) for row in self._db.execute("SELECT id FROM stories ORDER BY id")
            ]
        yield from self._stories_of(ids, _SELECT_MEMBERS, _member_from_row)

    @wrap_errors("reading stories")
    def iter_entry_stories(
        self, ids: Sequence[StoryId]
    ) -> Iterator[tuple[StoryState, list[StoryMember]]]:
        # A member's body and text (~10 KB, in bodies) are read for the first member only.
        for part in _parts(ids):
            found = list(self._stories_of(part, _SELECT_HEADLINES, _headline_from_row))
            bodies = self._bodies([members[0].url for _, members in found])
            for state, (first, *others) in found:
                html, summary = bodies[first.url]
                yield state, [replace(first, html=html, summary=summary), *others]

    def _stories_of(
        self,
        ids: Sequence[StoryId],
        select: str,
        member_from_row: Callable[[sqlite3.Row], StoryMember],
    ) -> Iterator[tuple[StoryState, list[StoryMember]]]:
        """The stories in `ids` that have members, in that order, members earliest first."""
        for part in _parts(ids):
            marks = _marks(part)
            states = {
                row["id"]: _story_from_row(row)
                for row in self._db.execute(f"SELECT * FROM stories WHERE id IN ({marks})", part)
            }
            members: dict[str, list[StoryMember]] = {}
            rows = self._db.execute(
                f"{select} WHERE a.story_id IN ({marks}) ORDER BY a.published_utc, url",
                part,
            )
            for row in rows:
                members.setdefault(row["story_id"], []).append(member_from_row(row))
            for story_id in part:
                if story_id in states and story_id in members:
                    yield states[story_id], members[story_id]

    def _bodies(self, urls: Sequence[str]) -> dict[str, tuple[str, str]]:
        """The clean HTML and summary of each article in `urls`, by URL."""
        rows = self._rows_in(
            "SELECT url, b.body_html, a.summary FROM articles a JOIN bodies b USING (url)"
            " WHERE url IN ({marks})",
            urls,
        )
        return {row[0]: (row[1], row[2]) for row in rows}

    def _rows_in(self, sql: str, values: Sequence[object], *after: object) -> Iterator[Any]:
        """The rows of `sql` for all of `values`, whose placeholders stand in its `{marks}`
        (an IN list), _MAX_PARAMS at a time; `after`: parameters after the IN list."""
        for part in _parts(values):
            yield from self._db.execute(sql.replace("{marks}", _marks(part)), (*part, *after))

    @wrap_errors("reading stories")
    def changed_story_ids(self) -> list[StoryId]:
        rows = self._db.execute("SELECT id FROM stories WHERE topics IS NULL ORDER BY id")
        return [StoryId(row[0]) for row in rows]

    @wrap_errors("writing story topics")
    def put_story_topics(
        self, story_id: StoryId, topics: tuple[str, ...], *, published: datetime
    ) -> None:
        self._db.execute(
            "UPDATE stories SET topics = ?, published = ? WHERE id = ?",
            (json.dumps(list(topics), ensure_ascii=False), _iso(published), story_id),
        )

    @wrap_errors("writing stories")
    def forget_story_topics(self) -> None:
        self._db.execute("UPDATE stories SET topics = NULL")

    @wrap_errors("reading stories")
    def story_summaries(self) -> list[StorySummary]:
        rows = self._db.execute(
            "SELECT id, published, updated, topics FROM stories WHERE topics IS NOT NULL"
        )
        return [
            StorySummary(
                id=StoryId(row[0]),
                published=_parse(row[1]),
                updated=_parse(row[2]),
                topics=tuple(json.loads(row[3])),
            )
            for row in rows
        ]

    @wrap_errors("reading settings")
    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    @wrap_errors("writing settings")
    def put_meta(self, key: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    @wrap_errors("reading feed state")
    def feed_state(self, slug: str) -> FeedState | None:
        row = self._db.execute("SELECT * FROM feeds WHERE slug = ?", (slug,)).fetchone()
        return None if row is None else _feed_state_from_row(row)

    @wrap_errors("writing feed state")
    def put_feed_state(self, state: FeedState) -> None:
        self._db.execute(
            "INSERT INTO feeds(slug, digest, updated, entries, written_at, plan)"
            " VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(slug) DO UPDATE SET digest = excluded.digest,"
            " updated = excluded.updated, entries = excluded.entries,"
            " written_at = excluded.written_at, plan = excluded.plan",
            (
                state.slug,
                state.digest,
                _iso(state.updated),
                state.entries,
                _iso(state.written_at),
                state.plan,
            ),
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


def _parts(values: Sequence[T]) -> Iterator[Sequence[T]]:
    """`values` in slices of at most _MAX_PARAMS, one statement's worth of parameters each."""
    for start in range(0, len(values), _MAX_PARAMS):
        yield values[start : start + _MAX_PARAMS]


def _marks(part: Sequence[object]) -> str:
    return ",".join("?" * len(part))


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
    return StoredArticle(
        article=article,
        body=body,
        decision=_decision_from_row(row),
        digest=row["digest"],
        fingerprint=json.loads(row["fingerprint"]),
    )


_SELECT_MEMBERS = (
    "SELECT url, a.story_id, a.title, a.published, a.source, a.via, b.body_html, b.body_text,"
    " a.summary, a.author, a.language, a.level, a.matched_url, a.score, a.evidence"
    " FROM articles a JOIN bodies b USING (url)"
)


def _member_from_row(row: sqlite3.Row, *, headline_only: bool = False) -> StoryMember:
    """A story member: what publishing and topics read (not the raw HTML, not the text's
    fingerprint), so loading stories reads a fraction of each row; `headline_only`: without
    its body, text or decision (a row of _SELECT_HEADLINES, see iter_entry_stories)."""
    full = not headline_only
    return StoryMember(
        url=row["url"],
        title=row["title"],
        source=row["source"],
        via=row["via"],
        published=_parse(row["published"]),
        html=row["body_html"] if full else "",
        text=row["body_text"] if full else "",
        summary=row["summary"] if full else "",
        author=row["author"],
        language=row["language"],
        decision=_decision_from_row(row) if full else None,
    )


def _headline_from_row(row: sqlite3.Row) -> StoryMember:
    return _member_from_row(row, headline_only=True)


# What a story member is apart from its body, text and decision.
_SELECT_HEADLINES = (
    "SELECT url, a.story_id, a.title, a.published, a.source, a.via, a.author, a.language"
    " FROM articles a"
)


def _decision_from_row(row: sqlite3.Row) -> StoryDecision | None:
    """The article's story decision; None while it is pending (no story_id yet)."""
    story_id = row["story_id"]
    if story_id is None:
        return None
    return StoryDecision(
        story_id=StoryId(story_id),
        level=row["level"],
        matched_url=row["matched_url"],
        score=float(row["score"]),
        evidence=row["evidence"],
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
        plan=row["plan"],
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
