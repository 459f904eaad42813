"""sources.seedformat: seed text -> SeedDoc, both formats, variants and malformed input."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aggregator.errors import SeedFormatError
from aggregator.records import SeedDoc
from aggregator.sources.seedformat import parse_seed
from tests.conftest import DATA_DIR, SAMPLE_SEEDS

DATA_SEEDS = sorted(p for p in (DATA_DIR / "seeds").iterdir() if p.suffix != ".json")

SAMPLE_EXPECTED = {
    "000_6d3d2d41e27d0a0f.txt": {
        "format": "archive",
        "title": "【视频】金正恩抵达俄罗斯：“金普会”会达成朝俄武器交易？",
        "url": "https://www.rfi.fr/cn/%E5%9B%BD%E9%99%85/20230912-%E8%A7%86%E9%A2%91-%E9%87%91"
        "%E6%AD%A3%E6%81%A9%E6%8A%B5%E8%BE%BE%E4%BF%84%E7%BD%97%E6%96%AF-%E6%99%AE%E9%87%91"
        "%E4%BC%9A-%E4%BC%9A%E8%BE%BE%E6%88%90%E6%AD%A6%E5%99%A8%E4%BA%A4%E6%98%93",
        "stamp": "2023-09-12T16:45:01+00:00",
    },
    "001_3132a4f57b4db234.txt": {
        "format": "archive",
        "title": "金正恩访俄：朝鲜领导人进入俄罗斯国境，将与普京会面",
        "url": "https://www.bbc.com/zhongwen/simp/world-66783048",
        "stamp": "2023-09-12T04:43:02+00:00",
    },
    "002_fb23d43dac91eb84.txt": {
        "format": "archive",
        "title": "【视频】金正恩访俄：克里姆林宫称 &quot;未签署任何协议”",
        "url": "https://www.rfi.fr/cn/%E5%9B%BD%E9%99%85/20230915-%E8%A7%86%E9%A2%91-%E9%87%91"
        "%E6%AD%A3%E6%81%A9%E8%AE%BF%E4%BF%84-%E5%85%8B%E9%87%8C%E5%A7%86%E6%9E%97%E5%AE%AB"
        "%E7%A7%B0-%E6%9C%AA%E7%AD%BE%E7%BD%B2%E4%BB%BB%E4%BD%95%E5%8D%8F%E8%AE%AE",
        "stamp": "2023-09-15T15:45:01+00:00",
    },
    "003_b53b4a0bd97847b9.txt": {
        "format": "archive",
        "title": "普京与金正恩会晤：有可能和朝鲜进行军事合作",
        "url": "https://www.bbc.com/zhongwen/simp/world-66806764",
        "stamp": "2023-09-14T09:13:01+00:00",
    },
    "004_b189d1e2a2c7df83.txt": {
        "format": "mirror",
        "title": "传金正恩将访俄 与普京商讨军事合作",
        "url": "https://www.epochtimes.com/gb/23/9/5/n14067525.htm",
        "stamp": None,
    },
}

ARCHIVE = (
    "<!--1694537101000-->\n"
    "[Kim arrives](https://www.rfi.fr/cn/20230912-kim)\n"
    "------\n"
    "<div><p>Article text.</p></div>\n"
)
MIRROR = (
    "### 传金正恩将访俄\n\n---\n\n#### [首页](../..) | [禁闻](../../news)\n\n"
    "<div><p>正文。</p></div>\n\n---\n\n原文链接（需翻墙）：https://www.epochtimes.com/gb/23/9/5/n1.htm\n"
)


def _fields(doc: SeedDoc) -> dict[str, object]:
    return {
        "format": doc.format,
        "title": doc.title,
        "url": doc.url,
        "stamp": doc.stamp.isoformat() if doc.stamp else None,
    }


def _reason(text: str, path: str = "seeds/x.txt") -> str:
    with pytest.raises(SeedFormatError) as caught:
        parse_seed(text, path=path)
    assert caught.value.path == path
    assert str(caught.value).startswith(f"{path}: ")
    return caught.value.reason


class TestSampleSeeds:
    @pytest.mark.parametrize("path", SAMPLE_SEEDS, ids=lambda p: p.name)
    def test_sample_seed_parses_to_expected_parts(self, path: Path) -> None:
        """Each bundled seed yields its known format, title, URL and stamp."""
        doc = parse_seed(path.read_text(encoding="utf-8"), path=str(path))
        assert _fields(doc) == SAMPLE_EXPECTED[path.name]

    @pytest.mark.parametrize("path", SAMPLE_SEEDS, ids=lambda p: p.name)
    def test_sample_seed_html_is_the_article_part_only(self, path: Path) -> None:
        """The HTML starts at the article markup: no header, rule or navigation line."""
        doc = parse_seed(path.read_text(encoding="utf-8"), path=str(path))
        assert doc.html.startswith("<")
        assert "------" not in doc.html[:10]
        assert "[首页]" not in doc.html
        assert "原文链接" not in doc.html

    def test_mirror_html_ends_before_closing_rule(self) -> None:
        """A mirror's HTML ends with the last markup line, not the --- rule or footer."""
        epoch = next(p for p in SAMPLE_SEEDS if p.name.startswith("004_"))
        doc = parse_seed(epoch.read_text(encoding="utf-8"), path=str(epoch))
        assert doc.html.endswith("height='0px'/>")

    def test_path_is_kept_as_given(self) -> None:
        """The SeedDoc names the path it was parsed for."""
        assert parse_seed(ARCHIVE, path="a/b/c.md").path == "a/b/c.md"


