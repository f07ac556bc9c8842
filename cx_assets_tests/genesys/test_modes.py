"""Contract: the API mode each flow runs in, and a clear refusal (naming the flow, the target and
the fix) wherever a flow would call paths its target does not serve."""

from __future__ import annotations

import pytest

from cx_assets.genesys.modes import ModeUnavailable, mode_for, parse_mode

REAL = "Genesys Cloud API https://api.mypurecloud.ie — a real Genesys org"
EMULATOR = "Genesys Cloud API http://127.0.0.1:8765 — the built-in EMULATOR"


def test_platform_is_the_default_and_modes_are_case_insensitive() -> None:
    assert parse_mode(None) == "platform"
    assert parse_mode("") == "platform"
    assert parse_mode(" Tutorial ") == "tutorial"


def test_an_unknown_mode_is_refused_by_name() -> None:
    with pytest.raises(ModeUnavailable, match=r"GENESYS_API_MODE='real'.*platform, tutorial"):
        parse_mode("real")


@pytest.mark.parametrize("flow", ["conversations", "data tables", "privacy", "rules"])
def test_flows_with_a_platform_client_speak_it_to_a_real_org_and_the_emulator(flow: str) -> None:
    assert mode_for("platform", flow, is_emulator=False, target=REAL) == "platform"
    assert mode_for("platform", flow, is_emulator=True, target=EMULATOR) == "platform"


def test_a_flow_without_a_platform_client_uses_tutorial_mode_on_the_emulator_only() -> None:
    assert mode_for("platform", "reports", is_emulator=True, target=EMULATOR) == "tutorial"
    with pytest.raises(ModeUnavailable) as refused:
        mode_for("platform", "reports", is_emulator=False, target=REAL)
    message = str(refused.value)
    assert "reports flow has no platform-mode client" in message
    assert "api.mypurecloud.ie" in message
    assert "conversations, data tables, privacy, rules" in message


def test_tutorial_data_action_rules_name_their_platform_counterpart_to_a_real_org() -> None:
    flow = "data action rules"
    assert mode_for("platform", flow, is_emulator=True, target=EMULATOR) == "tutorial"
    with pytest.raises(ModeUnavailable) as refused:
        mode_for("platform", flow, is_emulator=False, target=REAL)
    message = str(refused.value)
    assert "exists only in the tutorial contract" in message
    assert "outbound_rule_sets and contact_list_filters" in message


def test_tutorial_mode_against_a_real_org_is_refused_with_the_fix() -> None:
    assert mode_for("tutorial", "conversations", is_emulator=True, target=EMULATOR) == "tutorial"
    with pytest.raises(
        ModeUnavailable, match=r"only the built-in emulator.*GENESYS_API_MODE=platform"
    ):
        mode_for("tutorial", "conversations", is_emulator=False, target=REAL)
