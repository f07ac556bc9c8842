"""Contract: export requests are valid before they are sent (aware datetimes, end after start, at
most 31 days, known fields only) and serialise as the API expects; manifest entries accept only
`sha256:<64 lowercase hex>` checksums and file names that cannot escape a folder.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from cx_assets.genesys.conversations.models import ExportJob, ExportRequest, Manifest, ManifestFile

HEX = "ab" * 32


def _file(**changes: Any) -> dict[str, Any]:
    entry = {
        "uri": "http://127.0.0.1:1/files/e/a.jsonl?X-Amz-Signature=abc",
        "name": "conversations-2024-01-01-0000.jsonl",
        "size": 10,
        "format": "jsonl",
        "checksum": f"sha256:{HEX}",
        "partition": "2024-01-01",
        "recordCount": 2,
    }
    return {**entry, **changes}


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_for_day_covers_one_utc_day(fmt: str) -> None:
    request = ExportRequest.for_day(dt.date(2024, 2, 29), fmt)  # type: ignore[arg-type]
    assert request.to_json() == {
        "type": "conversations",
        "view": "detail",
        "format": fmt,
        "startDate": "2024-02-29T00:00:00.000Z",
        "endDate": "2024-03-01T00:00:00.000Z",
    }


def test_offsets_are_sent_as_utc() -> None:
    request = ExportRequest(
        startDate="2024-01-01T02:00:00+02:00", endDate="2024-01-01T20:30:00-05:00"
    )
    body = request.to_json()
    assert body["startDate"] == "2024-01-01T00:00:00.000Z"
    assert body["endDate"] == "2024-01-02T01:30:00.000Z"


def test_window_over_31_days_names_the_limit() -> None:
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    ExportRequest(startDate=start, endDate=start + dt.timedelta(days=31))  # the limit itself
    with pytest.raises(ValidationError) as err:
        ExportRequest(startDate=start, endDate=start + dt.timedelta(days=31, seconds=1))
    message = str(err.value)
    assert "startDate..endDate" in message
    assert "at most 31 days" in message


@pytest.mark.parametrize("delta", [dt.timedelta(0), dt.timedelta(hours=-1)])
def test_end_not_after_start_is_rejected(delta: dt.timedelta) -> None:
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    with pytest.raises(ValidationError, match="endDate must be after startDate"):
        ExportRequest(startDate=start, endDate=start + delta)


@pytest.mark.parametrize("field", ["startDate", "endDate"])
def test_naive_datetime_is_rejected_naming_the_field(field: str) -> None:
    values: dict[str, Any] = {
        "startDate": dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        "endDate": dt.datetime(2024, 1, 2, tzinfo=dt.UTC),
    }
    values[field] = values[field].replace(tzinfo=None)
    with pytest.raises(ValidationError) as err:
        ExportRequest(**values)
    [error] = err.value.errors()
    assert error["loc"] == (field,)
    assert "UTC offset" in error["msg"]


def test_unknown_field_is_rejected() -> None:
    with pytest.raises(ValidationError) as err:
        ExportRequest(
            startDate="2024-01-01T00:00:00Z", endDate="2024-01-02T00:00:00Z", interval="P1D"
        )
    assert err.value.errors()[0]["loc"] == ("interval",)


def test_manifest_file_checksum_and_digest() -> None:
    entry = ManifestFile.model_validate(_file())
    assert entry.sha256 == HEX


@pytest.mark.parametrize(
    "checksum",
    [
        HEX,  # no prefix
        f"sha256:{HEX.upper()}",
        f"sha256:{HEX[:-1]}",
        f"sha256:{HEX}0",
        f"md5:{HEX}",
        f"sha256:{'g' * 64}",
    ],
)
def test_manifest_file_rejects_other_checksum_forms(checksum: str) -> None:
    with pytest.raises(ValidationError, match=r"sha256:<64 lowercase hex>"):
        ManifestFile.model_validate(_file(checksum=checksum))


@pytest.mark.parametrize("name", ["../evil.jsonl", "a/b.jsonl", ".hidden", "", "a b.jsonl"])
def test_manifest_file_name_cannot_leave_the_folder(name: str) -> None:
    with pytest.raises(ValidationError) as err:
        ManifestFile.model_validate(_file(name=name))
    assert err.value.errors()[0]["loc"] == ("name",)


def test_manifest_and_job_parse_the_contract_examples_ignoring_extras() -> None:
    manifest = Manifest.model_validate(
        {"exportId": "e1", "files": [_file(extra="ignored")], "nextUri": None}
    )
    assert [f.name for f in manifest.files] == ["conversations-2024-01-01-0000.jsonl"]
    job = ExportJob.model_validate(
        {"id": "e1", "status": "FAILED", "statusReason": "boom", "createdAt": "x", "view": "detail"}
    )
    assert (job.status, job.statusReason) == ("FAILED", "boom")
    with pytest.raises(ValidationError):
        ExportJob.model_validate({"id": "e1", "status": "PENDING"})
