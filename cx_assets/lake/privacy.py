"""The privacy area of the data root: `<data root>/privacy/…`, owner-only, never under `lake/`.

Privacy exports are personal data. They live apart from the shared lake (no view reads them),
folders are 0700 and files 0600 whatever the umask, and every file is published atomically.

```
privacy/requests/<key>.yaml|json     dropped by a user; picked up by the requests sensor
privacy/requests/rejected/<file>     requests that broke a rule (+ <file>.reason.txt)
privacy/declared/<key>.json          the validated request the submit run reads
privacy/exports/<key>/export.<fmt>   the verified download (tutorial mode)
privacy/exports/<key>/results-NN.*   every results file (platform mode) + manifest.json
privacy/webhooks/inbox/*.json        verified completion callbacks, not yet acted on
privacy/webhooks/done/*.json         callbacks the tracking sensor has acted on
privacy/webhooks/seen/<t>-<hash>     (requestId, t) pairs already accepted (replay guard)
privacy/webhooks/refusals.json       refused callbacks, counted; the sensor audits a summary
privacy/subject.key                  HMAC key of subject references (or CX_PRIVACY_SUBJECT_KEY)
```
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cx_assets.lake.atomic import atomic_write
from cx_assets.lake.paths import validate_token

PRIVACY = "privacy"
SUBJECT_KEY_ENV = "CX_PRIVACY_SUBJECT_KEY"
_KEY_BYTES = 32
DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create `path` as 0700 and every missing parent up to and including the `privacy` folder
    (the data root above it keeps its own mode); tighten existing ones too."""
    path = Path(path)
    chain = [path]
    while chain[-1].name != PRIVACY and chain[-1].parent != chain[-1]:
        chain.append(chain[-1].parent)
    if chain[-1].name != PRIVACY:
        chain = [path]  # outside a privacy area (e.g. an overridden requests folder)
    for folder in reversed(chain):
        folder.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        os.chmod(folder, DIR_MODE)  # mkdir's mode is filtered by the umask
    return path


def write_private(path: Path, data: bytes) -> Path:
    """Publish `data` at `path` atomically with mode 0600 (mkstemp creates 0600 temp files)."""
    private_dir(Path(path).parent)
    with atomic_write(path) as fh:
        fh.write(data)
    os.chmod(path, FILE_MODE)
    return path


def write_private_json(path: Path, value: Any) -> Path:
    return write_private(path, json.dumps(value, sort_keys=True, default=str).encode())


@dataclass(frozen=True)
class PrivacyArea:
    """Paths of the privacy area under one data root; keys are validated before use."""

    data_root: Path

    @property
    def root(self) -> Path:
        return self.data_root / PRIVACY

    def ensure(self) -> PrivacyArea:
        for folder in (self.root, self.requests_dir, self.inbox_dir, self.seen_dir):
            private_dir(folder)
        return self

    def subject_key(self) -> bytes:
        """The key of the catalog's subject references (HMAC): `CX_PRIVACY_SUBJECT_KEY`, else
        `privacy/subject.key`, made (random, 0600) on first use. Losing it only means a new
        request for the same person gets another reference."""
        given = os.environ.get(SUBJECT_KEY_ENV)
        if given:
            if len(given) < 16:
                raise ValueError(f"{SUBJECT_KEY_ENV} must be at least 16 characters")
            return given.encode()
        path = self.root / "subject.key"
        if not path.exists():
            write_private(path, secrets.token_bytes(_KEY_BYTES))
        return path.read_bytes()

    @property
    def requests_dir(self) -> Path:
        override = os.environ.get("CX_PRIVACY_REQUESTS_DIR")
        return Path(override) if override else self.root / "requests"

    @property
    def rejected_requests_dir(self) -> Path:
        return self.requests_dir / "rejected"

    def declared_path(self, key: str) -> Path:
        return self.root / "declared" / f"{validate_token(key, 'privacy request key')}.json"

    def export_dir(self, key: str) -> Path:
        return self.root / "exports" / validate_token(key, "privacy request key")

    def staged_export_dir(self, key: str) -> Path:
        """Where a platform download is written before it replaces `export_dir` whole."""
        return self.root / "exports" / f".{validate_token(key, 'privacy request key')}.partial"

    def export_path(self, key: str, fmt: str) -> Path:
        if fmt not in ("json", "csv"):
            raise ValueError(f"export format {fmt!r} is not json or csv")
        return self.export_dir(key) / f"export.{fmt}"

    @property
    def webhooks_dir(self) -> Path:
        return self.root / "webhooks"

    @property
    def inbox_dir(self) -> Path:
        return self.webhooks_dir / "inbox"

    @property
    def done_dir(self) -> Path:
        return self.webhooks_dir / "done"

    @property
    def seen_dir(self) -> Path:
        return self.webhooks_dir / "seen"

    @property
    def rejected_callbacks_dir(self) -> Path:
        return self.webhooks_dir / "rejected"
