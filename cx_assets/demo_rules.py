"""`cx-assets demo`: the data action rules, applied from the repo and then caught drifting.

Runs through the Dagster instance in `env["DAGSTER_HOME"]` the way the daemon and the UI would:
jobs executed in-process against that instance. What is printed is what a user should look at:
the diff and versions of each apply, the drift (and who caused it), and the changes read back
from the catalog's audit log.

Only `cli.py` starts the emulator; this module talks to it over HTTP like any client (the admin
API's `concurrent_edit` switch stands in for a colleague editing in the admin UI).
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

import dagster as dg
import httpx

from cx_assets.defs import rules
from cx_assets.defs.resources import GenesysCloudResource
from cx_assets.defs.rules.checks import LIVE_MATCHES_REPO
from cx_assets.defs.rules.rule_files import rule_files
from cx_assets.demo import QUIET, demo_instance, demo_resources, print_table, run_line
from cx_assets.genesys.rules.tutorial import APPLY_SCOPES, DataActionsClient
from cx_assets.http.errors import ApiError, ConflictError

#: The rule the emulator's seed differs from, and the one the colleague edits afterwards.
DRIFT_ACTION = "route-vip"
#: Who the emulator says made a `concurrent_edit` ("someone else").
EMULATOR_OTHER_EDITOR = "other-admin"

DATA_ACTION_AUDIT_SQL = """
    SELECT * FROM (
        SELECT seq, strftime(ts, '%Y-%m-%d %H:%M:%S') AS time, action, entity, actor,
               json_extract(details, '$.version_before') AS version_before,
               json_extract(details, '$.version_after') AS version_after,
               json_extract(details, '$.conflicts') AS conflicts
        FROM audit_log WHERE flow = 'data_actions' ORDER BY seq DESC LIMIT 8
    ) ORDER BY seq"""


def indent(text: str, prefix: str = "      ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def meta(metadata: dict[str, Any], name: str, default: Any = None) -> Any:
    value = metadata.get(name)
    return default if value is None else getattr(value, "value", value)


def diff_text(metadata: dict[str, Any]) -> str:
    """The diff as plain text (metadata holds it as a fenced markdown block)."""
    text = str(meta(metadata, "diff", ""))
    return text.removeprefix("```diff\n").removesuffix("\n```")


def _data_action_defs(resources: dict[str, Any]) -> dg.Definitions:
    return dg.Definitions(
        assets=rules.ASSETS,
        asset_checks=rules.ASSET_CHECKS,
        jobs=rules.JOBS,
        resources=resources,
    )


def _print_apply(result: dg.ExecuteInProcessResult) -> None:
    for event in result.get_asset_materialization_events():
        metadata = event.materialization.metadata
        action = event.asset_key.path[-1]
        before, after = meta(metadata, "version_before"), meta(metadata, "version")
        status = meta(metadata, "status")
        if status != "applied":
            print(f"  {action:<22} {status:<10} version {after}")
            continue
        print(
            f"  {action:<22} {status:<10} version {before} -> {after}  "
            f"({meta(metadata, 'put_attempts', 0)} PUT with If-Match, "
            f"{meta(metadata, 'conflicts_409', 0)} conflict(s); vendor audit confirms "
            f"{meta(metadata, 'confirmed_by')})"
        )
        print(indent(diff_text(metadata)))


def _colleague_edits(emulator_url: str, genesys: GenesysCloudResource, action_id: str) -> int:
    """Someone else changes `action_id` out of band; the version now live.

    The emulator's `concurrent_edit` switch makes `other-admin` edit the action when the next
    PUT arrives. That PUT (ours, re-sending the live tree unchanged) is then refused 409 and
    changes nothing: the only write is the colleague's, as it would be from the admin UI.
    """
    faults = {
        "kind": "concurrent_edit",
        "count": 1,
        "path_prefix": f"/api/v2/dataactions/{action_id}",
    }
    httpx.post(
        f"{emulator_url}/admin/faults", json={"faults": [faults]}, timeout=10
    ).raise_for_status()
    with genesys.api_client(APPLY_SCOPES, flow="data action rules") as api:
        client = DataActionsClient(api)
        live = client.get_action(action_id)
        with suppress(ConflictError):  # expected: the colleague's edit landed first
            client.put_action(action_id, live.action.conditions or {}, etag=live.etag)
        return client.get_action(action_id).action.version


def _drift_outcome(result: dg.ExecuteInProcessResult) -> tuple[list[str], list[str]]:
    """(drifted actions, actions that match the repo), each drift printed with its diff."""
    drifted, clean = [], []
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.check_name != LIVE_MATCHES_REPO:
            continue
        action = evaluation.asset_key.path[-1]
        metadata = dict(evaluation.metadata)
        if evaluation.passed:
            clean.append(action)
            continue
        drifted.append(action)
        print(
            f"  drift detected on {action}, changed by {meta(metadata, 'changed_by')} "
            f"at {meta(metadata, 'changed_at')} (live version {meta(metadata, 'live_version')})"
        )
        print(indent(diff_text(metadata)))
    print(f"  matching the repo: {', '.join(sorted(clean)) or 'none'}")
    return drifted, clean


def demo_data_actions(env: dict[str, str], emulator_url: str) -> int:
    """Apply the repo's rules, let a colleague edit one out of band, show the drift check fail.

    0 when the apply succeeded with every check passing and the drift run then names exactly
    the edited action; 1 otherwise.
    """
    resources = demo_resources(env, emulator_url)
    defs = _data_action_defs(resources)
    catalog_path = resources["catalog"].layout.catalog_path
    ok = True
    with demo_instance(env) as instance:
        print(
            f"\nData action rules (tutorial mode): apply the repo's {len(rule_files())} rule "
            "files\n"
            "  data_action_apply_job: validate, diff, PUT with If-Match, then check for drift"
        )
        applied = defs.resolve_job_def("data_action_apply_job").execute_in_process(
            instance=instance, run_config=QUIET, raise_on_error=False
        )
        print(f"  {run_line(applied)}")
        _print_apply(applied)
        checks = applied.get_asset_check_evaluations()
        passed = sum(1 for c in checks if c.passed)
        print(f"  drift checks right after the apply: {passed} of {len(checks)} pass")
        ok &= applied.success and passed == len(checks) > 0

        print(
            f"\nOut-of-band edit: someone changes {DRIFT_ACTION} in the admin UI "
            "(the emulator's concurrent_edit switch)"
        )
        try:
            version = _colleague_edits(emulator_url, resources["genesys"], DRIFT_ACTION)
            print(f"  {DRIFT_ACTION} is now at version {version}")
        except (ApiError, httpx.HTTPError) as exc:
            print(f"  the out-of-band edit failed: {exc}")
            return 1

        print("\nDrift check (data_action_drift_job: compares live with the repo, writes nothing)")
        drift = defs.resolve_job_def("data_action_drift_job").execute_in_process(
            instance=instance, run_config=QUIET, raise_on_error=False
        )
        print(f"  {run_line(drift)} (expected: a drifted rule fails the drift run)")
        drifted, _ = _drift_outcome(drift)
        ok &= not drift.success and drifted == [DRIFT_ACTION]
    print_table(
        "Data action changes in the catalog's audit log", catalog_path, DATA_ACTION_AUDIT_SQL, []
    )
    return 0 if ok else 1
