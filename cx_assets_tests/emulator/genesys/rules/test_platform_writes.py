"""Platform rules writes (docs/api-contract.md "PUT …: version locking" and "Emulator behaviour
and switches for platform rules"): a landed PUT raises the version and `dateModified` and is
audited with the OAuth client; a stale version is 409 (400 under `version_conflict_400`) and
audited FAILURE; no version is 400; POST creates version 1; the admin-UI edit is audited as the
person; `concurrent_edit` (with and without `match`) makes a fresh version stale; the tutorial
switch's `match=name` renames the data action; every PUT shows in `/admin/stats`; a restart
keeps edits and audits."""

from __future__ import annotations

import time

from cx_assets_tests.emulator.genesys.conversations.platform_support import client
from cx_assets_tests.emulator.genesys.rules.platform_rules_support import (
    DANA,
    FAST,
    FILTER,
    FILTERS,
    RULE_SET,
    RULE_SETS,
    SPRING,
    admin_edit,
    audits_of,
    put,
    read,
)
from cx_assets_tests.emulator.support import api_client

PREDICATE = "/rules/0/conditions/0/predicates/0/comparisonValue"


def test_put_raises_version_and_is_audited_with_the_client(emulator_factory) -> None:
    emu = emulator_factory(**FAST)
    api = client(emu)
    rule_set = read(api, f"{RULE_SETS}/{RULE_SET}")
    time.sleep(0.002)  # dateModified has milliseconds
    rule_set["rules"][0]["conditions"][0]["predicates"][0]["comparisonValue"] = "false"
    response = put(api, RULE_SETS, rule_set)
    assert response.status_code == 200, response.text
    stored = response.json()
    assert stored["version"] == 2 and stored["dateModified"] > rule_set["dateModified"]
    assert stored["rules"][0]["id"] == rule_set["rules"][0]["id"]  # rule ids are kept
    assert read(api, f"{RULE_SETS}/{RULE_SET}") == stored
    update, create = audits_of(api, RULE_SET)
    assert (update["action"], update["status"], update["entityType"]) == (
        "Update",
        "SUCCESS",
        "RuleSet",
    )
    assert update["serviceName"] == "Outbound" and update["client"] == {"id": emu.client_id}
    assert "user" not in update and update["entity"] == {"id": RULE_SET, "name": stored["name"]}
    assert [c["property"] for c in update["propertyChanges"]] == ["rules"]
    assert (create["action"], create["user"]["id"]) == ("Create", "system")
    assert emu.stats()["outbound_puts"] == [{"entity": "ruleset", "id": RULE_SET, "status": 200}]


def test_stale_version_is_409_or_400_under_the_switch_and_audited(emulator_factory) -> None:
    emu = emulator_factory(**FAST)
    api = client(emu)
    contact_filter = read(api, f"{FILTERS}/{FILTER}")
    assert put(api, FILTERS, contact_filter).json()["version"] == 2
    stale = put(api, FILTERS, {**contact_filter, "name": "Mine"})
    assert stale.status_code == 409
    body = stale.json()
    assert body["code"] == "conflict"
    assert body["message"] == "The version supplied (1) does not match the current version (2)"
    emu.add_faults(f"version_conflict_400:path_prefix={FILTERS}")
    as_400 = put(api, FILTERS, contact_filter)
    assert as_400.status_code == 400 and as_400.json()["code"] == "bad.request"
    assert "does not match the current version (2)" in as_400.json()["message"]
    assert put(api, FILTERS, contact_filter).status_code == 409  # the switch fired once
    records = audits_of(api, FILTER)
    assert [(r["action"], r["status"]) for r in records] == [
        ("Update", "FAILURE"),
        ("Update", "FAILURE"),
        ("Update", "FAILURE"),
        ("Update", "SUCCESS"),
        ("Create", "SUCCESS"),
    ]
    assert read(api, f"{FILTERS}/{FILTER}")["name"] == contact_filter["name"]
    statuses = [p["status"] for p in emu.stats()["outbound_puts"]]
    assert statuses == [200, 409, 400, 409]


def test_missing_version_unknown_id_and_post(emulator) -> None:
    api = client(emulator)
    rule_set = read(api, f"{RULE_SETS}/{RULE_SET}")
    unversioned = {k: v for k, v in rule_set.items() if k != "version"}
    response = api.put(f"{RULE_SETS}/{RULE_SET}", json=unversioned)
    assert response.status_code == 400 and response.json()["details"][0]["fieldName"] == "version"
    assert api.put(f"{RULE_SETS}/nope", json=rule_set).status_code == 404
    new = {"name": "Collections calls", "contactList": {"id": SPRING}, "rules": []}
    created = api.post(RULE_SETS, json=new)
    assert created.status_code == 200, created.text
    body = created.json()
    assert body["version"] == 1 and body["id"] and body["contactList"]["name"] == "Spring renewals"
    assert read(api, f"{RULE_SETS}/{body['id']}") == body
    again = api.post(RULE_SETS, json=new)
    assert again.status_code == 400 and again.json()["details"][0]["fieldName"] == "name"
    with_id = api.post(FILTERS, json={"id": FILTER, "name": "x", "contactList": {"id": SPRING}})
    assert with_id.status_code == 400 and with_id.json()["details"][0]["fieldName"] == "id"


