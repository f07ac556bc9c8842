"""The platform-mode conversation lake's contract: the five tables, the quarantine and the result.

Kept apart from the DuckDB engine (`lake/conversation_details.py`) so catalog views and schema
checks reuse the columns without the machinery. Each `*_COLUMNS` tuple is one Parquet file's
schema in file order. `CONVERSATION_COLUMNS` is shared with the tutorial mode (which fills what
it has), so names and types must not drift. `READ_TYPE` is the one explicit shape DuckDB reads
a record with: every leaf is VARCHAR so that no value is silently coerced (DuckDB would round
1.5 to 2 and read `true` as 1); typing and the wrong-type checks happen in SQL.
`PAGE_STRUCTURE` is the same shape for DuckDB's `json_transform`, `PAGE_CONTAINERS` where a
page must hold lists and objects; `parse_page` and `record_problem` apply the same shape in
Python, for the fallback that names the page or record DuckDB could not read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cx_assets.lake.conversations_schema import CONVERSATION_COLUMNS, Column


def _c(name: str, type_: str, description: str) -> Column:
    return Column(name, type_, description)


#: `CONVERSATION_COLUMNS` (one row per conversation) is shared with the tutorial mode.
_CONV_ID = _c("conversation_id", "VARCHAR", "Genesys conversationId")
_DATE = _c("conversation_date", "DATE", "UTC day of the conversation's start (the partition)")
_PART_ID = _c("participant_id", "VARCHAR", "Genesys participantId: one party of the conversation")
_SESSION_ID = _c("session_id", "VARCHAR", "Genesys sessionId: one media session of a participant")
_EXPORT_ID = _c("export_id", "VARCHAR", "id of the export (analytics job) the row came from")

PARTICIPANT_COLUMNS: tuple[Column, ...] = (
    _CONV_ID,
    _DATE,
    _PART_ID,
    _c("participant_name", "VARCHAR", "participantName: display name (agent, queue, flow, caller)"),
    _c("purpose", "VARCHAR", "customer, external, ivr, acd, agent, user, workflow, ..."),
    _c("user_id", "VARCHAR", "userId of the Genesys user (agents and users); null for others"),
    _c("external_contact_id", "VARCHAR", "externalContactId of the customer, when known"),
    _c("team_id", "VARCHAR", "teamId of the agent's work team, when set"),
    _c("session_count", "INTEGER", "number of sessions of the participant"),
    _EXPORT_ID,
)

SESSION_COLUMNS: tuple[Column, ...] = (
    _CONV_ID,
    _DATE,
    _PART_ID,
    _SESSION_ID,
    _c("media_type", "VARCHAR", "voice, chat, email, message, callback, ..."),
    _c("direction", "VARCHAR", "inbound or outbound"),
    _c("ani", "VARCHAR", "ANI: the calling address (phone number, email, chat id)"),
    _c("dnis", "VARCHAR", "DNIS: the called address"),
    _c("provider", "VARCHAR", "media provider (e.g. Edge, PureCloud Messaging)"),
    _c("segment_count", "INTEGER", "number of segments of the session"),
    _c("metric_count", "INTEGER", "number of metrics of the session"),
    _EXPORT_ID,
)

SEGMENT_COLUMNS: tuple[Column, ...] = (
    _CONV_ID,
    _DATE,
    _PART_ID,
    _SESSION_ID,
    _c("segment_index", "INTEGER", "0-based position within its session, in served order"),
    _c("segment_type", "VARCHAR", "what happened: alert, ivr, interact, hold, wrapup, ..."),
    _c("segment_start", "TIMESTAMPTZ", "segmentStart: when the segment began, UTC"),
    _c("segment_end", "TIMESTAMPTZ", "segmentEnd, UTC; null while ongoing"),
    _c("duration_ms", "BIGINT", "segment_end - segment_start in ms"),
    _c("queue_id", "VARCHAR", "queueId of the ACD queue during the segment"),
    _c("disconnect_type", "VARCHAR", "disconnectType: who or what ended it (client, peer, ...)"),
    _c("wrap_up_code", "VARCHAR", "wrapUpCode id the agent chose, on wrapup segments"),
    _c("wrap_up_note", "VARCHAR", "wrapUpNote the agent typed, on wrapup segments"),
    _EXPORT_ID,
)

METRIC_COLUMNS: tuple[Column, ...] = (
    _CONV_ID,
    _DATE,
    _PART_ID,
    _SESSION_ID,
    _c("name", "VARCHAR", "metric name (tHandle, nOffered, ...; unknown names kept)"),
    _c("value", "BIGINT", "ms for t* metrics, counts for n*"),
    _c("emit_time", "TIMESTAMPTZ", "emitDate: when Genesys recorded the metric, UTC"),
    _EXPORT_ID,
)

QUARANTINE_COLUMNS: tuple[Column, ...] = (
    _c("source_file", "VARCHAR", "name of the raw result page"),
    _c("position", "INTEGER", "0-based index in the page's conversations; null for a page"),
    _c("reason", "VARCHAR", "why the record or page was rejected"),
    _c("raw", "VARCHAR", "the record's JSON text (the page's text for a page)"),
)

#: Output file stem -> its columns, in the order the files are written.
TABLES: dict[str, tuple[Column, ...]] = {
    "conversations": CONVERSATION_COLUMNS,
    "participants": PARTICIPANT_COLUMNS,
    "sessions": SESSION_COLUMNS,
    "segments": SEGMENT_COLUMNS,
    "metrics": METRIC_COLUMNS,
}
QUARANTINE_TABLE = "quarantine"

REASON_INVALID_JSON = "invalid JSON"
REASON_PAGE_NOT_OBJECT = "page is not a JSON object"
REASON_CONVERSATIONS_NOT_LIST = "conversations is not a list"
REASON_NOT_OBJECT = "not a JSON object"
REASON_MISSING_ID = "missing conversationId"
REASON_MISSING_START = "missing conversationStart"
REASON_BAD_START = "unparseable conversationStart"
REASON_WRONG_PARTITION = "wrong partition"
REASON_DUPLICATE = "duplicate conversationId"
REASON_WRONG_TYPE = "wrong type"
REASON_UNREADABLE = "not readable with the declared column types"

# The one explicit shape a record is read with: only the fields the tables need; a dict is an
# object, a one-element list a list of it, "VARCHAR" a leaf (any JSON value reads as its text).
_LEAF = "VARCHAR"
_SEGMENT = dict.fromkeys(
    (
        "segmentStart",
        "segmentEnd",
        "segmentType",
        "queueId",
        "disconnectType",
        "wrapUpCode",
        "wrapUpNote",
    ),
    _LEAF,
)
_METRIC = dict.fromkeys(("name", "value", "emitDate"), _LEAF)
_SESSION = dict.fromkeys(("sessionId", "mediaType", "direction", "ani", "dnis", "provider"), _LEAF)
_SESSION |= {"metrics": [_METRIC], "segments": [_SEGMENT]}
_PARTICIPANT = dict.fromkeys(
    ("participantId", "participantName", "purpose", "userId", "externalContactId", "teamId"), _LEAF
)
_PARTICIPANT |= {"sessions": [_SESSION]}
_RECORD = dict.fromkeys(
    ("conversationId", "conversationStart", "conversationEnd", "originatingDirection"), _LEAF
)
_RECORD |= {"divisionIds": [_LEAF], "participants": [_PARTICIPANT]}


def _duckdb_type(shape: object) -> str:
    if isinstance(shape, dict):
        return "STRUCT(" + ", ".join(f"{k} {_duckdb_type(v)}" for k, v in shape.items()) + ")"
    if isinstance(shape, list):
        return _duckdb_type(shape[0]) + "[]"
    return str(shape)


def _containers(shape: dict, path: str) -> list[tuple[str, str]]:
    """(JSON path, 'ARRAY' or 'OBJECT') of every list and list element below `shape`."""
    found: list[tuple[str, str]] = []
    for key, value in shape.items():
        if isinstance(value, list):
            found.append((f"{path}.{key}", "ARRAY"))
            if isinstance(value[0], dict):
                found.append((f"{path}.{key}[0]", "OBJECT"))
                found.extend(_containers(value[0], f"{path}.{key}[0]"))
    return found


#: The DuckDB type one AnalyticsConversation is read as.
READ_TYPE = _duckdb_type(_RECORD)
#: The `json_transform` structures of one record and of a whole page (the same type comes out).
RECORD_STRUCTURE = json.dumps(_RECORD, separators=(",", ":"))
PAGE_STRUCTURE = json.dumps({"conversations": [_RECORD]}, separators=(",", ":"))
#: Where a page's `json_structure` must show a list or an object (or nothing, or only nulls):
#: `json_transform` reads a value of another shape as NULL, silently, so these are checked.
PAGE_CONTAINERS = _containers({"conversations": [_RECORD]}, "$")


@dataclass(frozen=True)
class DetailsNormaliseResult:
    """What one day's normalisation wrote and rejected."""

    rows: dict[str, int]  # table stem -> rows written
    quarantined: int  # quarantine rows (records and whole pages)
    conversations_read: int  # conversation rows + quarantined records (not pages)
    per_page: dict[str, int]  # page file name -> conversations in it (0 for an unreadable page)
    outputs: dict[str, Path]  # table stem (and "quarantine") -> Parquet file
    bytes_read: int
    seconds: float


