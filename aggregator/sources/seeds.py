"""Find seed files on disk and read them into SeedDocs.

Owns the I/O half of seed sources: walking a folder (recursively, sorted, skipping hidden
names, following symlinked folders once), a size cap, and turning bytes into text. Parsing
is seedformat's job. Every failure for one file becomes a SeedFormatError naming it, so the
caller can report it and go on.

UTF-8 is tried first; other encodings (GB18030, Big5, UTF-16 ...) are detected with
charset-normalizer, which judges candidates by how coherent the decoded text is rather than by
byte statistics alone, and so tells GB18030 from Big5 on short CJK pages.
"""

from __future__ import annotations

import codecs
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from aggregator.errors import SeedFormatError
from aggregator.records import SeedDoc
from aggregator.sources import Collected, Progress
from aggregator.sources.seedformat import parse_seed

log = logging.getLogger(__name__)

MAX_SEED_BYTES = 5 * 1024 * 1024
# Text files hold next to no control characters other than tab and line ends.
CONTROL_CHARS = bytes([*range(0x00, 0x09), *range(0x0E, 0x20)])
MAX_CONTROL_SHARE = 0.01
UTF16_32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def iter_seed_files(folder: Path) -> Iterator[Path]:
    """Yield every file under `folder`, recursively, in sorted order.

    Names starting with "." are skipped; a symlinked folder is followed once (no loops).

    Raises:
        SeedFormatError: `folder` itself cannot be listed.
    """
    for path, _ in _seed_entries(folder):
        yield Path(path)


def _seed_entries(folder: Path) -> list[tuple[str, os.DirEntry[str]]]:
    """Every file under `folder` as iter_seed_files finds it: its path, as str(Path) would
    write it, and its directory entry, which stats it without a Path built per file.

    Raises:
        SeedFormatError: `folder` itself cannot be listed.
    """
    try:
        entries = _sorted_entries(str(folder))
    except OSError as exc:
        raise SeedFormatError(folder, f"cannot list folder: {exc.strerror or exc}") from exc
    found: list[tuple[str, os.DirEntry[str]]] = []
    _walk(str(folder), entries, seen={_identity(str(folder))}, found=found)
    return found


def _walk(
    folder: str,
    entries: list[os.DirEntry[str]],
    *,
    seen: set[tuple[int, int]],
    found: list[tuple[str, os.DirEntry[str]]],
) -> None:
    prefix = _prefix(folder)
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = prefix + entry.name
        try:
            is_dir = entry.is_dir()
            is_file = not is_dir and entry.is_file()
        except OSError:
            continue
        if is_file:
            found.append((path, entry))
        elif is_dir:
            _walk_folder(path, seen=seen, found=found)


def _walk_folder(
    folder: str, *, seen: set[tuple[int, int]], found: list[tuple[str, os.DirEntry[str]]]
) -> None:
    try:
        identity = _identity(folder)
        if identity in seen:
            return  # reached again through a symlink
        entries = _sorted_entries(folder)
    except OSError as exc:
        log.warning("seed.folder_skipped path=%r reason=%r", folder, exc.strerror or str(exc))
        return
    seen.add(identity)
    _walk(folder, entries, seen=seen, found=found)


def _prefix(folder: str) -> str:
    """What `prefix + name` makes str(Path(folder) / name) of (the path a seed's origin has
    always been recorded under), without a Path or an os.path.join per file."""
    if folder == ".":
        return ""
    return folder if folder.endswith("/") else folder + "/"


def _sorted_entries(folder: str) -> list[os.DirEntry[str]]:
    with os.scandir(folder) as scan:
        return sorted(scan, key=lambda entry: entry.name)


def _identity(folder: str) -> tuple[int, int]:
    stat = os.stat(folder)
    return stat.st_dev, stat.st_ino


def read_seed(path: Path) -> SeedDoc:
    """Read, decode and parse the seed file at `path`.

    Raises:
        SeedFormatError: unreadable, too large, binary, undecodable, or in neither format.
    """
    try:
        with path.open("rb") as fh:
            data = _read_capped(fh, MAX_SEED_BYTES + 1)
    except OSError as exc:
        raise SeedFormatError(path, f"cannot read: {exc.strerror or exc}") from exc
    if len(data) > MAX_SEED_BYTES:
        raise SeedFormatError(path, f"too large: over {MAX_SEED_BYTES} bytes")
    return parse_seed(_decode(data, path=path), path=str(path))


