"""Which API a Genesys flow speaks: `platform` (the real Platform API v2) or `tutorial`.

`tutorial` is the first contract (docs/api-contract.md), which only the built-in emulator
serves. A flow whose platform client does not exist yet runs in tutorial mode against the
emulator and refuses, before any request, to run against a real org: a real org has none of the
tutorial paths, and a 404 storm would say nothing useful.
"""

from __future__ import annotations

from typing import Literal, cast

ApiMode = Literal["platform", "tutorial"]
MODES: tuple[ApiMode, ...] = ("platform", "tutorial")
MODE_ENV = "GENESYS_API_MODE"

#: Flows with a platform-mode client. The others run in tutorial mode, against the emulator only.
PLATFORM_FLOWS: frozenset[str] = frozenset({"conversations", "data tables", "privacy", "rules"})
#: Flows that exist only in the tutorial contract, and what a real org has in their place.
TUTORIAL_ONLY: dict[str, str] = {
    "data action rules": "Real Genesys Cloud orgs have no data actions with condition trees; "
    "rules that call data actions are outbound rule sets and contact list filters, which the "
    "outbound_rule_sets and contact_list_filters assets apply in platform mode.",
}


class ModeUnavailable(ValueError):
    """The flow cannot run in this mode against this target; the message says what to do."""


def parse_mode(value: str | None) -> ApiMode:
    """`GENESYS_API_MODE` as given (default platform); anything else is refused by name."""
    mode = (value or "platform").strip().lower()
    if mode not in MODES:
        raise ModeUnavailable(
            f"{MODE_ENV}={value!r}: must be one of {', '.join(MODES)} "
            "(platform = the real Genesys Cloud Platform API v2; tutorial = the first contract, "
            "served only by the built-in emulator)"
        )
    return cast(ApiMode, mode)


def mode_for(configured: str, flow: str, *, is_emulator: bool, target: str) -> ApiMode:
    """The mode `flow` runs in, or `ModeUnavailable` naming the flow, the target and the fix."""
    mode = parse_mode(configured)
    if mode == "tutorial":
        if not is_emulator:
            raise ModeUnavailable(
                f"The {flow} flow is in tutorial mode, which only the built-in emulator serves, "
                f"but the target is {target}. Set {MODE_ENV}=platform for a real org."
            )
        return mode
    if flow in PLATFORM_FLOWS:
        return mode
    if is_emulator:
        return "tutorial"
    if flow in TUTORIAL_ONLY:
        raise ModeUnavailable(
            f"The {flow} flow exists only in the tutorial contract, so it cannot run against "
            f"{target}. {TUTORIAL_ONLY[flow]}"
        )
    raise ModeUnavailable(
        f"The {flow} flow has no platform-mode client yet, so it cannot run against {target}: "
        f"it would call paths a real org does not have. Only these flows speak the real Platform "
        f"API today: {', '.join(sorted(PLATFORM_FLOWS))}."
    )
