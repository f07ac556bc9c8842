"""GDPR request files are validated before anything is sent: at least one identifier, emails and
E.164 phone numbers checked, social handle types the API knows, GDPR_DELETE / GDPR_UPDATE only
with an explicit `confirm`; problems name the field and never echo the identifier. Server answers
are read tolerantly (results URLs in either member, any status, dates with or without ms)."""

from __future__ import annotations

from typing import Any

import pytest

from cx_assets.genesys.privacy.models import InvalidPrivacyRequest
from cx_assets.genesys.privacy.platform_models import (
    GdprRequestView,
    canonical_subject,
    subject_hmac,
    validate_platform_request,
)

EMAIL, PHONE = "Jane.Doe@Example.COM", "+46701234567"


def _problems(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidPrivacyRequest) as raised:
        validate_platform_request(data)
    return dict(raised.value.problems)


def test_an_export_becomes_the_minimal_wire_body() -> None:
    request = validate_platform_request(
        {"subject": {"emailAddresses": [EMAIL], "phoneNumbers": [PHONE]}}
    )
    assert request.wire_body() == {
        "requestType": "GDPR_EXPORT",
        "subject": {"emailAddresses": ["Jane.Doe@example.com"], "phoneNumbers": [PHONE]},
    }
    assert not request.delete_confirmed
    summary = request.summary("hmac-sha256:x")
    assert summary["identifiers"] == {"emailAddresses": 1, "phoneNumbers": 1}
    assert EMAIL.lower() not in str(summary).lower() and PHONE not in str(summary)


@pytest.mark.parametrize(
    ("subject", "field", "words"),
    [
        ({}, "subject", "at least one identifier"),
        ({"emailAddresses": ["not-an-address"]}, "subject.emailAddresses", "valid email"),
        ({"phoneNumbers": ["0701234567"]}, "subject.phoneNumbers", "E.164"),
        ({"phoneNumbers": ["+4612"]}, "subject.phoneNumbers", "phone number"),
        (
            {"socialHandle": {"type": "MYSPACE", "value": "jd"}},
            "subject.socialHandle.type",
            "TWITTER",
        ),
        ({"emailAddresses": [EMAIL], "shoeSize": 9}, "subject.shoeSize", "unknown field"),
    ],
)
def test_a_bad_subject_names_the_field_and_the_rule(
    subject: dict[str, Any], field: str, words: str
) -> None:
    problems = _problems({"subject": subject})
    assert words in problems[field], problems
    text = str(problems)
    assert "not-an-address" not in text and "0701234567" not in text  # never the value


def test_delete_and_update_need_an_explicit_confirmation() -> None:
    subject = {"emailAddresses": [EMAIL]}
    refused = _problems({"requestType": "GDPR_DELETE", "subject": subject})
    assert "confirm: GDPR_DELETE" in refused["confirm"] and "refused" in refused["confirm"]
    delete = validate_platform_request(
        {"requestType": "GDPR_DELETE", "subject": subject, "confirm": "GDPR_DELETE"}
    )
    assert delete.delete_confirmed and delete.wire_body()["requestType"] == "GDPR_DELETE"
    term = {"type": "EMAIL", "existingValue": EMAIL, "updatedValue": "new@example.com"}
    assert (
        "only allowed with requestType GDPR_UPDATE"
        in _problems({"subject": subject, "replacementTerms": [term]})["replacementTerms"]
    )
    update = validate_platform_request(
        {
            "requestType": "GDPR_UPDATE",
            "subject": subject,
            "replacementTerms": [term],
            "confirm": "GDPR_UPDATE",
        }
    )
    assert update.wire_body()["replacementTerms"] == [term]
    assert not update.delete_confirmed


def test_the_subject_reference_is_keyed_and_order_and_case_blind() -> None:
    ours = validate_platform_request(
        {"subject": {"emailAddresses": [EMAIL, "b@example.org"], "phoneNumbers": [PHONE]}}
    )
    echoed = {"phoneNumbers": [PHONE], "emailAddresses": ["b@example.org", EMAIL.upper()]}
    assert canonical_subject(echoed) == ours.canonical_subject()
    # a member the server adds is not an identifier; a different identifier is another subject
    assert (
        canonical_subject({**echoed, "xVendorNote": {"matched": True}}) == ours.canonical_subject()
    )
    assert (
        canonical_subject({**echoed, "phoneNumbers": ["+46709999999"]}) != ours.canonical_subject()
    )
    assert canonical_subject({"emailAddresses": [EMAIL]}) != canonical_subject({})
    ref = subject_hmac(b"k" * 32, ours.canonical_subject())
    assert ref.startswith("hmac-sha256:") and ref != subject_hmac(
        b"l" * 32, ours.canonical_subject()
    )
    assert "example" not in ref


@pytest.mark.parametrize(
    ("body", "urls"),
    [
        ({"resultsUrl": "https://x/1"}, ["https://x/1"]),
        ({"resultsUrls": ["https://x/1", "https://x/2"]}, ["https://x/1", "https://x/2"]),
        (
            {"resultsUrl": "https://x/1", "resultsUrls": ["https://x/1", "https://x/2"]},
            ["https://x/1", "https://x/2"],
        ),
        ({"resultsUrls": None}, []),
    ],
)
def test_results_urls_are_read_from_either_member_once(
    body: dict[str, Any], urls: list[str]
) -> None:
    view = GdprRequestView.model_validate({"id": "r1", "status": "completed", **body})
    assert view.urls() == urls and view.status == "COMPLETED" and view.terminal


def test_dates_with_or_without_milliseconds_or_offset_are_read() -> None:
    for created in (
        "2026-12-03T10:00:00Z",
        "2026-12-03T10:00:00.123Z",
        "2026-12-03T10:00:00+00:00",
    ):
        view = GdprRequestView.model_validate(
            {"id": "r1", "status": "FINALIZING", "createdDate": created, "extra": {"a": 1}}
        )
        assert view.created_date is not None and view.created_date.year == 2026
        assert not view.terminal
