"""normalize: canonical URLs, and SeedDoc / FeedItem -> Article with its evidence."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aggregator.errors import SeedFormatError, SourceError
from aggregator.normalize import (
    article_from_feed_item,
    article_from_seed,
    canonical_url,
    clean_title,
    detect_language,
    outlet_name,
)
from aggregator.records import Article, FeedItem, SeedDoc
from aggregator.sources.seedformat import parse_seed
from tests.conftest import DATA_DIR, SAMPLE_SEEDS

DATA_SEEDS = sorted(p for p in (DATA_DIR / "seeds").iterdir() if p.suffix != ".json")
PARIS_SUMMER = timezone(timedelta(hours=2))
BEIJING = timezone(timedelta(hours=8))
STAMP = datetime(2023, 9, 12, 16, 0, tzinfo=UTC)

HOSTS = ["Example.COM", "a.org:80", "b.net:443", "[::1]:8080", "u@H.io:0443", "bücher.de"]
URL_PIECES = ["/", "a", ".", "..", "%e5%9b%bd", "国", "%41", "%", "?", "&", "=", "#", "#!", " "]
URL_PIECES += ["~", ":", "utm_source=x", "from=y", "id=1", "+"]
SAMPLE_PUBLISHED = {
    "000_6d3d2d41e27d0a0f.txt": datetime(2023, 9, 12, 18, 24, tzinfo=PARIS_SUMMER),
    "001_3132a4f57b4db234.txt": datetime(2023, 9, 12, 4, 17, 2, tzinfo=UTC),
    "002_fb23d43dac91eb84.txt": datetime(2023, 9, 15, 17, 37, tzinfo=PARIS_SUMMER),
    "003_b53b4a0bd97847b9.txt": datetime(2023, 9, 14, 9, 13, 1, tzinfo=UTC) - timedelta(minutes=10),
    "004_b189d1e2a2c7df83.txt": datetime(2023, 9, 5, tzinfo=BEIJING),
}
SAMPLE_OUTLET = {
    "000_6d3d2d41e27d0a0f.txt": "RFI",
    "001_3132a4f57b4db234.txt": "BBC",
    "002_fb23d43dac91eb84.txt": "RFI",
    "003_b53b4a0bd97847b9.txt": "BBC",
    "004_b189d1e2a2c7df83.txt": "大纪元",
}
SAMPLE_AUTHOR = {
    "000_6d3d2d41e27d0a0f.txt": None,
    "001_3132a4f57b4db234.txt": "蔡亦伟（Derek Cai）",
    "002_fb23d43dac91eb84.txt": None,
    "003_b53b4a0bd97847b9.txt": "黄晓恩（Tessa Wong）",
    "004_b189d1e2a2c7df83.txt": "徐简",
}


def _sample(path: Path) -> Article:
    return article_from_seed(parse_seed(path.read_text("utf-8"), path=str(path)), via="seeds")


def _seed(
    html: str, *, url: str = "https://example.org/a", stamp: datetime | None = STAMP
) -> SeedDoc:
    return SeedDoc(path="seeds/t.txt", format="archive", title="T", url=url, html=html, stamp=stamp)


def _published(
    html: str, *, url: str = "https://example.org/a", stamp: datetime | None = STAMP
) -> datetime:
    return article_from_seed(_seed(html, url=url, stamp=stamp), via="seeds").published


class TestCanonicalUrl:
    @pytest.mark.parametrize(
        ("url", "expected"),
        [
            ("HTTPS://WWW.Example.COM/Path", "https://www.example.com/Path"),
            ("http://example.com:80/a", "http://example.com/a"),
            ("https://example.com:443/a", "https://example.com/a"),
            ("https://example.com:8443/a", "https://example.com:8443/a"),
            ("https://example.com", "https://example.com/"),
            ("https://example.com/a#section-2", "https://example.com/a"),
            (
                "https://example.com/a?utm_source=rss&id=7&fbclid=x&UTM_Medium=y",
                "https://example.com/a?id=7",
            ),
            (
                "https://www.bbc.com/zhongwen/simp/world-1?at_medium=RSS&at_campaign=KARANGA",
                "https://www.bbc.com/zhongwen/simp/world-1",
            ),
            ("https://www.rfi.fr/cn/x?xtor=RSS-1&b=2&a=1", "https://www.rfi.fr/cn/x?b=2&a=1"),
            (
                "https://a.org/x?gclid=1&mc_cid=2&mc_eid=3&ocid=4&spm=5&from=6&igshid=7",
                "https://a.org/x",
            ),
            ("https://a.org/x?__twitter_impression=true", "https://a.org/x"),
            ("https://a.org/%e5%9b%bd", "https://a.org/%E5%9B%BD"),
            ("https://a.org/国际?q=国", "https://a.org/%E5%9B%BD%E9%99%85?q=%E5%9B%BD"),
            ("https://a.org/%7Euser/%41", "https://a.org/~user/A"),
            ("https://a.org/a/./b/../c", "https://a.org/a/c"),
            ("https://a.org/a b", "https://a.org/a%20b"),
            ("https://a.org/p?x=1&&y=", "https://a.org/p?x=1&y="),
            ("https://a.org/app#!/story/1", "https://a.org/app#!/story/1"),
            ("https://Bücher.example/", "https://xn--bcher-kva.example/"),
            ("  https://a.org/x  ", "https://a.org/x"),
        ],
    )
    def test_canonical_form(self, url: str, expected: str) -> None:
        """Each spelling maps to the documented canonical form."""
        assert canonical_url(url) == expected

    def test_raw_and_percent_encoded_unicode_are_one_url(self) -> None:
        """A URL written with raw CJK characters equals its percent-encoded spelling."""
        raw = "https://www.rfi.fr/cn/国际/20230912-视频-金正恩抵达俄罗斯"
        encoded = "https://www.rfi.fr/cn/" + quote("国际/20230912-视频-金正恩抵达俄罗斯").lower()
        assert canonical_url(raw) == canonical_url(encoded)

    def test_sample_url_is_already_canonical(self) -> None:
        """The RFI sample's upper-case percent-encoded URL is unchanged."""
        url = parse_seed(SAMPLE_SEEDS[0].read_text("utf-8"), path="x").url
        assert canonical_url(url) == url

    @pytest.mark.parametrize("url", ["", "not a url", "mailto:a@b.org", "http://[::1"])
    def test_non_urls_come_back_stripped(self, url: str) -> None:
        """Strings without a host are returned (stripped), never raising."""
        assert canonical_url(f" {url} ") == url

    @given(
        st.sampled_from(["http://", "HTTPS://", "//", "http:", ""]),
        st.sampled_from(HOSTS),
        st.lists(st.sampled_from(URL_PIECES), max_size=12).map("".join),
    )
    def test_canonical_url_is_idempotent_on_url_shapes(
        self, prefix: str, host: str, rest: str
    ) -> None:
        """Canonicalizing a canonical URL changes nothing."""
        once = canonical_url(prefix + host + rest)
        assert canonical_url(once) == once

    @given(st.text())
    def test_canonical_url_is_idempotent_on_any_text(self, text: str) -> None:
        """Whatever the input, a second pass is a no-op."""
        once = canonical_url(text)
        assert canonical_url(once) == once


