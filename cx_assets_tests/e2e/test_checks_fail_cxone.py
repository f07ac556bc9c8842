"""Contract: the CXone checks fail through the real pipeline and say what differs: a record the
server counted but never served fails `rows_match_records` naming the read and both counts, and
a run with no records at all makes `integrity_at_least_threshold` warn that it had nothing to
measure instead of passing (and the run succeeds: nothing was below the threshold). Each result's
description opens with the days it covers. (A day below the threshold failing the integrity check
and the run is tested in test_cxone_e2e.py.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from cx_assets.defs import cxone
from cx_assets.defs.cxone.checks import INTEGRITY_AT_LEAST_THRESHOLD, ROWS_MATCH_RECORDS
from cx_assets.defs.cxone.environment import emulator_tutorial
from cx_assets.defs.resources import CatalogResource
from cx_assets.emulator import EmulatorServer
from cx_assets_tests.e2e.pipeline_testkit import make_instance

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

PER_DAY = 12
EMULATOR = {
    "queue_delay_s": 0.0,
    "run_delay_s": 0.02,
    "cxone_records_per_day": PER_DAY,
    "cxone_missing_rate": 0.0,
}
FAST = {"poll_initial_s": 0.01, "poll_max_s": 0.05, "initial_backoff_s": 0.01}


class Cxone:
    """An emulator, a data root and a Dagster instance; materialise `cxone_interactions`."""

    def __init__(self, root: Path, **emulator: Any) -> None:
        self.emulator = EmulatorServer(state_dir=root / "emulator", **{**EMULATOR, **emulator})
        self.emulator.start()
        self.data_dir = root / "data"
        self.instance = make_instance(root / "dagster_home")

    def close(self) -> None:
        self.instance.dispose()
        self.emulator.stop()

    def run(self, first: str, last: str) -> dg.ExecuteInProcessResult:
        """One run over first..last, as a multi_run backfill tags it."""
        return dg.materialize(
            cxone.ASSETS,
            instance=self.instance,
            tags={
                "dagster/asset_partition_range_start": first,
                "dagster/asset_partition_range_end": last,
            },
            resources={
                "cxone": emulator_tutorial(f"{self.emulator.url}/cxone", **FAST),
                "catalog": CatalogResource(data_dir=str(self.data_dir)),
            },
        )


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cxone]:
    pipeline = Cxone(tmp_path_factory.mktemp("cxone"))
    try:
        yield pipeline
    finally:
        pipeline.close()


def _check(result: dg.ExecuteInProcessResult, name: str) -> dg.AssetCheckEvaluation:
    [evaluation] = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
    return evaluation


def test_a_record_counted_but_never_served_fails_rows_match_records(env: Cxone) -> None:
    env.emulator.add_faults({"kind": "record_dropped", "count": 1, "path_prefix": "/cxone"})

    result = env.run("2024-02-20", "2024-02-21")

    assert result.success  # not blocking: the days land, the check says what is missing
    check = _check(result, ROWS_MATCH_RECORDS)
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    [export] = env.emulator.stats()["cxone_exports"]  # one read covers both days
    assert check.description == (
        "2024-02-20..2024-02-21: 1 problem(s) over 2 day(s):\n"
        f"read {export['id']}: {2 * PER_DAY - 1} served, server reported {2 * PER_DAY}"
    )
    assert check.metadata["records_served"].value == 2 * PER_DAY - 1
    # Integrity is measured on what arrived, and that is complete.
    assert _check(result, INTEGRITY_AT_LEAST_THRESHOLD).passed


def test_a_run_without_records_warns_that_integrity_had_nothing_to_measure(
    tmp_path: Path,
) -> None:
    pipeline = Cxone(tmp_path, cxone_records_per_day=0)
    try:
        result = pipeline.run("2024-03-01", "2024-03-02")
    finally:
        pipeline.close()

    assert result.success
    check = _check(result, INTEGRITY_AT_LEAST_THRESHOLD)
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert check.description == (
        "nothing to compare: the run's 2 day(s) (2024-03-01..2024-03-02) hold no records to measure"
    )
    assert (check.metadata["first_day"].value, check.metadata["last_day"].value) == (
        "2024-03-01",
        "2024-03-02",
    )
    assert check.metadata["days"].value == 2
    assert _check(result, ROWS_MATCH_RECORDS).passed  # 0 served, 0 reported: compared
