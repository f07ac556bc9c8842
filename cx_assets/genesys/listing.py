"""Genesys' pageNumber envelope, read tolerantly, and the rule for its last page.

`{entities, pageSize, pageNumber, total, pageCount, nextUri, …}` (PY `*EntityListing`): every
member but `entities` may be absent, and a server may serve fewer per page than asked, so the
last page is known by `pageCount`, else `total`, else a page shorter than the size served.
Entities stay raw so one odd entity does not hide the rest of the page.
"""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator

from cx_assets.http.reading import read_model


class Listing(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    entities: list[Any] = Field(default_factory=list)
    page_size: int | None = Field(default=None, alias="pageSize")
    page_number: int | None = Field(default=None, alias="pageNumber")
    page_count: int | None = Field(default=None, alias="pageCount")
    total: int | None = None

    @field_validator("entities", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value


def last_page(page: Listing, number: int, asked: int) -> bool:
    """Whether page `number` is the last: by `pageCount`, else `total`, else a short page. A
    server may cap the page size it serves; the size it answered is the one to compare with."""
    if not page.entities:
        return True
    if page.page_count is not None:
        return number >= page.page_count
    served = page.page_size if page.page_size and page.page_size > 0 else asked
    if page.total is not None:
        return number * served >= page.total
    return len(page.entities) < served


def read_listing(response: httpx.Response) -> Listing:
    """The page, or `UnreadableResponse` naming what did not fit (never a value)."""
    return read_model(Listing, response, "a page of entities")
