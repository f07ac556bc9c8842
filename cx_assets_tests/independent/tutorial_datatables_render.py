"""What the independent tutorial data tables server writes: listing, schema, rows pages and
upsert answers, shaped by the quirks (docs/api-contract.md lines 242-299 and the tutorial's
"Response payload structure" blocks).

Fixed readings where the text is silent: the listing holds every table on one answer; a rows
page without `pageSize` in the query holds 100 rows; a page's `pageSize` is what the server
served up to (the asked size, or the cap).
"""

from __future__ import annotations

import uuid
from typing import Any

from cx_assets_tests.independent.tutorial_datatables_store import Column, Counts, Table
from cx_assets_tests.independent.tutorial_datatables_values import served

Json = dict[str, Any]
BASE = "/api/v2/datatables"


def ordered(body: Json, quirks: Any) -> Json:
    """The members in reverse order under `member_order` (JSON objects are unordered)."""
    return dict(reversed(body.items())) if quirks.member_order else body


def listing(tables: list[Table], quirks: Any) -> Json:
    tables = (
        sorted(tables, key=lambda t: t.name, reverse=True) if quirks.listing_unordered else tables
    )
    entities = []
    for table in tables:
        entity: Json = {"id": table.id, "name": table.name}
        if quirks.extra_members:
            entity |= {"description": None, "selfUri": f"{BASE}/{table.id}"}
        entities.append(ordered(entity, quirks))
    body: Json = {"entities": entities, "total": len(tables)}
    if quirks.extra_members:
        body |= {"pageSize": len(tables), "pageNumber": 1, "pageCount": 1}
    return ordered(body, quirks)


def column(col: Column, quirks: Any) -> Json:
    body: Json = {"name": col.name, "type": col.type}
    if col.key or not quirks.pk_flag_only_on_key:
        body["isPrimaryKey"] = col.key
    if quirks.extra_members:
        body["description"] = None
    return ordered(body, quirks)


def schema(table: Table, quirks: Any) -> Json:
    columns = [column(c, quirks) for c in table.columns]
    body: Json = {"columns": columns}
    if not quirks.schema_columns_only:
        body = {"id": table.id, "name": table.name, "version": table.version} | body
    if quirks.extra_members:
        body |= {"description": None, "selfUri": f"{BASE}/{table.id}/schema"}
    return ordered(body, quirks)


def row_id(table: Table, values: Json, quirks: Any) -> str:
    text = table.key_text(table.key_of(values))
    if quirks.row_id_uuid:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{table.id}/{text}"))
    return text


def row(table: Table, values: Json, quirks: Any) -> Json:
    columns = table.columns[::-1] if quirks.row_columns_reordered else table.columns
    cells = {c.name: served(values[c.name], c.type, quirks) for c in columns}
    body: Json = {"id": row_id(table, values, quirks), "columns": cells}
    if quirks.extra_members:
        body["selfUri"] = f"{BASE}/{table.id}/rows/{body['id']}"
    return ordered(body, quirks)


def page(table: Table, rows: list[Json], cursor: str | None, size: int, quirks: Any) -> Json:
    body: Json = {"rows": [row(table, values, quirks) for values in rows]}
    if cursor is not None or not quirks.cursor_absent_on_last:
        body["nextPageCursor"] = cursor
    if not quirks.page_size_absent:
        body["pageSize"] = size
    if quirks.extra_members:
        body |= {"total": len(table.rows), "selfUri": f"{BASE}/{table.id}/rows"}
    return ordered(body, quirks)


def upserted(table: Table, counts: Counts, quirks: Any) -> Json:
    body: Json = {
        "inserted": counts.inserted,
        "updated": counts.updated,
        "unchanged": counts.unchanged,
        "version": table.version,
    }
    if quirks.extra_members:
        body["tableId"] = table.id
    return ordered(body, quirks)
