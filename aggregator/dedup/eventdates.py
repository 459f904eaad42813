"""Find the calendar days a news text says its events happened on.

A lead such as "金正恩周二（9月12日）抵达俄罗斯" or "Kim arrived in Russia on Tuesday" names the
day of the event; two outlets reporting one event name the same day, while follow-ups name
later days. Dedup uses this as evidence (see aggregator.dedup). Pure: the reference time is
the article's publication time, passed in.

Read: "2023年9月12日", "9月12日"/"9 月 12 号", "12日" (the 12th of the nearest month),
"周二"/"星期二"/"礼拜二" (with 上/下/本/这), "2023-09-12", "2023/9/12", "September 12",
"Sept. 12, 2023", "12 September", "Tuesday" (with last/next/this). The text must already be
folded (aggregator.textfold.fold): Simplified, casefolded, ASCII digits. Ambiguous numeric
forms such as "12/09/2023" are not read. Only days near the publication time count
(EVENT_PAST_DAYS before to EVENT_FUTURE_DAYS after): older dates in a lead are background
("the 2019 summit"), not the news.

No third-party date parser: dateutil and the like read English only and guess at ambiguous
forms, while here an unread date is harmless and a misread one is not.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Final

EVENT_PAST_DAYS: Final = 7
EVENT_FUTURE_DAYS: Final = 7
# A bare weekday ("周二", "Tuesday") means the most recent one, or tomorrow's: the day a
# report names is usually past, and "tomorrow" covers a time zone ahead of the publisher's.
BARE_WEEKDAY_FUTURE_DAYS: Final = 1

CJK_WEEKDAYS: Final = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
EN_WEEKDAYS: Final = {
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}
EN_MONTHS: Final = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH_NAME: Final = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DAY: Final = r"(?:[12]\d|3[01]|0?[1-9])"
# Every form starts with a digit, the first character of a CJK weekday form or the first letter
# of an English month, weekday, last, next or this. The lookahead rejects any other position
# at once, before the seven forms (and their lookbehinds) are tried: a seventh of the time on a
# Chinese lead, where most characters start nothing.
_FIRST_CHARS: Final = r"\d上下本这周星礼adfjlmnostw"
DATE_RE: Final = re.compile(
    f"(?=[{_FIRST_CHARS}])(?:"
    + "|".join(
        (
            rf"(?:(?P<cy>\d{{4}})\s*年\s*)?(?P<cm>1[0-2]|0?[1-9])\s*月\s*(?P<cd>{_DAY})\s*[日号]",
            # "12日說": the 12th of the month nearest the publication time
            rf"(?<![\d.,月])(?P<dd>{_DAY})\s*日(?![\d元圆])",
            # not "一周一次" (once a week) nor "每周一" (every Monday)
            r"(?<![一二两三四五六七八九十几每数\d])(?P<cw_rel>上|下|本|这)?(?:周|星期|礼拜)"
            r"(?P<cw>[一二三四五六日天])",
            rf"(?<!\d)(?P<iy>\d{{4}})[-/.](?P<im>1[0-2]|0?[1-9])[-/.](?P<id>{_DAY})(?!\d)",
            rf"(?<![a-z])(?P<em>{_MONTH_NAME})\.?\s+(?P<ed>{_DAY})(?:st|nd|rd|th)?(?![a-z\d])"
            r"(?:,?\s+(?P<ey>\d{4})(?!\d))?",
            rf"(?<![\d])(?P<ed2>{_DAY})(?:st|nd|rd|th)?\s+(?P<em2>{_MONTH_NAME})(?![a-z])\.?"
            r"(?:,?\s+(?P<ey2>\d{4})(?!\d))?",
            r"(?<![a-z])(?:(?P<ew_rel>last|next|this)\s+)?"
            r"(?P<ew>(?:mon|tues|wednes|thurs|fri|satur|sun)day)(?![a-z])",
        )
    )
    + ")"
)


def mentioned_dates(folded_text: str, *, published: datetime) -> tuple[date, ...]:
    """Return the days near `published` that `folded_text` names, in order of first mention."""
    today = published.date()
    found: list[date] = []
    for match in DATE_RE.finditer(folded_text):
        day = _resolve(match, today)
        if day is not None and _is_near(day, today) and day not in found:
            found.append(day)
    return tuple(found)


def _resolve(match: re.Match[str], today: date) -> date | None:
    groups = match.groupdict()
    if groups["cm"] is not None:
        return _calendar_day(groups["cy"], int(groups["cm"]), int(groups["cd"]), today)
    if groups["dd"] is not None:
        return _day_of_month(int(groups["dd"]), today)
    if groups["cw"] is not None:
        relation = _CJK_RELATIONS[groups["cw_rel"] or ""]
        return _weekday(CJK_WEEKDAYS[groups["cw"]], relation, today)
    if groups["iy"] is not None:
        return _calendar_day(groups["iy"], int(groups["im"]), int(groups["id"]), today)
    if groups["em"] is not None:
        return _calendar_day(groups["ey"], EN_MONTHS[groups["em"][:3]], int(groups["ed"]), today)
    if groups["em2"] is not None:
        month = EN_MONTHS[groups["em2"][:3]]
        return _calendar_day(groups["ey2"], month, int(groups["ed2"]), today)
    relation = _EN_RELATIONS[groups["ew_rel"] or ""]
    return _weekday(EN_WEEKDAYS[groups["ew"]], relation, today)


# 上周二 is Tuesday of the previous calendar week; "last Tuesday" the latest one before today.
_CJK_RELATIONS: Final = {
    "": "bare",
    "上": "prev_week",
    "下": "next_week",
    "本": "week",
    "这": "week",
}
_EN_RELATIONS: Final = {"": "bare", "last": "before", "next": "after", "this": "week"}


def _calendar_day(year: str | None, month: int, day: int, today: date) -> date | None:
    """Build the date; without a year, take the one that puts it closest to `today`."""
    years = [int(year)] if year is not None else [today.year - 1, today.year, today.year + 1]
    candidates: list[date] = []
    for y in years:
        try:
            candidates.append(date(y, month, day))
        except ValueError:
            continue
    if not candidates:
        return None
    return min(candidates, key=lambda d: abs((d - today).days))


def _day_of_month(day: int, today: date) -> date | None:
    """The `day`-th of this month, last month or next month, whichever is closest to today."""
    first = today.replace(day=1)
    months = [
        (first - timedelta(days=1)).replace(day=1),
        first,
        (first + timedelta(days=31)).replace(day=1),
    ]
    candidates: list[date] = []
    for month in months:
        try:
            candidates.append(month.replace(day=day))
        except ValueError:
            continue
    return min(candidates, key=lambda d: abs((d - today).days), default=None)


def _weekday(weekday: int, relation: str, today: date) -> date:
    """Resolve a named weekday against `today` (relation: see _CJK_RELATIONS, _EN_RELATIONS)."""
    monday = today - timedelta(days=today.weekday())
    if relation == "week":
        return monday + timedelta(days=weekday)
    if relation == "prev_week":
        return monday + timedelta(days=weekday - 7)
    if relation == "next_week":
        return monday + timedelta(days=weekday + 7)
    if relation == "before":
        latest = today - timedelta(days=1)
    elif relation == "after":
        return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
    else:
        latest = today + timedelta(days=BARE_WEEKDAY_FUTURE_DAYS)
    return latest - timedelta(days=(latest.weekday() - weekday) % 7)


def _is_near(day: date, today: date) -> bool:
    return -EVENT_PAST_DAYS <= (day - today).days <= EVENT_FUTURE_DAYS