class TestSampleArticles:
    @pytest.mark.parametrize("path", SAMPLE_SEEDS, ids=lambda p: p.name)
    def test_published_time_from_best_evidence(self, path: Path) -> None:
        """Each sample's published time comes from its page evidence, as documented."""
        published = _sample(path).published
        assert published == SAMPLE_PUBLISHED[path.name]
        assert published.utcoffset() == SAMPLE_PUBLISHED[path.name].utcoffset()

    @pytest.mark.parametrize("path", SAMPLE_SEEDS, ids=lambda p: p.name)
    def test_outlet_name(self, path: Path) -> None:
        """The outlet comes from the article URL's host (a mirror's original)."""
        assert _sample(path).source == SAMPLE_OUTLET[path.name]

    @pytest.mark.parametrize("path", SAMPLE_SEEDS, ids=lambda p: p.name)
    def test_author(self, path: Path) -> None:
        """BBC's reporter list and Epoch's 记者 credit give the author; RFI names none."""
        assert _sample(path).author == SAMPLE_AUTHOR[path.name]

    @pytest.mark.parametrize("path", SAMPLE_SEEDS, ids=lambda p: p.name)
    def test_samples_are_simplified_chinese(self, path: Path) -> None:
        """Every sample is Simplified Chinese (BBC's stray 係 does not make it Traditional)."""
        assert _sample(path).language == "zh-Hans"

    @pytest.mark.parametrize("path", SAMPLE_SEEDS, ids=lambda p: p.name)
    def test_provenance_fields(self, path: Path) -> None:
        """origin, via, raw_html and captured come from the SeedDoc unchanged."""
        doc = parse_seed(path.read_text("utf-8"), path=str(path))
        article = article_from_seed(doc, via="my-seeds")
        assert (article.origin, article.via, article.raw_html) == (str(path), "my-seeds", doc.html)
        assert article.captured == doc.stamp

    def test_title_entities_are_decoded(self) -> None:
        """RFI's &quot; in the title becomes a quote mark."""
        assert _sample(SAMPLE_SEEDS[2]).title == '【视频】金正恩访俄：克里姆林宫称 "未签署任何协议”'

    def test_mirror_url_is_the_original(self) -> None:
        """A mirror page's article URL is its 原文链接 URL."""
        assert _sample(SAMPLE_SEEDS[4]).url == "https://www.epochtimes.com/gb/23/9/5/n14067525.htm"


