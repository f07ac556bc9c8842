"""Publish files and folders so that readers see either the old or the complete new version.

A file is written under a temporary name in its destination folder, fsynced, then renamed over
the final name (`os.replace` is atomic within one filesystem), and the folder is fsynced so the
rename survives a crash. A partition folder is staged whole elsewhere under the data root and
swapped in by renames (`replace_dir`), or, for a folder readers glob while it changes (a lake
day), published as a versioned folder behind a symlink that is swapped in one rename
(`publish_dir`), so the folder is never missing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO


def fsync_dir(folder: Path) -> None:
    """Persist a folder's entries (renames, new files) across a crash."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_path_for(path: Path) -> Path:
    """A unique, hidden name beside `path` for a writer that needs a path, not a handle."""
    return path.parent / f".{path.name}.{uuid.uuid4().hex[:12]}.tmp"


def publish_file(tmp: Path, final: Path) -> None:
    """fsync `tmp`, rename it to `final` (same folder), and fsync the folder."""
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, final)
    fsync_dir(final.parent)


@contextlib.contextmanager
def atomic_write(path: Path) -> Iterator[BinaryIO]:
    """Write `path` all-or-nothing: on any error the temp file is removed and `path` untouched."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def replace_dir(staged: Path, final: Path) -> None:
    """Swap a fully written `staged` folder in place of `final` (created if absent).

    The old folder is renamed aside, the staged one renamed in, then the old one deleted, so a
    re-run replaces a folder whole. Between the two renames `final` is briefly absent, never
    half-written: use it for folders only the partition's own steps read (raw, quarantine),
    `publish_dir` for folders views read. Asides a crashed swap left (`.<name>.old-*`) are
    removed by the next swap of the same folder. Both must be on one filesystem (the data
    root); `staged` is consumed.
    """
    if not staged.is_dir():
        raise NotADirectoryError(f"staged folder {staged} does not exist or is not a folder")
    final.parent.mkdir(parents=True, exist_ok=True)
    aside: Path | None = None
    if final.is_symlink():  # published by publish_dir before: replace the link, keep no version
        _remove_published(final)
    elif final.exists():
        aside = final.parent / f".{final.name}.old-{uuid.uuid4().hex[:12]}"
        os.rename(final, aside)
    try:
        os.rename(staged, final)
    except BaseException:
        if aside is not None:
            os.rename(aside, final)
        raise
    fsync_dir(final.parent)
    for leftover in final.parent.glob(f".{final.name}.old-*"):
        shutil.rmtree(leftover, ignore_errors=True)


#: Beside a folder `publish_dir` manages: `.versions/<name>/v-<ns>-<id>/`, the link's targets.
VERSIONS = ".versions"


def versions_dir(final: Path) -> Path:
    """Where `publish_dir` keeps the versions of `final` (hidden, so `date=*` globs skip it)."""
    return final.parent / VERSIONS / final.name


def publish_dir(
    staged: Path, final: Path, *, before_swap: Callable[[], None] | None = None
) -> None:
    """Publish `staged` as `final` so that `final` is never missing, not even after a crash.

    `staged` is renamed to a new version under `versions_dir(final)`, a symlink to it is made
    beside `final` and renamed over it (the rename of a symlink over a symlink is atomic), then
    every other version is deleted. A reader globbing `date=*/x.parquet` sees the old folder or
    the new one, never neither; a crash before the swap leaves the old one live (its orphaned
    version is deleted by the next publish), after it the new one. A plain folder at `final`
    (published by `replace_dir`) is turned into a version first: that one move is the only
    window, once per folder. `before_swap` runs between version and swap (a test's crash point).
    """
    if not staged.is_dir():
        raise NotADirectoryError(f"staged folder {staged} does not exist or is not a folder")
    versions = versions_dir(final)
    versions.mkdir(parents=True, exist_ok=True)
    for link in final.parent.glob(f".{final.name}.link-*"):  # a crash between link and swap
        link.unlink(missing_ok=True)
    if final.exists() and not final.is_symlink():
        _link_in(final, _rename_to_version(final, versions))
    current = _rename_to_version(staged, versions)
    if before_swap is not None:
        before_swap()
    _link_in(final, current)
    for version in versions.iterdir():
        if version.name != current.name:
            shutil.rmtree(version, ignore_errors=True)


def _rename_to_version(folder: Path, versions: Path) -> Path:
    version = versions / f"v-{time.time_ns()}-{uuid.uuid4().hex[:8]}"
    os.rename(folder, version)
    fsync_dir(versions)
    return version


def _link_in(final: Path, version: Path) -> None:
    """Point `final` at `version` (relative, so the data root can move) in one rename."""
    link = final.parent / f".{final.name}.link-{uuid.uuid4().hex[:12]}"
    os.symlink(os.path.relpath(version, final.parent), link)
    try:
        os.replace(link, final)
    except BaseException:
        link.unlink(missing_ok=True)
        raise
    fsync_dir(final.parent)


def _remove_published(final: Path) -> None:
    final.unlink()
    shutil.rmtree(versions_dir(final), ignore_errors=True)


@contextlib.contextmanager
def discard_on_exit(folder: Path) -> Iterator[Path]:
    """Yield a staging folder and remove whatever is left of it afterwards, success or not.

    Whatever the block published has been renamed away already; what remains is scratch or a
    half-finished attempt, which must never linger where it could be mistaken for data.
    """
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
