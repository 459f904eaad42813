"""clean.clean_html: real seed bodies come out as text, images and links; nothing can run."""

from __future__ import annotations

import functools
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup, Tag
from bs4.element import PreformattedString
from hypothesis import given, settings
from hypothesis import strategies as st

from aggregator.clean import _prepare_markup, _sanitize, clean_html, summarize
from aggregator.clean.dom import (
    SEAM,
    Element,
    descendants,
    is_gone,
    remove,
    short_text,
    short_texts,
)
from aggregator.clean.layout import _CJK, is_cjk, squeeze_whitespace
from aggregator.clean.parse import _REFUSED_RE, parse_body
from aggregator.clean.render import render
from aggregator.clean.rules import (
    BEACON_URL_RE,
    DATE_EVIDENCE_RE,
    DATE_TOKEN_RE,
    DATELINE_MAX_CHARS,
    DATELINE_REST_RE,
    FOOTER_URL_RE,
    IMAGE_SCHEMES,
    LINK_SCHEMES,
    SHARE_LINK_RE,
    GatedPattern,
)
from aggregator.clean.tree import is_dateline
from aggregator.clean.urls import (
    _descriptor_width,
    _may_be_proxied,
    _proxy_target,
    absolute_url,
    largest_candidate,
    resolved_url,
    srcset_candidates,
    unproxied_image_url,
)
from aggregator.records import CleanBody
from tests.conftest import SAMPLE_SEEDS
from tests.hostile import HOSTILE_VECTORS, assert_inert

BASE = "https://example.org/news/story.html"

