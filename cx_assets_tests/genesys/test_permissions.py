"""Contract: a 403 on a platform call becomes an error that names the permission the OAuth
client's role lacks (from our own table, whatever the server's body says) and where to add it.

Genesys authorises client-credentials tokens by role permissions, not scopes (VENDOR_APIS.md §1);
the table follows PY AnalyticsApi.md ("Requires ANY permissions").
"""

from __future__ import annotations

import pickle

import pytest

from cx_assets.genesys.permissions import (
    CONVERSATIONS,
    PLATFORM_CALLS,
    MissingPermission,
    Permissions,
    PlatformCall,
    explain_forbidden,
    required_permissions,
)
from cx_assets.http.errors import ForbiddenError

BASE = "https://api.mypurecloud.ie"
JOBS = "/api/v2/analytics/conversations/details/jobs"
SERVER_403 = (
    "Unable to perform the requested action. You are missing the following permission(s): "
    "[analytics:conversationDetail:view]"
)
ADVICE = (
    "The OAuth client's role needs the permission analytics:conversationDetail:view (or "
    "analytics:agentConversationDetail:view); add it to a role assigned to the OAuth client in "
    "Genesys Cloud Admin > OAuth."
)


def forbidden(method: str, path: str, message: str = SERVER_403) -> ForbiddenError:
    return ForbiddenError(403, method, f"{BASE}{path}?cursor=secret", message, code="x")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", JOBS),
        ("GET", f"{JOBS}/job-1"),
        ("GET", f"{JOBS}/job-1/results"),
        ("DELETE", f"{JOBS}/job-1"),
    ],
)
def test_every_job_call_names_both_detail_permissions(method: str, path: str) -> None:
    error = explain_forbidden(forbidden(method, path))
    assert isinstance(error, MissingPermission)
    assert isinstance(error, ForbiddenError)  # still a 403 for callers that catch those
    assert str(error) == f"{method} {path} -> 403: {SERVER_403}. {ADVICE}"
    assert error.permissions == Permissions(
        any_of=("analytics:conversationDetail:view", "analytics:agentConversationDetail:view")
    )
    assert not error.transient  # a retry cannot fix a role
    assert "secret" not in str(error)


def test_availability_is_a_literal_path_not_a_job_id() -> None:
    """`…/jobs/availability` also matches `…/jobs/{jobId}`; the literal row must win, and it
    needs only the first permission."""
    error = explain_forbidden(forbidden("GET", f"{JOBS}/availability", "Forbidden."))
    assert str(error) == (
        f"GET {JOBS}/availability -> 403: Forbidden. The OAuth client's role needs the permission "
        "analytics:conversationDetail:view; add it to a role assigned to the OAuth client in "
        "Genesys Cloud Admin > OAuth."
    )


def test_the_table_answers_whatever_the_server_body_says() -> None:
    error = explain_forbidden(forbidden("GET", f"{JOBS}/abc/results", "denied"))
    assert "analytics:agentConversationDetail:view" in str(error)
    assert str(error).startswith(f"GET {JOBS}/abc/results -> 403: denied. ")


def test_a_call_missing_from_the_table_still_says_what_to_do() -> None:
    error = explain_forbidden(forbidden("GET", "/api/v2/users/me", "nope"))
    assert error.permissions is None
    assert str(error).startswith("GET /api/v2/users/me -> 403: nope. The OAuth client's role lacks")
    assert "Genesys Cloud Admin > OAuth" in str(error)


def test_wrong_method_or_deeper_path_does_not_match() -> None:
    assert required_permissions("PUT", f"{JOBS}/x") is None
    assert required_permissions("GET", f"{JOBS}/x/results/more") is None
    assert required_permissions("get", f"{JOBS}/x/results?cursor=c") is not None


def test_all_of_rows_read_as_a_list_for_later_flows() -> None:
    """Data tables need two permissions together (VENDOR_APIS.md §3): the table can say so."""
    rows = (
        PlatformCall(
            "GET",
            "/api/v2/flows/datatables/{id}/rows",
            Permissions(all_of=("architect:datatable:view", "architect:datatableRow:view")),
            "datatables",
        ),
    )
    error = explain_forbidden(forbidden("GET", "/api/v2/flows/datatables/t1/rows"), rows)
    assert error.message.endswith(
        "needs the permissions architect:datatable:view and architect:datatableRow:view; add "
        "them to a role assigned to the OAuth client in Genesys Cloud Admin > OAuth."
    )


def test_permissions_need_exactly_one_kind() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Permissions()
    with pytest.raises(ValueError, match="exactly one"):
        Permissions(any_of=("a",), all_of=("b",))


def test_conversation_rows_are_in_the_platform_table() -> None:
    assert set(CONVERSATIONS) <= set(PLATFORM_CALLS)
    assert {c.flow for c in CONVERSATIONS} == {"conversations"}


def test_explained_error_survives_pickling_and_is_not_explained_twice() -> None:
    error = explain_forbidden(forbidden("POST", JOBS))
    assert explain_forbidden(error) is error
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == str(error)
    assert copy.permissions == error.permissions
