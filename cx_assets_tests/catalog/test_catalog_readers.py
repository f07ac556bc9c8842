"""Contract: people reading the catalog never stall the runs that write it. A DuckDB session on
the catalog itself, even read-only, blocks every writer (the control); a snapshot
(`cx-assets catalog snapshot`) holds the catalog's tables and views in a file of its own that a
session may keep open while runs register days; `cx-assets sql` at its prompt holds the catalog
only while a statement runs."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cx_assets.catalog import CatalogLockTimeout, query, register_dataset_view, register_export
from cx_assets.catalog_cli import catalog_snapshot
from cx_assets_tests.catalog.catalog_testkit import COLUMNS, GLOB, export_record, write_parquet

DAY1, DAY2 = "2024-03-01", "2024-03-02"
#: A writer that waits this long for the lock is stalled: registering a day takes milliseconds.
WRITE_TIMEOUT_S = 3.0
HOLD_S = 60


def _register(catalog_path: Path, day: str, export_id: str) -> None:
    register_export(
        catalog_path, export_record(day, export_id), [], actor="run", timeout_s=WRITE_TIMEOUT_S
    )


@pytest.fixture
def catalog_with_a_day(catalog_path: Path, lake_root: Path) -> Path:
    register_dataset_view("conversations", GLOB, COLUMNS)
    write_parquet(
        lake_root / "genesys" / "conversations" / f"date={DAY1}" / "part-0.parquet",
        [("a", f"{DAY1}T10:00:00Z", 5), ("b", f"{DAY1}T11:00:00Z", 7)],
    )
    _register(catalog_path, DAY1, "e1")
    return catalog_path


@contextlib.contextmanager
def _session(database: Path, *, read_only: bool) -> Iterator[subprocess.Popen[str]]:
    """Another process with a DuckDB session open on `database`, as a person's shell would."""
    code = (
        "import sys, time, duckdb\n"
        f"con = duckdb.connect(sys.argv[1], read_only={read_only})\n"
        "print(con.execute('SELECT count(*) FROM exports').fetchone()[0], flush=True)\n"
        f"time.sleep({HOLD_S})\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(database)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "1"  # open, and it sees the catalog's day
        yield proc
    finally:
        proc.kill()
        proc.wait()


def test_a_session_on_the_catalog_itself_stalls_writers(catalog_with_a_day: Path) -> None:
    """The control: why the docs send long sessions to a snapshot."""
    with (
        _session(catalog_with_a_day, read_only=True),
        pytest.raises(CatalogLockTimeout, match="stayed locked"),
    ):
        _register(catalog_with_a_day, DAY2, "e2")


def test_a_session_on_a_snapshot_leaves_the_catalog_to_the_runs(
    catalog_with_a_day: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snapshot = tmp_path / "mine.duckdb"
    assert catalog_snapshot(["--catalog", str(catalog_with_a_day), "--output", str(snapshot)]) == 0
    assert f"in {snapshot}" in capsys.readouterr().out

    with _session(snapshot, read_only=False):
        _register(catalog_with_a_day, DAY2, "e2")  # not stalled

    assert query(catalog_with_a_day, "SELECT count(*) FROM exports").rows == [(2,)]
    # The snapshot has the catalog's tables as they were and its views over the lake.
    assert query(snapshot, "SELECT export_id FROM exports").rows == [("e1",)]
    assert query(snapshot, "SELECT sum(talk_ms) FROM conversations").rows == [(12,)]


def test_a_snapshot_refuses_to_overwrite_the_catalog(catalog_with_a_day: Path) -> None:
    code = catalog_snapshot(
        ["--catalog", str(catalog_with_a_day), "--output", str(catalog_with_a_day)]
    )
    assert code == 2
    assert query(catalog_with_a_day, "SELECT count(*) FROM exports").rows == [(1,)]


def test_the_sql_prompt_holds_the_catalog_only_while_a_statement_runs(
    catalog_with_a_day: Path,
) -> None:
    prompt = subprocess.Popen(
        [sys.executable, "-m", "cx_assets.cli", "sql", "--catalog", str(catalog_with_a_day)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert prompt.stdin is not None and prompt.stdout is not None
    try:
        prompt.stdin.write("SELECT 'first-' || count(*) AS answer FROM exports;\n")
        prompt.stdin.flush()
        while "first-1" not in (line := prompt.stdout.readline()):
            assert line, "the prompt ended before answering"
        # The session is still open, waiting for its next statement: a run registers a day.
        _register(catalog_with_a_day, DAY2, "e2")
        prompt.stdin.write("SELECT 'second-' || count(*) AS answer FROM exports;\n.quit\n")
        prompt.stdin.flush()
        rest = prompt.stdout.read()
    finally:
        prompt.kill()
        prompt.wait()

    assert "second-2" in rest