class TestDataSeeds:
    @pytest.mark.parametrize("path", DATA_SEEDS, ids=lambda p: p.name)
    def test_data_seed_matches_its_expected_file(self, path: Path) -> None:
        """Hand-written variants (BOM, .md, seconds, blank lines ...) parse as recorded."""
        expected = json.loads(path.with_name(f"{path.stem}.expected.json").read_text("utf-8"))
        doc = parse_seed(path.read_text(encoding="utf-8"), path=str(path))
        assert _fields(doc) == expected["seed"]


class TestArchiveVariants:
    def test_crlf_bom_and_indent_give_same_doc(self) -> None:
        """CRLF line ends, a BOM and leading whitespace do not change the result."""
        variant = "\ufeff  " + ARCHIVE.replace("\n", "\r\n  ")
        assert parse_seed(variant, path="x") == parse_seed(ARCHIVE, path="x")

    def test_lone_cr_line_ends_are_lines(self) -> None:
        """Old-Mac CR line ends split lines too."""
        assert parse_seed(ARCHIVE.replace("\n", "\r"), path="x") == parse_seed(ARCHIVE, path="x")

    def test_blank_lines_between_header_lines_are_skipped(self) -> None:
        """Blank lines around line 1, 2 and 3 and trailing blank lines are tolerated."""
        spaced = "\n\n" + ARCHIVE.replace("\n", "\n\n") + "\n\n\n"
        assert parse_seed(spaced, path="x") == parse_seed(ARCHIVE, path="x")

    @pytest.mark.parametrize(
        "line1",
        ["<!--1694537101-->", "<!--1694537101000-->", "<!--1694537101000000-->"],
        ids=["seconds", "milliseconds", "microseconds"],
    )
    def test_stamp_unit_is_detected_by_magnitude(self, line1: str) -> None:
        """Line 1 in seconds, milliseconds or microseconds gives the same instant."""
        doc = parse_seed(ARCHIVE.replace("<!--1694537101000-->", line1), path="x")
        assert doc.stamp == datetime(2023, 9, 12, 16, 45, 1, tzinfo=UTC)

    def test_iso_stamp_is_accepted(self) -> None:
        """Line 1 may hold an ISO date-time; a naive one is read as UTC."""
        doc = parse_seed(ARCHIVE.replace("1694537101000", "2023-09-12T16:45:01"), path="x")
        assert doc.stamp == datetime(2023, 9, 12, 16, 45, 1, tzinfo=UTC)

    def test_stamp_is_timezone_aware(self) -> None:
        """The stamp is an aware UTC datetime."""
        stamp = parse_seed(ARCHIVE, path="x").stamp
        assert stamp is not None and stamp.utcoffset() is not None

    def test_title_may_contain_brackets(self) -> None:
        """A title holding [ ] and ]( keeps them; the URL is what follows the last ](."""
        text = ARCHIVE.replace("[Kim arrives]", "[Kim [video]](arrives) now]")
        doc = parse_seed(text, path="x")
        assert doc.title == "Kim [video]](arrives) now"
        assert doc.url == "https://www.rfi.fr/cn/20230912-kim"

    def test_markdown_escapes_in_title_are_removed(self) -> None:
        """A title written with markdown escapes (\\[, \\]) comes back plain."""
        doc = parse_seed(ARCHIVE.replace("[Kim arrives]", r"[Kim \[video\] arrives]"), path="x")
        assert doc.title == "Kim [video] arrives"

    def test_title_entities_are_left_raw(self) -> None:
        """parse_seed keeps HTML entities in the title; normalize decodes them."""
        doc = parse_seed(ARCHIVE.replace("Kim arrives", "Kim &quot;arrives&quot;"), path="x")
        assert doc.title == "Kim &quot;arrives&quot;"

    def test_archive_without_stamp_line_has_no_stamp(self) -> None:
        """An archive whose line 1 was left out still parses, with no stamp."""
        doc = parse_seed(ARCHIVE.split("\n", 1)[1], path="x")
        assert doc.format == "archive" and doc.stamp is None

    def test_missing_rule_before_html_is_tolerated(self) -> None:
        """HTML directly after the link line is taken as the article."""
        doc = parse_seed(ARCHIVE.replace("------\n", ""), path="x")
        assert doc.html == "<div><p>Article text.</p></div>"

    def test_one_line_html_is_kept_whole(self) -> None:
        """HTML joined onto one line, wrapped in a div, is the whole article part."""
        assert parse_seed(ARCHIVE, path="x").html == "<div><p>Article text.</p></div>"

    def test_url_in_angle_brackets_is_unwrapped(self) -> None:
        """A CommonMark [t](<url>) link gives the bare URL."""
        doc = parse_seed(
            ARCHIVE.replace("(https://www.rfi.fr/cn/20230912-kim)", "(<https://a.org/x>)"), path="x"
        )
        assert doc.url == "https://a.org/x"


