"""Is a run worker's process still alive on this machine? A pid alone cannot say.

After a crash or a reboot the pid a run logged may belong to a new process, and a SIGKILLed
child the launcher has not waited for lingers as a zombie that `kill(pid, 0)` still finds. On
Linux /proc tells both apart (state `Z`; a start time later than the run's own event); elsewhere
only existence is checked.
"""

from __future__ import annotations

import os
from pathlib import Path

_PROC = Path("/proc")
#: A process that started more than this after the event naming its pid is another process.
_START_SLACK_S = 2.0


def process_alive(pid: int, *, seen_at: float) -> bool:
    """True if `pid` runs, is not a zombie, and started no later than `seen_at` (epoch s)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    stat = _proc_stat(pid)
    if stat is None:
        return True
    state, started_at = stat
    if state == "Z":
        return False
    return started_at is None or started_at <= seen_at + _START_SLACK_S


def _proc_stat(pid: int) -> tuple[str, float | None] | None:
    """(state, start time in epoch seconds) from /proc, or None where /proc is not available."""
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except FileNotFoundError:
        return ("Z", None) if _PROC.is_dir() else None
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # after "pid (comm) "
    state, start_ticks = fields[0], int(fields[19])
    boot = _boot_time()
    if boot is None:
        return state, None
    return state, boot + start_ticks / os.sysconf("SC_CLK_TCK")


def _boot_time() -> float | None:
    try:
        for line in (_PROC / "stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    except OSError:
        return None
    return None
