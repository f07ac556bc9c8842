"""Instants on the wire: every vendor request takes timezone-aware times only.

Shared by the request models of each vendor (pydantic `field_validator`s call it), so the rule
and its message are the same everywhere. Not pydantic's `AwareDatetime`: its message ("Input
should have timezone info") does not say what to write instead.
"""

from __future__ import annotations

import datetime as dt

NAIVE_MESSAGE = "must carry a UTC offset or 'Z' (ISO 8601, e.g. 2024-01-01T00:00:00Z)"


def require_offset(value: dt.datetime) -> dt.datetime:
    """`value` unchanged when it names its UTC offset; ValueError when naive (ambiguous)."""
    if value.utcoffset() is None:
        raise ValueError(NAIVE_MESSAGE)
    return value
