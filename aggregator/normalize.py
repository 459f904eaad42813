"""Turn a SeedDoc or a FeedItem into an Article.

Owns: the canonical form of article URLs, the outlet table (name and home time zone of
known news sites), and reading the evidence in a page for its publication time, author and
language. Pure: values in, values out; "now" is never read, the capture time stands in.

BeautifulSoup over lxml reads the HTML evidence: it copes with the broken markup real pages
and mirrors carry, and lxml keeps it fast. OpenCC decides Traditional vs Simplified Chinese
from how much a Traditional-to-Simplified conversion changes, which a character table cannot.
"""

from __future__ import annotations

import html
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import opencc
from bs4 import (
    BeautifulSoup,
    MarkupResemblesLocatorWarning,
    NavigableString,
    Tag,
    XMLParsedAsHTMLWarning,
)

from aggregator.errors import SeedFormatError, SourceError
from aggregator.records import Article, FeedItem, SeedDoc

# --- canonical URLs -------------------------------------------------------------------------

DEFAULT_PORTS = {"http": "80", "https": "443"}
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "msclkid", "yclid", "twclid", "ttclid", "igshid",
        "igsh", "mc_cid", "mc_eid", "mkt_tok", "ocid", "ncid", "spm", "from", "xtor", "_ga", "_gl",
        "__twitter_impression", "ref_src", "ref_url", "smid", "smtyp", "cmp", "cmpid", "s_cid",
        "oly_anon_id", "oly_enc_id", "vero_id", "wt.mc_id", "rss_source", "share_source",
    }
)  # fmt: skip
# utm_ (Google), at_ (AT Internet, used by BBC and RFI), pk_/mtm_ (Matomo), hsa_ (HubSpot).
TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_", "hsa_")
UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
SUB_DELIMS = "!$&'()*+,;="
PATH_SAFE = frozenset(SUB_DELIMS + ":@/") | UNRESERVED
QUERY_PART_SAFE = frozenset("!$'()*,;:@/?") | UNRESERVED  # not & = + (pair syntax)
PERCENT_RE = re.compile(r"%[0-9A-Fa-f]{2}")


