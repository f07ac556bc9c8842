"""Validation of a `contacts/completed` query: the literal-`Z` instants, window, skip/top.

Why its own module: these are the rules the contract spells out parameter by parameter, and
every 400 must name the parameter it is about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cx_assets_tests.independent.cxone_platform_data import Contact

INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z")


class BadRequest(ValueError):
    """A 400 whose message names the offending parameter."""


@dataclass
class Query:
    """A valid contacts query: an optional `[start, end)` window and/or `updatedSince`."""

    start: datetime | None
    end: datetime | None
    since: datetime | None
    skip: int
    top: int

    def keeps(self, contact: Contact) -> bool:
        in_window = self.start is None or self.end is None or self.start <= contact.start < self.end
        return in_window and (self.since is None or contact.updated >= self.since)


def parse_query(
    params: dict[str, str],
    now: datetime,
    max_top: int,
    max_window: timedelta,
    max_since: timedelta,
) -> Query:
    """The query of `params`, or a BadRequest naming the parameter that breaks the rules."""
    start, end = _instant(params, "startDate"), _instant(params, "endDate")
    since = _instant(params, "updatedSince")
    if (start is None) != (end is None):
        given, missing = ("startDate", "endDate") if end is None else ("endDate", "startDate")
        raise BadRequest(f"{missing} is required with {given}")
    if start is None and since is None:
        raise BadRequest("startDate and endDate, or updatedSince, are required")
    if start is not None and end is not None:
        if end <= start:
            raise BadRequest("endDate must be after startDate")
        if end - start > max_window:
            raise BadRequest(f"endDate: window longer than {max_window.days} days")
    if since and since < now - max_since:
        raise BadRequest(f"updatedSince: at most {max_since.days} days back")
    skip = _integer(params, "skip", 0, 0, None)
    top = _integer(params, "top", max_top, 1, max_top)
    return Query(start, end, since, skip, top)


def _instant(params: dict[str, str], name: str) -> datetime | None:
    text = params.get(name)
    if text is None:
        return None
    if not INSTANT.fullmatch(text):
        raise BadRequest(f"{name} must be an ISO 8601 instant with a literal Z, got {text!r}")
    return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)


def _integer(params: dict[str, str], name: str, default: int, low: int, high: int | None) -> int:
    text = params.get(name)
    if text is None:
        return default
    if not text.isdigit() or int(text) < low or (high is not None and int(text) > high):
        raise BadRequest(f"{name} must be an integer {low}..{high or ''}, got {text!r}")
    return int(text)
