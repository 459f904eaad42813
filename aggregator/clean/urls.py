"""URL repairs for clean.py: absolute URLs, image-proxy unwrapping, srcset choice.

Pure string functions on top of urllib.parse (the standard library's parser is enough here: we
only join, split and re-quote; nh3 re-checks every URL scheme when it sanitizes).
A URL that cannot be made safe comes back as None, and the caller drops the link or image.
"""

from __future__ import annotations

import re
from collections.abc import Set
from urllib.parse import parse_qs, quote, urljoin, urlsplit, urlunsplit

# Characters kept as they are when re-quoting a path, query or fragment.
_PATH_SAFE = "/:@!$&'()*+,;=%~"
_QUERY_SAFE = "/:@!$&'()*+,;=%~?[]"
# Also C0 controls, surrogates and U+FFFE/F, which lxml cannot store: no host has them (a
# proxy's parameter can, once decoded).
_NETLOC_FORBIDDEN_RE = re.compile(r"[\s\"'<>\\^`{|}\x00-\x1f\ud800-\udfff\ufffe\uffff]")
# Browsers drop these anywhere in a URL, and leading/trailing C0 controls and spaces.
_URL_NOISE_RE = re.compile(r"[\t\n\r]")
_URL_EDGE_CHARS = "".join(chr(c) for c in range(0x21)) + "\x7f"
# An http(s) URL that needs nothing done (absolute, nothing to quote, no empty "?" or "#" that
# urlunsplit would drop): absolute_url gives it back as it is, without the urllib round trip.
# Most URLs of a body are such.
_FINISHED_URL_RE = re.compile(
    r"https?://[A-Za-z0-9.-]+(?::[0-9]+)?(?:/[\w.~/:@!$&'()*+,=%-]*)?"
    r"(?:\?[\w.~/:@!$&'()*+,;=%?\[\]-]+)?(?:#[\w.~/:@!$&'()*+,;=%?\[\]-]+)?",
    re.ASCII,
)

# Image proxies that take the original as a query parameter (weserv, Next.js, thumbnailers).
_PROXY_PARAMS = ("url", "src", "image", "img")
_HOSTISH_RE = re.compile(r"^(?:ssl:)?[a-z0-9-]+(?:\.[a-z0-9-]+)+(?::\d+)?/", re.IGNORECASE)
# WordPress Photon: https://i0.wp.com/host/path?resize=...
_PHOTON_HOST_RE = re.compile(r"^i[0-9]\.wp\.com$", re.IGNORECASE)
# An original URL embedded in the path: https://proxy/200x,q80/https://host/a.jpg
_EMBEDDED_URL_RE = re.compile(r"/(https?):/+(.+)$", re.IGNORECASE)
# Cloudflare image resizing: /cdn-cgi/image/width=640,format=auto/path/on/same/host.jpg
_CLOUDFLARE_RE = re.compile(r"^/cdn-cgi/image/[^/]+/(.+)$", re.IGNORECASE)
_MAX_PROXY_DEPTH = 4

# A srcset candidate: separators, the URL (to the next whitespace), its descriptor (to the next
# comma; none when the URL ends with one: then the lookbehind matches, as the spec reads it).
_CANDIDATE_RE = re.compile(r"[\s,]*(\S+)(?:(?<=,)|([^,]*))")
_SIZE_DESCRIPTOR_RE = re.compile(r"^(\d+(?:\.\d+)?)([wx])$", re.IGNORECASE)
_WORDPRESS_SIZE_RE = re.compile(r"-\d+x\d+$")  # photo-600x400.jpg


def absolute_url(url: str, *, base_url: str, schemes: Set[str]) -> str | None:
    """Resolve `url` against `base_url`; None unless the result uses one of `schemes`."""
    if _is_finished(url, base_url) and url[: url.index(":")] in schemes:
        return url
    return resolved_url(url, base_url=base_url, schemes=schemes)


def resolved_url(url: str, *, base_url: str, schemes: Set[str]) -> str | None:
    """absolute_url the long way, through urllib, whatever `url` looks like."""
    cleaned = _URL_NOISE_RE.sub("", url).strip(_URL_EDGE_CHARS)
    if not cleaned:
        return None
    try:
        parts = urlsplit(urljoin(base_url, cleaned))
    except ValueError:  # e.g. an unclosed IPv6 literal
        return None
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        return None
    if scheme != "mailto" and not parts.hostname:
        return None
    if _NETLOC_FORBIDDEN_RE.search(parts.netloc):
        return None
    return urlunsplit(
        (
            scheme,
            parts.netloc,
            quote(parts.path, safe=_PATH_SAFE),
            quote(parts.query, safe=_QUERY_SAFE),
            quote(parts.fragment, safe=_QUERY_SAFE),
        )
    )


