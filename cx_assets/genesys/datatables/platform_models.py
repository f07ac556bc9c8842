"""Pydantic models of platform data tables (Architect `/api/v2/flows/datatables`).

Responses are tolerant (DESIGN.md "Reading what a server sends"): each requires only what the
client needs, ignores unknown fields, compares job statuses case-insensitively and treats an
unknown status as still running. The request (`ImportJobCreate`) is strict. A body that cannot be
read is a non-retried `UnreadableResponse` naming the field (`read_response`, shared with the
conversations client). The per-row detail of a partly failed import is UNVERIFIED, so
`row_failures` reads every place a row number, key or field could be and falls back to the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cx_assets.genesys.conversations.platform_models import read_response
from cx_assets.genesys.datatables.platform_schema import QuarantinedRow, TableColumns

__all__ = ["DataTable", "DataTableListing", "ErrorBody", "ErrorDetail", "ExportJob", "ImportJob"]
__all__ += ["ImportJobCreate", "ImportResult", "PlatformTable", "RowFailure", "TableExport"]
__all__ += ["read_response", "row_failures"]


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ErrorDetail(_Tolerant):
    errorCode: str | None = None
    fieldName: str | None = None
    entityId: str | None = None
    entityName: str | None = None


class ErrorBody(_Tolerant):
    """Genesys `ErrorBody`: only `message` is relied on; nested `errors` are per-row here."""

    message: str | None = None
    code: str | None = None
    status: int | None = None
    messageParams: dict[str, Any] | None = None
    details: list[ErrorDetail] | None = None
    errors: list[ErrorBody] | None = None

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: Any) -> Any:
        return int(value) if isinstance(value, str) and value.isdigit() else value

    def text(self) -> str:
        return self.message or self.code or "no message given"


class DataTable(_Tolerant):
    """A table as listed or fetched; `schema` only with `expand=schema`, kept as served (JSON
    Schema: `platform_schema.parse_schema` types it)."""

    id: str = Field(min_length=1)
    name: str = ""
    description: str | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    selfUri: str | None = None


class DataTableListing(_Tolerant):
    """One page of `GET /api/v2/flows/datatables`; absent `entities` means an empty page."""

    entities: list[DataTable] | None = None
    pageNumber: int | None = None
    pageSize: int | None = None
    total: int | None = None
    pageCount: int | None = None
    nextUri: str | None = None


class _Job(_Tolerant):
    id: str = Field(min_length=1)
    status: str = Field(min_length=1)
    dateCreated: str | None = None
    dateCompleted: str | None = None
    errorInformation: ErrorBody | None = None

    @property
    def state(self) -> str:
        """The status lower-cased: `processing`, `succeeded`, `failed`, `waitingforupload`."""
        return self.status.strip().lower()

    @property
    def succeeded(self) -> bool:
        return self.state == "succeeded"

    @property
    def failed(self) -> bool:
        return self.state == "failed"


class ExportJob(_Job):
    """`DataTableExportJob`: `downloadURI` and `countRecordsProcessed` once Succeeded."""

    downloadURI: str | None = None
    countRecordsProcessed: int | None = None


class ImportJob(_Job):
    """`DataTableImportJob`: `uploadURI` + `uploadHeaders` to PUT the CSV to, then counts."""

    uploadURI: str | None = None
    uploadHeaders: dict[str, str] | None = None
    importMode: str | None = None
    countRecordsUpdated: int | None = None
    countRecordsDeleted: int | None = None
    countRecordsFailed: int | None = None

    @field_validator("uploadHeaders", mode="before")
    @classmethod
    def _header_values(cls, value: Any) -> Any:
        if isinstance(value, dict):  # a number or boolean value is still a header value
            return {str(k): v if isinstance(v, str) else _header_text(v) for k, v in value.items()}
        return value


def _header_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)


class ImportJobCreate(BaseModel):
    """Body of `POST …/{id}/import/csv/jobs` (strict)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    importMode: Literal["Append", "ReplaceAll"]


# -- per-row failures of an import --------------------------------------------------------------


@dataclass(frozen=True)
class RowFailure:
    """A row the server refused: 1-based data row of the CSV sent (header excluded), key and
    field when the server said, and its message."""

    row_number: int | None
    key: str | None
    field: str | None
    reason: str


@dataclass(frozen=True)
class ImportResult:
    """What an import job reported once it ended: its final status text and counts (0 when
    the server gave none), and each refused row."""

    job_id: str
    mode: str
    status: str
    updated: int
    deleted: int
    failed: int
    failures: list[RowFailure]


# -- what the client hands back -----------------------------------------------------------------


@dataclass(frozen=True)
class PlatformTable:
    """One table with its schema typed (`platform_schema.parse_schema`)."""

    id: str
    name: str
    columns: TableColumns
    description: str | None = None

    def describe(self) -> str:
        return self.columns.describe()


@dataclass(frozen=True)
class TableExport:
    """What `export_table` wrote: `rows` typed rows in `parquet` (published atomically), the
    rows of the CSV that could not be typed, the job's own count, and the CSV's size and hash.
    `attempts` counts downloads (1: the first one was good)."""

    table: PlatformTable
    job_id: str
    records_processed: int | None
    parquet: Path
    rows: int
    quarantined: list[QuarantinedRow]
    csv_bytes: int
    csv_sha256: str
    ignored_columns: tuple[str, ...]
    missing_columns: tuple[str, ...]
    attempts: int


_ROW = re.compile(r"\brow\s*#?\s*(\d+)", re.IGNORECASE)
_KEY = re.compile(r"\bkey\s*[=:]?\s*'([^']*)'", re.IGNORECASE)
_FIELD = re.compile(r"\b(?:field|column)\s*[=:]?\s*'([^']+)'", re.IGNORECASE)


def row_failures(info: ErrorBody | None) -> list[RowFailure]:
    """Every entry of `errorInformation.errors` as a `RowFailure` (an empty list without one)."""
    if info is None:
        return []
    return [_failure(error) for error in info.errors or ()]


def _failure(error: ErrorBody) -> RowFailure:
    params = {str(k).lower(): v for k, v in (error.messageParams or {}).items()}
    detail = next(iter(error.details or ()), None)
    text = error.text()
    row = _int(params.get("row", params.get("rownumber", params.get("line"))))
    key = _str(params.get("key")) or (detail.entityId if detail else None)
    field = _str(params.get("field", params.get("fieldname"))) or (
        detail.fieldName if detail else None
    )
    if row is None and (found := _ROW.search(text)):
        row = int(found.group(1))
    if key is None and (found := _KEY.search(text)):
        key = found.group(1)
    if field is None and (found := _FIELD.search(text)):
        field = found.group(1)
    return RowFailure(row_number=row, key=key, field=field, reason=text)


def _int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _str(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    return str(value)


ErrorBody.model_rebuild()
