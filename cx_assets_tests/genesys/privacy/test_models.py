"""Privacy requests are validated before anything is sent: each rule of the contract (entity /
dataType matrix, formats, 30-day window, end after start, callback URL scheme, unknown fields)
is refused with an error naming the field and the limit; a valid request becomes the wire body."""

from __future__ import annotations

from typing import Any

import pytest

from cx_assets.genesys.privacy.models import (
    InvalidPrivacyRequest,
    derive_request_id,
    validate_request,
)
from cx_assets.genesys.privacy.platform_models import subject_hmac


def _request(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "entityType": "user",
        "entityId": "user-0001",
        "format": "json",
        "dataTypes": ["profile", "notes"],
        "timeRange": {"start": "2024-03-01T00:00:00Z", "end": "2024-03-31T00:00:00Z"},
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def _problems(**changes: Any) -> dict[str, str]:
    with pytest.raises(InvalidPrivacyRequest) as caught:
        validate_request(_request(**changes))
    return dict(caught.value.problems)


def test_a_valid_request_becomes_the_wire_body() -> None:
    request = validate_request(_request(callbackUrl="https://hooks.example.com/privacy?k=1"))
    body = request.wire_body("rid-1")
    assert body == {
        "requestId": "rid-1",
        "entityType": "user",
        "entityId": "user-0001",
        "format": "json",
        "dataTypes": ["profile", "notes"],
        "timeRange": {"start": "2024-03-01T00:00:00Z", "end": "2024-03-31T00:00:00Z"},
        "callbackUrl": "https://hooks.example.com/privacy?k=1",
    }
    ref = subject_hmac(b"k" * 32, request.canonical_subject())
    summary = request.summary(ref)
    assert "user-0001" not in str(summary)  # the subject only as a keyed HMAC
    assert summary["subject_ref"] == ref != subject_hmac(b"j" * 32, request.canonical_subject())
    assert summary["callback"] == "https://hooks.example.com/privacy"


@pytest.mark.parametrize(
    ("entity", "allowed", "wrong"),
    [
        ("user", ["profile", "interactions", "notes", "tags"], "transcript"),
        ("conversation", ["transcript", "metadata", "analytics", "attachments"], "voice"),
        ("interaction", ["voice", "chat", "email", "social", "callback"], "profile"),
    ],
)
def test_entity_data_type_matrix(entity: str, allowed: list[str], wrong: str) -> None:
    assert validate_request(_request(entityType=entity, dataTypes=allowed)).data_types == tuple(
        allowed
    )
    message = _problems(entityType=entity, dataTypes=[allowed[0], wrong])["dataTypes"]
    assert repr(wrong) in message and f"allowed: {', '.join(allowed)}" in message


def test_data_types_must_be_non_empty_and_unique() -> None:
    assert "at least 1" in _problems(dataTypes=[])["dataTypes"]
    assert "no repeats" in _problems(dataTypes=["profile", "profile"])["dataTypes"]


def test_entity_type_and_format_are_closed_lists() -> None:
    assert "'user', 'conversation' or 'interaction'" in _problems(entityType="queue")["entityType"]
    assert "'json' or 'csv'" in _problems(format="xml")["format"]


def test_entity_id_length_limits() -> None:
    assert "at least 1" in _problems(entityId="")["entityId"]
    assert "at most 128" in _problems(entityId="x" * 129)["entityId"]
    assert validate_request(_request(entityId="x" * 128)).entity_id == "x" * 128


def test_window_at_most_30_days_and_end_after_start() -> None:
    ok = {"start": "2024-03-01T00:00:00Z", "end": "2024-03-31T00:00:00Z"}
    assert validate_request(_request(timeRange=ok)).time_range.end.day == 31
    too_long = {"start": "2024-03-01T00:00:00Z", "end": "2024-03-31T00:00:01Z"}
    assert "at most 30 days" in _problems(timeRange=too_long)["timeRange"]
    backwards = {"start": "2024-03-02T00:00:00+01:00", "end": "2024-03-01T00:00:00Z"}
    assert "must be after start" in _problems(timeRange=backwards)["timeRange"]
    same = {"start": "2024-03-01T00:00:00Z", "end": "2024-03-01T00:00:00Z"}
    assert "must be after start" in _problems(timeRange=same)["timeRange"]


def test_times_need_an_offset() -> None:
    naive = {"start": "2024-03-01T00:00:00", "end": "2024-03-02T00:00:00Z"}
    assert "UTC offset" in _problems(timeRange=naive)["timeRange.start"]


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "/relative"])
def test_callback_url_must_be_absolute_http(url: str) -> None:
    assert "http or https" in _problems(callbackUrl=url)["callbackUrl"]


def test_unknown_and_missing_fields_are_named() -> None:
    problems = _problems(subject="someone", entityId=None)
    assert problems["subject"].startswith("unknown field")
    assert problems["entityId"] == "required"


def test_request_id_is_derived_from_the_partition_key() -> None:
    assert derive_request_id("dsar-1") == derive_request_id("dsar-1")
    assert derive_request_id("dsar-1") != derive_request_id("dsar-2")
