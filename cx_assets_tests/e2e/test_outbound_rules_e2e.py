"""Outbound rule sets and contact list filters through Dagster in platform mode, against the
emulator: apply with the live version (and a second run changes nothing), a dry run writes
nothing, a concurrent edit of another part is kept while one of ours is reported and never
overwritten (409 and the 400 "does not match the current version"), a file that does not fit
the contact list or the data action contract is refused before any write, an out-of-band edit
fails the drift check naming the editor from the audit API until the file is applied again. The
drift checks are blocking: a drift fails `outbound_rules_drift_job`'s run (and an apply whose
result still differs from the file), a clean repo passes it, and a dry run only warns."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pytest
import yaml

from cx_assets import settings
from cx_assets.defs.rules.checks import LIVE_MATCHES_REPO
from cx_assets.defs.rules.outbound_assets import build_outbound_asset, outbound_assets
from cx_assets.defs.rules.outbound_checks import build_outbound_drift_check, outbound_drift_checks
from cx_assets.defs.rules.outbound_files import OUTBOUND_DIR, OutboundFile
from cx_assets.defs.rules.schedules import outbound_drift_job
from cx_assets_tests.e2e.pipeline_testkit import Pipeline, running_pipeline

RULE_SET_ID = "a1e50001-0000-4000-8000-000000000001"
FILTER_ID = "f1170001-0000-4000-8000-000000000001"
RULE_SET_FILE = OutboundFile("rule_set", OUTBOUND_DIR / "rule_sets" / "spring-renewals.yaml")
FILTER_FILE = OutboundFile(
    "contact_list_filter", OUTBOUND_DIR / "contact_list_filters" / "spring-renewals-eu-arrears.yaml"
)
PATHS = {
    "rule_set": "/api/v2/outbound/rulesets",
    "contact_list_filter": "/api/v2/outbound/contactlistfilters",
}
IDS = {"rule_set": RULE_SET_ID, "contact_list_filter": FILTER_ID}
ADMIN_ENTITY = {"rule_set": "ruleset", "contact_list_filter": "contactlistfilter"}


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Pipeline]:
    with running_pipeline(tmp_path, audit_query_s=0.05) as running:
        yield running


def apply(
    pipeline: Pipeline, file: OutboundFile, *, raise_on_error: bool = True, **config: Any
) -> dg.ExecuteInProcessResult:
    asset = build_outbound_asset(file)
    return dg.materialize(
        [asset, build_outbound_drift_check(file)],
        instance=pipeline.instance,
        resources=pipeline.resources(api_mode="platform"),
        run_config={"ops": {asset.op.name: {"config": config}}} if config else None,
        raise_on_error=raise_on_error,
    )


def drift_only(pipeline: Pipeline, file: OutboundFile) -> dg.AssetCheckEvaluation:
    """The drift check alone; its run fails exactly when the check fails (it is blocking)."""
    asset = build_outbound_asset(file)
    result = dg.materialize(
        [asset, build_outbound_drift_check(file)],
        selection=dg.AssetSelection.checks_for_assets(asset),
        instance=pipeline.instance,
        resources=pipeline.resources(api_mode="platform"),
        raise_on_error=False,
    )
    evaluation = check_of(result)
    assert result.success == evaluation.passed
    return evaluation


def drift_job(pipeline: Pipeline) -> dg.ExecuteInProcessResult:
    """`outbound_rules_drift_job` as the hourly schedule runs it, over every file in the repo."""
    defs = dg.Definitions(
        assets=outbound_assets(),
        asset_checks=outbound_drift_checks(),
        jobs=[outbound_drift_job],
        resources=pipeline.resources(api_mode="platform"),
    )
    job = defs.resolve_job_def(outbound_drift_job.name)
    return job.execute_in_process(instance=pipeline.instance, raise_on_error=False)


def metadata_of(result: dg.ExecuteInProcessResult) -> dict[str, Any]:
    [event] = result.get_asset_materialization_events()
    return {k: getattr(v, "value", v) for k, v in event.materialization.metadata.items()}


def check_of(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    [evaluation] = [
        e for e in result.get_asset_check_evaluations() if e.check_name == LIVE_MATCHES_REPO
    ]
    return evaluation


def failure_of(result: dg.ExecuteInProcessResult) -> str:
    assert not result.success
    [failure] = result.get_step_failure_events()
    error = failure.step_failure_data.error
    return error.message if error else ""


def live(pipeline: Pipeline, kind: str) -> dict[str, Any]:
    response = httpx.get(
        f"{pipeline.emulator.url}{PATHS[kind]}/{IDS[kind]}",
        headers={"Authorization": f"Bearer {pipeline.token()}"},
    )
    response.raise_for_status()
    return response.json()


def admin_edit(
    pipeline: Pipeline, kind: str, changes: dict[str, Any], user: str = "Dana Okafor"
) -> None:
    response = httpx.post(
        f"{pipeline.emulator.url}/admin/outbound/edit",
        json={
            "entity": ADMIN_ENTITY[kind],
            "id": IDS[kind],
            "set": changes,
            "user": {"id": "u-dana", "name": user},
        },
    )
    response.raise_for_status()


def audit_rows(pipeline: Pipeline) -> list[tuple[Any, ...]]:
    return pipeline.sql(
        "SELECT action, entity, actor, details FROM audit_log WHERE flow = 'rules' ORDER BY seq"
    )


def puts(pipeline: Pipeline) -> list[dict[str, Any]]:
    return list(pipeline.emulator.stats().get("outbound_puts", []))


@pytest.mark.parametrize("file", [RULE_SET_FILE, FILTER_FILE], ids=["rule_set", "filter"])
def test_apply_writes_the_repo_with_the_live_version_once_and_audits_it(
    platform: Pipeline, file: OutboundFile
) -> None:
    before = live(platform, file.kind)
    first = apply(platform, file)
    metadata = metadata_of(first)
    assert metadata["status"] == "applied"
    assert metadata["version_before"] == before["version"]
    assert metadata["version"] == before["version"] + 1 == live(platform, file.kind)["version"]
    assert "+++ repo" in metadata["diff"] and metadata["changed_units"] != "none"
    assert "in platform mode" in metadata["target"]
    assert check_of(first).passed
    [(action, entity, actor, details)] = audit_rows(platform)
    assert (action, entity, actor) == ("apply", f"{file.kind}:{IDS[file.kind]}", "cx-assets")
    assert json.loads(details)["version_after"] == before["version"] + 1

    second = apply(platform, file)
    assert metadata_of(second)["status"] == "unchanged"
    assert live(platform, file.kind)["version"] == before["version"] + 1
    assert len(audit_rows(platform)) == 1
    assert [p["status"] for p in puts(platform)] == [200]


def test_a_rule_set_write_keeps_members_the_repo_does_not_manage(platform: Pipeline) -> None:
    apply(platform, RULE_SET_FILE)
    after = live(platform, "rule_set")
    [skip] = [r for r in after["rules"] if r["name"] == "Skip accounts paid this month"]
    assert skip["conditions"][0]["dataAction"]["id"] == "da000001-0000-4000-8000-000000000001"
    assert [p["comparisonValue"] for p in skip["conditions"][0]["predicates"]] == ["true", "0"]
    assert after["contactList"]["id"] == "c0a80001-0000-4000-8000-000000000001"


def test_dry_run_shows_the_diff_and_writes_nothing(platform: Pipeline) -> None:
    before = live(platform, "rule_set")
    result = apply(platform, RULE_SET_FILE, dry_run=True)
    metadata = metadata_of(result)
    assert metadata["status"] == "dry_run" and metadata["dry_run"] is True
    assert "Call back busy lines in ten minutes" in metadata["diff"]
    assert live(platform, "rule_set") == before
    assert puts(platform) == [] and audit_rows(platform) == []
    drift = check_of(result)
    assert not drift.passed  # live still differs, and says so
    assert drift.severity == dg.AssetCheckSeverity.WARN and result.success  # asked to show it


def test_a_concurrent_edit_of_another_part_is_kept_and_ours_applied_on_top(
    platform: Pipeline,
) -> None:
    before = live(platform, "contact_list_filter")
    platform.emulator.add_faults(
        {"kind": "concurrent_edit", "path_prefix": f"{PATHS['contact_list_filter']}/{FILTER_ID}"}
    )
    result = apply(platform, FILTER_FILE, raise_on_error=False)
    assert not result.success  # applied, but live still differs from the file: a person decides
    metadata = metadata_of(result)
    assert (metadata["status"], metadata["put_attempts"]) == ("applied", 2)
    assert metadata["kept_concurrent_edit_of"] == "name"
    after = live(platform, "contact_list_filter")
    assert after["name"] == f"{before['name']} (edited)"  # the colleague's rename stands
    assert len(after["clauses"]) == 2  # and our clauses are on top of it
    assert after["version"] == before["version"] + 2
    assert [p["status"] for p in puts(platform)] == [409, 200]
    drift = check_of(result)  # the kept rename is a difference from the repo, and is named
    assert not drift.passed
    assert drift.metadata["differing_units"].value == "name"
    assert drift.metadata["changed_by"].value == "Dana Okafor"


@pytest.mark.parametrize("as_400", [False, True], ids=["409", "400"])
def test_a_concurrent_edit_of_what_we_change_is_reported_not_overwritten(
    platform: Pipeline, as_400: bool
) -> None:
    before = live(platform, "rule_set")
    pointer = "/rules/0/conditions/0/predicates/0/comparisonValue"
    faults: list[dict[str, Any]] = [
        {
            "kind": "concurrent_edit",
            "path_prefix": f"{PATHS['rule_set']}/{RULE_SET_ID}",
            "match": f'{pointer}="false"',
        }
    ]
    if as_400:
        faults.append({"kind": "version_conflict_400"})
    platform.emulator.add_faults(*faults)
    message = failure_of(apply(platform, RULE_SET_FILE, raise_on_error=False))
    assert "changed by Dana Okafor" in message
    assert f"our read (version {before['version']})" in message
    assert f"now version {before['version'] + 1}" in message
    assert "rule Skip accounts paid this month" in message and "Nothing was written" in message
    after = live(platform, "rule_set")
    assert after["version"] == before["version"] + 1
    assert after["rules"][0]["conditions"][0]["predicates"][0]["comparisonValue"] == "false"
    assert [p["status"] for p in puts(platform)] == [400 if as_400 else 409]  # never retried
    [(action, entity, _, details)] = audit_rows(platform)
    assert (action, entity) == ("apply_conflict", f"rule_set:{RULE_SET_ID}")
    assert json.loads(details)["units"] == ["rule Skip accounts paid this month"]


def test_drift_names_the_editor_from_the_audit_api_and_passes_after_reapply(
    platform: Pipeline,
) -> None:
    apply(platform, RULE_SET_FILE)
    assert drift_only(platform, RULE_SET_FILE).passed
    admin_edit(platform, "rule_set", {"/rules/1/actions/0/properties/callbackOffset": "45"})
    drift = drift_only(platform, RULE_SET_FILE)
    assert not drift.passed
    assert drift.metadata["changed_by"].value == "Dana Okafor"
    assert drift.metadata["changed_at"].value != "n/a"
    assert drift.metadata["differing_units"].value == "rule Call back busy lines in ten minutes"
    assert "45" in drift.metadata["diff"].value
    assert "last changed by Dana Okafor" in (drift.description or "")
    reapplied = apply(platform, RULE_SET_FILE)
    assert metadata_of(reapplied)["status"] == "applied"
    assert check_of(reapplied).passed


def test_the_drift_job_passes_on_a_clean_repo_and_fails_on_a_drift(platform: Pipeline) -> None:
    for file in (RULE_SET_FILE, FILTER_FILE):
        apply(platform, file)
    clean = drift_job(platform)
    assert clean.success
    assert [e.passed for e in clean.get_asset_check_evaluations()] == [True, True]
    admin_edit(platform, "contact_list_filter", {"/name": "Renamed by hand"})
    drifted = drift_job(platform)
    assert not drifted.success  # a drifted filter is red at the run level
    failed = [e for e in drifted.get_asset_check_evaluations() if not e.passed]
    assert [e.asset_key for e in failed] == [FILTER_FILE.key]
    assert failed[0].severity == dg.AssetCheckSeverity.ERROR
    assert failed[0].metadata["changed_by"].value == "Dana Okafor"


def _write(tmp_path: Path, kind: str, document: dict[str, Any]) -> OutboundFile:
    folder = tmp_path / "outbound"
    folder.mkdir(exist_ok=True)
    path = folder / "broken.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return OutboundFile(kind, path)  # type: ignore[arg-type]


def test_a_file_that_does_not_fit_the_org_fails_before_any_write(
    platform: Pipeline, tmp_path: Path
) -> None:
    document = yaml.safe_load(RULE_SET_FILE.path.read_text(encoding="utf-8"))
    document["rules"][0]["when"][0]["data_action"]["predicates"][0]["output"] = "paidRecently"
    document["rules"][1]["order"] = 0
    file = _write(tmp_path, "rule_set", document)
    message = failure_of(apply(platform, file, raise_on_error=False))
    assert str(file.path) in message
    assert "rules[0].when[0].data_action.predicates[0].output: [output_field]" in message
    assert "rules[1].order: [order]" in message
    assert puts(platform) == []


def test_tutorial_mode_refuses_outbound_rules_by_name(platform: Pipeline) -> None:
    asset = build_outbound_asset(FILTER_FILE)
    result = dg.materialize(
        [asset], instance=platform.instance, resources=platform.resources(), raise_on_error=False
    )
    assert "platform-mode entities" in failure_of(result)


def test_a_missing_permission_is_named(tmp_path: Path) -> None:
    with running_pipeline(
        tmp_path,
        client_permissions={
            settings.EMULATOR_CLIENT_ID: [
                "outbound:ruleSet:view",
                "outbound:contactList:view",
                "integrations:action:view",
            ]
        },
    ) as pipeline:
        message = failure_of(apply(pipeline, RULE_SET_FILE, raise_on_error=False))
        assert puts(pipeline) == []
    assert "outbound:ruleSet:edit" in message
    assert "add it to a role assigned to the OAuth client" in message


def test_throttling_and_server_errors_still_apply_exactly_once(platform: Pipeline) -> None:
    before = live(platform, "rule_set")["version"]
    platform.emulator.add_faults(
        {"kind": "http_429", "rate": 0.3, "retry_after": 0, "path_prefix": "/api/v2/outbound"},
        {"kind": "http_5xx", "count": 2, "path_prefix": f"{PATHS['rule_set']}/{RULE_SET_ID}"},
    )
    metadata = metadata_of(apply(platform, RULE_SET_FILE))
    assert metadata["status"] == "applied"
    assert metadata["retries"] > 0
    platform.emulator.clear_faults()
    assert live(platform, "rule_set")["version"] == before + 1
    assert [p["status"] for p in puts(platform)] == [200]
