"""Load test of the daemon's HTTP server (issue 6): many readers while sources fail and feeds
are rebuilt, then slow clients (slowloris) alongside them. Not part of the test suite.

What it does, all on 127.0.0.1:

- a work folder (default: a new one under /tmp) with the five sample seeds, a config whose
  sources poll every second: the seed folder, one live feed that changes every few seconds,
  and failing live feeds (HTTP 500, a body that is no feed, a server slower than the timeout,
  a body past the size cap), all served by a small local origin in this process;
- the real daemon, `python -m aggregator run`, in a subprocess (its URL read from stdout);
- READERS concurrent readers (one httpx.AsyncClient each, so one keep-alive connection each)
  sending a mix of plain GETs, conditional GETs (If-None-Match with the last ETag that reader
  saw for that file), gzip GETs and HEADs, until REQUESTS requests or DURATION seconds;
- meanwhile a new seed file is dropped into seeds/ every DROP_EVERY seconds, and the live
  feed changes, so the daemon rebuilds feeds under load;
- for SLOW_PHASE seconds in the middle, SLOWLORIS extra clients connect and send a request
  head one byte at a time, never finishing it; the readers' requests during that window are
  reported separately.

Every answer is checked: 200 or (conditional only) 304, an Atom content type, a complete
feed (a GET's body ends with `</feed>`), `Content-Encoding: gzip` when asked, no body on HEAD.
A request that fails, times out or gets anything else counts as an error; the exit status is
1 if there was any. Printed: requests, concurrency, errors, status mix, latency p50/p90/p99/max
(overall and during the slowloris phase), requests per second, and what the daemon did
(rebuilds seen by the readers, failing sources in /healthz).

    .venv/bin/python bench/load.py                      # 200 readers, 20,000 requests
    .venv/bin/python bench/load.py --readers 50 --requests 2000 --duration 30
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "seeds"
PATHS = (("all.atom", 50), ("korea.atom", 20), ("russia.atom", 10), ("index.html", 10),
         ("index.opml", 10))  # fmt: skip
KINDS = (("get", 35), ("conditional", 25), ("gzip", 25), ("head", 15))
ATOM_TYPE = "application/atom+xml"
REQUEST_TIMEOUT_S = 15.0
START_TIMEOUT_S = 60.0
GOOD_FEED_CHANGE_S = 3.0
SLOW_BYTE_EVERY_S = 1.0


# --- the local origin: one changing good feed and the failing ones -----------------------------


class Origin:
    """A ThreadingHTTPServer on 127.0.0.1 serving the live sources of the load test."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.requests: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def good_feed(self) -> bytes:
        """An RSS feed whose newest item changes every GOOD_FEED_CHANGE_S seconds."""
        step = int((time.monotonic() - self.started) / GOOD_FEED_CHANGE_S)
        items = []
        for n in range(max(0, step - 4), step + 1):
            when = datetime(2023, 9, 12, 8, tzinfo=UTC) + timedelta(minutes=n)
            items.append(
                f"<item><title>Live report {n} on North Korea and Russia</title>"
                f"<link>https://live.example/report/{n}</link><guid>live-{n}</guid>"
                f"<pubDate>{format_datetime(when)}</pubDate><description>&lt;p&gt;Report {n}:"
                f" officials in Pyongyang and Moscow met again, round {n}.&lt;/p&gt;"
                "</description></item>"
            )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Live</title><link>https://live.example/</link>{''.join(items)}"
            "</channel></rss>"
        ).encode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        origin = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 10

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                with origin.lock:
                    origin.requests[self.path] += 1
                if self.path == "/good.rss":
                    self._send(200, origin.good_feed(), "application/rss+xml")
                elif self.path == "/error":
                    self._send(500, b"internal error", "text/plain")
                elif self.path == "/garbage":
                    self._send(200, b"\x00\x01<<<not a feed>>>", "text/xml")
                elif self.path == "/slow":
                    time.sleep(3)  # the source's timeout is 1 s
                    self._send(503, b"too late", "text/plain")
                elif self.path == "/huge":
                    self._send(200, b"<rss>" + b" " * (6 * 1024 * 1024) + b"</rss>", "text/xml")
                else:
                    self._send(404, b"not found", "text/plain")

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the daemon hung up (timeout, size cap): that is the point

        return Handler

    @contextmanager
    def serving(self) -> Iterator[Origin]:
        self.thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()


