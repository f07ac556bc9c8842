"""Pydantic models for the Genesys conversation-export payloads (tutorial mode).

Requests forbid unknown fields and validate before anything is sent, so a bad window fails with a
message naming the field and the limit instead of a round trip. Responses require only what the
tutorial promises (docs/api-contract.md) and ignore the rest, so an additive server change, or a
server that answers with exactly the tutorial's shapes and nothing more, does not break a run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any, Literal, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cx_assets.http.errors import UnreadableResponse
from cx_assets.http.timestamps import require_offset
from cx_assets.lake.verified_download import parse_checksum

MAX_EXPORT_WINDOW = dt.timedelta(days=31)
ExportFormat = Literal["jsonl", "csv"]
#: A local file name that cannot leave its folder (no separators, no leading dot).
SAFE_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.=-]{0,200}$"
_SAFE_NAME = re.compile(SAFE_NAME)
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


class ExportRequest(BaseModel):
    """Body of `POST /api/v2/dataexports`, exactly as the tutorial sends it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["conversation"] = "conversation"
    view: Literal["full"] = "full"
    format: ExportFormat = "jsonl"
    startDate: dt.datetime
    endDate: dt.datetime

    @field_validator("startDate", "endDate")
    @classmethod
    def _aware(cls, value: dt.datetime) -> dt.datetime:
        return require_offset(value).astimezone(dt.UTC)

    @model_validator(mode="after")
    def _window(self) -> ExportRequest:
        if self.endDate <= self.startDate:
            raise ValueError("endDate must be after startDate")
        if self.endDate - self.startDate > MAX_EXPORT_WINDOW:
            raise ValueError(
                f"the window startDate..endDate must be at most {MAX_EXPORT_WINDOW.days} days"
            )
        return self

    @classmethod
    def for_day(cls, day: dt.date, fmt: ExportFormat = "jsonl") -> ExportRequest:
        start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
        return cls(format=fmt, startDate=start, endDate=start + dt.timedelta(days=1))

    def to_json(self) -> dict[str, str]:
        body = self.model_dump()
        for key in ("startDate", "endDate"):
            body[key] = body[key].strftime("%Y-%m-%dT%H:%M:%S.000Z")
        return body


class CreatedExport(BaseModel):
    """The answer to `POST /api/v2/dataexports`: the tutorial reads only its `id`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str = Field(min_length=1)


class ExportJob(BaseModel):
    """An export as `GET /api/v2/dataexports/{id}` reports it (`status`, `statusReason`, `id`).

    COMPLETED and FAILED end the wait; any other status (QUEUED, RUNNING, or one the contract
    does not name) means keep waiting, as in the tutorial's loop. Upper-cased on reading."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str = Field(min_length=1)
    status: str = Field(min_length=1)
    statusReason: str | None = None
    format: str | None = None

    @field_validator("status")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.strip().upper()


class ManifestFile(BaseModel):
    """One file record of an export's manifest; `uri` is presigned and must never be logged.

    The tutorial's record is `uri, size, format, checksum, partition` (the file's index). `name`
    is filled in when the server sends none, as the tutorial names its files:
    `partition_<partition>.<format>`. `checksum` is kept as `sha256:<lower-case hex>`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    uri: str = Field(min_length=1)
    name: str = Field(pattern=SAFE_NAME)
    size: int = Field(ge=0)
    format: ExportFormat
    checksum: str
    partition: int | str
    recordCount: int | None = Field(default=None, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _name_from_partition(cls, data: Any) -> Any:
        if not isinstance(data, dict) or data.get("name") is not None:
            return data
        partition, fmt = data.get("partition"), data.get("format")
        if not isinstance(partition, int | str) or not isinstance(fmt, str):
            return data  # the missing or mistyped field is reported by its own validator
        name = f"partition_{partition}.{fmt}"
        if not _SAFE_NAME.match(name):
            raise ValueError(
                f"partition {partition!r} gives no safe local file name ({name!r}); "
                "send a `name` or a partition of letters, digits, '_', '.', '=' or '-'"
            )
        return {**data, "name": name}

    @field_validator("checksum")
    @classmethod
    def _checksum(cls, value: str) -> str:
        return f"sha256:{parse_checksum(value)}"

    @property
    def sha256(self) -> str:
        return self.checksum.removeprefix("sha256:")

    @property
    def day(self) -> dt.date | None:
        """The UTC day a `YYYY-MM-DD` partition names (older servers); None for an index."""
        if isinstance(self.partition, str) and _DAY.match(self.partition):
            with contextlib.suppress(ValueError):  # "2024-13-45" names no day either
                return dt.date.fromisoformat(self.partition)
        return None

    @property
    def index(self) -> int | None:
        """The file's index in the export: an integer partition, or one spelt as a string of
        digits ("10", which the contract allows); None for a day or another name."""
        if isinstance(self.partition, int):
            return self.partition
        if self.partition.isascii() and self.partition.isdigit():
            return int(self.partition)
        return None

    @property
    def sort_key(self) -> tuple[int, str, str]:
        """Index partitions in numeric order ("10" after "2" however spelt), then named ones,
        then by name: file order."""
        if self.index is not None:
            return (self.index, "", self.name)
        return (-1, str(self.partition), self.name)


class Manifest(BaseModel):
    """`GET /api/v2/dataexports/{id}/files`: a bare array of file records (the tutorial) or an
    object holding them under `files` (older servers, with `exportId`); both read the same."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    exportId: str | None = None
    files: list[ManifestFile]

    @model_validator(mode="before")
    @classmethod
    def _bare_array(cls, data: Any) -> Any:
        return {"files": data} if isinstance(data, list) else data

    @model_validator(mode="after")
    def _unique_names(self) -> Manifest:
        names = [f.name for f in self.files]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"several file records share the local name(s) {', '.join(repeated)}")
        return self


