"""GDPR requests on the real Platform API (`/api/v2/gdpr/requests`, docs/api-contract.md).

What a privacy officer asks for is validated here before anything is sent: a subject of at least
one identifier, emails by `email-validator` (syntax only, no DNS), phone numbers by
`phonenumbers` (E.164), social handle types the API knows, and GDPR_DELETE / GDPR_UPDATE only
with an explicit `confirm`. Problem messages name the field and the rule, never the value: a
rejected request's identifiers must not reach logs, the catalog or Dagster's event log.

Request models are strict (`extra="forbid"`); the response models read every reasonable answer
(any status string, `resultsUrl` and/or `resultsUrls`, dates with or without milliseconds).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any, Literal

import email_validator
import phonenumbers
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from cx_assets.genesys.privacy.models import InvalidPrivacyRequest, problems_from, wire_name

RequestType = Literal["GDPR_EXPORT", "GDPR_UPDATE", "GDPR_DELETE"]
SocialType = Literal["TWITTER", "INSTAGRAM", "FACEBOOK", "APPLE_MESSAGES"]
TermType = Literal[
    "NAME",
    "ADDRESS",
    "PHONE",
    "EMAIL",
    "TWITTER",
    "INSTAGRAM",
    "FACEBOOK",
    "APPLE_MESSAGES",
    "EXTERNAL_ID",
]
#: `searchType` of `GET /api/v2/gdpr/subjects` (PY lists the first four; the rest UNVERIFIED).
SEARCH_TYPES: tuple[str, ...] = (
    "NAME",
    "ADDRESS",
    "PHONE",
    "EMAIL",
    "TWITTER",
    "INSTAGRAM",
    "FACEBOOK",
    "APPLE_MESSAGES",
    "EXTERNAL_ID",
)
TERMINAL = ("COMPLETED", "ERROR")
#: Every status PY's `GDPRRequest.status` enum lists; another one is read as still running.
KNOWN_STATUSES = (
    "INITIATED",
    "SEARCHING",
    "UPDATING",
    "DELETING",
    "FINALIZING",
    "COMPLETED",
    "ERROR",
)
_MAX_TEXT = 512


def _field(python: str, **kwargs: Any) -> Any:
    wire = wire_name(python)
    return Field(validation_alias=AliasChoices(wire, python), serialization_alias=wire, **kwargs)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SocialHandle(_Strict):
    type: SocialType
    value: str = Field(min_length=1, max_length=_MAX_TEXT)


class DialerContactId(_Strict):
    id: str = Field(min_length=1, max_length=_MAX_TEXT)
    contact_list_id: str = _field("contact_list_id", min_length=1, max_length=_MAX_TEXT)


class JourneyCustomer(_Strict):
    type: str = Field(min_length=1, max_length=_MAX_TEXT)
    id: str = Field(min_length=1, max_length=_MAX_TEXT)


def _email(value: str) -> str:
    try:
        checked = email_validator.validate_email(value, check_deliverability=False)
    except email_validator.EmailNotValidError:
        raise ValueError("not a valid email address (name@domain)") from None
    return checked.normalized


def _phone(value: str) -> str:
    if not value.startswith("+"):
        raise ValueError("not an E.164 phone number: start with + and the country code")
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise ValueError("not an E.164 phone number (+ country code and number)") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number for its country code (E.164)")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class GdprSubject(_Strict):
    """`GDPRSubject`: who the request is about. At least one identifier; combining narrows."""

    name: str | None = Field(default=None, min_length=1, max_length=_MAX_TEXT)
    user_id: str | None = _field("user_id", default=None, min_length=1, max_length=_MAX_TEXT)
    external_contact_id: str | None = _field(
        "external_contact_id", default=None, min_length=1, max_length=_MAX_TEXT
    )
    dialer_contact_id: DialerContactId | None = _field("dialer_contact_id", default=None)
    journey_customer: JourneyCustomer | None = _field("journey_customer", default=None)
    social_handle: SocialHandle | None = _field("social_handle", default=None)
    external_id: str | None = _field(
        "external_id", default=None, min_length=1, max_length=_MAX_TEXT
    )
    addresses: tuple[str, ...] = ()
    phone_numbers: tuple[str, ...] = _field("phone_numbers", default=())
    email_addresses: tuple[str, ...] = _field("email_addresses", default=())

    @field_validator("email_addresses")
    @classmethod
    def _emails(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_email(v) for v in values)

    @field_validator("phone_numbers")
    @classmethod
    def _phones(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_phone(v) for v in values)

    @field_validator("addresses")
    @classmethod
    def _addresses(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        if any(not v.strip() or len(v) > _MAX_TEXT for v in values):
            raise ValueError(f"each address must be 1-{_MAX_TEXT} characters")
        return values

    @model_validator(mode="after")
    def _identified(self) -> GdprSubject:
        if not self.identifier_counts():
            raise ValueError(
                "give at least one identifier (emailAddresses, phoneNumbers, name, "
                "addresses, userId, externalId, externalContactId, dialerContactId, "
                "journeyCustomer or socialHandle)"
            )
        return self

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=True)

    def identifier_counts(self) -> dict[str, int]:
        """How many identifiers of each kind, by wire name: what the catalog may know."""
        counts: dict[str, int] = {}
        for name, value in self.wire().items():
            counts[name] = len(value) if isinstance(value, list) else 1
        return {k: v for k, v in counts.items() if v}

    def canonical(self) -> str:
        """One text per subject whatever the order or case of its lists (for the HMAC and for
        recognising our own request in the server's list)."""
        return canonical_subject(self.wire())


#: The wire names of `GDPRSubject`'s members: what identifies a subject.
SUBJECT_MEMBERS = frozenset(
    field.serialization_alias or name for name, field in GdprSubject.model_fields.items()
)


def canonical_subject(subject: Mapping[str, Any]) -> str:
    """`subject`'s GDPRSubject members as compact JSON with sorted keys and sorted, case-folded
    list items; a server's echo of our subject gives the same text as ours, whatever else (an
    unknown member) it adds."""
    normal: dict[str, Any] = {}
    for key, value in subject.items():
        if key not in SUBJECT_MEMBERS or value in (None, [], {}, ""):
            continue
        if isinstance(value, list):
            normal[key] = sorted(str(v).strip().casefold() for v in value)
        elif isinstance(value, dict):
            normal[key] = {k: str(v).strip().casefold() for k, v in value.items() if v}
        else:
            normal[key] = str(value).strip().casefold()
    return json.dumps(normal, sort_keys=True, separators=(",", ":"))


def subject_hmac(key: bytes, canonical: str) -> str:
    """The catalog's reference to a subject: a keyed HMAC-SHA256, not a plain hash (a plain
    hash of an email address is reversed by hashing candidate addresses)."""
    return "hmac-sha256:" + hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()[:32]


class ReplacementTerm(_Strict):
    type: TermType
    existing_value: str = _field("existing_value", min_length=1, max_length=_MAX_TEXT)
    updated_value: str = _field("updated_value", min_length=1, max_length=_MAX_TEXT)


class GdprRequestFile(_Strict):
    """A platform-mode request file: what to do, about whom, and (for a change) the consent.

    ```yaml
    requestType: GDPR_EXPORT            # default; GDPR_UPDATE / GDPR_DELETE need `confirm`
    subject:
      emailAddresses: [jane.doe@example.com]
      phoneNumbers: ["+46701234567"]
    ```
    """

    request_type: RequestType = _field("request_type", default="GDPR_EXPORT")
    subject: GdprSubject
    replacement_terms: tuple[ReplacementTerm, ...] = _field("replacement_terms", default=())
    confirm: str | None = None

    @model_validator(mode="after")
    def _consent(self) -> GdprRequestFile:
        kind = self.request_type
        if self.replacement_terms and kind != "GDPR_UPDATE":
            raise ValueError("replacementTerms: only allowed with requestType GDPR_UPDATE")
        if kind == "GDPR_UPDATE" and not self.replacement_terms:
            raise ValueError("replacementTerms: GDPR_UPDATE needs at least one replacement term")
        if kind != "GDPR_EXPORT" and self.confirm != kind:
            what = "erases" if kind == "GDPR_DELETE" else "rewrites"
            raise ValueError(
                f"confirm: requestType {kind} {what} the subject's data in Genesys Cloud for "
                f"good; add `confirm: {kind}` to the request to say you mean it (refused)"
            )
        if kind == "GDPR_EXPORT" and self.confirm not in (None, kind):
            raise ValueError("confirm: only GDPR_DELETE and GDPR_UPDATE take a confirmation")
        return self

    def canonical_subject(self) -> str:
        return self.subject.canonical()

    @property
    def delete_confirmed(self) -> bool:
        return self.request_type == "GDPR_DELETE" and self.confirm == "GDPR_DELETE"

    def wire_body(self) -> dict[str, Any]:
        """The POST body: `requestType`, `subject` and, for an update, `replacementTerms`."""
        body: dict[str, Any] = {"requestType": self.request_type, "subject": self.subject.wire()}
        if self.replacement_terms:
            body["replacementTerms"] = [
                t.model_dump(mode="json", by_alias=True) for t in self.replacement_terms
            ]
        return body

    def summary(self, subject_ref: str) -> dict[str, Any]:
        """What was asked, without an identifier: safe for the catalog, audit and metadata."""
        return {
            "api_mode": "platform",
            "request_type": self.request_type,
            "subject_ref": subject_ref,
            "identifiers": self.subject.identifier_counts(),
            "replacement_terms": len(self.replacement_terms),
        }


def validate_platform_request(data: Mapping[str, Any]) -> GdprRequestFile:
    """A valid platform request, or `InvalidPrivacyRequest` naming each field and its rule."""
    if not isinstance(data, Mapping):
        raise InvalidPrivacyRequest([("request", "expected a mapping of fields")])
    try:
        return GdprRequestFile.model_validate(dict(data))
    except ValidationError as exc:
        raise InvalidPrivacyRequest(problems_from(exc)) from None


# -- what the server sends (tolerant) ------------------------------------------------------------


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class GdprRequestView(_Tolerant):
    """`GDPRRequest` as answered: only `id` and `status` are needed. URLs are secrets."""

    id: str = Field(min_length=1)
    status: str = Field(min_length=1)
    request_type: str | None = Field(default=None, alias="requestType")
    created_date: dt.datetime | None = Field(default=None, alias="createdDate")
    subject: dict[str, Any] | None = None
    results_url: str | None = Field(default=None, alias="resultsUrl", repr=False)
    results_urls: list[str] | None = Field(default=None, alias="resultsUrls", repr=False)

    @field_validator("status")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.strip().upper()

    @field_validator("created_date")
    @classmethod
    def _utc(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)  # a date without offset is read as UTC
        return value

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    def urls(self) -> list[str]:
        """Every results URL once, in order: `resultsUrls`, then `resultsUrl` if not among them."""
        seen: list[str] = []
        for url in [*(self.results_urls or ()), *([self.results_url] if self.results_url else [])]:
            if url and url not in seen:
                seen.append(url)
        return seen

    def same_subject(self, canonical: str) -> bool:
        return self.subject is not None and canonical_subject(self.subject) == canonical
