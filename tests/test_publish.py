"""Publishing: render Atom/OPML/index and parse them back; write files atomically."""

from __future__ import annotations

import os
import re
import stat
import time
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import lxml.html
import pytest
from lxml import etree

from aggregator.config import SiteConfig
from aggregator.errors import PublishError
from aggregator.publish.render import (
    FeedMeta,
    entry_id,
    feed_url,
    render_feed,
    render_index,
    render_opml,
)
from aggregator.publish.write import remove_stale, write_atomic
from aggregator.records import Story, StoryId, StoryMember

ATOM = "{http://www.w3.org/2005/Atom}"
BEIJING = timezone(timedelta(hours=8))
RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$",
)
HOSTILE = '<script>alert("x")</script>&amp;<b>'

SITE = SiteConfig(title="Aggregator", base_url="http://127.0.0.1:8080/", author="aggregator")
META = FeedMeta(
    slug="korea",
    title="Korean Peninsula",
    updated=datetime(2023, 9, 13, 8, 0, tzinfo=UTC),
    categories={"korea": "Korean Peninsula", "russia": "Russia"},
)

RFI_URL = "https://www.rfi.fr/cn/国际/20230912-金正恩抵达俄罗斯"
RFI_OTHER_URL = "https://www.rfi.fr/cn/国际/20230912-普京会晤"
BBC_URL = "https://www.bbc.com/zhongwen/simp/world-66783386"


def member(**overrides: Any) -> StoryMember:
    """A story member with plausible defaults; keyword arguments override them."""
    values: dict[str, Any] = {
        "url": RFI_URL,
        "title": "金正恩抵达俄罗斯 <b>&amp;",
        "source": "RFI",
        "via": "seeds",
        "published": datetime(2023, 9, 12, 18, 24, tzinfo=BEIJING),
        "html": "<p>朝鲜领导人金正恩乘专列抵达俄罗斯远东地区。</p>",
        "text": "朝鲜领导人金正恩乘专列抵达俄罗斯远东地区。",
        "summary": "朝鲜领导人金正恩乘专列抵达俄罗斯。",
        "author": "法广",
        "language": "zh-Hans",
    }
    values.update(overrides)
    return StoryMember(**values)


def arrival_story() -> Story:
    """Three members from two outlets; the representative was published at +08:00."""
    return Story(
        id=StoryId("s-0001"),
        members=(
            member(),
            member(
                url=BBC_URL,
                title="金正恩乘专列抵达俄罗斯 与普京会面",
                source="BBC",
                published=datetime(2023, 9, 12, 16, 24, tzinfo=UTC),
                author=None,
            ),
            member(
                url=RFI_OTHER_URL,
                title="普京将会晤金正恩",
                source="RFI",
                published=datetime(2023, 9, 12, 9, 5, tzinfo=UTC),
            ),
        ),
        published=datetime(2023, 9, 12, 18, 24, tzinfo=BEIJING),
        updated=datetime(2023, 9, 12, 17, 0, tzinfo=UTC),
        topics=("korea", "russia"),
    )


def english_story() -> Story:
    """One English member without an author."""
    return Story(
        id=StoryId("s-0002"),
        members=(
            member(
                url="https://example.org/news/1",
                title="Kim leaves Russia",
                source="Example News",
                published=datetime(2023, 9, 17, 6, 0, tzinfo=UTC),
                author=None,
                html="<p>Kim Jong Un left Russia on Sunday.</p>",
                summary="Kim Jong Un left Russia.",
                language="en",
            ),
        ),
        published=datetime(2023, 9, 17, 6, 0, tzinfo=UTC),
        updated=datetime(2023, 9, 17, 6, 0, tzinfo=UTC),
        topics=("korea",),
    )


def render(*stories: Story, meta: FeedMeta = META, site: SiteConfig = SITE) -> bytes:
    return render_feed(list(stories), meta=meta, site=site)


def parse(data: bytes) -> Any:
    parsed = feedparser.parse(data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def atom_tree(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))


def links_by_rel(entry: Any, rel: str) -> list[str]:
    return [link["href"] for link in entry.links if link.get("rel") == rel]


