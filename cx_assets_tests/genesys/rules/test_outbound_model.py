"""The readable YAML of rule sets and filters: round trips, and shape errors by file and path."""

from __future__ import annotations

from pathlib import Path

import pytest

from cx_assets.defs.rules.outbound_files import outbound_files
from cx_assets.genesys.rules.model import RulesInvalid
from cx_assets.genesys.rules.outbound_api import (
    filter_from_api,
    filter_members,
    rule_set_from_api,
    rule_set_members,
)
from cx_assets.genesys.rules.outbound_model import dump_doc, load_doc, parse_doc
from cx_assets_tests.genesys.rules.outbound_fixtures import contact_filter, org, rule_set


@pytest.mark.parametrize(
    ("kind", "document"), [("rule_set", rule_set()), ("contact_list_filter", contact_filter())]
)
def test_yaml_round_trip_gives_the_same_document(kind, document, tmp_path: Path) -> None:
    doc = parse_doc(kind, document)
    path = tmp_path / "x.yaml"
    path.write_text(dump_doc(doc), encoding="utf-8")
    assert load_doc(kind, path) == doc
    assert dump_doc(load_doc(kind, path)) == dump_doc(doc)


def test_api_round_trip_reads_back_what_was_written() -> None:
    names = org().names
    rules = parse_doc("rule_set", rule_set())
    members = rule_set_members(rules, names)
    served = {**members, "id": "rs-1", "version": 3, "selfUri": "/x", "unknownNewMember": 1}
    served["rules"] = [
        {**r, "id": f"r{i}", "category": r["category"].lower()}
        for i, r in enumerate(members["rules"])
    ]
    assert rule_set_members(rule_set_from_api(served, names, with_queue=False), names) == members
    flt = parse_doc("contact_list_filter", contact_filter())
    members = filter_members(flt, names)
    served = {**members, "id": "f-1", "version": 2, "filterType": "and"}
    assert filter_members(filter_from_api(served, names), names) == members


def test_yaml_values_are_the_strings_the_api_compares() -> None:
    members = rule_set_members(parse_doc("rule_set", rule_set()), org().names)
    predicate = members["rules"][0]["conditions"][0]["predicates"][0]
    assert predicate["comparisonValue"] == "true"
    assert members["rules"][1]["actions"][0]["properties"] == {"callbackOffset": "10"}
    assert members["rules"][0]["conditions"][1]["inverted"] is True


def test_shape_problems_name_the_file_and_the_path(tmp_path: Path) -> None:
    document = rule_set()
    document["rules"][0]["when"][0]["data_action"]["predicates"][0]["opp"] = "equals"
    document["rules"][1]["category"] = "precall"
    document["colour"] = "blue"
    path = tmp_path / "broken.yaml"
    import yaml

    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    with pytest.raises(RulesInvalid) as refused:
        load_doc("rule_set", path)
    text = str(refused.value)
    assert str(path) in text
    assert "rules[0].when[0].data_action.predicates[0].opp" in text
    assert "rules[1].category" in text
    assert "colour" in text


def test_a_condition_names_exactly_one_kind() -> None:
    document = rule_set()
    document["rules"][0]["when"][1]["phone_number"] = {"op": "begins_with", "value": "+1"}
    with pytest.raises(RulesInvalid, match="exactly one of"):
        parse_doc("rule_set", document)


def test_broken_yaml_is_a_problem_of_its_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(RulesInvalid, match=r"bad\.yaml: \(file\): \[yaml\]"):
        load_doc("contact_list_filter", path)


def test_the_repo_sample_files_parse() -> None:
    files = outbound_files()
    assert {f.kind for f in files} == {"rule_set", "contact_list_filter"}
    for f in files:
        load_doc(f.kind, f.path)
