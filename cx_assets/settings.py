"""The environment a user sets, read in one place (no Dagster here, so the CLI shares it)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

#: Where `cx-assets dev` runs the emulator (`CX_EMULATOR_PORT`, default 8765); the default
#: Genesys base URL. `cx-assets dev` refuses a value that is not a port, naming it.
EMULATOR_HOST = "127.0.0.1"
EMULATOR_PORT_ENV = "CX_EMULATOR_PORT"
DEFAULT_EMULATOR_PORT = 8765
#: The Dagster UI's port for `cx-assets dev` (`CX_UI_PORT`, or `--port`; default 3000).
UI_PORT_ENV = "CX_UI_PORT"
DEFAULT_UI_PORT = 3000


def port_from_env(name: str, default: int) -> int:
    """The port in `name`, or `default`; a value that is not 1..65535 is a ValueError naming it."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise ValueError(f"{name}={raw!r} is not a port (1 to 65535)")
    return int(raw)


def _emulator_port() -> int:
    try:
        return port_from_env(EMULATOR_PORT_ENV, DEFAULT_EMULATOR_PORT)
    except ValueError:
        return DEFAULT_EMULATOR_PORT  # `cx-assets dev` reports it; importing must not fail


EMULATOR_PORT = _emulator_port()
EMULATOR_URL = f"http://{EMULATOR_HOST}:{EMULATOR_PORT}"

#: The emulator's built-in OAuth client: used only when no real credentials are set.
EMULATOR_CLIENT_ID = "emulator-client"
EMULATOR_CLIENT_SECRET = "emulator-secret"

#: First day of every daily partition set (conversations, CXone, data table snapshots, the report):
#: `CX_START_DATE` (YYYY-MM-DD), default this many days before today (UTC). A short default keeps
#: the partitions a new user sees to days that can have data (the demo lands the last week of
#: them) instead of burying them under years of "Missing"; set `CX_START_DATE` to where your
#: org's history starts before backfilling it.
START_DATE_ENV = "CX_START_DATE"
DEFAULT_START_DAYS_AGO = 90


def data_dir() -> Path:
    """The data root: `CX_DATA_DIR`, default `./.cx_data`, as an absolute path."""
    return Path(os.environ.get("CX_DATA_DIR") or ".cx_data").resolve()


def project_root() -> Path:
    """The checkout holding dagster.yaml (the package lives one level below it)."""
    return Path(__file__).resolve().parent.parent


def default_start_date(today: dt.date | None = None) -> str:
    """`DEFAULT_START_DAYS_AGO` days before `today` (default: today in UTC), as YYYY-MM-DD."""
    today = today or dt.datetime.now(dt.UTC).date()
    return (today - dt.timedelta(days=DEFAULT_START_DAYS_AGO)).isoformat()


def start_date() -> str:
    """First day of the daily partitions: `CX_START_DATE`, default 90 days before today (UTC).

    A value that is not a date is a ValueError naming the variable, so the code location fails
    to load with that message rather than with Dagster's parse error.
    """
    raw = os.environ.get(START_DATE_ENV, "").strip()
    if not raw:
        return default_start_date()
    try:
        return dt.date.fromisoformat(raw).isoformat()
    except ValueError:
        raise ValueError(f"{START_DATE_ENV}={raw!r} is not a date (YYYY-MM-DD)") from None
