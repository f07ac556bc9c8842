"""The record a verified raw export partition keeps beside its files (`export.json`).

The raw asset writes it after every file has been verified; the normalising asset and the checks
read it, so the two steps share facts through the lake rather than through memory. It holds no
presigned URL and no secret.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from cx_assets.genesys.conversations.tutorial import DayExport
from cx_assets.http.redact import redact_url
from cx_assets.lake.atomic import atomic_write

RECORD_NAME = "export.json"
FILES_DIR = "files"


class VerifiedFileEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    format: str
    size: int
    sha256: str
    #: As the manifest stated it: the file's index (tutorial), or a `YYYY-MM-DD` day (older).
    partition: int | str
    record_count: int | None
    uri: str  # redacted: no query string
    attempts: int


class VerifiedExport(BaseModel):
    model_config = ConfigDict(frozen=True)

    export_id: str
    day: dt.date
    format: str
    api_base_url: str
    is_emulator: bool
    requested_at: dt.datetime
    completed_at: dt.datetime
    finished_at: dt.datetime
    manifest_refreshes: int
    file_retries: int
    request_stats: dict[str, float]
    files: list[VerifiedFileEntry]
    #: Which API landed the files; platform-mode files are details-job result pages.
    api_mode: str = "tutorial"
    #: Platform mode: the analytics watermark the job was fetched under (None in tutorial mode).
    data_availability: dt.datetime | None = None

    @property
    def bytes(self) -> int:
        return sum(f.size for f in self.files)

    @classmethod
    def from_day_export(
        cls,
        export: DayExport,
        *,
        api_base_url: str,
        is_emulator: bool,
        request_stats: dict[str, float],
    ) -> VerifiedExport:
        done = sorted(export.report.files, key=lambda f: f.manifest.sort_key)
        return cls(
            export_id=export.job.id,
            day=export.day,
            format=export.job.format
            or (export.manifest.files[0].format if export.manifest.files else "jsonl"),
            api_base_url=api_base_url,
            is_emulator=is_emulator,
            requested_at=export.requested_at,
            completed_at=export.completed_at,
            finished_at=export.finished_at,
            manifest_refreshes=export.report.manifest_refreshes,
            file_retries=export.report.file_retries,
            request_stats=request_stats,
            files=[
                VerifiedFileEntry(
                    name=d.manifest.name,
                    format=d.manifest.format,
                    size=d.manifest.size,
                    sha256=d.manifest.sha256,
                    partition=d.manifest.partition,
                    record_count=d.manifest.recordCount,
                    uri=redact_url(d.manifest.uri),
                    attempts=d.attempts,
                )
                for d in done
            ],
        )

    def save(self, folder: Path) -> None:
        with atomic_write(folder / RECORD_NAME) as fh:
            fh.write(self.model_dump_json(indent=2).encode())

    @classmethod
    def load(cls, folder: Path) -> VerifiedExport:
        return cls.model_validate(json.loads((folder / RECORD_NAME).read_text()))
