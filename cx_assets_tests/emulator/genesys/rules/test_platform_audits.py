"""The platform audit query (docs/api-contract.md "Audits: POST /api/v2/audits/query"): Queued ->
Running -> Succeeded over `audit_query_s`, results only once Succeeded, paged by `cursor`
(pageSize 1 to 500), ordered by the sort, narrowed by the filters and the interval;
`audit_query_failed` ends the next query Failed; the path is shared with the tutorial query."""

from __future__ import annotations

import httpx

from cx_assets.emulator import EmulatorConfig
from cx_assets.emulator.cli import build_parser, config_from_args, config_to_argv
from cx_assets_tests.emulator.genesys.conversations.platform_support import client
from cx_assets_tests.emulator.genesys.rules.platform_rules_support import (
    AUDITS,
    DANA,
    FAST,
    FILTER,
    RULE_SET,
    RULE_SETS,
    admin_edit,
    all_results,
    put,
    read,
    refused_field,
    start_query,
    wait_query,
)
from cx_assets_tests.emulator.support import api_client

DESCENDING = [{"name": "Timestamp", "sortOrder": "descending"}]


def _rename(api: httpx.Client, times: int) -> None:
    for n in range(times):
        rule_set = read(api, f"{RULE_SETS}/{RULE_SET}")
        assert put(api, RULE_SETS, {**rule_set, "name": f"Call rules {n}"}).status_code == 200


def test_query_lifecycle_and_results_before_success(emulator_factory) -> None:
    emu = emulator_factory(audit_query_s=0.6)
    api = client(emu)
    transaction_id = start_query(api, ("EntityId", RULE_SET))
    early = api.get(f"{AUDITS}/{transaction_id}/results")
    assert early.status_code == 400 and early.json()["code"] == "bad.request"
    assert wait_query(api, transaction_id) == ["Queued", "Running", "Succeeded"]
    status = read(api, f"{AUDITS}/{transaction_id}")
    assert status["id"] == transaction_id and status["interval"].startswith("2000-01-01")
    [[record]] = all_results(api, transaction_id)
    assert (record["entityType"], record["action"], record["entity"]["id"]) == (
        "RuleSet",
        "Create",
        RULE_SET,
    )
    assert emu.stats()["audit_queries"] == [transaction_id]
    assert api.get(f"{AUDITS}/no-such-query").status_code == 404
    assert api.get(f"{AUDITS}/no-such-query/results").status_code == 404


def test_results_page_by_cursor_in_the_sorted_order(emulator_factory) -> None:
    emu = emulator_factory(**FAST)
    api = client(emu)
    _rename(api, 4)
    newest = start_query(api, ("EntityId", RULE_SET), sort=DESCENDING)
    wait_query(api, newest)
    pages = all_results(api, newest, page_size=2)
    assert [len(page) for page in pages] == [2, 2, 1]
    names = [m["entity"]["name"] for page in pages for m in page]
    assert names == [
        "Call rules 3",
        "Call rules 2",
        "Call rules 1",
        "Call rules 0",
        "Spring renewals call rules",
    ]
    assert pages[-1][0]["action"] == "Create"
    oldest = start_query(api, ("EntityId", RULE_SET))  # no sort: oldest first
    wait_query(api, oldest)
    [page] = all_results(api, oldest, page_size=500)
    assert [m["action"] for m in page] == ["Create", "Update", "Update", "Update", "Update"]
    dates = [m["eventDate"] for m in page]
    assert dates == sorted(dates)
    for size in (0, 501):
        bad = api.get(f"{AUDITS}/{oldest}/results", params={"pageSize": size})
        assert refused_field(bad) == "pageSize"
    bad_cursor = api.get(f"{AUDITS}/{oldest}/results", params={"cursor": "bogus"})
    assert refused_field(bad_cursor) == "cursor"


def test_filters_and_interval_narrow_the_records(emulator_factory) -> None:
    emu = emulator_factory(**FAST)
    api = client(emu)
    _rename(api, 1)
    assert admin_edit(emu, "contactlistfilter", FILTER, set={"/filterType": "OR"}).is_success

    def found(*filters: tuple[str, str], **body: object) -> list[tuple[str, str]]:
        transaction_id = start_query(api, *filters, **body)
        wait_query(api, transaction_id)
        records = [m for page in all_results(api, transaction_id) for m in page]
        return [(m["entityType"], m["action"]) for m in records]

    assert found(("ClientId", emu.client_id)) == [("RuleSet", "Update")]
    assert found(("UserId", DANA["id"])) == [("ContactListFilter", "Update")]
    assert found(("EntityType", "ContactListFilter"), ("Action", "Create")) == [
        ("ContactListFilter", "Create")
    ]
    assert found(("UserId", "system"), ("EntityType", "RuleSet")) == [("RuleSet", "Create")]
    assert found(("TrusteeOrganizationId", "org-1")) == []
    assert found(interval="2000-01-01T00:00:00Z/2001-01-01T00:00:00Z") == []
    assert len(found(serviceName="Outbound")) == 4


def test_bad_query_bodies_are_400_naming_the_member(emulator) -> None:
    api = client(emulator)
    cases = {
        "interval": {"interval": "2026-01-01T00:00:00Z"},
        "filters[0].property": {"interval": "x/y", "filters": [{"property": "Who", "value": "a"}]},
        "sort[0].sortOrder": {
            "interval": "2026-01-01T00:00:00Z/2026-02-01T00:00:00Z",
            "sort": [{"name": "Timestamp", "sortOrder": "sideways"}],
        },
        "size": {"interval": "2026-01-01T00:00:00Z/2026-02-01T00:00:00Z", "size": 5},
    }
    cases["filters[0].property"]["interval"] = "2026-01-01T00:00:00Z/2026-02-01T00:00:00Z"
    for field, body in cases.items():
        response = api.post(AUDITS, json=body)
        assert refused_field(response) == field, response.text
        assert "contextId" in response.json()  # the platform ErrorBody on the shared path
    backwards = {"interval": "2026-02-01T00:00:00Z/2026-01-01T00:00:00Z"}
    assert refused_field(api.post(AUDITS, json=backwards)) == "interval"


def test_audit_query_failed_ends_the_next_query_failed(emulator_factory) -> None:
    emu = emulator_factory(**FAST)
    api = client(emu)
    emu.add_faults("audit_query_failed")
    failed = start_query(api)
    assert wait_query(api, failed)[-1] == "Failed"
    assert api.get(f"{AUDITS}/{failed}/results").status_code == 400
    fine = start_query(api)
    assert wait_query(api, fine)[-1] == "Succeeded"
    assert emu.stats()["audit_queries"] == [failed, fine]


def test_the_tutorial_query_still_answers_on_the_shared_path(emulator) -> None:
    api = api_client(emulator)
    response = api.post(AUDITS, json={"query": {"entityId": "route-vip"}, "size": 5})
    assert response.status_code == 200 and response.json() == {"entities": []}
    bad = api.post(AUDITS, json={"query": {}, "size": 0})
    assert bad.status_code == 400 and "contextId" not in bad.json()  # the tutorial error shape


def test_audit_query_s_comes_from_env_and_flags() -> None:
    assert EmulatorConfig().audit_query_s == 0.2
    assert EmulatorConfig.from_env({"CX_EMULATOR_AUDIT_QUERY_S": "1.5"}).audit_query_s == 1.5
    config = config_from_args(build_parser().parse_args(["--audit-query", "0.05"]))
    assert config.audit_query_s == 0.05
    assert "--audit-query" in config_to_argv(config)