def _read_capped(fh: BinaryIO, limit: int) -> bytes:
    """Read at most `limit` bytes of `fh`.

    read(limit) would allocate `limit` bytes (5 MB, then given back) for every file, which
    costs more than reading a small file: ask for its size and a byte more, and for the rest
    only if it grew meanwhile (or is a pipe or /proc file, of size 0).
    """
    size = os.fstat(fh.fileno()).st_size
    data = fh.read(min(size + 1, limit))
    if len(data) > size:
        data += fh.read(limit - len(data))
    return data


def _decode(data: bytes, *, path: Path) -> str:
    """Decode seed bytes: UTF-8 (BOM or not), a UTF-16/32 BOM, else a confident guess."""
    text = _decode_bom(data) if data.startswith(UTF16_32_BOMS) else _decode_utf8(data)
    if text is None:
        text = _decode_guess(data)
    if text is None:
        reason = "binary file" if b"\x00" in data else "not UTF-8, and no other encoding fits"
        raise SeedFormatError(path, reason)
    if "\x00" in text or _count_control_chars(text) > len(text) * MAX_CONTROL_SHARE:
        raise SeedFormatError(path, "binary file")
    return text


def _count_control_chars(text: str) -> int:
    # In UTF-8 an ASCII character is its own byte and any other takes bytes from 0x80 up, so
    # the control bytes are the control characters: bytes.translate counts them in C, in a
    # third of the time of a regex over the text.
    encoded = text.encode("utf-8", "surrogatepass")
    return len(encoded) - len(encoded.translate(None, CONTROL_CHARS))


def _decode_bom(data: bytes) -> str | None:
    encoding = "utf-32" if data.startswith(UTF16_32_BOMS[:2]) else "utf-16"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _decode_utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # A file cut inside its last character is still UTF-8; parse_seed judges what is left.
        if exc.start >= len(data) - 3 and exc.reason == "unexpected end of data":
            return data[: exc.start].decode("utf-8-sig")
        return None


def _decode_guess(data: bytes) -> str | None:
    import charset_normalizer  # on first use: nearly every seed is UTF-8, and a scan reads none

    best = charset_normalizer.from_bytes(data).best()
    return str(best) if best is not None else None


@dataclass(frozen=True, slots=True, kw_only=True)
class SeedInput:
    """A seed file that is new or changed since it was last ingested; not read yet."""

    path: Path
    stamp: str

    @property
    def origin(self) -> str:
        return str(self.path)


class SeedFolder:
    """A `kind = "seeds"` source: every file under a folder, recursively."""

    def __init__(self, name: str, folder: Path) -> None:
        self.name = name
        self.folder = folder

    def scan(self, *, stamp_of: Callable[[str], str | None]) -> list[SeedInput | Collected]:
        """Every seed file: a SeedInput to read if its size or mtime changed, else a Collected.

        Reads no file: an unchanged one comes back as Collected(doc=None), one that cannot
        even be looked at as Collected(doc=error). A missing folder is one Collected error.
        """
        if not self.folder.is_dir():
            reason = "not a folder" if self.folder.exists() else "seed folder does not exist"
            error = SeedFormatError(self.folder, reason)
            return [Collected(origin=str(self.folder), stamp="", doc=error)]
        return [_scan_one(path, entry, stamp_of) for path, entry in _seed_entries(self.folder)]

    def collect(
        self, *, stamp_of: Callable[[str], str | None], progress: Progress | None = None
    ) -> Iterator[Collected]:
        """Yield each seed file, parsed only when its size or mtime changed since last time."""
        found = self.scan(stamp_of=stamp_of)
        for done, item in enumerate(found, start=1):
            yield load_seed_input(item) if isinstance(item, SeedInput) else item
            if progress is not None:
                progress(done, len(found))


def _scan_one(
    path: str, entry: os.DirEntry[str], stamp_of: Callable[[str], str | None]
) -> SeedInput | Collected:
    try:
        stamp = _stamp(entry.stat())
    except OSError as exc:
        error = SeedFormatError(path, f"cannot read: {exc.strerror or exc}")
        return Collected(origin=path, stamp="", doc=error)
    if stamp_of(path) == stamp:
        return Collected(origin=path, stamp=stamp, doc=None)
    return SeedInput(path=Path(path), stamp=stamp)


def load_seed_input(item: SeedInput) -> Collected:
    """Read and parse a changed seed file; a file that fails becomes Collected(doc=error)."""
    try:
        return Collected(origin=item.origin, stamp=item.stamp, doc=read_seed(item.path))
    except SeedFormatError as exc:
        return Collected(origin=item.origin, stamp=item.stamp, doc=exc)


def _stamp(st: os.stat_result) -> str:
    """What tells a file changed without reading it: its size and modification time."""
    return f"{st.st_size}:{st.st_mtime_ns}"
