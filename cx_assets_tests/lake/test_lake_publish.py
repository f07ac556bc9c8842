"""Contract: `publish_dir` swaps a lake day in through a symlink so the day's folder is never
missing (a crash before the swap leaves the old folder live, and its orphaned version is removed
by the next publish), and `owned_work` removes what a crashed attempt of the same partition left
in staging, never a folder a live attempt (the lock's holder) is using."""

from __future__ import annotations

from pathlib import Path

import pytest

from cx_assets.lake.atomic import publish_dir, versions_dir
from cx_assets.lake.locks import LockTimeout, owned_work
from cx_assets.lake.paths import DataLayout

OWNER = "genesys.conversations.2024-01-01"


def _staged(root: Path, name: str, content: bytes) -> Path:
    folder = root / "staging" / name
    folder.mkdir(parents=True)
    (folder / "part-0.parquet").write_bytes(content)
    return folder


def test_publish_dir_turns_a_plain_folder_into_a_versioned_link(tmp_path: Path) -> None:
    final = tmp_path / "lake" / "date=2024-01-01"
    final.mkdir(parents=True)
    (final / "part-0.parquet").write_bytes(b"old")
    (final / "stale-extra-file").write_bytes(b"from an earlier run")

    publish_dir(_staged(tmp_path, "a", b"new"), final)

    assert final.is_symlink()
    assert sorted(p.name for p in final.iterdir()) == ["part-0.parquet"]
    assert (final / "part-0.parquet").read_bytes() == b"new"
    assert len(list(versions_dir(final).iterdir())) == 1
    assert sorted(p.name for p in final.parent.iterdir()) == [".versions", "date=2024-01-01"]
    assert [p.name for p in final.parent.glob("date=*/*.parquet")] == ["part-0.parquet"]


def test_a_crash_before_the_swap_keeps_the_old_day_live(tmp_path: Path) -> None:
    final = tmp_path / "lake" / "date=2024-01-01"
    publish_dir(_staged(tmp_path, "a", b"v1"), final)

    def crash() -> None:
        raise SystemExit("killed between version and swap")

    with pytest.raises(SystemExit):
        publish_dir(_staged(tmp_path, "b", b"v2"), final, before_swap=crash)
    assert (final / "part-0.parquet").read_bytes() == b"v1"
    assert len(list(versions_dir(final).iterdir())) == 2  # the orphan, until the next publish

    publish_dir(_staged(tmp_path, "c", b"v3"), final)
    assert (final / "part-0.parquet").read_bytes() == b"v3"
    assert len(list(versions_dir(final).iterdir())) == 1


def test_owned_work_sweeps_a_crashed_attempt_but_waits_for_a_live_one(tmp_path: Path) -> None:
    layout = DataLayout(tmp_path)
    crashed = layout.staging_dir(OWNER)
    (crashed / "page-0001.json").write_bytes(b"x" * 100)
    other = layout.staging_dir("genesys.conversations.2024-01-02")

    with owned_work(layout, OWNER) as removed:
        assert removed == [crashed]
        live = layout.staging_dir()  # named for the owner whose lock this thread holds
        assert live.name.startswith(f"{OWNER}.run-")
        with pytest.raises(LockTimeout, match=OWNER), owned_work(layout, OWNER, timeout_s=0.2):
            pass
        assert live.is_dir()
    assert not crashed.exists()
    assert other.is_dir()  # another day's attempt is not this one's to remove
    assert layout.staging_dir().name.startswith("run-")  # outside the block: anonymous again
