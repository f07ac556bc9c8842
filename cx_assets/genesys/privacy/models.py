"""Privacy (GDPR/CCPA) export requests: the one place their rules live (docs/api-contract.md).

A request is validated here before anything is sent, and every broken rule is reported as
`<field>: <what is wrong> (<the limit>)`, so a compliance officer can fix the file without
reading code. Field names are the API's (`entityType`, `dataTypes`, ...); snake_case works too.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from cx_assets.http.timestamps import require_offset

MAX_WINDOW = dt.timedelta(days=30)
FORMATS = ("json", "csv")
DATA_TYPES: dict[str, tuple[str, ...]] = {
    "user": ("profile", "interactions", "notes", "tags"),
    "conversation": ("transcript", "metadata", "analytics", "attachments"),
    "interaction": ("voice", "chat", "email", "social", "callback"),
}
STATUSES = ("QUEUED", "PROCESSING", "COMPLETED", "FAILED")
#: Fixed namespace for request ids derived from partition keys (idempotent submission).
REQUEST_ID_NAMESPACE = uuid.UUID("6f1c9a52-4b0e-5d7a-9c3e-2a1b0c9d8e7f")


def _alias(wire: str, python: str) -> Any:
    return Field(validation_alias=AliasChoices(wire, python), serialization_alias=wire)


class TimeRange(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    start: dt.datetime
    end: dt.datetime

    @field_validator("start", "end")
    @classmethod
    def _aware(cls, value: dt.datetime) -> dt.datetime:
        return require_offset(value)

    @model_validator(mode="after")
    def _window(self) -> TimeRange:
        if self.end <= self.start:
            raise ValueError(f"end {self.end.isoformat()} must be after start {self.start}")
        span = self.end - self.start
        if span > MAX_WINDOW:
            days = span.total_seconds() / 86400
            raise ValueError(f"spans {days:.2f} days, at most {MAX_WINDOW.days} days")
        return self


class PrivacyRequest(BaseModel):
    """What a user asks for: the subject, the data types, the window, the format."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    entity_type: Literal["user", "conversation", "interaction"] = _alias(
        "entityType", "entity_type"
    )
    entity_id: str = Field(
        min_length=1,
        max_length=128,
        validation_alias=AliasChoices("entityId", "entity_id"),
        serialization_alias="entityId",
    )
    format: Literal["json", "csv"] = "json"
    data_types: tuple[str, ...] = Field(
        min_length=1,
        validation_alias=AliasChoices("dataTypes", "data_types"),
        serialization_alias="dataTypes",
    )
    time_range: TimeRange = _alias("timeRange", "time_range")
    callback_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("callbackUrl", "callback_url"),
        serialization_alias="callbackUrl",
    )

    @field_validator("callback_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"must be an absolute http or https URL, got scheme {parts.scheme!r}")
        return value

    @field_validator("data_types")
    @classmethod
    def _matrix(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        """Checked per field (not after the model) so it is reported beside other errors."""
        entity = info.data.get("entity_type")
        allowed = DATA_TYPES.get(entity or "", ())
        wrong = [t for t in value if t not in allowed]
        if entity and wrong:
            raise ValueError(
                f"{', '.join(map(repr, wrong))} not allowed for entityType {entity!r} "
                f"(allowed: {', '.join(allowed)})"
            )
        if len(set(value)) != len(value):
            raise ValueError("each data type at most once (no repeats)")
        return value

    def wire_body(self, request_id: str) -> dict[str, Any]:
        """The POST body: the API's field names, times in UTC ISO with `Z`."""
        body: dict[str, Any] = {
            "requestId": request_id,
            "entityType": self.entity_type,
            "entityId": self.entity_id,
            "format": self.format,
            "dataTypes": list(self.data_types),
            "timeRange": {
                "start": _iso_z(self.time_range.start),
                "end": _iso_z(self.time_range.end),
            },
        }
        if self.callback_url:
            body["callbackUrl"] = self.callback_url
        return body

    def canonical_subject(self) -> str:
        """The subject as one text, for its keyed reference (`platform_models.subject_hmac`)."""
        return f"{self.entity_type}:{self.entity_id}"

    def summary(self, subject_ref: str) -> dict[str, Any]:
        """What was asked, without the subject's id: safe for the catalog, audit and metadata."""
        return {
            "api_mode": "tutorial",
            "entity_type": self.entity_type,
            "subject_ref": subject_ref,
            "format": self.format,
            "data_types": list(self.data_types),
            "start": _iso_z(self.time_range.start),
            "end": _iso_z(self.time_range.end),
            "callback": redact_callback(self.callback_url),
        }


def _iso_z(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def redact_callback(url: str | None) -> str | None:
    """A callback URL without query or credentials (a receiver may carry a token there)."""
    if not url:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class InvalidPrivacyRequest(ValueError):
    """A request that breaks a rule; `problems` is a list of (field, message)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems))

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (type(self), (self.problems,))


def wire_name(python: str) -> str:
    """The API's name of a field (`entity_type` -> `entityType`)."""
    head, *rest = python.split("_")
    return head + "".join(part.title() for part in rest)


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [wire_name(str(p)) for p in loc if not isinstance(p, int)]
    return ".".join(parts) or "request"


def _limit_message(error: Mapping[str, Any]) -> str:
    """Pydantic's message, with the limit spelled out where pydantic leaves it implicit."""
    kind, message = error["type"], str(error["msg"]).removeprefix("Value error, ")
    ctx = error.get("ctx") or {}
    if kind == "literal_error":
        return f"{error.get('input')!r} is not allowed (one of {ctx.get('expected')})"
    if kind == "extra_forbidden":
        return "unknown field (not part of a privacy request)"
    if kind == "missing":
        return "required"
    return message


def validate_request(data: Mapping[str, Any]) -> PrivacyRequest:
    """A valid request, or `InvalidPrivacyRequest` naming each broken field and its limit."""
    if not isinstance(data, Mapping):
        raise InvalidPrivacyRequest([("request", "expected a mapping of fields")])
    try:
        return PrivacyRequest.model_validate(dict(data))
    except ValidationError as exc:
        raise InvalidPrivacyRequest(problems_from(exc)) from None


def problems_from(exc: ValidationError) -> list[tuple[str, str]]:
    """(field, message) per broken rule, fields by their API names. Messages never carry the
    value that was given (it may be a subject's identifier)."""
    problems = []
    for error in exc.errors():
        field, message = _field_name(tuple(error["loc"])), _limit_message(error)
        if field == "request" and ": " in message:  # model-level rule names its own field
            field, _, message = message.partition(": ")
        problems.append((field, message))
    return problems


def derive_request_id(partition_key: str) -> str:
    """The request's idempotency key: a UUID fixed by its partition, so a retry re-sends it."""
    return str(uuid.uuid5(REQUEST_ID_NAMESPACE, partition_key))


class Checksum(BaseModel):
    model_config = ConfigDict(extra="ignore")

    algorithm: str
    value: str


class PrivacyRequestStatus(BaseModel):
    """`GET …/requests/{id}` as far as the pipeline needs it. `download_url` is a secret."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    request_id: str = Field(alias="requestId")
    status: Literal["QUEUED", "PROCESSING", "COMPLETED", "FAILED"]
    failure_reason: str | None = Field(default=None, alias="failureReason")
    download_url: str | None = Field(default=None, alias="downloadUrl", repr=False)
    expires_at: dt.datetime | None = Field(default=None, alias="expiresAt")
    checksum: Checksum | None = None
    size: int | None = Field(default=None, ge=0)
    created_at: dt.datetime | None = Field(default=None, alias="createdAt")
    completed_at: dt.datetime | None = Field(default=None, alias="completedAt")

    @property
    def terminal(self) -> bool:
        return self.status in ("COMPLETED", "FAILED")


class PrivacyCallback(BaseModel):
    """The completion callback's body; `downloadUrl` is accepted but never stored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    request_id: str = Field(alias="requestId", min_length=1, max_length=128)
    status: Literal["QUEUED", "PROCESSING", "COMPLETED", "FAILED"]
    entity_type: str | None = Field(default=None, alias="entityType")
    download_url: str | None = Field(default=None, alias="downloadUrl", repr=False)