def canonical_url(url: str) -> str:
    """Return the canonical form of `url`, the same for every spelling of one address.

    Scheme and host lower-cased, default port, fragment and tracking parameters dropped,
    percent-encoding in one form (UTF-8, upper-case hex, unreserved characters plain),
    dot segments resolved, an empty path made "/". Idempotent, and never raises: a string
    without a host, or one urllib cannot split, comes back only stripped.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = _canonical_netloc(parts.netloc, parts.scheme.lower())
    if not netloc:
        return url
    path = _remove_dot_segments(_normalize_percent(parts.path, PATH_SAFE))
    query = _canonical_query(parts.query)
    # "#!/..." fragments are single-page-app routes that name the article; keep only those.
    is_route = parts.fragment.startswith("!")
    fragment = _normalize_percent(parts.fragment, QUERY_PART_SAFE) if is_route else ""
    scheme = f"{parts.scheme.lower()}:" if parts.scheme else ""
    return (
        f"{scheme}//{netloc}{path if path.startswith('/') else '/' + path}"
        + (f"?{query}" if query else "")
        + (f"#{fragment}" if fragment else "")
    )


def _canonical_netloc(netloc: str, scheme: str) -> str:
    userinfo, at, hostport = netloc.rpartition("@")
    hostport = hostport.rstrip(".:")
    host, port = hostport, ""
    if not hostport.endswith("]"):
        head, colon, tail = hostport.rpartition(":")
        if colon and (tail.isdecimal() or not tail):
            host, port = head, tail
    host = _canonical_host(host)
    if port:
        port = str(int(port)) if port.isascii() else port
    if port == DEFAULT_PORTS.get(scheme, ""):
        port = ""
    return f"{userinfo}{at}{host}" + (f":{port}" if port else "")


def _canonical_host(host: str) -> str:
    host = host.lower().rstrip(".")
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def _canonical_query(query: str) -> str:
    kept: list[str] = []
    for pair in query.split("&"):
        if not pair:
            continue
        key, eq, value = pair.partition("=")
        key = _normalize_percent(key, QUERY_PART_SAFE | {"+"})
        if _is_tracking(key):
            continue
        value = _normalize_percent(value, QUERY_PART_SAFE | {"+", "="})
        kept.append(f"{key}{eq}{value}")
    return "&".join(kept)


def _is_tracking(key: str) -> bool:
    name = _percent_decode(key).lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def _normalize_percent(text: str, safe: frozenset[str]) -> str:
    """Percent-encode what `safe` does not allow, upper-case escapes, decode unreserved ones."""
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "%" and PERCENT_RE.match(text, index):
            decoded = chr(int(text[index + 1 : index + 3], 16))
            out.append(decoded if decoded in UNRESERVED else text[index : index + 3].upper())
            index += 3
            continue
        if char in safe:
            out.append(char)
        else:
            out.extend(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))
        index += 1
    return "".join(out)


def _percent_decode(text: str) -> str:
    return PERCENT_RE.sub(lambda m: chr(int(m.group(0)[1:], 16)), text)


def _remove_dot_segments(path: str) -> str:
    """Resolve "." and ".." segments (RFC 3986, 5.2.4)."""
    if "." not in path:
        return path
    segments = path.split("/")
    out: list[str] = []
    for segment in segments:
        if segment == ".":
            continue
        if segment == "..":
            if len(out) > 1 or (out and out[0]):
                out.pop()
            continue
        out.append(segment)
    if segments[-1] in (".", ".."):
        out.append("")
    result = "/".join(out)
    return "/" + result if path.startswith("/") and not result.startswith("/") else result


# --- outlets --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Outlet:
    """A known news site: its display name and the time zone its in-text datelines use."""

    name: str
    zone: str  # IANA name
    day_first: bool = True  # how it writes 12/09/2023; US outlets write month first


# (hosts, name, dateline time zone, day before month). Hosts match with their subdomains
# (cn.nytimes.com -> nytimes.com). A mirror counts as its original's outlet.
OUTLET_TABLE: tuple[tuple[tuple[str, ...], str, str, bool], ...] = (
    (("rfi.fr",), "RFI", "Europe/Paris", True),
    (("france24.com",), "France 24", "Europe/Paris", True),
    (("bbc.com", "bbc.co.uk"), "BBC", "Europe/London", True),
    (("theguardian.com",), "The Guardian", "Europe/London", True),
    (("reuters.com",), "Reuters", "UTC", True),
    (("dw.com",), "DW", "Europe/Berlin", True),
    (("voachinese.com", "voanews.com"), "VOA", "America/New_York", False),
    (("rfa.org",), "RFA", "America/New_York", False),
    (("nytimes.com",), "New York Times", "America/New_York", False),
    (("wsj.com",), "Wall Street Journal", "America/New_York", False),
    (("apnews.com",), "AP", "America/New_York", False),
    (("cnn.com",), "CNN", "America/New_York", False),
    (("epochtimes.com",), "大纪元", "Asia/Shanghai", True),
    (("epochtimes.com.tw",), "大纪元", "Asia/Taipei", True),
    (("theepochtimes.com",), "The Epoch Times", "America/New_York", False),
    (("ntdtv.com",), "新唐人", "Asia/Shanghai", True),
    (("ftchinese.com",), "FT中文网", "Asia/Shanghai", True),
    (("xinhuanet.com", "news.cn"), "新华社", "Asia/Shanghai", True),
    (("people.com.cn",), "人民网", "Asia/Shanghai", True),
    (("thepaper.cn",), "澎湃新闻", "Asia/Shanghai", True),
    (("caixin.com",), "财新", "Asia/Shanghai", True),
    (("zaobao.com", "zaobao.com.sg"), "联合早报", "Asia/Singapore", True),
    (("cna.com.tw",), "中央社", "Asia/Taipei", True),
    (("udn.com",), "聯合報", "Asia/Taipei", True),
    (("ltn.com.tw",), "自由時報", "Asia/Taipei", True),
    (("theinitium.com",), "端传媒", "Asia/Hong_Kong", True),
    (("scmp.com",), "SCMP", "Asia/Hong_Kong", True),
    (("rthk.hk",), "RTHK", "Asia/Hong_Kong", True),
    (("mingpao.com",), "明報", "Asia/Hong_Kong", True),
)
OUTLETS = {
    host: Outlet(name=name, zone=zone, day_first=day_first)
    for hosts, name, zone, day_first in OUTLET_TABLE
    for host in hosts
}
# Second-level public suffixes common among news hosts, for the registrable-host fallback.
TWO_LEVEL_SUFFIXES = frozenset(
    f"{second}.{top}"
    for top in ("cn", "tw", "hk", "sg", "uk", "au", "jp", "kr", "my", "nz")
    for second in ("com", "net", "org", "edu", "gov", "co", "ac", "or", "ne", "idv")
)


def outlet_name(url: str) -> str:
    """Return the outlet's name for an article URL: from OUTLETS, else its registrable host."""
    host = _host(url)
    outlet = _outlet(host)
    return outlet.name if outlet else _registrable(host)


