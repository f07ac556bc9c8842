"""`cx-assets demo`: outbound rule sets and contact list filters in platform mode.

The repo's sample rule set and filter are applied (a dry run first), a colleague then edits the
rule set in the admin UI and the drift check names them from the audit API; finally a re-apply
meets a second colleague edit of the very rule it changes, between its read and its write, and
reports the conflict instead of overwriting it. Runs through the Dagster instance in
`env["DAGSTER_HOME"]`; the emulator's admin API (`/admin/outbound/edit`, `concurrent_edit`)
stands in for the admin UI.
"""

from __future__ import annotations

from typing import Any

import dagster as dg
import httpx

from cx_assets.defs import rules
from cx_assets.defs.rules.checks import LIVE_MATCHES_REPO
from cx_assets.defs.rules.outbound_files import OutboundFile, outbound_files
from cx_assets.demo import QUIET, demo_instance, demo_resources, print_table, run_line
from cx_assets.demo_rules import diff_text, indent, meta

#: The emulator's seeded rule set (docs/api-contract.md "Emulator behaviour … platform rules").
RULE_SET_ID = "a1e50001-0000-4000-8000-000000000001"
EDITOR = {"id": "5e0c0001-0000-4000-8000-000000000001", "name": "Dana Okafor"}
#: The callback rule of the sample file (rules[1]), which the colleagues edit.
CALLBACK_OFFSET = "/rules/1/actions/0/properties/callbackOffset"

#: The conflict run fails on purpose; its message is printed once, below, not as a stack trace.
SILENT = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
RULES_AUDIT_SQL = """
    SELECT * FROM (
        SELECT seq, strftime(ts, '%Y-%m-%d %H:%M:%S') AS time, action, entity,
               json_extract_string(details, '$.name') AS name,
               json_extract(details, '$.version_before') AS version_before,
               json_extract(details, '$.version_after') AS version_after,
               json_extract_string(details, '$.units') AS units
        FROM audit_log WHERE flow = 'rules' ORDER BY seq DESC LIMIT 6
    ) ORDER BY seq"""


def _defs(resources: dict[str, Any]) -> dg.Definitions:
    return dg.Definitions(
        assets=rules.ASSETS, asset_checks=rules.ASSET_CHECKS, jobs=rules.JOBS, resources=resources
    )


def _dry_run_config(files: list[OutboundFile]) -> dict[str, Any]:
    ops = {"__".join(f.key.path).replace("-", "_"): {"config": {"dry_run": True}} for f in files}
    return {**QUIET, "ops": ops}


def _print_applies(result: dg.ExecuteInProcessResult) -> None:
    for event in result.get_asset_materialization_events():
        metadata = event.materialization.metadata
        status = meta(metadata, "status")
        before, after = meta(metadata, "version_before"), meta(metadata, "version")
        print(
            f"  {event.asset_key.to_user_string():<50} {status:<9} version {before} -> {after}"
            f"  (changes: {meta(metadata, 'changed_units')})"
        )
        if status in ("dry_run", "would_create"):
            print(indent(diff_text(metadata)))


def _print_drift(result: dg.ExecuteInProcessResult) -> list[str]:
    """The drifted assets, each printed with who changed it, when, and the diff."""
    drifted: list[str] = []
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.check_name != LIVE_MATCHES_REPO or evaluation.passed:
            continue
        metadata = dict(evaluation.metadata)
        name = evaluation.asset_key.to_user_string()
        drifted.append(str(meta(metadata, "changed_by")))
        print(
            f"  drift on {name}: {meta(metadata, 'differing_units')} changed by "
            f"{meta(metadata, 'changed_by')} at {meta(metadata, 'changed_at')} "
            f"(live version {meta(metadata, 'live_version')})"
        )
        print(indent(diff_text(metadata)))
    return drifted


def _admin_edit(emulator_url: str, value: str) -> None:
    body = {
        "entity": "ruleset",
        "id": RULE_SET_ID,
        "set": {CALLBACK_OFFSET: value},
        "user": EDITOR,
    }
    httpx.post(f"{emulator_url}/admin/outbound/edit", json=body, timeout=10).raise_for_status()


def _arm_concurrent_edit(emulator_url: str, value: str) -> None:
    fault = {
        "kind": "concurrent_edit",
        "count": 1,
        "path_prefix": f"/api/v2/outbound/rulesets/{RULE_SET_ID}",
        "match": f'{CALLBACK_OFFSET}="{value}"',
    }
    httpx.post(
        f"{emulator_url}/admin/faults", json={"faults": [fault]}, timeout=10
    ).raise_for_status()


def _failure_message(result: dg.ExecuteInProcessResult) -> str:
    """Each failed step's `dg.Failure` description (else its error message)."""
    messages = []
    for event in result.get_step_failure_events():
        data = event.step_failure_data
        user = data.user_failure_data
        if user is not None and user.description:
            messages.append(user.description)
        elif data.error is not None:
            messages.append(data.error.message)
    return "\n".join(messages)


def demo_outbound(env: dict[str, str], emulator_url: str) -> int:
    """0 when the dry run wrote nothing, the apply landed, the drift named the colleague and the
    overlapping concurrent edit was reported (not overwritten); 1 otherwise."""
    resources = demo_resources(env, emulator_url, api_mode="platform")
    defs = _defs(resources)
    files = outbound_files()
    ok = True
    with demo_instance(env) as instance:
        print(
            f"\nOutbound rules (platform mode): {len(files)} files in the repo, "
            f"{resources['genesys'].describe_target('rules')}"
        )
        apply_job = defs.resolve_job_def("outbound_rules_apply_job")
        dry = apply_job.execute_in_process(
            instance=instance, run_config=_dry_run_config(files), raise_on_error=False
        )
        print(f"  dry run — {run_line(dry)}: the diff, nothing written")
        _print_applies(dry)
        applied = apply_job.execute_in_process(
            instance=instance, run_config=QUIET, raise_on_error=False
        )
        checks = applied.get_asset_check_evaluations()
        passed = sum(1 for c in checks if c.passed)
        print(
            f"  apply — {run_line(applied)}; drift checks right after: "
            f"{passed} of {len(checks)} pass"
        )
        _print_applies(applied)
        ok &= dry.success and applied.success and passed == len(checks) > 0

        print(f"\nOut-of-band edit: {EDITOR['name']} changes the callback offset in the admin UI")
        _admin_edit(emulator_url, "45")
        drift = defs.resolve_job_def("outbound_rules_drift_job").execute_in_process(
            instance=instance, run_config=QUIET, raise_on_error=False
        )
        print(
            f"  drift check (outbound_rules_drift_job) — {run_line(drift)} (expected: a drifted "
            "rule set fails the drift run)"
        )
        ok &= not drift.success and _print_drift(drift) == [EDITOR["name"]]

        print(
            "\nConflict: re-applying the repo while a colleague edits the same rule between our "
            "read and our write"
        )
        _arm_concurrent_edit(emulator_url, "60")
        conflict = apply_job.execute_in_process(
            instance=instance, run_config=SILENT, raise_on_error=False
        )
        message = _failure_message(conflict)
        print(f"  {run_line(conflict)} (expected: the conflict is a person's decision)")
        print(indent(message))
        ok &= not conflict.success and "Nothing was written" in message
    print_table(
        "Outbound rules in the catalog's audit log",
        resources["catalog"].layout.catalog_path,
        RULES_AUDIT_SQL,
        [],
    )
    return 0 if ok else 1
