"""Contract: `audit_chain_intact`, run on its own by `audit_chain_job` as the UI or a schedule
would, fails naming the first broken entry when someone edits the catalog's audit log after a
real run wrote it, passes again once the entry is put back, and warns that it had nothing to
verify on a catalog whose log is empty."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from cx_assets.catalog import write_transaction
from cx_assets.defs import report
from cx_assets.defs.report.report import AUDIT_CHECK
from cx_assets.defs.resources import CatalogResource
from cx_assets_tests.e2e.pipeline_testkit import Pipeline, make_instance, running_pipeline

pytestmark = pytest.mark.e2e

DAY = "2024-03-01"


@pytest.fixture(scope="module")
def landed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    with running_pipeline(tmp_path_factory.mktemp("report")) as pipeline:
        assert pipeline.materialize(DAY).success  # writes the day's audit entries
        yield pipeline


def _audit_check(instance: dg.DagsterInstance, data_dir: Path) -> dg.AssetCheckEvaluation:
    defs = dg.Definitions(
        assets=report.ASSETS,
        asset_checks=report.ASSET_CHECKS,
        jobs=report.JOBS,
        resources={"catalog": CatalogResource(data_dir=str(data_dir))},
    )
    result = defs.resolve_job_def("audit_chain_job").execute_in_process(
        instance=instance, raise_on_error=False
    )
    assert result.success  # not blocking: the check reports, the run does not fail
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.check_name == AUDIT_CHECK
    return evaluation


def _value(evaluation: dg.AssetCheckEvaluation, key: str) -> Any:
    return evaluation.metadata[key].value


def test_an_edited_audit_entry_fails_the_check_naming_it(landed: Pipeline) -> None:
    [(seq, action, details)] = landed.sql(
        "SELECT seq, action, details FROM audit_log ORDER BY seq LIMIT 1"
    )
    with write_transaction(landed.catalog_path) as con:
        con.execute("UPDATE audit_log SET details = '{\"rows\": 0}' WHERE seq = ?", [seq])
    try:
        broken = _audit_check(landed.instance, landed.data_dir)
    finally:
        with write_transaction(landed.catalog_path) as con:
            con.execute("UPDATE audit_log SET details = ? WHERE seq = ?", [details, seq])

    assert not broken.passed and broken.severity == dg.AssetCheckSeverity.ERROR
    assert _value(broken, "first_broken_seq") == seq
    assert _value(broken, "entries_verified") == seq - 1
    assert f"entry {seq} was edited" in str(_value(broken, "reason"))
    assert f"audit chain BROKEN at entry {seq}" in (broken.description or "")
    assert action  # a real entry of the run, e.g. the export's
    restored = _audit_check(landed.instance, landed.data_dir)
    assert restored.passed
    assert (restored.description or "").startswith("audit chain intact")


def test_an_empty_audit_log_warns_that_nothing_was_verified(tmp_path: Path) -> None:
    instance = make_instance(tmp_path / "dagster_home")
    try:
        evaluation = _audit_check(instance, tmp_path / "data")
    finally:
        instance.dispose()

    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    assert (evaluation.description or "").startswith("nothing to compare: the audit log")
    assert _value(evaluation, "entries_verified") == 0