class TestMirrorVariants:
    @pytest.mark.parametrize(
        "footer",
        [
            "原文链接（需翻墙）：https://www.epochtimes.com/gb/23/9/5/n1.htm",
            "原文链接(需翻墙):https://www.epochtimes.com/gb/23/9/5/n1.htm",
            "原文链接：https://www.epochtimes.com/gb/23/9/5/n1.htm",
            "原文链接: https://www.epochtimes.com/gb/23/9/5/n1.htm",
            "原文連結（需翻牆）：https://www.epochtimes.com/gb/23/9/5/n1.htm",
            "原文链接：[https://www.epochtimes.com/gb/23/9/5/n1.htm](https://www.epochtimes.com/gb/23/9/5/n1.htm)",
            "原文链接（需翻墙）：\n\nhttps://www.epochtimes.com/gb/23/9/5/n1.htm",
        ],
        ids=[
            "full-width",
            "half-width",
            "no-gfw-note",
            "space",
            "traditional",
            "md-link",
            "next-line",
        ],
    )
    def test_footer_variants_give_original_url(self, footer: str) -> None:
        """Every footer spelling yields the original article URL."""
        text = MIRROR.replace(
            "原文链接（需翻墙）：https://www.epochtimes.com/gb/23/9/5/n1.htm", footer
        )
        doc = parse_seed(text, path="x")
        assert doc.url == "https://www.epochtimes.com/gb/23/9/5/n1.htm"
        assert doc.html == "<div><p>正文。</p></div>"

    def test_navigation_line_is_dropped(self) -> None:
        """The one markdown navigation line is not part of the article HTML."""
        assert "首页" not in parse_seed(MIRROR, path="x").html

    def test_mirror_without_navigation_line_keeps_its_html(self) -> None:
        """When HTML follows the rule directly, nothing of it is dropped."""
        text = MIRROR.replace("#### [首页](../..) | [禁闻](../../news)\n\n", "")
        assert parse_seed(text, path="x").html == "<div><p>正文。</p></div>"

    def test_heading_closing_hashes_are_not_title(self) -> None:
        """An ATX heading's closing #s are dropped from the title."""
        assert parse_seed(
            MIRROR.replace("### 传金正恩将访俄", "## 传金正恩将访俄 ##"), path="x"
        ).title == ("传金正恩将访俄")

    def test_mirror_has_no_stamp(self) -> None:
        """A mirror page carries no capture time."""
        doc = parse_seed(MIRROR, path="x")
        assert doc.format == "mirror" and doc.stamp is None


