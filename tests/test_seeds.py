"""sources.seeds: walking the seed folder and reading files of any encoding."""

from __future__ import annotations

import codecs
import os
from pathlib import Path

import opencc
import pytest

from aggregator.errors import SeedFormatError
from aggregator.sources import Collected
from aggregator.sources.seedformat import parse_seed
from aggregator.sources.seeds import (
    MAX_SEED_BYTES,
    SeedFolder,
    SeedInput,
    iter_seed_files,
    read_seed,
)
from tests.conftest import SAMPLE_SEEDS

RFI = SAMPLE_SEEDS[0]
BBC = SAMPLE_SEEDS[1]


def _write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def _error(path: Path) -> SeedFormatError:
    with pytest.raises(SeedFormatError) as caught:
        read_seed(path)
    assert caught.value.path == str(path)
    return caught.value


class TestIterSeedFiles:
    def test_walks_recursively_in_sorted_order(self, tmp_path: Path) -> None:
        """Files in nested folders come out sorted by path, whatever their names."""
        for name in ("b.txt", "a/z.md", "a/b/1", "c.html", "a/a.txt"):
            _write(tmp_path / name, "x")
        found = [p.relative_to(tmp_path).as_posix() for p in iter_seed_files(tmp_path)]
        assert found == ["a/a.txt", "a/b/1", "a/z.md", "b.txt", "c.html"]

    def test_skips_hidden_files_and_folders(self, tmp_path: Path) -> None:
        """Names starting with "." (files or folders) are not seeds."""
        _write(tmp_path / ".hidden.txt", "x")
        _write(tmp_path / ".git" / "HEAD", "x")
        _write(tmp_path / "seen.txt", "x")
        assert [p.name for p in iter_seed_files(tmp_path)] == ["seen.txt"]

    def test_symlinked_folder_loop_ends(self, tmp_path: Path) -> None:
        """A symlink pointing back up the tree is followed at most once."""
        _write(tmp_path / "a" / "one.txt", "x")
        (tmp_path / "a" / "loop").symlink_to(tmp_path, target_is_directory=True)
        found = [p.relative_to(tmp_path).as_posix() for p in iter_seed_files(tmp_path)]
        assert found == ["a/one.txt"]

    def test_follows_symlinked_folder_outside_tree(self, tmp_path: Path) -> None:
        """A symlinked folder elsewhere on disk is read like a real one."""
        _write(tmp_path / "elsewhere" / "far.txt", "x")
        (tmp_path / "seeds").mkdir()
        (tmp_path / "seeds" / "link").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
        found = [p.relative_to(tmp_path).as_posix() for p in iter_seed_files(tmp_path / "seeds")]
        assert found == ["seeds/link/far.txt"]

    def test_skips_broken_symlinks(self, tmp_path: Path) -> None:
        """A symlink to nothing is not a file to read."""
        (tmp_path / "dangling.txt").symlink_to(tmp_path / "missing.txt")
        assert list(iter_seed_files(tmp_path)) == []

    def test_missing_folder_is_reported(self, tmp_path: Path) -> None:
        """A seed folder that does not exist raises SeedFormatError naming it."""
        with pytest.raises(SeedFormatError) as caught:
            list(iter_seed_files(tmp_path / "nope"))
        assert caught.value.path == str(tmp_path / "nope")
        assert caught.value.reason.startswith("cannot list folder")

    def test_lists_the_sample_seeds(self) -> None:
        """The bundled seeds folder yields exactly the sample seeds."""
        assert list(iter_seed_files(SAMPLE_SEEDS[0].parent)) == SAMPLE_SEEDS


