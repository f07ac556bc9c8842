"""Genesys Cloud endpoint paths and scopes, in one place.

Everything the clients know about the shape of the Genesys API (paths, scopes) lives here, so a
second flavour (the real analytics "details jobs" bulk path, see docs/api-contract.md) can be added
beside this one without touching the download or verification code.
"""

from __future__ import annotations

from urllib.parse import quote

TOKEN_PATH = "/oauth/token"
DATAEXPORTS_PATH = "/api/v2/dataexports"

#: Scopes the conversation-export flow asks for.
EXPORT_SCOPES: tuple[str, ...] = ("dataexports:read",)


def _segment(value: str) -> str:
    """Quote an id from the server before it becomes a path segment."""
    return quote(value, safe="")


def export_path(export_id: str) -> str:
    return f"{DATAEXPORTS_PATH}/{_segment(export_id)}"


def export_files_path(export_id: str) -> str:
    return f"{export_path(export_id)}/files"