# The sanitizer's allowlist, written out here so a change to it has to change this test too.
EXPECTED_TAGS = frozenset(
    {"p", "br", "a", "img", "figure", "figcaption", "blockquote", "ul", "ol", "li", "dl", "dt"}
    | {"dd", "strong", "b", "em", "i", "u", "s", "del", "ins", "mark", "small", "q", "cite"}
    | {"abbr", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tfoot", "tr", "th"}
    | {"td", "caption", "pre", "code", "hr", "sub", "sup"}
)
# Where each outlet's pictures live once proxies are unwrapped.
IMAGE_HOSTS = {
    "www.rfi.fr": "s.rfi.fr",
    "www.bbc.com": "ichef.bbci.co.uk",
    "www.epochtimes.com": "i.epochtimes.com",
}
JUNK_MARKERS = (
    "分享",
    "广告",
    "你的器材不支持播放多媒体材料",
    "feedx",
    "获取更多RSS",
    "gfw-breaker",
    "0px",
    "fetchpriority",
    "data-hidden-video-player",
    "video-player",
    "data-selfpromo",
    "facebook.com",
    "twitter.com",
    "whatsapp",
    "weserv",
    "<iframe",
    "<video",
    "<button",
    "<time",
    "<noscript",
    "<ok",
)


def split_seed(path: Path) -> tuple[str, str]:
    """(raw HTML, article URL) of a sample seed, split here rather than by the seed parser."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if lines[0].startswith("<!--"):  # feed archive: stamp, [title](url), ------, HTML
        match = re.search(r"\((https?://[^)\s]+)\)\s*$", lines[1])
        assert match is not None, path
        return "\n".join(lines[3:]), match.group(1)
    rules = [i for i, line in enumerate(lines) if line.strip() == "---"]
    nav = next(i for i in range(rules[0] + 1, len(lines)) if lines[i].strip())
    match = re.search(r"https?://\S+", lines[-1])
    assert match is not None, path
    return "\n".join(lines[nav + 1 : rules[-1]]), match.group(0)


@functools.cache
def cleaned(path: Path) -> CleanBody:
    raw_html, url = split_seed(path)
    return clean_html(raw_html, base_url=url)


def seed_url(path: Path) -> str:
    return split_seed(path)[1]


def soup_of(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def caption_of(html: str) -> str:
    """The text of the first <figcaption> in `html`, its lines joined by newlines."""
    caption = soup_of(html).find("figcaption")
    assert isinstance(caption, Tag), html
    return caption.get_text("\n")


def seed(prefix: str) -> Path:
    return next(path for path in SAMPLE_SEEDS if path.name.startswith(prefix))


def clean(html: str) -> CleanBody:
    return clean_html(html, base_url=BASE)


seeds = pytest.mark.parametrize("path", SAMPLE_SEEDS, ids=[p.name for p in SAMPLE_SEEDS])


class TestSampleSeeds:
    @seeds
    def test_keeps_the_article_text(self, path: Path) -> None:
        """Every sample body keeps more than 200 characters of article text."""
        assert len(cleaned(path).text) > 200

    @seeds
    def test_keeps_images_at_original_https_urls(self, path: Path) -> None:
        """Images survive with absolute https URLs on the outlet's own image host, no proxy."""
        images = cleaned(path).images
        expected_host = IMAGE_HOSTS[urlsplit(seed_url(path)).hostname or ""]
        assert images
        for url in images:
            parts = urlsplit(url)
            assert parts.scheme == "https"
            assert parts.hostname == expected_host
            assert "url=" not in url

    @seeds
    def test_every_image_is_in_the_html(self, path: Path) -> None:
        """`images` lists exactly the <img> sources of the body, in order."""
        body = cleaned(path)
        sources = tuple(str(img["src"]) for img in soup_of(body.html).find_all("img"))
        assert sources == body.images

    @seeds
    def test_drops_page_furniture(self, path: Path) -> None:
        """No share bar, ad, player, fallback text, footer, pixel or fused tag name is left."""
        body = cleaned(path)
        for marker in JUNK_MARKERS:
            assert marker not in body.html, marker
            assert marker not in body.text, marker

    @seeds
    def test_uses_only_allowlisted_tags(self, path: Path) -> None:
        """The body holds no tag outside the sanitizer's allowlist."""
        names = {tag.name for tag in soup_of(cleaned(path).html).find_all(True)}
        assert names <= EXPECTED_TAGS, names - EXPECTED_TAGS

    @seeds
    def test_is_inert(self, path: Path) -> None:
        """No script, handler, style or non-http(s)/mailto URL in the body."""
        assert_inert(cleaned(path).html)

    @seeds
    def test_links_are_absolute_and_noopener(self, path: Path) -> None:
        """Every link is absolute http(s) and carries rel="noopener noreferrer"."""
        for link in soup_of(cleaned(path).html).find_all("a"):
            assert str(link["href"]).startswith(("https://", "http://"))
            assert link.get("rel") == ["noopener", "noreferrer"]

    @seeds
    def test_text_lines_are_collapsed(self, path: Path) -> None:
        """The plain text has one trimmed line per block, no blank lines, no double spaces."""
        for line in cleaned(path).text.splitlines():
            assert line and line == line.strip() and "  " not in line

    @seeds
    def test_summary_is_a_leading_run_of_sentences(self, path: Path) -> None:
        """The summary is at most ~200 characters, ends a sentence, then '…'."""
        body = cleaned(path)
        assert len(body.summary) <= 201
        assert body.summary.endswith("…")
        assert body.summary[-2] in "。！？.!?”」"
        assert body.summary[:-1] in body.text.replace("\n", "")


class TestSampleSpecifics:
    def test_mirror_ok_tags_become_links(self) -> None:
        """The Epoch mirror's <ok href> tags come out as <a href> to the tag pages."""
        links = soup_of(cleaned(seed("004")).html).find_all("a")
        assert len(links) >= 5
        assert all(str(a["href"]).startswith("https://www.epochtimes.com/gb/tag/") for a in links)

    def test_mirror_pixel_and_footer_are_gone(self) -> None:
        """The gfw-breaker counter image goes; the article's photo stays with its caption."""
        body = cleaned(seed("004"))
        assert len(body.images) == 1
        assert "ALEXEY NIKOLSKY/AFP/Getty Images" in caption_of(body.html)

    @pytest.mark.parametrize("prefix", ["000", "002"])
    def test_rfi_video_figure_keeps_one_image_and_caption(self, prefix: str) -> None:
        """RFI's video block loses the player, play button and duration, keeps image + caption."""
        body = cleaned(seed(prefix))
        figures = soup_of(body.html).find_all("figure")
        assert len(figures) == 1
        assert len(figures[0].find_all("img")) == 1
        assert "©" in caption_of(str(figures[0]))
        assert len(body.images) == 1  # the lead image is the same picture, shown once

    @pytest.mark.parametrize("prefix", ["000", "002"])
    def test_rfi_dateline_is_gone(self, prefix: str) -> None:
        """The bare `12/09/2023 - 18:24` dateline above the RFI body is dropped."""
        assert not re.search(r"\d\d/09/2023", cleaned(seed(prefix)).text)

    @pytest.mark.parametrize("prefix", ["001", "003"])
    def test_bbc_byline_and_relative_time_are_gone(self, prefix: str) -> None:
        """BBC's reporter list and `26 分钟前` stamp are not body text."""
        text = cleaned(seed(prefix)).text
        assert "记者" not in text.splitlines()[0]
        assert "分钟前" not in text

    def test_bbc_related_links_are_gone(self) -> None:
        """BBC's link-only "related" list between paragraphs is dropped."""
        assert "金正恩与普京计划会面，或涉及武器谈判" not in cleaned(seed("001")).text

    def test_bbc_image_caption_joins_its_image(self) -> None:
        """BBC's caption paragraph after an image becomes that image's figcaption."""
        body = cleaned(seed("001"))
        assert "金正恩在离开朝鲜平壤前往俄罗斯之前从专列上挥手致意" in caption_of(body.html)
        assert body.summary.startswith("朝鲜领导人金正恩已启程前往俄罗斯")

    def test_bbc_video_caption_goes_with_its_player(self) -> None:
        """A removed BBC video's own caption line goes too; the article text stays."""
        text = cleaned(seed("003")).text
        assert "金正恩会晤普京时称" not in text
        assert text.startswith("在与俄罗斯总统普京")


class TestRepairs:
    def test_fused_image_tag_is_split(self) -> None:
        """`<imgfetchpriority=...>` becomes an <img>; the attribute name never leaks."""
        body = clean('<p>Text.</p><div><imgfetchpriority="low" src="/i/photo-20230912.jpg"></div>')
        assert body.images == ("https://example.org/i/photo-20230912.jpg",)
        assert "fetchpriority" not in body.html + body.text

    def test_fused_player_wrapper_is_split_then_dropped(self) -> None:
        """`<divdata-hidden-video-player=...>` is read as a player wrapper and removed."""
        body = clean('<p>Story.</p><divdata-hidden-video-player="x"><p>Player junk</p></div>')
        assert body.text == "Story."

    def test_fused_custom_element_is_known_from_its_closing_tag(self) -> None:
        """`<video-playermedia-id=...>...</video-player>` is split and dropped as a player."""
        body = clean('<p>Story.</p><video-playermedia-id="x"><div>Player junk</div></video-player>')
        assert body.text == "Story."

    def test_mirror_ok_tag_becomes_link(self) -> None:
        """An unknown tag with href (a mirror's renamed <a>) becomes an absolute link."""
        body = clean('<p>See <ok href="/tag/x">the tag</ok>.</p>')
        assert '<a href="https://example.org/tag/x" rel="noopener noreferrer">' in body.html

    def test_picture_becomes_one_img_of_the_largest_candidate(self) -> None:
        """<picture> with <source>s and srcset collapses to one <img> of the widest image."""
        body = clean(
            '<picture><source type="image/webp" srcset="/a-480.webp 480w, /a-960.webp 960w">'
            '<img src="/a-480.jpg" srcset="/a-480.jpg 480w, /a-960.jpg 960w" alt="A"></picture>'
        )
        assert body.images == ("https://example.org/a-960.jpg",)
        assert "<source" not in body.html and "<picture" not in body.html

    def test_picture_without_img_srcset_uses_its_sources(self) -> None:
        """An <img> with no srcset of its own takes the largest <source> candidate."""
        body = clean('<picture><source srcset="/b-1x.jpg 1x, /b-2x.jpg 2x"><img></picture>')
        assert body.images == ("https://example.org/b-2x.jpg",)

    def test_srcset_urls_may_contain_commas(self) -> None:
        """A srcset URL runs to whitespace, so commas inside it (RFI's m:{...}) are kept."""
        srcset = (
            'https://c.example/w:246/m:{"a":1,"b":2}/p.jpg 246w,'
            'https://c.example/w:980/m:{"a":1,"b":2}/p.jpg 980w'
        )
        assert largest_candidate(srcset) == 'https://c.example/w:980/m:{"a":1,"b":2}/p.jpg'

    def test_image_url_is_percent_encoded(self) -> None:
        """Braces and quotes in an image path come out percent-encoded."""
        body = clean("""<img src='https://c.example/m:{"a":1}/p.jpg'>""")
        assert body.images == ("https://c.example/m:%7B%22a%22:1%7D/p.jpg",)

    @pytest.mark.parametrize(
        ("proxied", "original"),
        [
            (
                "https://images.weserv.nl/?url=ichef.bbci.co.uk/news/640/a.jpg",
                "https://ichef.bbci.co.uk/news/640/a.jpg",
            ),
            ("https://wsrv.nl/?url=https://cdn.example/b.png&w=300", "https://cdn.example/b.png"),
            ("https://images.weserv.nl/?url=ssl:cdn.example/c.jpg", "https://cdn.example/c.jpg"),
            ("https://i0.wp.com/cdn.example/d.jpg?resize=640%2C480", "https://cdn.example/d.jpg"),
            (
                "https://site.example/_next/image?url=%2Fimg%2Fe.jpg&w=640&q=75",
                "https://site.example/img/e.jpg",
            ),
            (
                "https://site.example/cdn-cgi/image/width=640,format=auto/img/f.jpg",
                "https://site.example/img/f.jpg",
            ),
            (
                "https://proxy.example/200x,q80/https://cdn.example/g.jpg",
                "https://cdn.example/g.jpg",
            ),
            ("https://cdn.example/h.jpg?src=rss", "https://cdn.example/h.jpg?src=rss"),
        ],
    )
    def test_image_proxy_is_unwrapped(self, proxied: str, original: str) -> None:
        """Image-proxy URLs lead back to the original image; a plain URL stays as it is."""
        assert unproxied_image_url(proxied) == original

    def test_proxy_src_resolves_via_srcset(self) -> None:
        """A proxied src without srcset is unwrapped in the body too."""
        body = clean('<img src="https://images.weserv.nl/?url=ichef.bbci.co.uk/news/640/a.jpg">')
        assert body.images == ("https://ichef.bbci.co.uk/news/640/a.jpg",)

    @pytest.mark.parametrize("attribute", ["data-src", "data-original", "data-lazy-src"])
    def test_lazy_load_source_is_promoted(self, attribute: str) -> None:
        """A lazy-loading attribute wins over the placeholder in src."""
        body = clean(f'<img src="data:image/gif;base64,R0lGOD" {attribute}="/real.jpg">')
        assert body.images == ("https://example.org/real.jpg",)

    def test_relative_and_protocol_relative_urls_become_absolute(self) -> None:
        """Links and images resolve against the article URL."""
        body = clean(
            '<p>See <a href="../a.html">a</a> and <a href="//other.example/b">b</a>.</p>'
            '<p><img src="img/c.jpg"></p>'
        )
        hrefs = [a["href"] for a in soup_of(body.html).find_all("a")]
        assert hrefs == ["https://example.org/a.html", "https://other.example/b"]
        assert body.images == ("https://example.org/news/img/c.jpg",)

    @pytest.mark.parametrize(
        "pixel",
        [
            '<img src="/count.gif" width="1" height="1">',
            "<img src='http://gfw-breaker.win/x/n1.md' width='0px' height='0px'/>",
            '<img src="https://www.google-analytics.com/collect?v=1">',
            '<img src="https://stats.example/pixel.gif?id=3">',
        ],
    )
    def test_tracking_pixel_is_dropped(self, pixel: str) -> None:
        """0/1-pixel images and known beacons are not kept as images."""
        body = clean(f"<p>Text.</p>{pixel}")
        assert body.images == ()
        assert "<img" not in body.html

    def test_noscript_copy_of_a_shown_image_is_dropped(self) -> None:
        """A <noscript> fallback of a lazy image already shown adds no second image."""
        body = clean(
            '<img data-src="/p-20230912.jpg" src="data:image/gif;base64,R0lGOD">'
            '<noscript><img src="/p-20230912.jpg"></noscript>'
        )
        assert body.images == ("https://example.org/p-20230912.jpg",)

    def test_noscript_image_that_is_the_only_copy_is_kept(self) -> None:
        """A <noscript> image with no other copy is kept; other noscript content is not."""
        body = clean('<p>Text.</p><noscript><img src="/only.jpg"><p>Enable JS</p></noscript>')
        assert body.images == ("https://example.org/only.jpg",)
        assert "Enable JS" not in body.text

    def test_two_sizes_of_one_picture_are_shown_once(self) -> None:
        """The same picture at two sizes appears once, the copy in the <figure> kept."""
        body = clean(
            '<img src="https://cdn.example/w:1280/shot-11139381065.jpg"><p>Text.</p>'
            '<figure><img src="https://cdn.example/w:980/shot-11139381065.jpg">'
            "<figcaption>Cap</figcaption></figure>"
        )
        assert body.images == ("https://cdn.example/w:980/shot-11139381065.jpg",)


class TestJunk:
    @pytest.mark.parametrize(
        "junk",
        [
            '<section aria-label="广告 2" data-e2e="advertisement"><div id="dotcom-mpu">x</div>'
            "</section>",
            '<div aria-label="廣告">贊助內容</div>',
            '<div class="ad-slot">Advertisement</div>',
            '<div id="below_article_ad">推广</div>',
            '<div data-ad-slot="123">Sponsored</div>',
            "<div data-selfpromo-newsletter>订阅我们的新闻通讯</div>",
            "<p>下載APP，閱讀更多</p>",
            "<div><strong>你的器材不支持播放多媒体材料</strong></div>",
            "<p>你的器材不支援播放多媒體材料</p>",
            "<p>Media playback is unsupported on your device</p>",
            '<div class="video-player"><p>Loading video</p></div>',
            '<div data-e2e="media-player"><p>Loading video</p></div>',
            "<video><p>Fallback</p></video>",
            '<div>分享 :</div><div><a href="https://www.facebook.com/sharer/sharer.php?u=x">f</a>'
            '<a href="https://twitter.com/intent/tweet?url=x">t</a>'
            '<a href="whatsapp://send?text=x">w</a></div>',
            "<span data-root-share><share-button>Share</share-button></span>",
            '<div>获取更多RSS：<br><a href="https://feedx.net">https://feedx.net</a></div>',
            '<p><a href="/">首页</a> | <a href="/a">评论</a> | <a href="/b">专题</a></p>',
            "<nav><a href='/'>Home</a></nav>",
            "<div hidden>Hidden text</div>",
            '<form action="/subscribe"><label>Email</label><input></form>',
        ],
    )
    def test_page_furniture_is_dropped(self, junk: str) -> None:
        """Ads, promotion, players, share bars, footers and nav lines leave only the article."""
        body = clean(f"<p>正文第一段。</p>{junk}<p>正文第二段。</p>")
        assert body.text == "正文第一段。\n正文第二段。"

    def test_long_block_with_a_junk_looking_class_is_kept(self) -> None:
        """An article wrapper whose class merely contains "share" keeps its text."""
        paragraph = "这是正文内容，" * 80
        body = clean(f'<article class="story share-enabled"><p>{paragraph}</p></article>')
        assert body.text == paragraph

    def test_long_paragraph_mentioning_a_promo_phrase_is_kept(self) -> None:
        """Text that merely mentions "下载APP" inside a long paragraph is article text."""
        paragraph = "报道说，用户下载APP之后会被要求提供手机号码。" * 6
        assert clean(f"<p>{paragraph}</p>").text == paragraph

    def test_link_inside_a_paragraph_is_kept(self) -> None:
        """An in-text link survives while a related-links list beside it goes."""
        body = clean(
            '<p>据<a href="/report">报告</a>显示，情况有变。</p>'
            '<ul role="list"><li><a href="/x">相关报道一</a></li>'
            '<li><a href="/y">相关报道二</a></li></ul>'
        )
        assert body.text == "据报告显示，情况有变。"
        assert 'href="https://example.org/report"' in body.html

    def test_list_with_text_is_kept(self) -> None:
        """A list after the first paragraph whose items are text stays."""
        body = clean("<p>Three points:</p><ul><li>First one</li><li>Second one</li></ul>")
        assert body.text == "Three points:\nFirst one\nSecond one"

    def test_leading_byline_list_is_dropped(self) -> None:
        """A short list of names and roles before the first paragraph is a byline."""
        body = clean(
            '<div><ul role="list"><li>蔡亦伟（Derek Cai）</li><li>BBC记者，发自新加坡</li></ul>'
            "</div><p>正文。</p>"
        )
        assert body.text == "正文。"

    def test_leading_list_of_sentences_is_kept(self) -> None:
        """Key points before the first paragraph are sentences, not a byline."""
        body = clean(
            "<ul><li>Talks begin today.</li><li>No deal is expected.</li></ul><p>Body.</p>"
        )
        assert body.text == "Talks begin today.\nNo deal is expected.\nBody."

    @pytest.mark.parametrize(
        "dateline",
        [
            "<div>12/09/2023 - 18:24</div>",
            '<div><time dateTime="2023-09-12">26 分钟前</time></div>',
            "<p>Updated 3 hours ago</p>",
            "<p>2023年9月12日 星期二</p>",
            "<p>September 12, 2023 10:24 AM</p>",
        ],
    )
    def test_bare_dateline_is_dropped(self, dateline: str) -> None:
        """A block holding only a date or time is not body text."""
        assert clean(f"{dateline}<p>正文。</p>").text == "正文。"

    @pytest.mark.parametrize(
        "sentence",
        [
            "<p>会谈定于9月12日举行。</p>",
            "<p>They met on <time>12 September</time> in Vladivostok.</p>",
        ],
    )
    def test_date_inside_a_sentence_is_kept(self, sentence: str) -> None:
        """A date within running text stays."""
        assert clean(sentence).text == soup_of(sentence).get_text()

    def test_comments_scripts_and_empty_wrappers_leave_nothing(self) -> None:
        """Comments, scripts, styles and empty wrappers produce no markup at all."""
        body = clean(
            "<div><span></span><p> </p></div><!-- c --><script>var x = 1;</script>"
            "<style>p{}</style><p>Text</p><div><div></div></div>"
        )
        assert body.html == "<p>Text</p>"


class TestText:
    def test_blocks_become_lines(self) -> None:
        """Each paragraph, heading, list item and <br> starts a new line."""
        body = clean("<h2>Head</h2><p>One<br>two</p><ul><li>Item</li></ul>loose text")
        assert body.text == "Head\nOne\ntwo\nItem\nloose text"

    def test_line_breaks_between_chinese_characters_vanish(self) -> None:
        """Indentation inside Chinese text (Epoch's pretty-printed links) adds no spaces."""
        body = clean('<p>\n  朝鲜领导人\n  <ok href="/t">\n   金正恩\n  </ok>\n  计划访问\n</p>')
        assert body.text == "朝鲜领导人金正恩计划访问"

    def test_spaces_between_latin_words_stay(self) -> None:
        """Whitespace in English text collapses to single spaces."""
        body = clean("<p>Kim   Jong\n Un <a href='/x'>arrived</a>  in Russia.</p>")
        assert body.text == "Kim Jong Un arrived in Russia."

    def test_captions_are_text_but_not_summary(self) -> None:
        """A figure caption is in the plain text; the summary starts at the article."""
        body = clean(
            '<figure><img src="/a.jpg"><figcaption>Caption here.</figcaption></figure>'
            "<p>Lead sentence.</p>"
        )
        assert body.text == "Caption here.\nLead sentence."
        assert body.summary == "Lead sentence."

    def test_image_wrapper_with_short_text_becomes_a_figure(self) -> None:
        """An image and the short text in its wrapper become <figure> and <figcaption>."""
        body = clean(
            '<div><div><img src="/a.jpg"><p><span>图像来源，</span><span>Reuters</span></p></div>'
            "<div><p>金正恩挥手致意。</p></div></div><p>正文。</p>"
        )
        assert caption_of(body.html) == "金正恩挥手致意。\n图像来源，Reuters"
        assert body.images == ("https://example.org/a.jpg",)

    def test_empty_input_gives_an_empty_body(self) -> None:
        """Nothing in, nothing out."""
        assert clean("") == CleanBody(html="", text="", summary="", images=())


class TestSummary:
    def test_short_text_is_its_own_summary(self) -> None:
        """A text within the limit is returned whole, without an ellipsis."""
        assert summarize(["短文。", "第二句。"]) == "短文。第二句。"

    def test_cuts_at_a_chinese_sentence_end(self) -> None:
        """A long Chinese text is cut after the last full sentence within 200 characters."""
        sentence = "这是一个大约有三十个字的句子，用来测试摘要的截断位置。"
        summary = summarize([sentence * 12])
        assert summary == sentence * (200 // len(sentence)) + "…"

    def test_cuts_at_an_english_sentence_end(self) -> None:
        """English sentences end at '.', followed by a space."""
        sentence = "Kim Jong Un arrived in Russia by armoured train on Tuesday. "
        summary = summarize([sentence * 5])
        assert summary == (sentence * 3).rstrip() + "…"

    def test_overlong_first_sentence_is_cut_at_a_word(self) -> None:
        """A first sentence longer than the limit is cut at a space, then '…'."""
        summary = summarize(["word " * 100])
        assert summary.endswith("word…")
        assert len(summary) <= 201

    def test_paragraphs_join_without_spaces_in_chinese_and_with_in_english(self) -> None:
        """Lines join directly after Chinese text and with a space after English text."""
        assert summarize(["第一段。", "第二段。"]) == "第一段。第二段。"
        assert summarize(["First.", "Second."]) == "First. Second."


def embed_in_seed(vector: str, index: int) -> tuple[str, str]:
    """A real seed body with `vector` spliced in after one of its paragraphs."""
    raw_html, url = split_seed(SAMPLE_SEEDS[index % len(SAMPLE_SEEDS)])
    cut = raw_html.find("</p>", len(raw_html) // 3)
    cut = cut + 4 if cut >= 0 else len(raw_html)
    return raw_html[:cut] + vector + raw_html[cut:], url


vectors = pytest.mark.parametrize(
    "vector", HOSTILE_VECTORS, ids=[f"v{i:03d}" for i in range(len(HOSTILE_VECTORS))]
)


class TestHostile:
    def test_there_are_at_least_sixty_vectors(self) -> None:
        """The hostile list is broad enough to mean something."""
        assert len(set(HOSTILE_VECTORS)) >= 60

    @vectors
    def test_vector_alone_is_inert(self, vector: str) -> None:
        """A hostile fragment on its own cleans to inert HTML."""
        assert_inert(clean(vector).html)

    @vectors
    def test_vector_inside_a_real_body_is_inert(self, vector: str) -> None:
        """A hostile fragment inside a real article cleans to inert HTML, the article kept."""
        index = HOSTILE_VECTORS.index(vector)
        raw_html, url = embed_in_seed(vector, index)
        body = clean_html(raw_html, base_url=url)
        assert_inert(body.html)
        assert len(body.text) > 200

    @pytest.mark.parametrize(
        "active",
        [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            '<a href="jav&#x09;ascript:alert(1)">x</a>',
            '<p style="color:red">x</p>',
            '<img srcset="https://a.example/x.jpg 1x, javascript:alert(1) 2x">',
            "<svg><a>x</a></svg>",
            '<a href="/relative">x</a>',
        ],
    )
    def test_assert_inert_rejects_active_html(self, active: str) -> None:
        """The checker itself fails on active or unresolved content, so it can catch a leak."""
        with pytest.raises(AssertionError):
            assert_inert(active)

    @settings(max_examples=150, deadline=None)
    @given(st.lists(st.sampled_from(HOSTILE_VECTORS) | st.text(), max_size=20).map("".join))
    def test_vectors_mixed_with_random_text_are_inert(self, html: str) -> None:
        """Whatever the mix of hostile fragments and text, the body cannot run script."""
        assert_inert(clean(html).html)

    @settings(max_examples=150, deadline=None)
    @given(st.text(alphabet=st.sampled_from(list("<>/\"'=&#;: \t\nxjavscriptonerimg\x00!-[]"))))
    def test_markup_soup_is_inert(self, html: str) -> None:
        """Random strings of markup characters and script words clean to inert HTML."""
        assert_inert(clean(html).html)


# Markup where bs4's own tree building has rules of its own: whitespace-only strings, string
# classes, comments, boolean attributes, doctypes and instructions in the text, namespaces.
TRICKY_MARKUP = (
    "<p>a <b>b</b>\n\n<i> </i>\t<u>\r\n</u>c</p>",
    "<pre>  keep\n  </pre><textarea>\n\n</textarea><pre><b> </b>\n</pre>",
    "<ruby>漢<rp>(</rp><rt>kan</rt><rp>)</rp></ruby><script>a<b</script><style> </style>",
    "<template><p>x</p> y</template><rt><span>in rt</span></rt>",
    "a<!---->b<!-- -->c<!--\n-->d<!-- x -- y -->e",
    "<input disabled><option selected=selected>o</option><p hidden y=''>p</p>",
    "<p>before<!DOCTYPE html>after</p><?php echo 1; ?>tail<![CDATA[ c ]]>end",
    '<p xml:lang="en" xmlns:x="urn:x" x:a="1">ns</p><svg><use xlink:href="#a"/></svg>',
    "<p a=1 a=2 B=3>dup</p><img src=x /><br><br/></br><hr>text after",
    "<table><tr><td>1<td>2</table>loose<li>item<li>item two",
    "</p></div><body><p>second body</p></body></html><p>after html</p>",
    "<div>" * 300 + "deep" + "</div>" * 300,
    '<a title="say &quot;hi&quot; it\'s" href="/?a=1&b=2">&lt;tag&gt; &amp; &nbsp; &copy;</a>',
    "\ufeff<p>bom</p>",
    "",
    "   ",
    "<!-- only a comment -->",
)


def bs4_tree(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "lxml", multi_valued_attributes=None)


# What the rules read of a tree, in document order: ("<", name, attributes), (">",) at the
# end of an element, ("text", piece), and "|" where a comment, doctype or instruction kept
# the text on either side apart. (BeautifulSoup, which clean ran on before, is the reference.)
Piece = tuple[object, ...]
_BOOLEAN_VALUES = {"checked", "compact", "declare", "defer", "disabled", "ismap", "multiple"}
_BOOLEAN_VALUES |= {"nohref", "noresize", "noshade", "nowrap", "readonly", "selected"}


def _name(name: str) -> str:
    """A name as the event-built tree spells it (lxml refuses `:` and more in names)."""
    name = re.sub(r"[^\w.-]", "_", name)
    return name if name[:1].isalpha() or name[:1] == "_" else f"_{name}"


def _attributes(items: object) -> tuple[tuple[str, str], ...]:
    """Attributes by spelling, a boolean one's value left out (libxml2 fills it in), and
    without the characters lxml refuses (clean drops those: see parse._REFUSED_RE)."""
    pairs = dict(items)  # type: ignore[call-overload]
    return tuple(
        sorted(
            (_name(str(key)), "" if key in _BOOLEAN_VALUES else _REFUSED_RE.sub("", str(value)))
            for key, value in pairs.items()
        )
    )


def _text(text: str, preserve: bool) -> Piece | None:
    """A text piece, whitespace-only ones as bs4 kept them (one space or line break)."""
    text = _REFUSED_RE.sub("", text)
    if not text:
        return None
    if not preserve and not text.strip(" \n\t\x0c\r"):
        text = "\n" if "\n" in text else " "
    return ("text", text)


def _normalized(found: list[Piece | None]) -> list[Piece]:
    """Keep a "|" only between two text pieces (elsewhere it keeps nothing apart)."""
    pieces = [piece for piece in found if piece is not None]
    out: list[Piece] = []
    for index, piece in enumerate(pieces):
        if piece == ("|",):
            after = next((p for p in pieces[index + 1 :] if p != ("|",)), None)
            if not out or out[-1][0] != "text" or after is None or after[0] != "text":
                continue  # at an edge, or after another "|"
        out.append(piece)
    return out


def bs4_pieces(markup: str) -> list[Piece]:
    soup = bs4_tree(markup)
    pieces: list[Piece | None] = []

    def walk(tag: Tag, preserve: bool) -> None:
        for node in tag.contents:
            if isinstance(node, Tag):
                pieces.append(("<", _name(node.name), _attributes(node.attrs.items())))
                walk(node, preserve or node.name in ("pre", "textarea"))
                pieces.append((">",))
            elif isinstance(node, PreformattedString):
                pieces.append(("|",))
            else:
                pieces.append(_text(str(node), preserve))

    walk(soup.body or soup, False)
    return _normalized(pieces)


def lxml_pieces(markup: str) -> list[Piece]:
    pieces: list[Piece | None] = []

    def walk(element: Element, preserve: bool) -> None:
        if element.text:
            pieces.append(_text(element.text, preserve))
        for child in element:
            if child.tag == SEAM:
                pieces.append(("|",))
            else:
                pieces.append(("<", _name(child.tag), _attributes(child.items())))
                walk(child, preserve or child.tag in ("pre", "textarea"))
                pieces.append((">",))
            if child.tail:
                pieces.append(_text(child.tail, preserve))

    walk(parse_body(markup), False)
    return _normalized(pieces)


# render never meets these (drop_junk removes them); bs4 wrote their text unescaped.
RAW_TEXT_TAGS = ("script", "style")


def rendered(markup: str) -> str:
    """render's markup of the tree of `markup`, with no script or style."""
    root = parse_body(markup)
    for element in descendants(root, RAW_TEXT_TAGS):
        if not is_gone(element):
            remove(element)
    return render(root)[0]


def old_serializer_output(markup: str) -> str:
    """What clean sanitized when it ran on bs4, for a tree no pass has edited: the body's
    markup (comments out, whitespace squeezed outside <pre>) as bs4 wrote it."""
    body = bs4_tree(markup).body
    if body is None:
        return ""
    for raw_text in body.find_all(RAW_TEXT_TAGS):
        raw_text.decompose()
    for tag in body.find_all(True):
        tag.attrs = {key: _REFUSED_RE.sub("", value) for key, value in tag.attrs.items()}
    for string in list(body.find_all(string=True)):
        text = _REFUSED_RE.sub("", string)
        if isinstance(string, PreformattedString) or not text:
            string.extract()
            continue
        if string.find_parent("pre") is None:
            text = squeeze_whitespace(text)
        if text != string:
            string.replace_with(text)
    return body.decode_contents()


fast_path_inputs = pytest.mark.parametrize(
    "html",
    [*TRICKY_MARKUP, *HOSTILE_VECTORS, *(split_seed(path)[0] for path in SAMPLE_SEEDS)],
)
random_markup = st.lists(
    st.sampled_from(
        [
            *("<p>", "</p>", "<b>", "</b>", "<pre>", "</pre>", "<rt>", "<!--", "-->"),
            *("<br>", "<a href='x'>", "</a>", "<img src=a>", " ", "\n", "\t", "x", "中"),
            *("&", '"', "<!DOCTYPE x>", "<?p?>", "<script>", "</script>", "'", "</ſx>"),
            *("<input checked>", "<o:p>", "</html>", "<td>", "<table>", "<div>", "</div>"),
        ]
    )
    | st.text(max_size=3),
    max_size=40,
).map("".join)


class TestFastPaths:
    """clean's parser, writer and shortcuts give exactly what clean gave when it ran on bs4 and
    on the plain rules: output stays byte-identical whatever the speed-ups."""

    @fast_path_inputs
    def test_parse_builds_the_tree_beautifulsoup_builds(self, html: str) -> None:
        """parse_body's elements and text pieces are BeautifulSoup(html, "lxml")'s body."""
        markup = _prepare_markup(html)
        assert lxml_pieces(markup) == bs4_pieces(markup)

    @settings(max_examples=300, deadline=None)
    @given(random_markup)
    def test_parse_matches_beautifulsoup_on_any_markup(self, html: str) -> None:
        """Random tag soup: the same elements and text pieces."""
        markup = _prepare_markup(html)
        assert lxml_pieces(markup) == bs4_pieces(markup)

    def test_deep_nesting_is_kept_whole(self) -> None:
        """libxml2's tree builder stops at 255 levels; the parse events go on, as bs4 did."""
        markup = "<body>" + "<div>" * 300 + "deep" + "</div>" * 300 + "<p>after</p>"
        assert lxml_pieces(markup) == bs4_pieces(markup)
        assert ("text", "after") in lxml_pieces(markup)

    @fast_path_inputs
    def test_render_writes_what_beautifulsoup_wrote(self, html: str) -> None:
        """render's markup sanitizes to what bs4's markup of the same tree sanitized to."""
        markup = _prepare_markup(html)
        assert _sanitize(rendered(markup)) == _sanitize(old_serializer_output(markup))

    @settings(max_examples=300, deadline=None)
    @given(random_markup)
    def test_render_matches_beautifulsoup_on_any_markup(self, html: str) -> None:
        """Random tag soup: the same sanitized markup."""
        markup = _prepare_markup(html)
        assert _sanitize(rendered(markup)) == _sanitize(old_serializer_output(markup))

    @settings(max_examples=500, deadline=None)
    @given(st.text(alphabet=st.sampled_from(list("ab.中。Ａ \n\t\u3000\xa0\r\x1c\u2028𠀁"))))
    def test_squeeze_whitespace_matches_the_rule(self, text: str) -> None:
        """A run goes between CJK characters or, holding a line break, beside one; else ' '."""

        def replace(match: re.Match[str]) -> str:
            before = text[match.start() - 1] if match.start() else ""
            after = text[match.end()] if match.end() < len(text) else ""
            if (is_cjk(before) and is_cjk(after)) or (
                "\n" in match.group() and (is_cjk(before) or is_cjk(after))
            ):
                return ""
            return " "

        assert squeeze_whitespace(text) == re.sub(r"\s+", replace, text)


def srcset_candidates_by_hand(srcset: str) -> list[tuple[str, float]]:
    """The srcset reading spelt out character by character, as the spec walks it."""
    candidates: list[tuple[str, float]] = []
    pos, end = 0, len(srcset)
    while pos < end:
        while pos < end and (srcset[pos].isspace() or srcset[pos] == ","):
            pos += 1
        start = pos
        while pos < end and not srcset[pos].isspace():
            pos += 1
        url, descriptor = srcset[start:pos], ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            start = pos
            while pos < end and srcset[pos] != ",":
                pos += 1
            descriptor = srcset[start:pos].strip()
        if url:
            candidates.append((url, _descriptor_width(descriptor)))
    return candidates


def fragments(*words: str) -> st.SearchStrategy[str]:
    """Strings made of `words`, their pieces and case variants, and the characters that
    IGNORECASE matches to ASCII letters."""
    pieces = [*words, *(word.upper() for word in words), *(word[1:] for word in words)]
    pieces += ["\u0130", "\u0131", "\u017f", "\u212a", " ", "/", ".", ":", "?", "x", "中"]
    return st.lists(st.sampled_from(pieces), max_size=8).map("".join)


class TestShortcuts:
    """Each cheap first test or rewritten rule answers as the plain rule does."""

    @pytest.mark.parametrize("gated", [SHARE_LINK_RE, FOOTER_URL_RE, BEACON_URL_RE])
    def test_gated_patterns_match_as_their_pattern(self, gated: GatedPattern) -> None:
        @settings(max_examples=400, deadline=None)
        @given(fragments(*gated.literals, "http://", "https://", "share", "pixel.gif"))
        def check(text: str) -> None:
            assert (gated.search(text) is None) == (gated.pattern.search(text) is None)

        check()

    @settings(max_examples=1000, deadline=None)
    @given(
        fragments(
            *("2023", "12/09", "18:24", "9月16日", "6 小时前", "分钟前", "星期一", "today"),
            *("yesterday", "just now", "Sep", "updated", "UTC", "- ", "中文", "a.m."),
            "3 hours ago",
        )
    )
    def test_dateline_shortcuts_keep_the_rule(self, text: str) -> None:
        """is_dateline's first tests only turn away texts the full rule turns away."""
        by_rule = (
            bool(text)
            and len(text) <= DATELINE_MAX_CHARS
            and DATE_EVIDENCE_RE.search(text) is not None
            and DATELINE_REST_RE.match(DATE_TOKEN_RE.sub("", text)) is not None
        )
        assert is_dateline(text) == by_rule

    @settings(max_examples=1000, deadline=None)
    @given(
        st.lists(
            st.sampled_from(
                [
                    *("http://", "https://", "HTTP://", "//", "a.b", "x.org:80", "/p", "/"),
                    *("?", "#", "q=1", "&", "%2F", "..", ".", " ", "\t", "é", "[", "]", "'"),
                    *(";", "@", "x"),
                ]
            ),
            max_size=10,
        ).map("".join),
        st.sampled_from(["https://example.org/a/b.html", "http://x.y/", "", "http://[::1/"]),
    )
    def test_finished_urls_come_back_as_urllib_gives_them(self, url: str, base: str) -> None:
        for schemes in (LINK_SCHEMES, IMAGE_SCHEMES):
            assert absolute_url(url, base_url=base, schemes=schemes) == resolved_url(
                url, base_url=base, schemes=schemes
            )

    @settings(max_examples=1000, deadline=None)
    @given(
        st.lists(
            st.sampled_from(["a.jpg", "x/y", ",", ", ", " ", "\t", "\u3000", "480w", "2x", "1.5x"])
            | st.text(alphabet=",wx 1", max_size=3),
            max_size=10,
        ).map("".join)
    )
    def test_srcset_reading_matches_the_spec_walk(self, srcset: str) -> None:
        assert srcset_candidates(srcset) == srcset_candidates_by_hand(srcset)

    @settings(max_examples=1000, deadline=None)
    @given(
        fragments(
            *("https://", "i0.wp.com/", "I1.WP.COM/", "images.weserv.nl/", "?url=", "&img="),
            *("/cdn-cgi/image/w=1/", "/HTTPS:/", "ssl:", "%2F", "\t", "\n", "a.jpg", "wp.com"),
        )
    )
    def test_urls_turned_away_have_no_proxy(self, url: str) -> None:
        if not _may_be_proxied(url):
            assert _proxy_target(url) is None

    def test_is_cjk_is_the_character_class(self) -> None:
        pattern = re.compile(_CJK)
        for code in range(0x2D00, 0x32000, 7):
            char = chr(code)
            assert is_cjk(char) == (pattern.match(char) is not None), hex(code)

    @seeds
    def test_short_texts_are_short_text(self, path: Path) -> None:
        """The one-walk texts of boilerplate are short_text's, element by element."""
        root = parse_body(_prepare_markup(split_seed(path)[0]))
        texts = short_texts(root, 60)
        for element in root.iter():
            text = texts.get(element)
            assert (text.strip() if text is not None else None) == short_text(element, 60)

    @pytest.mark.parametrize(
        "html",
        [
            "<p> &#8;x&#1;&#xFFFE; y</p>",
            '<img src="https://e.org/a.jpg" alt="a&#8;b" title="&#x1F;">',
            "<!DOCTYPE x><p> &#8;x </p>y&#8;z",
            '<img src="https://images.weserv.nl/?url=https://ho%08st/a.jpg">',
        ],
    )
    def test_characters_lxml_refuses_are_dropped(self, html: str) -> None:
        """Controls written as character references go, like literal ones, and never raise."""
        body = clean(html)
        assert not _REFUSED_RE.search(body.html + body.text + "".join(body.images))

    def test_threads_each_parse_with_their_own_parser(self) -> None:
        """clean_html may run in several threads at once (the daemon's jobs)."""
        raw_html, url = split_seed(SAMPLE_SEEDS[0])
        expected = clean_html(raw_html, base_url=url)
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(lambda _: clean_html(raw_html, base_url=url), range(16)))
        assert all(result == expected for result in results)
