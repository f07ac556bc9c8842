"""Contract: the reaper judges a run worker alive only if its pid runs now, is not a zombie,
and started before the event that named it (after a reboot the pid may be someone else's)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from cx_assets.defs.runs.processes import process_alive


@pytest.fixture
def child() -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()


def test_a_running_process_seen_after_it_started_is_alive(
    child: subprocess.Popen[bytes],
) -> None:
    assert process_alive(child.pid, seen_at=time.time())
    assert process_alive(os.getpid(), seen_at=time.time())


def test_a_pid_that_started_after_its_event_belongs_to_another_process(
    child: subprocess.Popen[bytes],
) -> None:
    """As after a reboot: the run logged this pid an hour before this process existed."""
    assert not process_alive(child.pid, seen_at=time.time() - 3600)


def test_a_killed_child_not_yet_waited_for_is_a_zombie_not_alive(
    child: subprocess.Popen[bytes],
) -> None:
    os.kill(child.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while process_alive(child.pid, seen_at=time.time()):
        assert time.monotonic() < deadline, "the killed child still looks alive"
        time.sleep(0.05)
    assert child.poll() is not None  # reaped only now; until then it was a zombie


def test_a_pid_nobody_has_is_dead() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert not process_alive(proc.pid, seen_at=time.time())
    assert not process_alive(0, seen_at=time.time())
