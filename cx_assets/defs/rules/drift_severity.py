"""How loud a drift is: it fails the run, except in a dry run that was asked to show it.

The drift checks are blocking (docs/decisions.md, "A drifted rule fails its run"): a drift run,
an event-triggered drift run or an apply whose result still differs from the repo ends FAILED,
so a drifted rule is red at the run level. A dry run of the same asset exists to show the diff
and writes nothing, so there a drift is reported as a WARN and the run stays green.
"""

from collections.abc import Mapping
from typing import Any

import dagster as dg


def is_dry_run(run_config: Mapping[str, Any], asset_key: dg.AssetKey) -> bool:
    """Whether this run applies `asset_key` with run config `dry_run: true`."""
    ops = run_config.get("ops") or {}
    op_config = ops.get(asset_key.to_python_identifier()) or {}
    return bool((op_config.get("config") or {}).get("dry_run"))


def drift_severity(
    context: dg.AssetCheckExecutionContext, asset_key: dg.AssetKey
) -> dg.AssetCheckSeverity:
    """ERROR (fails the run: the check is blocking) unless the run is a dry run of the asset."""
    if is_dry_run(context.run.run_config, asset_key):
        return dg.AssetCheckSeverity.WARN
    return dg.AssetCheckSeverity.ERROR
