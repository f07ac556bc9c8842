"""Contract: export requests are valid before they are sent (aware datetimes, end after start, at
most 31 days, known fields only) and serialise as the tutorial sends them (`type: conversation`,
`view: full`). Responses read the tutorial's shapes: a create answer of only `{"id"}`, a status
of any spelling, a manifest that is a bare array of `uri, size, format, checksum, partition`
records (the partition an index, no `name`, no `recordCount`) or the older object with `files`;
checksums are `sha256:<64 hex>` in either case, and a file name can never escape its folder.
A manifest that cannot be read fails naming the file and the field, never its presigned URL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from cx_assets.genesys.conversations.models import (
    CreatedExport,
    ExportJob,
    ExportRequest,
    Manifest,
    ManifestFile,
    UnreadableBody,
    read_body,
    read_manifest,
)

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
        "type": "conversation",
        "view": "full",
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


@pytest.mark.parametrize("checksum", [f"sha256:{HEX.upper()}", f"SHA256:{HEX}"])
def test_checksum_in_either_case_is_kept_lower_case(checksum: str) -> None:
    entry = ManifestFile.model_validate(_file(checksum=checksum))
    assert (entry.checksum, entry.sha256) == (f"sha256:{HEX}", HEX)


@pytest.mark.parametrize(
    "checksum",
    [
        HEX,  # no prefix
        f"sha256:{HEX[:-1]}",
        f"sha256:{HEX}0",
        f"md5:{HEX}",
        f"sha256:{'g' * 64}",
    ],
)
def test_manifest_file_rejects_other_checksum_forms(checksum: str) -> None:
    with pytest.raises(ValidationError, match=r"sha256:<64 hex digits>"):
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


# -- the tutorial's own shapes ------------------------------------------------------------------

#: A file record exactly as the tutorial shows it: no `name`, no `recordCount`, an index partition.
TUTORIAL_RECORD = {
    "uri": "https://s3.amazonaws.com/genesys-cloud-exports/x?X-Amz-Expires=3600&X-Amz-Signature=s",
    "size": 1428576,
    "format": "jsonl",
    "checksum": f"sha256:{HEX}",
    "partition": 0,
}


def test_create_answer_of_only_an_id_reads() -> None:
    assert read_body(CreatedExport, {"id": "e1"}).id == "e1"
    with pytest.raises(UnreadableBody, match="field 'id': required but absent"):
        read_body(CreatedExport, {"status": "QUEUED"})


@pytest.mark.parametrize(("status", "read"), [("COMPLETED", "COMPLETED"), ("running", "RUNNING")])
def test_any_status_reads_upper_cased(status: str, read: str) -> None:
    assert ExportJob.model_validate({"id": "e1", "status": status}).status == read


def test_manifest_as_a_bare_array_of_tutorial_records() -> None:
    second = {**TUTORIAL_RECORD, "partition": 1, "format": "csv"}
    manifest = read_manifest([TUTORIAL_RECORD, second])
    assert manifest.exportId is None
    first, other = manifest.files
    assert (first.name, first.partition, first.recordCount) == ("partition_0.jsonl", 0, None)
    assert (other.name, other.partition) == ("partition_1.csv", 1)
    assert first.day is None  # an index names no day
    assert first.sha256 == HEX


def test_a_string_partition_and_a_server_name_are_both_kept() -> None:
    named = ManifestFile.model_validate({**TUTORIAL_RECORD, "partition": "3", "name": "a.jsonl"})
    assert (named.name, named.partition) == ("a.jsonl", "3")
    dated = ManifestFile.model_validate({**TUTORIAL_RECORD, "partition": "2024-01-01"})
    assert (dated.name, dated.day) == ("partition_2024-01-01.jsonl", dt.date(2024, 1, 1))


def test_index_partitions_sort_numerically() -> None:
    records = [{**TUTORIAL_RECORD, "partition": p} for p in (10, 2, 0)]
    files = read_manifest(records).files
    assert [f.name for f in sorted(files, key=lambda f: f.sort_key)] == [
        "partition_0.jsonl",
        "partition_2.jsonl",
        "partition_10.jsonl",
    ]


def test_a_partition_that_makes_no_safe_name_is_refused() -> None:
    with pytest.raises(UnreadableBody) as err:
        read_manifest([{**TUTORIAL_RECORD, "partition": "../../etc"}])
    message = str(err.value)
    assert "file #0 (partition '../../etc')" in message
    assert "no safe local file name" in message


def test_two_records_with_one_local_name_are_refused() -> None:
    with pytest.raises(UnreadableBody, match=r"share the local name.*partition_0\.jsonl"):
        read_manifest([TUTORIAL_RECORD, dict(TUTORIAL_RECORD)])


def test_a_checksum_that_is_not_sha256_names_the_file_and_field() -> None:
    record = {**TUTORIAL_RECORD, "partition": 4, "checksum": "md5:0123"}
    with pytest.raises(UnreadableBody) as err:
        read_manifest([TUTORIAL_RECORD, record])
    message = str(err.value)
    assert "file #1 (partition 4)" in message
    assert "field 'checksum'" in message
    assert "'md5:0123'" in message


def test_an_unreadable_record_never_shows_its_presigned_uri() -> None:
    record = {**TUTORIAL_RECORD}
    del record["size"]
    with pytest.raises(UnreadableBody) as err:
        read_manifest([record])
    assert "field 'size': required but absent" in str(err.value)
    assert "X-Amz" not in str(err.value)
    assert "s3.amazonaws.com" not in str(err.value)


@pytest.mark.parametrize("body", [{"exportId": "e1"}, "files", None])
def test_a_body_that_is_no_manifest_says_what_arrived(body: Any) -> None:
    with pytest.raises(UnreadableBody, match="expected an array of file records"):
        read_manifest(body)
