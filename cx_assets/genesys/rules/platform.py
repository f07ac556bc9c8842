"""Client for the real rules API: outbound rule sets and contact list filters, the contact lists
and data actions they name, and the audit query that says who changed them.

Reads go through tolerant models (`platform_models.py`). Updates carry the integer `version`
last read; a stale one comes back as 409, or as 400 whose message says it "does not match the
current version" (TF `IsVersionMismatch`): both raise `StaleVersion` so the caller can re-read
and decide, never retry blindly. A create is sent once (`resend_on_timeout=False`): a lost
answer raises `CreateUncertain` and the caller looks for the entity by name before creating
again. A 403 names the permission the role lacks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from pydantic import ValidationError

from cx_assets.genesys.listing import last_page, read_listing
from cx_assets.genesys.permissions import RULES, explain_forbidden
from cx_assets.genesys.rules.platform_models import (
    ActionView,
    AuditMessage,
    AuditQueryStatus,
    AuditResultsPage,
    ContactListView,
    EntityHead,
)
from cx_assets.http.client import ApiClient
from cx_assets.http.errors import ApiError, ConflictError, ForbiddenError
from cx_assets.http.paths import path_segment
from cx_assets.http.polling import PollTimeout, poll_until
from cx_assets.http.reading import read_model

Kind = Literal["rule_set", "contact_list_filter"]
PATHS: dict[str, str] = {
    "rule_set": "/api/v2/outbound/rulesets",
    "contact_list_filter": "/api/v2/outbound/contactlistfilters",
}
#: The audit API's names for them (PY `AuditLogMessage` enums: service Outbound).
AUDIT_ENTITY_TYPES: dict[str, str] = {
    "rule_set": "RuleSet",
    "contact_list_filter": "ContactListFilter",
}
LABELS: dict[str, str] = {"rule_set": "rule set", "contact_list_filter": "contact list filter"}
CONTACT_LISTS = "/api/v2/outbound/contactlists"
ACTIONS = "/api/v2/integrations/actions"
AUDITS = "/api/v2/audits/query"
VERSION_MISMATCH = "does not match the current version"


class StaleVersion(Exception):
    """The server holds a newer version than the one we sent: someone edited it meanwhile."""


class CreateUncertain(Exception):
    """A create got no answer: the entity may exist now. Look for it before creating again."""


class AuditQueryFailed(Exception):
    """The audit query ended Failed or Cancelled, or did not finish in time."""


@dataclass(frozen=True)
class RulesSettings:
    page_size: int = 100  # the largest the outbound listings serve (PY)
    max_pages: int = 100
    audit_days: int = 30  # how far back the audit query looks (retention: UNVERIFIED)
    audit_page_size: int = 500  # PY: at most 500
    audit_poll_initial_s: float = 0.2
    audit_poll_max_s: float = 5.0
    audit_timeout_s: float = 120.0


@dataclass(frozen=True)
class LiveEntity:
    """A rule set or filter as read: `raw` is the whole body, `head` its id/name/version."""

    kind: Kind
    raw: dict[str, Any]
    head: EntityHead

    @property
    def id(self) -> str:
        return self.head.id

    @property
    def version(self) -> int:
        return self.head.version


def _entity(kind: Kind, response: httpx.Response) -> LiveEntity:
    head = read_model(EntityHead, response, f"a {LABELS[kind]} (id and integer version)")
    raw = response.json()
    return LiveEntity(kind, raw, head)


def is_stale_version(error: ApiError) -> bool:
    return isinstance(error, ConflictError) or (
        error.status == 400 and VERSION_MISMATCH in error.message.lower()
    )


class OutboundRulesClient:
    """Rule sets, filters, contact lists, data actions and audits over one `ApiClient`."""

    def __init__(self, api: ApiClient, settings: RulesSettings | None = None) -> None:
        self.api = api
        self.settings = settings or RulesSettings()

    @property
    def own_client_id(self) -> str | None:
        """Our OAuth client id, as the audit API names the changes we make."""
        return getattr(self.api.auth, "client_id", None)

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.api.request(method, path, **kwargs)
        except ForbiddenError as exc:
            raise explain_forbidden(exc, RULES) from None

    def _pages(self, path: str, params: dict[str, Any]) -> Iterator[Any]:
        size = self.settings.page_size
        for number in range(1, self.settings.max_pages + 1):
            response = self._call(
                "GET", path, params={**params, "pageSize": size, "pageNumber": number}
            )
            page = read_listing(response)
            yield from (e for e in page.entities if isinstance(e, dict))
            if last_page(page, number, size):
                return
        raise ApiError(
            None,
            "GET",
            path,
            f"more than {self.settings.max_pages} pages of {size}: raise RulesSettings.max_pages",
        )

    def _named(self, path: str, name: str) -> list[dict[str, Any]]:
        """Every entity whose name is exactly `name` (the server's `name` filter is a prefix or
        partial match, so it only narrows the listing)."""
        return [e for e in self._pages(path, {"name": name}) if e.get("name") == name]

    # -- contact lists and data actions ----------------------------------------------------

    def contact_list(self, contact_list_id: str) -> ContactListView:
        path = f"{CONTACT_LISTS}/{path_segment(contact_list_id)}"
        return read_model(ContactListView, self._call("GET", path), "a contact list")

    def contact_lists_named(self, name: str) -> list[ContactListView]:
        return [
            ContactListView.model_validate(e) for e in self._named(CONTACT_LISTS, name) if "id" in e
        ]

    def action(self, action_id: str) -> ActionView:
        path = f"{ACTIONS}/{path_segment(action_id)}"
        response = self._call("GET", path, params={"expand": "contract"})
        return read_model(ActionView, response, "a data action")

    def action_ids_named(self, name: str) -> list[str]:
        return [str(e["id"]) for e in self._named(ACTIONS, name) if e.get("id")]

    # -- rule sets and filters --------------------------------------------------------------

    def get(self, kind: Kind, entity_id: str) -> LiveEntity:
        path = f"{PATHS[kind]}/{path_segment(entity_id)}"
        return _entity(kind, self._call("GET", path))

    def ids_named(self, kind: Kind, name: str) -> list[str]:
        return [str(e["id"]) for e in self._named(PATHS[kind], name) if e.get("id")]

    def put(self, kind: Kind, entity_id: str, body: dict[str, Any]) -> LiveEntity:
        """PUT the whole entity with the version it carries; `StaleVersion` when that version is
        no longer the current one (409, or 400 saying so)."""
        path = f"{PATHS[kind]}/{path_segment(entity_id)}"
        try:
            return _entity(kind, self._call("PUT", path, json=body))
        except ApiError as exc:
            if is_stale_version(exc):
                raise StaleVersion(exc.message) from None
            raise

    def create(self, kind: Kind, body: dict[str, Any]) -> LiveEntity:
        try:
            response = self._call(
                "POST",
                PATHS[kind],
                json=body,
                resend_on_timeout=False,
                resend_on_server_error=False,
            )
        except ApiError as exc:
            if exc.status is None or exc.status >= 500:
                raise CreateUncertain(
                    f"creating the {LABELS[kind]} got no answer ({exc})"
                ) from None
            raise
        return _entity(kind, response)

    # -- audits -----------------------------------------------------------------------------

    def audits(
        self, kind: Kind, entity_id: str, now: dt.datetime | None = None
    ) -> list[AuditMessage]:
        """Every audit message of the entity in the last `audit_days` (service Outbound), by the
        asynchronous query: create, poll until Succeeded, read every page by cursor."""
        end = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC) + dt.timedelta(minutes=1)
        start = end - dt.timedelta(days=self.settings.audit_days)
        body = {
            "interval": f"{_iso(start)}/{_iso(end)}",
            "serviceName": "Outbound",
            "filters": [
                {"property": "EntityId", "value": entity_id},
                {"property": "EntityType", "value": AUDIT_ENTITY_TYPES[kind]},
            ],
            "sort": [{"name": "Timestamp", "sortOrder": "descending"}],
        }
        started = read_model(
            AuditQueryStatus, self._call("POST", AUDITS, json=body), "an audit query"
        )
        query_id = started.id
        status_path = f"{AUDITS}/{path_segment(query_id)}"

        def done(status: AuditQueryStatus) -> bool:
            if status.state in ("failed", "cancelled"):
                raise AuditQueryFailed(f"the audit query ended {status.state}")
            return status.state == "succeeded"

        try:
            poll_until(
                lambda: read_model(
                    AuditQueryStatus, self._call("GET", status_path), "an audit query"
                ),
                done,
                initial_s=self.settings.audit_poll_initial_s,
                max_s=self.settings.audit_poll_max_s,
                timeout_s=self.settings.audit_timeout_s,
            )
        except PollTimeout as exc:
            raise AuditQueryFailed(
                f"the audit query was not done after {exc.timeout_s:g} s"
            ) from None
        return list(self._audit_results(f"{status_path}/results"))

    def _audit_results(self, path: str) -> Iterator[AuditMessage]:
        cursor: str | None = None
        for _ in range(self.settings.max_pages):
            params: dict[str, Any] = {"pageSize": self.settings.audit_page_size, "expand": "user"}
            if cursor:
                params["cursor"] = cursor
            page = read_model(
                AuditResultsPage, self._call("GET", path, params=params), "audit results"
            )
            for entity in page.entities:
                try:
                    yield AuditMessage.model_validate(entity)
                except ValidationError:
                    continue  # one unreadable message must not hide who made the others
            if not page.cursor or page.cursor == cursor:
                return
            cursor = page.cursor
        raise AuditQueryFailed(f"audit results run past {self.settings.max_pages} pages")


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
