"""Tutorial-mode conversation export paths and scopes (docs/api-contract.md), in one place.

Everything the export client knows about the shape of the API lives here, so the platform mode
(analytics conversation details jobs) can sit beside it without touching downloads or verification.
"""

from __future__ import annotations

from cx_assets.http.paths import path_segment

DATAEXPORTS_PATH = "/api/v2/dataexports"

#: Scopes the conversation-export flow asks for.
EXPORT_SCOPES: tuple[str, ...] = ("dataexports:read",)


def export_path(export_id: str) -> str:
    return f"{DATAEXPORTS_PATH}/{path_segment(export_id)}"


def export_files_path(export_id: str) -> str:
    return f"{export_path(export_id)}/files"