def _host(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.rstrip(".")


def _outlet(host: str) -> Outlet | None:
    labels = host.split(".")
    for start in range(len(labels) - 1):
        if outlet := OUTLETS.get(".".join(labels[start:])):
            return outlet
    return None


def _registrable(host: str) -> str:
    labels = host.removeprefix("www.").split(".")
    keep = 3 if ".".join(labels[-2:]) in TWO_LEVEL_SUFFIXES else 2
    return ".".join(labels[-keep:])


# --- articles -------------------------------------------------------------------------------


def article_from_seed(doc: SeedDoc, *, via: str) -> Article:
    """Build the Article for a parsed seed file that came in through source `via`.

    Raises:
        SeedFormatError: the seed has no title, or no date at all (no evidence, no stamp).
    """
    url = canonical_url(doc.url)
    page = _parse_html(doc.html)
    text = _page_text(page)
    title = clean_title(doc.title) or _title_in_page(page)
    if not title:
        raise SeedFormatError(doc.path, "no title")
    language = detect_language(f"{title}\n{text}")
    published = _published_from_evidence(page, text, url=url, language=language, stamp=doc.stamp)
    if published is None:
        raise SeedFormatError(doc.path, "no date")
    outlet = outlet_name(url)
    return Article(
        url=url,
        title=title,
        published=published,
        source=outlet,
        origin=doc.path,
        via=via,
        raw_html=doc.html,
        language=language,
        author=_author_in_page(page, text, outlet=outlet),
        captured=doc.stamp,
    )


def article_from_feed_item(item: FeedItem) -> Article:
    """Build the Article for one entry of a live feed.

    Raises:
        SourceError: the entry has no title, or neither a date nor date evidence in its HTML.
    """
    url = canonical_url(item.link)
    page = _parse_html(item.html)
    text = _page_text(page)
    title = clean_title(item.title) or _title_in_page(page)
    where = f"source {item.source} ({item.feed_url}): entry {item.link}"
    if not title:
        raise SourceError(item.source, f"{where}: no title")
    language = detect_language(f"{title}\n{text}")
    published = _aware(item.published) if item.published else None
    published = published or _published_from_evidence(
        page, text, url=url, language=language, stamp=None
    )
    if published is None:
        raise SourceError(item.source, f"{where}: no date")
    outlet = outlet_name(url)
    return Article(
        url=url,
        title=title,
        published=published,
        source=outlet,
        origin=item.feed_url,
        via=item.source,
        raw_html=item.html,
        language=language,
        author=_clean_author(item.author or "") or _author_in_page(page, text, outlet=outlet),
        guid=item.guid,
    )


def clean_title(raw: str) -> str:
    """Decode HTML entities (twice-escaped ones too) and collapse whitespace."""
    return " ".join(html.unescape(html.unescape(raw)).split())


def _parse_html(markup: str) -> BeautifulSoup:
    with warnings.catch_warnings():
        # A body that is only a URL or a file name, or XHTML, is still parsed as HTML.
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        return BeautifulSoup(markup, "lxml")


def _page_text(page: BeautifulSoup) -> str:
    return " ".join(page.get_text(" ").split())


def _title_in_page(page: BeautifulSoup) -> str:
    meta = page.find("meta", attrs={"property": "og:title"})
    if isinstance(meta, Tag) and (content := meta.get("content")):
        return clean_title(str(content))
    for name in ("h1", "title"):
        if isinstance(tag := page.find(name), Tag) and (title := clean_title(tag.get_text(" "))):
            return title
    return ""


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# --- publication time -----------------------------------------------------------------------

EARLIEST_PUBLISHED = date(1990, 1, 1)
LATEST_PUBLISHED = date(2100, 1, 1)
# A saved page cannot show a time after it was saved; one day of slack covers bad clocks.
STAMP_SLACK = timedelta(days=1)
DATELINE_WINDOW_CHARS = 300  # in-text date-times this near the top are the article's dateline
CHINESE_DATELINE_WINDOW_CHARS = 1000  # 【…讯】/（…電） markers are specific; captions come first
RELATIVE_TEXT_MAX_CHARS = 24
MAX_RELATIVE = timedelta(days=366)
PUBLISHED_META = frozenset(
    {
        "article:published_time", "og:article:published_time", "datepublished", "pubdate",
        "publishdate", "publish-date", "publication_date", "dc.date.issued", "dcterms.created",
        "parsely-pub-date", "sailthru.date",
    }
)  # fmt: skip

DATE_ONLY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ZH_RELATIVE_RE = re.compile(
    r"^(?P<n>\d+|[零一二两兩三四五六七八九十]+|半)\s*(?:个|個)?\s*"
    r"(?P<unit>秒钟|秒鐘|秒|分钟|分鐘|分|小时|小時|钟头|鐘頭|天|日|星期|周|週)\s*以?前$"
)
EN_RELATIVE_RE = re.compile(
    r"^(?:about\s+|over\s+)?(?P<n>\d+|an?|one)\s*"
    r"(?P<unit>seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|wks?|[smhdw])\s+ago$",
    re.IGNORECASE,
)
JUST_NOW_RE = re.compile(r"^(?:刚刚|剛剛|just now)$", re.IGNORECASE)
UNIT_SECONDS = {
    **dict.fromkeys(("秒钟", "秒鐘", "秒", "s", "sec", "secs", "second", "seconds"), 1),
    **dict.fromkeys(("分钟", "分鐘", "分", "m", "min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("小时", "小時", "钟头", "鐘頭", "h", "hr", "hrs", "hour", "hours"), 3600),
    **dict.fromkeys(("天", "日", "d", "day", "days"), 86400),
    **dict.fromkeys(("星期", "周", "週", "w", "wk", "wks", "week", "weeks"), 604800),
}
ZH_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4}
ZH_DIGITS |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}

SLASH_DATELINE_RE = re.compile(  # RFI: 12/09/2023 - 18:24
    r"(?<!\d)(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4})\s*(?:[-–—|,@]|à|at)?\s*"
    r"(?P<H>\d{1,2})[:h](?P<M>\d{2})(?!\d)"
)
YMD_DATELINE_RE = re.compile(  # 2023-09-12 18:24, 2023/09/12 18:24, 2023年9月12日 18:24
    r"(?<!\d)(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?\s*"
    r"(?:[T,]\s*)?(?:(?:星期|週|周)[一二三四五六日天]\s*)?(?P<H>\d{1,2})\s*[:：时時]\s*(?P<M>\d{2})(?!\d)"
)
CHINESE_DATELINE_RE = re.compile(  # 【大纪元2023年09月05日讯】, （中央社記者…2023年9月5日電）
    r"(?<!\d)(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"
    r"(?:[^\s，。,]{0,8}?[讯訊电電]|[^】\n]{0,10}】)"
)
LABELLED_DATE_RE = re.compile(  # 发布时间：2023-09-05, 日期：2023年9月5日
    r"(?:发布|發布|发表|發表|出版|更新|刊登)?(?:时间|時間|日期)\s*[:：]\s*"
    r"(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})"
)
URL_DATE_RES = (
    re.compile(r"/(?P<y>(?:19|20)\d{2})[/-](?P<m>\d{1,2})[/-](?P<d>\d{1,2})(?=[/\-_.]|$)"),
    re.compile(r"/(?P<y>(?:19|20)\d{2})(?P<m>\d{2})(?P<d>\d{2})(?:\d{4})?(?=[/\-_.]|$)"),
    re.compile(r"/(?P<y>\d{2})/(?P<m>\d{1,2})/(?P<d>\d{1,2})/"),  # epochtimes: /gb/23/9/5/
)


def _published_from_evidence(
    page: BeautifulSoup, text: str, *, url: str, language: str, stamp: datetime | None
) -> datetime | None:
    """Return the first plausible publication time the evidence gives, else the stamp."""
    for candidate in _time_evidence(page, text, url=url, language=language, stamp=stamp):
        if EARLIEST_PUBLISHED <= candidate.date() < LATEST_PUBLISHED and (
            stamp is None or candidate <= stamp + STAMP_SLACK
        ):
            return _fixed_offset(candidate)
    return _fixed_offset(stamp) if stamp else None


def _time_evidence(
    page: BeautifulSoup, text: str, *, url: str, language: str, stamp: datetime | None
) -> Iterator[datetime]:
    """Yield publication-time candidates, best evidence first."""
    machine = [parsed for value in _machine_times(page) if (parsed := _parse_iso(value))]
    zone = _dateline_zone(url, language)
    # a) a machine-readable date-time with an offset
    yield from (m for m in machine if isinstance(m, datetime) and m.tzinfo is not None)
    # b) "26 分钟前" against the capture time
    if stamp is not None:
        yield from _relative_times(page, stamp)
    # c) local date-times: machine-readable without offset, then the in-text dateline
    yield from (m.replace(tzinfo=zone) for m in machine if isinstance(m, datetime) and not m.tzinfo)
    yield from _datelines(text[:DATELINE_WINDOW_CHARS], day_first=_day_first(url), zone=zone)
    # d) a Chinese dateline: that day, local midnight
    yield from _chinese_datelines(text[:CHINESE_DATELINE_WINDOW_CHARS], zone=zone)
    # e) a machine-readable date alone
    yield from (_midnight(m, UTC) for m in machine if not isinstance(m, datetime))
    # f) a date in the URL
    yield from (_midnight(d, zone) for d in _url_dates(url))


def _machine_times(page: BeautifulSoup) -> Iterator[str]:
    """Yield published-time attribute values: meta tags first, then <time> elements."""
    for meta in page.find_all("meta"):
        names = {str(meta.get(key, "")).lower() for key in ("property", "name", "itemprop")}
        if names & PUBLISHED_META and (content := meta.get("content")):
            yield str(content)
    for tag in page.find_all(attrs={"itemprop": "datePublished"}):
        if tag.name != "meta" and (value := tag.get("datetime") or tag.get("content")):
            yield str(value)
    for tag in page.find_all("time"):
        if value := tag.get("datetime"):
            yield str(value)


def _parse_iso(value: str) -> datetime | date | None:
    value = value.strip()
    try:
        if DATE_ONLY_RE.match(value):
            return date.fromisoformat(value)
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _relative_times(page: BeautifulSoup, stamp: datetime) -> Iterator[datetime]:
    """Yield times written as "26 分钟前" / "2 hours ago", counted back from `stamp`."""
    for tag in page.find_all("time"):
        ago = _relative_delta(tag.get_text(" "))
        if ago is None:
            continue
        moment = stamp - ago
        stated = _parse_iso(str(tag.get("datetime", "")))
        stated_day = stated.date() if isinstance(stated, datetime) else stated
        # The element's own date must agree (to a day: its time zone is unknown).
        if stated_day is None or abs((moment.astimezone(UTC).date() - stated_day).days) <= 1:
            yield moment
    for string in page.find_all(string=True):
        # Exact type: comments, scripts and styles are NavigableString subclasses.
        if type(string) is not NavigableString or string.find_parent("time") is not None:
            continue
        if len(string) <= RELATIVE_TEXT_MAX_CHARS and (ago := _relative_delta(string)):
            yield stamp - ago


def _relative_delta(text: str) -> timedelta | None:
    text = " ".join(text.split())
    if JUST_NOW_RE.match(text):
        return timedelta(0)
    match = ZH_RELATIVE_RE.match(text) or EN_RELATIVE_RE.match(text)
    if match is None:
        return None
    count = _count(match.group("n"))
    unit = UNIT_SECONDS.get(match.group("unit").lower())
    if count is None or unit is None or count * unit > MAX_RELATIVE.total_seconds():
        return None
    return timedelta(seconds=count * unit)


def _count(text: str) -> float | None:
    """Read 26, ２６, 一, 两, 十五, 二十 or 半 as a number."""
    if text.isdecimal():
        return float(int(text))
    if text.lower() in ("a", "an", "one"):
        return 1.0
    if text == "半":
        return 0.5
    tens, ten, ones = text.partition("十")
    if not ten:
        return float(ZH_DIGITS[text]) if text in ZH_DIGITS else None
    if (tens and tens not in ZH_DIGITS) or (ones and ones not in ZH_DIGITS):
        return None
    return float(ZH_DIGITS.get(tens, 1) * 10 + ZH_DIGITS.get(ones, 0))


def _datelines(head: str, *, day_first: bool, zone: tzinfo) -> Iterator[datetime]:
    """Yield in-text date-times (RFI's "12/09/2023 - 18:24", "2023-09-12 18:24") in `zone`."""
    found: list[tuple[int, datetime]] = []
    for match in SLASH_DATELINE_RE.finditer(head):
        a, b = int(match["a"]), int(match["b"])
        if a > 12 or (day_first and b <= 12):
            day, month = a, b
        else:
            day, month = b, a
        if moment := _local(int(match["y"]), month, day, match["H"], match["M"], zone):
            found.append((match.start(), moment))
    for match in YMD_DATELINE_RE.finditer(head):
        y, m, d = int(match["y"]), int(match["m"]), int(match["d"])
        if moment := _local(y, m, d, match["H"], match["M"], zone):
            found.append((match.start(), moment))
    yield from (moment for _, moment in sorted(found, key=lambda item: item[0]))


def _chinese_datelines(head: str, *, zone: tzinfo) -> Iterator[datetime]:
    matches = [*CHINESE_DATELINE_RE.finditer(head), *LABELLED_DATE_RE.finditer(head)]
    for match in sorted(matches, key=lambda m: m.start()):
        if day := _date(int(match["y"]), int(match["m"]), int(match["d"])):
            yield _midnight(day, zone)


def _url_dates(url: str) -> Iterator[date]:
    path = urlsplit(url).path
    for pattern in URL_DATE_RES:
        for match in pattern.finditer(path):
            year = int(match["y"])
            year += 2000 if year < 100 else 0
            if day := _date(year, int(match["m"]), int(match["d"])):
                yield day


def _local(y: int, m: int, d: int, hour: str, minute: str, zone: tzinfo) -> datetime | None:
    day = _date(y, m, d)
    if day is None or int(hour) > 23 or int(minute) > 59:
        return None
    return datetime.combine(day, time(int(hour), int(minute)), tzinfo=zone)


def _date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=zone)


