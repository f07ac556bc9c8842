"""Helpers for the CXone client tests (a uniquely named module: tests import from here, never
from conftest): a client wired exactly like a run's, with test-sized waits."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from cx_assets.cxone import endpoints
from cx_assets.cxone.tutorial import CxoneExportClient, CxoneExportSettings
from cx_assets.emulator import EmulatorServer
from cx_assets.http.auth import ClientCredentialsAuth
from cx_assets.http.client import ApiClient
from cx_assets.http.retry import RetrySettings

CLIENT_ID = "emulator-cxone-key"
CLIENT_SECRET = "emulator-cxone-secret"
#: Retry-After honoured but capped, so a server hint of seconds costs a fraction of one here.
FAST_RETRY = RetrySettings(
    max_attempts=5,
    max_total_s=20.0,
    initial_backoff_s=0.01,
    max_backoff_s=0.05,
    jitter_s=0.01,
    max_retry_after_s=0.2,
)
FAST_SETTINGS = CxoneExportSettings(
    poll_initial_s=0.02, poll_max_s=0.1, timeout_s=20.0, format_retry_pause_s=0.01
)


def cxone_url(emu: EmulatorServer) -> str:
    return f"{emu.url}/cxone"


@contextlib.contextmanager
def cxone_api(emu: EmulatorServer) -> Iterator[ApiClient]:
    """An authenticated, retried ApiClient for the emulator's CXone side."""
    base = cxone_url(emu)
    auth = ClientCredentialsAuth(
        f"{base}{endpoints.TOKEN_PATH}",
        CLIENT_ID,
        CLIENT_SECRET,
        scopes=endpoints.EXPORT_SCOPES,
        credentials_in="form",
        retry=FAST_RETRY,
        timeout=10.0,
    )
    with ApiClient(base, auth=auth, retry=FAST_RETRY, timeout=10.0) as api:
        yield api


@contextlib.contextmanager
def cxone_client(
    emu: EmulatorServer, settings: CxoneExportSettings = FAST_SETTINGS
) -> Iterator[CxoneExportClient]:
    with cxone_api(emu) as api:
        yield CxoneExportClient(api, settings)


@contextlib.contextmanager
def webhook_api(emu: EmulatorServer) -> Iterator[ApiClient]:
    """The data-lake webhook takes no OAuth: `auth=None`, same retry policy."""
    with ApiClient(emu.url, auth=None, retry=FAST_RETRY, timeout=10.0) as api:
        yield api
