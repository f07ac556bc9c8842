"""Cross-process locks under the data root, for writes a Dagster pool alone cannot serialise.

Pools cap concurrency per pool name, not per data table; a file lock per table makes "only one
import writes to a table at a time" hold across runs, processes and pool settings. The same lock
per partition (`owned_work`) lets an attempt remove what a crashed attempt of that partition left
in staging: the OS releases a dead process's lock, so holding it proves no live attempt remains.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from cx_assets.lake.paths import DataLayout, staging_owner, validate_token

LOCKS = "locks"


class LockTimeout(TimeoutError):
    """Another writer held the lock for longer than we were willing to wait."""


@contextmanager
def exclusive(root: Path, name: str, timeout_s: float = 3600.0) -> Iterator[Path]:
    """Hold `root/locks/<name>.lock`; waits up to `timeout_s` for the current holder."""
    folder = Path(root) / LOCKS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{validate_token(name, 'lock name')}.lock"
    lock = FileLock(path)
    try:
        lock.acquire(timeout=timeout_s)
    except Timeout:
        raise LockTimeout(
            f"{name} is locked by another run (waited {timeout_s:.0f} s for {path})"
        ) from None
    try:
        yield path
    finally:
        lock.release()


@contextmanager
def owned_work(layout: DataLayout, owner: str, timeout_s: float = 3600.0) -> Iterator[list[Path]]:
    """Hold `owner`'s lock, remove its crashed attempts' staging folders, and yield those.

    Every `layout.staging_dir()` made in the block (this thread) is named for `owner`, and a
    concurrent attempt of the same owner waits here instead of sharing (or sweeping) them."""
    with exclusive(layout.root, owner, timeout_s), staging_owner(owner):
        yield layout.sweep_owned_staging(owner)
