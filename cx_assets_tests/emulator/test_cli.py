"""CLI and subprocess: flags and --fault specs become the config, bad specs exit 2 with the
reason, and `python -m cx_assets.emulator` serves the API on the port it was given."""

from __future__ import annotations

import httpx

from cx_assets.emulator import EmulatorConfig, EmulatorProcess, Fault
from cx_assets.emulator.cli import build_parser, config_from_args, config_to_argv, main


def test_flags_and_faults_become_config(tmp_path):
    args = build_parser().parse_args(
        [
            "--port", "9999", "--state-dir", str(tmp_path), "--seed", "7",
            "--records-per-day", "10", "--max-file-bytes", "4096", "--malformed-rate", "0.1",
            "--token-ttl", "5", "--rate-limit", "3",
            "--fault", "http_429:rate=0.05", "--fault", "corrupt_file:count=1",
        ]
    )  # fmt: skip
    config = config_from_args(args)
    assert (config.port, config.seed, config.records_per_day) == (9999, 7, 10)
    assert (config.max_file_bytes, config.malformed_rate) == (4096, 0.1)
    assert (config.token_ttl_s, config.rate_limit_per_minute) == (5, 3)
    assert config.state_dir == tmp_path
    assert config.faults == (Fault("http_429", rate=0.05), Fault("corrupt_file", count=1))
    again = config_from_args(build_parser().parse_args(config_to_argv(config)))
    assert again == config


def test_bad_fault_exits_2_with_reason(capsys):
    assert main(["--fault", "gremlins:count=1"]) == 2
    assert "unknown fault kind 'gremlins'" in capsys.readouterr().err


def test_env_config_is_read(tmp_path):
    config = EmulatorConfig.from_env(
        {
            "CX_EMULATOR_PORT": "8800",
            "CX_EMULATOR_RECORDS_PER_DAY": "5",
            "CX_DATA_DIR": str(tmp_path),
        }
    )
    assert (config.port, config.records_per_day) == (8800, 5)
    assert config.state_dir == tmp_path / "emulator"


def test_subprocess_serves_tokens(tmp_path):
    with EmulatorProcess(state_dir=tmp_path, port=0) as emu:
        response = httpx.post(
            f"{emu.url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("emulator-client", "emulator-secret"),
        )
        assert response.status_code == 200
        assert emu.stats()["by_path"]["/oauth/token"] == {"200": 1}
