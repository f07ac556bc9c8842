"""The columns of `cxone.interactions`, and how a record of each API mode fills them.

One set of columns serves both modes, so a query never cares which mode landed a day: the
tutorial's analytics records (`id`, `direction`, `medium`, `startTime`, ...) and the Reporting
API's completed contacts (`contactId`, `isOutbound`, `mediaTypeName`, `contactStart`, ...) map
onto the same names. A column the mode has no field for stays null. A value that is absent, null
or not of the column's type becomes null too, and the record counts as incomplete when that field
is one of the mode's required fields, so a day's integrity is measured, never guessed.

Personal data in completed contacts (`fromAddr`, `toAddr`, `firstName`, `lastName`,
`dispositionNotes`) is not mapped: it never reaches the lake.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import polars as pl

CxoneMode = Literal["platform", "tutorial"]

#: (column, DuckDB type, description) in file order; the catalog view declares the same and the
#: asset's `dagster/column_schema` shows the descriptions in the UI. Each says what the value is
#: for a person reading the table, then where it comes from in each mode (tutorial: the analytics
#: export record; platform: the Reporting API's completed contact). "Null in tutorial mode" marks
#: a column only the platform API fills.
INTERACTION_COLUMNS: tuple[tuple[str, str, str], ...] = (
    (
        "id",
        "VARCHAR",
        "The interaction's id, unique per day: one row per contact. Tutorial `id`; platform "
        "`contactId`.",
    ),
    (
        "master_contact_id",
        "VARCHAR",
        "The contact this one is part of (a transfer or consult creates a child contact). "
        "Platform `masterContactId`; null in tutorial mode.",
    ),
    (
        "direction",
        "VARCHAR",
        "`inbound` (the customer reached out) or `outbound` (the centre did). Tutorial "
        "`direction`; platform: from `isOutbound`.",
    ),
    (
        "medium",
        "VARCHAR",
        "The channel: voice, chat, email, sms, work_item, ... Tutorial `medium` as served; "
        "platform `mediaTypeName` in lower case, Call / Phone Call read as voice.",
    ),
    (
        "media_type_name",
        "VARCHAR",
        "The channel exactly as CXone names it (e.g. `Call`, `Chat`). Platform "
        "`mediaTypeName`; null in tutorial mode.",
    ),
    (
        "start_time",
        "TIMESTAMPTZ",
        "When the interaction started, UTC; its UTC date is the partition (day) it is in. "
        "Tutorial `startTime`; platform `contactStart`.",
    ),
    (
        "end_time",
        "TIMESTAMPTZ",
        "When the interaction ended, UTC. Tutorial `endTime`; platform: `contactStart` + "
        "`totalDurationSeconds`.",
    ),
    (
        "last_update_time",
        "TIMESTAMPTZ",
        "When CXone last changed the record (after-call work and dispositions arrive late; the "
        "nightly re-pull picks them up). Platform `lastUpdateTime`; null in tutorial mode.",
    ),
    (
        "agent_id",
        "VARCHAR",
        "The agent who handled the interaction; null when no agent took it (abandoned). "
        "Tutorial `agentId`; platform `agentId` (0 read as null).",
    ),
    (
        "team_id",
        "VARCHAR",
        "The agent's team. Platform `teamId`; null in tutorial mode.",
    ),
    (
        "team_name",
        "VARCHAR",
        "The agent's team name. Platform `teamName`; null in tutorial mode.",
    ),
    (
        "queue_id",
        "VARCHAR",
        "The queue the interaction was routed through. Tutorial `queueId`; platform: the ACD "
        "skill, `skillId`.",
    ),
    (
        "skill_name",
        "VARCHAR",
        "The ACD skill (queue) name. Platform `skillName`; null in tutorial mode.",
    ),
    (
        "campaign_id",
        "VARCHAR",
        "The campaign the skill belongs to. Platform `campaignId`; null in tutorial mode.",
    ),
    (
        "campaign_name",
        "VARCHAR",
        "The campaign's name. Platform `campaignName`; null in tutorial mode.",
    ),
    (
        "point_of_contact",
        "VARCHAR",
        "The entry point the customer used (a number, chat or email address name). Platform "
        "`pointOfContactName`; null in tutorial mode.",
    ),
    (
        "abandoned",
        "BOOLEAN",
        "True when the customer left before an agent answered. Platform `abandoned`; null in "
        "tutorial mode.",
    ),
    (
        "disposition_id",
        "VARCHAR",
        "The outcome code the agent set (primary disposition). Platform "
        "`primaryDispositionId`; null in tutorial mode.",
    ),
    (
        "in_queue_time",
        "DOUBLE",
        "Seconds the customer waited in queue before an agent. Platform `inQueueSeconds`; null "
        "in tutorial mode.",
    ),
    (
        "hold_time",
        "DOUBLE",
        "Seconds the customer was on hold. Tutorial `holdTime`; platform `holdSeconds`.",
    ),
    (
        "wrap_time",
        "DOUBLE",
        "After-call work seconds (the agent wrapping up). Tutorial `wrapTime`; platform "
        "`ACWSeconds`.",
    ),
    (
        "talk_time",
        "DOUBLE",
        "Seconds an agent spent on the interaction. Tutorial `talkTime`; platform `agentSeconds`.",
    ),
    (
        "total_duration",
        "DOUBLE",
        "Seconds from start to end, queue and hold included. Platform `totalDurationSeconds`; "
        "null in tutorial mode.",
    ),
)
COLUMN_NAMES: tuple[str, ...] = tuple(c[0] for c in INTERACTION_COLUMNS)
_POLARS_TYPES = {
    "VARCHAR": pl.String(),
    "TIMESTAMPTZ": pl.Datetime("us", "UTC"),
    "DOUBLE": pl.Float64(),
    "BOOLEAN": pl.Boolean(),
}
SCHEMA = pl.Schema({name: _POLARS_TYPES[typ] for name, typ, _ in INTERACTION_COLUMNS})


# -- value readers: anything unusable is None ---------------------------------------------------


def text(value: Any) -> str | None:
    return value if isinstance(value, str) and value != "" else None


def identifier(value: Any) -> str | None:
    """An id served as a string or an integer (CXone ids are integers); `12.0` reads as `12`."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return text(value)


