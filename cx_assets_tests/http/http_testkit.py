"""Helpers shared by the transport tests (a uniquely named module: conftest.py names clash
across test folders, so tests import from here, never from conftest)."""

from __future__ import annotations

from typing import Any

from http_scripted_server import CLIENT_ID, CLIENT_SECRET, ScriptedServer

from cx_assets.http.auth import ClientCredentialsAuth
from cx_assets.http.retry import RetrySettings

#: Tiny, jitter-free backoffs: tests never really wait, and waits are predictable.
FAST_RETRY = RetrySettings(
    max_attempts=4, max_total_s=10.0, initial_backoff_s=0.01, max_backoff_s=0.05, jitter_s=0.0
)


class SleepRecorder:
    """Stands in for time.sleep: records requested waits, sleeps not at all."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def make_auth(server: ScriptedServer, **kwargs: Any) -> ClientCredentialsAuth:
    """Credentials for the scripted server's one client (override any keyword)."""
    kwargs.setdefault("retry", FAST_RETRY)
    return ClientCredentialsAuth(
        token_url=f"{server.base_url}/oauth/token",
        client_id=kwargs.pop("client_id", CLIENT_ID),
        client_secret=kwargs.pop("client_secret", CLIENT_SECRET),
        **kwargs,
    )
