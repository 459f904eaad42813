"""Write published files atomically, and leave them alone when nothing changed.

Owns every write under the output folder. A reader (or the HTTP server) sees either the old file
or the new one, never half of one: bytes go to a temp file in the same folder, are fsynced, and
os.replace() swaps it in; the folder is fsynced so the rename survives a crash. A file whose
bytes are already right is not touched, so its mtime (and the HTTP Last-Modified/ETag derived
from it) only moves when the feed really changed. Standard library only: tempfile + os.replace
are the portable atomic-rename primitives, and nothing here needs more.

A writer killed between the temp file and the rename leaves that hidden temp file
(`.<name>.<random>.tmp`, never served); the next publish removes it (remove_temp_files).
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from aggregator.errors import PublishError

log = logging.getLogger(__name__)

FEED_SUFFIX = ".atom"
# write_atomic's temp files: ".<name>.<8 random characters>.tmp" (tempfile's naming).
TEMP_PREFIX = "."
TEMP_SUFFIX = ".tmp"
TEMP_NAME_RE = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")
# NamedTemporaryFile creates files 0600; a feed must stay readable by a web server that runs
# as another user, so a new file gets this mode and a replaced file keeps its own.
DEFAULT_FILE_MODE = 0o644


def write_atomic(path: Path, data: bytes) -> bool:
    """Make `path` hold exactly `data`; return False if it already did (file left untouched).

    Raises:
        PublishError: the folder or the file could not be created or written.
    """
    if _holds(path, data):
        log.debug("publish.unchanged path=%r", str(path))
        return False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PublishError(path, f"cannot create folder {path.parent}: {_reason(exc)}") from exc
    mode = _mode_to_keep(path)
    temp_name: str | None = None
    try:
        with tempfile.NamedTemporaryFile(
            dir=path.parent, prefix=f"{TEMP_PREFIX}{path.name}.", suffix=TEMP_SUFFIX, delete=False
        ) as temp:
            temp_name = temp.name
            temp.write(data)
            temp.flush()
            os.fchmod(temp.fileno(), mode)
            os.fsync(temp.fileno())
        os.replace(temp_name, path)
        _fsync_folder(path.parent)
    except OSError as exc:
        if temp_name is not None:
            Path(temp_name).unlink(missing_ok=True)
        raise PublishError(path, f"cannot write: {_reason(exc)}") from exc
    log.info("publish.written path=%r bytes=%d", str(path), len(data))
    return True


def remove_stale(folder: Path, keep: set[str], suffix: str = FEED_SUFFIX) -> list[Path]:
    """Delete the `*<suffix>` files in `folder` whose file name is not in `keep`.

    `keep` holds file names, e.g. {"all.atom", "korea.atom"}. Only regular files ending in
    `suffix` are considered; everything else in the folder is left alone. A missing folder has
    nothing stale. Returns the deleted paths, sorted.

    Raises:
        PublishError: the folder could not be listed or a stale file could not be deleted.
    """
    return _remove_files(
        folder, lambda name: name.endswith(suffix) and name not in keep, event="publish.removed"
    )


def remove_temp_files(folder: Path) -> list[Path]:
    """Delete the temp files write_atomic left in `folder` when its process died mid-write.

    Only regular files named like write_atomic's temp files are considered. Call it only as
    the folder's single writer (publishing holds the store's lock): a temp file of a write
    still in progress would be deleted from under it. Returns the deleted paths, sorted.

    Raises:
        PublishError: the folder could not be listed or a temp file could not be deleted.
    """
    return _remove_files(
        folder, lambda name: TEMP_NAME_RE.fullmatch(name) is not None, event="publish.temp_removed"
    )


def _remove_files(folder: Path, wanted: Callable[[str], bool], *, event: str) -> list[Path]:
    """Delete the regular files (not symlinks) directly in `folder` whose name is `wanted`."""
    try:
        candidates = sorted(folder.iterdir()) if folder.is_dir() else []
    except OSError as exc:
        raise PublishError(folder, f"cannot list: {_reason(exc)}") from exc
    removed: list[Path] = []
    for candidate in candidates:
        if not wanted(candidate.name) or candidate.is_symlink() or not candidate.is_file():
            continue
        try:
            candidate.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise PublishError(candidate, f"cannot delete: {_reason(exc)}") from exc
        log.info("%s path=%r", event, str(candidate))
        removed.append(candidate)
    return removed


def _holds(path: Path, data: bytes) -> bool:
    """Tell whether `path` is a file holding exactly `data` (unreadable counts as no)."""
    try:
        if not path.is_file() or path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False


def _mode_to_keep(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return DEFAULT_FILE_MODE


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
