"""Tutorial-mode data table paths, scopes and limits (docs/api-contract.md), in one place."""

from __future__ import annotations

from cx_assets.http.paths import path_segment

DATATABLES_PATH = "/api/v2/datatables"

#: Scopes a data table snapshot asks for; imports also need write.
DATATABLE_READ_SCOPES: tuple[str, ...] = ("data-table:read",)
DATATABLE_WRITE_SCOPES: tuple[str, ...] = ("data-table:read", "data-table:write")

#: The largest page (`pageSize`) and rows POST the API accepts.
DATATABLE_MAX_PAGE_SIZE = 1000
DATATABLE_MAX_BATCH = 1000


def datatable_schema_path(table_id: str) -> str:
    return f"{DATATABLES_PATH}/{path_segment(table_id)}/schema"


def datatable_rows_path(table_id: str) -> str:
    return f"{DATATABLES_PATH}/{path_segment(table_id)}/rows"
