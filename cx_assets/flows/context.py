"""What every flow step is told about its run: where progress lines go, which API it talks to.

Plain types, so a step runs the same under Dagster (which passes `context.log`), the CLI, a
benchmark or a test (which pass a `logging.Logger`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class ProgressLog(Protocol):
    """Where progress lines go: a `logging.Logger`, or Dagster's `context.log`."""

    def info(self, msg: str, /) -> object: ...

    def warning(self, msg: str, /) -> object: ...


@dataclass(frozen=True)
class Target:
    """The API a step talks to: recorded in the catalog and raw records, named in progress lines."""

    description: str
    api_base_url: str
    is_emulator: bool
