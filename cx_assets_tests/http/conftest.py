"""Fixtures for the transport tests: one scripted server per session, reset for every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from http_scripted_server import ScriptedServer, start
from http_testkit import FAST_RETRY, SleepRecorder, make_auth

from cx_assets.http.client import ApiClient


@pytest.fixture(scope="session")
def _server_process() -> Iterator[ScriptedServer]:
    server = ScriptedServer()
    uv, thread = start(server)
    yield server
    uv.should_exit = True
    thread.join(timeout=5)


@pytest.fixture
def server(_server_process: ScriptedServer) -> ScriptedServer:
    _server_process.reset()
    return _server_process


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def client(server: ScriptedServer, sleeps: SleepRecorder) -> Iterator[ApiClient]:
    """An authenticated client whose retry waits are recorded instead of slept."""
    with ApiClient(
        server.base_url, auth=make_auth(server), retry=FAST_RETRY, timeout=5.0, sleep=sleeps
    ) as api:
        yield api
