"""OAuth contract: client credentials by Basic or form, scopes granted or refused, and API calls
answered 401 (no/unknown/expired/revoked token) or 403 naming the missing scope."""

from __future__ import annotations

import time

import httpx

from cx_assets.emulator.app import APIS

from .support import api_client, get_token

TOKEN_FORM = {"grant_type": "client_credentials"}


def test_basic_auth_grants_every_allowed_scope(emulator):
    response = httpx.post(
        f"{emulator.url}/oauth/token", data=TOKEN_FORM, auth=("emulator-client", "emulator-secret")
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert set(body["scope"].split()) == {scope for api in APIS for scope in api.scopes}
    assert "dataexports:read" in body["scope"].split()
    assert body["access_token"]


def test_form_credentials_and_requested_scope(emulator):
    form = {
        **TOKEN_FORM,
        "client_id": "emulator-client",
        "client_secret": "emulator-secret",
        "scope": "dataexports:read",
    }
    response = httpx.post(f"{emulator.url}/oauth/token", data=form)
    assert response.status_code == 200
    assert response.json()["scope"] == "dataexports:read"


def test_wrong_secret_is_invalid_client_and_never_echoed(emulator):
    response = httpx.post(
        f"{emulator.url}/oauth/token", data=TOKEN_FORM, auth=("emulator-client", "nope-secret")
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "nope-secret" not in response.text


def test_unknown_scope_and_grant_type_are_400(emulator):
    auth = ("emulator-client", "emulator-secret")
    bad_scope = httpx.post(
        f"{emulator.url}/oauth/token", data={**TOKEN_FORM, "scope": "admin:all"}, auth=auth
    )
    assert bad_scope.status_code == 400
    assert bad_scope.json()["error"] == "invalid_scope"
    assert "admin:all" in bad_scope.json()["error_description"]
    bad_grant = httpx.post(
        f"{emulator.url}/oauth/token", data={"grant_type": "password"}, auth=auth
    )
    assert bad_grant.status_code == 400
    assert bad_grant.json()["error"] == "unsupported_grant_type"


def test_token_without_the_scope_gets_403_naming_it(emulator_factory):
    emu = emulator_factory(
        clients={"emulator-client": "emulator-secret", "limited": "limited-secret"},
        client_scopes={"limited": ()},
    )
    response = httpx.post(
        f"{emu.url}/oauth/token", data=TOKEN_FORM, auth=("limited", "limited-secret")
    )
    assert response.json()["scope"] == ""
    client = api_client(emu, response.json()["access_token"])
    denied = client.get("/api/v2/dataexports/anything")
    assert denied.status_code == 403
    assert "dataexports:read" in denied.json()["message"]


def test_missing_unknown_and_expired_tokens_are_401(emulator_factory):
    emu = emulator_factory(token_ttl_s=1)
    assert httpx.get(f"{emu.url}/api/v2/dataexports/x").status_code == 401
    unknown = api_client(emu, "not-a-token").get("/api/v2/dataexports/x")
    assert unknown.status_code == 401
    assert unknown.json()["status"] == 401
    client = api_client(emu)
    assert client.get("/api/v2/dataexports/x").status_code == 404
    time.sleep(1.1)  # let the 1 s token lapse
    assert client.get("/api/v2/dataexports/x").status_code == 401


def test_revoke_tokens_fault_invalidates_issued_tokens(emulator):
    client = api_client(emulator)
    assert client.get("/api/v2/dataexports/x").status_code == 404
    emulator.add_faults("revoke_tokens")
    assert client.get("/api/v2/dataexports/x").status_code == 401
    assert api_client(emulator, get_token(emulator)).get("/api/v2/dataexports/x").status_code == 404
    assert emulator.stats()["faults_fired"]["revoke_tokens"] == 1
