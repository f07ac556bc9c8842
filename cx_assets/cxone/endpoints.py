"""NICE CXone endpoint paths, scopes and the analytics record's field names, in one place.

Everything the client knows about the shape of the CXone API lives here (see the "NICE CXone
analytics" section of docs/api-contract.md), so a real tenant's differences stay in one file.
"""

from __future__ import annotations

from cx_assets.http.paths import path_segment

TOKEN_PATH = "/oauth/token"
DATA_EXPORTS_PATH = "/api/v2/analytics/data-exports"

#: Scopes the analytics-export flow asks for: create (write), poll/page (read), and
#: `reports:read`, which the tutorial lists as required (a server may guard data pages with it).
EXPORT_SCOPES: tuple[str, ...] = ("analytics:export:read", "analytics:export:write", "reports:read")

#: The `interactions` report's record fields, in the order the API documents them.
RECORD_FIELDS: tuple[str, ...] = (
    "id",
    "direction",
    "medium",
    "startTime",
    "endTime",
    "agentId",
    "queueId",
    "holdTime",
    "wrapTime",
    "talkTime",
)
INTERACTIONS_REPORT = "interactions"
#: Record fields the contract types as numbers (seconds); a CSV page reads them back as such.
NUMBER_FIELDS: frozenset[str] = frozenset({"holdTime", "wrapTime", "talkTime"})

#: Header carrying the next page token of a CSV page (JSON pages carry it in the body).
NEXT_PAGE_HEADER = "X-Next-Page-Token"


def export_path(export_id: str) -> str:
    return f"{DATA_EXPORTS_PATH}/{path_segment(export_id)}"


def export_data_path(export_id: str) -> str:
    return f"{export_path(export_id)}/data"
