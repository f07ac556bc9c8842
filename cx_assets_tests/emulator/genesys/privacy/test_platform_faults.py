"""Platform GDPR permissions, throttling and fault switches (docs/api-contract.md "Emulator
behaviour and switches for GDPR requests"): a role without the call's permission gets the 403
naming it (before any validation or lookup); throttling is the real 429 with `Retry-After` and
`inin-ratelimit-*`; `http_5xx` and `revoke_tokens` act on `/api/v2/gdpr`; `gdpr_error` ends the
next filed request in ERROR; `gdpr_drop_after_create` files the request, then cuts the
connection before the answer; the settings come from CX_EMULATOR_* and `cx-assets emulator`
flags."""

from __future__ import annotations

import httpx
import pytest

from cx_assets.emulator import EmulatorConfig
from cx_assets.emulator.cli import build_parser, config_from_args, config_to_argv
from cx_assets_tests.emulator.genesys.conversations.platform_support import client, token
from cx_assets_tests.emulator.genesys.privacy.gdpr_support import (
    FAST,
    REQUESTS,
    SUBJECTS,
    export_body,
    file_request,
    wait_done,
)

CLIENTS = {"viewer": "viewer-secret", "searcher": "searcher-secret", "nobody": "nobody-secret"}
PERMISSIONS = {
    "viewer": ["gdpr:request:view"],
    "searcher": ["gdpr:subject:view"],
    "nobody": [],
}
SEARCH = {"searchType": "NAME", "searchValue": "anna"}


def assert_missing(response: httpx.Response, permission: str) -> None:
    assert response.status_code == 403, response.text
    body = response.json()
    assert body["code"] == "missing.any.permissions" and body["status"] == 403
    assert f"[{permission}]" in body["message"]


def test_403_names_the_permission_the_role_lacks(emulator_factory):
    emu = emulator_factory(**FAST, clients=CLIENTS, client_permissions=PERMISSIONS)
    viewer, searcher, nobody = (
        client(emu, token(emu, name, CLIENTS[name])) for name in ("viewer", "searcher", "nobody")
    )
    assert_missing(viewer.post(REQUESTS, json=export_body()), "gdpr:request:add")
    assert_missing(viewer.post(REQUESTS, json={"bad": "body"}), "gdpr:request:add")
    assert viewer.get(REQUESTS).status_code == 200
    assert viewer.get(f"{REQUESTS}/no-such-id").status_code == 404
    assert_missing(viewer.get(SUBJECTS, params=SEARCH), "gdpr:subject:view")
    assert searcher.get(SUBJECTS, params=SEARCH).status_code == 200
    assert_missing(searcher.get(REQUESTS), "gdpr:request:view")
    assert_missing(nobody.get(f"{REQUESTS}/no-such-id"), "gdpr:request:view")
    assert_missing(nobody.get(SUBJECTS, params={}), "gdpr:subject:view")
    assert emu.stats()["gdpr_requests"] == []


def test_throttling_is_the_real_429(emulator_factory):
    emu = emulator_factory(**FAST, rate_limit_per_minute=3)
    api = client(emu)
    emu.add_faults("http_429:retry_after=7,path_prefix=/api/v2/gdpr")
    injected = api.get(REQUESTS)
    assert (injected.status_code, injected.headers["retry-after"]) == (429, "7")
    body = injected.json()
    assert body["message"] == "Rate limit exceeded the maximum. Retry the request in [7] seconds"
    assert (body["code"], body["status"]) == ("too.many.requests.retry.after", 429)
    assert body["contextId"] and body["details"] == [] and body["errors"] == []
    answered = [api.get(REQUESTS) for _ in range(3)]
    assert [r.status_code for r in answered] == [200, 200, 200]
    assert [r.headers["inin-ratelimit-count"] for r in answered] == ["1", "2", "3"]
    assert answered[0].headers["inin-ratelimit-allowed"] == "3"
    assert not any(name.lower().startswith("x-ratelimit") for name in answered[0].headers)
    over = api.get(SUBJECTS, params=SEARCH)
    assert over.status_code == 429 and int(over.headers["retry-after"]) >= 1
    assert over.json()["code"] == "too.many.requests.retry.after"
    assert f"[{over.headers['retry-after']}] seconds" in over.json()["message"]


