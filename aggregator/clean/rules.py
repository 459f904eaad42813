"""What clean.py keeps and drops: tag sets, junk patterns and the sanitizer allowlist, as data.

Owns no behaviour; clean.py reads these tables. Patterns describe page furniture found across
outlets (ads, share bars, video players, self-promotion, mirror footers), never one article.
Phrases come in Simplified and Traditional Chinese and English; matching is on lower-cased text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def words(text: str) -> frozenset[str]:
    """A set of names written as one space-separated string."""
    return frozenset(text.split())


# The non-ASCII characters an IGNORECASE pattern matches to an ASCII letter, as that letter.
_ASCII_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


@dataclass(frozen=True, slots=True)
class GatedPattern:
    """An IGNORECASE pattern of many alternatives, behind a cheap first test.

    re tries every alternative at every position: tens of microseconds per URL. Each match
    holds one of `literals` (lower-case), so a text holding none, compared as the pattern
    compares (case-folded), cannot match; most texts are turned away by plain `in` tests.
    """

    pattern: re.Pattern[str]
    literals: frozenset[str]

    def search(self, text: str) -> re.Match[str] | None:
        folded = (text if text.isascii() else text.translate(_ASCII_FOLD)).lower()
        for literal in self.literals:
            if literal in folded:
                return self.pattern.search(text)
        return None


# Tags a fused name (`<imgfetchpriority=...>`) may start with: every HTML element name.
HTML_TAGS = words(
    "a abbr address area article aside audio b base bdi bdo blockquote body br button canvas "
    "caption center cite code col colgroup data datalist dd del details dfn dialog div dl dt em "
    "embed fieldset figcaption figure font footer form h1 h2 h3 h4 h5 h6 head header hgroup hr "
    "html i iframe img input ins kbd label legend li link main map mark math menu meta meter nav "
    "noscript object ol optgroup option output p param picture pre progress q rp rt ruby s samp "
    "script section select slot small source span strong style sub summary sup svg table tbody "
    "td template textarea tfoot th thead time title tr track u ul var video wbr"
)

# Dropped with everything inside: active content, embeds, forms, players, page chrome.
DROP_TAGS = words(
    "script style iframe frame frameset object embed applet param form input button select "
    "option optgroup textarea label fieldset legend datalist output svg math canvas video audio "
    "track map area template nav link meta base title head dialog portal slot menu xmp plaintext "
    "noembed noframes listing"
)

# Elements whose content sits inline in a paragraph; anything else counts as a block.
INLINE_TAGS = words(
    "a abbr b bdi bdo big br cite code data del dfn em font i img ins kbd mark q s samp small "
    "span strong sub sup time tt u var wbr"
)

# Wrappers that carry no meaning in a feed reader: loose text in them becomes <p>, and nh3
# strips the wrapper itself.
CONTAINER_TAGS = words(
    "div section article main header footer aside center hgroup details summary address"
)

# Blocks the plain text breaks lines at.
TEXT_BLOCK_TAGS = words(
    "p div li dt dd h1 h2 h3 h4 h5 h6 blockquote pre figure figcaption caption tr td th table "
    "ul ol dl section article main header footer aside address hr"
)

# Where a standalone <time> or dateline text can sit.
DATELINE_TAGS = ("div", "p", "span", "time", "small", "header")

# Tags nh3 keeps; everything else is stripped (its text kept) or, for CLEAN_CONTENT_TAGS, removed.
ALLOWED_TAGS = words(
    "p br a img figure figcaption blockquote ul ol li dl dt dd strong b em i u s del ins mark "
    "small q cite abbr h2 h3 h4 h5 h6 table thead tbody tfoot tr th td caption pre code hr sub "
    "sup"
)
CLEAN_CONTENT_TAGS = words(
    "script style iframe object embed applet svg math template noscript textarea select title "
    "xmp noembed noframes plaintext"
)
# A dict because nh3 takes nothing else; treat it as read-only. "*" is for every tag (nh3's
# default, written out: clean/render.py writes no other attribute).
ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "*": frozenset({"lang", "title"}),
    "a": frozenset({"href", "title"}),
    "img": frozenset({"src", "alt", "width", "height", "title"}),
    "td": frozenset({"colspan", "rowspan"}),
    "th": frozenset({"colspan", "rowspan", "scope"}),
    "ol": frozenset({"start"}),
}
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
IMAGE_SCHEMES = frozenset({"http", "https"})
LINK_REL = "noopener noreferrer"

# data-* attributes that mark players, share widgets, self-promotion and ad slots.
JUNK_ATTRIBUTE_RE = re.compile(
    r"^data-(?:selfpromo|(?:hidden-)?video-player(?:$|-)|root-share|share(?:$|-)"
    r"|ad(?:$|s$|-|slot|unit|vert)|google-query-id)",
    re.IGNORECASE,
)
JUNK_DATA_E2E = frozenset({"advertisement", "media-player", "share-tools", "related-content"})
AD_LABEL_RE = re.compile(r"广告|廣告|advertisement|\badvert\b|sponsored", re.IGNORECASE)
JUNK_ROLES = frozenset({"navigation", "banner", "contentinfo", "toolbar", "dialog"})
# Class/id/hidden rules never remove a block longer than this: an article wrapper can carry
# a class like "story share-enabled".
JUNK_BLOCK_MAX_CHARS = 400

# id/class tokens (split on - _ and spaces) that mark ads, share bars and promo boxes.
JUNK_TOKENS = words(
    "ad ads advert adverts advertisement advertising adsbygoogle adslot adunit adbox adblock "
    "adcontainer adwrapper dfp mpu gpt outbrain taboola share shares sharing sharebar sharetools "
    "sharethis socialshare addthis newsletter selfpromo paywall"
)
JUNK_CLASS_RE = re.compile(r"(?:video|media|audio)[-_]?player|share[-_]?(?:bar|button|modal)", re.I)
TOKEN_SPLIT_RE = re.compile(r"[\s_-]+")
HIDDEN_STYLE_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
# Custom element names (<video-player>, <share-button>) made of these words are widgets.
WIDGET_NAME_RE = re.compile(r"(?:^|-)(?:player|share|ad|ads|advert|modal|promo)(?:-|$)", re.I)

# Links that only share the page on a social network.
SHARE_LINK_RE = GatedPattern(
    re.compile(
        r"facebook\.com/(?:sharer|share|dialog/(?:share|feed))"
        r"|(?:^|[/.])(?:twitter|x)\.com/(?:intent/(?:tweet|post)|share|home\?status)"
        r"|^whatsapp:|whatsapp\.com/send|(?:^|[/.])wa\.me/\?|(?:^|[/.])t\.me/share"
        r"|telegram\.me/share|^tg:|weibo\.com/share|service\.weibo\.com|social-plugins\.line\.me"
        r"|line\.me/r/msg|lineit\.line\.me|linkedin\.com/(?:sharearticle|sharing|cws/share)|reddit\.com/submit"
        r"|pinterest\.com/pin/create|tumblr\.com/(?:widgets/)?share|getpocket\.com/(?:save|edit)"
        r"|connect\.qq\.com/widget/shareqq|qzone\.qq\.com/cgi-bin/qzshare|vk\.com/share"
        r"|threads\.net/intent|bsky\.app/intent|^mailto:\?|plus\.google\.com/share",
        re.IGNORECASE,
    ),
    literals=words(
        "facebook.com/ twitter.com/ x.com/ whatsapp wa.me/? t.me/share "
        "telegram.me/share tg: weibo.com/share service.weibo.com line.me linkedin.com/ "
        "reddit.com/submit pinterest.com/pin/create tumblr.com/ getpocket.com/ qq.com/ "
        "vk.com/share threads.net/intent bsky.app/intent mailto:? plus.google.com/share"
    ),
)
# Mirror and republisher footers: feedx "获取更多RSS" boxes, gfw-breaker links and counters.
FOOTER_URL_RE = GatedPattern(
    re.compile(r"gfw-breaker|//(?:[\w-]+\.)*feedx\.[a-z]+(?:/|$)", re.IGNORECASE),
    literals=words("gfw-breaker feedx."),
)

# Short blocks containing one of these are player fallbacks, promotion or footers.
VIDEO_FALLBACK_PHRASES = (
    "你的器材不支持播放多媒体材料",
    "你的器材不支援播放多媒體材料",
    "您的设备不支持播放",
    "您的裝置不支援播放",
    "您的浏览器不支持",
    "您的瀏覽器不支援",
    "your device cannot play media",
    "your device may not support media playback",
    "media playback is unsupported on your device",
    "media playback is not supported on this device",
    "your browser does not support the video",
    "your browser does not support html5 video",
    "this video can not be played",
)
PROMO_PHRASES = (
    "下载app",
    "下載app",
    "下载客户端",
    "下載客戶端",
    "订阅我们",
    "訂閱我們",
    "订阅电子报",
    "訂閱電子報",
    "订阅newsletter",
    "訂閱newsletter",
    "获取更多rss",
    "獲取更多rss",
    "sign up for our newsletter",
    "subscribe to our newsletter",
    "get our newsletter",
    "download our app",
    "download the app",
)
# Longer blocks are article text that merely mentions a phrase.
PROMO_BLOCK_MAX_CHARS = 80
FALLBACK_BLOCK_MAX_CHARS = 80

SHARE_LABEL_RE = re.compile(
    r"^(?:分享|分享到|分享至|分享本文|分享此文|share|share this(?: article| story| page)?"
    r"|share on)\s*[:：]?$",
    re.IGNORECASE,
)
# A nav line: only links and these separators.
NAV_SEPARATORS_RE = re.compile(r"^[\s|｜·•/\\>»›<«‹\-–—,，、:：;；()（）\[\]【】]*$")

# Byline lists: a short list before the first paragraph (reporter, role).
BYLINE_MAX_ITEMS = 4
BYLINE_ITEM_MAX_CHARS = 60
SENTENCE_END_RE = re.compile(r"[。！？.!?][”」』\"'’）)]*$")

# A dateline is a short block made only of these tokens and separators.
DATELINE_MAX_CHARS = 60
_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_WEEKDAYS = r"mon|tue|wed|thu|fri|sat|sun|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_DATE = (
    r"\d{1,4}\s*[/.\-年]\s*\d{1,2}\s*[/.\-月]\s*\d{1,4}\s*日?"
    r"|\d{1,2}\s*月\s*\d{1,2}\s*日"
    r"|\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?"
    r"|(?:\d+|[一二两兩三几幾半])\s*(?:秒|分钟|分鐘|小时|小時|个小时|個小時|天|日|周|週|星期|个月|個月|年)前"
    r"|\d+\s*(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?)\s+ago"
    r"|刚刚|剛剛|昨天|前天|yesterday|just now"
    rf"|\b(?:{_MONTHS})\.?(?=[\s\d,.]|$)"
)
_DATE_FILLER = (
    rf"\b(?:{_WEEKDAYS})\b|\b\d{{1,4}}(?:st|nd|rd|th)?\b|今天|today"
    r"|星期[一二三四五六日天]|周[一二三四五六日]|週[一二三四五六日]"
    r"|(?:最后|最後)?(?:更新|发布|發布|發佈|发表|發表)(?:时间|時間|于|於)?"
    r"|\b(?:published|updated|posted|last updated|on|at|utc|gmt|bst|cet|cest|est|edt|pst|pdt|hkt)\b"
    r"|北京时间|北京時間|台北时间|台北時間|香港时间|香港時間"
)
# A dateline has a real date or time in it; fillers (weekday, "updated") may surround it.
DATE_EVIDENCE_RE = re.compile(_DATE, re.IGNORECASE)
# Found in every text DATE_EVIDENCE_RE finds something in (a digit, 前, 刚/剛, 昨, the English
# words, a month's first letter): a cheap first test. Keep it in step with _DATE.
DATE_HINT_RE = re.compile(r"[\d前刚剛昨]|yesterday|just now|\b[adfjmnos]", re.IGNORECASE)
DATE_TOKEN_RE = re.compile(f"{_DATE}|{_DATE_FILLER}", re.IGNORECASE)
_DATELINE_REST = r"[\s\-–—|,，.:：()（）/·•]"
DATELINE_REST_RE = re.compile(f"^{_DATELINE_REST}*$")
# A character no date token can match nor DATELINE_REST_RE allows: a text holding one is no
# dateline (most sentences), found before the slow patterns run. Derived from the patterns:
# ASCII, digits and whitespace, their other characters, and the four that IGNORECASE
# matches to ASCII letters.
_DATE_CHARACTERS = "".join(
    sorted({char for char in _DATE + _DATE_FILLER + _DATELINE_REST if not char.isascii()})
)
NOT_IN_DATELINE_RE = re.compile(f"[^\\x00-\\x7f\\d\\s\u0130\u0131\u017f\u212a{_DATE_CHARACTERS}]")

# Images that are counters or beacons rather than pictures.
BEACON_URL_RE = GatedPattern(
    re.compile(
        r"doubleclick\.net|google-analytics\.com|googletagmanager|scorecardresearch|quantserve"
        r"|pixel\.wp\.com|stats\.wp\.com|feedburner|facebook\.com/tr|bat\.bing\.com"
        r"|hm\.baidu\.com|cnzz\.com|\b51\.la\b|gfw-breaker|/pixel(?:\.gif)?(?:[?/]|$)|/beacon|/tracking?/"
        r"|/counter(?:[./?]|$)"
        r"|/(?:blank|spacer|placeholder|lazy|loading|transparent)[\w-]*\.(?:gif|png|svg)",
        re.IGNORECASE,
    ),
    literals=words(
        "doubleclick.net google-analytics.com googletagmanager scorecardresearch "
        "quantserve pixel.wp.com stats.wp.com feedburner facebook.com/tr bat.bing.com "
        "hm.baidu.com cnzz.com 51.la gfw-breaker /pixel /beacon /trackin /counter "
        "/blank /spacer /placeholder /lazy /loading /transparent"
    ),
)
PIXEL_MAX_SIZE = 1

# Image attributes that hold the real source on lazy-loading pages, best first.
LAZY_SRC_ATTRIBUTES = ("data-src", "data-original", "data-lazy-src", "data-url")
LAZY_SRCSET_ATTRIBUTES = ("data-srcset", "data-lazy-srcset")

# Image credit lines put after the caption text ("图像来源，Reuters").
CREDIT_LINE_RE = re.compile(
    r"^(?:图像来源|圖像來源|图片来源|圖片來源|图片|圖片|image source|photo|picture)\s*[,，:：]",
    re.IGNORECASE,
)
CAPTION_MAX_CHARS = 300
CAPTION_BLOCKER_TAGS = ("ul", "ol", "table", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6")

SUMMARY_MAX_CHARS = 200
# Below this depth only text and images are kept: article markup stays far shallower (BBC's
# about 15 levels); only broken markup (unclosed tags) nests deeper.
MAX_DEPTH = 80
ELLIPSIS = "…"
