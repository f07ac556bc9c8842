"""Plain-httpx helpers for the platform rules tests (written from docs/api-contract.md "Rules:
outbound rule sets and contact list filters", not from our own Genesys client)."""

from __future__ import annotations

import time
from typing import Any

import httpx

from cx_assets.emulator import EmulatorServer

RULE_SETS = "/api/v2/outbound/rulesets"
FILTERS = "/api/v2/outbound/contactlistfilters"
CONTACT_LISTS = "/api/v2/outbound/contactlists"
ACTIONS = "/api/v2/integrations/actions"
AUDITS = "/api/v2/audits/query"
EDIT = "/admin/outbound/edit"
SPRING = "c0a80001-0000-4000-8000-000000000001"
COLLECTIONS = "c0a80001-0000-4000-8000-000000000002"
LOOKUP = "da000001-0000-4000-8000-000000000001"
DNC = "da000001-0000-4000-8000-000000000002"
RULE_SET = "a1e50001-0000-4000-8000-000000000001"
FILTER = "f1170001-0000-4000-8000-000000000001"
DANA = {"id": "5e0c0001-0000-4000-8000-000000000001", "name": "Dana Okafor"}
EVER = "2000-01-01T00:00:00.000Z/2100-01-01T00:00:00.000Z"
#: Audit queries succeed at once unless a test wants to see them Queued / Running.
FAST: dict[str, Any] = {"audit_query_s": 0.0}


def read(api: httpx.Client, path: str) -> dict[str, Any]:
    response = api.get(path)
    assert response.status_code == 200, response.text
    return response.json()


def put(api: httpx.Client, base: str, entity: dict[str, Any]) -> httpx.Response:
    return api.put(f"{base}/{entity['id']}", json=entity)


def refused_field(response: httpx.Response) -> str:
    """The `details[0].fieldName` of a 400 `ErrorBody`."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "bad.request" and body["message"], body
    return body["details"][0]["fieldName"]


def admin_edit(emu: EmulatorServer, entity: str, entity_id: str, **body: Any) -> httpx.Response:
    return httpx.post(f"{emu.url}{EDIT}", json={"entity": entity, "id": entity_id, **body})


def start_query(api: httpx.Client, *filters: tuple[str, str], **body: Any) -> str:
    payload: dict[str, Any] = {"interval": EVER, "serviceName": "Outbound", **body}
    payload["filters"] = [{"property": p, "value": v} for p, v in filters]
    response = api.post(AUDITS, json=payload)
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "Queued"
    return response.json()["id"]


def wait_query(api: httpx.Client, transaction_id: str, deadline_s: float = 20.0) -> list[str]:
    """Every state the query showed while polled, in order, without repeats (to the end)."""
    seen: list[str] = []
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        state = read(api, f"{AUDITS}/{transaction_id}")["state"]
        if not seen or seen[-1] != state:
            seen.append(state)
        if state in ("Succeeded", "Failed", "Cancelled"):
            break
        time.sleep(0.01)
    return seen


def all_results(
    api: httpx.Client, transaction_id: str, page_size: int = 25, **params: Any
) -> list[list[dict[str, Any]]]:
    """Every results page, following `cursor` to the page without one."""
    pages, cursor = [], None
    while True:
        query = {"pageSize": page_size, **params, **({"cursor": cursor} if cursor else {})}
        response = api.get(f"{AUDITS}/{transaction_id}/results", params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["id"] == transaction_id and body["pageSize"] == page_size
        pages.append(body["entities"])
        cursor = body.get("cursor")
        if not cursor:
            return pages


def audits_of(api: httpx.Client, entity_id: str, **params: Any) -> list[dict[str, Any]]:
    """The entity's audit records, newest first."""
    transaction_id = start_query(
        api, ("EntityId", entity_id), sort=[{"name": "Timestamp", "sortOrder": "descending"}]
    )
    assert wait_query(api, transaction_id)[-1] == "Succeeded"
    return [m for page in all_results(api, transaction_id, **params) for m in page]
