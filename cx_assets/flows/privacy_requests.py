"""Requests declared as files: `<key>.yaml|yml|json` in the privacy area's requests folder.

```yaml
# platform mode (GENESYS_API_MODE=platform): <data root>/privacy/requests/dsar-0042.yaml
requestType: GDPR_EXPORT          # GDPR_UPDATE / GDPR_DELETE also need `confirm: <the type>`
subject:
  emailAddresses: [jane.doe@example.com]
  phoneNumbers: ["+46701234567"]

# tutorial mode (the first contract, emulator only)
entityType: user
entityId: 7c1d0e3a-…
dataTypes: [profile, interactions]
format: json
timeRange: {start: "2024-03-01T00:00:00Z", end: "2024-03-20T00:00:00Z"}
callbackUrl: http://127.0.0.1:8780/privacy/callback   # optional
```

Plain library code (no Dagster) so the sensor stays thin: `pick_up_requests` is its step. A
valid file is copied to `declared/<key>.json` (0600) and declared in the catalog, and a submit
claim is opened for it; the file itself is removed only on a later tick, once the claim's run
exists, so a crash between the two never loses a request. An invalid file moves to `rejected/`
with its reasons; either way the audit log records it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cx_assets.catalog import privacy as cat
from cx_assets.flows.crashpoints import crashpoint
from cx_assets.flows.privacy_claims import Launch, RunLedger, RunState, reconcile
from cx_assets.genesys.privacy.models import (
    InvalidPrivacyRequest,
    PrivacyRequest,
    derive_request_id,
    validate_request,
)
from cx_assets.genesys.privacy.platform_models import (
    GdprRequestFile,
    subject_hmac,
    validate_platform_request,
)
from cx_assets.lake.paths import DataLayout, validate_token
from cx_assets.lake.privacy import PrivacyArea, private_dir, write_private, write_private_json

SUFFIXES = (".yaml", ".yml", ".json")
ORIGIN = "requests folder"
DeclaredRequest = PrivacyRequest | GdprRequestFile
_PLATFORM_KEYS = ("subject", "requestType", "request_type")
_TUTORIAL_KEYS = ("entityType", "entity_type", "entityId", "entity_id")


def validate_for_mode(data: Any, mode: str) -> DeclaredRequest:
    """The request in `mode`'s shape, or `InvalidPrivacyRequest` (also for the other mode's
    shape: a tutorial request in platform mode would be filed nowhere)."""
    if isinstance(data, Mapping):
        shape = (
            "platform"
            if any(k in data for k in _PLATFORM_KEYS)
            else "tutorial"
            if any(k in data for k in _TUTORIAL_KEYS)
            else mode
        )
        if shape != mode:
            want = (
                "`requestType` and a `subject` of identifiers"
                if mode == "platform"
                else "`entityType`, `entityId`, `dataTypes`, `timeRange`"
            )
            raise InvalidPrivacyRequest(
                [
                    (
                        "request",
                        f"written for {shape} mode, but the privacy flow runs in {mode} mode "
                        f"(GENESYS_API_MODE): give {want}",
                    )
                ]
            )
    return validate_platform_request(data) if mode == "platform" else validate_request(data)


def api_mode_of(request: DeclaredRequest) -> str:
    return "platform" if isinstance(request, GdprRequestFile) else "tutorial"


def summary_of(area: PrivacyArea, request: DeclaredRequest) -> dict[str, Any]:
    """The catalog's summary: the subject as a keyed HMAC, never an identifier."""
    return request.summary(subject_hmac(area.subject_key(), request.canonical_subject()))


@dataclass(frozen=True)
class DroppedRequest:
    path: Path
    key: str
    request: DeclaredRequest | None
    problems: list[tuple[str, str]]


def read_request_file(path: Path, mode: str) -> DroppedRequest:
    """Parse and validate one request file; problems name the field and the limit."""
    key = path.stem
    try:
        validate_token(key, "request file name")
    except ValueError as exc:
        return DroppedRequest(path, key, None, [("file name", str(exc))])
    try:
        text = path.read_text()
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        return DroppedRequest(path, key, None, [("file", f"cannot be read: {type(exc).__name__}")])
    try:
        return DroppedRequest(path, key, validate_for_mode(data or {}, mode), [])
    except InvalidPrivacyRequest as exc:
        return DroppedRequest(path, key, None, exc.problems)


def dropped_files(area: PrivacyArea) -> list[Path]:
    folder = area.requests_dir
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in SUFFIXES)


