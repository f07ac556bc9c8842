"""CXone export jobs: metadata persisted under state_dir, record lists built once and kept.

An export's status is a function of time (pending for the queue delay, processing for the run
delay, then completed or failed), as on the Genesys side. Its records are generated the first
time it is seen completed and kept in a small LRU of exports: paging then slices a list, so a
page costs its own size, not the export's. Records are deterministic, so an export evicted from
the LRU, or read after a restart, regenerates exactly the same list.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from cx_assets.emulator.config import EmulatorConfig
from cx_assets.emulator.cxone.records import RecordSettings, Row, generate_range
from cx_assets.emulator.cxone.validation import ExportRequest
from cx_assets.emulator.errors import ApiError

FAILED_MESSAGE = "export failed: the emulator's export_failed fault is set"
#: How many exports keep their records in memory (a 90-day export of 200/day is ~8 MB).
CACHED_EXPORTS = 8


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class CxoneExportStore:
    """Exports by id in creation order; thread-safe (sync routes run in a thread pool)."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.path = config.state_dir / "cxone" / "exports.json"
        self._lock = threading.RLock()
        self._build_lock = threading.Lock()
        self._records: OrderedDict[str, list[Row]] = OrderedDict()
        self._exports: dict[str, dict[str, Any]] = self._load()

    def _load(self) -> dict[str, dict[str, Any]]:
        if not self.path.exists():
            return {}
        return json.loads(self.path.read_text()).get("exports", {})

    def _save(self) -> None:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".exports.{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"exports": self._exports}, indent=1))
            os.replace(tmp, self.path)

    def close(self) -> None:
        with self._lock:
            self._records.clear()

    def create(self, request: ExportRequest, fail: bool) -> dict[str, Any]:
        c = self.config
        export = {
            "id": str(uuid.uuid4()),
            "request": asdict(request),
            "created": time.time(),
            "errorMessage": FAILED_MESSAGE if fail else None,
            "settings": asdict(
                RecordSettings(c.seed, c.cxone_records_per_day, c.cxone_missing_rate)
            ),
            "totalRecords": None,
        }
        with self._lock:
            self._exports[export["id"]] = export
            self._save()
        return export

    def get(self, export_id: str) -> dict[str, Any]:
        with self._lock:
            export = self._exports.get(export_id)
        if export is None:
            raise ApiError(404, f"export {export_id} not found")
        return export

    def _finished_at(self, export: dict[str, Any]) -> float:
        queue_s, run_s = self.config.cxone_delays_s
        return export["created"] + queue_s + run_s

    def status(self, export: dict[str, Any]) -> str:
        now = time.time()
        queue_s, _ = self.config.cxone_delays_s
        if now < export["created"] + queue_s:
            return "pending"
        if now < self._finished_at(export):
            return "processing"
        return "failed" if export["errorMessage"] else "completed"

    def records(self, export: dict[str, Any]) -> list[Row]:
        """The export's records, built once (one builder at a time; others wait and reuse)."""
        export_id = export["id"]
        with self._lock:
            if export_id in self._records:
                self._records.move_to_end(export_id)
                return self._records[export_id]
        with self._build_lock:
            with self._lock:
                if export_id in self._records:
                    return self._records[export_id]
            request = export["request"]
            filters = {k: frozenset(v) for k, v in request["filters"].items()}
            rows = generate_range(
                request["start_ms"],
                request["end_ms"],
                RecordSettings(**export["settings"]),
                filters,
            )
            with self._lock:
                self._records[export_id] = rows
                while len(self._records) > CACHED_EXPORTS:
                    self._records.popitem(last=False)
                if export["totalRecords"] is None:
                    export["totalRecords"] = len(rows)
                    self._save()
        return rows

    def public(self, export: dict[str, Any]) -> dict[str, Any]:
        """The export object of the contract; a completed export has its records built."""
        request = export["request"]
        status = self.status(export)
        body: dict[str, Any] = {
            "id": export["id"],
            "reportId": request["report_id"],
            "dateRange": {"start": request["start"], "end": request["end"]},
            "format": request["format"],
            "status": status,
            "createdAt": _iso(export["created"]),
        }
        if status == "failed":
            body["errorMessage"] = export["errorMessage"]
            body["completedAt"] = _iso(self._finished_at(export))
        if status == "completed":
            body["totalRecords"] = len(self.records(export))
            body["completedAt"] = _iso(self._finished_at(export))
        return body

    def summaries(self) -> list[dict[str, Any]]:
        """`/admin/stats` → `cxone_exports`, in creation order."""
        with self._lock:
            exports = list(self._exports.values())
        return [
            {
                "id": e["id"],
                "start": e["request"]["start"],
                "end": e["request"]["end"],
                "format": e["request"]["format"],
                "status": self.status(e),
            }
            for e in exports
        ]


def encode_page_token(export_id: str, offset: int) -> str:
    """Opaque to clients; bound to its export so a token cannot page another one."""
    raw = f"{export_id}:{offset}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_page_token(token: str, export_id: str, total: int) -> int:
    """The offset a token points at; 400 when it is not one this export handed out."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        owner, _, offset_text = raw.rpartition(":")
        offset = int(offset_text)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        offset, owner = -1, ""
    if owner != export_id or not 0 < offset < total:
        raise ApiError(400, "nextPageToken is not one this export handed out")
    return offset
