"""Which API the CXone flow speaks: `platform` (the real CXone APIs) or `tutorial`.

`tutorial` is the first contract's analytics data-export API, which no CXone tenant serves:
only the built-in emulator does, so tutorial mode against any other host is refused before a
request is sent.
"""

from __future__ import annotations

from typing import Literal, cast

CxoneApiMode = Literal["platform", "tutorial"]
MODES: tuple[CxoneApiMode, ...] = ("platform", "tutorial")
MODE_ENV = "CXONE_API_MODE"


class CxoneModeUnavailable(ValueError):
    """The mode cannot run against this target; the message says what to do."""


def parse_cxone_mode(value: str | None) -> CxoneApiMode:
    """`CXONE_API_MODE` as given (default platform); anything else is refused by name."""
    mode = (value or "platform").strip().lower()
    if mode not in MODES:
        raise CxoneModeUnavailable(
            f"{MODE_ENV}={value!r}: must be one of {', '.join(MODES)} (platform = the real NICE "
            "CXone APIs; tutorial = the first contract, served only by the built-in emulator)"
        )
    return cast(CxoneApiMode, mode)


def check_cxone_mode(configured: str, *, is_emulator: bool, target: str) -> CxoneApiMode:
    """The mode, or `CxoneModeUnavailable` when tutorial mode points at a real host."""
    mode = parse_cxone_mode(configured)
    if mode == "tutorial" and not is_emulator:
        raise CxoneModeUnavailable(
            f"The CXone flow is in tutorial mode, which only the built-in emulator serves, but "
            f"the target is {target}. Set {MODE_ENV}=platform for a real tenant."
        )
    return mode