class TestDataSeeds:
    @pytest.mark.parametrize("path", DATA_SEEDS, ids=lambda p: p.name)
    def test_data_seed_article_matches_expected_file(self, path: Path) -> None:
        """Hand-written Traditional, English and mirror variants give the recorded Article."""
        expected = json.loads(path.with_name(f"{path.stem}.expected.json").read_text("utf-8"))
        doc = parse_seed(path.read_text("utf-8-sig"), path=str(path))
        article = article_from_seed(doc, via="seeds")
        got = {
            "url": article.url,
            "title": article.title,
            "published": article.published.isoformat(),
            "source": article.source,
            "author": article.author,
            "language": article.language,
        }
        assert got == expected["article"]


class TestPublishedEvidence:
    def test_time_element_with_offset_wins(self) -> None:
        """A <time datetime> with an offset beats every other evidence."""
        html = '<p>12/09/2023 - 10:00</p><time datetime="2023-09-12T09:30:00+09:00">x</time>'
        assert _published(html) == datetime(2023, 9, 12, 0, 30, tzinfo=UTC)

    def test_meta_published_time_counts_as_machine_time(self) -> None:
        """<meta property="article:published_time"> is read like a <time> element."""
        html = '<meta property="article:published_time" content="2023-09-12T08:00:00Z"><p>x</p>'
        assert _published(html) == datetime(2023, 9, 12, 8, tzinfo=UTC)

    @pytest.mark.parametrize(
        ("text", "ago"),
        [
            ("26 分钟前", timedelta(minutes=26)),
            ("3 小时前", timedelta(hours=3)),
            ("2 天前", timedelta(days=2)),
            ("三小時前", timedelta(hours=3)),
            ("半小时前", timedelta(minutes=30)),
            ("十五分鐘前", timedelta(minutes=15)),
            ("5 minutes ago", timedelta(minutes=5)),
            ("2 hours ago", timedelta(hours=2)),
            ("an hour ago", timedelta(hours=1)),
            ("刚刚", timedelta(0)),
        ],
    )
    def test_relative_time_counts_back_from_capture(self, text: str, ago: timedelta) -> None:
        """A relative time text is measured back from the capture stamp."""
        assert _published(f"<div><time>{text}</time></div><p>body</p>") == STAMP - ago

    def test_relative_time_must_agree_with_time_date(self) -> None:
        """A relative time whose day contradicts its <time> date is not used."""
        html = '<time datetime="2023-09-01">26 分钟前</time><p>body</p>'
        assert _published(html) == datetime(2023, 9, 1, tzinfo=UTC)

    def test_relative_time_in_plain_element(self) -> None:
        """A short element holding only "2 hours ago" counts too."""
        assert _published("<span>2 hours ago</span><p>body text</p>") == STAMP - timedelta(hours=2)

    def test_relative_time_needs_a_capture_time(self) -> None:
        """Without a stamp, a relative time is no evidence: the URL date is used."""
        html = "<span>2 hours ago</span><p>body</p>"
        published = _published(html, url="https://example.org/2023/09/10/x", stamp=None)
        assert published == datetime(2023, 9, 10, tzinfo=UTC)

    def test_rfi_dateline_is_paris_time(self) -> None:
        """RFI's "dd/mm/yyyy - HH:MM" dateline is read in Europe/Paris (winter: +01:00)."""
        published = _published(
            "<div>05/01/2024 - 09:15</div><p>x</p>", url="https://www.rfi.fr/cn/a", stamp=None
        )
        assert published == datetime(2024, 1, 5, 9, 15, tzinfo=timezone(timedelta(hours=1)))

    def test_us_outlet_dateline_is_month_first(self) -> None:
        """An American outlet's 09/05/2023 is 5 September, in New York time."""
        published = _published("<div>09/05/2023 - 08:00</div><p>x</p>", url="https://apnews.com/a")
        assert published == datetime(2023, 9, 5, 8, tzinfo=timezone(timedelta(hours=-4)))

    def test_ymd_dateline_in_taiwan_outlet(self) -> None:
        """A "2023/09/05 14:32" dateline on cna.com.tw is Taipei time."""
        published = _published(
            "<div>2023/09/05 14:32</div><p>x</p>", url="https://www.cna.com.tw/n/1.aspx"
        )
        assert published == datetime(2023, 9, 5, 14, 32, tzinfo=BEIJING)

    def test_chinese_dateline_beats_caption_date(self) -> None:
        """【…2023年09月05日讯】 wins over an earlier caption's 2019年4月25日."""
        html = "<div>普京于2019年4月25日会见金正恩。</div><p>【大纪元2023年09月05日讯】正文</p>"
        published = _published(html, url="https://www.epochtimes.com/gb/n1.htm", stamp=None)
        assert published == datetime(2023, 9, 5, tzinfo=BEIJING)

    def test_cna_style_dateline_keeps_taipei_offset(self) -> None:
        """（中央社記者…2023年9月5日電） on a Taiwan outlet is that day in +08:00."""
        html = "<p>（中央社記者王揚宇台北2023年9月5日電）正文</p>"
        published = _published(html, url="https://www.cna.com.tw/news/a.aspx", stamp=None)
        assert published == datetime(2023, 9, 5, tzinfo=BEIJING)
        assert published.utcoffset() == timedelta(hours=8)

    def test_date_only_time_element_is_midnight_utc(self) -> None:
        """A <time datetime="YYYY-MM-DD"> alone gives that day at 00:00 UTC."""
        assert _published('<time datetime="2023-09-11">Monday</time><p>x</p>') == datetime(
            2023, 9, 11, tzinfo=UTC
        )

    @pytest.mark.parametrize(
        ("url", "day"),
        [
            ("https://example.org/news/20230910-story", datetime(2023, 9, 10, tzinfo=UTC)),
            ("https://example.org/2023/09/10/story/", datetime(2023, 9, 10, tzinfo=UTC)),
            ("https://www.epochtimes.com/gb/23/9/5/n1.htm", datetime(2023, 9, 5, tzinfo=BEIJING)),
        ],
    )
    def test_date_in_url(self, url: str, day: datetime) -> None:
        """With no page evidence, a date in the URL is used (outlet's zone when known)."""
        assert _published("<p>x</p>", url=url) == day

    def test_capture_time_is_the_last_resort(self) -> None:
        """No evidence at all: the capture stamp."""
        assert _published("<p>nothing dated here</p>") == STAMP

    def test_no_date_at_all_raises(self) -> None:
        """No evidence and no stamp: SeedFormatError "no date" naming the path."""
        with pytest.raises(SeedFormatError) as caught:
            _published("<p>nothing dated here</p>", stamp=None)
        assert (caught.value.path, caught.value.reason) == ("seeds/t.txt", "no date")

    def test_evidence_after_capture_is_ignored(self) -> None:
        """A time more than a day after the page was saved is not believed."""
        html = '<time datetime="2023-10-01T00:00:00Z">later</time><p>x</p>'
        assert _published(html) == STAMP

    def test_published_is_always_aware(self) -> None:
        """Even a naive machine time comes back timezone-aware."""
        published = _published('<time datetime="2023-09-12T10:00:00">x</time><p>x</p>')
        assert published.tzinfo is not None


