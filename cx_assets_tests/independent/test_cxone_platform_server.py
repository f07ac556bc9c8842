"""The independent CXone platform server keeps its contract (docs/api-contract.md, CXone part).

Plain httpx over loopback: discovery, both token routes and their refreshes, skip/top paging to
a short page or a 204, literal-`Z` enforcement, exact counts, and every quirk switched on and off.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from cx_assets_tests.independent.cxone_platform_data import REQUIRED, SECONDS
from cx_assets_tests.independent.cxone_platform_server import Quirks, RunningCxone

DAY = date(2024, 3, 5)
WINDOW = {"startDate": "2024-03-05T00:00:00.000Z", "endDate": "2024-03-06T00:00:00.000Z"}
PATH = "/inContactAPI/services/v26.0/contacts/completed"
Json = dict[str, Any]


def password_grant(running: RunningCxone, **override: str) -> httpx.Response:
    auth = running.auth
    form = {"grant_type": "password", "username": auth.access_key_id}
    form |= {"password": auth.access_key_secret, "client_id": auth.client_id}
    form |= {"client_secret": auth.client_secret} | override
    return httpx.post(f"{running.issuer}/oauth2/token", data=form)


def api(running: RunningCxone, token: str = "") -> httpx.Client:
    token = token or password_grant(running).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.Client(base_url=running.api_base, headers=headers)


def claims(token: str) -> Json:
    body = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))))


def pages(client: httpx.Client, top: int, params: Json = WINDOW) -> list[httpx.Response]:
    """Page the way the contract says: `skip += len(page)` until short or 204."""
    out, skip = [], 0
    while True:
        response = client.get(PATH, params=params | {"skip": skip, "top": top})
        out.append(response)
        if response.status_code == 204:
            return out
        assert response.status_code == 200, response.text
        batch = response.json()["completedContacts"]
        skip += len(batch)
        if len(batch) < top:
            return out


@pytest.fixture
def literal(independent_cxone: RunningCxone) -> RunningCxone:
    """The same server with every quirk off: the most literal reading."""
    independent_cxone.server.quirks = Quirks.obvious()
    return independent_cxone


def test_discovery_leads_from_the_issuer_to_the_api_base(independent_cxone: RunningCxone) -> None:
    running = independent_cxone
    openid = httpx.get(f"{running.issuer}/.well-known/openid-configuration").json()
    assert openid["token_endpoint"] == f"{running.issuer}/oauth2/token"
    assert "grant_types_supported" in openid  # an extra member a client ignores
    config_url = f"{running.issuer}/.well-known/cxone-configuration"
    config = httpx.get(config_url, params={"tenantId": running.auth.tenant_id}).json()
    assert config["api_endpoint"] == running.api_base and "area" not in config
    running.server.quirks = Quirks.obvious()
    config = httpx.get(config_url, params={"tenantId": running.auth.tenant_id}).json()
    assert config == {"tenantId": running.auth.tenant_id, "area": "eu1", "domain": config["domain"]}
    assert running.api_host_template.format(**config) == running.api_base
    assert httpx.get(config_url).status_code == 400
    assert httpx.get(config_url, params={"tenantId": "nobody"}).status_code == 404


def test_password_grant_and_its_refresh(independent_cxone: RunningCxone) -> None:
    running, auth = independent_cxone, independent_cxone.auth
    body = password_grant(running).json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == auth.token_ttl_s
    assert "id_token" not in body and claims(body["access_token"])["tenantId"] == auth.tenant_id
    form = {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
    basic = (auth.client_id, auth.client_secret)
    renewed = httpx.post(f"{running.issuer}/oauth2/token", data=form, auth=basic)
    assert renewed.status_code == 200 and renewed.json()["access_token"] != body["access_token"]
    again = httpx.post(f"{running.issuer}/oauth2/token", data=form, auth=basic)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")
    running.server.quirks = Quirks.obvious()
    id_token = password_grant(running).json()["id_token"]
    assert claims(id_token)["tenantId"] == auth.tenant_id
    assert [g.grant for g in auth.issued] == ["password", "refresh_token", "password"]


@pytest.mark.parametrize(
    ("override", "status", "error"),
    [
        ({"password": "wrong"}, 401, "invalid_grant"),
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"grant_type": "client_credentials"}, 400, "unsupported_grant_type"),
    ],
)
def test_token_errors(
    independent_cxone: RunningCxone, override: dict[str, str], status: int, error: str
) -> None:
    response = password_grant(independent_cxone, **override)
    assert (response.status_code, response.json()["error"]) == (status, error)


def test_access_key_route_and_user_refresh(independent_cxone: RunningCxone) -> None:
    running, auth = independent_cxone, independent_cxone.auth
    url = f"{running.issuer}/authentication/v1/token/access-key"
    key = {"accessKeyId": auth.access_key_id, "accessKeySecret": auth.access_key_secret}
    by_json, by_form = httpx.post(url, json=key).json(), httpx.post(url, data=key).json()
    assert by_json["token_type"] == by_form["token_type"] == "bearer"
    assert httpx.post(url, json=key | {"accessKeySecret": "x"}).status_code == 401
    refresh_url = f"{running.issuer}/public/user/refresh"
    cxde = httpx.post(refresh_url, json={"token": by_json["refresh_token"]}).json()
    assert {"token", "refreshToken", "refreshTokenExpirationTimeSec"} <= set(cxde)
    assert not {"access_token", "refresh_token", "expires_in"} & set(cxde)
    running.server.quirks = Quirks.obvious()
    both = httpx.post(refresh_url, data={"token": cxde["refreshToken"]}).json()
    assert both["token"] == both["access_token"] and both["token_type"] == "Bearer"
    assert both["refreshToken"] == both["refresh_token"] and both["expires_in"] > 0
    used = httpx.post(refresh_url, json={"token": cxde["refreshToken"]})
    assert used.status_code == 400
    assert api(running, both["token"]).get(PATH, params=WINDOW).status_code == 200


def test_literal_paging_ends_on_a_short_page_or_a_204(literal: RunningCxone) -> None:
    client, expected = api(literal), literal.server.expected_contacts(DAY)
    assert len(expected) == 30
    short = pages(client, top=7)
    assert [len(r.json()["completedContacts"]) for r in short] == [7, 7, 7, 7, 2]
    assert [c for r in short for c in r.json()["completedContacts"]] == expected
    assert {r.json()["totalRecords"] for r in short} == {30}
    exact = pages(client, top=10)
    assert [r.status_code for r in exact] == [200, 200, 200, 204] and exact[-1].content == b""
    assert client.get(PATH, params=WINDOW | {"skip": 99}).status_code == 204
    assert [r["top"] for r in literal.server.contacts_requests[:5]] == ["7"] * 5


def test_exact_counts_of_incomplete_contacts(literal: RunningCxone) -> None:
    incomplete = literal.server.incomplete_contacts(DAY)
    assert len(incomplete) == 3 and len(literal.server.complete_contacts(DAY)) == 27
    assert [next(f for f in REQUIRED if f not in c) for c in incomplete] == list(REQUIRED[:3])
    ids = [c["contactId"] for c in literal.server.expected_contacts(DAY + timedelta(days=1))]
    assert not set(ids) & {c["contactId"] for c in literal.server.expected_contacts(DAY)}


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"startDate": "2024-03-05T00:00:00+00:00"}, "startDate"),
        ({"endDate": "2024-03-06T00:00:00"}, "endDate"),
        ({"startDate": "2024-03-05T00:00:00.000z"}, "startDate"),
        ({"endDate": "2024-03-06"}, "endDate"),
        ({"endDate": "2024-03-05T00:00:00Z"}, "endDate"),
        ({"endDate": "2024-04-15T00:00:00Z"}, "endDate"),
        ({"top": "10001"}, "top"),
        ({"top": "0"}, "top"),
        ({"skip": "-1"}, "skip"),
        ({"updatedSince": "2024-03-05T00:00:00+00:00"}, "updatedSince"),
    ],
)
def test_bad_parameters_are_400_naming_them(
    literal: RunningCxone, params: dict[str, str], named: str
) -> None:
    response = api(literal).get(PATH, params=WINDOW | params)
    assert response.status_code == 400 and named in response.json()["error_description"]


def test_paths_versions_and_tokens(literal: RunningCxone) -> None:
    client = api(literal)
    assert client.get(PATH, params=WINDOW | {"startDate": "2024-03-05T00:00:00Z"}).is_success
    for version in ("v21.0", "v32.0"):
        assert client.get(PATH.replace("v26.0", version), params=WINDOW).status_code == 200
    for version in ("v20.0", "v33.0", "v26"):
        assert client.get(PATH.replace("v26.0", version), params=WINDOW).status_code == 404
    assert client.get(f"{literal.url}/api-na1.niceincontact.com{PATH}").status_code == 404
    anonymous = httpx.get(f"{literal.api_base}{PATH}", params=WINDOW)
    assert (anonymous.status_code, anonymous.json()["error"]) == (401, "invalid_token")
    assert api(literal, "not-a-token").get(PATH, params=WINDOW).status_code == 401


def test_clock_and_late_updates(literal: RunningCxone) -> None:
    server = literal.server
    server.now = datetime(2024, 3, 6, 12, 0, tzinfo=UTC)
    client = api(literal)
    today = {"startDate": "2024-03-06T00:00:00Z", "endDate": "2024-03-07T00:00:00Z"}
    served = client.get(PATH, params=today).json()["completedContacts"]
    assert 0 < len(served) < 30 and len(served) == len(server.expected_contacts(DAY + timedelta(1)))
    ids = server.late_update(DAY, 4)
    since = {"updatedSince": "2024-03-06T11:59:59Z"}
    updated = client.get(PATH, params=since).json()["completedContacts"]
    assert [c["contactId"] for c in updated] == ids
    assert {c["primaryDispositionId"] for c in updated} == {99}
    both = client.get(PATH, params=WINDOW | since).json()["completedContacts"]
    assert [c["contactId"] for c in both] == ids
    too_old = client.get(PATH, params={"updatedSince": "2024-02-01T00:00:00Z"})
    assert too_old.status_code == 400 and "updatedSince" in too_old.text


def test_data_quirks(independent_cxone: RunningCxone) -> None:
    server = independent_cxone.server
    server.quirks = Quirks.only(
        "float_seconds",
        "whole_second_times",
        "null_fields",
        "agent_zero_for_abandoned",
        "other_media_names",
        "extra_fields",
    )
    records = api(independent_cxone).get(PATH, params=WINDOW).json()["completedContacts"]
    assert records == server.expected_contacts(DAY)
    assert all(isinstance(r["contactId"], int) and isinstance(r["holdCount"], int) for r in records)
    assert all(isinstance(r[k], float) for r in records for k in SECONDS if r.get(k) is not None)
    starts = [r["contactStart"] for r in records if r.get("contactStart")]
    assert any(len(s) == 20 for s in starts) and any(len(s) == 24 for s in starts)
    assert any(r.get("campaignId", 1) is None for r in records)
    assert any("campaignId" not in r for r in records)
    assert {r["agentId"] for r in records if r["abandoned"]} == {0}
    assert {"Voice Mail", "Social"} & {r.get("mediaTypeName") for r in records}
    assert all("xIndependentRecord" in r for r in records)
    server.quirks = Quirks.obvious()
    plain = api(independent_cxone).get(PATH, params=WINDOW).json()["completedContacts"]
    assert all(isinstance(r["totalDurationSeconds"], int) for r in plain if r.get("contactStart"))
    assert {r["agentId"] for r in plain if r["abandoned"]} == {None}
    assert all(len(r.get("contactStart", "x" * 24)) == 24 for r in plain)


def test_page_quirks_links_and_no_total(independent_cxone: RunningCxone) -> None:
    server = independent_cxone.server
    server.quirks = Quirks.only("hal_links", "no_total_records")
    client, seen, url = (
        api(independent_cxone),
        [],
        f"{PATH}?{httpx.QueryParams(WINDOW | {'top': 12})}",
    )
    while url:
        body = client.get(url).json()
        assert "totalRecords" not in body and body["businessUnitId"]
        seen += body["completedContacts"]
        url = body["_links"].get("next", {}).get("href", "")
    assert seen == server.expected_contacts(DAY)


def test_one_429_then_one_expired_token(independent_cxone: RunningCxone) -> None:
    client = api(independent_cxone)
    first, second = client.get(PATH, params=WINDOW), client.get(PATH, params=WINDOW)
    assert first.status_code == 200 and "totalRecords" not in first.json()
    assert (second.status_code, second.headers["Retry-After"]) == (429, "1")
    third, fourth = client.get(PATH, params=WINDOW), client.get(PATH, params=WINDOW)
    assert [third.status_code, fourth.status_code] == [401, 401]
    assert third.json()["error"] == "invalid_token"
    assert api(independent_cxone).get(PATH, params=WINDOW).status_code == 200
    statuses = [r["status"] for r in independent_cxone.server.contacts_requests]
    assert statuses == [200, 429, 401, 401, 200]
