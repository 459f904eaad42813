"""Live-feed ingestion side of run.py: a local HTTP origin, and lemon24's `reader` as a peer.

The origin serves CORPUS_DIR/feeds/ on 127.0.0.1 (an ephemeral port) with http.server's
Last-Modified / If-Modified-Since handling, so a second poll of unchanged feeds can get 304s
(or, with run.py --no-304, never: every poll then downloads and parses everything again).

`reader` is never a project dependency: it runs in its own interpreter, given with
`--reader-python` (e.g. a venv made by `python3 -m venv /tmp/bench-venv &&
/tmp/bench-venv/bin/pip install reader sgmllib3k`; reader's vendored feedparser needs
sgmllib, which some indexes do not pull in). Its run: add
every feed URL to a fresh database, `update_feeds_iter(scheduled=False)` once (cold: every item
new) and once more (nothing changed), printing timings and counts as JSON.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

READER_SCRIPT = r"""
import json, sys, time
from reader import make_reader

db, urls = sys.argv[1], sys.argv[2:]
r = make_reader(db)
for url in urls:
    r.add_feed(url)

def update():
    started = time.perf_counter()
    errors, not_modified = [], 0
    for result in r.update_feeds_iter(scheduled=False):
        if result.error is not None:
            errors.append(f"{result.url}: {result.error}")
        elif result.not_modified:
            not_modified += 1
    return time.perf_counter() - started, errors, not_modified

cold_s, cold_errors, _ = update()
entries = r.get_entry_counts().total
warm_s, warm_errors, not_modified = update()
import reader
print(json.dumps({
    "version": reader.__version__, "entries": entries, "cold_s": cold_s, "warm_s": warm_s,
    "errors": (cold_errors + warm_errors)[:5], "not_modified": not_modified,
}))
"""


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # keep the bench output clean
        pass


class UnconditionalHandler(QuietHandler):
    """Ignores If-Modified-Since / If-None-Match: every poll gets the full feed (200)."""

    def send_head(self) -> Any:
        del self.headers["If-Modified-Since"]
        del self.headers["If-None-Match"]
        return super().send_head()


@contextmanager
def serve_folder(folder: Path, *, conditional: bool = True) -> Iterator[str]:
    """Serve `folder` on 127.0.0.1 in a thread; yield its base URL.

    With `conditional` false the origin never answers 304, so a second poll re-parses all.
    """
    handler = QuietHandler if conditional else UnconditionalHandler
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, name="feed-origin", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def feed_files(corpus: Path) -> list[Path]:
    return sorted(p for p in (corpus / "feeds").glob("feed-*.xml"))


def count_items(corpus: Path) -> int:
    manifest = corpus / "feeds" / "manifest.jsonl"
    with manifest.open(encoding="utf-8") as fh:
        return sum(1 for _ in fh)


def reader_available(python: Path | None) -> str | None:
    """None when `python` can import reader, else why the comparison is skipped."""
    hint = (
        "pass --reader-python /tmp/bench-venv/bin/python after `python3 -m venv"
        " /tmp/bench-venv && /tmp/bench-venv/bin/pip install reader sgmllib3k`"
    )
    if python is None:
        return f"reader comparison skipped: no --reader-python given ({hint})"
    if not python.exists():
        return f"reader comparison skipped: {python} does not exist ({hint})"
    probe = subprocess.run(
        [str(python), "-c", "import reader"], capture_output=True, text=True, timeout=60
    )
    if probe.returncode != 0:
        return f"reader comparison skipped: {python} cannot import reader ({hint})"
    # reader's vendored feedparser imports sgmllib lazily, at the first update.
    probe = subprocess.run(
        [str(python), "-c", "import sgmllib"], capture_output=True, text=True, timeout=60
    )
    if probe.returncode != 0:
        return f"reader comparison skipped: {python} lacks sgmllib (pip install sgmllib3k)"
    return None


def parse_reader_output(stdout: str) -> dict[str, Any]:
    for line in reversed(stdout.strip().splitlines()):
        if line.startswith("{"):
            result: dict[str, Any] = json.loads(line)
            return result
    raise ValueError(f"no JSON result in reader output: {stdout[-500:]!r}")
