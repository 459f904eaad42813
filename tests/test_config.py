"""config.toml loading: defaults, relative paths, and one clear error per bad key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aggregator.config import format_duration, load_config, parse_duration
from aggregator.errors import ConfigError
from tests.conftest import ROOT


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


class TestDefaults:
    def test_empty_file_gives_design_defaults(self, tmp_path: Path) -> None:
        """Every key has the DESIGN.md default; paths resolve against the config's folder."""
        cfg = load_config(write(tmp_path, ""))
        assert cfg.site.title == "Aggregator"
        assert cfg.site.base_url == "http://127.0.0.1:8080/"
        assert cfg.storage.path == tmp_path / "state" / "aggregator.db"
        assert cfg.output.dir == tmp_path / "feeds"
        assert cfg.output.max_entries == 50
        assert (cfg.dedup.window_hours, cfg.dedup.near_duplicate, cfg.dedup.story) == (72, 0.8, 0.5)
        assert (cfg.serve.host, cfg.serve.port) == ("127.0.0.1", 8080)
        assert cfg.sources == () and cfg.topics == ()

    def test_bundled_config_loads(self) -> None:
        """The repository's config.toml is valid and reads the bundled seeds folder."""
        cfg = load_config(ROOT / "config.toml")
        assert [s.path for s in cfg.sources if s.kind == "seeds"] == [ROOT / "seeds"]
        assert cfg.topics

    def test_source_defaults(self, tmp_path: Path) -> None:
        """A seeds source defaults to ./seeds every 10 minutes; a feed polls every 30."""
        cfg = load_config(
            write(
                tmp_path,
                '[[sources]]\nname = "s"\nkind = "seeds"\n'
                '[[sources]]\nname = "f"\nkind = "feed"\nurl = "https://example.org/f.xml"\n',
            )
        )
        seeds, feed = cfg.sources
        assert seeds.path == tmp_path / "seeds" and seeds.interval == timedelta(minutes=10)
        assert feed.url == "https://example.org/f.xml" and feed.interval == timedelta(minutes=30)
        assert feed.timeout == timedelta(seconds=20)

    def test_absolute_paths_kept(self, tmp_path: Path) -> None:
        """An absolute storage path is used as given."""
        cfg = load_config(write(tmp_path, f'[storage]\npath = "{tmp_path / "x.db"}"\n'))
        assert cfg.storage.path == tmp_path / "x.db"


BAD_CONFIGS = [
    ('[output]\nmax_entries = "many"\n', "output.max_entries", 'expected an integer, got "many"'),
    ("[site]\ncolour = 1\n", "site.colour", "unknown key"),
    ("[weather]\n", "weather", "unknown key"),
    ("[dedup]\nstory = 1.5\n", "dedup.story", "0..1"),
    ("[dedup]\nwindow_hours = true\n", "dedup.window_hours", "expected a number"),
    ('[[sources]]\nkind = "seeds"\n', "sources[0].name", "missing required field"),
    ('[[sources]]\nname = "x"\nkind = "ftp"\n', "sources[0].kind", "expected"),
    ('[[sources]]\nname = "x"\nkind = "feed"\n', "sources[0].url", "missing required field"),
    (
        '[[sources]]\nname = "x"\nkind = "seeds"\ninterval = 5\n[[sources]]\nname = "y"\n'
        'kind = "seeds"\ninterval = "soon"\n',
        "sources[1].interval",
        "duration",
    ),
    ('[[sources]]\nname = "x"\nkind = "seeds"\ntimeout = "5s"\n', "sources[0].timeout", "only"),
    ('[[topics]]\nslug = "a"\n', "topics[0].title", "missing required field"),
    ('[[topics]]\nslug = "A B"\ntitle = "t"\n', "topics[0].slug", "lower-case"),
    ('[[topics]]\nslug = "all"\ntitle = "t"\n', "topics[0].slug", "reserved"),
    (
        '[[topics]]\nslug = "a"\ntitle = "t"\ninclude = "x"\n',
        "topics[0].include",
        "list of strings",
    ),
    (
        '[[topics]]\nslug = "a"\ntitle = "t"\n[[topics]]\nslug = "a"\ntitle = "u"\n',
        "topics[1].slug",
        "duplicate",
    ),
    ("sources = 3\n", "sources", "expected [[sources]] tables"),
    ('[site]\nbase_url = "ftp://x/"\n', "site.base_url", "http(s)"),
]


class TestErrors:
    @pytest.mark.parametrize(
        ("text", "key", "problem"), BAD_CONFIGS, ids=[b[1] for b in BAD_CONFIGS]
    )
    def test_bad_key_is_named(self, tmp_path: Path, text: str, key: str, problem: str) -> None:
        """A bad value raises ConfigError naming the file, the dotted key and the problem."""
        path = write(tmp_path, text)
        with pytest.raises(ConfigError) as info:
            load_config(path)
        assert info.value.key == key
        assert problem in info.value.problem
        assert str(info.value).startswith(f"{path}: {key}: ")

    def test_invalid_toml(self, tmp_path: Path) -> None:
        """Broken TOML is reported with the file name and the parser's position."""
        path = write(tmp_path, "[site\n")
        with pytest.raises(ConfigError, match="invalid TOML") as info:
            load_config(path)
        assert str(path) in str(info.value)

    def test_missing_file(self, tmp_path: Path) -> None:
        """A missing config file is named."""
        with pytest.raises(ConfigError, match="no such file"):
            load_config(tmp_path / "nope.toml")

    def test_unreadable_file(self, tmp_path: Path) -> None:
        """A folder in place of the file is reported, not a traceback."""
        (tmp_path / "config.toml").mkdir()
        with pytest.raises(ConfigError, match="cannot read"):
            load_config(tmp_path / "config.toml")


class TestDurations:
    @pytest.mark.parametrize(
        ("text", "seconds"), [("90s", 90), ("10m", 600), ("2h", 7200), ("1d", 86400), ("1.5m", 90)]
    )
    def test_parse(self, text: str, seconds: int) -> None:
        """Durations read with s/m/h/d units."""
        assert parse_duration(text) == timedelta(seconds=seconds)

    @pytest.mark.parametrize("bad", ["", "0m", "-5m", "ten minutes", "5", True])
    def test_parse_rejects(self, bad: object) -> None:
        """Zero, negative and unit-less strings are errors."""
        with pytest.raises(ValueError):
            parse_duration(bad)

    @given(st.integers(min_value=1, max_value=10**7))
    def test_round_trip(self, seconds: int) -> None:
        """format_duration output parses back to the same duration."""
        delta = timedelta(seconds=seconds)
        assert parse_duration(format_duration(delta)) == delta