class TestMalformed:
    @pytest.mark.parametrize("text", ["", "   \n\n\t\n", "\ufeff"], ids=["empty", "blank", "bom"])
    def test_empty_file(self, text: str) -> None:
        """A file with nothing in it is reported as empty."""
        assert _reason(text) == "empty file"

    def test_random_text(self) -> None:
        """Prose in neither format is reported as such."""
        assert (
            _reason("Dear diary,\ntoday nothing happened.\n")
            == "neither feed-archive nor mirror format"
        )

    def test_html_comment_that_is_not_a_stamp(self) -> None:
        """A saved web page starting with an HTML comment is in neither format."""
        assert (
            _reason("<!-- saved from url -->\n<html></html>")
            == "neither feed-archive nor mirror format"
        )

    def test_archive_missing_line_2(self) -> None:
        """An archive whose link line is missing names line 2."""
        text = "<!--1694537101000-->\n------\n<p>text</p>\n"
        assert _reason(text) == "feed archive: line 2 is not a [title](url) link"

    def test_archive_cut_inside_line_2(self) -> None:
        """A file that ends in the middle of the link line is reported as truncated."""
        assert _reason(ARCHIVE[: ARCHIVE.index("(https") + 12]) == (
            "truncated: feed archive ends inside line 2"
        )

    def test_archive_cut_after_line_1(self) -> None:
        """A file holding only line 1 is reported as truncated."""
        assert _reason("<!--1694537101000-->\n") == "truncated: feed archive ends after line 1"

    def test_archive_cut_after_link(self) -> None:
        """A file that ends after the link line is reported as truncated."""
        assert _reason(ARCHIVE.split("------")[0]).startswith("truncated:")

    def test_archive_without_html(self) -> None:
        """Header lines with nothing after the rule: no article HTML."""
        assert _reason(ARCHIVE.split("<div>")[0] + "\n\n") == "no article HTML"

    def test_archive_line_3_not_a_rule(self) -> None:
        """Text after the link that is neither a rule nor HTML is reported."""
        assert _reason(ARCHIVE.replace("------", "some words")) == (
            "feed archive: line 3 is not a ------ rule"
        )

    @pytest.mark.parametrize("url", ["ftp://a.org/x", "javascript:alert(1)", "/relative/path"])
    def test_archive_url_must_be_http(self, url: str) -> None:
        """A link that is not an absolute http(s) URL is refused."""
        text = ARCHIVE.replace("https://www.rfi.fr/cn/20230912-kim", url)
        assert _reason(text).startswith("URL is not http(s)")

    @pytest.mark.parametrize("line1", ["<!--12-->", "<!--99999999999999999999-->"])
    def test_archive_stamp_out_of_range(self, line1: str) -> None:
        """A line-1 time before 1990 or after 2100 is refused."""
        text = ARCHIVE.replace("<!--1694537101000-->", line1)
        assert "out of range" in _reason(text)

    def test_mirror_missing_footer(self) -> None:
        """A mirror page without its 原文链接 footer is reported as truncated."""
        text = MIRROR.split("原文链接")[0]
        assert _reason(text) == "truncated: mirror page does not end with a 原文链接 footer line"

    def test_markdown_notes_are_no_mirror(self) -> None:
        """A markdown file that merely starts with a heading is in neither format."""
        assert _reason("# Notes\n\nSome thoughts.\n") == "neither feed-archive nor mirror format"

    def test_mirror_footer_url_must_be_http(self) -> None:
        """A footer naming a non-http URL is refused."""
        text = MIRROR.replace("https://www.epochtimes.com/gb/23/9/5/n1.htm", "file:///etc/passwd")
        assert _reason(text).startswith("URL is not http(s)")

    def test_mirror_without_html(self) -> None:
        """A mirror page with only its navigation line has no article HTML."""
        text = MIRROR.replace("<div><p>正文。</p></div>\n\n", "")
        assert _reason(text) == "no article HTML"

    def test_heading_without_words_is_no_mirror(self) -> None:
        """A bare "###" line starts no mirror page."""
        assert _reason(MIRROR.replace("### 传金正恩将访俄", "###")) == (
            "neither feed-archive nor mirror format"
        )


class TestLineStripping:
    def test_header_and_footer_lines_are_read_stripped_and_the_html_as_written(self) -> None:
        """Whitespace and BOMs around the format's lines do not count; the HTML's own do."""
        text = (
            " \ufeff### Title \n\n ---  \nnav\n  <p>\n    x\n  </p>  \n\t---\n\n"
            " \u3000原文链接：https://x.org/a \n\n"
        )
        doc = parse_seed(text, path="m.txt")
        assert (doc.title, doc.url, doc.format) == ("Title", "https://x.org/a", "mirror")
        assert doc.html == "<p>\n    x\n  </p>"
