"""Genesys Cloud endpoint paths and scopes, in one place.

Everything the clients know about the shape of the Genesys API (paths, scopes) lives here, so a
second flavour (the real analytics "details jobs" bulk path, see docs/api-contract.md) can be added
beside this one without touching the download or verification code.
"""

from __future__ import annotations

from cx_assets.http.paths import path_segment

TOKEN_PATH = "/oauth/token"
DATAEXPORTS_PATH = "/api/v2/dataexports"

#: Scopes the conversation-export flow asks for.
EXPORT_SCOPES: tuple[str, ...] = ("dataexports:read",)


def export_path(export_id: str) -> str:
    return f"{DATAEXPORTS_PATH}/{path_segment(export_id)}"


def export_files_path(export_id: str) -> str:
    return f"{export_path(export_id)}/files"


# -- data tables ----------------------------------------------------------------------------

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
