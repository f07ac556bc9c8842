"""Keep the receiver's marker folders bounded: by age, by count, or both.

Every file the receiver and its sensors leave behind is named `<t>-<hash>[.json]` (`t` the
signed Unix time), so age is read from the name; a name without one (written by an older
version) is aged by its modification time. The limits themselves live with each folder's owner
(`privacy.PrivacyInbox`, `events.EventInbox`).
"""

from __future__ import annotations

import os
from pathlib import Path


def marker_time(path: Path) -> float:
    """The signed time in `path`'s name, else its modification time (0 if it has vanished)."""
    head = path.name.split("-", 1)[0]
    if head.isdigit() and len(head) <= 12:
        return float(head)
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def prune(folder: Path, *, older_than: float | None = None, keep: int | None = None) -> int:
    """Delete the files in `folder` timed before `older_than`, then all but the newest `keep`.
    Returns how many were deleted. Hidden temp files of atomic writes are left alone."""
    if not folder.is_dir():
        return 0
    with os.scandir(folder) as entries:
        files = [Path(e.path) for e in entries if e.is_file() and not e.name.startswith(".")]
    files.sort(key=lambda p: (marker_time(p), p.name))
    doomed = [p for p in files if older_than is not None and marker_time(p) < older_than]
    kept = files[len(doomed) :]
    if keep is not None and len(kept) > keep:
        doomed += kept[: len(kept) - keep]
    for path in doomed:
        path.unlink(missing_ok=True)
    return len(doomed)
