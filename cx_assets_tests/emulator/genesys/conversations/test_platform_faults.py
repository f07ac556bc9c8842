"""Fault switches on the details jobs (through /admin/faults): job_failed ends the next job
FAILED with an errorMessage; job_expired expires a job after `after` result pages (later pages
404); invalid_cursor refuses the next cursor; slow_job holds a job QUEUED/PENDING for delay_s;
watermark_lag moves dataAvailabilityDate back by delay_s; http_429 (real body), http_5xx, slow
and drop_connection (half a page, then the connection is cut) act on these paths by path_prefix.
Each fault fires once and the next call works."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from .platform_support import FAST_JOBS, JOBS, client, results, submit, wait_state


@pytest.fixture
def emu(emulator_factory):
    return emulator_factory(**FAST_JOBS)


def _fulfilled(api: httpx.Client) -> str:
    job_id = submit(api)
    assert wait_state(api, job_id)["state"] == "FULFILLED"
    return job_id


def test_job_failed_fails_the_next_job_only(emu):
    api = client(emu)
    emu.add_faults("job_failed")
    failed = wait_state(api, submit(api))
    assert failed["state"] == "FAILED" and failed["errorMessage"]
    assert wait_state(api, submit(api))["state"] == "FULFILLED"
    assert emu.stats()["faults_fired"]["job_failed"] == 1


def test_job_expired_after_two_pages(emu):
    api = client(emu)
    emu.add_faults({"kind": "job_expired", "after": 2})
    job_id = _fulfilled(api)
    first = results(api, job_id, 10).json()
    second = results(api, job_id, 10, first["cursor"]).json()
    assert api.get(f"{JOBS}/{job_id}").json()["state"] == "EXPIRED"
    gone = results(api, job_id, 10, second["cursor"])
    assert gone.status_code == 404 and "expired" in gone.json()["message"]
    again = _fulfilled(api)  # resubmitted: pages as usual
    assert results(api, again, 10, results(api, again, 10).json()["cursor"]).status_code == 200


def test_invalid_cursor_refuses_the_next_cursor_then_works(emu):
    api = client(emu)
    emu.add_faults("invalid_cursor")
    job_id = _fulfilled(api)
    cursor = results(api, job_id, 10).json()["cursor"]  # no cursor: the fault waits
    refused = results(api, job_id, 10, cursor)
    assert refused.status_code == 400
    assert refused.json()["details"][0]["fieldName"] == "cursor"
    assert results(api, job_id, 10, cursor).status_code == 200


def test_slow_job_stays_unfinished_for_delay_s(emu):
    api = client(emu)
    emu.add_faults("slow_job:delay_s=0.5")
    slow = submit(api)
    assert api.get(f"{JOBS}/{slow}").json()["state"] in ("QUEUED", "PENDING")
    assert wait_state(api, submit(api))["state"] == "FULFILLED"  # only the next job is slow
    assert api.get(f"{JOBS}/{slow}").json()["state"] in ("QUEUED", "PENDING")
    time.sleep(0.5)
    assert api.get(f"{JOBS}/{slow}").json()["state"] == "FULFILLED"


def test_watermark_lag_moves_availability_back(emu):
    api = client(emu)
    emu.add_faults("watermark_lag:delay_s=172800")
    lagged = datetime.fromisoformat(api.get(f"{JOBS}/availability").json()["dataAvailabilityDate"])
    usual = datetime.fromisoformat(api.get(f"{JOBS}/availability").json()["dataAvailabilityDate"])
    now = datetime.now(UTC)
    assert now - lagged > timedelta(hours=47)
    assert timedelta(hours=5, minutes=59) < now - usual < timedelta(hours=6, minutes=1)


def test_request_faults_act_on_the_jobs_paths(emu):
    api = client(emu)
    job_id = _fulfilled(api)
    emu.add_faults(
        f"http_429:count=1,retry_after=9,path_prefix={JOBS}",
        f"http_5xx:count=1,status=502,path_prefix={JOBS}",
    )
    throttled = results(api, job_id, 10)
    assert (throttled.status_code, throttled.headers["retry-after"]) == (429, "9")
    assert throttled.json()["code"] == "too.many.requests.retry.after"
    assert "[9] seconds" in throttled.json()["message"]
    broken = results(api, job_id, 10)
    assert broken.status_code == 502 and broken.json()["status"] == 502
    assert results(api, job_id, 10).status_code == 200
    emu.add_faults(f"slow:count=1,delay_s=1,path_prefix={JOBS}")
    with pytest.raises(httpx.ReadTimeout):
        api.get(f"{JOBS}/{job_id}", timeout=0.3)
    assert api.get(f"{JOBS}/{job_id}").json()["state"] == "FULFILLED"


def test_drop_connection_cuts_a_results_page_half_way(emu):
    api = client(emu)
    job_id = _fulfilled(api)
    whole = results(api, job_id, 50).content
    emu.add_faults(f"drop_connection:path_prefix={JOBS}")
    received = bytearray()
    with (
        pytest.raises(httpx.RemoteProtocolError),
        api.stream("GET", f"{JOBS}/{job_id}/results", params={"pageSize": 50}) as response,
    ):
        assert response.headers["content-length"] == str(len(whole))
        for chunk in response.iter_raw():
            received += chunk
    assert len(whole) // 3 < len(received) < len(whole) * 2 // 3
    assert whole.startswith(bytes(received))
    again = results(api, job_id, 50)  # the retry gets the whole page
    assert again.json()["conversations"] == json.loads(whole)["conversations"]