class UnreadableBody(ValueError):
    """A 2xx body the tutorial's shapes cannot read; the message names the field (and, for a
    manifest, the file) and what arrived, never a presigned URL."""


def read_body(model: type[M], body: Any) -> M:
    """`body` read as `model`, or `UnreadableBody` naming the field and what arrived."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise UnreadableBody(f"cannot read {model.__name__}: {_problems(exc, body)}") from None


def read_response(response: httpx.Response, read: Callable[[Any], T]) -> T:
    """`read` applied to the JSON body; a body it cannot read is a non-retried
    `UnreadableResponse` naming the field and what arrived."""
    method, url = response.request.method, response.request.url
    try:
        body = json.loads(response.content) if response.content.strip() else None
    except ValueError:
        snippet = response.content[:80].decode("utf-8", "replace")
        raise UnreadableResponse(
            response.status_code, method, url, f"response is not JSON: {snippet!r}"
        ) from None
    try:
        return read(body)
    except UnreadableBody as exc:
        raise UnreadableResponse(response.status_code, method, url, str(exc)) from None


def read_manifest(body: Any) -> Manifest:
    """The manifest in either reading, or `UnreadableBody` naming the file and the field."""
    records = body.get("files") if isinstance(body, dict) else body
    if not isinstance(records, list):
        raise UnreadableBody(
            "cannot read the manifest: expected an array of file records (or an object with "
            f"'files'), got {_describe(body)}"
        )
    for index, record in enumerate(records):
        try:
            ManifestFile.model_validate(record)
        except ValidationError as exc:
            raise UnreadableBody(
                f"cannot read manifest {_which(index, record)}: {_problems(exc, record)}"
            ) from None
    try:
        return Manifest.model_validate(body)
    except ValidationError as exc:
        raise UnreadableBody(f"cannot read the manifest: {_problems(exc, body)}") from None


def _which(index: int, record: Any) -> str:
    """A file record by its position, partition and name (never by its presigned `uri`)."""
    known = record if isinstance(record, dict) else {}
    parts = [f"{key} {known[key]!r}" for key in ("partition", "name") if key in known]
    return f"file #{index}" + (f" ({', '.join(parts)})" if parts else "")


def _problems(exc: ValidationError, body: Any) -> str:
    out = []
    for error in exc.errors()[:3]:
        where = ".".join(map(str, error["loc"]))
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "missing":
            message = "required but absent"
        got = "" if error["type"] == "missing" else f" (got {_describe(error.get('input'))})"
        if where == "uri":  # a presigned URL is a credential: say what it was, not its text
            got = f" (got a {type(error.get('input')).__name__})"
        out.append(f"{f'field {where!r}' if where else 'the body'}: {message}{got}")
    return "; ".join(out)


def _describe(value: Any) -> str:
    """What arrived, short, without dumping a record (and its presigned URL) into a message."""
    if isinstance(value, dict):
        keys = ", ".join(sorted(map(str, value))[:8])
        return f"an object with fields [{keys}]" if value else "an empty object"
    if isinstance(value, list):
        return f"an array of {len(value)} item(s)"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