class TestPageMarkup:
    """The lxml tree reads pages as BeautifulSoup did (see aggregator/normalize/markup.py)."""

    @pytest.mark.parametrize("tag", ["script", "style", "template"])
    def test_code_and_template_text_is_no_evidence(self, tag: str) -> None:
        """A relative time inside <script>, <style> or <template> is not page text."""
        assert _published(f"<{tag}>2 hours ago</{tag}><p>body</p>") == STAMP

    def test_heading_inside_template_is_not_the_title(self) -> None:
        """An <h1> in a <template> has no page text: the <title> is used."""
        doc = replace(_seed("<template><h1>Hidden</h1></template><title>Shown</title>"), title="")
        assert article_from_seed(doc, via="s").title == "Shown"

    def test_content_after_closing_html_is_read(self) -> None:
        """What follows </html> (a second top-level element) still gives evidence."""
        html = '<p>x</p></html><time datetime="2023-09-10T08:00:00+00:00">t</time>'
        assert _published(html) == datetime(2023, 9, 10, 8, tzinfo=UTC)

    def test_evidence_below_libxml2_tree_depth_is_read(self) -> None:
        """A page nested deeper than libxml2 builds trees (2,048) is read to the end."""
        html = "<div>" * 3000 + '<time datetime="2023-09-10T08:00:00+00:00">t</time>'
        assert _published(html + "</div>" * 3000 + "<p>after</p>") == datetime(
            2023, 9, 10, 8, tzinfo=UTC
        )

    @pytest.mark.parametrize("separator", ["<!-- c -->", "<!DOCTYPE html>", "<?pi x?>"])
    def test_comment_or_doctype_ends_a_text(self, separator: str) -> None:
        """Text after a comment, a stray doctype or an instruction is a text of its own."""
        assert _published(f"<p>x{separator}2 hours ago</p>") == STAMP - timedelta(hours=2)

    def test_many_comment_separated_texts_are_read(self) -> None:
        """20,000 comment-separated texts are read (comments become elements: XPath ordering
        texts that follow comments is quadratic in libxml2, this took seconds)."""
        html = "<p>" + "x<!-- c -->" * 20000 + "2 hours ago</p>"
        assert _published(html) == STAMP - timedelta(hours=2)

    def test_control_characters_in_a_deep_page_do_not_raise(self) -> None:
        """A page that needs the event-built tree may hold characters lxml refuses."""
        html = "<div>" * 3000 + "<p title='\x01'>By\x02 Ann</p><!-- \x03 -->\x04"
        article = article_from_seed(_seed(html), via="s")
        assert article.published == STAMP

    @pytest.mark.parametrize(
        ("html", "author"),
        [
            ('<p><a rel="author nofollow" href="/a">Ann Lee</a></p>', "Ann Lee"),
            ('<p><span rel="author nofollow">Ann Lee</span></p>', None),
            ('<p><span rel="author">Ann Lee</span></p>', "Ann Lee"),
        ],
        ids=["a-rel-list", "span-rel-is-one-value", "span-rel"],
    )
    def test_rel_author_is_a_list_only_on_links(self, html: str, author: str | None) -> None:
        """rel is a space-separated list on <a>, <link> and <area>, one value elsewhere."""
        assert article_from_seed(_seed(html), via="s").author == author


