"""Contract: every conversation check can fail through the real pipeline, says what differs, and
the blocking checksum check stops `genesys_conversations` in both API modes.

Each mode lands one day's export once per module (export step only), keeps a pristine copy of
what it wrote, and each test restores that copy, tampers with the files on disk as a faulty disk,
a hand edit or a buggy normaliser would, then runs the checksum check and the lake step the way
the daily job does after an export.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl
import pytest

from cx_assets.defs.conversations import ASSET_CHECKS, ASSETS
from cx_assets.defs.conversations.assets import CONVERSATIONS_ASSET, EXPORT_ASSET
from cx_assets.defs.conversations.checks import (
    CONVERSATION_ID_UNIQUE,
    FILES_MATCH_MANIFEST,
    ROWS_MATCH_FILES,
    SCHEMA_CONFORMS,
)
from cx_assets.genesys.conversations.verified import FILES_DIR, RECORD_NAME
from cx_assets.lake.paths import DataLayout
from cx_assets.lake.verified_download import sha256_file
from cx_assets_tests.e2e.pipeline_testkit import FAST_EMULATOR, Pipeline, running_pipeline

pytestmark = pytest.mark.e2e

DAY = "2024-03-01"
TUTORIAL_ROWS = 60
PLATFORM_ROWS = 40
PLATFORM = {"api_mode": "platform", "poll_initial_s": 0.05}
PLATFORM_EMULATOR = {
    **FAST_EMULATOR,
    "details_conversations_per_day": PLATFORM_ROWS,
    "details_job_delay_s": 0.05,
}
CHECK_THEN_LAKE = dg.AssetSelection.checks(*ASSET_CHECKS) | dg.AssetSelection.assets(
    CONVERSATIONS_ASSET
)


@dataclass
class LandedDay:
    """A day exported once; `restore` puts back what the export step wrote."""

    pipeline: Pipeline
    pristine: Path
    genesys: dict[str, Any]

    @property
    def layout(self) -> DataLayout:
        return DataLayout(self.pipeline.data_dir)

    @property
    def raw_dir(self) -> Path:
        return self.layout.raw_dir("genesys", "conversations", DAY)

    @property
    def prepared_dir(self) -> Path:
        return self.layout.prepared_dir("genesys", "conversations", DAY)

    @property
    def files(self) -> list[Path]:
        return sorted((self.raw_dir / FILES_DIR).iterdir())

    def restore(self) -> None:
        for copy, live in (
            (self.pristine / "raw", self.raw_dir),
            (self.pristine / "prep", self.prepared_dir),
        ):
            if live.exists():
                shutil.rmtree(live)
            if copy.exists():
                shutil.copytree(copy, live)

    def edit_record(self, edit: Callable[[dict[str, Any]], None]) -> None:
        """Change `export.json` as a hand edit (or a server that said something else) would."""
        path = self.raw_dir / RECORD_NAME
        record = json.loads(path.read_text())
        edit(record)
        path.write_text(json.dumps(record))

    def rewrite_file(self, path: Path, data: bytes) -> None:
        """Replace a raw file and record its new size and hash, so the checksum check passes."""
        path.write_bytes(data)

        def _edit(record: dict[str, Any]) -> None:
            [entry] = [f for f in record["files"] if f["name"] == path.name]
            entry["size"], entry["sha256"] = len(data), sha256_file(path)

        self.edit_record(_edit)

    def check_then_lake(self) -> dg.ExecuteInProcessResult:
        """What the daily job runs after the export: the checksum check, then the lake step."""
        return dg.materialize(
            [*ASSETS, *ASSET_CHECKS],
            selection=CHECK_THEN_LAKE,
            partition_key=DAY,
            instance=self.pipeline.instance,
            resources=self.pipeline.resources(**self.genesys),
            raise_on_error=False,
        )


def _land(root: Path, emulator: dict[str, Any], genesys: dict[str, Any]) -> Iterator[LandedDay]:
    with running_pipeline(root, **emulator) as pipeline:
        exported = pipeline.materialize(DAY, selection=EXPORT_ASSET, **genesys)
        assert exported.success
        landed = LandedDay(pipeline, root / "pristine", genesys)
        shutil.copytree(landed.raw_dir, landed.pristine / "raw")
        if landed.prepared_dir.exists():
            shutil.copytree(landed.prepared_dir, landed.pristine / "prep")
        yield landed


@pytest.fixture(scope="module")
def tutorial_day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LandedDay]:
    yield from _land(tmp_path_factory.mktemp("tutorial"), {}, {})


@pytest.fixture(scope="module")
def platform_day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LandedDay]:
    yield from _land(tmp_path_factory.mktemp("platform"), PLATFORM_EMULATOR, PLATFORM)


@pytest.fixture
def tutorial(tutorial_day: LandedDay) -> LandedDay:
    tutorial_day.restore()
    return tutorial_day


@pytest.fixture
def platform(platform_day: LandedDay) -> LandedDay:
    platform_day.restore()
    return platform_day


def _check(result: dg.ExecuteInProcessResult, name: str) -> dg.AssetCheckEvaluation:
    [evaluation] = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
    return evaluation


def _value(evaluation: dg.AssetCheckEvaluation, key: str) -> Any:
    return evaluation.metadata[key].value


def _lake_step_started(result: dg.ExecuteInProcessResult) -> bool:
    return any(e.is_step_start and e.step_key == CONVERSATIONS_ASSET for e in result.all_events)


def _flip_a_byte(path: Path) -> str:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    return "sha256"


def _cut_short(path: Path) -> str:
    path.write_bytes(path.read_bytes()[:-10])
    return "size"


def _delete(path: Path) -> str:
    path.unlink()
    return "missing"


TAMPERS = [_flip_a_byte, _cut_short, _delete]


def _assert_blocked(result: dg.ExecuteInProcessResult, name: str, says: str) -> None:
    """The checksum check failed naming the file, and nothing downstream of it ran."""
    assert not result.success
    check = _check(result, FILES_MATCH_MANIFEST)
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    problems = str(_value(check, "problems"))
    assert name in problems and says in problems
    assert name in (check.description or "")
    assert (check.description or "").startswith(f"{DAY}: ") and _value(check, "partition") == DAY
    [failure] = [e for e in result.all_events if e.is_step_failure]
    assert "files_match_manifest" in str(failure.step_failure_data.error)
    assert not _lake_step_started(result)
    assert result.asset_materializations_for_node(CONVERSATIONS_ASSET) == []
    assert {e.check_name for e in result.get_asset_check_evaluations()} == {FILES_MATCH_MANIFEST}


# -- tutorial mode ----------------------------------------------------------------------------


@pytest.mark.parametrize("tamper", TAMPERS, ids=lambda t: t.__name__.strip("_"))
def test_a_raw_file_that_changed_fails_the_checksum_check_and_stops_the_lake_step(
    tutorial: LandedDay, tamper: Callable[[Path], str]
) -> None:
    [raw_file] = tutorial.files
    says = tamper(raw_file)

    result = tutorial.check_then_lake()

    _assert_blocked(result, raw_file.name, says)
    assert not (tutorial.layout.lake_partition_dir("genesys", "conversations", DAY)).exists()


def test_the_same_run_on_the_files_as_exported_lands_the_day(tutorial: LandedDay) -> None:
    result = tutorial.check_then_lake()

    assert result.success
    assert _check(result, FILES_MATCH_MANIFEST).passed
    assert _check(result, ROWS_MATCH_FILES).passed
    assert _check(result, CONVERSATION_ID_UNIQUE).passed
    assert tutorial.pipeline.sql("SELECT count(*) FROM conversations") == [(TUTORIAL_ROWS,)]


def test_a_manifest_count_the_files_do_not_hold_fails_rows_match_files(
    tutorial: LandedDay,
) -> None:
    def _one_more(record: dict[str, Any]) -> None:
        record["files"][0]["record_count"] += 1  # the server said 61, the file holds 60

    tutorial.edit_record(_one_more)

    result = tutorial.check_then_lake()

    assert result.success  # not blocking: the day lands, the check says what is missing
    check = _check(result, ROWS_MATCH_FILES)
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert _value(check, "records_in_files") == TUTORIAL_ROWS + 1
    assert _value(check, "rows_written") == TUTORIAL_ROWS
    assert _value(check, "unaccounted") == 1
    assert f"{TUTORIAL_ROWS + 1} record(s) by the manifest" in (check.description or "")


def test_a_manifest_without_record_counts_warns_that_nothing_was_compared(
    tutorial: LandedDay,
) -> None:
    def _no_counts(record: dict[str, Any]) -> None:
        for entry in record["files"]:
            entry["record_count"] = None

    tutorial.edit_record(_no_counts)

    result = tutorial.check_then_lake()

    assert result.success
    check = _check(result, ROWS_MATCH_FILES)
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    # the result names its day (the checks carry no partitions_def: docs/decisions.md)
    assert (check.description or "").startswith(f"{DAY}: nothing to compare: ")
    assert _value(check, "partition") == DAY
    why = str(_value(check, "nothing_to_compare"))
    assert "no record count for 1 of 1 file(s)" in why and tutorial.files[0].name in why
    assert _value(check, "rows_written") == TUTORIAL_ROWS


def test_an_export_listing_no_files_warns_that_nothing_was_compared(tutorial: LandedDay) -> None:
    def _no_files(record: dict[str, Any]) -> None:
        record["files"] = []

    tutorial.edit_record(_no_files)

    result = tutorial.check_then_lake()

    check = _check(result, FILES_MATCH_MANIFEST)
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert "nothing to re-hash" in str(_value(check, "nothing_to_compare"))
    assert _value(check, "files_checked") == 0
    # A WARN does not block: the lake step runs, and its row count check has nothing either.
    assert _lake_step_started(result)
    rows = _check(result, ROWS_MATCH_FILES)
    assert not rows.passed and rows.severity == dg.AssetCheckSeverity.WARN
    assert "the export lists no files" in str(_value(rows, "nothing_to_compare"))


def test_a_conversation_served_twice_is_quarantined_not_doubled(tutorial: LandedDay) -> None:
    # The tutorial normaliser keeps the first copy: the id check passes because the repeat is
    # accounted for in quarantine (the failing case is below, in platform mode).
    [raw_file] = tutorial.files
    lines = raw_file.read_bytes().splitlines(keepends=True)
    tutorial.rewrite_file(raw_file, b"".join([*lines, lines[0]]))

    def _count_it(record: dict[str, Any]) -> None:
        record["files"][0]["record_count"] += 1

    tutorial.edit_record(_count_it)

    result = tutorial.check_then_lake()

    assert result.success
    assert _check(result, CONVERSATION_ID_UNIQUE).passed
    rows = _check(result, ROWS_MATCH_FILES)
    assert rows.passed
    assert (_value(rows, "rows_written"), _value(rows, "rows_quarantined")) == (TUTORIAL_ROWS, 1)


# -- platform mode ----------------------------------------------------------------------------


def test_platform_a_result_page_that_changed_fails_the_checksum_check_and_stops_the_lake_step(
    platform: LandedDay,
) -> None:
    page = platform.files[0]
    says = _flip_a_byte(page)

    result = platform.check_then_lake()

    _assert_blocked(result, page.name, says)


def test_platform_prepared_tables_of_the_wrong_types_fail_schema_conforms(
    platform: LandedDay,
) -> None:
    # As a buggy normaliser beside the download would leave them: the prepared record still
    # names the verified pages, so the lake step publishes these tables as they are.
    [table] = list((platform.prepared_dir / "lake").rglob("conversations.parquet"))
    frame = pl.read_parquet(table)
    frame.with_columns(pl.col("handle_ms").cast(pl.Utf8)).drop("talk_ms").write_parquet(table)

    result = platform.check_then_lake()

    assert result.success
    assert str(
        result.asset_materializations_for_node(CONVERSATIONS_ASSET)[0].metadata["normalised"].value
    ) == ("while downloading")
    check = _check(result, SCHEMA_CONFORMS)
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    problems = str(_value(check, "problems"))
    assert "conversations: column handle_ms is VARCHAR" in problems
    assert "conversations: missing column talk_ms" in problems
    assert "handle_ms" in (check.description or "")


def test_platform_a_page_count_the_server_did_not_serve_fails_rows_match_files(
    platform: LandedDay,
) -> None:
    def _two_more(record: dict[str, Any]) -> None:
        record["files"][0]["record_count"] += 2

    platform.edit_record(_two_more)

    result = platform.check_then_lake()

    assert result.success
    check = _check(result, ROWS_MATCH_FILES)
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert _value(check, "records_in_files") == PLATFORM_ROWS + 2
    assert _value(check, "unaccounted") == 2


def test_platform_prepared_tables_holding_a_conversation_twice_fail_conversation_id_unique(
    platform: LandedDay,
) -> None:
    [table] = list((platform.prepared_dir / "lake").rglob("conversations.parquet"))
    frame = pl.read_parquet(table)
    repeated = frame["conversation_id"][0]
    pl.concat([frame, frame.head(1)]).write_parquet(table)

    result = platform.check_then_lake()

    assert result.success
    check = _check(result, CONVERSATION_ID_UNIQUE)
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert (_value(check, "rows"), _value(check, "distinct_ids")) == (
        PLATFORM_ROWS + 1,
        PLATFORM_ROWS,
    )
    assert _value(check, "duplicates") == 1
    assert _value(check, "repeated_ids") == repeated
    assert repeated in (check.description or "")


# -- a day without conversations ----------------------------------------------------------------


def test_a_day_without_conversations_warns_where_there_was_nothing_to_compare(
    tmp_path: Path,
) -> None:
    with running_pipeline(tmp_path, records_per_day=0) as pipeline:
        result = pipeline.materialize(DAY, raise_on_error=False)

    assert result.success
    # The manifest said 0 records and the file holds 0: that was compared, and passes.
    assert _check(result, ROWS_MATCH_FILES).passed
    unique = _check(result, CONVERSATION_ID_UNIQUE)
    assert not unique.passed and unique.severity == dg.AssetCheckSeverity.WARN
    assert "the day has no conversations" in str(_value(unique, "nothing_to_compare"))
    assert _check(result, SCHEMA_CONFORMS).passed  # the empty table still has its columns
