"""The command line: `cx-assets materialize` runs days through a real Dagster instance.

Contract: each day becomes its own run in DAGSTER_HOME's instance (several at once), the command
reports each run's checks and exits 0 only when all passed, and `cx-assets sql` prints the rows.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import dagster as dg

from cx_assets.catalog.queries import query
from cx_assets.definitions import defs
from cx_assets.emulator import EmulatorServer
from cx_assets_tests.e2e.pipeline_testkit import FAST_EMULATOR


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cx_assets.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_definitions_load() -> None:
    dg.Definitions.validate_loadable(defs)


def test_materialize_runs_days_through_the_instance(tmp_path: Path) -> None:
    with EmulatorServer(state_dir=tmp_path / "emu", **FAST_EMULATOR) as emulator:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("GENESYS_")},
            "GENESYS_API_URL": emulator.url,
            "GENESYS_API_MODE": "tutorial",  # its faults are the data exports' own
            "CX_DATA_DIR": str(tmp_path / "data"),
            "DAGSTER_HOME": str(tmp_path / "home"),
        }
        emulator.add_faults("corrupt_file:count=1")
        done = _cli(
            ["materialize", "--start", "2024-05-01", "--end", "2024-05-03", "--parallel", "3"], env
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 of 3 partitions succeeded" in done.stdout
    assert done.stdout.count("files_match_manifest=ok") == 3
    rows = query(
        tmp_path / "data" / "catalog.duckdb",
        "SELECT count(*), count(DISTINCT conversation_id), count(DISTINCT conversation_date)"
        " FROM conversations",
    ).rows
    assert rows == [(180, 180, 3)]
    with dg.DagsterInstance.from_config(str(tmp_path / "home")) as instance:
        assert len(instance.get_runs()) == 3

    shown = _cli(["sql", "SELECT count(*) AS n FROM exports"], env)
    assert shown.returncode == 0
    assert shown.stdout.splitlines() == ["+---+", "| n |", "+---+", "| 3 |", "+---+", "(1 row)"]


def test_materialize_rejects_a_reversed_range(tmp_path: Path) -> None:
    env = {**os.environ, "CX_DATA_DIR": str(tmp_path / "data")}
    done = _cli(["materialize", "--start", "2024-05-03", "--end", "2024-05-01"], env)
    assert done.returncode != 0
    assert "before --start" in done.stderr


def test_dev_with_a_taken_port_says_so_in_one_line(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "CX_DATA_DIR": str(tmp_path / "data"), "CX_EMULATOR_PORT": str(port)}
        emulator_taken = _cli(["dev"], env)
        ui_taken = _cli(["dev", "--port", str(port)], {**env, "CX_EMULATOR_PORT": "0"})
    assert emulator_taken.returncode == 2
    assert emulator_taken.stderr.strip().splitlines() == [
        f"cx-assets dev: port {port} is already in use (another `make dev`?): "
        "set CX_EMULATOR_PORT=<free port>"
    ]
    assert ui_taken.returncode == 2
    assert "CX_EMULATOR_PORT='0' is not a port" in ui_taken.stderr
    assert "Traceback" not in emulator_taken.stderr + ui_taken.stderr


def test_dev_names_a_taken_ui_port(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "CX_DATA_DIR": str(tmp_path / "data"), "CX_UI_PORT": str(port)}
        env.pop("CX_EMULATOR_PORT", None)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            env["CX_EMULATOR_PORT"] = str(probe.getsockname()[1])
        done = _cli(["dev"], env)
    assert done.returncode == 2
    assert f"port {port} is already in use" in done.stderr
    assert "make dev PORT=<free port>" in done.stderr