class TestTitleAuthorOutlet:
    def test_clean_title_decodes_and_collapses(self) -> None:
        """Entities (even doubly escaped) are decoded, runs of whitespace become one space."""
        assert clean_title("  Kim &amp;amp; Putin\n\t&quot;meet&quot;  ") == 'Kim & Putin "meet"'

    def test_empty_title_falls_back_to_page_heading(self) -> None:
        """A seed with an empty title takes the page's <h1>."""
        doc = SeedDoc(
            path="p",
            format="archive",
            title=" ",
            url="https://a.org/x",
            html="<h1>Head</h1>",
            stamp=STAMP,
        )
        assert article_from_seed(doc, via="s").title == "Head"

    def test_no_title_anywhere_raises(self) -> None:
        """No title in the seed nor the page: SeedFormatError "no title"."""
        doc = SeedDoc(
            path="p",
            format="archive",
            title="",
            url="https://a.org/x",
            html="<p>x</p>",
            stamp=STAMP,
        )
        with pytest.raises(SeedFormatError, match="no title"):
            article_from_seed(doc, via="s")

    @pytest.mark.parametrize(
        ("html", "author"),
        [
            ('<meta name="author" content="Jane Roe"><p>x</p>', "Jane Roe"),
            ('<p>By <a rel="author" href="/p/jd">John Doe</a></p>', "John Doe"),
            ('<div class="article-byline">By Ann Lee</div><p>x</p>', "Ann Lee"),
            ("<p>（本台记者王明报道）正文</p>", "王明"),
            ('<meta name="author" content="https://facebook.com/x"><p>x</p>', None),
        ],
        ids=["meta", "rel-author", "byline-class", "chinese-credit", "url-is-not-a-name"],
    )
    def test_author_evidence(self, html: str, author: str | None) -> None:
        """Named authors are found in meta, rel=author, byline classes and 记者 credits."""
        assert article_from_seed(_seed(html), via="s").author == author

    @pytest.mark.parametrize(
        ("url", "name"),
        [
            ("https://cn.nytimes.com/world/1/", "New York Times"),
            ("https://www.bbc.co.uk/news/x", "BBC"),
            ("https://www.voachinese.com/a/x.html", "VOA"),
            ("https://www.zaobao.com.sg/news/x", "联合早报"),
            ("https://news.example.co.uk/x", "example.co.uk"),
            ("https://www.example.com/x", "example.com"),
            ("https://notbbc.com/x", "notbbc.com"),
        ],
    )
    def test_outlet_name(self, url: str, name: str) -> None:
        """Known hosts (and their subdomains) map to outlet names; others to their site."""
        assert outlet_name(url) == name


