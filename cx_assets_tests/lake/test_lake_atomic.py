"""Contract: a file written with atomic_write is visible only complete (an error leaves neither
the file nor a temp behind, and keeps an older version intact); replace_dir swaps a staged
partition folder in whole, removing everything of the old one."""

from __future__ import annotations

from pathlib import Path

import pytest

from cx_assets.lake.atomic import atomic_write, replace_dir


def test_atomic_write_publishes_the_complete_file(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.bin"
    with atomic_write(target) as fh:
        fh.write(b"hello ")
        fh.write(b"world")
    assert target.read_bytes() == b"hello world"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.bin"]


def test_atomic_write_error_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    with pytest.raises(RuntimeError, match="boom"), atomic_write(target) as fh:
        fh.write(b"partial")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_error_keeps_the_previous_version(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_write(target) as fh:
        fh.write(b"new but broken")
        raise RuntimeError("boom")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_replace_dir_replaces_the_partition_whole(tmp_path: Path) -> None:
    final = tmp_path / "lake" / "date=2024-01-01"
    final.mkdir(parents=True)
    (final / "part-0.parquet").write_bytes(b"old")
    (final / "stale-extra-file").write_bytes(b"from an earlier run")
    staged = tmp_path / "staging" / "run-1"
    staged.mkdir(parents=True)
    (staged / "part-0.parquet").write_bytes(b"new")

    replace_dir(staged, final)

    assert sorted(p.name for p in final.iterdir()) == ["part-0.parquet"]
    assert (final / "part-0.parquet").read_bytes() == b"new"
    assert not staged.exists()
    assert [p.name for p in final.parent.iterdir()] == ["date=2024-01-01"]  # no old copy left


def test_replace_dir_creates_a_missing_destination(tmp_path: Path) -> None:
    staged = tmp_path / "staged"
    staged.mkdir()
    (staged / "f").write_text("x")
    final = tmp_path / "raw" / "genesys" / "conversations" / "2024-01-01"
    replace_dir(staged, final)
    assert (final / "f").read_text() == "x"


def test_replace_dir_refuses_a_missing_staged_folder_and_keeps_the_old(tmp_path: Path) -> None:
    final = tmp_path / "final"
    final.mkdir()
    (final / "keep").write_text("old")
    with pytest.raises(NotADirectoryError, match="does not exist"):
        replace_dir(tmp_path / "nope", final)
    assert (final / "keep").read_text() == "old"
