"""The contract's rules for `POST /api/v2/gdpr/requests`, each refusal a 400 naming the field.

Genesys answers every refusal `{"code": "bad.request", "message": "Invalid data"}`; the emulator
says why after that text and names the field in `details[0].fieldName`. Written apart from the
client's own models on purpose (an independent reading of the contract). A JSON `null` member
counts as absent, as the SDKs' serialisers leave unset members out or null.
"""

from __future__ import annotations

import re
from typing import Any

from cx_assets.emulator.errors import ApiError
from cx_assets.emulator.genesys.privacy.platform_subjects import SOCIAL_TYPES

REQUEST_TYPES = ("GDPR_EXPORT", "GDPR_UPDATE", "GDPR_DELETE")
TERM_TYPES = ("NAME", "ADDRESS", "PHONE", "EMAIL", *SOCIAL_TYPES, "EXTERNAL_ID")
BODY_MEMBERS = ("requestType", "subject", "replacementTerms")
STRING_MEMBERS = ("name", "userId", "externalContactId", "externalId")
LIST_MEMBERS = ("addresses", "phoneNumbers", "emailAddresses")
#: Object members of `GDPRSubject` and the string members each must carry.
OBJECT_MEMBERS: dict[str, tuple[str, ...]] = {
    "dialerContactId": ("id", "contactListId"),
    "journeyCustomer": ("type", "id"),
    "socialHandle": ("type", "value"),
}
SUBJECT_MEMBERS = (*STRING_MEMBERS, *OBJECT_MEMBERS, *LIST_MEMBERS)
TERM_MEMBERS = ("type", "existingValue", "updatedValue")
E164 = re.compile(r"\+[1-9][0-9]{6,14}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def invalid(field: str | None, why: str) -> ApiError:
    return ApiError(400, f"Invalid data: {why}", code="bad.request", field=field)


def _present(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if v is not None}


def _object(value: Any, field: str, members: tuple[str, ...]) -> dict[str, Any]:
    """A JSON object holding only `members` (nulls dropped), or a 400 naming the stranger.

    `field` "body" is the request body itself: its members are named without a prefix.
    """
    if not isinstance(value, dict):
        raise invalid(None if field == "body" else field, f"{field} must be a JSON object")
    unknown = [name for name in value if name not in members]
    if unknown:
        raise invalid(
            f"{field}.{unknown[0]}" if field != "body" else unknown[0],
            f"unknown member {unknown[0]!r} (allowed: {', '.join(members)})",
        )
    return _present(value)


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise invalid(field, f"{field} must be a non-empty string")
    return value


def _strings(value: Any, field: str) -> list[str]:
    if not isinstance(value, list):
        raise invalid(field, f"{field} must be a list of strings")
    return [_text(item, f"{field}[{n}]") for n, item in enumerate(value)]


def _subject(value: Any) -> dict[str, Any]:
    """A `GDPRSubject` with at least one identifier; phones E.164, emails `local@domain`."""
    subject = _object(value, "subject", SUBJECT_MEMBERS)
    for name in STRING_MEMBERS:
        if name in subject:
            _text(subject[name], f"subject.{name}")
    for name, required in OBJECT_MEMBERS.items():
        if name in subject:
            member = _object(subject[name], f"subject.{name}", required)
            for part in required:
                _text(member.get(part), f"subject.{name}.{part}")
            subject[name] = member
    if "socialHandle" in subject and subject["socialHandle"]["type"] not in SOCIAL_TYPES:
        raise invalid(
            "subject.socialHandle.type",
            f"subject.socialHandle.type must be one of {', '.join(SOCIAL_TYPES)}",
        )
    for name in LIST_MEMBERS:
        if name in subject:
            _strings(subject[name], f"subject.{name}")
    for n, phone in enumerate(subject.get("phoneNumbers", [])):
        if not E164.fullmatch(phone):
            raise invalid(
                f"subject.phoneNumbers[{n}]",
                f"subject.phoneNumbers[{n}] must be E.164 like +46701234567, got {phone!r}",
            )
    for n, email in enumerate(subject.get("emailAddresses", [])):
        if not EMAIL.fullmatch(email):
            raise invalid(
                f"subject.emailAddresses[{n}]",
                f"subject.emailAddresses[{n}] is not an email address: {email!r}",
            )
    if not any(subject.get(name) for name in SUBJECT_MEMBERS):
        raise invalid(
            "subject", f"subject names no identifier (one of {', '.join(SUBJECT_MEMBERS)})"
        )
    return subject


def _terms(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise invalid(
            "replacementTerms", "replacementTerms is required for GDPR_UPDATE: a non-empty list"
        )
    terms = []
    for n, item in enumerate(value):
        field = f"replacementTerms[{n}]"
        term = _object(item, field, TERM_MEMBERS)
        if term.get("type") not in TERM_TYPES:
            raise invalid(f"{field}.type", f"{field}.type must be one of {', '.join(TERM_TYPES)}")
        _text(term.get("existingValue"), f"{field}.existingValue")
        _text(term.get("updatedValue"), f"{field}.updatedValue")
        terms.append(term)
    return terms


def delete_confirmed(raw: str | None) -> bool:
    """The `deleteConfirmed` query parameter: `true` or `false` (default false)."""
    if raw is None or raw == "":
        return False
    if raw.lower() not in ("true", "false"):
        raise invalid("deleteConfirmed", f"deleteConfirmed must be true or false, got {raw!r}")
    return raw.lower() == "true"


def validate_request(body: Any, confirmed: bool) -> dict[str, Any]:
    """The request as filed: `requestType`, `subject` and (GDPR_UPDATE only) `replacementTerms`."""
    request = _object(body, "body", BODY_MEMBERS)
    kind = request.get("requestType")
    if kind not in REQUEST_TYPES:
        raise invalid(
            "requestType",
            f"requestType must be one of {', '.join(REQUEST_TYPES)}, got {kind!r}",
        )
    filed: dict[str, Any] = {"requestType": kind, "subject": _subject(request.get("subject"))}
    if kind == "GDPR_UPDATE":
        filed["replacementTerms"] = _terms(request.get("replacementTerms"))
    elif "replacementTerms" in request:
        raise invalid(
            "replacementTerms", f"replacementTerms is valid only on GDPR_UPDATE, not {kind}"
        )
    if kind == "GDPR_DELETE" and not confirmed:
        raise invalid("deleteConfirmed", "a GDPR_DELETE needs deleteConfirmed=true")
    return filed
