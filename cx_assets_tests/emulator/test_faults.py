"""Fault switches: request faults (429 with seconds or HTTP date, 5xx, slow, hang) are seen over
HTTP, honour count/rate/path_prefix, and are managed through /admin/faults; specs parse from
the CLI form and the CX_EMULATOR_FAULTS JSON list with errors naming the bad part."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

import httpx
import pytest

from cx_assets.emulator import EmulatorConfig, Fault, parse_fault_spec
from cx_assets.emulator.faults import FaultSpecError

from .support import api_client, export_body


def test_http_429_with_seconds_then_recovers(emulator):
    client = api_client(emulator)
    emulator.add_faults("http_429:count=2,retry_after=7")
    first = client.get("/api/v2/dataexports/x")
    second = client.get("/api/v2/dataexports/x")
    assert (first.status_code, second.status_code) == (429, 429)
    assert first.headers["retry-after"] == "7"
    assert client.get("/api/v2/dataexports/x").status_code == 404
    assert emulator.stats()["faults_fired"]["http_429"] == 2


def test_http_429_with_http_date(emulator):
    client = api_client(emulator)
    emulator.add_faults({"kind": "http_429", "count": 1, "retry_after": "http-date"})
    response = client.get("/api/v2/dataexports/x")
    assert response.status_code == 429
    assert parsedate_to_datetime(response.headers["retry-after"]).tzinfo is not None


def test_http_5xx_status_and_path_prefix(emulator):
    emulator.add_faults("http_5xx:count=1,status=502,path_prefix=/api/v2/dataexports")
    token_response = httpx.post(
        f"{emulator.url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(emulator.client_id, emulator.client_secret),
    )
    assert token_response.status_code == 200  # outside the prefix
    client = api_client(emulator)
    failed = client.post("/api/v2/dataexports", json=export_body())
    assert failed.status_code == 502
    assert failed.json()["status"] == 502
    assert client.post("/api/v2/dataexports", json=export_body()).status_code == 202


def test_rate_one_always_fires_and_clear_stops_it(emulator):
    emulator.add_faults("http_5xx:rate=1.0")
    assert all(httpx.get(f"{emulator.url}/files/a/b").status_code == 503 for _ in range(3))
    listed = emulator.admin.faults()
    assert listed["faults"] == [{"kind": "http_5xx", "rate": 1.0}]
    assert emulator.clear_faults()["faults"] == []
    assert httpx.get(f"{emulator.url}/files/a/b").status_code == 403


def test_slow_and_hang_outlast_a_short_client_timeout(emulator):
    emulator.add_faults("slow:count=1,delay_s=2", "hang:count=1")
    for _ in range(2):
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(f"{emulator.url}/files/a/b", timeout=0.3)
    assert httpx.get(f"{emulator.url}/files/a/b", timeout=5).status_code == 403
    fired = emulator.stats()["faults_fired"]
    assert fired["slow"] == 1 and fired["hang"] == 1


def test_admin_rejects_bad_faults_with_the_reason(emulator):
    response = httpx.post(f"{emulator.url}/admin/faults", json={"faults": [{"kind": "gremlins"}]})
    assert response.status_code == 400
    assert "unknown fault kind 'gremlins'" in response.json()["message"]


def test_parse_cli_specs():
    assert parse_fault_spec("http_429:rate=0.05") == Fault("http_429", rate=0.05)
    assert parse_fault_spec("corrupt_file:count=1") == Fault("corrupt_file", count=1)
    assert parse_fault_spec("http_429:count=1,retry_after=http-date").retry_after == "http-date"
    assert parse_fault_spec("hang:delay_s=1.5").delay_s == 1.5


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nope", "unknown fault kind"),
        ("http_429:rate=2", "rate must be between 0 and 1"),
        ("http_429:count=x", "fault field count has a bad value"),
        ("http_429:count", "is not key=value"),
        ("http_5xx:status=404", "status must be a 5xx"),
        ("http_429:count=1,rate=0.5", "count or rate, not both"),
        ("http_429:colour=red", "unknown fault field(s): colour"),
    ],
)
def test_bad_specs_name_the_problem(spec, message):
    with pytest.raises(FaultSpecError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_fault_spec(spec)


def test_faults_from_environment_json():
    config = EmulatorConfig.from_env(
        {"CX_EMULATOR_FAULTS": '[{"kind": "http_429", "rate": 0.05}, {"kind": "corrupt_file"}]'}
    )
    assert config.faults == (Fault("http_429", rate=0.05), Fault("corrupt_file"))
    with pytest.raises(FaultSpecError, match="JSON list"):
        EmulatorConfig.from_env({"CX_EMULATOR_FAULTS": '{"kind": "hang"}'})


def test_faults_given_at_start_are_active(emulator_factory):
    emu = emulator_factory(faults=(parse_fault_spec("http_5xx:count=1"),))
    assert httpx.get(f"{emu.url}/files/a/b").status_code == 503
    assert httpx.get(f"{emu.url}/files/a/b").status_code == 403
