"""Contract: client-credentials auth against a real token endpoint. One token is fetched and
shared by all threads, refreshed shortly before expiry, refreshed once (and the request re-sent
once) when the API answers 401; a rejected client names its id, never its secret; neither the
secret nor any token appears in exception text or logs."""

from __future__ import annotations

import base64
import logging
import threading
from urllib.parse import parse_qs

import pytest
from http_scripted_server import CLIENT_ID, CLIENT_SECRET, ScriptedServer, Step
from http_testkit import FAST_RETRY, make_auth

from cx_assets.http.client import ApiClient
from cx_assets.http.errors import ApiError, AuthError

PATH = "/api/v2/things"
TOKEN = "/oauth/token"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def bearer_of(server: ScriptedServer, path: str = PATH) -> list[str]:
    return [c.headers["authorization"].removeprefix("Bearer ") for c in server.calls(path)]


def test_token_request_is_basic_auth_with_form_grant_and_scopes(server: ScriptedServer) -> None:
    auth = make_auth(server, scopes=("dataexports:read", "analytics:read"))
    with ApiClient(server.base_url, auth=auth, retry=FAST_RETRY) as api:
        api.get_json(PATH)
        api.get_json(PATH)
    (call,) = server.calls(TOKEN)
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert call.method == "POST" and call.headers["authorization"] == f"Basic {basic}"
    form = parse_qs(call.body.decode())
    assert form == {
        "grant_type": ["client_credentials"],
        "scope": ["dataexports:read analytics:read"],
    }
    assert bearer_of(server) == [server.issued[0]] * 2
    assert api.stats.token_requests == 1 and api.stats.requests == 2


def test_token_is_refreshed_shortly_before_expiry(server: ScriptedServer) -> None:
    clock = Clock()
    server.expires_in = 3600
    with ApiClient(server.base_url, auth=make_auth(server, clock=clock), retry=FAST_RETRY) as api:
        api.get_json(PATH)
        clock.now = 3539  # more than 60 s left: keep the token
        api.get_json(PATH)
        clock.now = 3541  # less than 60 s left: refresh before the server would refuse it
        api.get_json(PATH)
    assert len(server.calls(TOKEN)) == 2
    assert bearer_of(server) == [server.issued[0], server.issued[0], server.issued[1]]


def test_short_lived_token_is_used_for_half_its_life(server: ScriptedServer) -> None:
    clock = Clock()
    server.expires_in = 10
    with ApiClient(server.base_url, auth=make_auth(server, clock=clock), retry=FAST_RETRY) as api:
        api.get_json(PATH)
        clock.now = 4.9
        api.get_json(PATH)
        clock.now = 5.0
        api.get_json(PATH)
    assert len(server.calls(TOKEN)) == 2


def test_401_refreshes_once_and_resends_once(client: ApiClient, server: ScriptedServer) -> None:
    client.get_json(PATH)
    server.revoke_tokens()  # e.g. revoked by an admin: the cached token is dead
    assert client.get_json(PATH)["path"] == PATH
    assert len(server.calls(TOKEN)) == 2
    assert bearer_of(server) == [server.issued[0], server.issued[0], server.issued[1]]


def test_persistent_401_raises_auth_error_after_one_refresh(
    client: ApiClient, server: ScriptedServer
) -> None:
    server.always("GET", PATH, Step(401, {"status": 401, "message": "token rejected"}))
    with pytest.raises(AuthError) as err:
        client.get_json(PATH)
    assert str(err.value) == "GET /api/v2/things -> 401: token rejected (after a token refresh)"
    assert len(server.calls(TOKEN)) == 2 and len(server.calls(PATH)) == 2


def test_eight_threads_share_one_token_fetch(client: ApiClient, server: ScriptedServer) -> None:
    server.token_delay_s = 0.3  # a slow login host: every thread arrives while it is in flight
    barrier = threading.Barrier(8)
    results: list[object] = []
    lock = threading.Lock()

    def call() -> None:
        barrier.wait()
        body = client.get_json(PATH)
        with lock:
            results.append(body)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [{"path": PATH, "method": "GET"}] * 8
    assert len(server.calls(TOKEN)) == 1
    assert set(bearer_of(server)) == {server.issued[0]}


def test_concurrent_401s_refresh_the_token_only_once(
    client: ApiClient, server: ScriptedServer
) -> None:
    client.get_json(PATH)
    server.revoke_tokens()
    server.token_delay_s = 0.2
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def call() -> None:
        barrier.wait()
        try:
            client.get_json(PATH)
        except BaseException as exc:  # pragma: no cover - shown by the assertion
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(server.calls(TOKEN)) == 2


def test_wrong_secret_names_the_client_not_the_secret(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "wrong-secret-do-not-print"
    auth = make_auth(server, client_secret=wrong)
    caplog.set_level(logging.DEBUG)
    with (
        ApiClient(server.base_url, auth=auth, retry=FAST_RETRY) as api,
        pytest.raises(AuthError) as err,
    ):
        api.get_json(PATH)
    text = f"{err.value} {err.value!r} {caplog.text}"
    assert str(err.value) == (
        "POST /oauth/token -> 401: OAuth client 'test-client' was rejected: "
        "unknown client or secret"
    )
    assert wrong not in text
    assert server.calls(PATH) == []  # no API call without a token
    assert len(server.calls(TOKEN)) == 1  # a rejected client is not retried


def test_invalid_scope_surfaces_the_oauth_description(server: ScriptedServer) -> None:
    auth = make_auth(server, scopes=("forbidden:scope",))
    with (
        ApiClient(server.base_url, auth=auth, retry=FAST_RETRY) as api,
        pytest.raises(ApiError, match="POST /oauth/token -> 400: scope forbidden:scope"),
    ):
        api.get_json(PATH)


def test_token_endpoint_5xx_is_retried(client: ApiClient, server: ScriptedServer) -> None:
    server.script("POST", TOKEN, Step(503, {"message": "login busy"}))
    assert client.get_json(PATH)["path"] == PATH
    assert client.stats.token_requests == 2 and client.stats.server_errors == 1


def test_token_endpoint_without_access_token_is_a_clear_error(
    client: ApiClient, server: ScriptedServer
) -> None:
    server.script("POST", TOKEN, Step(200, {"token_type": "bearer"}))
    with pytest.raises(ApiError, match="token response has no usable access_token"):
        client.get_json(PATH)


def test_secrets_and_tokens_never_reach_errors_or_logs(
    client: ApiClient, server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client.get_json(PATH)
    token = server.issued[0]
    echo = (
        f"bad request from client with secret {CLIENT_SECRET} and token {token}; "
        "see http://x.example/p?X-Amz-Signature=feedface99"
    )
    server.script("GET", PATH, Step(503, {"message": echo}), Step(400, {"message": echo}))
    with pytest.raises(ApiError) as err:
        client.get_json(PATH)
    text = f"{err.value} {err.value!r} {err.value.message} {caplog.text} {client.auth!r}"
    assert "bad request from client with secret *** and token ***" in str(err.value)
    for leaked in (CLIENT_SECRET, token, "feedface99"):
        assert leaked not in text
