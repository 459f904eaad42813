"""Canonical article URLs: one spelling per article, so the same article is recognised.

Scheme and host lower-cased, default ports, fragments and tracking parameters dropped,
percent-encoding normalized. Pure.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import urlsplit

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
    return _to_normalize(safe).sub(_normalized, text)


@functools.cache
def _to_normalize(safe: frozenset[str]) -> re.Pattern[str]:
    """What _normalize_percent changes: a "%" with or without an escape after it, and each
    character `safe` does not allow ("%" never is).

    The upper-case escape of a byte from 0x80 up is left out: it stands for part of a UTF-8
    character, never an unreserved one, so it is kept as written. Most escapes in URLs are
    these; a URL without any other has no match, and the regex scans it in C.
    """
    allowed = "".join(map(re.escape, sorted(safe)))
    return re.compile(f"%(?![89A-F][0-9A-F])(?:[0-9A-Fa-f]{{2}})?|[^{allowed}%]")


def _normalized(match: re.Match[str]) -> str:
    token = match[0]
    if token == "%":
        return "%25"  # no escape follows
    if token[0] == "%":
        decoded = chr(int(token[1:], 16))
        return decoded if decoded in UNRESERVED else token.upper()
    return "".join(f"%{byte:02X}" for byte in token.encode("utf-8", "surrogatepass"))


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
