"""Platform GDPR request validation (docs/api-contract.md "POST /api/v2/gdpr/requests"): every
rule is a 400 with the real ErrorBody (`code: bad.request`, a message starting "Invalid data",
`details[0].fieldName` naming the field), and a refused POST files nothing; `deleteConfirmed`
defaults to false and a GDPR_DELETE needs it true; `replacementTerms` only on GDPR_UPDATE."""

from __future__ import annotations

from typing import Any

import pytest

from cx_assets_tests.emulator.genesys.conversations.platform_support import client
from cx_assets_tests.emulator.genesys.privacy.gdpr_support import (
    FAST,
    PHONE,
    REQUESTS,
    export_body,
    file_request,
)

TERM = {"type": "PHONE", "existingValue": PHONE, "updatedValue": "+46701740699"}


def update_body(**changes: Any) -> dict[str, Any]:
    body = {"requestType": "GDPR_UPDATE", "subject": {"phoneNumbers": [PHONE]}}
    return {**body, "replacementTerms": [TERM], **changes}


def with_subject(**subject: Any) -> dict[str, Any]:
    return {"requestType": "GDPR_EXPORT", "subject": subject}


REFUSED: list[tuple[str, Any, str]] = [
    ("a list", [export_body()], "body"),
    ("read-only name", {**export_body(), "name": "mine"}, "name"),
    ("read-only status", {**export_body(), "status": "COMPLETED"}, "status"),
    ("no requestType", {"subject": {"phoneNumbers": [PHONE]}}, "requestType"),
    ("unknown requestType", {**export_body(), "requestType": "GDPR_ERASE"}, "requestType"),
    ("no subject", {"requestType": "GDPR_EXPORT"}, "subject"),
    ("subject a string", {"requestType": "GDPR_EXPORT", "subject": PHONE}, "subject"),
    ("empty subject", with_subject(), "subject"),
    ("only empty lists", with_subject(phoneNumbers=[], emailAddresses=[]), "subject"),
    ("unknown subject member", with_subject(ssn="19800101-0000"), "subject.ssn"),
    ("empty name", with_subject(name=""), "subject.name"),
    ("userId a number", with_subject(userId=42), "subject.userId"),
    ("phones a string", with_subject(phoneNumbers=PHONE), "subject.phoneNumbers"),
    ("phone not E.164", with_subject(phoneNumbers=["0701740605"]), "subject.phoneNumbers[0]"),
    (
        "phone with spaces",
        with_subject(phoneNumbers=[PHONE, "+46 70 174 06 12"]),
        "subject.phoneNumbers[1]",
    ),
    ("not an email", with_subject(emailAddresses=["anna"]), "subject.emailAddresses[0]"),
    ("address not a string", with_subject(addresses=[12]), "subject.addresses[0]"),
    (
        "social type",
        with_subject(socialHandle={"type": "MYSPACE", "value": "x"}),
        "subject.socialHandle.type",
    ),
    (
        "social value",
        with_subject(socialHandle={"type": "TWITTER"}),
        "subject.socialHandle.value",
    ),
    (
        "dialer id",
        with_subject(dialerContactId={"id": "dc-1"}),
        "subject.dialerContactId.contactListId",
    ),
    (
        "journey member",
        with_subject(journeyCustomer={"type": "cookie", "id": "j", "x": 1}),
        "subject.journeyCustomer.x",
    ),
    ("terms on export", {**export_body(), "replacementTerms": [TERM]}, "replacementTerms"),
    ("update without terms", update_body(replacementTerms=None), "replacementTerms"),
    ("update, empty terms", update_body(replacementTerms=[]), "replacementTerms"),
    (
        "term type",
        update_body(replacementTerms=[{**TERM, "type": "SSN"}]),
        "replacementTerms[0].type",
    ),
    (
        "term without updatedValue",
        update_body(replacementTerms=[{"type": "PHONE", "existingValue": PHONE}]),
        "replacementTerms[0].updatedValue",
    ),
    (
        "term member",
        update_body(replacementTerms=[TERM, {**TERM, "note": "x"}]),
        "replacementTerms[1].note",
    ),
]


@pytest.fixture
def emu(emulator_factory):
    return emulator_factory(**FAST)


def assert_invalid(response: Any, field: str | None) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert (body["status"], body["code"]) == (400, "bad.request")
    assert body["message"].startswith("Invalid data")
    assert body["contextId"] and body["errors"] == []
    if field is None:
        assert body["details"] == []
    else:
        assert body["details"][0]["fieldName"] == field


@pytest.mark.parametrize(("case", "body", "field"), REFUSED, ids=[c[0] for c in REFUSED])
def test_each_rule_is_a_400_naming_the_field_and_files_nothing(emu, case, body, field):
    api = client(emu)
    assert_invalid(api.post(REQUESTS, json=body), None if field == "body" else field)
    assert emu.stats()["gdpr_requests"] == []


def test_a_body_that_is_not_json_is_a_400(emu):
    api = client(emu)
    response = api.post(
        REQUESTS, content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert_invalid(response, None)


def test_delete_needs_delete_confirmed_true(emu):
    api = client(emu)
    delete = {"requestType": "GDPR_DELETE", "subject": {"phoneNumbers": [PHONE]}}
    for params in ({}, {"deleteConfirmed": "false"}):
        assert_invalid(api.post(REQUESTS, json=delete, params=params), "deleteConfirmed")
    assert_invalid(
        api.post(REQUESTS, json=export_body(), params={"deleteConfirmed": "yes"}), "deleteConfirmed"
    )
    assert emu.stats()["gdpr_requests"] == []
    assert file_request(api, delete, deleteConfirmed="true")["status"] == "INITIATED"
    assert file_request(api, delete, deleteConfirmed="TRUE")["requestType"] == "GDPR_DELETE"
    # on an export or an update the flag changes nothing
    assert file_request(api, export_body(), deleteConfirmed="true")["requestType"] == "GDPR_EXPORT"
    assert file_request(api, export_body(), deleteConfirmed="false")["requestType"] == "GDPR_EXPORT"
    assert len(emu.stats()["gdpr_requests"]) == 4


def test_what_is_accepted(emu):
    api = client(emu)
    full_subject = {
        "name": "Amelia Hughes",
        "userId": "3f9b7d20-1c4e-4a8f-b6d2-7e5a9c3b0004",
        "externalContactId": "6a1e4c52-8f3d-4b7a-9c10-5d2e8f6a0005",
        "dialerContactId": {"id": "dc-000417", "contactListId": "cl-7700-uk-renewals"},
        "journeyCustomer": {"type": "cookie", "id": "jc-5b8e2a71"},
        "socialHandle": {"type": "FACEBOOK", "value": "amelia.hughes.example"},
        "externalId": "CRM-100245",
        "addresses": ["14 Sample Street, Manchester M1 2AB"],
        "phoneNumbers": ["+447700900456"],
        "emailAddresses": ["amelia.hughes@example.org"],
    }
    assert file_request(api, with_subject(**full_subject))["subject"] == full_subject
    assert file_request(api, with_subject(name="Amelia Hughes"))["subject"] == {
        "name": "Amelia Hughes"
    }
    nulls = {**export_body(), "replacementTerms": None}
    assert "replacementTerms" not in file_request(api, nulls)  # null counts as absent
    update = file_request(api, update_body())
    assert update["requestType"] == "GDPR_UPDATE" and update["replacementTerms"] == [TERM]
