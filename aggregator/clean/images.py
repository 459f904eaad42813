"""Image passes for clean.py: one `<img src>` per picture, at its original, absolute URL.

Collapses `<picture>`/`<source>`/`srcset` to one `<img>` (the largest candidate), promotes
lazy-load attributes, unwraps image proxies, drops tracking pixels, keeps a `<noscript>` image
only when it is the sole copy, and removes a second size of a picture already shown.
Pure: edits the lxml tree in place (through clean/dom.py); URL work is in clean/urls.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from aggregator.clean.dom import (
    Element,
    descendants,
    detach,
    has_ancestor,
    is_gone,
    remove,
    replace,
)
from aggregator.clean.rules import (
    BEACON_URL_RE,
    IMAGE_SCHEMES,
    LAZY_SRC_ATTRIBUTES,
    LAZY_SRCSET_ATTRIBUTES,
    PIXEL_MAX_SIZE,
)
from aggregator.clean.urls import (
    absolute_url,
    image_identity,
    largest_candidate,
    unproxied_image_url,
)

_KEPT_ATTRIBUTES = ("alt", "title")
_SIZE_RE = re.compile(r"^\s*(\d{1,5})(?:\.\d+)?\s*(?:px)?\s*$", re.IGNORECASE)
_IMG = frozenset({"img"})
_NOSCRIPT = frozenset({"noscript"})
_IMAGE_TAGS = frozenset({"picture", "img", "source", "noscript"})
_IMG_OR_NOSCRIPT = frozenset({"img", "noscript"})


def repair_images(root: Element, *, base_url: str) -> None:
    """Give every image one absolute, proxy-free src; drop pixels and unusable images."""
    found = descendants(root, _IMAGE_TAGS)  # one search for the three steps, most times
    pictures = [element for element in found if element.tag == "picture"]
    if pictures:
        for picture in pictures:
            if not is_gone(picture):
                _collapse_picture(picture)
        found = descendants(root, _IMAGE_TAGS)  # moved and made images
    for source in found:
        if source.tag == "source":
            remove(source)
    for img in found:
        if img.tag != "img":  # a source, a noscript, or gone with a source
            continue
        src = _best_source(img, base_url=base_url)
        if src is None or _is_tracking_pixel(img, src):
            remove(img)
            continue
        kept = _kept_attributes(img)
        img.attrib.clear()
        for name, value in (kept | {"src": src}).items():
            img.set(name, value)
    _resolve_noscripts([element for element in found if element.tag in _IMG_OR_NOSCRIPT])


def image_sources(root: Element) -> list[str]:
    """The src of every image left in `root`, in document order."""
    return [src for img in descendants(root, _IMG) if (src := img.get("src"))]


def drop_duplicate_images(root: Element) -> None:
    """Keep one copy of a picture shown twice (e.g. a lead image repeated in a figure).

    The copy inside a <figure> wins, since it carries the caption; else the first.
    """
    groups: dict[str, list[Element]] = {}
    for img in descendants(root, _IMG):
        groups.setdefault(image_identity(img.get("src", "")), []).append(img)
    for copies in groups.values():
        keep = next((img for img in copies if has_ancestor(img, ("figure",))), copies[0])
        for img in copies:
            if img is not keep:
                remove(img)


def _collapse_picture(picture: Element) -> None:
    """Replace <picture> by its <img>, lending it the <source> srcsets if it has none."""
    img = next(picture.iterdescendants("img"), None)
    if img is None:
        img = picture.makeelement("img", {})
    if not any(img.get(name) for name in ("srcset", *LAZY_SRCSET_ATTRIBUTES)):
        sources = picture.iterdescendants("source")
        srcsets = (source.get("srcset") or source.get("data-srcset") for source in sources)
        img.set("srcset", ", ".join(srcset for srcset in srcsets if srcset))
    detach(img)
    replace(picture, img)


def _best_source(img: Element, *, base_url: str) -> str | None:
    """The first usable candidate: largest srcset entry, then lazy-load and plain src."""
    for candidate in _source_candidates(img):
        url = absolute_url(candidate, base_url=base_url, schemes=IMAGE_SCHEMES)
        if url is None:
            continue
        original = absolute_url(unproxied_image_url(url), base_url=url, schemes=IMAGE_SCHEMES)
        if original is not None:
            return original
    return None


def _source_candidates(img: Element) -> Iterator[str]:
    """The image URLs `img` names, best first (read as needed: a srcset costs a parse)."""
    for name in (*LAZY_SRCSET_ATTRIBUTES, "srcset"):
        if best := largest_candidate(img.get(name, "")):
            yield best
    for name in (*LAZY_SRC_ATTRIBUTES, "src"):
        if value := img.get(name):
            yield value


def _is_tracking_pixel(img: Element, src: str) -> bool:
    for name in ("width", "height"):
        size = _SIZE_RE.match(img.get(name, ""))
        if size is not None and int(size.group(1)) <= PIXEL_MAX_SIZE:
            return True
    return BEACON_URL_RE.search(src) is not None


def _kept_attributes(img: Element) -> dict[str, str]:
    kept = {name: value for name in _KEPT_ATTRIBUTES if (value := img.get(name)) is not None}
    for name in ("width", "height"):
        size = _SIZE_RE.match(img.get(name, ""))
        if size is not None:
            kept[name] = size.group(1)
    return kept


def _resolve_noscripts(found: list[Element]) -> None:
    """Unwrap a <noscript> image that is the only copy; drop every <noscript> otherwise.

    `found`: the images and noscripts, in document order.
    """
    shown = {
        image_identity(img.get("src", ""))
        for img in found
        if img.tag == "img" and not has_ancestor(img, _NOSCRIPT)
    }
    for noscript in found:
        if noscript.tag != "noscript":  # an image, or gone with an outer <noscript>
            continue
        for img in list(noscript.iterdescendants("img")):
            identity = image_identity(img.get("src", ""))
            if identity not in shown:
                shown.add(identity)
                detach(img)
                noscript.addprevious(img)
        remove(noscript)
