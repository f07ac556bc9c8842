"""Details job lifecycle over HTTP: POST answers 202 {jobId}; the job goes QUEUED → PENDING →
FULFILLED with submission/completion/expiration dates (expiration = completion + lifetime);
results before FULFILLED are a 400, after expiry a 404; DELETE cancels (then results are a 400);
unknown jobs are 404; `/jobs/availability` is never taken for a job id; /admin/stats counts jobs
created and cancelled."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from .platform_support import FAST_JOBS, JOBS, client, results, submit, wait_state


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_job_goes_queued_pending_fulfilled_with_its_dates(emulator_factory):
    emu = emulator_factory(details_job_delay_s=0.6, details_conversations_per_day=20)
    api = client(emu)
    job_id = submit(api, startOfDayIntervalMatching=True)
    first = api.get(f"{JOBS}/{job_id}").json()
    assert first["state"] == "QUEUED"
    assert "completionDate" not in first and "errorMessage" not in first
    early = results(api, job_id)
    assert early.status_code == 400
    assert "QUEUED" in early.json()["message"] or "PENDING" in early.json()["message"]
    seen = {first["state"]}
    deadline = time.monotonic() + 10
    while "FULFILLED" not in seen and time.monotonic() < deadline:
        seen.add(api.get(f"{JOBS}/{job_id}").json()["state"])
        time.sleep(0.05)
    assert seen == {"QUEUED", "PENDING", "FULFILLED"}
    done = api.get(f"{JOBS}/{job_id}").json()
    submitted, completed = _at(done["submissionDate"]), _at(done["completionDate"])
    assert timedelta(seconds=0.5) <= completed - submitted <= timedelta(seconds=0.7)
    assert _at(done["expirationDate"]) - completed == timedelta(hours=1)
    assert results(api, job_id).status_code == 200


def test_a_job_past_its_lifetime_is_expired_and_its_results_gone(emulator_factory):
    emu = emulator_factory(**FAST_JOBS, details_job_lifetime_s=0.3)
    api = client(emu)
    job_id = submit(api)
    assert wait_state(api, job_id)["state"] == "FULFILLED"
    assert results(api, job_id, 10).status_code == 200
    time.sleep(0.4)
    status = api.get(f"{JOBS}/{job_id}").json()
    assert status["state"] == "EXPIRED"
    assert _at(status["expirationDate"]) <= datetime.now(UTC)
    gone = results(api, job_id, 10)
    assert gone.status_code == 404
    assert "expired" in gone.json()["message"]


def test_cancel_then_results_are_refused_and_stats_count_jobs(emulator_factory):
    emu = emulator_factory(**FAST_JOBS)
    api = client(emu)
    kept, cancelled = submit(api), submit(api)
    deleted = api.delete(f"{JOBS}/{cancelled}")
    assert deleted.status_code in (202, 204) and deleted.content == b""
    assert api.get(f"{JOBS}/{cancelled}").json()["state"] == "CANCELLED"
    refused = results(api, cancelled)
    assert refused.status_code == 400 and "CANCELLED" in refused.json()["message"]
    assert wait_state(api, kept)["state"] == "FULFILLED"
    stats = emu.stats()
    assert (stats["details_jobs_created"], stats["details_jobs_cancelled"]) == (2, 1)
    states = {job["jobId"]: job["state"] for job in stats["details_jobs"]}
    assert states == {kept: "FULFILLED", cancelled: "CANCELLED"}


def test_unknown_jobs_are_404_and_availability_is_not_a_job(emulator_factory):
    api = client(emulator_factory(**FAST_JOBS))
    for response in (
        api.get(f"{JOBS}/no-such-job"),
        api.delete(f"{JOBS}/no-such-job"),
        results(api, "no-such-job"),
    ):
        assert response.status_code == 404
        body = response.json()
        assert body["status"] == 404 and "no-such-job" in body["message"]
        assert body["contextId"] and body["details"] == [] and body["errors"] == []
    watermark = api.get(f"{JOBS}/availability")
    assert watermark.status_code == 200
    assert set(watermark.json()) == {"dataAvailabilityDate"}
