"""The environment a user sets, read in one place (no Dagster here, so the CLI shares it)."""

from __future__ import annotations

import os
from pathlib import Path

#: Where `cx-assets emulator` listens unless told otherwise; the default Genesys base URL.
EMULATOR_HOST = "127.0.0.1"
EMULATOR_PORT = 8765
EMULATOR_URL = f"http://{EMULATOR_HOST}:{EMULATOR_PORT}"

#: The emulator's built-in OAuth client: used only when no real credentials are set.
EMULATOR_CLIENT_ID = "emulator-client"
EMULATOR_CLIENT_SECRET = "emulator-secret"

DEFAULT_START_DATE = "2024-01-01"


def data_dir() -> Path:
    """The data root: `CX_DATA_DIR`, default `./.cx_data`, as an absolute path."""
    return Path(os.environ.get("CX_DATA_DIR") or ".cx_data").resolve()


def project_root() -> Path:
    """The checkout holding dagster.yaml (the package lives one level below it)."""
    return Path(__file__).resolve().parent.parent


def start_date() -> str:
    """First day of the daily partitions: `CX_START_DATE`, default 2024-01-01."""
    return os.environ.get("CX_START_DATE") or DEFAULT_START_DATE
