"""`/api/v2/dataexports`: create, poll and list the files of conversation exports.

An export's state (request, creation time, failure, finished files) is kept in
`state_dir/state.json`, rewritten atomically, so exports survive a restart. Files are generated
in a background thread when the export is created; it stays RUNNING until they exist.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cx_assets.emulator.auth import require_scope
from cx_assets.emulator.context import Api, EmulatorContext
from cx_assets.emulator.errors import ApiError, json_body
from cx_assets.emulator.genesys.conversations.synth import SynthSettings, write_day

log = logging.getLogger(__name__)

SCOPE = "dataexports:read"
BASE = "/api/v2/dataexports"
FIELDS = ("type", "view", "format", "startDate", "endDate")
#: The tutorial's values first; the older `conversations` / `detail` stay accepted.
ALLOWED = {"type": ("conversation", "conversations"), "view": ("full", "detail")}
MAX_WINDOW = timedelta(days=31)
MEDIA_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv"}
FAILED_REASON = "export failed: the emulator's export_failed fault is set"


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse_instant(body: dict[str, Any], name: str) -> datetime:
    value = body.get(name)
    if not isinstance(value, str):
        raise ApiError(400, f"{name} is required: an ISO 8601 date-time with an offset or Z")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ApiError(400, f"{name} is not ISO 8601: {value!r}") from exc
    if parsed.tzinfo is None:
        raise ApiError(400, f"{name} needs an offset or Z: {value!r}")
    return parsed.astimezone(UTC)


def validate_request(body: Any) -> dict[str, str]:
    """The contract's rules, each failure naming the field and its limit."""
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise ApiError(
            400, f"unknown field(s): {', '.join(unknown)}; allowed fields: {', '.join(FIELDS)}"
        )
    for name, allowed in ALLOWED.items():
        if body.get(name) not in allowed:
            raise ApiError(400, f"{name} must be {' or '.join(map(repr, allowed))}")
    if body.get("format") not in MEDIA_TYPES:
        raise ApiError(400, "format must be 'jsonl' or 'csv'")
    start = _parse_instant(body, "startDate")
    end = _parse_instant(body, "endDate")
    if end <= start:
        raise ApiError(400, "endDate must be after startDate")
    if end - start > MAX_WINDOW:
        raise ApiError(
            400,
            f"the window from startDate to endDate must be at most 31 days "
            f"(got {(end - start) / timedelta(days=1):.1f} days)",
        )
    return {name: body[name] for name in FIELDS}


def days_covered(start_date: str, end_date: str) -> list[date]:
    """Every UTC day the window touches; an end at exactly midnight excludes that day."""
    start = datetime.fromisoformat(start_date).astimezone(UTC)
    end = datetime.fromisoformat(end_date).astimezone(UTC)
    last = (end - timedelta(microseconds=1)).date()
    return [start.date() + timedelta(days=n) for n in range((last - start.date()).days + 1)]


