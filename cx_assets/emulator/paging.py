"""Genesys's page-number listings, shared by every platform flow that lists things.

`pageNumber` from 1 and `pageSize` from 1 to a cap (default 25), or a 400 naming the field; the
envelope `{entities, pageNumber, pageSize, total, pageCount, selfUri, firstUri, lastUri,
nextUri?, previousUri?}` with relative URIs that keep the request's other query parameters.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request

from cx_assets.emulator.errors import ApiError

DEFAULT_PAGE_SIZE = 25


def int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    """The integer query parameter `name` in [low, high], `default` when absent; else a 400."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ApiError(
            400, f"{name} must be an integer from {low} to {high}, got {raw!r}", field=name
        )
    return value


def page_params(request: Request, cap: int) -> tuple[int, int]:
    """(pageNumber from 1, pageSize from 1 to `cap`, default 25), or 400 naming the field."""
    number = int_param(request, "pageNumber", 1, 1, 1_000_000_000)
    size = int_param(request, "pageSize", min(DEFAULT_PAGE_SIZE, cap), 1, cap)
    return number, size


def envelope(
    request: Request, entities: list[Any], number: int, size: int, total: int
) -> dict[str, Any]:
    """The page-number listing around `entities`."""
    kept = [
        (k, v) for k, v in request.query_params.multi_items() if k not in ("pageNumber", "pageSize")
    ]
    path = request.url.path

    def uri(page: int) -> str:
        return f"{path}?{urlencode([*kept, ('pageSize', size), ('pageNumber', page)])}"

    count = math.ceil(total / size)
    body: dict[str, Any] = {
        "entities": entities,
        "pageSize": size,
        "pageNumber": number,
        "total": total,
        "pageCount": count,
        "firstUri": uri(1),
        "selfUri": uri(number),
        "lastUri": uri(max(count, 1)),
    }
    if number < count:
        body["nextUri"] = uri(number + 1)
    if 1 < number <= count + 1:
        body["previousUri"] = uri(number - 1)
    return body
