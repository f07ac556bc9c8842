"""Pydantic models for analytics conversation details jobs (platform mode).

The request (`AsyncConversationQuery`) is strict: unknown fields are refused and every value is
checked before anything is sent, with a message naming the field. Responses are tolerant: each
requires only what the flow needs, ignores unknown fields, and accepts every reasonable reading of
what the contract leaves open (docs/api-contract.md "# Platform mode"); a body that still cannot
be read is a non-retried `UnreadableResponse` naming field and value. `PageFile`/`DayResults`
are what `fetch_day` hands back."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

import httpx
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    field_validator,
)

from cx_assets.http.errors import UnreadableResponse
from cx_assets.http.timestamps import NAIVE_MESSAGE

# -- request ------------------------------------------------------------------------------------


OrderBy = Literal["conversationStart", "conversationEnd", "segmentStart", "segmentEnd"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _instant(text: str, which: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{which} {text!r} is not an ISO-8601 date-time") from None
    if value.utcoffset() is None:
        raise ValueError(f"{which} {text!r} {NAIVE_MESSAGE}")
    return value


def _check_interval(value: str) -> str:
    start, sep, end = value.partition("/")
    if not sep or "/" in end:
        raise ValueError(f"must be 'start/end' (two ISO-8601 date-times), got {value!r}")
    if _instant(start, "start") >= _instant(end, "end"):
        raise ValueError(f"start must be before end, got {value!r}")
    return value


class AsyncConversationQuery(_Strict):
    """Body of `POST /api/v2/analytics/conversations/details/jobs` (PY AsyncConversationQuery).

    The filter lists (`conversationFilters` …) are left out until a flow needs them: being
    strict, the model refuses them rather than sending something it has not validated."""

    interval: Annotated[str, AfterValidator(_check_interval)]
    order: Literal["asc", "desc", "unordered"] | None = None
    orderBy: (
        Literal["conversationStart", "conversationEnd", "segmentStart", "segmentEnd"] | None
    ) = None
    limit: Annotated[StrictInt, Field(ge=1)] | None = None
    startOfDayIntervalMatching: StrictBool | None = None

    @classmethod
    def day_query(cls, day: dt.date) -> AsyncConversationQuery:
        """The whole UTC `day`, each conversation in the day it started, oldest first."""
        if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
            raise TypeError(f"day must be a datetime.date, got {day!r}")
        start, end = day, day + dt.timedelta(days=1)
        return cls(
            interval=f"{start}T00:00:00.000Z/{end}T00:00:00.000Z",
            order="asc",
            orderBy="conversationStart",
            startOfDayIntervalMatching=True,
        )

    def to_json(self) -> dict[str, Any]:
        """The wire body: camelCase as declared, None left out."""
        return self.model_dump(mode="json", exclude_none=True)


class InvalidQuery(ValueError):
    """A query that breaks a rule; `problems` is a list of (field, message)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems))

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (type(self), (self.problems,))


def validate_query(data: dict[str, Any]) -> AsyncConversationQuery:
    """A valid query, or `InvalidQuery` naming each broken field and its rule."""
    try:
        return AsyncConversationQuery.model_validate(data)
    except ValidationError as exc:
        raise InvalidQuery([(_loc(e["loc"]), _message(e)) for e in exc.errors()]) from None


# -- responses ----------------------------------------------------------------------------------


def _utc(value: dt.datetime) -> dt.datetime:
    # Genesys states instants in UTC; a missing offset is read as UTC rather than refused.
    if value.utcoffset() is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _blank_is_none(value: Any) -> Any:
    return None if value == "" else value


