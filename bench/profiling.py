"""Profile one cold build in-process and attribute its time to pipeline stages.

Used by `run.py --profile`. The build runs in this process under cProfile (the same
`aggregator.app.build(load_config(...))` the CLI calls), so worker processes, if the product
starts any, are not profiled: their time shows as the wait in the parent.

Stage of a function:
- its own, when it is defined in a stage module (STAGE_PATHS below: sources, normalize,
  clean, dedup, store, publish; `app` is the use-case glue in aggregator/app/);
- otherwise (libraries, builtins, shared helpers such as textfold) the stage of its callers.

Stage time is self time (cProfile "tottime") summed per stage, so stages add up to the build
total with nothing counted twice. A function without a stage of its own splits its self time
among its direct callers by what cProfile recorded per call edge, each caller giving its
own (or, recursively, its dominant caller's) stage: lxml called from clean counts as clean,
lxml called from normalize as normalize.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STAGE_PATHS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("sources", ("aggregator/sources/",)),
    ("normalize", ("aggregator/normalize/",)),
    ("clean", ("aggregator/clean/",)),
    ("dedup", ("aggregator/dedup/",)),
    ("store", ("aggregator/store/",)),
    ("publish", ("aggregator/publish/", "aggregator/app/publishing.py", "aggregator/topics.py")),
    ("app", ("aggregator/app/", "aggregator/cli.py")),
)
Func = tuple[str, int, str]


@dataclass(frozen=True)
class Profiled:
    stats: pstats.Stats
    seconds: float
    summary: str
    peak_rss_mb: float


def profile_build(config_path: Path) -> Profiled:
    """Run one build of `config_path` in this process under cProfile."""
    import resource

    from aggregator import app
    from aggregator.config import load_config

    try:
        from aggregator.log import setup_logging

        setup_logging(-1)  # errors only, as `aggregator -q build`
    except ImportError:
        pass
    cfg = load_config(config_path)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    result = app.build(cfg)
    profiler.disable()
    seconds = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return Profiled(pstats.Stats(profiler), seconds, result.summary(), rss)


def own_stage(func: Func) -> str | None:
    filename = func[0].replace("\\", "/")
    for stage, fragments in STAGE_PATHS:
        if any(fragment in filename for fragment in fragments):
            return stage
    return None


class StageMap:
    """Stage of every profiled function, own or inherited from its callers."""

    def __init__(self, stats: pstats.Stats) -> None:
        sys.setrecursionlimit(max(sys.getrecursionlimit(), 20_000))  # deep library call chains
        self.raw: dict[Func, Any] = stats.stats  # type: ignore[attr-defined]
        self._memo: dict[Func, str] = {}

    def stage(self, func: Func, visiting: frozenset[Func] = frozenset()) -> str:
        if func in self._memo:
            return self._memo[func]
        found = own_stage(func)
        if found is None:
            weights: dict[str, float] = defaultdict(float)
            callers = self.raw.get(func, (0, 0, 0, 0, {}))[4]
            for caller, edge in callers.items():
                if caller not in visiting:
                    weights[self.stage(caller, visiting | {func})] += edge[3]
            found = max(sorted(weights), key=lambda s: weights[s]) if weights else "other"
        # Cached even when a cycle was cut on the way: exact enough, and keeps this linear.
        self._memo[func] = found
        return found

    def stage_times(self) -> dict[str, float]:
        """Self time per stage; library self time split over its direct callers' stages."""
        times: dict[str, float] = defaultdict(float)
        for func, (_cc, _nc, tt, _ct, callers) in self.raw.items():
            if (stage := own_stage(func)) is not None or not callers:
                times[stage or "other"] += tt
                continue
            edge_total = sum(edge[2] for edge in callers.values())
            for caller, edge in callers.items():
                share = edge[2] if edge_total else tt / len(callers)
                times[self.stage(caller)] += share
            times["other"] += max(0.0, tt - edge_total) if edge_total else 0.0
        return dict(times)


def short_name(func: Func) -> str:
    filename, line, name = func
    if filename == "~":
        return name  # a builtin, e.g. <method 'execute' of 'sqlite3.Cursor' objects>
    path = filename.replace("\\", "/")
    for marker in ("site-packages/", "/lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    else:
        if "aggregator/" in path:
            path = "aggregator/" + path.split("aggregator/", 1)[1]
    return f"{path}:{line}({name})"


def report(profiled: Profiled, *, top: int = 25) -> str:
    """Stage table, then the `top` functions by cumulative and by self time."""
    stages = StageMap(profiled.stats)
    times = stages.stage_times()
    total = sum(times.values()) or 1.0
    lines = [
        f"profiled cold build: {profiled.seconds:.2f} s wall under cProfile"
        f" (cProfile inflates this), peak RSS {profiled.peak_rss_mb:.0f} MB",
        f"build summary: {profiled.summary.splitlines()[0] if profiled.summary else '-'}",
        "",
        "time by stage (self time of the stage's code and the libraries it calls):",
        f"  {'stage':10} {'seconds':>9} {'share':>7}  heaviest functions (self s)",
    ]
    by_stage: dict[str, list[tuple[float, Func]]] = defaultdict(list)
    for func, row in stages.raw.items():
        by_stage[stages.stage(func)].append((row[2], func))
    for stage in sorted(times, key=lambda s: -times[s]):
        heavy = sorted(by_stage[stage], key=lambda x: (-x[0], x[1]))[:3]
        names = "; ".join(f"{_brief(f)} {t:.1f}" for t, f in heavy)
        lines.append(f"  {stage:10} {times[stage]:9.2f} {times[stage] / total:7.1%}  {names}")
    for key, title in (("cumulative", "cumulative"), ("tottime", "total (self)")):
        index = 3 if key == "cumulative" else 2
        ranked = sorted(stages.raw.items(), key=lambda kv: (-kv[1][index], kv[0]))[:top]
        lines += ["", f"{top} slowest functions by {title} time:"]
        lines.append(f"  {'cum s':>8} {'self s':>8} {'calls':>9}  {'stage':9} function")
        for func, (_cc, nc, tt, ct, _callers) in ranked:
            lines.append(
                f"  {ct:8.2f} {tt:8.2f} {nc:9d}  {stages.stage(func):9} {short_name(func)}"
            )
    return "\n".join(lines)


def _brief(func: Func) -> str:
    name = short_name(func)
    return name if len(name) <= 60 else "..." + name[-57:]


def dump(profiled: Profiled, path: Path) -> None:
    profiled.stats.dump_stats(str(path))
    print(f"pstats written to {path} (python -m pstats {path})", file=sys.stderr)
