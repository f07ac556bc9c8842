"""Contract: `make demo`'s CXone step tells the truth about its run. The emulator leaves required
fields out of some contacts on purpose, so days fall below the integrity threshold and the run
FAILS (as the UI shows it); the demo prints the FAILURE, each check's verdict and an explanation
that this is expected, lands every day, and returns 0. A failure of any other kind (here an
answer the client cannot read) is reported as a failure with its reason and returns 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cx_assets.catalog.queries import query
from cx_assets.demo import demo_days, run_cxone
from cx_assets.emulator import EmulatorServer
from cx_assets.lake.paths import DataLayout
from cx_assets_tests.e2e.pipeline_testkit import make_instance

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


class Demo:
    """The demo's environment: an emulator, a data root and a DAGSTER_HOME."""

    def __init__(self, root: Path, **emulator: Any) -> None:
        self.emulator = EmulatorServer(state_dir=root / "emulator", **emulator).start()
        make_instance(root / "dagster_home").dispose()
        self.env = {"CX_DATA_DIR": str(root / "data"), "DAGSTER_HOME": str(root / "dagster_home")}

    def stored_days(self) -> list[str]:
        catalog = DataLayout(Path(self.env["CX_DATA_DIR"])).catalog_path
        rows = query(catalog, "SELECT day FROM cxone_day_metrics ORDER BY day").rows
        return [str(day) for (day,) in rows]


@pytest.fixture
def lossy(tmp_path: Path) -> Iterator[Demo]:
    """Every day below 0.99: 5% of 200 contacts a day miss a required field."""
    demo = Demo(tmp_path, cxone_contacts_per_day=200, cxone_missing_rate=0.05)
    try:
        yield demo
    finally:
        demo.emulator.stop()


def test_a_run_failed_by_design_is_reported_as_expected(
    lossy: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_cxone(lossy.env, lossy.emulator.url)
    out = capsys.readouterr().out

    days = demo_days()
    assert code == 0
    assert ": FAILURE" in out
    assert "check integrity_at_least_threshold: FAILED: " in out
    assert f"{days[0]}..{days[-1]}: 7 of 7 day(s) below the threshold" in out
    assert "expected: this run fails ON PURPOSE" in out
    assert "7 of 7 day(s) are below the integrity threshold" in out
    assert "check rows_match_records: passed" in out
    assert lossy.stored_days() == days  # every day landed all the same


def test_any_other_failure_is_a_failure_of_the_demo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    demo = Demo(tmp_path, cxone_contacts_per_day=5, cxone_missing_rate=0.0)
    try:
        demo.emulator.add_faults({"kind": "unreadable_body", "path_prefix": "/cxone-platform"})
        code = run_cxone(demo.env, demo.emulator.url)
    finally:
        demo.emulator.stop()
    out = capsys.readouterr().out

    assert code == 1
    assert ": FAILURE" in out and "ON PURPOSE" not in out
    assert "the CXone run failed: CXone platform mode could not start" in out