def _fixed_offset(moment: datetime) -> datetime:
    """Swap a zone for its offset at `moment`: records compare and serialize the same."""
    offset = moment.utcoffset()
    return moment.astimezone(timezone(offset) if offset else UTC)


def _dateline_zone(url: str, language: str) -> tzinfo:
    """The zone of in-text datelines: the outlet's, else by script, else UTC."""
    if outlet := _outlet(_host(url)):
        return ZoneInfo(outlet.zone)
    if language == "zh-Hant":
        return ZoneInfo("Asia/Taipei")
    if language == "zh-Hans":
        return ZoneInfo("Asia/Shanghai")
    return UTC


def _day_first(url: str) -> bool:
    outlet = _outlet(_host(url))
    return outlet.day_first if outlet else True


# --- author ---------------------------------------------------------------------------------

AUTHOR_MAX_CHARS = 60
AUTHOR_META = frozenset({"author", "article:author", "byl", "dc.creator", "parsely-author"})
AUTHOR_PREFIX_RE = re.compile(
    r"^(?:by|par|von|作者|撰文|文|记者|記者|编辑|編輯|责任编辑|責任編輯)\s*[:：/|]?\s*",
    re.IGNORECASE,
)
# （大纪元记者徐简综合报导）, 记者王明报道
CHINESE_CREDIT_RE = re.compile(
    r"[记記]者\s*(?P<name>[\u4e00-\u9fff·‧]{2,5}?)\s*"
    r"(?:综合|綜合)?(?:报导|报道|報導|報道|编译|編譯|整理|采访|採訪)"
)