def _is_finished(url: str, base_url: str) -> bool:
    """Whether `url` comes out of absolute_url unchanged (with a base urllib can parse)."""
    return (
        url[:4] == "http"
        and _FINISHED_URL_RE.fullmatch(url) is not None
        and base_url.isascii()
        and "[" not in base_url
        and "]" not in base_url
    )


def unproxied_image_url(url: str) -> str:
    """Follow image-proxy URLs (weserv, wsrv, Photon, Next.js, Cloudflare) to the original."""
    for _ in range(_MAX_PROXY_DEPTH):
        if not _may_be_proxied(url):
            break
        target = _proxy_target(url)
        if target is None or target == url:
            break
        url = target
    return url


def _may_be_proxied(url: str) -> bool:
    """False for a URL no rule of _proxy_target matches (no query, no URL in the path, neither
    Photon nor Cloudflare): most images, spared urllib. (urlsplit drops tabs and line breaks,
    which could join the words looked for: then urllib decides.)"""
    if "?" in url or "\t" in url or "\n" in url or "\r" in url:
        return True
    lowered = url.lower()
    return "/http" in lowered or "/cdn-cg" in lowered or "wp.com" in lowered


def _proxy_target(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = parts.hostname or ""
    if _PHOTON_HOST_RE.match(host):
        inner = parts.path.lstrip("/")
        return f"https://{inner}" if _HOSTISH_RE.match(inner) else None
    query = parse_qs(parts.query)
    for key in _PROXY_PARAMS:
        for value in query.get(key, ()):
            target = _proxied_value(value.strip(), proxy_url=url)
            if target is not None:
                return target
    if embedded := _EMBEDDED_URL_RE.search(parts.path):
        rest = embedded.group(2) + (f"?{parts.query}" if parts.query else "")
        return f"{embedded.group(1).lower()}://{rest}"
    if cloudflare := _CLOUDFLARE_RE.match(parts.path):
        return urljoin(url, "/" + cloudflare.group(1))
    return None


def _proxied_value(value: str, *, proxy_url: str) -> str | None:
    """The original image named by a proxy's parameter, or None if it names none."""
    lowered = value.lower()
    if lowered.startswith(("http://", "https://")):
        return value
    if value.startswith("//"):
        return f"https:{value}"
    if _HOSTISH_RE.match(value):
        return "https://" + value.removeprefix("ssl:")
    if value.startswith("/"):  # same-site optimiser, e.g. /_next/image?url=%2Fimg%2Fa.jpg
        return urljoin(proxy_url, value)
    return None


def srcset_candidates(srcset: str) -> list[tuple[str, float]]:
    """Split a srcset into (url, width) pairs, as the HTML spec reads it.

    A URL runs to the next whitespace, so commas inside it stay (RFI's `m:{"a":1,"b":2}`).
    Width is the `w` descriptor, or a density `x` descriptor scaled down so that any `w`
    candidate outranks it; no descriptor counts as 1x.
    """
    candidates: list[tuple[str, float]] = []
    for url, descriptor in _CANDIDATE_RE.findall(srcset):
        if url.endswith(","):  # a URL ending in commas has no descriptor
            url, descriptor = url.rstrip(","), ""
        if url:
            candidates.append((url, _descriptor_width(descriptor.strip())))
    return candidates


def largest_candidate(srcset: str) -> str | None:
    """The srcset URL with the largest width (first one on ties), or None."""
    candidates = srcset_candidates(srcset)
    if not candidates:
        return None
    return max(candidates, key=lambda candidate: candidate[1])[0]


def _descriptor_width(descriptor: str) -> float:
    match = _SIZE_DESCRIPTOR_RE.match(descriptor.split()[0] if descriptor else "1x")
    if match is None:
        return 0.0
    value = float(match.group(1))
    return value if match.group(2).lower() == "w" else value / 1000.0


def image_identity(url: str) -> str:
    """A key equal for two sizes of one picture: host plus a distinctive file stem.

    CDNs put the size in the path (`/news/640/…/_131062506_x.jpg`, `/w:980/…`), so the stem
    decides; a generic stem (`hqdefault`, `image`) falls back to the whole URL.
    """
    parts = urlsplit(url)
    stem = parts.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    stem = _WORDPRESS_SIZE_RE.sub("", stem)
    if len(stem) >= 12 and sum(map(str.isdigit, stem)) >= 4:
        return f"{parts.hostname}|{stem}"
    return url
