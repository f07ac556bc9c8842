"""Contract: the outbound rules pipeline (resolve, validate, apply with the live version, merge
a concurrent edit, drift with the audit API) works against the independent rules server,
written from the contract text by someone who had read neither the client nor the emulator,
with every other reasonable reading it offers on (`Quirks()`) and off (`Quirks.obvious()`).

What a user sees: the repo's rule set and filter live after one apply and nothing written on
the next, a colleague's edit of another part kept, one of ours reported and not overwritten,
a drift naming the person from the audit log, a file that does not fit the org refused before
any write, and a missing permission named.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from cx_assets.defs.rules.outbound_files import OUTBOUND_DIR
from cx_assets.genesys.permissions import MissingPermission
from cx_assets.genesys.rules.model import RulesInvalid
from cx_assets.genesys.rules.outbound_apply import (
    OutboundConflict,
    apply_target,
    drift_of,
    resolve,
)
from cx_assets.genesys.rules.outbound_model import load_doc, parse_doc
from cx_assets.genesys.rules.platform import Kind, OutboundRulesClient, RulesSettings
from cx_assets.http.auth import ClientCredentialsAuth
from cx_assets.http.client import ApiClient
from cx_assets_tests.genesys.genesys_testkit import FAST_RETRY
from cx_assets_tests.independent import genesys_rules_seed as seed
from cx_assets_tests.independent.genesys_platform_server import RunningServer
from cx_assets_tests.independent.genesys_rules_quirks import Quirks
from cx_assets_tests.independent.genesys_rules_server import RulesServer, serve_rules

pytestmark = pytest.mark.integration
FILES: dict[Kind, Any] = {
    "rule_set": OUTBOUND_DIR / "rule_sets" / "spring-renewals.yaml",
    "contact_list_filter": OUTBOUND_DIR
    / "contact_list_filters"
    / "spring-renewals-eu-arrears.yaml",
}
IDS = {"rule_set": seed.RULE_SET, "contact_list_filter": seed.FILTER}
ADMIN = {"rule_set": "ruleset", "contact_list_filter": "contactlistfilter"}
FAST_AUDITS = RulesSettings(audit_poll_initial_s=0.01, audit_poll_max_s=0.05, audit_timeout_s=10)


@pytest.fixture(params=["quirks", "obvious"])
def running(request: pytest.FixtureRequest) -> Iterator[RunningServer]:
    server = RulesServer(Quirks() if request.param == "quirks" else Quirks.obvious())
    server.retry_after_s = 0
    with serve_rules(server) as running:
        yield running


@contextlib.contextmanager
def client_for(running: RunningServer) -> Iterator[OutboundRulesClient]:
    auth = ClientCredentialsAuth(
        f"{running.url}/oauth/token", running.client_id, running.client_secret, retry=FAST_RETRY
    )
    with ApiClient(running.url, auth=auth, retry=FAST_RETRY, timeout=5.0) as api:
        yield OutboundRulesClient(api, FAST_AUDITS)


def target(client: OutboundRulesClient, kind: Kind, document: dict[str, Any] | None = None):
    path = FILES[kind]
    doc = load_doc(kind, path) if document is None else parse_doc(kind, document)
    return resolve(client, kind, doc, str(path))


def repo_document(kind: Kind) -> dict[str, Any]:
    return yaml.safe_load(FILES[kind].read_text(encoding="utf-8"))


@pytest.mark.parametrize("kind", ["rule_set", "contact_list_filter"])
def test_apply_once_then_nothing_to_do_and_no_drift(running: RunningServer, kind: Kind) -> None:
    server: RulesServer = running.server
    with client_for(running) as client:
        resolved = target(client, kind)
        assert resolved.entity_id == IDS[kind]
        first = apply_target(client, resolved)
        assert first.status == "applied"
        assert first.version_after == first.version_before + 1  # type: ignore[operator]
        second = apply_target(client, target(client, kind))
        assert second.status == "unchanged"
        assert not drift_of(client, target(client, kind)).drifted
    assert [p.status for p in server.puts] == [200]


def test_a_concurrent_edit_of_another_part_is_kept(running: RunningServer) -> None:
    server: RulesServer = running.server
    server.edit_before_next_put(
        ADMIN["contact_list_filter"], seed.FILTER, {"/name": "EU arrears (by hand)"}
    )
    with client_for(running) as client:
        outcome = apply_target(client, target(client, "contact_list_filter"))
    assert outcome.status == "applied"
    assert outcome.merged_over == ("name",)
    stored = server.entity(ADMIN["contact_list_filter"], seed.FILTER)
    assert stored["name"] == "EU arrears (by hand)"
    assert len(stored["clauses"]) == 2


def test_a_concurrent_edit_of_our_rule_is_reported_not_overwritten(running: RunningServer) -> None:
    server: RulesServer = running.server
    pointer = "/rules/0/conditions/0/predicates/0/comparisonValue"
    server.edit_before_next_put(
        ADMIN["rule_set"], seed.RULE_SET, {pointer: "false"}, user_name="Dana Okafor"
    )
    with client_for(running) as client:
        resolved = target(client, "rule_set")
        with pytest.raises(OutboundConflict) as raised:
            apply_target(client, resolved)
    assert "changed by Dana Okafor" in str(raised.value)
    assert [c.unit for c in raised.value.conflicts] == ["rule Skip accounts paid this month"]
    stored = server.entity(ADMIN["rule_set"], seed.RULE_SET)
    assert stored["rules"][0]["conditions"][0]["predicates"][0]["comparisonValue"] == "false"
    assert len([p for p in server.puts if p.status == 200]) == 0


def test_drift_names_the_editor_and_clears_after_reapply(running: RunningServer) -> None:
    server: RulesServer = running.server
    with client_for(running) as client:
        apply_target(client, target(client, "contact_list_filter"))
        server.edit(
            ADMIN["contact_list_filter"],
            seed.FILTER,
            {"/clauses/0/predicates/0/value": "UK"},
            user_name="Sam Reyes",
        )
        drift = drift_of(client, target(client, "contact_list_filter"))
        assert drift.drifted and drift.units == ("clause 1",)
        assert drift.last_change is not None and drift.last_change.who == "Sam Reyes"
        assert "last changed by Sam Reyes" in drift.summary()
        apply_target(client, target(client, "contact_list_filter"))
        assert not drift_of(client, target(client, "contact_list_filter")).drifted


def test_a_file_that_does_not_fit_the_org_is_refused_before_any_write(
    running: RunningServer,
) -> None:
    server: RulesServer = running.server
    document = repo_document("rule_set")
    document["rules"][0]["when"][0]["data_action"]["inputs"] = {"accountNumber": "acct_no"}
    with client_for(running) as client, pytest.raises(RulesInvalid) as raised:
        target(client, "rule_set", document)
    assert "column 'acct_no' is not in contact list 'Spring renewals'" in str(raised.value)
    assert server.puts == []


def test_a_missing_permission_is_named(running: RunningServer) -> None:
    server: RulesServer = running.server
    server.lack("outbound:ruleSet:edit")
    with client_for(running) as client, pytest.raises(MissingPermission) as raised:
        apply_target(client, target(client, "rule_set"))
    assert "outbound:ruleSet:edit" in str(raised.value)