def _author_in_page(page: BeautifulSoup, text: str, *, outlet: str) -> str | None:
    """Return the first plausible author name the page gives, if any."""
    for candidate in _author_candidates(page, text):
        name = _clean_author(candidate)
        if name and name.lower() != outlet.lower():
            return name
    return None


def _author_candidates(page: BeautifulSoup, text: str) -> Iterator[str]:
    for meta in page.find_all("meta"):
        names = {str(meta.get(key, "")).lower() for key in ("property", "name", "itemprop")}
        if names & AUTHOR_META and (content := meta.get("content")):
            yield str(content)
    for tag in page.find_all(attrs={"rel": "author"}):
        yield tag.get_text(" ")
    for tag in page.find_all(attrs={"itemprop": "author"}):
        yield tag.get_text(" ")
    for tag in page.find_all(class_=re.compile(r"byline|author", re.IGNORECASE)):
        yield tag.get_text(" ")
    if byline := _byline_list(page):
        yield byline
    if credit := CHINESE_CREDIT_RE.search(text[:CHINESE_DATELINE_WINDOW_CHARS]):
        yield credit["name"]


def _byline_list(page: BeautifulSoup) -> str | None:
    """BBC's layout: reporter, then role, as a short <ul role="list"> before the body text."""
    listing = page.find("ul", attrs={"role": "list"})
    if not isinstance(listing, Tag) or listing.find_previous("p") is not None:
        return None
    items = listing.find_all("li")
    if not items or len(items) > 4 or items[0].find("a") is not None:
        return None
    return str(items[0].get_text(" "))


