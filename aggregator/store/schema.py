"""SQLite schema as ordered migrations (data only). Version n is MIGRATIONS[n - 1]."""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE inputs (
        origin TEXT PRIMARY KEY,
        digest TEXT NOT NULL,
        seen_at TEXT NOT NULL
    );
    CREATE TABLE stories (
        id TEXT PRIMARY KEY,
        created TEXT NOT NULL,
        updated TEXT NOT NULL
    );
    CREATE TABLE articles (
        url TEXT PRIMARY KEY,
        story_id TEXT NOT NULL REFERENCES stories(id),
        title TEXT NOT NULL,
        published TEXT NOT NULL,
        published_utc TEXT NOT NULL,
        source TEXT NOT NULL,
        via TEXT NOT NULL,
        origin TEXT NOT NULL,
        language TEXT NOT NULL,
        author TEXT,
        guid TEXT,
        captured TEXT,
        raw_html TEXT NOT NULL,
        body_html TEXT NOT NULL,
        body_text TEXT NOT NULL,
        summary TEXT NOT NULL,
        images TEXT NOT NULL,
        digest TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        level TEXT NOT NULL,
        matched_url TEXT,
        score REAL NOT NULL,
        evidence TEXT NOT NULL,
        ingested_at TEXT NOT NULL,
        changed_at TEXT NOT NULL
    );
    CREATE INDEX articles_story ON articles(story_id, published_utc);
    CREATE TABLE feeds (
        slug TEXT PRIMARY KEY,
        digest TEXT NOT NULL,
        updated TEXT NOT NULL
    );
    CREATE TABLE sources (
        name TEXT PRIMARY KEY,
        state TEXT NOT NULL
    );
    """,
    """
    ALTER TABLE feeds ADD COLUMN entries INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE feeds ADD COLUMN written_at TEXT;
    """,
)
