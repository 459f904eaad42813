"""Benchmark `aggregator build` on a corpus from make_corpus.py, against issue 5's targets.

What it measures, each build being the real CLI in a subprocess
(`aggregator build --config W/config.toml`; the config it writes reads CORPUS_DIR/seeds and
W/added, writes W/state/aggregator.db and W/feeds/, and has four topics):

1. CLI start-up: `aggregator --version`, the floor under every rebuild figure.
2. Cold build: empty store, every seed file -> stored articles, stories, all feeds written.
   Wall seconds (from spawn to exit, as a user waits) and files/s (seed files / wall s).
3. Rebuild with nothing changed: the same command again; also counts feed files whose
   size or mtime changed (should be 0).
4. Rebuild after adding N new files (default 10, from CORPUS_DIR/extra/, copied to W/added/).
5. Peak RSS of each build: the child's own `ru_maxrss` from os.wait4 (the per-child form of
   getrusage(RUSAGE_CHILDREN); on Linux it also covers the child's reaped worker processes, so
   it is the largest single process; the child is spawned, not forked, so the bench's own
   memory never counts), and the whole process tree's RSS sampled every 50 ms
   from /proc (what several worker processes take together).
6. Dedup quality after the cold build: the store's `articles` (url, story_id, level,
   matched_url) against CORPUS_DIR/manifest.jsonl; how pairs are counted is in quality.py's
   docstring (pairs of distinct canonical URLs; duplicate pairs = exact + near copies, closed
   transitively; predicted = level 1+2 links, closed transitively; precision = right/found,
   recall = right/truth). Also whether story ids stayed put through the rebuilds.
7. Live feeds, when CORPUS_DIR/feeds/ exists (make_corpus --feeds): an HTTP origin on
   127.0.0.1 serves them; `aggregator build --fetch` ingests them if the CLI has that option
   (else a note), and lemon24's `reader` does the same from --reader-python's interpreter
   (else a note); items/s for the first poll and seconds for a second, unchanged poll
   (answered with 304s, or with --no-304 re-sent in full, as the issue's reader figure was).

Before timing, the package's bytecode is compiled (compile_package), as an install leaves it.

`--profile` instead runs one cold build in this process under cProfile (import aggregator.app,
call build with the loaded config) and prints time per stage (sources, normalize, clean,
dedup, store, publish, app glue) and the 25 slowest functions by cumulative and by self time,
each with its stage; see profiling.py for how library time is attributed to stages.

Run it with the project's interpreter (it imports aggregator for --profile and for canonical
URLs), corpus and work folders under /tmp:

    .venv/bin/python bench/make_corpus.py --n 2000 --seed 1 --out /tmp/c2k --feeds 40
    .venv/bin/python bench/run.py /tmp/c2k --workdir /tmp/w2k \\
        --reader-python /tmp/bench-venv/bin/python --json /tmp/w2k.json
    .venv/bin/python bench/run.py /tmp/c2k --workdir /tmp/w2k --profile

Timings vary run to run; the corpus and the quality figures do not. Every subprocess has a
timeout (--timeout), nothing leaves 127.0.0.1, and nothing is written outside --workdir.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import feedbench  # sibling modules of this script
import quality

REPO = Path(__file__).resolve().parents[1]
MARKER = ".aggbench"  # a workdir holding this file is ours to clear
# Issue 5 targets.
COLD_MIN_FILES_S = 2500.0  # <= 8 s for 20,000 files
REBUILD_MAX_S = 0.5
ADD_MAX_S = 1.0
RSS_MAX_MB = 250.0
PRECISION_MIN = 0.99
RECALL_MIN = 0.98
FEED_MIN_ITEMS_S = 2000.0
SAMPLE_EVERY_S = 0.05
SUMMARY_RE = re.compile(
    r"read (?P<files>\d+) files \((?P<unchanged>\d+) unchanged\): (?P<new>\d+) new articles,"
    r" (?P<updated>\d+) updated, (?P<known>\d+) already known; (?P<stories>\d+) stories;"
    r" wrote (?P<written>\d+) of (?P<feeds>\d+) feeds; skipped (?P<skipped>\d+) files;"
    r" (?P<seconds>[\d.]+) s"
)
TOPICS = (
    ("military", "Military", ["武器", "军事", "导弹"]),
    ("sanctions", "Sanctions", ["制裁"]),
    ("forum", "Economic forum", ["论坛", "经济"]),
    ("korea", "Korea", ["朝鮮", "平壤"]),  # Traditional keyword: exercises the folding
)


@dataclass
class Measured:
    label: str
    argv: list[str]
    seconds: float
    returncode: int
    rss_mb: float  # largest single process (wait4 ru_maxrss)
    tree_rss_mb: float  # sampled sum over the process tree
    stdout: str
    stderr_path: str

    @property
    def summary(self) -> dict[str, float] | None:
        match = SUMMARY_RE.search(self.stdout)
        return {k: float(v) for k, v in match.groupdict().items()} if match else None


class TreeSampler(threading.Thread):
    """Largest summed VmRSS of a process and its descendants, sampled from /proc."""

    def __init__(self, pid: int) -> None:
        super().__init__(name=f"rss-{pid}", daemon=True)
        self.pid = pid
        self.peak_kb = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.peak_kb = max(self.peak_kb, tree_rss_kb(self.pid))
            self._stop_event.wait(SAMPLE_EVERY_S)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def tree_rss_kb(pid: int) -> int:
    total, stack, seen = 0, [pid], set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            status = Path(f"/proc/{current}/status").read_text()
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
        for task in tasks:
            try:
                children = Path(f"/proc/{current}/task/{task}/children").read_text().split()
            except OSError:
                continue
            stack.extend(int(c) for c in children)
    return total


def run_measured(argv: list[str], *, label: str, logs: Path, timeout_s: float) -> Measured:
    """Run `argv`, timing it and taking its peak RSS; kill its process group on timeout."""
    out_path, err_path = logs / f"{label}.stdout", logs / f"{label}.stderr"
    shown = " ".join(a if "\n" not in a else "<script>" for a in argv)
    print(f"[bench] {label}: {shown[:300]}", file=sys.stderr, flush=True)
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        # posix_spawn, not fork + exec: a forked child's ru_maxrss starts at this process's
        # RSS (the bench holds the quality data of a large corpus), a spawned one's does not.
        pid = os.posix_spawnp(
            argv[0],
            argv,
            os.environ,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, out.fileno(), 1),
                (os.POSIX_SPAWN_DUP2, err.fileno(), 2),
            ],
            setsid=True,
        )
        sampler = TreeSampler(pid)
        sampler.start()
        timer = threading.Timer(timeout_s, _kill_group, args=(pid,))
        timer.start()
        try:
            _pid, status, usage = os.wait4(pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - started
        sampler.stop()
    returncode = os.waitstatus_to_exitcode(status)
    if returncode < 0 and seconds >= timeout_s:
        print(f"[bench] {label}: killed after the {timeout_s:g} s timeout", file=sys.stderr)
    return Measured(
        label=label,
        argv=argv,
        seconds=seconds,
        returncode=returncode,
        rss_mb=usage.ru_maxrss / 1024,
        tree_rss_mb=sampler.peak_kb / 1024,
        stdout=out_path.read_text(encoding="utf-8", errors="replace"),
        stderr_path=str(err_path),
    )


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)  # the child leads its own session (setsid)


# ---------------------------------------------------------------- set-up


def compile_package() -> None:
    """Compile the aggregator package's bytecode, as installing it or its first run does.

    A machine that sets PYTHONDONTWRITEBYTECODE (this one does) never keeps the bytecode of
    a module changed since the install, so every build would compile those modules again
    (~50 ms), a cost an installed copy does not pay.
    """
    import aggregator

    package = Path(aggregator.__file__).parent
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)
    print(f"[bench] bytecode compiled: {package}", file=sys.stderr)


def prepare_workdir(path: Path | None) -> Path:
    """Return an empty work folder: a new one under /tmp, or `path` emptied if it is ours."""
    if path is None:
        work = Path(tempfile.mkdtemp(prefix="aggbench-", dir="/tmp"))
    else:
        work = path.absolute()
        if work.exists() and any(work.iterdir()) and not (work / MARKER).exists():
            raise SystemExit(f"{work} is not empty and not a bench workdir; pick another")
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
    (work / MARKER).write_text("made by bench/run.py; emptied on its next run\n")
    for sub in ("added", "logs"):
        (work / sub).mkdir()
    return work


def write_config(work: Path, seeds: Path, *, feed_urls: list[str] | None = None) -> Path:
    """Write work/config.toml (seeds) or, with `feed_urls`, a config of live feeds only."""
    q = json.dumps  # a JSON string is a valid TOML basic string
    lines = [
        "[site]",
        'title = "Bench"',
        'base_url = "http://127.0.0.1:8080/"',
        "[storage]",
        'path = "state/aggregator.db"',
        "[output]",
        'dir = "feeds"',
    ]
    if feed_urls is None:
        lines += ["[[sources]]", 'name = "seeds"', 'kind = "seeds"', f"path = {q(str(seeds))}"]
        lines += ["[[sources]]", 'name = "added"', 'kind = "seeds"', 'path = "added"']
    for number, url in enumerate(feed_urls or []):
        lines += ["[[sources]]", f'name = "feed-{number:02d}"', 'kind = "feed"', f"url = {q(url)}"]
        lines += ["max_mb = 16"]  # 500 full-text items pass the 5 MiB default
    for slug, title, include in TOPICS:
        words = ", ".join(q(w) for w in include)
        lines += ["[[topics]]", f"slug = {q(slug)}", f"title = {q(title)}", f"include = [{words}]"]
    path = work / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def corpus_size(seeds: Path) -> tuple[int, int]:
    files = size = 0
    for root, _dirs, names in os.walk(seeds):
        for name in names:
            files += 1
            size += os.path.getsize(os.path.join(root, name))
    return files, size


def add_extra_files(corpus: Path, work: Path, count: int) -> list[str]:
    """Copy the first `count` extra files (manifest order) into work/added; return their paths."""
    rows = quality.load_manifest(corpus, sets=("extra",))[:count]
    for row in rows:
        target = work / "added" / Path(row["path"]).relative_to("extra")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(corpus / row["path"], target)
    return [row["path"] for row in rows]


def feed_snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    if not folder.is_dir():
        return {}
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()}


def changed(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> int:
    return sum(before.get(name) != stamp for name, stamp in after.items()) + len(
        before.keys() - after.keys()
    )


def story_ids(db: Path) -> dict[str, str]:
    return {row.url: row.story_id for row in quality.read_store(db)}


def default_cli() -> Path:
    beside = Path(sys.executable).parent / "aggregator"
    return beside if beside.exists() else REPO / ".venv" / "bin" / "aggregator"


# ---------------------------------------------------------------- the runs


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []
        self.results: dict[str, Any] = {}

    def add(self, measure: str, value: str, target: str = "", ok: bool | None = None) -> None:
        verdict = "" if ok is None else "ok" if ok else "MISS"
        self.rows.append((measure, value, target, verdict))

    def print(self) -> None:
        widths = [max(len(r[i]) for r in self.rows) for i in range(3)]
        widths = [min(w, cap) for w, cap in zip(widths, (38, 72, 34), strict=True)]
        print()
        for measure, value, target, verdict in self.rows:
            print(f"{measure:<{widths[0]}}  {value:<{widths[1]}}  {target:<{widths[2]}}  {verdict}")


def build_rows(table: Table, run: Measured, *, files: int, what: str) -> None:
    summary = run.summary
    table.results[what] = {**asdict(run), "summary": summary, "stdout": run.stdout[:2000]}
    if run.returncode != 0:
        table.add(what, f"FAILED: exit {run.returncode}; see {run.stderr_path}")
        return
    inner = f"; build says {summary['seconds']:.2f} s" if summary else ""
    rate = files / run.seconds if run.seconds else 0.0
    if what == "cold build":
        value = f"{run.seconds:.2f} s wall, {rate:,.0f} files/s{inner}"
        table.add(what, value, f">= {COLD_MIN_FILES_S:,.0f} files/s", rate >= COLD_MIN_FILES_S)
    elif what == "rebuild, nothing changed":
        value = f"{run.seconds:.3f} s wall{inner}"
        table.add(what, value, f"<= {REBUILD_MAX_S} s", run.seconds <= REBUILD_MAX_S)
    else:
        value = f"{run.seconds:.3f} s wall{inner}"
        table.add(what, value, f"<= {ADD_MAX_S} s", run.seconds <= ADD_MAX_S)
    table.add(
        "  peak RSS",
        f"{run.rss_mb:.0f} MB largest process, {run.tree_rss_mb:.0f} MB process tree (sampled)",
        f"<= {RSS_MAX_MB:.0f} MB per process",
        run.rss_mb <= RSS_MAX_MB,
    )
    if summary:
        table.add(
            "  build's summary",
            f"{summary['files']:.0f} files ({summary['unchanged']:.0f} unchanged),"
            f" {summary['new']:.0f} new, {summary['updated']:.0f} updated,"
            f" {summary['known']:.0f} known, {summary['stories']:.0f} stories,"
            f" wrote {summary['written']:.0f}/{summary['feeds']:.0f} feeds,"
            f" skipped {summary['skipped']:.0f}",
        )


def run_seed_builds(args: argparse.Namespace, work: Path, table: Table) -> None:
    corpus: Path = args.corpus
    cli, logs, timeout = str(args.aggregator), work / "logs", args.timeout
    files, size = corpus_size(corpus / "seeds")
    table.add("corpus", f"{corpus}/seeds: {files} files, {size / 1e6:.0f} MB")
    table.results["corpus"] = {"path": str(corpus), "files": files, "bytes": size}
    config = write_config(work, corpus / "seeds")
    build = [cli, "build", "--config", str(config)]

    startup = run_measured([cli, "--version"], label="startup", logs=logs, timeout_s=120)
    table.add("CLI start-up (aggregator --version)", f"{startup.seconds:.3f} s")
    table.results["startup_s"] = startup.seconds

    cold = run_measured(build, label="cold", logs=logs, timeout_s=timeout)
    build_rows(table, cold, files=files, what="cold build")
    if cold.returncode != 0:
        return
    db = work / "state" / "aggregator.db"
    manifest = quality.load_manifest(corpus, sets=("seeds",))
    q = quality.evaluate(
        manifest,
        quality.read_store(db),
        canonical=quality.product_canonical(),
        examples=args.examples,
    )
    for name, value in quality.format_quality(q):
        if name.startswith("duplicate pairs ("):
            ok = q.duplicates.precision >= PRECISION_MIN and q.duplicates.recall >= RECALL_MIN
            table.add(name, value, f"P >= {PRECISION_MIN}, R >= {RECALL_MIN}", ok)
        else:
            table.add(name, value)
    table.results["quality"] = asdict(q)
    stories_after_cold = story_ids(db)

    before = feed_snapshot(work / "feeds")
    again = run_measured(build, label="rebuild", logs=logs, timeout_s=timeout)
    build_rows(table, again, files=files, what="rebuild, nothing changed")
    rewritten = changed(before, feed_snapshot(work / "feeds"))
    table.add("  feed files rewritten", str(rewritten), "0", rewritten == 0)
    table.results["rebuild_feeds_rewritten"] = rewritten

    added = add_extra_files(corpus, work, args.add)
    if added:
        before = feed_snapshot(work / "feeds")
        more = run_measured(build, label="add", logs=logs, timeout_s=timeout)
        build_rows(table, more, files=files + len(added), what=f"rebuild after adding {len(added)}")
        table.add("  feed files rewritten", str(changed(before, feed_snapshot(work / "feeds"))))
    else:
        table.add("rebuild after adding files", "skipped: no CORPUS_DIR/extra files")
    after = story_ids(db)
    moved = sum(after.get(url) != sid for url, sid in stories_after_cold.items())
    table.add("story ids changed by the rebuilds", str(moved), "0", moved == 0)
    table.results["story_ids_changed"] = moved
    for line in q.examples:
        print(line, file=sys.stderr)


def run_feeds(args: argparse.Namespace, work: Path, table: Table) -> None:
    corpus: Path = args.corpus
    feeds = feedbench.feed_files(corpus)
    if not feeds:
        table.add("live feeds", "skipped: no CORPUS_DIR/feeds (make_corpus.py --feeds 40)")
        return
    items = feedbench.count_items(corpus)
    logs, timeout = work / "logs", args.timeout
    table.add("live feeds", f"{len(feeds)} feeds, {items} items, served from 127.0.0.1")
    with feedbench.serve_folder(corpus / "feeds", conditional=not args.no_304) as base:
        urls = [base + path.name for path in feeds]
        helptext = subprocess.run(
            [str(args.aggregator), "build", "--help"], capture_output=True, text=True, timeout=120
        ).stdout
        if "--fetch" in helptext:
            fw = work / "feedrun"
            fw.mkdir()
            config = write_config(fw, corpus / "seeds", feed_urls=urls)
            argv = [str(args.aggregator), "build", "--fetch", "--config", str(config)]
            for label in ("feeds-cold", "feeds-again"):
                run = run_measured(argv, label=label, logs=logs, timeout_s=timeout)
                rate = items / run.seconds if run.seconds else 0.0
                ok = rate >= FEED_MIN_ITEMS_S if label == "feeds-cold" else None
                status = "" if run.returncode == 0 else f" FAILED exit {run.returncode}"
                table.add(
                    f"  aggregator {'first' if label == 'feeds-cold' else 'second'} poll",
                    f"{run.seconds:.2f} s, {rate:,.0f} items/s, {run.rss_mb:.0f} MB{status}",
                    f">= {FEED_MIN_ITEMS_S:,.0f} items/s" if ok is not None else "",
                    ok if not status else False,
                )
                table.results[label] = asdict(run)
        else:
            table.add("  aggregator", "skipped: `aggregator build` has no --fetch option yet")
        note = feedbench.reader_available(args.reader_python)
        if note is not None:
            table.add("  reader (lemon24)", note)
            return
        rdir = work / "reader"
        rdir.mkdir()
        argv = [str(args.reader_python), "-c", feedbench.READER_SCRIPT, str(rdir / "db.sqlite")]
        run = run_measured(argv + urls, label="reader", logs=logs, timeout_s=timeout)
        if run.returncode != 0:
            table.add("  reader (lemon24)", f"FAILED: exit {run.returncode}; see {run.stderr_path}")
            return
        result = feedbench.parse_reader_output(run.stdout)
        table.results["reader"] = {**result, "wall_s": run.seconds, "rss_mb": run.rss_mb}
        entries = result["entries"]
        table.add(
            f"  reader {result['version']} first poll",
            f"{result['cold_s']:.2f} s, {entries / result['cold_s']:,.0f} items/s"
            f" ({entries} entries), peak RSS {run.rss_mb:.0f} MB",
        )
        table.add(
            f"  reader {result['version']} second poll",
            f"{result['warm_s']:.2f} s ({entries / result['warm_s']:,.0f} items/s),"
            f" {result['not_modified']} of {len(urls)} feeds reported unchanged"
            + (f"; errors: {result['errors']}" if result["errors"] else ""),
        )


def compare_baseline(table: Table, path: Path) -> None:
    base = json.loads(path.read_text(encoding="utf-8"))
    now_cold, base_cold = table.results.get("cold build"), base.get("cold build")
    if not now_cold or not base_cold:
        table.add("baseline", f"{path}: no cold build to compare")
        return
    per_file = now_cold["seconds"] / table.results["corpus"]["files"]
    base_per_file = base_cold["seconds"] / base["corpus"]["files"]
    table.add(
        f"vs {path.name} ({base['corpus']['files']} files)",
        f"time per file x{per_file / base_per_file:.2f},"
        f" peak RSS x{now_cold['rss_mb'] / base_cold['rss_mb']:.2f}",
        "100k vs 10k: time x<=1.3; 100k vs 20k: RSS x<=1.5",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Benchmark `aggregator build` on a make_corpus.py corpus (issue 5).",
        epilog="Example: .venv/bin/python bench/run.py /tmp/c2k --workdir /tmp/w2k",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("corpus", type=Path, help="folder written by make_corpus.py")
    parser.add_argument(
        "--workdir", type=Path, help="work folder (emptied first); default: a new /tmp folder"
    )
    parser.add_argument("--profile", action="store_true", help="profile one cold build instead")
    parser.add_argument("--profile-out", type=Path, help="also dump the pstats file here")
    parser.add_argument("--top", type=int, default=25, help="functions listed by --profile")
    parser.add_argument("--add", type=int, default=10, help="files added for the add step")
    parser.add_argument("--aggregator", type=Path, default=default_cli(), help="the CLI")
    parser.add_argument("--reader-python", type=Path, help="interpreter that can import reader")
    parser.add_argument("--no-feeds", action="store_true", help="skip the live-feed part")
    parser.add_argument("--feeds-only", action="store_true", help="only the live-feed part")
    parser.add_argument(
        "--no-304", action="store_true", help="feed origin ignores conditional GET headers"
    )
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per subprocess")
    parser.add_argument("--examples", type=int, default=0, help="print this many dedup misses")
    parser.add_argument("--json", type=Path, help="write all results here as JSON")
    parser.add_argument("--baseline", type=Path, help="an earlier --json to compare scaling")
    args = parser.parse_args(argv)
    args.corpus = corpus = args.corpus.absolute()
    if not (corpus / "seeds").is_dir() or not (corpus / "manifest.jsonl").is_file():
        parser.error(f"{corpus} has no seeds/ and manifest.jsonl: run make_corpus.py first")
    work = prepare_workdir(args.workdir)
    print(f"[bench] workdir {work}", file=sys.stderr)

    if args.profile:
        import profiling

        config = write_config(work, corpus / "seeds")
        profiled = profiling.profile_build(config)
        print(profiling.report(profiled, top=args.top))
        if args.profile_out:
            profiling.dump(profiled, args.profile_out)
        return 0

    if not args.aggregator.exists():
        parser.error(f"no aggregator CLI at {args.aggregator}; pass --aggregator")
    compile_package()
    table = Table()
    if not args.feeds_only:
        run_seed_builds(args, work, table)
    if not args.no_feeds:
        run_feeds(args, work, table)
    if args.baseline:
        compare_baseline(table, args.baseline)
    table.print()
    if args.json:
        args.json.write_text(json.dumps(table.results, indent=2, default=str), encoding="utf-8")
        print(f"[bench] results written to {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