# --- the daemon ---------------------------------------------------------------------------------

FAILING = {"broken": "/error", "garbage": "/garbage", "slow": "/slow", "huge": "/huge"}


def write_site(root: Path, origin: Origin) -> None:
    (root / "seeds").mkdir(parents=True)
    for sample in sorted(SAMPLES.iterdir()):
        if sample.is_file() and not sample.name.startswith("."):
            shutil.copy(sample, root / "seeds" / sample.name)
    feeds = "".join(
        f'[[sources]]\nname = "{name}"\nkind = "feed"\nurl = "{origin.url(path)}"\n'
        'interval = "1s"\ntimeout = "1s"\n\n'
        for name, path in {"live": "/good.rss", **FAILING}.items()
    )
    (root / "config.toml").write_text(
        '[site]\nbase_url = "http://127.0.0.1:8080/"\n'
        '[storage]\npath = "state/agg.db"\n[output]\ndir = "feeds"\n'
        '[serve]\nhost = "127.0.0.1"\nport = 0\n\n'
        '[[sources]]\nname = "seeds"\nkind = "seeds"\npath = "seeds"\ninterval = "1s"\n\n'
        + feeds
        + '[[topics]]\nslug = "korea"\ntitle = "Korea"\n'
        'include = ["朝鲜", "金正恩", "North Korea"]\n'
        '[[topics]]\nslug = "russia"\ntitle = "Russia"\ninclude = ["俄罗斯", "普京", "Russia"]\n',
        encoding="utf-8",
    )


@contextmanager
def daemon(root: Path) -> Iterator[str]:
    """Run `aggregator run` in `root`; yield its base URL; SIGTERM it at the end."""
    log = (root / "daemon.log").open("w", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "aggregator", "run", "--config", "config.toml"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"serving (http://\S+/)", line)
        if not match:
            raise SystemExit(f"the daemon did not start: see {root / 'daemon.log'}")
        yield match.group(1)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        log.close()


def drop_seed(seeds: Path, number: int) -> None:
    """A new article in seeds/: a sample page under a new URL and title (forces a rebuild)."""
    samples = sorted(p for p in SAMPLES.iterdir() if p.is_file() and p.name.endswith(".txt"))
    text = samples[number % len(samples)].read_text(encoding="utf-8")
    text = re.sub(
        r"^\[(.*)\]\((\S+)\)$",
        lambda m: f"[{m.group(1)} (load {number})](https://load.example/{number})",
        text,
        count=1,
        flags=re.MULTILINE,
    )
    text = re.sub(r"(原文链接（需翻墙）：)\S+", rf"\g<1>https://load.example/{number}", text)
    text = re.sub(r"^### (.*)$", rf"### \1 (load {number})", text, count=1, flags=re.MULTILINE)
    temp = seeds / f".drop-{number}.tmp"  # hidden while written: the daemon skips it
    temp.write_text(text, encoding="utf-8")
    temp.rename(seeds / f"load-{number:04d}.txt")


# --- the readers --------------------------------------------------------------------------------


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    slow_phase_latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    etags_seen: set[str] = field(default_factory=set)
    sent: int = 0
    slowest: tuple[float, float, str] = (0.0, 0.0, "")  # seconds, started at (s into the run), what


@dataclass
class Plan:
    started: float
    requests: int
    deadline: float
    slow_start: float
    slow_end: float


def check(kind: str, path: str, response: httpx.Response) -> str | None:
    """What is wrong with an answer, or None."""
    status = response.status_code
    if status == 304:
        return None if kind == "conditional" else "304 to an unconditional request"
    if status != 200:
        return f"HTTP {status}"
    if "etag" not in response.headers:
        return "no ETag"
    if path.endswith(".atom") and not response.headers.get("content-type", "").startswith(
        ATOM_TYPE
    ):
        return f"content type {response.headers.get('content-type')!r}"
    if kind == "head":
        return "a body on HEAD" if response.content else None
    if kind == "gzip" and response.headers.get("content-encoding") != "gzip":
        return "not gzipped"
    if kind == "get" and "content-encoding" in response.headers:
        return "compressed without being asked"
    if path.endswith(".atom") and not response.content.rstrip().endswith(b"</feed>"):
        return "an incomplete feed"
    return None


