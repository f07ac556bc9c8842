"""Data action rules through Dagster against the emulator: a differing action is applied with
If-Match (version + 1) and audited in the catalog, a second run changes nothing, a dry run
writes nothing, a concurrent edit (409) of the conditions is reported and not overwritten while
one of the name is kept with ours applied on top, a
broken rule never reaches the server, and an out-of-band edit fails the drift check naming the
editor from the vendor's audit log until the rule is applied again. The drift checks are
blocking: a drift fails the drift job's run (and an apply whose result still differs), a clean
repo passes it, and a dry run only warns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import yaml

from cx_assets.defs.rules import ASSET_CHECKS, ASSETS, JOBS
from cx_assets.defs.rules.assets import build_rule_asset
from cx_assets.defs.rules.checks import LIVE_MATCHES_REPO, build_drift_check
from cx_assets.defs.rules.rule_files import KEY_PREFIX, RULES_DIR, asset_key_for
from cx_assets.genesys.rules import load_rule, to_api
from cx_assets_tests.e2e.pipeline_testkit import Pipeline

#: Seeded actions: the repo's rule for DIFFERING differs from the seed, for IDENTICAL it does not.
DIFFERING = "route-vip"
IDENTICAL = "priority-orders"


def _asset(action_id: str) -> dg.AssetsDefinition:
    [asset] = [a for a in ASSETS if a.key == asset_key_for(RULES_DIR / f"{action_id}.yaml")]
    return asset


def _check(action_id: str) -> dg.AssetChecksDefinition:
    [check] = [
        c
        for c in ASSET_CHECKS
        if asset_key_for(RULES_DIR / f"{action_id}.yaml") in {k.asset_key for k in c.check_keys}
    ]
    return check


def _apply(
    pipeline: Pipeline, action_id: str, *, raise_on_error: bool = True, **config: Any
) -> dg.ExecuteInProcessResult:
    asset = _asset(action_id)
    return dg.materialize(
        [asset, _check(action_id)],
        instance=pipeline.instance,
        resources=pipeline.resources(),
        run_config={"ops": {asset.op.name: {"config": config}}} if config else None,
        raise_on_error=raise_on_error,
    )


def _metadata(result: dg.ExecuteInProcessResult) -> dict[str, Any]:
    [event] = result.get_asset_materialization_events()
    return {k: getattr(v, "value", v) for k, v in event.materialization.metadata.items()}


def _drift(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    [evaluation] = [
        e for e in result.get_asset_check_evaluations() if e.check_name == LIVE_MATCHES_REPO
    ]
    return evaluation


def _live(pipeline: Pipeline, action_id: str) -> httpx.Response:
    response = httpx.get(
        f"{pipeline.emulator.url}/api/v2/dataactions/{action_id}",
        headers={"Authorization": f"Bearer {pipeline.token()}"},
    )
    response.raise_for_status()
    return response


def _repo_tree(action_id: str) -> dict[str, Any]:
    return to_api(load_rule(RULES_DIR / f"{action_id}.yaml").conditions)


def _audit_rows(pipeline: Pipeline) -> list[tuple[Any, ...]]:
    return pipeline.sql(
        "SELECT action, entity, actor, details FROM audit_log WHERE flow = 'data_actions' "
        "ORDER BY seq"
    )


def _statuses(pipeline: Pipeline) -> dict[str, int]:
    return {str(k): int(v) for k, v in pipeline.emulator.stats().get("by_status", {}).items()}


def test_apply_changes_a_differing_action_once_and_audits_it(pipeline: Pipeline) -> None:
    before = _live(pipeline, DIFFERING).json()
    assert before["conditions"] != _repo_tree(DIFFERING)

    first = _apply(pipeline, DIFFERING)
    metadata = _metadata(first)
    assert metadata["status"] == "applied"
    assert metadata["version"] == before["version"] + 1
    assert "+++ repo" in metadata["diff"]
    after = _live(pipeline, DIFFERING)
    assert after.json()["conditions"] == _repo_tree(DIFFERING)
    assert after.json()["version"] == before["version"] + 1
    assert _drift(first).passed
    [(action, entity, actor, details)] = _audit_rows(pipeline)
    assert (action, entity) == ("apply", DIFFERING)
    assert actor == metadata["confirmed_by"] != "not confirmed"
    assert '"version_after":' in details

    second = _apply(pipeline, DIFFERING)
    assert _metadata(second)["status"] == "unchanged"
    assert _metadata(second)["version"] == before["version"] + 1
    assert _live(pipeline, DIFFERING).json()["version"] == before["version"] + 1
    assert len(_audit_rows(pipeline)) == 1
    assert "428" not in _statuses(pipeline)


def test_an_action_equal_to_the_repo_is_left_alone(pipeline: Pipeline) -> None:
    before = _live(pipeline, IDENTICAL).json()
    result = _apply(pipeline, IDENTICAL)
    assert _metadata(result)["status"] == "unchanged"
    assert _live(pipeline, IDENTICAL).json()["version"] == before["version"]
    assert _drift(result).passed


def test_dry_run_shows_the_diff_and_writes_nothing(pipeline: Pipeline) -> None:
    before = _live(pipeline, DIFFERING).json()
    result = _apply(pipeline, DIFFERING, dry_run=True)
    metadata = _metadata(result)
    assert metadata["status"] == "dry_run"
    assert "+++ repo" in metadata["diff"]
    assert _live(pipeline, DIFFERING).json() == before
    assert _audit_rows(pipeline) == []
    drift = _drift(result)
    assert not drift.passed  # the dry run changed nothing: live still differs
    assert drift.severity == dg.AssetCheckSeverity.WARN and result.success  # asked to show it


def test_a_concurrent_edit_of_the_conditions_is_reported_not_overwritten(
    pipeline: Pipeline,
) -> None:
    before = _live(pipeline, DIFFERING).json()
    pipeline.emulator.add_faults(
        {"kind": "concurrent_edit", "count": 1, "path_prefix": f"/api/v2/dataactions/{DIFFERING}"}
    )
    result = _apply(pipeline, DIFFERING, raise_on_error=False)
    assert not result.success
    [failure] = result.get_step_failure_events()
    message = failure.step_failure_data.error.message if failure.step_failure_data.error else ""
    assert "changed between our read" in message and "Nothing was written" in message
    assert f"version {before['version']}" in message
    live = _live(pipeline, DIFFERING).json()
    assert live["version"] == before["version"] + 1  # the colleague's edit stands
    assert live["conditions"] != _repo_tree(DIFFERING)
    assert _statuses(pipeline).get("409") == 1  # one write, never retried
    assert _audit_rows(pipeline) == []


def test_a_concurrent_rename_is_kept_and_the_conditions_applied_on_top(pipeline: Pipeline) -> None:
    before = _live(pipeline, DIFFERING).json()
    pipeline.emulator.add_faults(
        {
            "kind": "concurrent_edit",
            "count": 1,
            "match": "name",
            "path_prefix": f"/api/v2/dataactions/{DIFFERING}",
        }
    )
    result = _apply(pipeline, DIFFERING, raise_on_error=False)
    assert not result.success  # applied, but live still differs from the repo: a person decides
    metadata = _metadata(result)
    assert (metadata["status"], metadata["conflicts_409"], metadata["put_attempts"]) == (
        "applied",
        1,
        2,
    )
    assert metadata["kept_concurrent_edit_of"] == "name"
    live = _live(pipeline, DIFFERING).json()
    assert live["conditions"] == _repo_tree(DIFFERING)
    assert live["name"] == f"{before['name']} (edited)"
    assert live["version"] == metadata["version"] == before["version"] + 2
    drift = _drift(result)  # the kept rename is a difference from the repo, and says so
    assert not drift.passed
    assert "(edited)" in str(drift.metadata["diff"].value)


def _drift_job(pipeline: Pipeline) -> dg.ExecuteInProcessResult:
    defs = dg.Definitions(
        assets=ASSETS, asset_checks=ASSET_CHECKS, jobs=JOBS, resources=pipeline.resources()
    )
    job = defs.resolve_job_def("data_action_drift_job")
    return job.execute_in_process(instance=pipeline.instance, raise_on_error=False)


def test_the_drift_job_passes_on_a_clean_repo_and_fails_on_a_drift(pipeline: Pipeline) -> None:
    actions = [a for a in ASSETS if a.key.path[0] == KEY_PREFIX]
    for asset in actions:  # every action made equal to the repo
        dg.materialize(
            [asset, _check(asset.key.path[-1])],
            instance=pipeline.instance,
            resources=pipeline.resources(),
        )
    clean = _drift_job(pipeline)
    assert clean.success
    assert {e.asset_key.path[-1] for e in clean.get_asset_check_evaluations() if e.passed} == {
        a.key.path[-1] for a in actions
    }
    live = _live(pipeline, IDENTICAL)
    httpx.put(
        f"{pipeline.emulator.url}/api/v2/dataactions/{IDENTICAL}",
        headers={"Authorization": f"Bearer {pipeline.token()}", "If-Match": live.headers["ETag"]},
        json={"conditions": {"type": "NOT", "children": [live.json()["conditions"]]}},
    ).raise_for_status()
    drifted = _drift_job(pipeline)
    assert not drifted.success
    failed = [e for e in drifted.get_asset_check_evaluations() if not e.passed]
    assert [e.asset_key.path[-1] for e in failed] == [IDENTICAL]
    assert failed[0].severity == dg.AssetCheckSeverity.ERROR


def test_drift_after_an_out_of_band_edit_names_the_editor_then_reapply_clears_it(
    pipeline: Pipeline,
) -> None:
    _apply(pipeline, DIFFERING)
    live = _live(pipeline, DIFFERING)
    edited = {"type": "NOT", "children": [live.json()["conditions"]]}
    response = httpx.put(
        f"{pipeline.emulator.url}/api/v2/dataactions/{DIFFERING}",
        headers={"Authorization": f"Bearer {pipeline.token()}", "If-Match": live.headers["ETag"]},
        json={"conditions": edited},
    )
    response.raise_for_status()

    result = _drift_job(pipeline)
    assert not result.get_asset_materialization_events(), "a drift run applies nothing"
    assert not result.success  # a drifted rule is red at the run level
    [failure] = result.get_step_failure_events()
    assert "blocking asset check" in (
        failure.step_failure_data.error.message if failure.step_failure_data.error else ""
    )
    by_action = {e.asset_key.path[-1]: e for e in result.get_asset_check_evaluations()}
    drift = by_action[DIFFERING]
    assert not drift.passed
    assert drift.metadata["changed_by"].value == pipeline.emulator.client_id
    assert drift.metadata["live_version"].value == response.json()["version"]
    assert "not:" in drift.metadata["diff"].value
    assert pipeline.emulator.client_id in (drift.description or "")
    assert by_action[IDENTICAL].passed

    reapplied = _apply(pipeline, DIFFERING)
    assert _metadata(reapplied)["status"] == "applied"
    assert _drift(reapplied).passed


def test_a_broken_rule_fails_before_any_write_naming_file_path_and_rule(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    seeded = load_rule(RULES_DIR / f"{DIFFERING}.yaml")
    document = yaml.safe_load((RULES_DIR / f"{DIFFERING}.yaml").read_text())
    document["conditions"] = {"all": [document["conditions"], {"not": []}]}
    folder = tmp_path / "rules"
    folder.mkdir()
    path = folder / f"{seeded.action_id}.yaml"
    path.write_text(yaml.safe_dump(document))
    before = _live(pipeline, DIFFERING).json()
    result = dg.materialize(
        [build_rule_asset(path), build_drift_check(path)],
        instance=pipeline.instance,
        resources=pipeline.resources(),
        raise_on_error=False,
    )
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    text = str(failure.event_specific_data)
    assert f"{path}: conditions.all[1]: [not_one_child]" in text
    assert _live(pipeline, DIFFERING).json()["version"] == before["version"]


def test_the_webhook_is_registered_once_across_runs(pipeline: Pipeline) -> None:
    hook = "http://127.0.0.1:9/data-action-events"
    first = _metadata(_apply(pipeline, IDENTICAL, webhook_url=hook))
    second = _metadata(_apply(pipeline, DIFFERING, webhook_url=hook))
    assert first["webhook_registered_now"] is True
    assert second["webhook_registered_now"] is False
    assert first["webhook_id"] == second["webhook_id"]
    rows = pipeline.sql("SELECT entity, details FROM audit_log WHERE action = 'webhook_registered'")
    assert len(rows) == 1 and hook in rows[0][0]
    posts = pipeline.emulator.stats()["by_path"].get("/api/v2/platform/webhooks", {})
    assert sum(posts.values()) == 1
