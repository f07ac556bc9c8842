"""The conflict rule: a concurrent edit of other units is kept, one of ours is a conflict."""

from __future__ import annotations

import copy

from cx_assets.genesys.rules.merge import plan_merge
from cx_assets.genesys.rules.outbound_api import rule_set_members
from cx_assets.genesys.rules.outbound_diff import diff_text, live_units, put_body, repo_units
from cx_assets.genesys.rules.outbound_model import parse_doc
from cx_assets_tests.genesys.rules.outbound_fixtures import org, rule_set

SKIP = "rule Skip accounts paid this month"
BUSY = "rule Call back busy lines"


def live_from(document: dict) -> dict:
    """What a server holds for `document`: ids, a version, and a member we do not know."""
    names = org().names
    members = rule_set_members(parse_doc("rule_set", document), names)
    rules = [
        {**r, "id": f"rule-{i}", "futureMember": {"x": 1}} for i, r in enumerate(members["rules"])
    ]
    return {
        **members,
        "rules": rules,
        "id": "rs-1",
        "version": 4,
        "dateModified": "2026-12-01T00:00:00Z",
        "newFeature": True,
    }


def test_server_filled_members_are_no_difference() -> None:
    doc = parse_doc("rule_set", rule_set())
    live = live_from(rule_set())
    assert live_units(doc, live, org().names) == repo_units(doc, org().names)
    assert (
        diff_text(
            live_units(doc, live, org().names),
            repo_units(doc, org().names),
            live_label="a",
            repo_label="b",
        )
        == ""
    )


def _changed_repo() -> dict:
    document = rule_set()
    document["rules"][0]["when"][0]["data_action"]["predicates"][0]["value"] = "false"
    return document


def test_an_edit_of_another_rule_is_kept_and_ours_applied_on_top() -> None:
    names = org().names
    doc = parse_doc("rule_set", _changed_repo())
    base_raw = live_from(rule_set())
    theirs_raw = copy.deepcopy(base_raw)
    theirs_raw["rules"][1]["actions"][0]["properties"]["callbackOffset"] = "30"
    theirs_raw["version"] = 5
    base, ours, theirs = (
        live_units(doc, base_raw, names),
        repo_units(doc, names),
        live_units(doc, theirs_raw, names),
    )
    plan = plan_merge(base, ours, theirs)
    assert plan.clean
    assert plan.ours_changed == {SKIP}
    assert plan.theirs_changed == {BUSY}
    body = put_body(doc, theirs_raw, ours, plan.ours_changed, names)
    assert body["version"] == 5 and body["newFeature"] is True
    assert body["rules"][0]["id"] == "rule-0"
    assert body["rules"][0]["conditions"][0]["predicates"][0]["comparisonValue"] == "false"
    assert "futureMember" not in body["rules"][0]  # the rule we rewrote is ours
    assert body["rules"][1]["actions"][0]["properties"]["callbackOffset"] == "30"  # theirs kept
    assert body["rules"][1]["futureMember"] == {"x": 1}


def test_an_edit_of_the_rule_we_change_is_a_conflict_with_all_three_values() -> None:
    names = org().names
    doc = parse_doc("rule_set", _changed_repo())
    base_raw = live_from(rule_set())
    theirs_raw = copy.deepcopy(base_raw)
    theirs_raw["rules"][0]["conditions"][1]["value"] = "CA"
    plan = plan_merge(
        live_units(doc, base_raw, names), repo_units(doc, names), live_units(doc, theirs_raw, names)
    )
    assert not plan.clean
    (conflict,) = plan.conflicts
    assert conflict.unit == SKIP
    assert conflict.theirs["conditions"][1]["value"] == "CA"
    assert conflict.ours["conditions"][0]["predicates"][0]["comparisonValue"] == "false"
    assert conflict.base["conditions"][1]["value"] == "US"


def test_the_same_edit_on_both_sides_is_no_conflict() -> None:
    names = org().names
    doc = parse_doc("rule_set", _changed_repo())
    base_raw = live_from(rule_set())
    theirs_raw = live_from(_changed_repo())
    plan = plan_merge(
        live_units(doc, base_raw, names), repo_units(doc, names), live_units(doc, theirs_raw, names)
    )
    assert plan.clean and not plan.ours_changed


def test_a_rule_removed_from_the_repo_is_removed_and_a_new_one_added() -> None:
    names = org().names
    document = rule_set()
    document["rules"][1] = {**document["rules"][1], "name": "Callback on busy", "order": 2}
    doc = parse_doc("rule_set", document)
    live = live_from(rule_set())
    ours = repo_units(doc, names)
    changed = set(
        plan_merge(live_units(doc, live, names), ours, live_units(doc, live, names)).ours_changed
    )
    assert changed == {BUSY, "rule Callback on busy"}
    body = put_body(doc, live, ours, changed, names)
    assert [r["name"] for r in body["rules"]] == [
        "Skip accounts paid this month",
        "Callback on busy",
    ]
    assert "id" not in body["rules"][1]


def test_an_unreadable_live_rule_differs_and_is_shown() -> None:
    names = org().names
    doc = parse_doc("rule_set", rule_set())
    live = live_from(rule_set())
    live["rules"][1]["conditions"][0]["type"] = "quantumCondition"
    units = live_units(doc, live, names)
    assert "quantumCondition" in units[BUSY]["unreadable"]
    text = diff_text(units, repo_units(doc, names), live_label="live", repo_label="repo")
    assert "quantumCondition" in text and "callAnalysisCondition" in text