class TestLanguage:
    def test_traditional_chinese(self) -> None:
        """Text written in Traditional characters is zh-Hant."""
        assert (
            detect_language("美國國務院表示，北韓領導人金正恩據報計劃本月前往俄羅斯，與總統會面。")
            == "zh-Hant"
        )

    def test_simplified_chinese(self) -> None:
        """Text written in Simplified characters is zh-Hans."""
        assert (
            detect_language("美国国务院表示，朝鲜领导人金正恩据报计划本月前往俄罗斯，与总统会面。")
            == "zh-Hans"
        )

    def test_english(self) -> None:
        """Mostly Latin text with English function words is en."""
        assert (
            detect_language(
                "North Korea's leader has arrived in Russia for talks with the president."
            )
            == "en"
        )

    def test_chinese_with_english_names_is_chinese(self) -> None:
        """Latin names inside Chinese prose do not make it English."""
        assert (
            detect_language("普京（Vladimir Putin）与金正恩（Kim Jong Un）在海参崴会面。")
            == "zh-Hans"
        )

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "12345 !!!",
            "Le président nord-coréen est arrivé en Russie mardi.",
            "北朝鮮の金正恩総書記がロシアに到着した。",
        ],
        ids=["empty", "digits", "french", "japanese"],
    )
    def test_undetermined(self, text: str) -> None:
        """No letters, other Latin languages and Japanese are "und"."""
        assert detect_language(text) == "und"


