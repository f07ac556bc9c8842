"""Publish files and folders so that readers see either the old or the complete new version.

A file is written under a temporary name in its destination folder, fsynced, then renamed over
the final name (`os.replace` is atomic within one filesystem), and the folder is fsynced so the
rename survives a crash. A partition folder is staged whole elsewhere under the data root and
swapped in by renames.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
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
    re-run replaces a partition whole. Between the two renames `final` is briefly absent, never
    half-written. Both must be on one filesystem (the data root); `staged` is consumed.
    """
    if not staged.is_dir():
        raise NotADirectoryError(f"staged folder {staged} does not exist or is not a folder")
    final.parent.mkdir(parents=True, exist_ok=True)
    aside: Path | None = None
    if final.exists():
        aside = final.parent / f".{final.name}.old-{uuid.uuid4().hex[:12]}"
        os.rename(final, aside)
    try:
        os.rename(staged, final)
    except BaseException:
        if aside is not None:
            os.rename(aside, final)
        raise
    fsync_dir(final.parent)
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)


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
