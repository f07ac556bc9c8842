"""Fault switches and the per-tenant budget on the CXone platform paths (`path_prefix`
`/cxone-platform`): 429 with Retry-After, 5xx, slow, hang, a cut contacts page."""

from __future__ import annotations

import time

import httpx
import pytest

from cx_assets_tests.emulator.cxone.platform_support import CONTACTS, DAY, access_token, api

PREFIX = "/cxone-platform"


@pytest.fixture
def emu(emulator_factory):
    return emulator_factory(cxone_contacts_per_day=300)


def _get(client: httpx.Client) -> httpx.Response:
    return client.get(CONTACTS, params=DAY)


def test_http_429_fault_carries_retry_after(emu):
    with api(emu) as client:
        emu.add_faults({"kind": "http_429", "path_prefix": PREFIX, "retry_after": 3})
        refused = _get(client)
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "3"
        assert _get(client).status_code == 200


def test_http_5xx_fault(emu):
    with api(emu) as client:
        emu.add_faults({"kind": "http_5xx", "path_prefix": PREFIX, "status": 502, "count": 2})
        assert [_get(client).status_code for _ in range(3)] == [502, 502, 200]


def test_slow_fault_delays_the_answer(emu):
    with api(emu) as client:
        emu.add_faults({"kind": "slow", "path_prefix": PREFIX, "delay_s": 0.4})
        started = time.monotonic()
        assert _get(client).status_code == 200
        assert time.monotonic() - started >= 0.4


def test_hang_fault_outlasts_the_client_timeout(emu):
    with api(emu, timeout=0.3) as client:
        emu.add_faults({"kind": "hang", "path_prefix": PREFIX, "delay_s": 5})
        with pytest.raises(httpx.ReadTimeout):
            _get(client)
        assert _get(client).status_code == 200


def test_drop_connection_cuts_a_page_that_announced_its_length(emu):
    with api(emu) as client:
        emu.add_faults({"kind": "drop_connection", "path_prefix": PREFIX})
        with pytest.raises(httpx.RemoteProtocolError):
            _get(client)
        whole = _get(client)
        assert whole.status_code == 200 and len(whole.json()["completedContacts"]) == 300


def test_budget_per_tenant_answers_429_with_retry_after(emulator_factory):
    emu = emulator_factory(cxone_contacts_per_day=10, cxone_rate_limit_per_minute=3)
    first, second = access_token(emu), access_token(emu)  # one tenant, one budget
    statuses = []
    for token in (first, second, first, second):
        with api(emu, token) as client:
            response = _get(client)
            statuses.append(response.status_code)
    assert statuses == [200, 200, 200, 429]
    assert int(response.headers["Retry-After"]) >= 1
    assert response.json()["error"] == "too_many_requests"
