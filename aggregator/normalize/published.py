"""Publication time from the best evidence in a page, always timezone-aware.

Evidence, best first: a machine-readable date-time, a relative time ("26 分钟前") against the
capture time, an in-text dateline in the outlet's time zone (RFI's "12/09/2023 - 18:24",
"【大纪元2023年09月05日讯】"), a bare machine date, a date in the URL; else the capture time.
Pure: "now" is never read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from lxml import etree

from aggregator.normalize.markup import find_all, short_page_texts, text_of
from aggregator.normalize.outlets import host_of, outlet_for_host

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

# The dateline patterns open with a lookahead for the character they must start with: any other
# position fails at once, before lookbehinds and optional groups are tried (a third of the time).
SLASH_DATELINE_RE = re.compile(  # RFI: 12/09/2023 - 18:24
    r"(?=\d)(?<!\d)(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4})\s*(?:[-–—|,@]|à|at)?\s*"
    r"(?P<H>\d{1,2})[:h](?P<M>\d{2})(?!\d)"
)
YMD_DATELINE_RE = re.compile(  # 2023-09-12 18:24, 2023/09/12 18:24, 2023年9月12日 18:24
    r"(?=\d)(?<!\d)(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?\s*"
    r"(?:[T,]\s*)?(?:(?:星期|週|周)[一二三四五六日天]\s*)?(?P<H>\d{1,2})\s*[:：时時]\s*(?P<M>\d{2})(?!\d)"
)
CHINESE_DATELINE_RE = re.compile(  # 【大纪元2023年09月05日讯】, （中央社記者…2023年9月5日電）
    r"(?=\d)(?<!\d)(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"
    r"(?:[^\s，。,]{0,8}?[讯訊电電]|[^】\n]{0,10}】)"
)
LABELLED_DATE_RE = re.compile(  # 发布时间：2023-09-05, 日期：2023年9月5日
    r"(?=[发發出更刊时時日])(?:发布|發布|发表|發表|出版|更新|刊登)?(?:时间|時間|日期)\s*[:：]\s*"
    r"(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})"
)
# Through the attribute axis: see aggregator.normalize.byline.
DATE_PUBLISHED_XPATH = etree.XPath("descendant::*/@itemprop[. = 'datePublished']/..")
URL_DATE_RES = (
    re.compile(r"/(?P<y>(?:19|20)\d{2})[/-](?P<m>\d{1,2})[/-](?P<d>\d{1,2})(?=[/\-_.]|$)"),
    re.compile(r"/(?P<y>(?:19|20)\d{2})(?P<m>\d{2})(?P<d>\d{2})(?:\d{4})?(?=[/\-_.]|$)"),
    re.compile(r"/(?P<y>\d{2})/(?P<m>\d{1,2})/(?P<d>\d{1,2})/"),  # epochtimes: /gb/23/9/5/
)


def published_from_evidence(
    page: etree._Element, text: str, *, url: str, language: str, stamp: datetime | None
) -> datetime | None:
    """Return the first plausible publication time the evidence gives, else the stamp."""
    for candidate in _time_evidence(page, text, url=url, language=language, stamp=stamp):
        if EARLIEST_PUBLISHED <= candidate.date() < LATEST_PUBLISHED and (
            stamp is None or candidate <= stamp + STAMP_SLACK
        ):
            return _fixed_offset(candidate)
    return _fixed_offset(stamp) if stamp else None


def _time_evidence(
    page: etree._Element, text: str, *, url: str, language: str, stamp: datetime | None
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


def _machine_times(page: etree._Element) -> Iterator[str]:
    """Yield published-time attribute values: meta tags first, then <time> elements."""
    for meta in page.iter("meta"):
        names = {meta.get(key, "").lower() for key in ("property", "name", "itemprop")}
        if names & PUBLISHED_META and (content := meta.get("content")):
            yield content
    for tag in find_all(page, DATE_PUBLISHED_XPATH):
        if tag.tag != "meta" and (value := tag.get("datetime") or tag.get("content")):
            yield value
    for tag in page.iter("time"):
        if value := tag.get("datetime"):
            yield value


def _parse_iso(value: str) -> datetime | date | None:
    value = value.strip()
    try:
        if DATE_ONLY_RE.match(value):
            return date.fromisoformat(value)
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _relative_times(page: etree._Element, stamp: datetime) -> Iterator[datetime]:
    """Yield times written as "26 分钟前" / "2 hours ago", counted back from `stamp`."""
    for tag in page.iter("time"):
        ago = _relative_delta(text_of(tag))
        if ago is None:
            continue
        moment = stamp - ago
        stated = _parse_iso(tag.get("datetime", ""))
        stated_day = stated.date() if isinstance(stated, datetime) else stated
        # The element's own date must agree (to a day: its time zone is unknown).
        if stated_day is None or abs((moment.astimezone(UTC).date() - stated_day).days) <= 1:
            yield moment
    for string in short_page_texts(page, max_chars=RELATIVE_TEXT_MAX_CHARS):
        # A zero delta ("刚刚") is falsy: "just now" counts only in a <time> (as it always has).
        if ago := _relative_delta(string):
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
    if outlet := outlet_for_host(host_of(url)):
        return ZoneInfo(outlet.zone)
    if language == "zh-Hant":
        return ZoneInfo("Asia/Taipei")
    if language == "zh-Hans":
        return ZoneInfo("Asia/Shanghai")
    return UTC


def _day_first(url: str) -> bool:
    outlet = outlet_for_host(host_of(url))
    return outlet.day_first if outlet else True
