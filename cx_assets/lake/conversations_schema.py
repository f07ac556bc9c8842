"""The conversations lake's contract: what the normaliser reads, writes, rejects and returns.

Kept apart from the DuckDB engine (`lake/conversations.py`) so the checks, the metadata and the
catalog's view reuse the columns and result without the machinery that produces them.
`CONVERSATION_COLUMNS` is the Parquet file's schema in file order; the quarantine file is JSONL
with `QUARANTINE_COLUMNS`, and each rejected record carries one of the `REASON_*` texts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NamedTuple


class Column(NamedTuple):
    name: str
    type: str  # DuckDB type, canonical spelling
    description: str


#: The lake's `conversations` schema, in file order; checks and the catalog view reuse it.
CONVERSATION_COLUMNS: tuple[Column, ...] = (
    Column("interaction_id", "VARCHAR", "Genesys interactionId; unique within a day, never null"),
    Column("conversation_date", "DATE", "UTC day of start_time (the partition day)"),
    Column("type", "VARCHAR", "inbound, outbound or internal"),
    Column("channel", "VARCHAR", "voice, chat, email, message or callback"),
    Column("start_time", "TIMESTAMPTZ", "start of the conversation, UTC"),
    Column("end_time", "TIMESTAMPTZ", "end of the conversation, UTC; null if missing/unparseable"),
    Column("duration_ms", "BIGINT", "end_time - start_time in milliseconds"),
    Column("queue_id", "VARCHAR", "ACD queue id; null for internal or abandoned calls"),
    Column("queue_name", "VARCHAR", "ACD queue name"),
    Column("wrap_up_code", "VARCHAR", "wrap-up code id; null when none was set"),
    Column("wrap_up_name", "VARCHAR", "wrap-up code name"),
    Column("talk_ms", "BIGINT", "talk time in milliseconds (durations.talkMs)"),
    Column("hold_ms", "BIGINT", "hold time in milliseconds (durations.holdMs)"),
    Column("acw_ms", "BIGINT", "after-call work in milliseconds (durations.acwMs)"),
    Column("participant_count", "INTEGER", "number of participants; null for CSV exports"),
    Column("agent_ids", "VARCHAR[]", "userIds of participants whose purpose is agent"),
    Column("export_id", "VARCHAR", "id of the export the row came from"),
    Column("source_file", "VARCHAR", "name of the raw export file the row came from"),
)

QUARANTINE_COLUMNS = ("source_file", "line", "reason", "raw")

REASON_INVALID_JSON = "invalid JSON"
REASON_NOT_OBJECT = "not a JSON object"
REASON_MISSING_ID = "missing interactionId"
REASON_MISSING_START = "missing startTimestamp"
REASON_BAD_START = "unparseable startTimestamp"
REASON_WRONG_PARTITION = "wrong partition"
REASON_DUPLICATE = "duplicate interactionId"


@dataclass(frozen=True)
class RawFile:
    """One verified raw export file of the day."""

    path: Path
    format: Literal["jsonl", "csv"]
    name: str
    record_count: int | None = None


@dataclass(frozen=True)
class NormaliseResult:
    row_count: int
    quarantined: int
    per_file: dict[str, tuple[int, int]]  # name -> (rows written, rows quarantined)
    out_file: Path
    quarantine_file: Path | None  # None when nothing was rejected (no file written)
    bytes_in: int