class TestScan:
    def test_origins_are_the_paths_iter_seed_files_yields(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Origins are written as str(Path) writes them, for a folder given as ".", relative
        or absolute: a store's recorded inputs keep matching the files they came from."""
        for name in ("seeds/b.txt", "seeds/a/z.md", "seeds/a/a.txt"):
            _write(tmp_path / name, "x")
        monkeypatch.chdir(tmp_path)
        for folder in (Path("."), Path("seeds"), Path("seeds/a"), tmp_path / "seeds"):
            assert _origins(SeedFolder("s", folder)) == [str(p) for p in iter_seed_files(folder)]
        expected = ["seeds/a/a.txt", "seeds/a/z.md", "seeds/b.txt"]
        assert _origins(SeedFolder("s", Path("."))) == expected

    def test_a_file_is_read_again_when_its_size_or_mtime_changes(self, tmp_path: Path) -> None:
        """Unchanged files (same size and mtime) are not read; touched ones and ones rewritten
        with the same size are; a changed stamp is all that counts, not the bytes."""
        paths = [_write(tmp_path / name, "same text") for name in ("a.txt", "b.txt", "c.txt")]
        resized_mtime = paths[2].stat().st_mtime_ns
        folder = SeedFolder("s", tmp_path)
        stamps = {item.origin: item.stamp for item in folder.scan(stamp_of=lambda _: None)}
        assert all(isinstance(item, SeedInput) for item in folder.scan(stamp_of=lambda _: None))
        touched, rewritten, resized = paths
        mtime = touched.stat().st_mtime_ns
        os.utime(touched, ns=(mtime, mtime + 10**9))  # same bytes, a later mtime
        rewritten.write_text("SAME TEXT")  # same size, a later mtime
        os.utime(rewritten, ns=(mtime, mtime + 2 * 10**9))
        resized.write_text("other bytes")  # another size, the same mtime
        os.utime(resized, ns=(mtime, resized_mtime))
        found = {item.origin: item for item in folder.scan(stamp_of=stamps.get)}
        assert {o for o, item in found.items() if isinstance(item, SeedInput)} == {
            str(touched),
            str(rewritten),
            str(resized),
        }
        stamps = {o: item.stamp for o, item in found.items()}
        assert all(
            isinstance(item, Collected) and item.doc is None
            for item in folder.scan(stamp_of=stamps.get)
        )


def _origins(folder: SeedFolder) -> list[str]:
    return [item.origin for item in folder.scan(stamp_of=lambda _: None)]


class TestReadSeed:
    @pytest.mark.parametrize("path", SAMPLE_SEEDS, ids=lambda p: p.name)
    def test_sample_seed_reads_like_its_text(self, path: Path) -> None:
        """read_seed gives what parse_seed gives on the decoded text."""
        assert read_seed(path) == parse_seed(path.read_text(encoding="utf-8"), path=str(path))

    def test_utf8_bom_is_removed(self, tmp_path: Path) -> None:
        """A UTF-8 BOM does not reach the parser."""
        text = RFI.read_text(encoding="utf-8")
        path = _write(tmp_path / "bom.txt", codecs.BOM_UTF8 + text.encode("utf-8"))
        assert read_seed(path) == parse_seed(text, path=str(path))

    def test_gb18030_copy_is_decoded(self, tmp_path: Path) -> None:
        """A GB18030-encoded copy of a seed reads the same as the UTF-8 original."""
        text = RFI.read_text(encoding="utf-8")
        path = _write(tmp_path / "gb.txt", text.encode("gb18030"))
        assert read_seed(path) == parse_seed(text, path=str(path))

    def test_big5_copy_is_decoded(self, tmp_path: Path) -> None:
        """A Big5-encoded Traditional copy of a seed reads the same as its text."""
        traditional = opencc.OpenCC("s2t").convert(BBC.read_text(encoding="utf-8"))
        # Keep only what Big5 can hold, so the expectation is exactly what was written.
        text = traditional.encode("big5", errors="replace").decode("big5")
        path = _write(tmp_path / "big5.txt", text.encode("big5"))
        assert read_seed(path) == parse_seed(text, path=str(path))

    @pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
    def test_utf16_and_utf32_with_bom_are_decoded(self, tmp_path: Path, encoding: str) -> None:
        """A UTF-16 or UTF-32 file with its BOM reads the same as the UTF-8 original."""
        text = BBC.read_text(encoding="utf-8")
        path = _write(tmp_path / "wide.txt", text.encode(encoding))
        assert read_seed(path) == parse_seed(text, path=str(path))

    def test_binary_bytes_are_reported(self, tmp_path: Path) -> None:
        """NUL-laden bytes are a binary file, not a seed."""
        path = _write(
            tmp_path / "image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
        )
        assert _error(path).reason == "binary file"

    def test_utf8_text_with_nul_is_binary(self, tmp_path: Path) -> None:
        """Valid UTF-8 holding NUL characters is still binary."""
        path = _write(tmp_path / "nul.txt", RFI.read_bytes() + b"\x00\x00")
        assert _error(path).reason == "binary file"

    def test_random_bytes_are_reported(self, tmp_path: Path) -> None:
        """Bytes in no encoding give a SeedFormatError, never a garbled SeedDoc."""
        data = bytes((i * 97 + 13) % 256 for i in range(4096))
        assert _error(_write(tmp_path / "noise.bin", data)).reason in (
            "binary file",
            "not UTF-8, and no other encoding fits",
        )

    def test_empty_file_is_reported(self, tmp_path: Path) -> None:
        """An empty file names its path and says it is empty."""
        assert _error(_write(tmp_path / "empty.txt", b"")).reason == "empty file"

    def test_oversized_file_is_reported(self, tmp_path: Path) -> None:
        """A file over MAX_SEED_BYTES is refused without being parsed."""
        path = _write(tmp_path / "huge.txt", b"a" * (MAX_SEED_BYTES + 1))
        assert _error(path).reason.startswith("too large")

    def test_missing_file_is_reported(self, tmp_path: Path) -> None:
        """An OSError becomes SeedFormatError "cannot read: ..."."""
        assert _error(tmp_path / "gone.txt").reason.startswith("cannot read:")

    def test_folder_is_not_readable_as_seed(self, tmp_path: Path) -> None:
        """Reading a folder as a seed is a cannot-read error."""
        assert _error(tmp_path).reason.startswith("cannot read:")

    def test_cut_inside_multibyte_character_of_line_2(self, tmp_path: Path) -> None:
        """A file cut mid-character in line 2 is reported as truncated, not as undecodable."""
        data = RFI.read_bytes()
        cut = data.index("俄".encode()) + 1  # inside the 3-byte character
        assert _error(_write(tmp_path / "cut.txt", data[:cut])).reason == (
            "truncated: feed archive ends inside line 2"
        )

    def test_any_file_name_is_parsed(self, tmp_path: Path) -> None:
        """The file name plays no part: a seed without extension reads the same."""
        path = _write(tmp_path / "noext", RFI.read_bytes())
        assert read_seed(path).url == read_seed(RFI).url
