"""Pydantic models for the Genesys conversation-export payloads.

Requests forbid unknown fields and validate before anything is sent, so a bad window fails with a
message naming the field and the limit instead of a round trip. Responses ignore fields we do not
use, so an additive server change does not break a run.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cx_assets.http.timestamps import require_offset

MAX_EXPORT_WINDOW = dt.timedelta(days=31)
ExportFormat = Literal["jsonl", "csv"]
ExportStatus = Literal["QUEUED", "RUNNING", "COMPLETED", "FAILED"]
_SHA256 = re.compile(r"^sha256:([0-9a-f]{64})$")


class ExportRequest(BaseModel):
    """Body of `POST /api/v2/dataexports`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["conversations"] = "conversations"
    view: Literal["detail"] = "detail"
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


class ExportJob(BaseModel):
    """An export as `GET /api/v2/dataexports/{id}` reports it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str = Field(min_length=1)
    status: ExportStatus
    statusReason: str | None = None
    format: str | None = None


class ManifestFile(BaseModel):
    """One file of an export's manifest; `uri` is presigned and must never be logged."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    uri: str
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.=-]{0,200}$")
    size: int = Field(ge=0)
    format: ExportFormat
    checksum: str
    partition: str
    recordCount: int | None = Field(default=None, ge=0)

    @field_validator("checksum")
    @classmethod
    def _checksum(cls, value: str) -> str:
        if not _SHA256.match(value):
            raise ValueError("checksum must look like sha256:<64 lowercase hex>")
        return value

    @property
    def sha256(self) -> str:
        return self.checksum.removeprefix("sha256:")


class Manifest(BaseModel):
    """`GET /api/v2/dataexports/{id}/files`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    exportId: str
    files: list[ManifestFile]
