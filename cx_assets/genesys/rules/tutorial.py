"""Genesys Cloud data actions client: datasets, actions (ETag / If-Match), webhooks, audits.

Paths and payload shapes follow docs/api-contract.md, "Data actions, datasets, webhooks, audits".
A PUT always carries the ETag the caller read (never a blind write: the server answers 428 to a
PUT without one, and this client never sends that); a stale ETag surfaces as `ConflictError`
(409) for the caller to re-read and decide again (see `genesys/rules/apply.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator

from cx_assets.http.client import ApiClient
from cx_assets.http.paths import path_segment
from cx_assets.http.reading import read_model

DATASETS_PATH = "/api/v2/datasets"
DATAACTIONS_PATH = "/api/v2/dataactions"
WEBHOOKS_PATH = "/api/v2/platform/webhooks"
AUDITS_QUERY_PATH = "/api/v2/audits/query"
ACTION_UPDATED_EVENT = "data.action.updated"

#: Scopes: reading rules and datasets; applying them; drift (reads + audit); the webhook.
READ_SCOPES: tuple[str, ...] = ("data:actions:read",)
APPLY_SCOPES: tuple[str, ...] = ("data:actions:read", "data:actions:write", "audit:read")
DRIFT_SCOPES: tuple[str, ...] = ("data:actions:read", "audit:read")
WEBHOOK_SCOPES: tuple[str, ...] = ("platform:webhooks:write",)

FIELD_TYPES = ("string", "number", "boolean", "date")


def dataset_path(dataset_id: str) -> str:
    return f"{DATASETS_PATH}/{path_segment(dataset_id)}"


def action_path(action_id: str) -> str:
    return f"{DATAACTIONS_PATH}/{path_segment(action_id)}"


def webhook_path(webhook_id: str) -> str:
    return f"{WEBHOOKS_PATH}/{path_segment(webhook_id)}"


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class DatasetField(_Model):
    id: str
    name: str = ""
    type: str


class Dataset(_Model):
    id: str
    name: str = ""
    fields: list[DatasetField] = Field(default_factory=list)
    derived_from: list[str] = Field(default_factory=list, alias="derivedFrom")

    def field(self, field_id: str) -> DatasetField | None:
        return next((f for f in self.fields if f.id == field_id), None)


class _Entity(_Model):
    id: str
    name: str = ""


class _EntityList(_Model):
    entities: list[_Entity] = Field(default_factory=list)


class ActionSummary(_Model):
    id: str
    name: str = ""
    version: int | None = None


class _ActionList(_Model):
    entities: list[ActionSummary] = Field(default_factory=list)


class DataAction(_Model):
    """An action as served: `conditions` is the raw API condition tree (a node dict). The
    tutorial itself sends `conditions=[condition_matrix]`, a list of one node: read as that
    node (a longer list has no reading the contract gives, and fails naming the field)."""

    id: str
    name: str = ""
    conditions: dict[str, Any] | None = None
    version: int

    @field_validator("conditions", mode="before")
    @classmethod
    def _one_node_list(cls, value: Any) -> Any:
        if isinstance(value, list) and len(value) <= 1:
            return value[0] if value else None
        return value


@dataclass(frozen=True)
class LiveAction:
    """An action and the ETag it was read with (what the next PUT sends as `If-Match`)."""

    action: DataAction
    etag: str


class AuditRecord(_Model):
    timestamp: str
    actor_id: str = Field(alias="actorId")
    operation: str = ""
    status: str = ""
    entity_id: str | None = Field(default=None, alias="entityId")
    event_type: str | None = Field(default=None, alias="eventType")
    version: int | None = None


class _AuditList(_Model):
    entities: list[AuditRecord] = Field(default_factory=list)


class Webhook(_Model):
    """A registered webhook. `secret` signs deliveries: never log or store it."""

    id: str
    name: str = ""
    secret: str | None = Field(default=None, repr=False)


class DataActionsClient:
    """The data actions API over one `ApiClient` (which owns auth, retries and pacing)."""

    def __init__(self, api: ApiClient) -> None:
        self.api = api

    # -- datasets --------------------------------------------------------------------------

    def list_datasets(self) -> list[str]:
        """Every dataset id."""
        return [
            e.id for e in read_model(_EntityList, self.api.request("GET", DATASETS_PATH)).entities
        ]

    def get_dataset(self, dataset_id: str) -> Dataset:
        return read_model(Dataset, self.api.request("GET", dataset_path(dataset_id)))

    def datasets(self) -> dict[str, Dataset]:
        """Every dataset with its fields and `derivedFrom` edges, by id (validation needs the
        whole graph: a cycle may run through datasets no rule mentions)."""
        return {ds_id: self.get_dataset(ds_id) for ds_id in self.list_datasets()}

    # -- actions ---------------------------------------------------------------------------

    def list_actions(self) -> list[ActionSummary]:
        return read_model(_ActionList, self.api.request("GET", DATAACTIONS_PATH)).entities

    def get_action(self, action_id: str) -> LiveAction:
        response = self.api.request("GET", action_path(action_id))
        action = read_model(DataAction, response)
        return LiveAction(action, _etag(response) or f'"{action.version}"')

    def put_action(
        self,
        action_id: str,
        conditions: Mapping[str, Any],
        *,
        etag: str,
        name: str | None = None,
    ) -> LiveAction:
        """Replace the action's conditions if it is still at `etag`.

        Raises `ConflictError` (409) when someone changed it since `etag` was read, and
        `ApiError` 422 with the server's node path and rule for a tree it refuses.
        """
        if not etag:
            raise ValueError("put_action needs the ETag read with the action (If-Match)")
        body: dict[str, Any] = {"conditions": dict(conditions)}
        if name is not None:
            body["name"] = name
        response = self.api.request(
            "PUT", action_path(action_id), json=body, headers={"If-Match": etag}
        )
        action = read_model(DataAction, response)
        return LiveAction(action, _etag(response) or f'"{action.version}"')

    # -- webhooks and audits ---------------------------------------------------------------

    def register_webhook(
        self,
        name: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        event_type: str = ACTION_UPDATED_EVENT,
    ) -> Webhook:
        target: dict[str, Any] = {"url": url}
        if headers:
            target["headers"] = dict(headers)
        body = {"name": name, "enabled": True, "events": [{"eventType": event_type}]}
        response = self.api.request("POST", WEBHOOKS_PATH, json={**body, "target": target})
        return read_model(Webhook, response)

    def query_audits(
        self, entity_id: str, *, event_type: str = ACTION_UPDATED_EVENT, size: int = 25
    ) -> list[AuditRecord]:
        """Audit records for `entity_id`, newest first (as the server orders them)."""
        if not 1 <= size <= 100:
            raise ValueError(f"size must be 1..100, got {size}")
        body = {"query": {"entityId": entity_id, "eventType": event_type}, "size": size}
        return read_model(
            _AuditList, self.api.request("POST", AUDITS_QUERY_PATH, json=body)
        ).entities


def _etag(response: httpx.Response) -> str | None:
    """The ETag as sent (quotes kept, weak prefix dropped): it goes back verbatim in If-Match."""
    value = response.headers.get("ETag")
    return value.removeprefix("W/").strip() if value else None
