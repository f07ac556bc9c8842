"""Checks and clean-ups every catalog record runs before it is written."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit


def check_aware(record: object, names: Sequence[str]) -> None:
    """Timestamps must carry a zone: the catalog stores TIMESTAMPTZ and compares across runs."""
    for name in names:
        value = getattr(record, name)
        if value is not None and value.utcoffset() is None:
            raise ValueError(f"{type(record).__name__}.{name} must be timezone-aware, got {value}")


def strip_query(uri: str | None) -> str | None:
    """`uri` without query or fragment: presigned-URL signatures must never be stored."""
    if not uri:
        return uri
    parts = urlsplit(uri)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
