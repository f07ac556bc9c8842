"""GDPR subjects for the independent server: the people it knows, body checks, search, echo.

The text fixes the members of `GDPRSubject` and `ReplacementTerm` and says a request names at
least one identifier; this module is strict about them (an unknown member, a wrong type or an
empty subject is the 400 "Invalid data" the text gives), because a server that accepts a
misspelled member would hide a client bug. Search matches case-insensitively; phone numbers
compare by `+` and digits only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cx_assets_tests.independent.genesys_gdpr_quirks import Quirks

Json = dict[str, Any]
REQUEST_TYPES = ("GDPR_EXPORT", "GDPR_UPDATE", "GDPR_DELETE")
SOCIAL_TYPES = ("TWITTER", "INSTAGRAM", "FACEBOOK", "APPLE_MESSAGES")
TERM_TYPES = ("NAME", "ADDRESS", "PHONE", "EMAIL", *SOCIAL_TYPES, "EXTERNAL_ID")
BASIC_SEARCH_TYPES = ("NAME", "ADDRESS", "PHONE", "EMAIL")
STRINGS = ("name", "userId", "externalContactId", "externalId")
LISTS = ("addresses", "phoneNumbers", "emailAddresses")
OBJECTS = {
    "dialerContactId": ("id", "contactListId"),
    "journeyCustomer": ("type", "id"),
    "socialHandle": ("type", "value"),
}
SUBJECT_MEMBERS = (*STRINGS, *LISTS, *OBJECTS)


class InvalidData(ValueError):
    """A POST body the server refuses: 400 `bad.request` "Invalid data", `field` at fault."""

    def __init__(self, field: str, why: str) -> None:
        super().__init__(f"{field}: {why}")
        self.field = field


@dataclass(frozen=True)
class Person:
    """One person the org holds data about, as a full GDPRSubject."""

    subject: Json

    @property
    def name(self) -> str:
        return str(self.subject["name"])


def _person(key: str, name: str, emails: list[str], phones: list[str], **more: Any) -> Person:
    number = sum(map(ord, key))
    subject: Json = {"name": name, "emailAddresses": emails, "phoneNumbers": phones}
    subject |= {"addresses": more.pop("addresses", [])}
    subject |= {"userId": f"0e5c{number:04x}-0000-4000-8000-{number:012x}"}
    subject |= {"externalContactId": f"ec-{key}", "externalId": f"crm-{number}"}
    subject |= {"dialerContactId": {"id": f"dc-{key}", "contactListId": "cl-main"}}
    subject |= {"journeyCustomer": {"type": "cookie", "id": f"jc-{key}"}}
    return Person(subject | more)


PEOPLE = (
    _person(
        "ada",
        "Ada Lindqvist",
        ["ada.lindqvist@example.com", "Ada@Lindqvist.example"],
        ["+46701234567", "+4681234567"],
        addresses=["Storgatan 1, 111 22 Stockholm"],
        socialHandle={"type": "TWITTER", "value": "@adalind"},
    ),
    _person(
        "bram",
        "Bram Visser",
        ["bram.visser@example.nl"],
        ["+31612345678"],
        addresses=["Keizersgracht 10, 1015 CS Amsterdam", "Dorpsstraat 3, 1234 AB Ergens"],
        socialHandle={"type": "INSTAGRAM", "value": "bram.v"},
    ),
    _person(
        "chiara",
        "Chiara Russo",
        ["chiara.russo@example.it"],
        ["+393471234567"],
        socialHandle={"type": "FACEBOOK", "value": "chiara.russo.9"},
    ),
    _person(
        "dara",
        "Dara O'Neill",
        ["dara@example.ie", "d.oneill@work.example"],
        ["+353871234567"],
        addresses=["1 Main Street, Dublin 2"],
        socialHandle={"type": "APPLE_MESSAGES", "value": "urn:mbid:dara"},
    ),
)


def check_subject(subject: Any, field: str = "subject") -> Json:
    """`subject` if it is a valid GDPRSubject naming at least one identifier."""
    if not isinstance(subject, dict):
        raise InvalidData(field, "must be a GDPRSubject object")
    if unknown := sorted(set(subject) - set(SUBJECT_MEMBERS)):
        raise InvalidData(f"{field}.{unknown[0]}", "is not a GDPRSubject member")
    named = False
    for key, value in subject.items():
        where = f"{field}.{key}"
        if value is None:
            continue
        if key in STRINGS:
            if not isinstance(value, str):
                raise InvalidData(where, "must be a string")
        elif key in LISTS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise InvalidData(where, "must be a list of strings")
        else:
            _check_object(value, where, OBJECTS[key])
            if key == "socialHandle" and value.get("type") not in SOCIAL_TYPES:
                raise InvalidData(f"{where}.type", f"must be one of {', '.join(SOCIAL_TYPES)}")
        named = named or _names_something(value)
    if not named:
        raise InvalidData(field, "names no identifier")
    return subject


def _check_object(value: Any, where: str, members: tuple[str, ...]) -> None:
    if not isinstance(value, dict):
        raise InvalidData(where, f"must be an object {{{', '.join(members)}}}")
    if unknown := sorted(set(value) - set(members)):
        raise InvalidData(f"{where}.{unknown[0]}", "is not a member")
    if bad := [k for k, v in value.items() if v is not None and not isinstance(v, str)]:
        raise InvalidData(f"{where}.{bad[0]}", "must be a string")


def _names_something(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list):
        return any(v.strip() for v in value)
    return isinstance(value, dict) and any(isinstance(v, str) and v.strip() for v in value.values())


def check_terms(terms: Any, request_type: str) -> list[Json] | None:
    """The replacement terms: required and only allowed on GDPR_UPDATE."""
    if request_type != "GDPR_UPDATE":
        if terms is not None:
            raise InvalidData("replacementTerms", "only valid on GDPR_UPDATE")
        return None
    if not isinstance(terms, list) or not terms:
        raise InvalidData("replacementTerms", "GDPR_UPDATE needs at least one replacement term")
    for i, term in enumerate(terms):
        where = f"replacementTerms[{i}]"
        _check_object(term, where, ("type", "existingValue", "updatedValue"))
        if term.get("type") not in TERM_TYPES:
            raise InvalidData(f"{where}.type", f"must be one of {', '.join(TERM_TYPES)}")
        if not term.get("existingValue") or term.get("updatedValue") is None:
            raise InvalidData(where, "needs existingValue and updatedValue")
    return terms


def echo(subject: Json, quirks: Quirks, extra: bool) -> Json:
    """The subject as the server writes it back (order and case per the quirks)."""
    out: Json = {}
    for key, value in subject.items():
        if isinstance(value, list):
            value = list(reversed(value)) if quirks.subject_reordered else list(value)
            if key == "emailAddresses" and quirks.subject_email_case:
                value = [v.swapcase() for v in value]
        elif isinstance(value, dict):
            value = dict(value)
        out[key] = value
    if extra:
        out["xIndependentSubject"] = {"matched": True}
    return out


def _phone(text: str) -> str:
    return re.sub(r"[^+\d]", "", text)


def _values(person: Person, search_type: str) -> list[str]:
    s = person.subject
    if search_type == "NAME":
        return [s["name"]]
    if search_type == "EMAIL":
        return s["emailAddresses"]
    if search_type == "PHONE":
        return [_phone(p) for p in s["phoneNumbers"]]
    if search_type == "ADDRESS":
        return s["addresses"]
    if search_type == "EXTERNAL_ID":
        return [s["externalId"]]
    handle = s.get("socialHandle") or {}
    return [handle["value"]] if handle.get("type") == search_type else []


def search(search_type: str, value: str) -> list[Person]:
    """The people whose `search_type` field equals `value` (case-insensitive)."""
    wanted = (_phone(value) if search_type == "PHONE" else value).strip().casefold()
    return [p for p in PEOPLE if wanted in (v.casefold() for v in _values(p, search_type))]


def found_subjects(people: list[Person], quirks: Quirks) -> list[Json]:
    """The search answer's entities for `people`."""
    basic = ("name", "emailAddresses", "phoneNumbers", "addresses")
    out: list[Json] = []
    for person in people:
        full = dict(person.subject)
        shown = full if quirks.subject_extra_members else {k: full[k] for k in basic}
        if quirks.subjects_per_source:
            contact = {k: shown[k] for k in ("name", "emailAddresses", "addresses") if k in shown}
            contact["externalContactId"] = full["externalContactId"]
            dialer = {"name": shown["name"], "phoneNumbers": shown["phoneNumbers"]}
            dialer["dialerContactId"] = full["dialerContactId"]
            parts = [contact, dialer]
        else:
            parts = [shown]
        for part in parts:
            if quirks.extra_fields:
                part = part | {"xIndependentSource": "independent", "score": 1.0}
            out.append(part)
    return out