async def reader(
    number: int, client: httpx.AsyncClient, plan: Plan, stats: Stats, rng: random.Random
) -> None:
    etags: dict[str, str] = {}
    paths, path_weights = [p for p, _ in PATHS], [w for _, w in PATHS]
    kinds, kind_weights = [k for k, _ in KINDS], [w for _, w in KINDS]
    while stats.sent < plan.requests and time.monotonic() < plan.deadline:
        stats.sent += 1
        path = rng.choices(paths, path_weights)[0]
        kind = rng.choices(kinds, kind_weights)[0]
        headers = {"Accept-Encoding": "gzip" if kind == "gzip" else "identity"}
        if kind == "conditional" and path in etags:
            headers["If-None-Match"] = etags[path]
        method = "HEAD" if kind == "head" else "GET"
        started = time.monotonic()
        try:
            response = await client.request(method, path, headers=headers)
            problem = check(kind, path, response)
        except httpx.HTTPError as exc:
            response, problem = None, f"{type(exc).__name__}: {exc}"
        elapsed = time.monotonic() - started
        stats.latencies.append(elapsed)
        if elapsed > stats.slowest[0]:
            stats.slowest = (elapsed, started - plan.started, f"{method} {path} ({kind})")
        if plan.slow_start <= started and started + elapsed <= plan.slow_end:
            stats.slow_phase_latencies.append(elapsed)
        if problem is not None:
            stats.errors.append(f"reader {number}: {method} {path} ({kind}): {problem}")
            stats.statuses["error"] += 1
            continue
        assert response is not None
        stats.statuses[f"{kind} {response.status_code}"] += 1
        if response.status_code == 200 and kind in ("get", "conditional"):
            etags[path] = response.headers["etag"]
            if path == "all.atom":
                stats.etags_seen.add(response.headers["etag"])


async def slowloris(host: str, port: int, plan: Plan, opened: list[int], closed: list[int]) -> None:
    """Connect, then send a request head one byte a second, never ending it."""
    await asyncio.sleep(max(0.0, plan.slow_start - time.monotonic()))
    try:
        reader_, writer = await asyncio.open_connection(host, port)
    except OSError:
        return
    opened.append(1)
    head = b"GET /all.atom HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 10_000
    try:
        for byte in head:
            if time.monotonic() >= plan.slow_end:
                break
            writer.write(bytes([byte]))
            await writer.drain()
            try:  # did the server hang up? (EOF within one byte's pause)
                if await asyncio.wait_for(reader_.read(1024), SLOW_BYTE_EVERY_S) == b"":
                    closed.append(1)
                    return
            except TimeoutError:
                pass
    except OSError:
        closed.append(1)
    finally:
        writer.close()


async def dropper(seeds: Path, plan: Plan, every_s: float, dropped: list[int]) -> None:
    number = 0
    while time.monotonic() < plan.deadline:
        await asyncio.sleep(every_s)
        number += 1
        await asyncio.to_thread(drop_seed, seeds, number)
        dropped.append(number)


@dataclass(frozen=True)
class Run:
    seconds: float  # from the first reader's start to the last one's end
    dropped: int  # seed files dropped during the run
    slow_opened: int  # slowloris connections that got connected
    slow_closed: int  # ... and that the server closed before the phase ended


async def load(args: argparse.Namespace, base: str, seeds: Path) -> tuple[Stats, Run]:
    # Clients first: each builds an SSL context (~15 ms of CPU), which would otherwise stall
    # the event loop, and so the first requests' timers, while 200 readers start.
    clients = [
        httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT_S) for _ in range(args.readers)
    ]
    try:
        return await _load(args, base, seeds, clients)
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))


