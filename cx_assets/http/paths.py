"""URL paths built from ids the outside world chose (servers, users, config)."""

from __future__ import annotations

from urllib.parse import quote


def path_segment(value: str) -> str:
    """`value` quoted as one path segment: a `/`, `?` or `..` in an id cannot change the path."""
    return quote(value, safe="")
