"""CXone auth contract: tokens by form fields only, scopes (400 unknown, 403 missing), CXone and
Genesys tokens not interchangeable, and a per-client budget answered with 429 + Retry-After."""

from __future__ import annotations

import httpx
import pytest

from cx_assets_tests.emulator.cxone.cxone_support import (
    CXONE_CLIENT,
    EXPORTS,
    FAST_CXONE,
    cxone_client,
    cxone_token,
    export_body,
)
from cx_assets_tests.emulator.support import api_client, get_token


@pytest.fixture
def emu(emulator_factory):
    return emulator_factory(**FAST_CXONE)


def _token(emu, **data):
    form = {"grant_type": "client_credentials", **data}
    return httpx.post(f"{emu.url}/cxone/oauth/token", data=form)


def test_token_by_form_fields_grants_all_cxone_scopes(emu):
    response = _token(emu, client_id=CXONE_CLIENT[0], client_secret=CXONE_CLIENT[1])
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] > 0
    assert body["scope"].split() == [
        "analytics:export:read",
        "analytics:export:write",
        "reports:read",
    ]


@pytest.mark.parametrize(
    ("data", "auth", "status", "error"),
    [
        ({"client_id": CXONE_CLIENT[0], "client_secret": "nope"}, None, 401, "invalid_client"),
        ({}, CXONE_CLIENT, 401, "invalid_client"),  # HTTP Basic is not how CXone takes secrets
        ({"client_id": "emulator-client", "client_secret": "emulator-secret"}, None, 401,
         "invalid_client"),  # the Genesys client does not exist on CXone
        ({"client_id": CXONE_CLIENT[0], "client_secret": CXONE_CLIENT[1],
          "scope": "analytics:export:read admin:all"}, None, 400, "invalid_scope"),
        ({"client_id": CXONE_CLIENT[0], "client_secret": CXONE_CLIENT[1],
          "grant_type": "password"}, None, 400, "unsupported_grant_type"),
    ],
)  # fmt: skip
def test_token_refusals(emu, data, auth, status, error):
    form = {"grant_type": "client_credentials", **data}
    response = httpx.post(f"{emu.url}/cxone/oauth/token", data=form, auth=auth)
    assert response.status_code == status
    assert response.json()["error"] == error


def test_genesys_token_refused_on_cxone_and_cxone_token_on_genesys(emu):
    genesys = get_token(emu)
    on_cxone = cxone_client(emu, token=genesys).get(f"{EXPORTS}/some-id")
    assert on_cxone.status_code == 401
    assert "token is invalid" in on_cxone.json()["message"]

    cxone = cxone_token(emu)
    on_genesys = api_client(emu, token=cxone).get("/api/v2/dataexports/some-id")
    assert on_genesys.status_code == 401
    assert cxone_client(emu, token=cxone).get(f"{EXPORTS}/some-id").status_code == 404


def test_no_token_is_401(emu):
    response = httpx.post(f"{emu.url}/cxone{EXPORTS}", json=export_body())
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_missing_scope_is_403_naming_it(emu):
    reader = cxone_client(emu, token=cxone_token(emu, scope="analytics:export:read"))
    refused = reader.post(EXPORTS, json=export_body())
    assert refused.status_code == 403
    assert "analytics:export:write" in refused.json()["message"]

    writer = cxone_client(emu, token=cxone_token(emu, scope="analytics:export:write"))
    created = writer.post(EXPORTS, json=export_body())
    assert created.status_code == 202
    status = writer.get(f"{EXPORTS}/{created.json()['id']}")
    assert status.status_code == 403
    assert "analytics:export:read" in status.json()["message"]
    assert reader.get(f"{EXPORTS}/{created.json()['id']}").status_code == 200


def test_budget_exhausted_is_429_with_retry_after_and_genesys_unaffected(emulator_factory):
    emu = emulator_factory(cxone_rate_limit_per_minute=3, **FAST_CXONE)
    client = cxone_client(emu)
    answers = [client.get(f"{EXPORTS}/missing") for _ in range(4)]
    assert [a.status_code for a in answers] == [404, 404, 404, 429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert not any(name.startswith("inin-") for name in answers[0].headers)
    refused = answers[-1]
    assert int(refused.headers["Retry-After"]) >= 1
    assert "rate limit of 3 requests per 60 s" in refused.json()["message"]
    # the Genesys side keeps its own budget
    assert api_client(emu).get("/api/v2/dataexports/missing").status_code == 404


def test_injected_429_on_cxone_prefix(emu):
    client = cxone_client(emu)
    emu.add_faults("http_429:count=1,path_prefix=/cxone,retry_after=7")
    first = client.get(f"{EXPORTS}/missing")
    assert first.status_code == 429 and first.headers["Retry-After"] == "7"
    assert client.get(f"{EXPORTS}/missing").status_code == 404
