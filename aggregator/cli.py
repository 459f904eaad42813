"""Command line: parse arguments, load config, call one app function, map errors to exit codes.

Exit codes: 0 done (skipped inputs are reported, not fatal); 1 an AggregatorError stopped the
run; 2 usage or config error. Results go to stdout; logs, progress and errors to stderr.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from aggregator import __version__
from aggregator.config import Config, load_config
from aggregator.errors import AggregatorError, ConfigError
from aggregator.log import setup_logging

if TYPE_CHECKING:
    from aggregator import app

PROGRESS_EVERY_S = 2.0  # without a terminal, one progress line this often


class CliError(click.ClickException):
    """An AggregatorError that stopped the run: exit status 1."""

    exit_code = 1


class CliConfigError(CliError):
    """A bad config file: exit status 2, like any usage error."""

    exit_code = 2


@contextmanager
def errors_as_exit_codes() -> Iterator[None]:
    try:
        yield
    except ConfigError as exc:
        raise CliConfigError(str(exc)) from exc
    except AggregatorError as exc:
        raise CliError(str(exc)) from exc


config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("config.toml"),
    show_default=True,
    help="Config file; relative paths in it resolve against its folder.",
)


def _load(config_path: Path) -> Config:
    with errors_as_exit_codes():
        return load_config(config_path)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="aggregator")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
def cli(verbose: int, quiet: bool) -> None:
    """Aggregate news articles into one clean, deduplicated Atom feed per topic.

    Example: aggregator build --config config.toml
    """
    setup_logging(-1 if quiet else verbose)


@cli.command()
@config_option
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=0),
    default=0,
    help="Worker processes that read and clean changed files; 0 (default) is one per core.",
)
@click.option(
    "--fetch",
    is_flag=True,
    help="Also poll every live feed source once (conditional GET), as `run` would.",
)
def build(config_path: Path, jobs: int, fetch: bool) -> None:
    """Ingest seeds, group articles into stories, write feeds/ once, then exit.

    Only new or changed seed files are read, and only feeds whose entries changed are written.

    Example: aggregator build --config config.toml --jobs 2
    """
    from aggregator import app  # each command imports what it runs: --help and --version none

    cfg = _load(config_path)
    workers = jobs or os.cpu_count() or 1
    with errors_as_exit_codes(), progress_reporter(sys.stderr) as progress:
        result = app.build(cfg, jobs=workers, fetch=fetch, phases=progress)
    click.echo(result.summary())


@cli.command()
@config_option
def check(config_path: Path) -> None:
    """Validate the config file and report what a build would read and write.

    Example: aggregator check --config config.toml
    """
    from aggregator import app

    cfg = _load(config_path)
    problems = app.check(cfg)
    click.echo(f"{cfg.path}: ok: {len(cfg.sources)} sources, {len(cfg.topics)} topics")
    click.echo(f"store: {cfg.storage.path}")
    click.echo(f"feeds: {cfg.output.dir}")
    for problem in problems:
        click.echo(f"warning: {problem}", err=True)


@cli.command()
@config_option
@click.option("--all", "show_all", is_flag=True, help="Also list single-article stories.")
def stories(config_path: Path, show_all: bool) -> None:
    """Show each story with its articles and why they were merged (dedup scores).

    Use it to tune [dedup] thresholds. Example: aggregator stories --all
    """
    from aggregator import app

    cfg = _load(config_path)
    with errors_as_exit_codes():
        listing = app.describe_stories(cfg, show_all=show_all)
    click.echo(listing)


@cli.command()
@config_option
def run(config_path: Path) -> None:
    """Poll sources on their intervals and serve feeds/ over HTTP until stopped.

    SIGTERM or Ctrl-C stops it cleanly. Example: aggregator run --config config.toml
    """
    from aggregator.daemon.service import run_daemon

    cfg = _load(config_path)

    def announce(url: str) -> None:
        click.echo(f"serving {url} (feeds from {cfg.output.dir}); subscribe to {url}all.atom")
        sys.stdout.flush()

    with errors_as_exit_codes():
        status = run_daemon(cfg, on_ready=announce)
    sys.exit(status)


@cli.command()
@config_option
def status(config_path: Path) -> None:
    """Show each source's last success, last error, next poll and backoff, and each feed.

    Example: aggregator status
    """
    from aggregator.app.live import status_report

    cfg = _load(config_path)
    with errors_as_exit_codes():
        click.echo(status_report(cfg))


@contextmanager
def progress_reporter(stream: TextIO) -> Iterator[app.Phases]:
    """Progress per phase ("reading files", "deciding stories"): a bar each on a terminal,
    a line every few seconds otherwise."""
    if not stream.isatty():
        yield lambda label: _periodic_lines(stream, label)
        return
    bars: list[Any] = []

    def phase(label: str) -> app.Progress:
        bar: Any = None

        def update(done: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                for previous in bars:  # a new phase has begun: finish the last bar
                    previous.__exit__(None, None, None)
                bars.clear()
                bar = click.progressbar(length=total, label=label, file=stream)
                bar.__enter__()
                bars.append(bar)
            bar.update(done - bar.pos)  # called per batch, with the running count

        return update

    try:
        yield phase
    finally:
        for bar in bars:
            bar.__exit__(None, None, None)


def _periodic_lines(stream: TextIO, label: str) -> app.Progress:
    last = time.monotonic()

    def report(done: int, total: int) -> None:
        nonlocal last
        if time.monotonic() - last >= PROGRESS_EVERY_S or (done == total and total >= 1000):
            last = time.monotonic()
            print(f"progress: {label} {done}/{total}", file=stream, flush=True)

    return report


def main() -> None:
    cli(prog_name="aggregator")
