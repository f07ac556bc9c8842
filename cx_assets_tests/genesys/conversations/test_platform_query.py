"""Contract: the strict request of platform mode, `AsyncConversationQuery` (docs/api-contract.md
"# Platform mode"): a bad query fails before any request is sent, with a message naming each
broken field and its rule; `day_query` is the UTC day, oldest first, one day per conversation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cx_assets.genesys.conversations.platform_models import (
    AsyncConversationQuery,
    InvalidQuery,
    validate_query,
)

DAY = dt.date(2024, 1, 1)
INTERVAL = "2024-01-01T00:00:00.000Z/2024-01-02T00:00:00.000Z"


def test_day_query_is_the_utc_day_in_start_order() -> None:
    assert AsyncConversationQuery.day_query(DAY).to_json() == {
        "interval": INTERVAL,
        "order": "asc",
        "orderBy": "conversationStart",
        "startOfDayIntervalMatching": True,
    }


def test_day_query_crosses_the_year() -> None:
    query = AsyncConversationQuery.day_query(dt.date(2024, 12, 31))
    assert query.interval == "2024-12-31T00:00:00.000Z/2025-01-01T00:00:00.000Z"


def test_day_query_wants_a_date_not_a_datetime() -> None:
    with pytest.raises(TypeError, match=r"datetime\.date"):
        AsyncConversationQuery.day_query(dt.datetime(2024, 1, 1, 12))  # type: ignore[arg-type]


def test_body_is_camel_case_and_leaves_out_what_is_not_set() -> None:
    query = validate_query({"interval": INTERVAL, "limit": 50, "orderBy": "segmentEnd"})
    assert query.to_json() == {"interval": INTERVAL, "limit": 50, "orderBy": "segmentEnd"}


@pytest.mark.parametrize(
    "interval",
    [
        "2024-01-01T00:00:00Z/2024-01-02T00:00:00Z",
        "2024-01-01T01:00:00+01:00/2024-01-01T02:00:00.5-05:00",
    ],
)
def test_intervals_with_offsets_are_accepted(interval: str) -> None:
    assert validate_query({"interval": interval}).interval == interval


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, "interval: required but absent"),
        ({"interval": "2024-01-01T00:00:00Z"}, "interval: must be 'start/end'"),
        ({"interval": "2024-01-01T00:00:00Z/P1D"}, "interval: end 'P1D' is not an ISO-8601"),
        ({"interval": "a/b/c"}, "interval: must be 'start/end'"),
        (
            {"interval": "2024-01-01T00:00:00/2024-01-02T00:00:00Z"},
            "interval: start '2024-01-01T00:00:00' must carry a UTC offset or 'Z'",
        ),
        (
            {"interval": "2024-01-02T00:00:00Z/2024-01-01T00:00:00Z"},
            "interval: start must be before end",
        ),
        (
            {"interval": "2024-01-01T00:00:00Z/2024-01-01T01:00:00+01:00"},  # the same instant
            "interval: start must be before end",
        ),
        ({"interval": INTERVAL, "order": "up"}, "order: 'up' is not allowed ('asc', 'desc' or"),
        ({"interval": INTERVAL, "orderBy": "start"}, "orderBy: 'start' is not allowed"),
        ({"interval": INTERVAL, "limit": "5"}, "limit: Input should be a valid integer"),
        ({"interval": INTERVAL, "limit": 0}, "limit: Input should be greater than or equal to 1"),
        ({"interval": INTERVAL, "limit": True}, "limit: Input should be a valid integer"),
        (
            {"interval": INTERVAL, "startOfDayIntervalMatching": "true"},
            "startOfDayIntervalMatching: Input should be a valid boolean",
        ),
        ({"interval": INTERVAL, "pageSize": 10}, "pageSize: unknown field"),
        ({"interval": INTERVAL, "conversationFilters": []}, "conversationFilters: unknown field"),
    ],
)
def test_a_bad_query_names_the_field(data: dict[str, Any], expected: str) -> None:
    with pytest.raises(InvalidQuery) as err:
        validate_query(data)
    assert expected in str(err.value)


def test_every_broken_field_is_listed() -> None:
    with pytest.raises(InvalidQuery) as err:
        validate_query({"interval": "x", "order": "up", "limit": "many"})
    assert [field for field, _ in err.value.problems] == ["interval", "order", "limit"]