class ExportStore:
    """Exports by id, persisted to state.json; file generation on one background thread."""

    def __init__(self, ctx: EmulatorContext) -> None:
        self.config = ctx.config
        self.state_path = ctx.config.state_dir / "state.json"
        self.files_root = ctx.config.state_dir / "files"
        self._lock = threading.RLock()
        self._day_locks: dict[Path, threading.Lock] = {}
        self._pending: dict[str, Future[None]] = {}
        # one worker: a 1 GB day already takes a core; GIL-bound threads would not help
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cx-emulator-synth")
        self._exports: dict[str, dict[str, Any]] = self._load()
        for export in self._exports.values():
            self._ensure_files(export)

    def _load(self) -> dict[str, dict[str, Any]]:
        if not self.state_path.exists():
            return {}
        return json.loads(self.state_path.read_text()).get("exports", {})

    def _save(self) -> None:
        with self._lock:
            text = json.dumps({"exports": self._exports}, indent=1)
            tmp = self.state_path.with_name(f".state.{os.getpid()}.tmp")
            tmp.write_text(text)
            os.replace(tmp, self.state_path)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def create(self, request: dict[str, str], fail: bool) -> dict[str, Any]:
        export = {
            "id": str(uuid.uuid4()),
            "request": request,
            "created": time.time(),
            "failedReason": FAILED_REASON if fail else None,
            "settings": asdict(self._settings(request["format"])),
            "files": None,
            "ready": None,
        }
        with self._lock:
            self._exports[export["id"]] = export
            self._save()
        self._ensure_files(export)
        return export

    def get(self, export_id: str) -> dict[str, Any]:
        with self._lock:
            export = self._exports.get(export_id)
        if export is None:
            raise ApiError(404, f"export {export_id} not found")
        return export

    def _settings(self, fmt: str) -> SynthSettings:
        c = self.config
        return SynthSettings(fmt, c.seed, c.records_per_day, c.malformed_rate, c.max_file_bytes)

    def _ensure_files(self, export: dict[str, Any]) -> None:
        if export["files"] is not None or export["failedReason"]:
            return
        with self._lock:
            if export["id"] not in self._pending:
                self._pending[export["id"]] = self._pool.submit(self._generate, export)

    def _generate(self, export: dict[str, Any]) -> None:
        settings = SynthSettings(**export["settings"])
        request = export["request"]
        files: list[dict[str, Any]] = []
        try:
            for day in days_covered(request["startDate"], request["endDate"]):
                folder = settings.cache_dir(self.files_root, day)
                with self._lock:
                    day_lock = self._day_locks.setdefault(folder, threading.Lock())
                with day_lock:
                    folder, day_files = write_day(self.files_root, day, settings)
                rel = folder.relative_to(self.files_root).as_posix()
                files.extend({**asdict(f), "folder": rel} for f in day_files)
        except Exception:
            log.exception("generating files for export %s failed", export["id"])
            with self._lock:
                export["failedReason"] = "export failed: the emulator could not write its files"
        else:
            with self._lock:
                export["files"] = files
                export["ready"] = time.time()
        finally:
            with self._lock:
                self._pending.pop(export["id"], None)
                self._save()

    def status(self, export: dict[str, Any], now: float | None = None) -> str:
        now = time.time() if now is None else now
        queued_until = export["created"] + self.config.queue_delay_s
        if now < queued_until:
            return "QUEUED"
        if now < queued_until + self.config.run_delay_s:
            return "RUNNING"
        if export["failedReason"]:
            return "FAILED"
        return "COMPLETED" if export["files"] is not None else "RUNNING"

    def completed_at(self, export: dict[str, Any]) -> float:
        earliest = export["created"] + self.config.queue_delay_s + self.config.run_delay_s
        return max(earliest, export["ready"] or earliest)

    def public(self, export: dict[str, Any]) -> dict[str, Any]:
        """The export object of the contract."""
        status = self.status(export)
        body: dict[str, Any] = {
            "id": export["id"],
            **export["request"],
            "status": status,
            "createdAt": _iso(export["created"]),
        }
        if status == "FAILED":
            body["statusReason"] = export["failedReason"]
        if status == "COMPLETED":
            body["completedAt"] = _iso(self.completed_at(export))
        return body

    def resolve(self, export_id: str, name: str) -> tuple[Path, str] | None:
        """The file behind a presigned URL, if this store knows it."""
        with self._lock:
            export = self._exports.get(export_id)
        for item in (export or {}).get("files") or ():
            if item["name"] == name:
                media = MEDIA_TYPES[export["request"]["format"]]  # type: ignore[index]
                return self.files_root / item["folder"] / name, media
        return None


def _store(request: Request) -> ExportStore:
    return request.app.state.ctx.services["exports"]


async def create_export(request: Request) -> JSONResponse:
    require_scope(request, SCOPE)
    validated = validate_request(await json_body(request, "a JSON object"))
    ctx: EmulatorContext = request.app.state.ctx
    fail = ctx.faults.take("export_failed", request.url.path) is not None
    export = _store(request).create(validated, fail)
    ctx.stats.count("exports_created")
    # the contract answers a create with QUEUED, even when queue_delay_s is 0
    return JSONResponse({**_store(request).public(export), "status": "QUEUED"}, status_code=202)


async def get_export(request: Request) -> JSONResponse:
    require_scope(request, SCOPE)
    store = _store(request)
    return JSONResponse(store.public(store.get(request.path_params["export_id"])))


async def list_files(request: Request) -> JSONResponse:
    require_scope(request, SCOPE)
    ctx: EmulatorContext = request.app.state.ctx
    store = _store(request)
    export = store.get(request.path_params["export_id"])
    status = store.status(export)
    if status != "COMPLETED":
        raise ApiError(
            409, f"export {export['id']} is {status}; files are listed once it is COMPLETED"
        )
    expired = ctx.faults.take("expire_urls", request.url.path) is not None
    base = str(request.base_url).rstrip("/")
    files = []
    # The tutorial's manifest: a bare array; `partition` is the file's index in the export.
    # `name` and `recordCount` are extras a client may use but must not need.
    for index, item in enumerate(export["files"]):
        path = f"/files/{export['id']}/{item['name']}"
        files.append(
            {
                "uri": f"{base}{path}?{ctx.signer.query(path, expired=expired)}",
                "size": item["size"],
                "format": export["request"]["format"],
                "checksum": f"sha256:{item['sha256']}",
                "partition": index,
                "name": item["name"],
                "recordCount": item["record_count"],
            }
        )
    return JSONResponse(files)


def _start(ctx: EmulatorContext) -> ExportStore:
    store = ExportStore(ctx)
    ctx.file_resolvers.append(store.resolve)
    return store


API = Api(
    name="exports",
    scopes=(SCOPE,),
    routes=(
        Route(BASE, create_export, methods=["POST"]),
        Route(BASE + "/{export_id}", get_export, methods=["GET"]),
        Route(BASE + "/{export_id}/files", list_files, methods=["GET"]),
    ),
    start=_start,
)
