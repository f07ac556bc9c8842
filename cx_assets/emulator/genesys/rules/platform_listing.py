"""The pageNumber listings of contact lists, actions, rule sets and filters.

`name=` narrows: outbound lists by `filterType` (default `Prefix`), actions by a part of the
name; both case-insensitive. Sorted by `sortBy` (default `name`) in `sortOrder` (default
ascending). `pageSize` 1 to 100 (else 400 naming it), as docs/api-contract.md "Listings" says.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from cx_assets.emulator.errors import ApiError
from cx_assets.emulator.paging import envelope, page_params

MAX_PAGE_SIZE = 100
FILTER_TYPES = {
    "Prefix": str.startswith,
    "BeginsWith": str.startswith,
    "Equals": str.__eq__,
    "Contains": str.__contains__,
    "EndsWith": str.endswith,
}
SORT_BY = ("name", "dateCreated", "dateModified", "id")
SORT_ORDERS = ("ascending", "descending")


def _choice(request: Request, name: str, allowed: tuple[str, ...], default: str) -> str:
    raw = request.query_params.get(name) or default
    for value in allowed:
        if value.casefold() == raw.casefold():
            return value
    raise ApiError(400, f"{name} must be one of {', '.join(allowed)}, got {raw!r}", field=name)


def listing(
    request: Request,
    entities: list[dict[str, Any]],
    outbound: bool = True,
    shown: Any = None,
) -> dict[str, Any]:
    """The page of `entities` the query asks for, each passed through `shown` (if given)."""
    number, size = page_params(request, MAX_PAGE_SIZE)
    name = request.query_params.get("name")
    if name:
        kind = "Contains"
        if outbound:
            kind = _choice(request, "filterType", tuple(FILTER_TYPES), "Prefix")
        test = FILTER_TYPES[kind]
        entities = [e for e in entities if test(e["name"].casefold(), name.casefold())]
    sort_by = _choice(request, "sortBy", SORT_BY, "name")
    descending = _choice(request, "sortOrder", SORT_ORDERS, "ascending") == "descending"
    entities = sorted(
        entities, key=lambda e: (str(e.get(sort_by, "")).casefold(), e["id"]), reverse=descending
    )
    page = entities[(number - 1) * size : number * size]
    if shown is not None:
        page = [shown(e) for e in page]
    return envelope(request, page, number, size, len(entities))
