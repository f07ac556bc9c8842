"""Helpers shared by the Genesys export-client tests (a uniquely named module: tests import from
here, never from conftest).

The client under test is the one `GenesysCloudResource.export_client()` builds for a run; only its
waits are shrunk (`fast_client`), so fault tests take milliseconds per retry instead of seconds.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cx_assets.defs.resources import GenesysCloudResource
from cx_assets.emulator import EmulatorServer
from cx_assets.genesys.conversations.tutorial import ConversationExportClient, DayExport
from cx_assets.http.auth import ClientCredentialsAuth
from cx_assets.http.retry import RetrySettings

DAY = dt.date(2024, 1, 1)
#: Retry-After is honoured but capped here, so a 1-2 s server hint costs 0.3 s in tests; backoff
#: without a hint is far smaller, which lets a test tell the two apart from the wait counter.
RETRY_AFTER_CAP_S = 0.3
FAST_RETRY = RetrySettings(
    max_attempts=5,
    max_total_s=20.0,
    initial_backoff_s=0.01,
    max_backoff_s=0.05,
    jitter_s=0.01,
    max_retry_after_s=RETRY_AFTER_CAP_S,
)
FILE_ATTEMPTS = 3


def resource_for(emu: EmulatorServer, **fields: Any) -> GenesysCloudResource:
    """The run's resource pointed at `emu`; `fields` override e.g. `request_timeout_s`."""
    config: dict[str, Any] = {
        "api_mode": "tutorial",
        "api_url": emu.url,
        "login_url": emu.url,
        "client_id": emu.client_id,
        "client_secret": emu.client_secret,
        "max_retry_seconds": 20.0,
        "request_timeout_s": 10.0,
    }
    return GenesysCloudResource(**{**config, **fields})


@contextlib.contextmanager
def fast_client(emu: EmulatorServer, **fields: Any) -> Iterator[ConversationExportClient]:
    """`export_client()` of a resource for `emu`, with test-sized waits swapped in."""
    with resource_for(emu, **fields).export_client() as client:
        client.settings = dataclasses.replace(
            client.settings,
            poll_initial_s=0.02,
            poll_max_s=0.1,
            retry_pause_s=0.01,
            file_attempts=FILE_ATTEMPTS,
        )
        client.api.retry = FAST_RETRY
        assert isinstance(client.api.auth, ClientCredentialsAuth)
        client.api.auth.retry = FAST_RETRY
        yield client


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def dest_listing(dest: Path) -> list[str]:
    """Every entry under `dest`, hidden temp files included."""
    if not dest.exists():
        return []
    return sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*"))


def assert_verified_on_disk(export: DayExport, dest: Path) -> None:
    """Exactly the manifest's files are in `dest`, each with the manifest's size and SHA-256."""
    names = sorted(f.name for f in export.manifest.files)
    assert names, "the manifest lists no files"
    assert dest_listing(dest) == names
    for entry in export.manifest.files:
        path = dest / entry.name
        assert path.stat().st_size == entry.size
        assert f"sha256:{sha256_of(path)}" == entry.checksum
    assert sorted(f.manifest.name for f in export.report.files) == names


def emulator_status_count(emu: EmulatorServer, path_prefix: str, status: int) -> int:
    """How many answers with `status` the emulator gave on paths under `path_prefix`."""
    by_path = emu.stats()["by_path"]
    return sum(
        counts.get(str(status), 0)
        for path, counts in by_path.items()
        if path.startswith(path_prefix)
    )
