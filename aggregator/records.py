"""Frozen records passed between pipeline stages.

Records hold data; behaviour lives in the stage functions. Every datetime is timezone-aware
(UTC unless the evidence names another offset, e.g. a Beijing dateline keeps +08:00).
Tuples, not lists; change a record with dataclasses.replace().
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, NewType

StoryId = NewType("StoryId", str)

SeedFormat = Literal["archive", "mirror"]
DedupLevel = Literal["new", "same_article", "near_duplicate", "same_story"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SeedDoc:
    """One seed file, split into its parts (sources.seedformat.parse_seed)."""

    path: str  # the file it came from, as given
    format: SeedFormat
    title: str  # raw: may still carry HTML entities
    url: str  # the article's URL (a mirror page's original URL), as written
    html: str  # the article's raw HTML
    stamp: datetime | None = None  # archive line 1 (capture or publication time); None for mirrors


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedItem:
    """One entry of a live feed, converted from feedparser at the boundary."""

    source: str  # the [[sources]] name
    feed_url: str
    link: str
    title: str
    html: str  # content:encoded / content when present, else the summary
    guid: str | None = None
    published: datetime | None = None
    author: str | None = None
    categories: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Article:
    """A normalized article, whatever it came from (normalize.article_from_seed)."""

    url: str  # canonical form, see normalize.canonical_url
    title: str  # entities decoded, whitespace collapsed
    published: datetime  # aware; best evidence in the page, else the capture time
    source: str  # outlet name, e.g. "RFI"; a mirror counts as its original's outlet
    origin: str  # seed path or feed URL it came from
    via: str  # the [[sources]] name it came in through, e.g. "seeds"
    raw_html: str
    language: str  # BCP 47: "zh-Hans", "zh-Hant", "en", or "und"
    author: str | None = None
    guid: str | None = None
    captured: datetime | None = None  # when the input was saved, if known


@dataclass(frozen=True, slots=True, kw_only=True)
class CleanBody:
    """An article body fit for a feed reader (clean.clean_html)."""

    html: str  # sanitized: text, images, links only
    text: str  # plain text, for dedup and topic matching
    summary: str  # a short plain-text summary
    images: tuple[str, ...] = ()  # absolute image URLs kept in html


@dataclass(frozen=True, slots=True, kw_only=True)
class StoryDecision:
    """Where dedup put an article: a new story, or which story and why."""

    story_id: StoryId
    level: DedupLevel
    matched_url: str | None = None  # the member that decided the match
    score: float = 0.0  # the deciding similarity, 0..1
    evidence: str = ""  # human-readable reasons, shown by `aggregator stories`


@dataclass(frozen=True, slots=True, kw_only=True)
class StoryMember:
    """One article of a story, as publishing and topic matching need it."""

    url: str
    title: str
    source: str  # outlet
    via: str  # [[sources]] name
    published: datetime
    html: str
    text: str
    summary: str
    author: str | None = None
    language: str = "und"
    decision: StoryDecision | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Story:
    """A group of articles about one event; members[0] is the representative."""

    id: StoryId
    members: tuple[StoryMember, ...]
    published: datetime  # earliest member's
    updated: datetime  # moves when a member joins or changes
    topics: tuple[str, ...] = field(default=())  # topic slugs it belongs to

    @property
    def representative(self) -> StoryMember:
        return self.members[0]


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredArticle:
    """An article as the store keeps it: the article, its clean body and its dedup decision.

    `decision` is None while the article is pending: stored, but not yet given a story (ingest
    stores articles first and decides stories afterwards, oldest first).
    """

    article: Article
    body: CleanBody
    decision: StoryDecision | None
    digest: str  # sha256 of title + raw HTML: tells an edited version from a copy
    fingerprint: dict[str, object]  # dedup.fingerprint_to_dict(); opaque to the store


@dataclass(frozen=True, slots=True, kw_only=True)
class KnownArticle:
    """What ingest needs to know about a stored URL before it stores a new version."""

    url: str
    digest: str
    captured: datetime | None
    decision: StoryDecision | None  # None while pending


@dataclass(frozen=True, slots=True, kw_only=True)
class StorySummary:
    """A story without its members: what choosing a feed's newest entries needs."""

    id: StoryId
    published: datetime  # earliest member's
    updated: datetime
    topics: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class StoryState:
    """A story's own row: members are the articles that carry its id."""

    id: StoryId
    created: datetime
    updated: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceState:
    """What the daemon remembers about a live source between polls and restarts."""

    name: str
    url: str | None = None  # current URL (a 301 updates it)
    configured_url: str | None = None  # the URL in config.toml this state belongs to
    etag: str | None = None
    last_modified: str | None = None
    last_success: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    failures: int = 0
    next_due: datetime | None = None
    disabled: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedState:
    """What was last published for one feed file, for `status` and stable `updated` times."""

    slug: str
    entries: int
    updated: datetime  # the feed's own <updated>
    digest: str  # sha256 of the bytes written
    written_at: datetime  # when those bytes were first written
    plan: str = ""  # digest of what went into the bytes (config, entry ids and times)
