"""Image passes for clean.py: one `<img src>` per picture, at its original, absolute URL.

Collapses `<picture>`/`<source>`/`srcset` to one `<img>` (the largest candidate), promotes
lazy-load attributes, unwraps image proxies, drops tracking pixels, keeps a `<noscript>` image
only when it is the sole copy, and removes a second size of a picture already shown.
Pure: edits a BeautifulSoup tree in place; URL work is in clean/urls.py.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

from aggregator.clean.rules import (
    BEACON_URL_RE,
    IMAGE_SCHEMES,
    LAZY_SRC_ATTRIBUTES,
    LAZY_SRCSET_ATTRIBUTES,
    PIXEL_MAX_SIZE,
)
from aggregator.clean.tree import attr, find_tag, find_tags, has_ancestor, is_detached
from aggregator.clean.urls import (
    absolute_url,
    image_identity,
    largest_candidate,
    unproxied_image_url,
)

_KEPT_ATTRIBUTES = ("alt", "title")
_SIZE_RE = re.compile(r"^\s*(\d{1,5})(?:\.\d+)?\s*(?:px)?\s*$", re.IGNORECASE)
_IMG = frozenset({"img"})
_PICTURE = frozenset({"picture"})
_SOURCE = frozenset({"source"})
_IMG_OR_SOURCE = frozenset({"img", "source"})
_IMG_OR_NOSCRIPT = frozenset({"img", "noscript"})


def repair_images(root: Tag, soup: BeautifulSoup, *, base_url: str) -> None:
    """Give every image one absolute, proxy-free src; drop pixels and unusable images."""
    for picture in find_tags(root, _PICTURE):
        if not is_detached(picture):
            _collapse_picture(picture, soup)
    found = find_tags(root, _IMG_OR_SOURCE)
    for source in found:
        if source.name == "source":
            source.decompose()
    for img in found:
        if img.name != "img" or is_detached(img):  # (a decomposed tag's name is "")
            continue
        src = _best_source(img, base_url=base_url)
        if src is None or _is_tracking_pixel(img, src):
            img.decompose()
            continue
        img.attrs = _kept_attributes(img) | {"src": src}
    _resolve_noscripts(root)


def image_sources(root: Tag) -> list[str]:
    """The src of every image left in `root`, in document order."""
    return [attr(img, "src") for img in find_tags(root, _IMG) if attr(img, "src")]


def drop_duplicate_images(root: Tag) -> None:
    """Keep one copy of a picture shown twice (e.g. a lead image repeated in a figure).

    The copy inside a <figure> wins, since it carries the caption; else the first.
    """
    groups: dict[str, list[Tag]] = {}
    for img in find_tags(root, _IMG):
        groups.setdefault(image_identity(attr(img, "src")), []).append(img)
    for copies in groups.values():
        keep = next((img for img in copies if has_ancestor(img, ("figure",))), copies[0])
        for img in copies:
            if img is not keep:
                img.decompose()


def _collapse_picture(picture: Tag, soup: BeautifulSoup) -> None:
    """Replace <picture> by its <img>, lending it the <source> srcsets if it has none."""
    img = find_tag(picture, _IMG)
    if img is None:
        img = soup.new_tag("img")
    if not any(attr(img, name) for name in ("srcset", *LAZY_SRCSET_ATTRIBUTES)):
        sources = find_tags(picture, _SOURCE)
        srcsets = (attr(source, "srcset") or attr(source, "data-srcset") for source in sources)
        img["srcset"] = ", ".join(srcset for srcset in srcsets if srcset)
    picture.replace_with(img.extract())


def _best_source(img: Tag, *, base_url: str) -> str | None:
    """The first usable candidate: largest srcset entry, then lazy-load and plain src."""
    candidates: list[str] = []
    for name in (*LAZY_SRCSET_ATTRIBUTES, "srcset"):
        if best := largest_candidate(attr(img, name)):
            candidates.append(best)
    candidates.extend(value for name in (*LAZY_SRC_ATTRIBUTES, "src") if (value := attr(img, name)))
    for candidate in candidates:
        url = absolute_url(candidate, base_url=base_url, schemes=IMAGE_SCHEMES)
        if url is None:
            continue
        original = absolute_url(unproxied_image_url(url), base_url=url, schemes=IMAGE_SCHEMES)
        if original is not None:
            return original
    return None


def _is_tracking_pixel(img: Tag, src: str) -> bool:
    for name in ("width", "height"):
        size = _SIZE_RE.match(attr(img, name))
        if size is not None and int(size.group(1)) <= PIXEL_MAX_SIZE:
            return True
    return BEACON_URL_RE.search(src) is not None


def _kept_attributes(img: Tag) -> dict[str, str]:
    kept = {name: attr(img, name) for name in _KEPT_ATTRIBUTES if img.has_attr(name)}
    for name in ("width", "height"):
        size = _SIZE_RE.match(attr(img, name))
        if size is not None:
            kept[name] = size.group(1)
    return kept


def _resolve_noscripts(root: Tag) -> None:
    """Unwrap a <noscript> image that is the only copy; drop every <noscript> otherwise."""
    found = find_tags(root, _IMG_OR_NOSCRIPT)
    shown = {
        image_identity(attr(img, "src"))
        for img in found
        if img.name == "img" and not has_ancestor(img, ("noscript",))
    }
    for noscript in found:
        if noscript.name != "noscript" or is_detached(noscript):
            continue
        for img in find_tags(noscript, _IMG):
            identity = image_identity(attr(img, "src"))
            if identity not in shown:
                shown.add(identity)
                noscript.insert_before(img.extract())
        noscript.decompose()