def _clean_author(raw: str) -> str | None:
    name = AUTHOR_PREFIX_RE.sub("", " ".join(raw.split())).strip(" ,;:|-–—")
    if not name or len(name) > AUTHOR_MAX_CHARS or "://" in name or name.startswith("www."):
        return None
    return name


# --- language -------------------------------------------------------------------------------

LANGUAGE_SAMPLE_CHARS = 4000
CJK_SHARE = 0.3  # a CJK character carries about as much as a three-letter word
KANA_SHARE = 0.1  # more kana than this among the CJK characters: Japanese, not Chinese
# Traditional text changes by about a third; Simplified text (a stray 係 aside) by nothing.
TRADITIONAL_SHARE = 0.1
ENGLISH_WORD_SHARE = 0.1
ENGLISH_FUNCTION_WORDS = frozenset(
    {
        "the", "a", "an", "and", "or", "of", "to", "in", "on", "at", "for", "with", "from", "by",
        "as", "is", "are", "was", "were", "be", "been", "has", "have", "had", "it", "its", "this",
        "that", "which", "who", "he", "she", "they", "his", "her", "their", "not", "but", "will",
        "would", "said", "says",
    }
)  # fmt: skip
LATIN_WORD_RE = re.compile(r"[A-Za-z\u00c0-\u024f]+")