def _dump(request: DeclaredRequest) -> dict[str, Any]:
    return request.model_dump(mode="json", by_alias=True, exclude_none=True)


def store_declared(area: PrivacyArea, key: str, request: DeclaredRequest) -> Path:
    """The validated request the submit run reads (it holds the subject's identifiers: 0600)."""
    return write_private_json(
        area.declared_path(key), {"api_mode": api_mode_of(request), "request": _dump(request)}
    )


def load_declared(area: PrivacyArea, key: str) -> tuple[str, dict[str, Any]] | None:
    """(api mode, request) as declared for `key`, or None."""
    path = area.declared_path(key)
    if not path.exists():
        return None
    stored = json.loads(path.read_text())
    if "api_mode" in stored and "request" in stored:
        return str(stored["api_mode"]), dict(stored["request"])
    return "tutorial", stored  # declared before the platform mode existed


def _same_as_declared(
    declared: tuple[str, dict[str, Any]] | None, request: DeclaredRequest
) -> bool:
    return declared == (api_mode_of(request), _dump(request))


def move_to_rejected(area: PrivacyArea, dropped: DroppedRequest) -> Path:
    folder = private_dir(area.rejected_requests_dir)
    target = folder / dropped.path.name
    os.replace(dropped.path, target)
    os.chmod(target, 0o600)
    reasons = "\n".join(f"{field}: {message}" for field, message in dropped.problems)
    write_private(folder / f"{dropped.path.name}.reason.txt", (reasons + "\n").encode())
    return target


@dataclass
class PickedUp:
    """One pick-up: new keys declared, file names rejected and consumed, runs to request."""

    declared: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    consumed: list[str] = field(default_factory=list)
    launches: list[Launch] = field(default_factory=list)
    released: list[str] = field(default_factory=list)

    def partitions_to_add(self, known: Collection[str]) -> list[str]:
        return sorted({launch.partition_key for launch in self.launches} - set(known))


def _run_exists(row: cat.PrivacyRow, ledger: RunLedger) -> bool:
    """The request's submit run exists (or it is past submission): its file may go."""
    if row.status not in ("DECLARED", "SUBMITTING"):
        return True
    claim = row["claim"]
    return claim is not None and ledger.state(claim, row["claim_run_id"]) is not RunState.MISSING


def _reject(
    layout: DataLayout, area: PrivacyArea, dropped: DroppedRequest, actor: str, own_row: bool
) -> None:
    cat.reject(
        layout.catalog_path,
        partition_key=dropped.key,
        request_id=derive_request_id(dropped.key),
        problems=dropped.problems,
        actor=actor,
        origin=ORIGIN,
        record_state=own_row,  # a duplicate name leaves the original request alone
    )
    move_to_rejected(area, dropped)


def pick_up_requests(layout: DataLayout, mode: str, actor: str, ledger: RunLedger) -> PickedUp:
    """Validate, audit and declare the files dropped since the last tick, consume those whose
    submit run exists, and reconcile the submit claims (the runs to request)."""
    area = PrivacyArea(layout.root).ensure()
    picked = PickedUp()
    for path in dropped_files(area):
        row = cat.request_row(layout.catalog_path, path.stem)
        taken = row is not None and row.status != "REJECTED"
        # A file already declared is read in the mode it was declared in: a sensor now in the
        # other mode must still recognise (and consume) it, not reject it.
        declared = load_declared(area, path.stem) if taken else None
        dropped = read_request_file(path, declared[0] if declared else mode)
        if dropped.request is None:
            _reject(layout, area, dropped, actor, own_row=not taken)
            picked.rejected.append(path.name)
            continue
        if taken and row is not None:
            if not _same_as_declared(declared, dropped.request):
                problem = (
                    "file name",
                    f"request {dropped.key!r} already exists: choose a new name",
                )
                _reject(
                    layout, area, DroppedRequest(path, dropped.key, None, [problem]), actor, False
                )
                picked.rejected.append(path.name)
            elif _run_exists(row, ledger):
                path.unlink(missing_ok=True)
                picked.consumed.append(path.name)
            continue
        store_declared(area, dropped.key, dropped.request)
        cat.declare(
            layout.catalog_path,
            partition_key=dropped.key,
            request_id=derive_request_id(dropped.key),
            summary=summary_of(area, dropped.request),
            actor=actor,
            origin=ORIGIN,
        )
        picked.declared.append(dropped.key)
        crashpoint("privacy.pickup.after_declare")
    done = reconcile(layout.catalog_path, ledger, "submit", actor=actor)
    picked.launches, picked.released = done.launches, done.released + done.gave_up
    return picked
