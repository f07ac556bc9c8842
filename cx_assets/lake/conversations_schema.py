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


#: The lake's `conversations` schema, in file order, the same in both API modes (a tutorial-mode
#: day fills what its records carry, the rest is null); checks and the catalog view reuse it.
CONVERSATION_COLUMNS: tuple[Column, ...] = (
    Column("conversation_id", "VARCHAR", "conversationId (tutorial: interactionId); unique"),
    Column("conversation_date", "DATE", "UTC day of start_time (the partition day)"),
    Column("originating_direction", "VARCHAR", "inbound or outbound (tutorial: also internal)"),
    Column("media_type", "VARCHAR", "voice, chat, email, message, callback, …"),
    Column("start_time", "TIMESTAMPTZ", "start of the conversation, UTC"),
    Column("end_time", "TIMESTAMPTZ", "end of the conversation, UTC; null while it is ongoing"),
    Column("duration_ms", "BIGINT", "end_time - start_time in milliseconds"),
    Column("division_ids", "VARCHAR[]", "divisions the conversation belongs to (platform mode)"),
    Column("queue_id", "VARCHAR", "first ACD queue; null for internal or unrouted conversations"),
    Column("queue_name", "VARCHAR", "ACD queue name (tutorial mode; platform records carry ids)"),
    Column("wrap_up_code", "VARCHAR", "wrap-up code id; null when none was set"),
    Column("wrap_up_name", "VARCHAR", "wrap-up code name (tutorial mode)"),
    Column("handle_ms", "BIGINT", "handle time (sum of tHandle) in milliseconds"),
    Column("talk_ms", "BIGINT", "talk time (sum of tTalk; tutorial: durations.talkMs)"),
    Column("hold_ms", "BIGINT", "hold time (sum of tHeld; tutorial: durations.holdMs)"),
    Column("acw_ms", "BIGINT", "after-call work (sum of tAcw; tutorial: durations.acwMs)"),
    Column("acd_ms", "BIGINT", "time waiting in queue (sum of tAcd)"),
    Column("abandon_ms", "BIGINT", "time before abandoning (sum of tAbandon)"),
    Column("participant_count", "INTEGER", "number of participants; null for CSV exports"),
    Column("agent_ids", "VARCHAR[]", "userIds of participants whose purpose is agent"),
    Column("abandoned", "BOOLEAN", "the customer hung up in queue (a tAbandon metric exists)"),
    Column("api_mode", "VARCHAR", "platform or tutorial: which API mode landed the day"),
    Column("export_id", "VARCHAR", "the export (tutorial) or details job (platform) of the row"),
    Column("source_file", "VARCHAR", "the raw export file or result page the row came from"),
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
