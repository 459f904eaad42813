"""Load and validate config.toml into frozen records.

The only module that reads the config file or the environment. It checks each table against
its dataclass: an unknown key, a wrong type, a missing required field, an unreadable file or
invalid TOML raises ConfigError naming the file and the dotted key. Relative paths resolve
against the config file's folder and durations become timedelta, once, here.
Defaults are the dataclass field defaults and match DESIGN.md. No business logic.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar, cast, get_args

from aggregator.errors import ConfigError

DEFAULT_CONFIG_NAME = "config.toml"
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
RESERVED_SLUGS = frozenset({"all", "index"})

SourceKind = Literal["seeds", "feed"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteConfig:
    title: str = "Aggregator"
    base_url: str = "http://127.0.0.1:8080/"
    author: str = "aggregator"


@dataclass(frozen=True, slots=True, kw_only=True)
class StorageConfig:
    path: Path = Path("state/aggregator.db")
    url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OutputConfig:
    dir: Path = Path("feeds")
    max_entries: int = 50


@dataclass(frozen=True, slots=True, kw_only=True)
class DedupConfig:
    window_hours: float = 72
    near_duplicate: float = 0.8
    story: float = 0.5

    @property
    def window(self) -> timedelta:
        return timedelta(hours=self.window_hours)


@dataclass(frozen=True, slots=True, kw_only=True)
class ServeConfig:
    host: str = "127.0.0.1"
    port: int = 8080


MAX_FEED_MB = 1024  # the largest `max_mb` a feed source may set


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceConfig:
    name: str
    kind: SourceKind
    path: Path | None = None
    url: str | None = None
    interval: timedelta = timedelta(minutes=30)
    timeout: timedelta = timedelta(seconds=20)  # a live feed's connect/read timeout
    max_mb: int = 5  # a live feed's largest accepted response, in MiB (decompressed)


@dataclass(frozen=True, slots=True, kw_only=True)
class TopicConfig:
    slug: str
    title: str
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    path: Path  # the config file (absolute)
    site: SiteConfig = field(default_factory=SiteConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    serve: ServeConfig = field(default_factory=ServeConfig)
    sources: tuple[SourceConfig, ...] = ()
    topics: tuple[TopicConfig, ...] = ()


DEFAULT_SEED_INTERVAL = timedelta(minutes=10)
DEFAULT_FEED_INTERVAL = timedelta(minutes=30)

T = TypeVar("T")


def load_config(path: Path | str) -> Config:
    """Read and validate the config file at `path`.

    Raises:
        ConfigError: unreadable file, invalid TOML, or a key that breaks the contract.
    """
    path = Path(path).absolute()
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(path, "", "no such file") from None
    except OSError as exc:
        raise ConfigError(path, "", f"cannot read: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "", f"invalid TOML: {exc}") from exc
    return config_from_dict(data, path=path)


def config_from_dict(data: dict[str, Any], *, path: Path) -> Config:
    """Validate parsed TOML; `path` names the file in errors and anchors relative paths."""
    base = path.parent
    _check_keys(
        data, {"site", "storage", "output", "dedup", "serve", "sources", "topics"}, "", path
    )
    site = _table(SiteConfig, data, "site", path)
    storage = _table(StorageConfig, data, "storage", path)
    output = _table(OutputConfig, data, "output", path)
    dedup = _table(DedupConfig, data, "dedup", path)
    serve = _table(ServeConfig, data, "serve", path)

    _check_site(site, path)
    _check_numbers(output, dedup, serve, path)
    storage = StorageConfig(path=_resolve(base, storage.path), url=storage.url)
    output = OutputConfig(dir=_resolve(base, output.dir), max_entries=output.max_entries)

    sources = tuple(
        _source(item, f"sources[{i}]", path, base)
        for i, item in enumerate(_array_of_tables(data, "sources", path))
    )
    _check_unique([s.name for s in sources], "sources", "name", path)
    topics = tuple(
        _topic(item, f"topics[{i}]", path)
        for i, item in enumerate(_array_of_tables(data, "topics", path))
    )
    _check_unique([t.slug for t in topics], "topics", "slug", path)
    return Config(
        path=path,
        site=site,
        storage=storage,
        output=output,
        dedup=dedup,
        serve=serve,
        sources=sources,
        topics=topics,
    )


def parse_duration(value: object) -> timedelta:
    """Turn "90s", "10m", "2h", "1d" (or a number of seconds) into a timedelta.

    Raises:
        ValueError: not a positive duration.
    """
    if isinstance(value, bool):
        raise ValueError(f'expected "10m"-style duration, got {value!r}')
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (m := DURATION_RE.match(value)):
        seconds = float(m.group(1)) * DURATION_UNITS[m.group(2)]
    else:
        raise ValueError(f'expected "10m"-style duration, got {_show(value)}')
    if seconds <= 0:
        raise ValueError(f"expected a positive duration, got {_show(value)}")
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """Render a timedelta the way parse_duration reads it, in the largest exact unit."""
    seconds = delta.total_seconds()
    for unit, size in sorted(DURATION_UNITS.items(), key=lambda kv: -kv[1]):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def _table(cls: type[T], data: dict[str, Any], name: str, path: Path) -> T:
    raw = data.get(name, {})
    if not isinstance(raw, dict):
        raise ConfigError(path, name, f"expected a table, got {_show(raw)}")
    return _build(cls, raw, name, path)


def _build(cls: type[T], raw: dict[str, Any], prefix: str, path: Path) -> T:
    """Construct dataclass `cls` from `raw`, checking key names and value types."""
    known = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]  # cls is a dataclass
    _check_keys(raw, set(known), prefix, path)
    values: dict[str, Any] = {}
    for key, value in raw.items():
        values[key] = _coerce(value, cast(Any, known[key].type), f"{prefix}.{key}", path)
    return cls(**values)


def _coerce(value: object, annotation: str, key: str, path: Path) -> object:
    """Check `value` against a field annotation written as a string (from __future__)."""
    kinds = [a.strip() for a in annotation.split("|")]
    if value is None:
        raise ConfigError(path, key, "must not be empty")
    for kind in kinds:
        if kind == "str" and isinstance(value, str):
            return value
        if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
            return value
        if kind == "float" and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if kind == "Path" and isinstance(value, str):
            return Path(value)
        if kind == "timedelta":
            try:
                return parse_duration(value)
            except ValueError as exc:
                raise ConfigError(path, key, str(exc)) from None
        if kind == "tuple[str, ...]":
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                return tuple(value)
            raise ConfigError(path, key, f"expected a list of strings, got {_show(value)}")
        if kind == "SourceKind" and value in get_args(SourceKind):
            return value
    raise ConfigError(path, key, f"expected {_describe(kinds)}, got {_show(value)}")


def _describe(kinds: list[str]) -> str:
    names = {
        "str": "a string",
        "int": "an integer",
        "float": "a number",
        "Path": "a path string",
        "SourceKind": " or ".join(f'"{k}"' for k in get_args(SourceKind)),
        "None": "nothing",
    }
    return " or ".join(names.get(k, k) for k in kinds if k != "None")


def _check_keys(raw: dict[str, Any], allowed: set[str], prefix: str, path: Path) -> None:
    for key in raw:
        if key not in allowed:
            dotted = f"{prefix}.{key}" if prefix else key
            raise ConfigError(
                path, dotted, f"unknown key (expected one of: {', '.join(sorted(allowed))})"
            )


def _array_of_tables(data: dict[str, Any], name: str, path: Path) -> list[dict[str, Any]]:
    raw = data.get(name, [])
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise ConfigError(path, name, f"expected [[{name}]] tables, got {_show(raw)}")
    return raw


def _source(raw: dict[str, Any], key: str, path: Path, base: Path) -> SourceConfig:
    for required in ("name", "kind"):
        if required not in raw:
            raise ConfigError(path, f"{key}.{required}", "missing required field")
    if "interval" not in raw:
        default = DEFAULT_SEED_INTERVAL if raw.get("kind") == "seeds" else DEFAULT_FEED_INTERVAL
        raw = {**raw, "interval": f"{int(default.total_seconds())}s"}
    source = _build(SourceConfig, raw, key, path)
    if not source.name.strip():
        raise ConfigError(path, f"{key}.name", "must not be empty")
    if source.kind == "seeds":
        for feed_only in ("url", "timeout", "max_mb"):
            if feed_only in raw:
                raise ConfigError(
                    path, f"{key}.{feed_only}", f'only a kind = "feed" source has a {feed_only}'
                )
        folder = source.path if source.path is not None else Path("seeds")
        return SourceConfig(
            name=source.name, kind="seeds", path=_resolve(base, folder), interval=source.interval
        )
    if source.url is None:
        raise ConfigError(path, f"{key}.url", 'missing required field for kind = "feed"')
    if not source.url.startswith(("http://", "https://")):
        raise ConfigError(path, f"{key}.url", f"expected an http(s) URL, got {source.url!r}")
    if source.path is not None:
        raise ConfigError(path, f"{key}.path", 'only a kind = "seeds" source has a path')
    if not 1 <= source.max_mb <= MAX_FEED_MB:
        raise ConfigError(
            path, f"{key}.max_mb", f"expected 1 to {MAX_FEED_MB}, got {source.max_mb}"
        )
    return source


def _topic(raw: dict[str, Any], key: str, path: Path) -> TopicConfig:
    for required in ("slug", "title"):
        if required not in raw:
            raise ConfigError(path, f"{key}.{required}", "missing required field")
    topic = _build(TopicConfig, raw, key, path)
    if not SLUG_RE.match(topic.slug):
        raise ConfigError(
            path, f"{key}.slug", f"expected lower-case letters, digits, - or _, got {topic.slug!r}"
        )
    if topic.slug in RESERVED_SLUGS:
        raise ConfigError(path, f"{key}.slug", f"{topic.slug!r} is reserved")
    for list_key in ("include", "exclude"):
        if any(not word.strip() for word in getattr(topic, list_key)):
            raise ConfigError(path, f"{key}.{list_key}", "keywords must not be empty")
    return topic


def _check_site(site: SiteConfig, path: Path) -> None:
    if not site.base_url.startswith(("http://", "https://")):
        raise ConfigError(path, "site.base_url", f"expected an http(s) URL, got {site.base_url!r}")


def _check_numbers(
    output: OutputConfig, dedup: DedupConfig, serve: ServeConfig, path: Path
) -> None:
    if output.max_entries < 1:
        raise ConfigError(
            path, "output.max_entries", f"expected at least 1, got {output.max_entries}"
        )
    if dedup.window_hours <= 0:
        raise ConfigError(path, "dedup.window_hours", f"expected > 0, got {dedup.window_hours:g}")
    for key, value in (("near_duplicate", dedup.near_duplicate), ("story", dedup.story)):
        if not 0.0 <= value <= 1.0:
            raise ConfigError(path, f"dedup.{key}", f"expected a number in 0..1, got {value:g}")
    if not 0 <= serve.port <= 65535:
        raise ConfigError(path, "serve.port", f"expected a port 0..65535, got {serve.port}")


def _check_unique(values: list[str], table: str, key: str, path: Path) -> None:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            raise ConfigError(path, f"{table}[{i}].{key}", f"duplicate {key} {value!r}")
        seen.add(value)


def _resolve(base: Path, value: Path) -> Path:
    value = value.expanduser()
    return value if value.is_absolute() else base / value


def _show(value: object) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return repr(value)
