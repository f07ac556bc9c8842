"""The contacts/completed query string, checked as a CXone tenant checks it (400 names the
parameter): literal-Z instants, the window and `updatedSince` limits, `skip` and `top`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from starlette.datastructures import QueryParams

from cx_assets.emulator.config import EmulatorConfig
from cx_assets.emulator.cxone.platform.contacts import DAY_MS
from cx_assets.emulator.cxone.platform.selection import Query

#: `2024-03-05T00:00:00Z` or with 1-6 fraction digits; the zone must be a literal Z.
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z")
EXAMPLE = "2024-03-05T00:00:00.000Z"


class BadParameter(Exception):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


@dataclass(frozen=True)
class Request:
    query: Query
    skip: int
    top: int


def _instant(params: QueryParams, name: str) -> int | None:
    raw = params.get(name)
    if raw is None:
        return None
    if not _INSTANT.fullmatch(raw):
        raise BadParameter(
            name, f"{name} must be an ISO 8601 instant with a literal Z (e.g. {EXAMPLE}): {raw!r}"
        )
    try:
        return int(datetime.fromisoformat(raw).timestamp() * 1000)
    except ValueError as exc:
        raise BadParameter(name, f"{name} is not a valid date: {raw!r}") from exc


def _integer(params: QueryParams, name: str, default: int, lo: int, hi: int | None) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = lo - 1
    if value < lo or (hi is not None and value > hi):
        limit = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
        raise BadParameter(name, f"{name} must be an integer {limit}: {raw!r}")
    return value


def parse(params: QueryParams, config: EmulatorConfig, now_ms: int) -> Request:
    """The validated query; `startDate`+`endDate` or `updatedSince` (or all three) are required."""
    start, end = _instant(params, "startDate"), _instant(params, "endDate")
    since = _instant(params, "updatedSince")
    if (start is None) != (end is None):
        missing = "endDate" if end is None else "startDate"
        raise BadParameter(missing, f"{missing} is required together with the other date")
    if start is None and since is None:
        raise BadParameter("startDate", "give startDate and endDate, or updatedSince")
    if start is not None and end is not None:
        if end <= start:
            raise BadParameter("endDate", "endDate must be after startDate")
        if end - start > config.cxone_max_window_days * DAY_MS:
            raise BadParameter(
                "endDate",
                f"startDate..endDate spans more than {config.cxone_max_window_days} days",
            )
    oldest = now_ms - config.cxone_max_updated_since_days * DAY_MS
    if since is not None and since < oldest:
        raise BadParameter(
            "updatedSince",
            f"updatedSince may go back at most {config.cxone_max_updated_since_days} days",
        )
    skip = _integer(params, "skip", 0, 0, None)
    top = _integer(params, "top", config.cxone_max_top, 1, config.cxone_max_top)
    return Request(Query(start, end, since), skip, top)
