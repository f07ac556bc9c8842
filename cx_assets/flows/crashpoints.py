"""Named points where a test may kill the process, to prove every step converges on re-run.

`crashpoint("privacy.submit.after_post")` does nothing unless `CX_CRASH_AT` names that point;
then the process ends at once with `os._exit` (no cleanup, no `finally`, like a killed worker).
Written by hand because the point is the lack of machinery: a library (or a signal from outside)
could not stop the process between two exact statements.
"""

from __future__ import annotations

import os

CRASH_ENV = "CX_CRASH_AT"
CRASH_EXIT_CODE = 86


def crashpoint(name: str) -> None:
    if os.environ.get(CRASH_ENV) == name:
        os._exit(CRASH_EXIT_CODE)
