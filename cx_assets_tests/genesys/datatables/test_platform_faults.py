"""Contract: the platform data tables client against each of the emulator's fault switches.

An export job that ends Failed raises an error naming the table, the job and the server's
message; a download cut off, damaged, cut short or refused for an expired URL is fetched again
with a fresh URL and the export still lands whole; downloads that keep failing end in
`ExportDownloadFailed` without a signature or a temp file left; an import job that fails keeps
its counts; rows refused by the server are reported; an upload refused (5xx, an expired URL) is
sent again without creating a second job, and an upload refused twice stops there. A create
whose answer is lost is not re-sent; a job that never ends times out naming table and job.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from cx_assets.emulator import EmulatorServer
from cx_assets.genesys.datatables.platform import (
    DataTableJobTimeout,
    ExportDownloadFailed,
    ExportJobFailed,
    ImportJobFailed,
    JobCreateUncertain,
)
from cx_assets.http.client import ApiClient
from cx_assets.http.errors import ApiError, ForbiddenError
from cx_assets_tests.emulator.emulator_fixtures import EmulatorFactory
from cx_assets_tests.genesys.datatables.test_platform_client import (
    BASE,
    CUSTOMERS,
    FAST_JOBS,
    HOLIDAYS,
    SEEDED,
    SKILLS,
    dt_client,
    events,
    parquet_rows,
    server_rows,
)

pytestmark = pytest.mark.integration

UPLOADS = "/uploads/datatables"


@pytest.fixture
def emu(emulator_factory: EmulatorFactory) -> EmulatorServer:
    return emulator_factory(**FAST_JOBS)


def test_a_failed_export_job_names_table_job_and_message(
    emu: EmulatorServer, tmp_path: Path
) -> None:
    emu.add_faults(f"datatable_export_failed:path_prefix={BASE}/{CUSTOMERS}")
    out = tmp_path / "out" / "c.parquet"
    with dt_client(emu) as client, pytest.raises(ExportJobFailed) as err:
        client.export_table(client.get_table(CUSTOMERS), out)
    [job] = emu.stats()["datatable_export_jobs"]
    assert job["failed"] and err.value.job_id == job["jobId"] and err.value.table_id == CUSTOMERS
    assert str(err.value) == (
        f"data table 'Customer Tiers' ({CUSTOMERS}): export job {job['jobId']} Failed: the export "
        "failed on the server (injected fault datatable_export_failed) "
        "(code datatable.export.failed)"
    )
    assert not out.parent.exists()


@pytest.mark.parametrize(
    "fault", ["drop_connection", "corrupt_file", "truncate_file", "expire_urls"]
)
def test_a_bad_download_is_fetched_again_with_a_fresh_url(
    emu: EmulatorServer, tmp_path: Path, fault: str
) -> None:
    prefix = BASE if fault == "expire_urls" else "/files/"
    out = tmp_path / "out" / "c.parquet"
    with dt_client(emu) as client:
        table = client.get_table(CUSTOMERS)
        emu.add_faults(f"{fault}:path_prefix={prefix}")
        export = client.export_table(table, out)
        served = server_rows(client, CUSTOMERS)
    assert export.attempts == 2
    assert export.rows == export.records_processed == SEEDED[CUSTOMERS]
    assert export.quarantined == [] and parquet_rows(out) == served
    assert [p.name for p in out.parent.iterdir()] == [out.name]
    files = {p: c for p, c in emu.stats()["by_path"].items() if p.startswith("/files/")}
    expected = {"403": 1, "200": 1} if fault == "expire_urls" else {"200": 2}
    assert list(files.values()) == [expected]  # one file, fetched twice


def test_downloads_that_keep_failing_end_clearly(
    emu: EmulatorServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "out" / "c.parquet"
    with dt_client(emu, download_attempts=3) as client:
        table = client.get_table(CUSTOMERS)
        emu.add_faults(
            "drop_connection:count=2,path_prefix=/files/", f"expire_urls:after=2,path_prefix={BASE}"
        )
        with pytest.raises(ExportDownloadFailed) as err:
            client.export_table(table, out)
    message = str(err.value)
    assert message.startswith(
        f"data table 'Customer Tiers' ({CUSTOMERS}): export job {err.value.job_id}: "
    )
    assert "could not be downloaded whole in 3 attempt(s), each with a fresh URL" in message
    assert message.endswith("-> 403: the URL has expired")
    assert "X-Amz" not in message and "X-Amz-Signature" not in caplog.text
    assert caplog.text.count("download 1 of 3 failed: the download broke off") == 1
    assert list(out.parent.iterdir()) == []  # neither a Parquet nor a temp CSV


def test_a_failed_import_job_keeps_its_result_and_the_table(
    emu: EmulatorServer, tmp_path: Path
) -> None:
    emu.add_faults("datatable_import_failed")
    path = tmp_path / "in.csv"
    path.write_text("key,queue\nbilling-en,Q Changed\n")
    with dt_client(emu) as client:
        table = client.get_table(SKILLS)
        before = server_rows(client, SKILLS)
        with pytest.raises(ImportJobFailed) as err:
            client.import_csv(table, path)
        assert server_rows(client, SKILLS) == before
    result = err.value.result
    assert (result.status, result.updated, result.deleted, result.failed) == ("Failed", 0, 0, 0)
    assert str(err.value) == (
        f"data table 'Routing Skills' ({SKILLS}): import job {result.job_id} (Append) Failed: the "
        "import failed on the server (injected fault datatable_import_failed) (code "
        "datatable.import.failed)"
    )


def test_rows_the_server_refuses_by_fault_are_listed(emu: EmulatorServer, tmp_path: Path) -> None:
    emu.add_faults("datatable_import_row_failures:match=POISON")
    path = tmp_path / "in.csv"
    path.write_text("key,queue\nok-1,Q A\nbad-1,POISON\nok-2,Q B\n")
    with dt_client(emu) as client:
        result = client.import_csv(client.get_table(SKILLS), path)
    assert (result.status, result.updated, result.failed) == ("Succeeded", 2, 1)
    [failure] = result.failures
    assert (failure.row_number, failure.key, failure.field) == (2, "bad-1", "queue")
    assert "refused" in failure.reason


def test_an_upload_refused_by_a_5xx_is_sent_again_to_the_same_job(
    emu: EmulatorServer, tmp_path: Path
) -> None:
    emu.add_faults(f"http_5xx:count=2,status=502,path_prefix={UPLOADS}")
    path = tmp_path / "in.csv"
    path.write_text("key,queue\nnew-1,Q\n")
    with dt_client(emu) as client:
        result = client.import_csv(client.get_table(SKILLS), path)
    assert (result.status, result.updated) == ("Succeeded", 1)
    assert events(emu)["datatable_import_jobs_created"] == 1
    [(upload, statuses)] = [
        (p, c) for p, c in emu.stats()["by_path"].items() if p.startswith(UPLOADS)
    ]
    assert statuses == {"502": 2, "200": 1} and upload == f"{UPLOADS}/{result.job_id}"


def test_an_upload_refused_for_an_expired_url_is_retried_once(
    emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    """The URL expires while the PUT is held (slow): a fresh one from the job gets through; a
    second refusal ends the import, and no second job is created either way."""
    emu = emulator_factory(**FAST_JOBS, url_expiry_s=2)
    path = tmp_path / "in.csv"
    path.write_text("key,queue\nnew-1,Q\n")
    emu.add_faults(f"slow:count=1,delay_s=2.5,path_prefix={UPLOADS}")
    with dt_client(emu) as client:
        table = client.get_table(SKILLS)
        assert client.import_csv(table, path).updated == 1
        emu.add_faults(f"slow:count=2,delay_s=2.5,path_prefix={UPLOADS}")
        with pytest.raises(ForbiddenError) as err:
            client.import_csv(table, path)
    assert str(err.value).startswith(f"PUT {UPLOADS}/") and "-> 403: the URL has expired" in str(
        err.value
    )
    assert events(emu)["datatable_import_jobs_created"] == 2  # one per import_csv call
    assert events(emu)["datatable_uploads"] == 1


def test_put_presigned_streams_a_file_with_its_headers_and_no_bearer(
    emu: EmulatorServer, tmp_path: Path
) -> None:
    """The upload as the transport sends it: Content-Length (no chunking), every header as the
    job gives it; a tampered signature is a 403 whose message holds no signature."""
    with dt_client(emu) as client:
        job = client.api.post_json(f"{BASE}/{SKILLS}/import/csv/jobs", {"importMode": "Append"})
    path = tmp_path / "in.csv"
    path.write_bytes(b"key,queue\r\nstreamed,Q\r\n")
    with ApiClient(emu.url, auth=None) as bare:
        tampered = job["uploadURI"].replace("X-Amz-Signature=", "X-Amz-Signature=0")
        with pytest.raises(ForbiddenError) as err:
            bare.put_presigned(tampered, path, job["uploadHeaders"])
        assert "X-Amz" not in str(err.value) and str(err.value).endswith("signature does not match")
        headers = {k: v for k, v in job["uploadHeaders"].items() if k != "x-amz-meta-job-id"}
        with pytest.raises(ForbiddenError, match="x-amz-meta-job-id"):
            bare.put_presigned(job["uploadURI"], path, headers)
        response = bare.put_presigned(job["uploadURI"], path, job["uploadHeaders"], timeout=5)
        assert response.status_code == 200 and response.headers["ETag"]
        assert response.request.headers["Content-Length"] == str(path.stat().st_size)
        assert "Authorization" not in response.request.headers
        assert "Transfer-Encoding" not in response.request.headers
        with pytest.raises(ApiError) as again:
            bare.put_presigned(job["uploadURI"], path.read_bytes(), job["uploadHeaders"])
        assert again.value.status == 409
    assert events(emu)["datatable_uploads"] == 1


def test_a_create_whose_answer_is_lost_is_not_sent_again(
    emu: EmulatorServer, tmp_path: Path
) -> None:
    path = f"{BASE}/{SKILLS}/export/jobs"
    with dt_client(emu) as client:
        table = client.get_table(SKILLS)
    emu.add_faults(f"slow:count=1,delay_s=1,path_prefix={path}")
    with dt_client(emu, timeout=0.3) as client, pytest.raises(JobCreateUncertain) as err:
        client.export_table(table, tmp_path / "out" / "s.parquet")
    assert str(err.value).startswith(
        f"data table 'Routing Skills' ({SKILLS}): POST {path} -> no response"
    )
    assert "not re-sent" in str(err.value)
    deadline = time.monotonic() + 10  # the emulator records the slow answer once it is done
    while "499" not in emu.stats()["by_path"].get(path, {}) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert emu.stats()["by_path"][path] == {"499": 1}  # one POST, abandoned; none re-sent
    assert not (tmp_path / "out").exists()


def test_a_job_that_never_ends_times_out_naming_table_and_job(
    emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    emu = emulator_factory(datatable_job_delay_s=30)
    with dt_client(emu, timeout_s=0.3) as client, pytest.raises(DataTableJobTimeout) as err:
        client.export_table(client.get_table(HOLIDAYS), tmp_path / "out" / "h.parquet")
    [job] = emu.stats()["datatable_export_jobs"]
    assert str(err.value) == (
        f"data table 'Holiday Calendar' ({HOLIDAYS}): export job {job['jobId']} is still "
        "Processing after 0.3 s (timeout_s)"
    )
    assert err.value.job_id == job["jobId"] and not (tmp_path / "out").exists()
