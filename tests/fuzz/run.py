"""Run one atheris fuzz target with a starting corpus and a dictionary.

    python -m tests.fuzz.run TARGET [--corpus DIR] [libFuzzer flags ...]

TARGET is seed, clean or feed. The starting corpus (sample seeds, tests/data, the hostile
vectors) is written into DIR/TARGET (a temporary folder if --corpus is not given), new inputs
libFuzzer finds are added there, and crash reproducers go to DIR/TARGET-crashes/. Any flag
starting with "-" goes to libFuzzer: `-runs=2000 -seed=1` (the short run the tests do),
`-max_total_time=3600` (an hour). Exit status is libFuzzer's: 0 when nothing crashed.
Reproduce a crash with `python tests/fuzz/fuzz_TARGET.py DIR/TARGET-crashes/crash-...`.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FUZZ_DIR = Path(__file__).resolve().parent
TARGETS = ("seed", "clean", "feed")
DICTIONARY = FUZZ_DIR / "markup.dict"
# Defaults a short run needs; a flag given on the command line wins.
DEFAULT_FLAGS = ("-max_len=8192", "-timeout=30", "-rss_limit_mb=2048")


def script(target: str) -> Path:
    """The fuzz program of `target`."""
    return FUZZ_DIR / f"fuzz_{target}.py"


def command(target: str, corpus: Path, flags: Sequence[str]) -> list[str]:
    """The libFuzzer command line for `target` over the corpus folder `corpus`."""
    given = {flag.split("=", 1)[0] for flag in flags}
    defaults = [flag for flag in DEFAULT_FLAGS if flag.split("=", 1)[0] not in given]
    crashes = corpus.parent / f"{corpus.name}-crashes"
    crashes.mkdir(parents=True, exist_ok=True)
    extra = [] if "-artifact_prefix" in given else [f"-artifact_prefix={crashes}/"]
    return [
        sys.executable,
        str(script(target)),
        f"-dict={DICTIONARY}",
        *defaults,
        *extra,
        *flags,
        str(corpus),
    ]


def write_corpus(target: str, folder: Path) -> int:
    """Write the starting inputs of `target` into `folder` (kept if present); return how many."""
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for data in _inputs(target):
        path = folder / hashlib.sha1(data).hexdigest()
        if not path.exists():
            path.write_bytes(data)
        count += 1
    return count


def _inputs(target: str) -> Iterator[bytes]:
    from tests.hostile import HOSTILE_VECTORS, XSS_CORPUS

    vectors = [*HOSTILE_VECTORS, *(vector.html for vector in XSS_CORPUS)]
    if target == "clean":
        yield from (vector.encode("utf-8", "replace") for vector in vectors)
        yield from (path.read_bytes() for path in _seed_files())
    elif target == "seed":
        yield from (path.read_bytes() for path in _seed_files())
        for number, vector in enumerate(vectors[::10]):
            yield _seed_text(vector, number).encode("utf-8", "replace")
    elif target == "feed":
        from tests.origin import atom_feed, rss_feed

        feeds = sorted((ROOT / "tests" / "data" / "feeds").glob("*.[xr][md][lf]"))
        documents = [path.read_bytes() for path in feeds]
        for number, vector in enumerate(vectors[::20]):
            build = rss_feed if number % 2 else atom_feed
            item = {
                "title": f"Item {number}",
                "link": f"https://example.org/news/2023/09/12/{number}.html",
                "html": vector.encode("utf-8", "replace").decode("utf-8"),
                "pubdate": datetime(2023, 9, 12, tzinfo=UTC),
            }
            documents.append(build([item]))
        # fuzz_feed reads the first byte as a choice of content type.
        yield from (bytes([number % 5]) + doc for number, doc in enumerate(documents))
    else:
        raise ValueError(f"unknown fuzz target {target!r}")


def _seed_files() -> list[Path]:
    folders = (ROOT / "seeds", ROOT / "tests" / "data" / "seeds")
    return sorted(p for f in folders for p in f.iterdir() if p.suffix in (".txt", ".md"))


def _seed_text(vector: str, number: int) -> str:
    if number % 2:
        return (
            f"### Mirror {number}\n---\n[首页](https://mirror.example/) | 新闻\n<p>Lead.</p>\n"
            f"{vector}\n---\n原文链接（需翻墙）：https://example.org/news/2023/09/12/{number}.html\n"
        )
    return f"<!--1694537101000-->\n[Archive {number}](https://example.org/a/{number})\n------\n{vector}\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fuzz.run",
        description=__doc__,
        allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("target", choices=TARGETS)
    parser.add_argument("--corpus", type=Path, help="keep the corpus here (default: a temp dir)")
    args, flags = parser.parse_known_args(argv)
    with tempfile.TemporaryDirectory(prefix="aggregator-fuzz-") as scratch:
        corpus = (args.corpus or Path(scratch)).resolve() / args.target
        write_corpus(args.target, corpus)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        return subprocess.run(command(args.target, corpus, flags), env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