def test_5xx_and_revoked_tokens_on_gdpr_paths(emulator_factory):
    emu = emulator_factory(**FAST)
    api = client(emu)
    emu.add_faults("http_5xx:status=502,path_prefix=/api/v2/gdpr")
    broken = api.post(REQUESTS, json=export_body())
    assert broken.status_code == 502 and broken.json()["status"] == 502
    assert emu.stats()["gdpr_requests"] == []  # refused before the route: nothing filed
    assert file_request(api)["status"] == "INITIATED"
    emu.add_faults("revoke_tokens:path_prefix=/api/v2/gdpr")
    refused = api.get(REQUESTS)
    assert refused.status_code == 401 and "message" in refused.json()
    assert client(emu).get(REQUESTS).json()["total"] == 1


def test_gdpr_error_ends_the_next_filed_request_in_error(emulator_factory):
    emu = emulator_factory(**FAST)
    api = client(emu)
    emu.add_faults("gdpr_error")
    refused = api.post(REQUESTS, json={"requestType": "GDPR_EXPORT", "subject": {}})
    assert refused.status_code == 400  # a refused POST does not use the switch up
    failed = file_request(api)
    assert failed["status"] == "INITIATED"
    done = wait_done(api, failed["id"])
    assert done["status"] == "ERROR"
    assert "resultsUrl" not in done and "resultsUrls" not in done
    assert wait_done(api, file_request(api)["id"])["status"] == "COMPLETED"
    assert emu.admin.faults()["fired"]["gdpr_error"] == 1


def test_gdpr_drop_after_create_files_the_request_then_drops_the_answer(emulator_factory):
    emu = emulator_factory(**FAST)
    api = client(emu)
    emu.add_faults("gdpr_drop_after_create")
    subject = {"emailAddresses": ["oliver.bennett@example.org"]}
    with pytest.raises(httpx.RemoteProtocolError):
        api.post(REQUESTS, json=export_body(**subject))
    filed = emu.stats()["gdpr_requests"]
    assert [r["requestType"] for r in filed] == ["GDPR_EXPORT"]
    listed = api.get(REQUESTS).json()["entities"]
    assert [(r["id"], r["subject"]) for r in listed] == [(filed[0]["id"], subject)]
    assert wait_done(api, filed[0]["id"])["status"] == "COMPLETED"
    answered = file_request(api, export_body(**subject))  # the switch fired once
    assert answered["id"] != filed[0]["id"] and len(emu.stats()["gdpr_requests"]) == 2


def test_settings_come_from_the_environment_and_the_cli(tmp_path):
    config = EmulatorConfig.from_env(
        {"CX_EMULATOR_GDPR_STEP_S": "1.5", "CX_EMULATOR_GDPR_RESULTS_FILES": "4"}
    )
    assert (config.gdpr_step_s, config.gdpr_results_files) == (1.5, 4)
    assert (EmulatorConfig().gdpr_step_s, EmulatorConfig().gdpr_results_files) == (0.3, 1)
    args = build_parser().parse_args(
        ["--state-dir", str(tmp_path), "--gdpr-step", "0", "--gdpr-results-files", "2"]
    )
    from_flags = config_from_args(args)
    assert (from_flags.gdpr_step_s, from_flags.gdpr_results_files) == (0.0, 2)
    assert config_from_args(build_parser().parse_args(config_to_argv(from_flags))) == from_flags
    for bad in ({"gdpr_step_s": -1}, {"gdpr_results_files": 0}, {"gdpr_results_files": 101}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            EmulatorConfig(**bad)
