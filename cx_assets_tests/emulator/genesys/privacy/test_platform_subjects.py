"""`GET /api/v2/gdpr/subjects` (docs/api-contract.md): the emulator's fixed made-up people,
matched case-insensitively on the search type's field (names and addresses on a part, phones
without spaces or dashes), in the page-number envelope; a missing or unknown `searchType` or an
empty `searchValue` is a 400 naming it."""

from __future__ import annotations

import pytest

from cx_assets_tests.emulator.genesys.conversations.platform_support import client
from cx_assets_tests.emulator.genesys.privacy.gdpr_support import SUBJECTS

FOUND = [
    ("NAME", "lindqvist", ["Anna Lindqvist", "Erik Lindqvist"]),
    ("NAME", "ANNA", ["Anna Lindqvist", "Johanna Berg"]),
    ("ADDRESS", "storgatan 12", ["Anna Lindqvist", "Erik Lindqvist"]),
    ("PHONE", "+46 70-174 06 13", ["Erik Lindqvist"]),
    ("PHONE", "+447700900123", ["Oliver Bennett"]),
    ("PHONE", "+4670174", []),  # a phone matches whole, not on a part
    ("EMAIL", "JBerg@Example.org", ["Johanna Berg"]),
    ("EMAIL", "example.org", []),
    ("EXTERNAL_ID", "crm-100245", ["Amelia Hughes"]),
    ("TWITTER", "@anna_lindqvist_ex", ["Anna Lindqvist"]),
    ("INSTAGRAM", "anna_lindqvist_ex", []),  # that handle is on Twitter
    ("FACEBOOK", "amelia.hughes.example", ["Amelia Hughes"]),
    ("APPLE_MESSAGES", "james.carter@example.org", ["James Carter"]),
    ("NAME", "Nobody Atall", []),
]


@pytest.fixture
def api(emulator):
    return client(emulator)


@pytest.mark.parametrize(("search_type", "value", "names"), FOUND)
def test_search_finds_the_matching_people(api, search_type, value, names):
    response = api.get(SUBJECTS, params={"searchType": search_type, "searchValue": value})
    assert response.status_code == 200, response.text
    listing = response.json()
    assert [s["name"] for s in listing["entities"]] == names
    assert (listing["total"], listing["pageNumber"]) == (len(names), 1)
    assert listing["pageCount"] == (1 if names else 0)


def test_subjects_are_made_up_gdpr_subjects(api):
    found = api.get(SUBJECTS, params={"searchType": "ADDRESS", "searchValue": " "}).status_code
    assert found == 400  # a blank value is empty
    people = []
    for letter in "aeiou":
        listing = api.get(SUBJECTS, params={"searchType": "NAME", "searchValue": letter}).json()
        people += [s for s in listing["entities"] if s not in people]
    assert len(people) >= 8
    for person in people:
        assert {"name", "addresses", "phoneNumbers", "emailAddresses"} <= set(person)
        assert all(e.endswith(("@example.com", "@example.org")) for e in person["emailAddresses"])
        assert all(p.startswith(("+4670174", "+447700900")) for p in person["phoneNumbers"])
    erik = next(p for p in people if p["name"] == "Erik Lindqvist")
    assert erik["phoneNumbers"] == ["+46701740612", "+46701740613"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"searchValue": "anna"}, "searchType"),
        ({"searchType": "SSN", "searchValue": "anna"}, "searchType"),
        ({"searchType": "name", "searchValue": "anna"}, "searchType"),
        ({"searchType": "NAME"}, "searchValue"),
        ({"searchType": "NAME", "searchValue": ""}, "searchValue"),
    ],
)
def test_bad_search_is_a_400_naming_the_parameter(api, params, field):
    response = api.get(SUBJECTS, params=params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "bad.request" and body["details"][0]["fieldName"] == field