class TestFeedItem:
    ITEM = FeedItem(
        source="rfi",
        feed_url="https://www.rfi.fr/cn/rss",
        link="https://www.rfi.fr/cn/x?xtor=RSS-1",
        title="Kim &amp; Putin",
        html="<p>朝鲜领导人金正恩周二已抵达俄罗斯。</p>",
        guid="tag:rfi.fr,2023:1",
        published=datetime(2023, 9, 12, 16, 24, tzinfo=UTC),
        author="Jean Dupont",
    )

    def test_fields_come_from_the_item(self) -> None:
        """url, title, published, guid, via, origin, author and outlet follow the item."""
        article = article_from_feed_item(self.ITEM)
        assert (article.url, article.title, article.published) == (
            "https://www.rfi.fr/cn/x",
            "Kim & Putin",
            datetime(2023, 9, 12, 16, 24, tzinfo=UTC),
        )
        assert (article.guid, article.via, article.origin) == (
            "tag:rfi.fr,2023:1",
            "rfi",
            "https://www.rfi.fr/cn/rss",
        )
        assert (article.source, article.author, article.captured) == ("RFI", "Jean Dupont", None)

    def test_missing_date_taken_from_html_evidence(self) -> None:
        """An item without a date takes one from its HTML (here RFI's Paris dateline)."""
        item = FeedItem(
            source="rfi",
            feed_url="https://f/rss",
            link="https://www.rfi.fr/cn/x",
            title="t",
            html="<div>12/09/2023 - 18:24</div><p>x</p>",
        )
        assert article_from_feed_item(item).published == datetime(
            2023, 9, 12, 18, 24, tzinfo=PARIS_SUMMER
        )

    def test_no_date_raises_source_error_naming_link(self) -> None:
        """Neither a date nor evidence: SourceError naming the item link."""
        item = FeedItem(
            source="rfi",
            feed_url="https://f/rss",
            link="https://example.org/undated",
            title="t",
            html="<p>x</p>",
        )
        with pytest.raises(SourceError, match=r"https://example\.org/undated") as caught:
            article_from_feed_item(item)
        assert caught.value.source == "rfi"


# Pages made of what the evidence readers look at: elements that hold no page text, <time>,
# attributes selected by XPath, comments, relative times.
_PAGE_PIECES = st.sampled_from(
    [
        *["<p>", "</p>", "<div>", "</div>", "<span>", "</span>", "<table><tr><td>", "\n", " "],
        *["<script>", "</script>", "<style>", "</style>", "<template>", "</template>"],
        *["<ruby>", "<rt>", "</rt>", "<rp>", "</rp>", "<time datetime='2023-09-10'>", "</time>"],
        *["<a rel='author nofollow'>", "</a>", "<span rel='author'>", "<b itemprop='author'>"],
        *["<i itemprop='datePublished' content='2023-09-11'>", "<em class='Byline'>", "<u class"],
        *["<!-- c -->", "<!DOCTYPE html>", "2 hours ago", "26 分钟前", "刚刚", "Ann Lee"],
        *["x", "国"],
    ]
)
_PAGES = st.lists(_PAGE_PIECES, max_size=40).map("".join)