def detect_language(text: str) -> str:
    """Return "zh-Hans", "zh-Hant", "en" or "und" for a text."""
    sample = text[:LANGUAGE_SAMPLE_CHARS]
    cjk = sum(1 for char in sample if _is_han(char))
    kana = sum(1 for char in sample if "\u3040" <= char <= "\u30ff")
    words = LATIN_WORD_RE.findall(sample)
    latin = sum(len(word) for word in words)
    if cjk + latin == 0:
        return "und"
    if cjk >= CJK_SHARE * (cjk + latin):
        if kana > KANA_SHARE * cjk:
            return "und"
        return "zh-Hant" if _is_traditional(sample, cjk) else "zh-Hans"
    english = sum(1 for word in words if word.lower() in ENGLISH_FUNCTION_WORDS)
    return "en" if english >= ENGLISH_WORD_SHARE * len(words) else "und"


def _is_han(char: str) -> bool:
    return (
        "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf" or "\uf900" <= char <= "\ufaff"
    )


def _is_traditional(sample: str, han_count: int) -> bool:
    # Convert each distinct character alone (one per line), so that phrase rules cannot shift
    # the alignment between input and output.
    distinct = sorted({char for char in sample if _is_han(char)})
    simplified = _t2s().convert("\n".join(distinct)).split("\n")
    if len(simplified) != len(distinct):
        return False
    changes = {old for old, new in zip(distinct, simplified, strict=True) if old != new}
    changed = sum(1 for char in sample if char in changes)
    return changed >= TRADITIONAL_SHARE * han_count


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")
