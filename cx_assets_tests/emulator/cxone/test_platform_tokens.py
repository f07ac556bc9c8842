"""CXone platform tokens: the password grant (form or Basic app credentials), refresh grants,
the access-key endpoint and its refresh, JWT claims, and 401 `invalid_token` for expired,
revoked and fault-"expired" tokens."""

from __future__ import annotations

import time

import httpx
import pytest

from cx_assets_tests.emulator.cxone.platform_support import (
    ACCESS_KEY,
    APP,
    CONTACTS,
    DAY,
    TENANT_ID,
    access_token,
    api,
    claims,
    issuer,
    password_grant,
)
from cx_assets_tests.emulator.support import api_client

PREFIX = "/cxone-platform"


def _contacts_status(emu, token: str) -> httpx.Response:
    with api(emu, token) as client:
        return client.get(CONTACTS, params={**DAY, "top": 1})


def test_password_grant_issues_jwts_carrying_the_tenant(emulator):
    response = password_grant(emulator)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["refresh_token"]
    for jwt in (body["access_token"], body["id_token"]):
        assert len(jwt.split(".")) == 3
        found = claims(jwt)
        assert found["tenantId"] == TENANT_ID
        assert found["iss"] == issuer(emulator)
        assert found["exp"] - found["iat"] == 3600 and found["sub"]
    assert _contacts_status(emulator, body["access_token"]).status_code == 200


def test_app_credentials_may_come_by_http_basic(emulator):
    form = {"grant_type": "password", "username": ACCESS_KEY[0], "password": ACCESS_KEY[1]}
    response = httpx.post(f"{issuer(emulator)}/auth/token", data=form, auth=APP)
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("changes", "status", "error"),
    [
        ({"password": "wrong"}, 401, "invalid_grant"),
        ({"username": "someone-else"}, 401, "invalid_grant"),
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"client_id": "emulator-cxone-key"}, 401, "invalid_client"),  # the tutorial's client
        ({"grant_type": "client_credentials"}, 400, "unsupported_grant_type"),
    ],
)
def test_wrong_credentials_are_refused_with_oauth_errors(emulator, changes, status, error):
    response = password_grant(emulator, **changes)
    assert response.status_code == status
    body = response.json()
    assert body["error"] == error and body["error_description"]


def test_refresh_grant_gives_a_new_pair_and_uses_the_refresh_token_up(emulator):
    first = password_grant(emulator).json()
    form = {
        "grant_type": "refresh_token",
        "refresh_token": first["refresh_token"],
        "client_id": APP[0],
        "client_secret": APP[1],
    }
    url = f"{issuer(emulator)}/auth/token"
    refreshed = httpx.post(url, data=form)
    assert refreshed.status_code == 200
    second = refreshed.json()
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert claims(second["id_token"])["tenantId"] == TENANT_ID
    assert _contacts_status(emulator, second["access_token"]).status_code == 200
    again = httpx.post(url, data=form)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    unknown = httpx.post(url, data={**form, "refresh_token": "never-issued"})
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_grant"
    wrong_app = httpx.post(
        url, data={**form, "refresh_token": second["refresh_token"], "client_secret": "x"}
    )
    assert wrong_app.status_code == 401 and wrong_app.json()["error"] == "invalid_client"


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "form"])
def test_access_key_endpoint_and_user_refresh(emulator, as_json):
    def post(path: str, body: dict[str, str]) -> httpx.Response:
        url = issuer(emulator) + path
        return httpx.post(url, json=body) if as_json else httpx.post(url, data=body)

    keys = {"accessKeyId": ACCESS_KEY[0], "accessKeySecret": ACCESS_KEY[1]}
    issued = post("/authentication/v1/token/access-key", keys)
    assert issued.status_code == 200
    body = issued.json()
    assert {"access_token", "token_type", "expires_in", "refresh_token"} <= set(body)
    assert claims(body["access_token"])["tenantId"] == TENANT_ID
    assert _contacts_status(emulator, body["access_token"]).status_code == 200

    refreshed = post("/public/user/refresh", {"token": body["refresh_token"]})
    assert refreshed.status_code == 200
    new = refreshed.json()
    assert new["token"] == new["access_token"] != body["access_token"]
    assert new["refreshToken"] == new["refresh_token"] and new["expires_in"] == 3600
    assert _contacts_status(emulator, new["token"]).status_code == 200
    used = post("/public/user/refresh", {"token": body["refresh_token"]})
    assert used.status_code == 400 and used.json()["error"] == "invalid_grant"

    wrong = post("/authentication/v1/token/access-key", {**keys, "accessKeySecret": "nope"})
    assert wrong.status_code == 401


def test_missing_and_unknown_bearer_tokens_are_invalid_token(emulator):
    with httpx.Client(base_url=issuer(emulator)) as client:
        missing = client.get(CONTACTS, params=DAY)
    assert missing.status_code == 401 and missing.json()["error"] == "invalid_token"
    unknown = _contacts_status(emulator, "not-a-token")
    assert unknown.status_code == 401 and unknown.json()["error"] == "invalid_token"
    genesys = _contacts_status(emulator, api_client(emulator).headers["authorization"][7:])
    assert genesys.status_code == 401


def test_an_expired_token_is_refused(emulator_factory):
    emu = emulator_factory(token_ttl_s=1)
    token = access_token(emu)
    assert _contacts_status(emu, token).status_code == 200
    time.sleep(1.1)
    expired = _contacts_status(emu, token)
    assert expired.status_code == 401
    assert set(expired.json()) == {"error", "error_description"}
    assert expired.json()["error"] == "invalid_token"
    assert "expired" in expired.json()["error_description"]


def test_revoke_tokens_refuses_every_platform_token_but_not_genesys_ones(emulator):
    token = access_token(emulator)
    refresh = password_grant(emulator).json()["refresh_token"]
    genesys = api_client(emulator)
    emulator.add_faults({"kind": "revoke_tokens", "path_prefix": PREFIX})
    revoked = _contacts_status(emulator, token)
    assert revoked.status_code == 401 and revoked.json()["error"] == "invalid_token"
    gone = httpx.post(f"{issuer(emulator)}/public/user/refresh", json={"token": refresh})
    assert gone.status_code == 400
    assert _contacts_status(emulator, access_token(emulator)).status_code == 200
    availability = genesys.get("/api/v2/analytics/conversations/details/jobs/availability")
    assert availability.status_code == 200


def test_cxone_token_expired_fault_answers_401_once_and_the_token_stays_valid(emulator):
    token = access_token(emulator)
    emulator.add_faults({"kind": "cxone_token_expired", "count": 2, "path_prefix": PREFIX})
    for _ in range(2):
        refused = _contacts_status(emulator, token)
        assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"
    assert _contacts_status(emulator, token).status_code == 200
    assert emulator.admin.faults()["fired"]["cxone_token_expired"] == 2


def test_stats_count_tokens_by_grant(emulator):
    first = password_grant(emulator).json()
    httpx.post(
        f"{issuer(emulator)}/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        auth=APP,
    )
    httpx.post(
        f"{issuer(emulator)}/authentication/v1/token/access-key",
        json={"accessKeyId": ACCESS_KEY[0], "accessKeySecret": ACCESS_KEY[1]},
    )
    stats = emulator.stats()["cxone_platform"]
    assert stats["tokens_issued"] == {"password": 1, "refresh_token": 1, "access_key": 1}
    assert stats["refreshes"] == 1
