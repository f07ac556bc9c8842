"""RFC 6901 JSON pointers for the admin-UI edit: only existing members may be set.

An edit "in the admin UI" changes what is there (a comparison value, a name); it never adds a
member, so a pointer that names nothing is a 400 rather than a silent addition. `match` of the
`concurrent_edit` switch is `<pointer>=<JSON value>`.
"""

from __future__ import annotations

import json
from typing import Any

from cx_assets.emulator.errors import ApiError


def tokens(pointer: str) -> list[str]:
    if not isinstance(pointer, str) or not pointer.startswith("/"):
        raise ApiError(400, f"{pointer!r} is not a JSON pointer (it must start with '/')")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def set_existing(document: Any, pointer: str, value: Any) -> None:
    """Replace the member `pointer` names in `document` (in place); 400 when it names nothing."""
    path = tokens(pointer)
    parent = document
    for depth, token in enumerate(path):
        last = depth == len(path) - 1
        if isinstance(parent, dict) and token in parent:
            if last:
                parent[token] = value
            else:
                parent = parent[token]
            continue
        if isinstance(parent, list) and token.isdigit() and int(token) < len(parent):
            if last:
                parent[int(token)] = value
            else:
                parent = parent[int(token)]
            continue
        raise ApiError(400, f"{pointer} names no existing member (at {token!r})")


def parse_match(match: str) -> tuple[str, Any]:
    """`/rules/0/name="Skip"` -> ("/rules/0/name", "Skip"); 400 when it is not that shape."""
    pointer, sep, raw = match.partition("=")
    if not sep:
        raise ApiError(400, f"concurrent_edit match {match!r} is not <JSON pointer>=<JSON value>")
    tokens(pointer)
    try:
        return pointer, json.loads(raw)
    except ValueError:
        raise ApiError(400, f"concurrent_edit match value {raw!r} is not JSON") from None
