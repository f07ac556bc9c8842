"""`cx-assets webhooks serve` refuses to start with secrets anyone can read (unset, or the
emulator's public defaults) unless it serves the emulator on loopback: it exits 2 before
listening, with one line naming the variable to set and no traceback. Beside the emulator on
loopback it starts as before and accepts what the emulator signs."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from cx_assets.receiver import events, privacy
from cx_assets.receiver.limits import MAX_BODY_ENV
from cx_assets.receiver.startup import secret_problem
from cx_assets_tests.receiver.loopback import cli_env, free_port, run_cli, serve_cli, signed

REAL = {privacy.SECRET_ENV: "privacy-secret-1", events.SECRET_ENV: "events-secret-1"}


def _refused(args: list[str], env: dict[str, str]) -> str:
    """Run the CLI; it must exit 2 at once with exactly one line on stderr, which is returned."""
    proc = run_cli([*args, "--port", str(free_port())], env)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize(
    ("args", "env", "variable", "why"),
    [
        (["--host", "0.0.0.0"], {}, privacy.SECRET_ENV, "not a loopback address"),
        (
            ["--host", "0.0.0.0"],
            {privacy.SECRET_ENV: REAL[privacy.SECRET_ENV]},
            events.SECRET_ENV,
            "not a loopback address",
        ),
        (
            ["--host", "10.1.2.3"],
            {privacy.SECRET_ENV: privacy.EMULATOR_WEBHOOK_SECRET},
            privacy.SECRET_ENV,
            "public default",
        ),
        ([], {"GENESYS_API_URL": "https://api.mypurecloud.ie"}, privacy.SECRET_ENV, "not the emu"),
        ([], {"GENESYS_REGION": "mypurecloud.ie"}, privacy.SECRET_ENV, "not the emulator"),
    ],
)
def test_it_will_not_serve_readable_secrets_beyond_the_emulator(
    args: list[str], env: dict[str, str], variable: str, why: str
) -> None:
    line = _refused(args, cli_env(**env))
    assert line.startswith("cx-assets webhooks serve: ") and f"set {variable}" in line
    assert why in line


def test_a_bad_limit_is_one_line_naming_the_variable() -> None:
    line = _refused([], cli_env(**REAL, **{MAX_BODY_ENV: "1MB"}))
    assert MAX_BODY_ENV in line and "positive whole number" in line


def test_real_secrets_may_serve_any_address() -> None:
    assert secret_problem("0.0.0.0", REAL) is None
    assert secret_problem("127.0.0.1", REAL | {"GENESYS_REGION": "mypurecloud.ie"}) is None
    short = REAL | {privacy.SECRET_ENV: "short"}
    assert f"{privacy.SECRET_ENV} must be at least 8" in (secret_problem("::1", short) or "")


def test_beside_the_emulator_on_loopback_it_starts_with_the_defaults(tmp_path: Path) -> None:
    body = (
        b'{"eventType": "data.action.updated", "actionId": "route-vip", "version": 1, '
        b'"timestamp": "2024-03-09T16:00:00Z"}'
    )
    with serve_cli(tmp_path, cli_env()) as (base, _):
        headers = signed(events.EMULATOR_EVENTS_SECRET, int(time.time()), body)
        response = httpx.post(f"{base}{events.EVENTS_PATH}", content=body, headers=headers)
    assert response.status_code == 202
    assert len(events.EventInbox(tmp_path).pending()) == 1
