"""Requests declared as files: `<key>.yaml|yml|json` in the privacy area's requests folder.

```yaml
# <data root>/privacy/requests/dsar-0042.yaml  ->  partition "dsar-0042"
entityType: user
entityId: 7c1d0e3a-…
dataTypes: [profile, interactions]
format: json
timeRange: {start: "2024-03-01T00:00:00Z", end: "2024-03-20T00:00:00Z"}
callbackUrl: http://127.0.0.1:8780/privacy/callback   # optional
```

Plain library code (no Dagster) so the sensor stays thin: `pick_up_requests` is its step. A
picked-up file is moved out of the folder: into `declared/<key>.json` (0600) when valid, into
`rejected/` with a reason otherwise; either way the audit log records it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cx_assets.catalog import privacy as cat
from cx_assets.genesys.privacy.models import (
    InvalidPrivacyRequest,
    PrivacyRequest,
    derive_request_id,
    validate_request,
)
from cx_assets.lake.paths import DataLayout, validate_token
from cx_assets.lake.privacy import PrivacyArea, private_dir, write_private, write_private_json

SUFFIXES = (".yaml", ".yml", ".json")
ORIGIN = "requests folder"


@dataclass(frozen=True)
class DroppedRequest:
    path: Path
    key: str
    request: PrivacyRequest | None
    problems: list[tuple[str, str]]


def read_dropped(path: Path) -> DroppedRequest:
    """Parse and validate one dropped file; problems name the field and the limit."""
    key = path.stem
    try:
        validate_token(key, "request file name")
    except ValueError as exc:
        return DroppedRequest(path, key, None, [("file name", str(exc))])
    try:
        text = path.read_text()
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        return DroppedRequest(path, key, None, [("file", f"cannot be read: {exc}")])
    try:
        return DroppedRequest(path, key, validate_request(data or {}), [])
    except InvalidPrivacyRequest as exc:
        return DroppedRequest(path, key, None, exc.problems)


def dropped_files(area: PrivacyArea) -> list[Path]:
    folder = area.requests_dir
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in SUFFIXES)


def store_declared(area: PrivacyArea, key: str, request: PrivacyRequest) -> Path:
    """The validated request the submit run reads (it holds the subject id: 0600)."""
    return write_private_json(
        area.declared_path(key), request.model_dump(mode="json", by_alias=True)
    )


def load_declared(area: PrivacyArea, key: str) -> dict[str, Any] | None:
    path = area.declared_path(key)
    return json.loads(path.read_text()) if path.exists() else None


def consume(path: Path) -> None:
    """A valid dropped file has been copied to `declared/`: remove the original."""
    path.unlink(missing_ok=True)


def move_to_rejected(area: PrivacyArea, dropped: DroppedRequest) -> Path:
    folder = private_dir(area.rejected_requests_dir)
    target = folder / dropped.path.name
    os.replace(dropped.path, target)
    reasons = "\n".join(f"{field}: {message}" for field, message in dropped.problems)
    write_private(folder / f"{dropped.path.name}.reason.txt", (reasons + "\n").encode())
    return target


@dataclass
class PickedUp:
    """One pick-up: the partition keys accepted and the file names rejected."""

    accepted: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)


def pick_up_requests(layout: DataLayout, known: Collection[str], actor: str) -> PickedUp:
    """Validate, audit and move the files dropped since the last tick; `known` are the request
    keys that already exist (a dropped file may not reuse one)."""
    area = PrivacyArea(layout.root).ensure()
    picked = PickedUp()
    for path in dropped_files(area):
        dropped = read_dropped(path)
        if dropped.request is not None and (dropped.key in known or dropped.key in picked.accepted):
            dropped = DroppedRequest(
                path,
                dropped.key,
                None,
                [("file name", f"request {dropped.key!r} already exists: choose a new name")],
            )
        request_id = derive_request_id(dropped.key)
        if dropped.request is None:
            cat.reject(
                layout.catalog_path,
                partition_key=dropped.key,
                request_id=request_id,
                problems=dropped.problems,
                actor=actor,
                origin=ORIGIN,
                record_state=dropped.key not in known,  # a duplicate name leaves the original
            )
            move_to_rejected(area, dropped)
            picked.rejected.append(path.name)
            continue
        store_declared(area, dropped.key, dropped.request)
        cat.declare(
            layout.catalog_path,
            partition_key=dropped.key,
            request_id=request_id,
            summary=dropped.request.summary(),
            actor=actor,
            origin=ORIGIN,
        )
        consume(path)
        picked.accepted.append(dropped.key)
    return picked
