"""The data actions client against the emulator: datasets come with fields and derivedFrom
edges, an action's ETag goes back as If-Match, a stale ETag is a 409 `ConflictError` and the
apply loop re-reads and wins, the seeded cycle is caught by validation before any PUT, and
every PUT the client sends carries If-Match (no 428 ever)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from cx_assets.emulator import EmulatorServer
from cx_assets.genesys.rules import (
    ApplyConflict,
    RulesInvalid,
    apply_rule,
    check_drift,
    ensure_valid,
    from_api,
    parse_rule,
    to_api,
    to_readable,
)
from cx_assets.genesys.rules.tutorial import (
    APPLY_SCOPES,
    WEBHOOK_SCOPES,
    DataActionsClient,
)
from cx_assets.genesys.rules.validation import find_cycle
from cx_assets.http.errors import ConflictError
from cx_assets_tests.genesys.genesys_testkit import FAST_RETRY, resource_for

ACTION = "route-vip"


@contextlib.contextmanager
def client_for(
    emu: EmulatorServer, scopes: tuple[str, ...] = APPLY_SCOPES
) -> Iterator[DataActionsClient]:
    with resource_for(emu).api_client(scopes, flow="data action rules") as api:
        api.retry = FAST_RETRY
        yield DataActionsClient(api)


def test_datasets_have_fields_and_the_seed_holds_a_cycle(emulator: EmulatorServer) -> None:
    with client_for(emulator) as client:
        datasets = client.datasets()
    assert datasets, "the emulator seeds datasets"
    assert all(ds.fields for ds in datasets.values())
    cycles = [c for ds_id in datasets if (c := find_cycle(ds_id, datasets))]
    assert cycles, "the contract says the seed's derivedFrom graph holds a cycle"
    assert all(c[0] == c[-1] and len(c) >= 2 for c in cycles)


def test_stale_etag_is_a_conflict_and_apply_rereads_and_wins(emulator: EmulatorServer) -> None:
    with client_for(emulator) as client:
        live = client.get_action(ACTION)
        assert live.etag == f'"{live.action.version}"'
        conditions = live.action.conditions or {}
        wrapped = {"type": "NOT", "children": [conditions]}
        first = client.put_action(ACTION, wrapped, etag=live.etag)
        assert first.action.version == live.action.version + 1
        with pytest.raises(ConflictError) as raised:
            client.put_action(ACTION, conditions, etag=live.etag)
        assert str(first.action.version) in raised.value.message

        rule = parse_rule({"action_id": ACTION, "conditions": to_readable(from_api(conditions))})
        outcome = apply_rule(client, rule)
        assert outcome.status == "applied"
        assert outcome.version_after == first.action.version + 1
        assert client.get_action(ACTION).action.conditions == to_api(rule.conditions)
        assert outcome.confirmation is not None
        assert outcome.confirmation.version == outcome.version_after
        assert not check_drift(client, rule).drifted
    assert "428" not in emulator.stats()["by_status"]


def test_every_put_meeting_a_concurrent_edit_gives_up_after_the_bound(
    emulator: EmulatorServer,
) -> None:
    emulator.add_faults(
        {
            "kind": "concurrent_edit",
            "count": 5,
            "match": "name",
            "path_prefix": f"/api/v2/dataactions/{ACTION}",
        }
    )
    with client_for(emulator) as client:
        live = client.get_action(ACTION)
        rule = parse_rule(
            {
                "action_id": ACTION,
                "conditions": {"not": to_readable(from_api(live.action.conditions or {}))},
            }
        )
        with pytest.raises(ApplyConflict, match="every one of 2 write") as raised:
            apply_rule(client, rule, max_attempts=2)
    assert not raised.value.overlap
    assert emulator.stats()["by_status"].get("409") == 2


def test_a_concurrent_edit_of_the_conditions_is_reported_not_overwritten(
    emulator: EmulatorServer,
) -> None:
    emulator.add_faults(
        {"kind": "concurrent_edit", "count": 1, "path_prefix": f"/api/v2/dataactions/{ACTION}"}
    )
    with client_for(emulator) as client:
        live = client.get_action(ACTION)
        rule = parse_rule(
            {
                "action_id": ACTION,
                "conditions": {"not": to_readable(from_api(live.action.conditions or {}))},
            },
            source="rules/route-vip.yaml",
        )
        with pytest.raises(ApplyConflict) as raised:
            apply_rule(client, rule)
        theirs = client.get_action(ACTION)
    assert raised.value.overlap
    assert [c.unit for c in raised.value.conflicts] == ["conditions"]
    message = str(raised.value)
    assert f"version {live.action.version}" in message
    assert f"now version {theirs.action.version}" in message
    assert "Nothing was written" in message and "rules/route-vip.yaml" in message
    assert theirs.action.version == live.action.version + 1  # their edit, not ours
    assert theirs.action.conditions != to_api(rule.conditions)
    assert emulator.stats()["by_status"].get("409") == 1


def test_a_concurrent_rename_is_kept_and_our_conditions_applied_on_top(
    emulator: EmulatorServer,
) -> None:
    emulator.add_faults(
        {
            "kind": "concurrent_edit",
            "count": 1,
            "match": "name",
            "path_prefix": f"/api/v2/dataactions/{ACTION}",
        }
    )
    with client_for(emulator) as client:
        live = client.get_action(ACTION)
        rule = parse_rule(
            {
                "action_id": ACTION,
                "name": live.action.name,
                "conditions": {"not": to_readable(from_api(live.action.conditions or {}))},
            }
        )
        outcome = apply_rule(client, rule)
        after = client.get_action(ACTION).action
    assert (outcome.status, outcome.conflicts, outcome.kept) == ("applied", 1, ("name",))
    assert after.conditions == to_api(rule.conditions)
    assert after.name == f"{live.action.name} (edited)"
    assert after.version == live.action.version + 2


def test_a_rule_on_the_seeded_cycle_is_refused_before_any_put(emulator: EmulatorServer) -> None:
    with client_for(emulator) as client:
        datasets = client.datasets()
        [cycle, *_] = [c for ds_id in datasets if (c := find_cycle(ds_id, datasets))]
        dataset = datasets[cycle[0]]
        field = next(f for f in dataset.fields if f.type == "string")
        rule = parse_rule(
            {
                "action_id": ACTION,
                "conditions": {"field": f"{dataset.id}.{field.id}", "op": "equals", "value": "x"},
            },
            source="rules/route-vip.yaml",
        )
        with pytest.raises(RulesInvalid) as raised:
            ensure_valid([rule], datasets)
    assert "[dataset_cycle]" in str(raised.value)
    assert " -> ".join(cycle) in str(raised.value)


def test_webhook_registration_returns_an_id(emulator: EmulatorServer) -> None:
    with client_for(emulator, WEBHOOK_SCOPES) as client:
        webhook = client.register_webhook("drift", "http://127.0.0.1:9/hook")
    assert webhook.id
    assert webhook.secret is None or webhook.secret not in repr(webhook)
