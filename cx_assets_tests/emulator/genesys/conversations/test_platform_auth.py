"""Platform auth and throttling: Basic + client_credentials (no scope) gets a token; the details
job calls need ANY of the two conversation-detail permissions of the client's role (availability
only the first), else the contract's 403 naming the permission; 401 and 429 answer the real
ErrorBody; platform responses carry only `inin-ratelimit-*` (tutorial ones keep both families);
the new settings come from CX_EMULATOR_* variables and CLI flags."""

from __future__ import annotations

import re

import httpx

from cx_assets.emulator import EmulatorConfig
from cx_assets.emulator.cli import build_parser, config_from_args, config_to_argv

from .platform_support import AGENT_VIEW, DAY, FAST_JOBS, JOBS, VIEW, client, token

CLIENTS = {
    "emulator-client": "emulator-secret",
    "nobody": "nobody-secret",
    "agent-viewer": "agent-secret",
}
PERMISSIONS = {"nobody": ("routing:queue:view",), "agent-viewer": (AGENT_VIEW,)}
FORBIDDEN = (
    f"Unable to perform the requested action. You are missing the following permission(s): [{VIEW}]"
)


def _as(emu, client_id: str) -> httpx.Client:
    return client(emu, token(emu, client_id, CLIENTS[client_id]))


def test_permissions_of_the_role_decide_and_403_names_the_permission(emulator_factory):
    emu = emulator_factory(**FAST_JOBS, clients=CLIENTS, client_permissions=PERMISSIONS)
    nobody, agent_viewer = _as(emu, "nobody"), _as(emu, "agent-viewer")
    for response in (
        nobody.post(JOBS, json={"interval": DAY}),
        nobody.get(f"{JOBS}/some-id"),
        nobody.get(f"{JOBS}/some-id/results"),
        nobody.delete(f"{JOBS}/some-id"),
        nobody.get(f"{JOBS}/availability"),
        agent_viewer.get(f"{JOBS}/availability"),  # availability needs the first one
    ):
        assert response.status_code == 403
        body = response.json()
        assert (body["status"], body["code"], body["message"]) == (
            403,
            "missing.any.permissions",
            FORBIDDEN,
        )
    created = agent_viewer.post(JOBS, json={"interval": DAY})  # ANY of the two is enough
    assert created.status_code == 202
    assert client(emu).get(f"{JOBS}/availability").status_code == 200  # unnamed: every one
    assert emu.stats()["details_jobs_created"] == 1


def test_401_and_only_inin_headers_on_platform_paths(emulator_factory):
    emu = emulator_factory(**FAST_JOBS)
    anonymous = httpx.get(f"{emu.url}{JOBS}/availability")
    assert anonymous.status_code == 401
    assert {"message", "code", "status", "contextId"} <= set(anonymous.json())
    api = client(emu)
    platform = api.get(f"{JOBS}/availability")
    tutorial = api.get("/api/v2/dataexports/x")
    assert not [h for h in platform.headers if h.lower().startswith("x-ratelimit")]
    assert (platform.headers["inin-ratelimit-count"], tutorial.headers["inin-ratelimit-count"]) == (
        "1",
        "2",
    )
    assert platform.headers["inin-ratelimit-allowed"] == "300"
    assert 1 <= int(platform.headers["inin-ratelimit-reset"]) <= 60
    assert "x-ratelimit-remaining" in tutorial.headers


def test_over_budget_is_the_real_429(emulator_factory):
    emu = emulator_factory(**FAST_JOBS, rate_limit_per_minute=2)
    api = client(emu)
    assert [api.get(f"{JOBS}/availability").status_code for _ in range(2)] == [200, 200]
    refused = api.get(f"{JOBS}/availability")
    assert refused.status_code == 429
    seconds = refused.headers["retry-after"]
    assert 1 <= int(seconds) <= 60
    body = refused.json()
    assert list(body) == ["message", "code", "status", "contextId", "details", "errors"]
    assert body["message"] == (
        f"Rate limit exceeded the maximum. Retry the request in [{seconds}] seconds"
    )
    assert (body["code"], body["status"], body["details"], body["errors"]) == (
        "too.many.requests.retry.after",
        429,
        [],
        [],
    )
    assert re.fullmatch(r"[0-9a-f-]{36}", body["contextId"])
    assert refused.headers["inin-ratelimit-count"] == "2"
    assert "x-ratelimit-remaining" not in refused.headers


def test_settings_from_environment_and_cli(tmp_path):
    env = {
        "CX_EMULATOR_DETAILS_CONVERSATIONS_PER_DAY": "5000",
        "CX_EMULATOR_DETAILS_JOB_DELAY_S": "0",
        "CX_EMULATOR_DETAILS_JOB_LIFETIME_S": "60",
        "CX_EMULATOR_DETAILS_MAX_PAGE_SIZE": "250",
        "CX_EMULATOR_DETAILS_AVAILABILITY_LAG_S": "120",
        "CX_EMULATOR_CLIENT_PERMISSIONS": '{"nobody": []}',
    }
    config = EmulatorConfig.from_env(env)
    assert (config.details_conversations_per_day, config.details_job_delay_s) == (5000, 0.0)
    assert (config.details_job_lifetime_s, config.details_max_page_size) == (60.0, 250)
    assert config.details_availability_lag_s == 120.0
    assert dict(config.client_permissions) == {"nobody": ()}
    argv = [
        "--state-dir", str(tmp_path), "--details-conversations-per-day", "7",
        "--details-job-delay", "0.5", "--details-max-page-size", "10",
        "--client-permissions", '{"nobody": ["analytics:conversationDetail:view"]}',
    ]  # fmt: skip
    parsed = config_from_args(build_parser().parse_args(argv))
    assert (parsed.details_conversations_per_day, parsed.details_job_delay_s) == (7, 0.5)
    assert parsed.client_permissions["nobody"] == (VIEW,)
    assert config_from_args(build_parser().parse_args(config_to_argv(parsed))) == parsed