def _cursor_text(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # an opaque token, even one that looks like a number
    return _blank_is_none(value)


UtcInstant = Annotated[dt.datetime, AfterValidator(_utc)]
OptionalInstant = Annotated[UtcInstant | None, BeforeValidator(_blank_is_none)]


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class AsyncQueryResponse(_Tolerant):
    """`POST …/details/jobs` answer: only `jobId` is promised."""

    jobId: str = Field(min_length=1)


#: PY AsyncQueryStatus.state; the last four are final.
KNOWN_STATES = frozenset({"QUEUED", "PENDING", "FULFILLED", "FAILED", "CANCELLED", "EXPIRED"})


class AsyncQueryStatus(_Tolerant):
    """`GET …/details/jobs/{jobId}`: only `state` is needed. States are compared upper-case; a
    state we do not know (Genesys adds enum values) counts as still running, so the wait's own
    timeout, not a parse error, bounds it."""

    state: str = Field(min_length=1)
    errorMessage: str | None = None
    submissionDate: OptionalInstant = None
    completionDate: OptionalInstant = None
    expirationDate: OptionalInstant = None

    @field_validator("state")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.strip().upper()

    @property
    def known(self) -> bool:
        return self.state in KNOWN_STATES


class _Counted(_Tolerant):
    """A conversation as the client needs it: only counted (the lake reads the raw page)."""


class ResultsPage(_Tolerant):
    """One results page. `conversations` absent or null means none; `cursor` absent, null or ""
    means this is the last page. Conversations stay plain dicts: the lake reads the raw file."""

    conversations: list[_Counted] | None = None
    cursor: Annotated[str | None, BeforeValidator(_cursor_text)] = None
    dataAvailabilityDate: OptionalInstant = None

    @property
    def conversation_count(self) -> int:
        return len(self.conversations or ())


class DataAvailability(_Tolerant):
    """`GET …/details/jobs/availability`: analytics data is complete up to this instant."""

    dataAvailabilityDate: UtcInstant


M = TypeVar("M", bound=BaseModel)


def read_response(model: type[M], response: httpx.Response) -> M:
    """The body read as `model`, or `UnreadableResponse` naming the field and what arrived."""
    content, method, url = response.content, response.request.method, response.request.url
    # From the bytes: ignored fields are never built as objects (~4x json.loads + validate).
    try:
        return model.model_validate_json(content if content.strip() else b"null")
    except ValidationError as exc:
        if exc.errors()[0]["type"] == "json_invalid":
            snippet = content[:80].decode("utf-8", "replace")
            raise UnreadableResponse(
                response.status_code, method, url, f"response is not JSON: {snippet!r}"
            ) from None
        problems = "; ".join(
            f"{_where(e['loc'])}: {_message(e)} (got {_describe(e.get('input'))})"
            for e in exc.errors()[:3]
        )
        message = f"response cannot be read as {model.__name__}: {problems}"
        raise UnreadableResponse(response.status_code, method, url, message) from None


def _where(loc: tuple[Any, ...]) -> str:
    return f"field {_loc(loc)!r}" if loc else "the body"


def _loc(loc: tuple[Any, ...]) -> str:
    return ".".join(map(str, loc)) or "body"


def _message(error: Any) -> str:
    kind, message = error["type"], str(error["msg"]).removeprefix("Value error, ")
    if kind == "missing":
        return "required but absent"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "literal_error":
        return f"{error.get('input')!r} is not allowed ({message.removeprefix('Input should be ')})"
    return message


def _describe(value: Any) -> str:
    """What arrived, without dumping a conversation (PII) into an error message."""
    if isinstance(value, dict):
        keys = ", ".join(sorted(map(str, value))[:8])
        return f"an object with fields [{keys}]" if value else "an empty object"
    if isinstance(value, list):
        return f"a list of {len(value)} item(s)"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass(frozen=True)
class PageFile:
    """One results page on disk, byte for byte as served."""

    name: str
    bytes: int
    sha256: str
    conversations: int
    had_cursor: bool  # False only on the last page
    data_availability: dt.datetime | None = None

    @classmethod
    def of(cls, name: str, content: bytes, page: ResultsPage) -> PageFile:
        return cls(
            name=name,
            bytes=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            conversations=page.conversation_count,
            had_cursor=page.cursor is not None,
            data_availability=page.dataAvailabilityDate,
        )


@dataclass(frozen=True)
class DayResults:
    """One UTC day's job, every page written to the staging folder. Times are aware UTC;
    `data_availability` is the earliest watermark the pages stated (None: none did);
    `request_stats` is this day's share of the `ApiClient` counters (None: it keeps none)."""

    day: dt.date
    job_id: str
    interval: str
    pages: tuple[PageFile, ...]
    conversations: int
    data_availability: dt.datetime | None
    resubmitted: bool
    replaced_job_id: str | None
    submitted_at: dt.datetime
    fulfilled_at: dt.datetime
    finished_at: dt.datetime
    request_stats: dict[str, int | float] | None

    @property
    def bytes(self) -> int:
        return sum(p.bytes for p in self.pages)

    @property
    def provisional(self) -> bool | None:
        """Data not yet complete for the whole day (None: no page said how far it was)."""
        if self.data_availability is None:
            return None
        end = dt.datetime.combine(self.day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        return self.data_availability < end