def test_admin_edit_is_audited_as_the_person(emulator_factory) -> None:
    emu = emulator_factory(**FAST)
    api = client(emu)
    edited = admin_edit(emu, "ruleset", RULE_SET, set={PREDICATE: "false", "/name": "Renamed"})
    assert edited.status_code == 200, edited.text
    assert edited.json()["version"] == 2 and edited.json()["name"] == "Renamed"
    stored = read(api, f"{RULE_SETS}/{RULE_SET}")
    assert stored["rules"][0]["conditions"][0]["predicates"][0]["comparisonValue"] == "false"
    bare = audits_of(api, RULE_SET)[0]
    assert bare["user"] == {"id": DANA["id"]} and "client" not in bare
    assert bare["application"] == "Genesys Cloud admin"
    assert {c["property"] for c in bare["propertyChanges"]} == {"name", "rules"}
    assert audits_of(api, RULE_SET, expand="user")[0]["user"] == DANA
    who = {"id": "u-2", "name": "Sam Berg"}
    assert (
        admin_edit(emu, "contactlistfilter", FILTER, set={"/filterType": "OR"}, user=who).json()[
            "version"
        ]
        == 2
    )
    assert audits_of(api, FILTER, expand="user")[0]["user"] == who
    assert admin_edit(emu, "ruleset", RULE_SET, set={"/nothing": 1}).status_code == 400
    assert admin_edit(emu, "ruleset", RULE_SET, set={"/version": 9}).status_code == 400
    assert admin_edit(emu, "ruleset", "nope", set={"/name": "x"}).status_code == 404
    assert read(api, f"{RULE_SETS}/{RULE_SET}")["version"] == 2


def test_concurrent_edit_makes_a_fresh_version_stale(emulator_factory) -> None:
    emu = emulator_factory(**FAST)
    api = client(emu)
    rule_set = read(api, f"{RULE_SETS}/{RULE_SET}")
    emu.add_faults(
        {
            "kind": "concurrent_edit",
            "path_prefix": f"{RULE_SETS}/{RULE_SET}",
            "match": f'{PREDICATE}="false"',
        }
    )
    response = put(api, RULE_SETS, {**rule_set, "name": "Mine"})
    assert response.status_code == 409
    assert "supplied (1)" in response.json()["message"] and "current version (2)" in response.text
    now = read(api, f"{RULE_SETS}/{RULE_SET}")
    assert now["rules"][0]["conditions"][0]["predicates"][0]["comparisonValue"] == "false"
    assert now["name"] == rule_set["name"]
    failure, foreign = audits_of(api, RULE_SET, expand="user")[:2]
    assert failure["status"] == "FAILURE" and foreign["user"] == DANA
    contact_filter = read(api, f"{FILTERS}/{FILTER}")
    emu.add_faults({"kind": "concurrent_edit", "path_prefix": f"{FILTERS}/{FILTER}"})
    assert put(api, FILTERS, contact_filter).status_code == 409
    renamed = read(api, f"{FILTERS}/{FILTER}")
    assert renamed["name"] == contact_filter["name"] + " (edited)" and renamed["version"] == 2
    assert put(api, FILTERS, renamed).status_code == 200  # re-read and retry lands


def test_tutorial_concurrent_edit_match_name_renames_the_action(emulator) -> None:
    api = api_client(emulator)
    action = api.get("/api/v2/dataactions/route-vip")
    tag, body = action.headers["ETag"], action.json()
    emulator.add_faults(
        {"kind": "concurrent_edit", "path_prefix": "/api/v2/dataactions/route-vip", "match": "name"}
    )
    answer = api.put(
        "/api/v2/dataactions/route-vip",
        json={"conditions": body["conditions"]},
        headers={"If-Match": tag},
    )
    assert answer.status_code == 409
    now = api.get("/api/v2/dataactions/route-vip").json()
    assert now["name"] == body["name"] + " (edited)" and now["conditions"] == body["conditions"]
    assert now["version"] == 2


def test_edits_and_audits_survive_a_restart(emulator_factory) -> None:
    emu = emulator_factory(**FAST)
    api = client(emu)
    rule_set = read(api, f"{RULE_SETS}/{RULE_SET}")
    assert put(api, RULE_SETS, {**rule_set, "name": "Kept"}).status_code == 200
    emu.restart()
    api = client(emu)  # tokens are in memory: a new one after the restart
    assert read(api, f"{RULE_SETS}/{RULE_SET}")["version"] == 2
    assert read(api, f"{RULE_SETS}/{RULE_SET}")["name"] == "Kept"
    assert [r["action"] for r in audits_of(api, RULE_SET)] == ["Update", "Create"]
    assert (emu.config.state_dir / "outbound" / "state.json").exists()