# The Python fallback: what DuckDB rejected, read with `json` to name the page or record at fault.


def dumps_json(value: Any) -> bytes:
    """JSON as UTF-8; lone surrogates (which UTF-8 cannot hold) come out as \\u escapes."""
    try:
        return json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value).encode("ascii")


def reject_row(page_idx: int, pos: int, reason: str, record: Any) -> dict[str, Any]:
    """A quarantine line the fallback writes for DuckDB to read."""
    return {"page_idx": page_idx, "pos": pos, "reason": reason, "raw": dumps_json(record).decode()}


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    return "null" if value is None else names.get(type(value), "a number")


def parse_page(raw: bytes) -> tuple[str | None, list[Any]]:
    """(why the page as a whole cannot be read, or None; its conversations)."""
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        return f"{REASON_INVALID_JSON}: not UTF-8 at byte {exc.start}", []
    except json.JSONDecodeError as exc:
        return f"{REASON_INVALID_JSON}: {exc.msg} at line {exc.lineno} column {exc.colno}", []
    if not isinstance(doc, dict):
        return f"{REASON_PAGE_NOT_OBJECT} ({_json_type(doc)})", []
    records = doc.get("conversations")
    if records is None:
        return None, []
    if not isinstance(records, list):
        return f"{REASON_CONVERSATIONS_NOT_LIST} ({_json_type(records)})", []
    return None, records


def record_problem(record: Any) -> str | None:
    """Why DuckDB cannot read `record` with the declared shape, or None."""
    if not isinstance(record, dict):
        return f"{REASON_NOT_OBJECT} ({_json_type(record)})"
    problem = _shape_problem(record, _RECORD, "")
    return None if problem is None else f"{REASON_WRONG_TYPE}: {problem}"


def _shape_problem(obj: dict[str, Any], shape: dict[str, Any], path: str) -> str | None:
    """The first list or list element below `obj` that is not where `shape` wants one."""
    for key, want in shape.items():
        value = obj.get(key)
        if not isinstance(want, list) or value is None:
            continue  # a leaf reads any JSON value as its text; absent and null are fine
        if not isinstance(value, list):
            return f"{path}{key} is {_json_type(value)}, expected an array"
        if not isinstance(want[0], dict):
            continue
        for n, element in enumerate(value):
            where = f"{path}{key}[{n}]"
            if element is not None and not isinstance(element, dict):
                return f"{where} is {_json_type(element)}, expected an object"
            if element is not None and (problem := _shape_problem(element, want[0], where + ".")):
                return problem
    return None
