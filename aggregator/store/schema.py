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
    # Pending articles (stored, story not yet decided) have no story_id; stories remember
    # their topics and earliest member (NULL = changed since last publish); feeds remember
    # what they were rendered from.
    """
    CREATE TABLE articles_v3 (
        url TEXT PRIMARY KEY,
        story_id TEXT REFERENCES stories(id),
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
    INSERT INTO articles_v3 SELECT url, story_id, title, published, published_utc, source, via,
        origin, language, author, guid, captured, raw_html, body_html, body_text, summary,
        images, digest, fingerprint, level, matched_url, score, evidence, ingested_at,
        changed_at FROM articles;
    DROP TABLE articles;
    ALTER TABLE articles_v3 RENAME TO articles;
    CREATE INDEX articles_story ON articles(story_id, published_utc);
    CREATE INDEX articles_pending ON articles(published_utc, url) WHERE story_id IS NULL;
    ALTER TABLE stories ADD COLUMN topics TEXT;
    ALTER TABLE stories ADD COLUMN published TEXT;
    ALTER TABLE feeds ADD COLUMN plan TEXT NOT NULL DEFAULT '';
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # Dedup's own tables: every article's fingerprint apart from its large row (the story index
    # reads fingerprints by publication time), the level-1/2 lookup keys of decided articles
    # (URL, guid, text hash, LSH bands) and the document frequency of each story term over the
    # decided articles. Keys and frequencies are derived from the fingerprints; the app
    # (aggregator.app.ingest) fills them when meta `dedup.derived` is not current.
    """
    CREATE TABLE fingerprints (
        url TEXT PRIMARY KEY,
        published_utc TEXT NOT NULL,
        data TEXT NOT NULL
    );
    INSERT INTO fingerprints SELECT url, published_utc, fingerprint FROM articles;
    ALTER TABLE articles DROP COLUMN fingerprint;
    CREATE INDEX fingerprints_published ON fingerprints(published_utc);
    CREATE TABLE dedup_keys (
        key TEXT NOT NULL,
        url TEXT NOT NULL
    );
    CREATE INDEX dedup_keys_key ON dedup_keys(key);
    CREATE TABLE doc_freqs (
        term TEXT PRIMARY KEY,
        docs INTEGER NOT NULL
    ) WITHOUT ROWID;
    DELETE FROM meta WHERE key = 'dedup.derived';
    """,
    # Postings of the story terms (term -> the fingerprints' rowids, packed int64, in one row
    # per write, so a write appends instead of rewriting; one NULL row for a term too common
    # to be looked up), so that a few new articles find their level-3 candidates without
    # holding the whole time window. Derived like the keys: the app fills the table when meta
    # `dedup.derived` is not current.
    """
    CREATE TABLE postings (
        term TEXT NOT NULL,
        docs BLOB
    );
    CREATE INDEX postings_term ON postings(term);
    DELETE FROM meta WHERE key = 'dedup.derived';
    """,
    # An article's texts (~23 KB) apart from its row (~1 KB), so that deciding its story, an
    # UPDATE of the row, does not rewrite them. The articles table is rebuilt once (three DROP
    # COLUMNs would rewrite it three times).
    """
    CREATE TABLE bodies (
        url TEXT PRIMARY KEY,
        raw_html TEXT NOT NULL,
        body_html TEXT NOT NULL,
        body_text TEXT NOT NULL
    );
    INSERT INTO bodies SELECT url, raw_html, body_html, body_text FROM articles;
    CREATE TABLE articles_v6 (
        url TEXT PRIMARY KEY,
        story_id TEXT REFERENCES stories(id),
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
        summary TEXT NOT NULL,
        images TEXT NOT NULL,
        digest TEXT NOT NULL,
        level TEXT NOT NULL,
        matched_url TEXT,
        score REAL NOT NULL,
        evidence TEXT NOT NULL,
        ingested_at TEXT NOT NULL,
        changed_at TEXT NOT NULL
    );
    INSERT INTO articles_v6 SELECT url, story_id, title, published, published_utc, source, via,
        origin, language, author, guid, captured, summary, images, digest, level, matched_url,
        score, evidence, ingested_at, changed_at FROM articles ORDER BY rowid;
    DROP TABLE articles;
    ALTER TABLE articles_v6 RENAME TO articles;
    CREATE INDEX articles_story ON articles(story_id, published_utc);
    CREATE INDEX articles_pending ON articles(published_utc, url) WHERE story_id IS NULL;
    """,
)