def instant(value: Any) -> dt.datetime | None:
    """An ISO 8601 instant with an offset or `Z`, as UTC; anything else is None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(dt.UTC) if parsed.tzinfo is not None else None


def seconds(value: Any) -> float | None:
    """A finite number of seconds (bool is not a number here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def boolean(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


# -- the two mappings ----------------------------------------------------------------------------

_MEDIUM = {"call": "voice", "phone call": "voice", "voice": "voice", "work item": "work_item"}


def _medium(name: Any) -> str | None:
    served = text(name)
    return None if served is None else _MEDIUM.get(served.lower(), served.lower())


def _direction(is_outbound: Any) -> str | None:
    flag = boolean(is_outbound)
    return None if flag is None else ("outbound" if flag else "inbound")


def _end(record: Mapping[str, Any]) -> dt.datetime | None:
    start, total = instant(record.get("contactStart")), seconds(record.get("totalDurationSeconds"))
    return None if start is None or total is None else start + dt.timedelta(seconds=total)


def _agent(value: Any) -> str | None:
    """CXone serves `agentId` 0 (or null) for a contact no agent took."""
    agent = identifier(value)
    return None if agent in (None, "0") else agent


@dataclass(frozen=True)
class RecordMapping:
    """How one mode's records become rows: a reader per column, and the required fields."""

    mode: CxoneMode
    columns: Mapping[str, Callable[[Mapping[str, Any]], Any]]
    #: Required API field -> the column that is null exactly when the field is unusable.
    required: Mapping[str, str]
    #: The field that places a record in its UTC day.
    start_field: str

    def row(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """The record as a lake row; every column of the schema, None where unusable."""
        return {
            name: self.columns[name](record) if name in self.columns else None for name in SCHEMA
        }

    def missing(self, row: Mapping[str, Any]) -> list[str]:
        """Required API fields that were absent, null or ill-typed in the record of `row`."""
        return [name for name, column in self.required.items() if row[column] is None]

    def start(self, record: Mapping[str, Any]) -> dt.datetime | None:
        return instant(record.get(self.start_field))


def _field(name: str, read: Callable[[Any], Any]) -> Callable[[Mapping[str, Any]], Any]:
    return lambda record: read(record.get(name))


TUTORIAL = RecordMapping(
    mode="tutorial",
    columns={
        "id": _field("id", identifier),
        "direction": _field("direction", text),
        "medium": _field("medium", text),
        "start_time": _field("startTime", instant),
        "end_time": _field("endTime", instant),
        "agent_id": _field("agentId", identifier),
        "queue_id": _field("queueId", identifier),
        "hold_time": _field("holdTime", seconds),
        "wrap_time": _field("wrapTime", seconds),
        "talk_time": _field("talkTime", seconds),
    },
    required={
        "id": "id",
        "direction": "direction",
        "medium": "medium",
        "startTime": "start_time",
        "endTime": "end_time",
        "agentId": "agent_id",
        "queueId": "queue_id",
        "holdTime": "hold_time",
        "wrapTime": "wrap_time",
        "talkTime": "talk_time",
    },
    start_field="startTime",
)

PLATFORM = RecordMapping(
    mode="platform",
    columns={
        "id": _field("contactId", identifier),
        "master_contact_id": _field("masterContactId", identifier),
        "direction": _field("isOutbound", _direction),
        "medium": _field("mediaTypeName", _medium),
        "media_type_name": _field("mediaTypeName", text),
        "start_time": _field("contactStart", instant),
        "end_time": _end,
        "last_update_time": _field("lastUpdateTime", instant),
        "agent_id": _field("agentId", _agent),
        "team_id": _field("teamId", identifier),
        "team_name": _field("teamName", text),
        "queue_id": _field("skillId", identifier),
        "skill_name": _field("skillName", text),
        "campaign_id": _field("campaignId", identifier),
        "campaign_name": _field("campaignName", text),
        "point_of_contact": _field("pointOfContactName", text),
        "abandoned": _field("abandoned", boolean),
        "disposition_id": _field("primaryDispositionId", identifier),
        "in_queue_time": _field("inQueueSeconds", seconds),
        "hold_time": _field("holdSeconds", seconds),
        "wrap_time": _field("ACWSeconds", seconds),
        "talk_time": _field("agentSeconds", seconds),
        "total_duration": _field("totalDurationSeconds", seconds),
    },
    # The fields every completed contact has (an abandoned one has no agent, so no agentId).
    required={
        "contactId": "id",
        "contactStart": "start_time",
        "lastUpdateTime": "last_update_time",
        "mediaTypeName": "media_type_name",
        "isOutbound": "direction",
        "skillId": "queue_id",
        "totalDurationSeconds": "total_duration",
    },
    start_field="contactStart",
)

MAPPINGS: dict[CxoneMode, RecordMapping] = {"tutorial": TUTORIAL, "platform": PLATFORM}
