"""`python -m cx_assets_tests.flows.conversations_crash_driver <data root> <day>`: normalise and
register one conversation day, as the `genesys_conversations` asset does. The crash tests run
it with `CX_CRASH_AT` set so it dies (`os._exit`) at the named point."""

from __future__ import annotations

import datetime as dt
import logging
import sys
from pathlib import Path

from cx_assets.flows.conversations import normalise_day
from cx_assets.lake.paths import DataLayout

if __name__ == "__main__":
    root, day = Path(sys.argv[1]), dt.date.fromisoformat(sys.argv[2])
    normalise_day(DataLayout(root), day, run_id="crash-driver", log=logging.getLogger("driver"))
