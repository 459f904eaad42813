"""Profile one cold build in-process and attribute its time to pipeline stages.

Used by `run.py --profile`. The build runs in this process under cProfile (the same
`aggregator.app.build(load_config(...))` the CLI calls), so worker processes, if the product
starts any, are not profiled: their time shows as the wait in the parent.

Stage of a function:
- its own, when it is defined in a stage module (STAGE_PATHS below: sources, normalize,
  clean, dedup, store, publish; `app` is the use-case glue in aggregator/app/);
- otherwise (libraries, builtins, shared helpers such as textfold) a mix of its callers'
  stages, weighted by the cumulative time each caller spent in it, propagated until it
  settles (so lxml's parser, called by both normalize and clean, is split between them).

Stage time is self time (cProfile "tottime") summed per stage, so stages add up to the build
total with nothing counted twice: stage code keeps its own self time; a library function's
self time is split by what cProfile recorded per direct call edge, each caller's share going
by that caller's mix. The function lists show a function's main stage, "a/b" when a second
stage takes 20% or more.
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
    """For every profiled function, how its time divides among the stages."""

    MAX_PASSES = 100
    SETTLED = 1e-4

    def __init__(self, stats: pstats.Stats) -> None:
        self.raw: dict[Func, Any] = stats.stats  # type: ignore[attr-defined]
        self.shares = self._propagate()

    def _propagate(self) -> dict[Func, dict[str, float]]:
        """Own stage for stage code; for the rest, the mix of its callers' stages by time.

        A library function called for 6 s from clean and 4 s from normalize is 60% clean;
        repeated until the mixes settle, so call cycles (bs4 recursing through several
        functions) take the mix that reaches them from outside.
        """
        shares: dict[Func, dict[str, float]] = {
            f: {stage: 1.0} for f in self.raw if (stage := own_stage(f)) is not None
        }
        for _ in range(self.MAX_PASSES):
            moved = 0.0
            for func, row in self.raw.items():
                if own_stage(func) is not None:
                    continue
                mix: dict[str, float] = defaultdict(float)
                for caller, edge in row[4].items():
                    if caller != func and caller in shares:
                        for stage, part in shares[caller].items():
                            mix[stage] += edge[3] * part
                total = sum(mix.values())
                if not total:
                    continue
                new = {stage: value / total for stage, value in mix.items()}
                old = shares.get(func, {})
                moved = max(moved, *(abs(new.get(k, 0) - old.get(k, 0)) for k in new | old))
                shares[func] = new
            if moved < self.SETTLED:
                break
        return shares

    def stage(self, func: Func) -> str:
        """The stage a function mostly serves; "a/b" when a second one takes >= 20%."""
        mix = sorted(self.shares.get(func, {"other": 1.0}).items(), key=lambda kv: -kv[1])
        if len(mix) > 1 and mix[1][1] >= 0.2:
            return f"{mix[0][0]}/{mix[1][0]}"
        return mix[0][0]

    def stage_times(self) -> dict[str, float]:
        """Self time per stage: stage code's own, and library time by who called it."""
        times: dict[str, float] = defaultdict(float)
        for func, (_cc, _nc, tt, _ct, callers) in self.raw.items():
            if (stage := own_stage(func)) is not None:
                times[stage] += tt
                continue
            # cProfile records self time per call edge: split by the direct callers' mixes.
            edge_total = 0.0
            for caller, edge in callers.items():
                mix = self.shares.get(caller if caller != func else func, {"other": 1.0})
                for name, part in mix.items():
                    times[name] += edge[2] * part
                edge_total += edge[2]
            for name, part in self.shares.get(func, {"other": 1.0}).items():
                times[name] += max(0.0, tt - edge_total) * part
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
        for stage, part in stages.shares.get(func, {"other": 1.0}).items():
            by_stage[stage].append((row[2] * part, func))
    for stage in sorted(times, key=lambda s: -times[s]):
        heavy = sorted(by_stage[stage], key=lambda x: (-x[0], x[1]))[:3]
        names = "; ".join(f"{_brief(f)} {t:.1f}" for t, f in heavy)
        lines.append(f"  {stage:10} {times[stage]:9.2f} {times[stage] / total:7.1%}  {names}")
    for key, title in (("cumulative", "cumulative"), ("tottime", "total (self)")):
        index = 3 if key == "cumulative" else 2
        ranked = sorted(stages.raw.items(), key=lambda kv: (-kv[1][index], kv[0]))[:top]
        lines += ["", f"{top} slowest functions by {title} time:"]
        lines.append(f"  {'cum s':>8} {'self s':>8} {'calls':>9}  {'stage':16} function")
        for func, (_cc, nc, tt, ct, _callers) in ranked:
            lines.append(
                f"  {ct:8.2f} {tt:8.2f} {nc:9d}  {stages.stage(func):16} {short_name(func)}"
            )
    return "\n".join(lines)


def _brief(func: Func) -> str:
    name = short_name(func)
    return name if len(name) <= 60 else "..." + name[-57:]


def dump(profiled: Profiled, path: Path) -> None:
    profiled.stats.dump_stats(str(path))
    print(f"pstats written to {path} (python -m pstats {path})", file=sys.stderr)
