"""Which Genesys Cloud permission each platform call needs, and 403s that say so.

Genesys authorises a client-credentials token by the permissions of the roles assigned to its
OAuth client, not by scopes (VENDOR_APIS.md §1). A bare 403 leaves the user guessing; our own
table names what to add, whatever the server's body says (its wording is UNVERIFIED).

The table is data: one `PlatformCall` row per method and path template, grouped per flow. A new
flow (data tables, GDPR, outbound rules, audits) adds its tuple of rows to `PLATFORM_CALLS`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from cx_assets.http.errors import ForbiddenError

ADMIN_HINT = "Genesys Cloud Admin > OAuth"


@dataclass(frozen=True)
class Permissions:
    """What a call needs: ANY one of `any_of` (as PY's "Requires ANY permissions"), or ALL of
    `all_of`. Exactly one of the two is given."""

    any_of: tuple[str, ...] = ()
    all_of: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if bool(self.any_of) == bool(self.all_of):
            raise ValueError("give exactly one of any_of or all_of, and at least one permission")

    def describe(self) -> str:
        """ "the permission a (or b)" / "the permissions a and b", for a sentence."""
        if self.any_of:
            first, *others = self.any_of
            alternatives = f" (or {', or '.join(others)})" if others else ""
            return f"the permission {first}{alternatives}"
        if len(self.all_of) == 1:
            return f"the permission {self.all_of[0]}"
        return f"the permissions {', '.join(self.all_of[:-1])} and {self.all_of[-1]}"


@dataclass(frozen=True)
class PlatformCall:
    """One platform API call: `path` is a template whose `{name}` parts match one segment."""

    method: str
    path: str
    permissions: Permissions
    flow: str

    def matches(self, method: str, path: str) -> bool:
        return method.upper() == self.method and _template(self.path).fullmatch(path) is not None

    @property
    def placeholders(self) -> int:
        return self.path.count("{")


_DETAIL_VIEW = "analytics:conversationDetail:view"
_AGENT_DETAIL_VIEW = "analytics:agentConversationDetail:view"
_JOBS = "/api/v2/analytics/conversations/details/jobs"
_ANY_DETAIL = Permissions(any_of=(_DETAIL_VIEW, _AGENT_DETAIL_VIEW))

#: Conversations: analytics conversation details jobs (PY AnalyticsApi.md).
CONVERSATIONS: tuple[PlatformCall, ...] = (
    PlatformCall("POST", _JOBS, _ANY_DETAIL, "conversations"),
    PlatformCall("GET", f"{_JOBS}/{{jobId}}", _ANY_DETAIL, "conversations"),
    PlatformCall("GET", f"{_JOBS}/{{jobId}}/results", _ANY_DETAIL, "conversations"),
    PlatformCall("DELETE", f"{_JOBS}/{{jobId}}", _ANY_DETAIL, "conversations"),
    PlatformCall(
        "GET", f"{_JOBS}/availability", Permissions(any_of=(_DETAIL_VIEW,)), "conversations"
    ),
)

_DT = "/api/v2/flows/datatables"
DATATABLE_VIEW = "architect:datatable:view"
DATATABLE_EDIT = "architect:datatable:edit"
DATATABLE_ROW_VIEW = "architect:datatableRow:view"
DATATABLE_ROW_ADD = "architect:datatableRow:add"
DATATABLE_ROW_DELETE = "architect:datatableRow:delete"
_DT_VIEW = Permissions(all_of=(DATATABLE_VIEW,))
#: An `Append` CSV import; a `ReplaceAll` also needs `DATATABLE_ROW_DELETE` (the exact set is
#: UNVERIFIED; the body decides, so the client names it: `DATATABLE_REPLACE_ALL_CALLS`).
DATATABLE_IMPORT = Permissions(all_of=(DATATABLE_EDIT, DATATABLE_ROW_ADD))

#: Data tables: Architect `/api/v2/flows/datatables` (PY ArchitectApi.md; VENDOR_APIS.md §3).
#: Polling an import job needs view (UNVERIFIED).
DATATABLES: tuple[PlatformCall, ...] = (
    PlatformCall("GET", _DT, _DT_VIEW, "datatables"),
    PlatformCall("GET", f"{_DT}/{{datatableId}}", _DT_VIEW, "datatables"),
    PlatformCall(
        "GET",
        f"{_DT}/{{datatableId}}/rows",
        Permissions(all_of=(DATATABLE_VIEW, DATATABLE_ROW_VIEW)),
        "datatables",
    ),
    PlatformCall("POST", f"{_DT}/{{datatableId}}/export/jobs", _DT_VIEW, "datatables"),
    PlatformCall("GET", f"{_DT}/{{datatableId}}/export/jobs/{{jobId}}", _DT_VIEW, "datatables"),
    PlatformCall("POST", f"{_DT}/{{datatableId}}/import/csv/jobs", DATATABLE_IMPORT, "datatables"),
    PlatformCall("GET", f"{_DT}/{{datatableId}}/import/jobs", _DT_VIEW, "datatables"),
    PlatformCall("GET", f"{_DT}/{{datatableId}}/import/jobs/{{jobId}}", _DT_VIEW, "datatables"),
)

#: The table to explain a 403 on a `ReplaceAll` import create with (it also deletes rows).
DATATABLE_REPLACE_ALL_CALLS: tuple[PlatformCall, ...] = (
    PlatformCall(
        "POST",
        f"{_DT}/{{datatableId}}/import/csv/jobs",
        Permissions(all_of=(DATATABLE_EDIT, DATATABLE_ROW_ADD, DATATABLE_ROW_DELETE)),
        "datatables",
    ),
)

_GDPR = "/api/v2/gdpr"
GDPR_REQUEST_ADD = "gdpr:request:add"
GDPR_REQUEST_VIEW = "gdpr:request:view"
GDPR_SUBJECT_VIEW = "gdpr:subject:view"

#: Privacy: GDPR requests and subjects (PY GeneralDataProtectionRegulationApi.md).
PRIVACY: tuple[PlatformCall, ...] = (
    PlatformCall("POST", f"{_GDPR}/requests", Permissions(any_of=(GDPR_REQUEST_ADD,)), "privacy"),
    PlatformCall("GET", f"{_GDPR}/requests", Permissions(any_of=(GDPR_REQUEST_VIEW,)), "privacy"),
    PlatformCall(
        "GET",
        f"{_GDPR}/requests/{{requestId}}",
        Permissions(any_of=(GDPR_REQUEST_VIEW,)),
        "privacy",
    ),
    PlatformCall("GET", f"{_GDPR}/subjects", Permissions(any_of=(GDPR_SUBJECT_VIEW,)), "privacy"),
)

_OB = "/api/v2/outbound"
_ACTIONS = "/api/v2/integrations/actions"
_AUDITS = "/api/v2/audits/query"
RULE_SET_VIEW = "outbound:ruleSet:view"
RULE_SET_EDIT = "outbound:ruleSet:edit"
RULE_SET_ADD = "outbound:ruleSet:add"
FILTER_VIEW = "outbound:contactListFilter:view"
FILTER_EDIT = "outbound:contactListFilter:edit"
FILTER_ADD = "outbound:contactListFilter:add"
CONTACT_LIST_VIEW = "outbound:contactList:view"
ACTION_VIEW = "integrations:action:view"
AUDIT_VIEW = "audits:audit:view"


def _one(permission: str) -> Permissions:
    return Permissions(any_of=(permission,))


#: Rules: outbound rule sets and contact list filters (PY OutboundApi.md), the data actions their
#: conditions call (PY IntegrationsApi.md: ANY of integrations:action:view, bridge:actions:view)
#: and the audit query that says who changed them (PY AuditApi.md).
RULES: tuple[PlatformCall, ...] = (
    PlatformCall("GET", f"{_OB}/contactlists", _one(CONTACT_LIST_VIEW), "rules"),
    PlatformCall("GET", f"{_OB}/contactlists/{{contactListId}}", _one(CONTACT_LIST_VIEW), "rules"),
    PlatformCall(
        "GET", _ACTIONS, Permissions(any_of=(ACTION_VIEW, "bridge:actions:view")), "rules"
    ),
    PlatformCall(
        "GET",
        f"{_ACTIONS}/{{actionId}}",
        Permissions(any_of=(ACTION_VIEW, "bridge:actions:view")),
        "rules",
    ),
    PlatformCall("GET", f"{_OB}/rulesets", _one(RULE_SET_VIEW), "rules"),
    PlatformCall("GET", f"{_OB}/rulesets/{{ruleSetId}}", _one(RULE_SET_VIEW), "rules"),
    PlatformCall("PUT", f"{_OB}/rulesets/{{ruleSetId}}", _one(RULE_SET_EDIT), "rules"),
    PlatformCall("POST", f"{_OB}/rulesets", _one(RULE_SET_ADD), "rules"),
    PlatformCall("GET", f"{_OB}/contactlistfilters", _one(FILTER_VIEW), "rules"),
    PlatformCall("GET", f"{_OB}/contactlistfilters/{{filterId}}", _one(FILTER_VIEW), "rules"),
    PlatformCall("PUT", f"{_OB}/contactlistfilters/{{filterId}}", _one(FILTER_EDIT), "rules"),
    PlatformCall("POST", f"{_OB}/contactlistfilters", _one(FILTER_ADD), "rules"),
    PlatformCall("POST", _AUDITS, _one(AUDIT_VIEW), "rules"),
    PlatformCall("GET", f"{_AUDITS}/{{transactionId}}", _one(AUDIT_VIEW), "rules"),
    PlatformCall("GET", f"{_AUDITS}/{{transactionId}}/results", _one(AUDIT_VIEW), "rules"),
)

#: Every flow's rows. Literal paths win over templates (`…/jobs/availability` is not a job id).
PLATFORM_CALLS: tuple[PlatformCall, ...] = (*CONVERSATIONS, *DATATABLES, *PRIVACY, *RULES)


def required_permissions(
    method: str, path: str, calls: tuple[PlatformCall, ...] = PLATFORM_CALLS
) -> Permissions | None:
    """The permissions `method path` needs (path without query), or None when not in the table."""
    path = path.split("?", 1)[0].rstrip("/") or "/"
    for call in sorted(calls, key=lambda c: c.placeholders):
        if call.matches(method, path):
            return call.permissions
    return None


class MissingPermission(ForbiddenError):
    """403 on a platform call: the OAuth client's role lacks `permissions` (None: not in our
    table). Never retried: only an admin changing the role fixes it."""

    permissions: Permissions | None = None


def explain_forbidden(
    error: ForbiddenError, calls: tuple[PlatformCall, ...] = PLATFORM_CALLS
) -> MissingPermission:
    """`error` with a message that names the permission the call needs and where to add it.

    str() reads `GET /api/v2/… -> 403: <server message>. The OAuth client's role needs the
    permission a (or b); add it to a role assigned to the OAuth client in Genesys Cloud Admin >
    OAuth.`"""
    if isinstance(error, MissingPermission):
        return error
    needed = required_permissions(error.method, error.path, calls)
    server = error.message.rstrip().rstrip(".")
    if needed is None:
        advice = (
            "The OAuth client's role lacks a permission this call needs (the call is not in "
            "cx_assets' permission table: see the server's message and the API reference); "
            f"add it to a role assigned to the OAuth client in {ADMIN_HINT}."
        )
    else:
        pronoun = "them" if len(needed.all_of) > 1 else "it"
        advice = (
            f"The OAuth client's role needs {needed.describe()}; add {pronoun} to a role "
            f"assigned to the OAuth client in {ADMIN_HINT}."
        )
    explained = MissingPermission(
        error.status, error.method, error.url, f"{server}. {advice}", code=error.code
    )
    explained.permissions = needed
    return explained


@cache
def _template(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^/{}]+\})", path)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))