async def _load(
    args: argparse.Namespace, base: str, seeds: Path, clients: list[httpx.AsyncClient]
) -> tuple[Stats, Run]:
    stats = Stats()
    now = time.monotonic()
    plan = Plan(
        started=now,
        requests=args.requests,
        deadline=now + args.duration,
        slow_start=now + args.slow_after,
        slow_end=now + args.slow_after + args.slow_phase,
    )
    host, port = httpx.URL(base).host, httpx.URL(base).port or 80
    rng = random.Random(args.seed)
    opened: list[int] = []
    closed: list[int] = []
    dropped: list[int] = []
    drop = asyncio.create_task(dropper(seeds, plan, args.drop_every, dropped))
    slow = [
        asyncio.create_task(slowloris(host, port, plan, opened, closed))
        for _ in range(args.slowloris)
    ]
    readers = [
        reader(n, client, plan, stats, random.Random(rng.random()))
        for n, client in enumerate(clients)
    ]
    started = time.monotonic()
    await asyncio.gather(*readers)
    seconds = time.monotonic() - started
    drop.cancel()
    for task in slow:
        task.cancel()
    await asyncio.gather(drop, *slow, return_exceptions=True)
    return stats, Run(seconds, len(dropped), len(opened), len(closed))


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def milliseconds(values: list[float]) -> str:
    return (
        f"p50 {percentile(values, 0.5) * 1000:.1f} ms, p90 {percentile(values, 0.9) * 1000:.1f} ms,"
        f" p99 {percentile(values, 0.99) * 1000:.1f} ms, max {max(values, default=0) * 1000:.1f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readers", type=int, default=200, help="concurrent readers (200)")
    parser.add_argument("--requests", type=int, default=20_000, help="total requests (20,000)")
    parser.add_argument("--duration", type=float, default=120.0, help="time limit, s (120)")
    parser.add_argument("--slowloris", type=int, default=50, help="slow clients (50)")
    parser.add_argument("--slow-after", type=float, default=5.0, help="slow phase start, s (5)")
    parser.add_argument("--slow-phase", type=float, default=15.0, help="slow phase length, s")
    parser.add_argument("--drop-every", type=float, default=2.0, help="new seed every N s (2)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    parser.add_argument("--workdir", type=Path, help="work folder (default: a new /tmp one)")
    args = parser.parse_args(argv)
    root = args.workdir or Path(tempfile.mkdtemp(prefix="agg-load-"))
    origin = Origin()
    with origin.serving():
        write_site(root, origin)
        with daemon(root) as base:
            wait_for_feeds(base)
            stats, run = asyncio.run(load(args, base, root / "seeds"))
            health = httpx.get(base + "healthz", timeout=10).json()
    return report(args, root, stats, run, health, origin)


def wait_for_feeds(base: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "all.atom", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the daemon published no all.atom in time")


def report(
    args: argparse.Namespace,
    root: Path,
    stats: Stats,
    run: Run,
    health: dict[str, object],
    origin: Origin,
) -> int:
    """Print the figures; 1 if any request failed."""
    seconds = run.seconds
    done = len(stats.latencies)
    sources = health.get("sources", {})
    assert isinstance(sources, dict)
    failing = sorted(name for name, s in sources.items() if s.get("last_error"))
    print(f"work folder: {root}")
    print(f"requests: {done} in {seconds:.1f} s = {done / seconds:.0f} req/s")
    print(f"concurrency: {args.readers} readers (+ {args.slowloris} slowloris clients)")
    print(f"errors: {len(stats.errors)}")
    for line in stats.errors[:10]:
        print(f"  {line}")
    print("status mix: " + ", ".join(f"{k} x{v}" for k, v in sorted(stats.statuses.items())))
    print(f"latency: {milliseconds(stats.latencies)}")
    worst, at, what = stats.slowest
    print(f"slowest: {worst * 1000:.0f} ms, {what}, started {at:.1f} s into the run")
    slow = stats.slow_phase_latencies
    print(
        f"during slowloris ({args.slow_phase:g} s, {run.slow_opened} connections open,"
        f" {run.slow_closed} closed by the server): {len(slow)} requests,"
        f" {milliseconds(slow)}"
    )
    print(
        f"rebuilds under load: {run.dropped} seed files dropped,"
        f" {len(stats.etags_seen)} versions of all.atom served; origin polls:"
        f" {json.dumps(dict(sorted(origin.requests.items())))}"
    )
    print(f"failing sources in /healthz: {', '.join(failing) or 'none'}")
    return 1 if stats.errors else 0


if __name__ == "__main__":
    sys.exit(main())