def also_reported(content_html: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """(outlet, [(href, item text)]) for each outlet of the 'Also reported by' list."""
    root = lxml.html.fragment_fromstring(content_html, create_parent="div")
    heading = root.xpath(".//strong[text()='Also reported by']")
    assert len(heading) == 1
    outlet_list = heading[0].getparent().getnext()
    assert outlet_list.tag == "ul"
    groups = []
    for outlet_item in outlet_list.findall("li"):
        items = [
            (item.find("a").get("href") if item.find("a") is not None else "", item.text_content())
            for item in outlet_item.find("ul").findall("li")
        ]
        groups.append(((outlet_item.text or "").strip(), items))
    return groups


class TestFeedUrls:
    def test_feed_url_joins_slug_to_base_url(self) -> None:
        """A feed's URL is <base_url><slug>.atom."""
        assert feed_url("korea", SITE) == "http://127.0.0.1:8080/korea.atom"

    def test_feed_url_keeps_base_path_without_trailing_slash(self) -> None:
        """A base URL without its trailing slash still names the folder, not a file in it."""
        site = replace(SITE, base_url="https://news.example/feeds")
        assert feed_url("all", site) == "https://news.example/feeds/all.atom"

    def test_entry_id_is_an_absolute_iri_under_base_url(self) -> None:
        """An entry id is base_url + stories/<story id>."""
        assert entry_id(StoryId("s-0001"), SITE) == "http://127.0.0.1:8080/stories/s-0001"

    def test_entry_id_escapes_characters_that_would_change_the_path(self) -> None:
        """A story id with '/' or ':' stays one path segment of the IRI."""
        assert entry_id(StoryId("a/b:c"), SITE) == "http://127.0.0.1:8080/stories/a%2Fb%3Ac"


class TestRenderFeed:
    def test_feed_parses_without_bozo(self) -> None:
        """feedparser reads the rendered feed without complaint."""
        parsed = parse(render(arrival_story(), english_story()))
        assert parsed.version == "atom10"

    def test_feed_id_title_updated_and_self_link(self) -> None:
        """The feed carries its URL as id and self link, the site and topic title, meta.updated."""
        parsed = parse(render(arrival_story()))
        assert parsed.feed.id == "http://127.0.0.1:8080/korea.atom"
        assert parsed.feed.title == "Aggregator — Korean Peninsula"
        assert parsed.feed.updated == "2023-09-13T08:00:00+00:00"
        assert links_by_rel(parsed.feed, "self") == ["http://127.0.0.1:8080/korea.atom"]
        self_link = next(link for link in parsed.feed.links if link["rel"] == "self")
        assert self_link["type"] == "application/atom+xml"

    def test_feed_links_to_index_page_and_names_site_author(self) -> None:
        """The feed's alternate link is the index page; its author is the site author."""
        parsed = parse(render(arrival_story()))
        assert links_by_rel(parsed.feed, "alternate") == ["http://127.0.0.1:8080/index.html"]
        assert parsed.feed.author == "aggregator"

    def test_generator_has_no_version(self) -> None:
        """The generator element is fixed text, with no library version or URI."""
        generator = atom_tree(render(arrival_story())).find(f"{ATOM}generator")
        assert generator is not None
        assert generator.text == "aggregator"
        assert len(generator.attrib) == 0

    def test_entries_keep_the_given_order(self) -> None:
        """Entries appear in the order the caller passed the stories."""
        first = parse(render(english_story(), arrival_story()))
        second = parse(render(arrival_story(), english_story()))
        assert [e.id for e in first.entries] == [
            entry_id(StoryId("s-0002"), SITE),
            entry_id(StoryId("s-0001"), SITE),
        ]
        assert [e.id for e in second.entries] == [
            entry_id(StoryId("s-0001"), SITE),
            entry_id(StoryId("s-0002"), SITE),
        ]

    def test_entry_id_stays_when_story_gains_a_member(self) -> None:
        """A story that gains a member and moves its updated time keeps its entry id."""
        story = arrival_story()
        grown = replace(
            story,
            members=(*story.members, member(url="https://example.org/x", source="VOA")),
            updated=story.updated + timedelta(hours=3),
        )
        before = parse(render(story)).entries[0]
        after = parse(render(grown)).entries[0]
        assert before.id == after.id == "http://127.0.0.1:8080/stories/s-0001"
        assert after.updated == "2023-09-12T20:00:00+00:00"

    def test_entry_title_is_the_representative_title_as_text(self) -> None:
        """A title with markup and an entity comes back exactly as written, as text."""
        entry = parse(render(arrival_story())).entries[0]
        assert entry.title == "金正恩抵达俄罗斯 <b>&amp;"
        assert entry.title_detail.type == "text/plain"

    def test_alternate_link_is_the_representative_url(self) -> None:
        """The entry's one alternate link points at the representative article."""
        entry = parse(render(arrival_story())).entries[0]
        assert links_by_rel(entry, "alternate") == [RFI_URL]

    def test_related_links_name_every_other_member_once(self) -> None:
        """Each other member's URL is a related link; a repeated URL gives one link."""
        story = arrival_story()
        story = replace(story, members=(*story.members, member(url=BBC_URL, source="BBC")))
        entry = parse(render(story)).entries[0]
        assert links_by_rel(entry, "related") == [BBC_URL, RFI_OTHER_URL]

    def test_member_with_non_web_url_gets_no_link(self) -> None:
        """A javascript: member URL becomes neither a related link nor an <a href>."""
        story = arrival_story()
        hostile = member(url="javascript:alert(1)", title="trap", source="Evil")
        story = replace(story, members=(*story.members, hostile))
        data = render(story)
        entry = parse(data).entries[0]
        assert "javascript:alert(1)" not in links_by_rel(entry, "related")
        assert b"javascript:" not in data

    def test_published_keeps_its_utc_offset(self) -> None:
        """A +08:00 published time is written with +08:00, denoting the same instant."""
        entry = parse(render(arrival_story())).entries[0]
        assert entry.published == "2023-09-12T18:24:00+08:00"
        assert tuple(entry.published_parsed)[:6] == (2023, 9, 12, 10, 24, 0)

    def test_updated_is_the_story_updated_time(self) -> None:
        """The entry's updated element is Story.updated."""
        entry = parse(render(arrival_story())).entries[0]
        assert entry.updated == "2023-09-12T17:00:00+00:00"

    def test_categories_carry_slug_and_topic_title(self) -> None:
        """Each story topic is a category: term the slug, label the topic title."""
        entry = parse(render(arrival_story())).entries[0]
        assert [(tag.term, tag.label) for tag in entry.tags] == [
            ("korea", "Korean Peninsula"),
            ("russia", "Russia"),
        ]

    def test_author_is_the_representative_author(self) -> None:
        """The entry author is the representative's author when the page names one."""
        entry = parse(render(arrival_story())).entries[0]
        assert entry.author == "法广"

    def test_author_falls_back_to_outlet_name(self) -> None:
        """Without an author, the entry author is the representative's outlet."""
        entry = parse(render(english_story())).entries[0]
        assert entry.author == "Example News"

    def test_summary_is_the_representative_summary(self) -> None:
        """The entry summary is the representative's plain-text summary."""
        entry = parse(render(arrival_story())).entries[0]
        assert entry.summary == "朝鲜领导人金正恩乘专列抵达俄罗斯。"

    def test_content_is_html_with_representative_body(self) -> None:
        """Content is type html and starts with the representative's sanitized body."""
        content = atom_tree(render(arrival_story())).find(f"{ATOM}entry/{ATOM}content")
        assert content is not None
        assert content.get("type") == "html"
        assert content.text is not None
        assert content.text.startswith("<p>朝鲜领导人金正恩乘专列抵达俄罗斯远东地区。</p>")

    def test_content_lists_other_members_grouped_by_outlet(self) -> None:
        """'Also reported by' groups the other members by outlet with link and UTC time."""
        content = parse(render(arrival_story())).entries[0].content[0].value
        assert also_reported(content) == [
            ("BBC", [(BBC_URL, "金正恩乘专列抵达俄罗斯 与普京会面 (2023-09-12 16:24 UTC)")]),
            ("RFI", [(RFI_OTHER_URL, "普京将会晤金正恩 (2023-09-12 09:05 UTC)")]),
        ]

    def test_single_member_story_has_no_also_reported_list(self) -> None:
        """A story with one member shows only its body."""
        content = parse(render(english_story())).entries[0].content[0].value
        assert "Also reported by" not in content

    def test_member_values_in_content_are_escaped(self) -> None:
        """A hostile member title and outlet show as text in the list, never as markup."""
        story = arrival_story()
        hostile = member(url="https://evil.example/1", title=HOSTILE, source="<i>Evil</i>")
        story = replace(story, members=(*story.members, hostile))
        content = atom_tree(render(story)).find(f"{ATOM}entry/{ATOM}content")
        assert content is not None and content.text is not None
        body = lxml.html.fragment_fromstring(content.text, create_parent="div")
        assert body.xpath(".//script | .//i | .//b") == []
        assert (
            "<i>Evil</i>",
            [("https://evil.example/1", f"{HOSTILE} (2023-09-12 10:24 UTC)")],
        ) in (also_reported(content.text))

    def test_hostile_title_author_and_category_stay_text(self) -> None:
        """Markup in a title, author or category injects no element into the feed."""
        story = replace(
            arrival_story(),
            members=(member(title=HOSTILE, author=HOSTILE),),
            topics=(HOSTILE,),
        )
        meta = replace(META, categories={HOSTILE: HOSTILE})
        entry = atom_tree(render(story, meta=meta)).find(f"{ATOM}entry")
        assert entry is not None
        title = entry.find(f"{ATOM}title")
        name = entry.find(f"{ATOM}author/{ATOM}name")
        category = entry.find(f"{ATOM}category")
        assert title is not None and name is not None and category is not None
        assert (title.text, len(title)) == (HOSTILE, 0)
        assert (name.text, len(name)) == (HOSTILE, 0)
        assert (category.get("term"), category.get("label")) == (HOSTILE, HOSTILE)
        assert entry.findall(".//script") == entry.findall(f".//{ATOM}script") == []

    def test_control_characters_are_dropped_not_fatal(self) -> None:
        """Characters XML cannot carry are dropped from text instead of breaking the feed."""
        story = replace(arrival_story(), members=(member(title="bad\x00ti\x0btle\x1f"),))
        entry = parse(render(story)).entries[0]
        assert entry.title == "badtitle"

    def test_rfc4287_structure(self) -> None:
        """One id/title/updated per feed and entry, RFC 3339 dates, absolute ids, one self link."""
        feed = atom_tree(render(arrival_story(), english_story()))
        entries = feed.findall(f"{ATOM}entry")
        assert len(entries) == 2
        for element in (feed, *entries):
            for name in ("id", "title", "updated"):
                assert len(element.findall(f"{ATOM}{name}")) == 1, name
            identifier = urlsplit(element.findtext(f"{ATOM}id") or "")
            assert identifier.scheme in {"http", "https"} and identifier.netloc
        dates = feed.findall(f".//{ATOM}updated") + feed.findall(f".//{ATOM}published")
        assert len(dates) == 5
        assert all(RFC3339.match(date.text or "") for date in dates)
        assert len(feed.findall(f"{ATOM}link[@rel='self']")) == 1
        for entry in entries:
            assert len(entry.findall(f"{ATOM}link[@rel='alternate']")) == 1
            assert len(entry.findall(f"{ATOM}published")) == 1

    def test_rendering_twice_gives_identical_bytes(self) -> None:
        """Identical inputs give byte-identical output, whatever the clock says."""
        first = render(arrival_story(), english_story())
        time.sleep(1.1)
        assert render(arrival_story(), english_story()) == first

    def test_empty_story_list_is_a_valid_empty_feed(self) -> None:
        """No stories: a valid feed with its id, title, updated and self link, no entries."""
        data = render()
        parsed = parse(data)
        assert parsed.entries == []
        assert parsed.feed.id == "http://127.0.0.1:8080/korea.atom"
        feed = atom_tree(data)
        for name in ("id", "title", "updated"):
            assert len(feed.findall(f"{ATOM}{name}")) == 1
        assert RFC3339.match(feed.findtext(f"{ATOM}updated") or "")


def all_meta() -> FeedMeta:
    return FeedMeta(
        slug="all", title="All stories", updated=datetime(2023, 9, 17, tzinfo=UTC), entry_count=4
    )


class TestRenderOpml:
    def test_opml_lists_every_feed(self) -> None:
        """Each feed is one rss outline with its title and absolute feed URL."""
        root = ET.fromstring(render_opml([all_meta(), META], site=SITE))
        assert root.tag == "opml" and root.get("version") == "2.0"
        assert root.findtext("head/title") == "Aggregator"
        outlines = [dict(o.attrib) for o in root.findall("body/outline")]
        assert outlines == [
            {
                "type": "rss",
                "text": "Aggregator — All stories",
                "title": "Aggregator — All stories",
                "xmlUrl": "http://127.0.0.1:8080/all.atom",
                "htmlUrl": "http://127.0.0.1:8080/index.html",
            },
            {
                "type": "rss",
                "text": "Aggregator — Korean Peninsula",
                "title": "Aggregator — Korean Peninsula",
                "xmlUrl": "http://127.0.0.1:8080/korea.atom",
                "htmlUrl": "http://127.0.0.1:8080/index.html",
            },
        ]

    def test_opml_titles_are_escaped(self) -> None:
        """A hostile topic title round-trips as an attribute value."""
        meta = replace(META, title=HOSTILE)
        outline = ET.fromstring(render_opml([meta], site=SITE)).find("body/outline")
        assert outline is not None
        assert outline.get("text") == f"Aggregator — {HOSTILE}"

    def test_opml_bytes_are_deterministic(self) -> None:
        """Rendering the same feeds twice gives identical bytes."""
        assert render_opml([all_meta(), META], site=SITE) == render_opml(
            [all_meta(), META], site=SITE
        )


class IndexPage(HTMLParser):
    """Collects what the index page advertises and links to, and every tag it contains."""

    def __init__(self) -> None:
        super().__init__()
        self.discovery: list[tuple[str | None, str | None]] = []
        self.anchors: list[str | None] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        attributes = dict(attrs)
        if tag == "link" and attributes.get("type") == "application/atom+xml":
            assert attributes.get("rel") == "alternate"
            self.discovery.append((attributes.get("title"), attributes.get("href")))
        if tag == "a":
            self.anchors.append(attributes.get("href"))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def read_index(data: bytes) -> IndexPage:
    page = IndexPage()
    page.feed(data.decode("utf-8"))
    page.close()
    return page


class TestRenderIndex:
    def test_index_advertises_every_feed_for_autodiscovery(self) -> None:
        """The head has one Atom alternate link per feed, relative to the page."""
        page = read_index(render_index([all_meta(), META], site=SITE))
        assert page.discovery == [
            ("Aggregator — All stories", "all.atom"),
            ("Aggregator — Korean Peninsula", "korea.atom"),
        ]

    def test_index_links_every_feed_and_the_opml(self) -> None:
        """The body links each feed and the OPML file, with titles and entry counts."""
        data = render_index([all_meta(), META], site=SITE)
        page = read_index(data)
        assert page.anchors == ["all.atom", "korea.atom", "index.opml"]
        assert "All stories" in page.text and "Korean Peninsula" in page.text
        assert " (4 entries)" in page.text

    def test_index_escapes_titles(self) -> None:
        """A hostile site or topic title is text on the page, never a tag."""
        site = replace(SITE, title=HOSTILE)
        page = read_index(render_index([replace(META, title=HOSTILE)], site=site))
        assert "script" not in page.tags and "b" not in page.tags
        assert HOSTILE in "".join(page.text)


class TestWriteAtomic:
    def test_new_file_is_written_with_parent_folders(self, tmp_path: Path) -> None:
        """A missing file is created, folders included, and the call reports a write."""
        target = tmp_path / "feeds" / "sub" / "all.atom"
        assert write_atomic(target, b"<feed/>") is True
        assert target.read_bytes() == b"<feed/>"

    def test_new_file_is_world_readable(self, tmp_path: Path) -> None:
        """A new file gets mode 0644, not the temp file's 0600."""
        target = tmp_path / "all.atom"
        write_atomic(target, b"<feed/>")
        assert stat.S_IMODE(target.stat().st_mode) == 0o644

    def test_unchanged_bytes_leave_file_untouched(self, tmp_path: Path) -> None:
        """Identical bytes: no write, same mtime_ns, and the call returns False."""
        target = tmp_path / "all.atom"
        target.write_bytes(b"<feed/>")
        os.utime(target, ns=(1_000_000_000, 1_000_000_000))
        assert write_atomic(target, b"<feed/>") is False
        assert target.stat().st_mtime_ns == 1_000_000_000

    def test_changed_bytes_replace_file_and_leave_no_temp_file(self, tmp_path: Path) -> None:
        """Different bytes replace the file; only the target remains in the folder."""
        target = tmp_path / "all.atom"
        target.write_bytes(b"<feed>old</feed>")
        os.utime(target, ns=(1_000_000_000, 1_000_000_000))
        assert write_atomic(target, b"<feed>new</feed>") is True
        assert target.read_bytes() == b"<feed>new</feed>"
        assert target.stat().st_mtime_ns != 1_000_000_000
        assert sorted(p.name for p in tmp_path.iterdir()) == ["all.atom"]

    def test_replaced_file_keeps_its_mode(self, tmp_path: Path) -> None:
        """Replacing a file keeps the permissions it had."""
        target = tmp_path / "all.atom"
        target.write_bytes(b"old")
        target.chmod(0o640)
        write_atomic(target, b"new")
        assert stat.S_IMODE(target.stat().st_mode) == 0o640

    def test_parent_that_is_a_file_raises_publish_error(self, tmp_path: Path) -> None:
        """A folder that cannot be created raises PublishError naming the target path."""
        blocker = tmp_path / "feeds"
        blocker.write_bytes(b"not a folder")
        target = blocker / "all.atom"
        with pytest.raises(PublishError) as excinfo:
            write_atomic(target, b"<feed/>")
        assert excinfo.value.path == str(target)
        assert str(target) in str(excinfo.value)

    def test_failed_replace_removes_temp_file(self, tmp_path: Path) -> None:
        """When the rename fails (target is a folder) the temp file is removed."""
        target = tmp_path / "all.atom"
        target.mkdir()
        with pytest.raises(PublishError) as excinfo:
            write_atomic(target, b"<feed/>")
        assert excinfo.value.path == str(target)
        assert [p.name for p in tmp_path.iterdir()] == ["all.atom"]
        assert target.is_dir()


class TestRemoveStale:
    def test_removes_only_unconfigured_feed_files(self, tmp_path: Path) -> None:
        """*.atom files not named in keep go; kept feeds and other files stay."""
        for name in ("all.atom", "korea.atom", "old.atom", "index.opml", "index.html", "a.txt"):
            (tmp_path / name).write_bytes(b"x")
        removed = remove_stale(tmp_path, {"all.atom", "korea.atom", "a.txt"})
        assert removed == [tmp_path / "old.atom"]
        assert sorted(p.name for p in tmp_path.iterdir()) == [
            "a.txt",
            "all.atom",
            "index.html",
            "index.opml",
            "korea.atom",
        ]

    def test_leaves_folders_named_like_feeds(self, tmp_path: Path) -> None:
        """A folder ending in .atom is not a feed file and is left alone."""
        (tmp_path / "gone.atom").mkdir()
        assert remove_stale(tmp_path, set()) == []
        assert (tmp_path / "gone.atom").is_dir()

    def test_missing_folder_has_nothing_stale(self, tmp_path: Path) -> None:
        """A folder that does not exist yet yields an empty list."""
        assert remove_stale(tmp_path / "feeds", {"all.atom"}) == []
