"""Contract: the tutorial data action rules client (validate against datasets, apply with
If-Match, the conflict rule, drift with the audit query) against the independent tutorial data
actions server, written from the contract and the tutorial by someone who had read neither the
client nor the emulator, with its other readings on (`Quirks()`) and off (`Quirks.obvious()`).

What a user sees: the repo's rule live after one apply and nothing written on the next, a
concurrent rename kept while a concurrent edit of the conditions is reported and not
overwritten, and a drift naming who made it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from cx_assets.defs.rules.rule_files import RULES_DIR
from cx_assets.genesys.rules import (
    ApplyConflict,
    apply_rule,
    check_drift,
    ensure_valid,
    load_rule,
    to_api,
)
from cx_assets.genesys.rules.tutorial import APPLY_SCOPES, DataActionsClient
from cx_assets.http.auth import ClientCredentialsAuth
from cx_assets.http.client import ApiClient
from cx_assets_tests.genesys.genesys_testkit import FAST_RETRY
from cx_assets_tests.independent.tutorial_data_actions_quirks import Quirks
from cx_assets_tests.independent.tutorial_data_actions_server import (
    DataActionsServer,
    RunningDataActions,
    serve_data_actions,
)

pytestmark = pytest.mark.integration
ACTION = "route-vip"  # the repo's rule differs from the seed


@pytest.fixture(params=["quirks", "obvious"])
def running(request: pytest.FixtureRequest) -> Iterator[RunningDataActions]:
    server = DataActionsServer(Quirks() if request.param == "quirks" else Quirks.obvious())
    with serve_data_actions(server) as running:
        yield running


@contextlib.contextmanager
def client_for(running: RunningDataActions) -> Iterator[DataActionsClient]:
    auth = ClientCredentialsAuth(
        f"{running.url}/oauth/token",
        running.client_id,
        running.client_secret,
        scopes=APPLY_SCOPES,
        retry=FAST_RETRY,
    )
    with ApiClient(running.url, auth=auth, retry=FAST_RETRY, timeout=5.0) as api:
        yield DataActionsClient(api)


def test_validate_apply_once_and_no_drift(running: RunningDataActions) -> None:
    rule = load_rule(RULES_DIR / f"{ACTION}.yaml")
    with client_for(running) as client:
        ensure_valid([rule], client.datasets())
        first = apply_rule(client, rule)
        assert first.status == "applied"
        assert first.version_after == first.version_before + 1
        assert apply_rule(client, rule).status == "unchanged"
        assert not check_drift(client, rule).drifted
    assert [p.status for p in running.server.puts] == [200]


def test_a_concurrent_rename_is_kept(running: RunningDataActions) -> None:
    rule = load_rule(RULES_DIR / f"{ACTION}.yaml")
    running.server.edit_before_next_put(ACTION, rename=True)
    with client_for(running) as client:
        outcome = apply_rule(client, rule)
        after = client.get_action(ACTION).action
    assert outcome.status == "applied" and outcome.kept == ("name",)
    assert after.conditions is not None
    assert to_api(rule.conditions) == to_api(load_rule(RULES_DIR / f"{ACTION}.yaml").conditions)


def test_a_concurrent_edit_of_the_conditions_is_reported(running: RunningDataActions) -> None:
    rule = load_rule(RULES_DIR / f"{ACTION}.yaml")
    running.server.edit_before_next_put(ACTION)
    with client_for(running) as client, pytest.raises(ApplyConflict) as raised:
        apply_rule(client, rule)
    assert raised.value.overlap
    assert [p.status for p in running.server.puts] == [409]


def test_drift_names_who_made_it(running: RunningDataActions) -> None:
    rule = load_rule(RULES_DIR / f"{ACTION}.yaml")
    with client_for(running) as client:
        apply_rule(client, rule)
        running.server.edit(ACTION, actor="sam-reyes")
        report = check_drift(client, rule)
    assert report.drifted
    assert report.last_change is not None and report.last_change.actor_id == "sam-reyes"
