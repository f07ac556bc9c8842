"""Plain-httpx helpers for the CXone platform-mode emulator tests (tested against the contract,
not against cx_assets' own CXone client)."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx

from cx_assets.emulator import EmulatorServer

ACCESS_KEY = ("emulator-access-key-id", "emulator-access-key-secret")
APP = ("emulator-cxone-app", "emulator-cxone-app-secret")
TENANT_ID = "11e8ac5a-0000-4000-8000-00000000c1c1"
CONTACTS = "/api-na1.niceincontact.com/inContactAPI/services/v30.0/contacts/completed"
DAY = {"startDate": "2024-03-05T00:00:00.000Z", "endDate": "2024-03-06T00:00:00.000Z"}
REQUIRED = (
    "contactStart",
    "mediaTypeName",
    "isOutbound",
    "skillId",
    "lastUpdateTime",
    "totalDurationSeconds",
)


def issuer(emu: EmulatorServer) -> str:
    return f"{emu.url}/cxone-platform"


def password_grant(emu: EmulatorServer, **changes: str) -> httpx.Response:
    form = {
        "grant_type": "password",
        "username": ACCESS_KEY[0],
        "password": ACCESS_KEY[1],
        "client_id": APP[0],
        "client_secret": APP[1],
        **changes,
    }
    return httpx.post(f"{issuer(emu)}/auth/token", data=form)


def access_token(emu: EmulatorServer) -> str:
    response = password_grant(emu)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def claims(jwt: str) -> dict[str, Any]:
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def api(emu: EmulatorServer, token: str | None = None, timeout: float = 30) -> httpx.Client:
    """A client on the issuer, so paths are `CONTACTS` (the API base the emulator serves)."""
    token = token or access_token(emu)
    return httpx.Client(
        base_url=issuer(emu), headers={"Authorization": f"Bearer {token}"}, timeout=timeout
    )


def all_contacts(client: httpx.Client, top: int = 10000, **params: Any) -> list[dict]:
    """Every contact of a query (DAY unless given), paging `skip += len(page)` until a short page
    or a 204."""
    params = {**DAY, **params} if "updatedSince" not in params else params
    params["top"] = top
    records: list[dict] = []
    while True:
        response = client.get(CONTACTS, params={**params, "skip": len(records)})
        if response.status_code == 204:
            return records
        assert response.status_code == 200, response.text
        page = response.json()["completedContacts"]
        records.extend(page)
        if len(page) < top:
            return records