class TestFastPaths:
    """Shortcuts in reading a page give what the general paths give."""

    @given(_PAGES)
    def test_texts_read_without_ancestor_tests_are_the_page_texts(self, html: str) -> None:
        """Where no script, style, template, rt, rp (or <time>) is near, texts are taken as
        they come; they are the texts the ancestor-testing XPaths select."""
        from aggregator.normalize import markup

        document = markup.parse_html(html)
        texts = markup._strings(markup._PAGE_TEXTS, document)
        assert markup.page_text(document, min_chars=10**9) == " ".join(" ".join(texts).split())
        short = markup._strings(markup._SHORT_PAGE_TEXTS, document, max_chars=24)
        assert markup.short_page_texts(document, max_chars=24) == short
        for element in document.iter("*"):
            if markup._context(element) is None:
                expected = " ".join(markup._strings(markup._PAGE_TEXTS, element))
                assert markup.text_of(element) == expected

    @given(_PAGES)
    def test_attribute_axis_selects_what_an_attribute_predicate_does(self, html: str) -> None:
        """ "descendant::*/@rel/.." finds the elements of "descendant::*[@rel]", in order."""
        from lxml import etree

        from aggregator.normalize import byline, markup, published

        document = markup.parse_html(html)
        for fast, plain in (
            (byline.REL_XPATH, "descendant::*[@rel]"),
            (byline.ITEMPROP_AUTHOR_XPATH, "descendant::*[@itemprop='author']"),
            (byline.CLASS_XPATH, "descendant::*[@class]"),
            (published.DATE_PUBLISHED_XPATH, "descendant::*[@itemprop='datePublished']"),
        ):
            expected = markup.find_all(document, etree.XPath(plain))
            assert markup.find_all(document, fast) == expected

    @given(
        st.lists(
            st.sampled_from(
                [
                    *["<", ">", "/", " ", "x", "<div>", "<p>", "<table>", "<tr>", "<td>", "<li>"],
                    *["<b>", "<head>", "<body>", "<html>", "<frameset>", "<title>", "</div>"],
                    *["</p>", "<!-- c -->"],
                ]
            ),
            max_size=60,
        ).map("".join)
    )
    def test_a_tree_is_no_deeper_than_its_tags_and_two(self, html: str) -> None:
        """Each element comes from a "<" but for an implied html and body: markup with few "<"
        cannot reach libxml2's depth limit, so parse_html does not test for it."""
        from aggregator.normalize import markup

        document = markup.parse_html(html)
        depth = max(sum(1 for _ in e.iterancestors()) for e in document.iter("*"))
        assert depth <= html.count("<") + 2

    @given(
        st.text()
        | st.lists(
            st.sampled_from([*"国國们們乾隆著台臺かカabZÀɏ×ÿ 1,\U00020000", "Korea", "the"]),
            max_size=40,
        ).map("".join)
    )
    def test_language_counts_are_those_of_the_character_classes(self, text: str) -> None:
        """The class table counts what a regex per class counts."""
        import re

        from aggregator.normalize import language
        from aggregator.textfold import to_simplified

        counts = language._class_counts(text)
        han = re.findall("[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]", text)
        assert counts[language.HAN] + counts[language.TRADITIONAL_HAN] == len(han)
        traditional = [c for c in han if to_simplified(c) != c]
        assert counts[language.TRADITIONAL_HAN] == len(traditional)
        assert counts[language.KANA] == len(re.findall("[\u3040-\u30ff]", text))
        assert counts[language.LATIN] == sum(map(len, language.LATIN_WORD_RE.findall(text)))

    @pytest.mark.parametrize("html", ["<p>a\ud800b</p>", "<p>\udfff</p>x\udbff", "<p>ab</p>"])
    def test_raw_html_is_kept_but_for_lone_surrogates(self, html: str) -> None:
        """Lone surrogates are dropped from the raw HTML; any other text is kept as it is."""
        raw = article_from_seed(_seed(html), via="s").raw_html
        assert raw == "".join(c for c in html if not "\ud800" <= c <= "\udfff")
