"""What the platform rules API answers, read tolerantly (docs/api-contract.md "Rules: outbound …").

Each model requires only what the rules flow needs: an entity's `id` and integer `version`, a
contact list's `columnNames`, an action's contract schemas, an audit query's `id` and `state`,
an audit message's date and who. Unknown members are ignored, enum words are read in any case,
absent lists are empty. Rule sets and filters are also kept raw: a PUT sends back every member
the server gave (ones this project does not know included), changing only what the repo manages.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: Output types a rule condition can test (HC "Use a rule condition to evaluate information from
#: a data action": boolean, integer, number and string outputs only).
CONDITION_OUTPUT_TYPES = ("boolean", "integer", "number", "string")


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Ref(_Tolerant):
    id: str | None = None
    name: str | None = None


class ContactListView(_Tolerant):
    id: str
    name: str | None = None
    column_names: list[str] = Field(default_factory=list, alias="columnNames")

    @field_validator("column_names", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value


class SchemaField(_Tolerant):
    """One property of a contract schema: its JSON-schema `type` (a list of types, e.g.
    `["string", "null"]`, is read as its first non-null one) and `format`."""

    type: str | None = None
    format: str | None = None

    @field_validator("type", mode="before")
    @classmethod
    def _first_type(cls, value: Any) -> Any:
        if isinstance(value, list):
            value = next((v for v in value if v != "null"), None)
        return value.lower() if isinstance(value, str) else value


def schema_fields(schema: Any) -> dict[str, SchemaField]:
    """The top-level properties of a JSON schema; anything else reads as no properties."""
    if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
        return {}
    out: dict[str, SchemaField] = {}
    for name, spec in schema["properties"].items():
        out[str(name)] = SchemaField.model_validate(spec if isinstance(spec, dict) else {})
    return out


class ActionView(_Tolerant):
    """`Action` with `expand=contract`: the input and (successful) output schemas."""

    id: str
    name: str | None = None
    contract: dict[str, Any] | None = None

    def _schema(self, side: str, key: str) -> Any:
        part = (self.contract or {}).get(side)
        return part.get(key) if isinstance(part, dict) else None

    @property
    def has_contract(self) -> bool:
        return isinstance(self.contract, dict)

    def input_fields(self) -> dict[str, SchemaField]:
        return schema_fields(self._schema("input", "inputSchema"))

    def output_fields(self) -> dict[str, SchemaField]:
        return schema_fields(self._schema("output", "successSchema"))


class EntityHead(_Tolerant):
    """What every versioned entity must carry for us to update it safely."""

    id: str
    name: str | None = None
    version: int

    @field_validator("version", mode="before")
    @classmethod
    def _numeric_text(cls, value: Any) -> Any:
        return int(value) if isinstance(value, str) and value.strip().isdigit() else value


class AuditQueryStatus(_Tolerant):
    id: str
    state: str | None = None

    @field_validator("state", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value


class AuditResultsPage(_Tolerant):
    entities: list[Any] = Field(default_factory=list)
    cursor: str | None = None

    @field_validator("entities", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value


class PropertyChange(_Tolerant):
    property: str | None = None


class AuditMessage(_Tolerant):
    """`AuditLogMessage`: when, what and who (`user` name or id, else the OAuth `client`)."""

    id: str | None = None
    event_date: dt.datetime | None = Field(default=None, alias="eventDate")
    action: str | None = None
    status: str | None = None
    entity_type: str | None = Field(default=None, alias="entityType")
    entity: Ref | None = None
    user: Ref | None = None
    client: Ref | None = None
    application: str | None = None
    property_changes: list[PropertyChange] = Field(default_factory=list, alias="propertyChanges")

    @field_validator("property_changes", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value

    @property
    def succeeded(self) -> bool:
        return (self.status or "SUCCESS").upper() == "SUCCESS"

    @property
    def who(self) -> str:
        if self.user is not None and (self.user.name or self.user.id):
            return str(self.user.name or self.user.id)
        if self.client is not None and self.client.id:
            return f"OAuth client {self.client.id}"
        return "unknown"
