"""Validation against the org, before any write: each rule names file, path and rule broken."""

from __future__ import annotations

from typing import Any

import pytest

from cx_assets.genesys.rules.model import RuleProblem
from cx_assets.genesys.rules.outbound_model import parse_doc
from cx_assets.genesys.rules.outbound_validation import filter_problems, rule_set_problems
from cx_assets_tests.genesys.rules.outbound_fixtures import contact_filter, org, rule_set

SOURCE = "rule_sets/spring.yaml"


def problems(document: dict[str, Any]) -> list[RuleProblem]:
    return rule_set_problems(parse_doc("rule_set", document), org(), SOURCE)


def only(found: list[RuleProblem]) -> RuleProblem:
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


def first_predicate(document: dict[str, Any]) -> dict[str, Any]:
    return document["rules"][0]["when"][0]["data_action"]["predicates"][0]


def test_the_sample_is_valid() -> None:
    assert problems(rule_set()) == []
    assert filter_problems(parse_doc("contact_list_filter", contact_filter()), org(), SOURCE) == []


def test_unknown_column() -> None:
    document = rule_set()
    document["rules"][0]["when"][1]["contact_attribute"]["column"] = "regoin"
    found = only(problems(document))
    assert (found.file, found.path, found.rule) == (
        SOURCE,
        "rules[0].when[1].contact_attribute.column",
        "column",
    )
    assert "'regoin' is not in contact list 'Spring renewals'" in found.message
    assert "account_number, region" in found.message


def test_unknown_column_passed_to_a_data_action() -> None:
    document = rule_set()
    document["rules"][0]["when"][0]["data_action"]["inputs"] = {"accountNumber": "acct"}
    assert only(problems(document)).path == "rules[0].when[0].data_action.inputs.accountNumber"


def test_unknown_input_field() -> None:
    document = rule_set()
    document["rules"][0]["when"][0]["data_action"]["contact_id_field"] = "contact"
    found = only(problems(document))
    assert found.rule == "input"
    assert "has no input field 'contact'" in found.message


def test_unknown_output_field() -> None:
    document = rule_set()
    first_predicate(document)["output"] = "paidRecently"
    found = only(problems(document))
    assert (found.path, found.rule) == (
        "rules[0].when[0].data_action.predicates[0].output",
        "output_field",
    )
    assert "Lookup account balance has no output field 'paidRecently'" in found.message
    assert "paidLast30Days" in found.message


def test_an_object_output_cannot_be_tested() -> None:
    document = rule_set()
    first_predicate(document)["output"] = "address"
    found = only(problems(document))
    assert found.rule == "output_type"
    assert "only boolean, integer, number, string outputs" in found.message


@pytest.mark.parametrize(
    ("output", "value"), [("paidLast30Days", "yes"), ("balance", "lots"), ("openTickets", "2.5")]
)
def test_type_mismatch_of_a_comparison_value(output: str, value: str) -> None:
    document = rule_set()
    first_predicate(document).update(output=output, value=value)
    found = only(problems(document))
    assert (found.path, found.rule) == ("rules[0].when[0].data_action.predicates[0].value", "type")


def test_type_mismatch_of_a_contact_attribute() -> None:
    document = rule_set()
    document["rules"][0]["when"][1]["contact_attribute"] = {
        "column": "balance",
        "op": "greater_than",
        "value": "much",
        "type": "numeric",
    }
    assert only(problems(document)).rule == "type"


@pytest.mark.parametrize(
    ("output", "op"), [("paidLast30Days", "greater_than"), ("balance", "contains")]
)
def test_illegal_operator_for_an_output_type(output: str, op: str) -> None:
    document = rule_set()
    first_predicate(document).update(
        output=output, op=op, value="1" if output == "balance" else "true"
    )
    found = only(problems(document))
    assert (found.path, found.rule) == ("rules[0].when[0].data_action.predicates[0].op", "operator")


def test_illegal_operator_for_a_value_type() -> None:
    document = rule_set()
    document["rules"][0]["when"][1]["contact_attribute"]["op"] = "before"
    found = only(problems(document))
    assert found.rule == "operator"
    assert "before does not apply to a string value" in found.message


def test_duplicate_order() -> None:
    document = rule_set()
    document["rules"][1]["order"] = 0
    found = only(problems(document))
    assert (found.path, found.rule) == ("rules[1].order", "order")
    assert "also the order of rule 'Skip accounts paid this month'" in found.message


def test_call_analysis_only_in_wrap_up_rules() -> None:
    document = rule_set()
    document["rules"][1]["category"] = "pre-call"
    assert only(problems(document)).rule == "category"


def test_more_than_ten_sub_conditions_is_the_documented_limit() -> None:
    document = rule_set()
    sub = {"type": "day_of_week", "op": "equals", "value": "1"}
    document["rules"][0]["when"].append(
        {"time_and_date": {"time_zone": "Europe/Dublin", "when": [sub] * 11}}
    )
    from cx_assets.genesys.rules.model import RulesInvalid

    with pytest.raises(
        RulesInvalid, match=r"rules\[0\]\.when\[2\]\.time_and_date\.when.*at most 10"
    ):
        parse_doc("rule_set", document)


def test_sub_condition_values_and_time_zone() -> None:
    document = rule_set()
    document["rules"][0]["when"].append(
        {
            "time_and_date": {
                "time_zone": "Mars/Olympus",
                "when": [{"type": "time_of_day", "op": "after", "value": "25:00"}],
            }
        }
    )
    rules = {p.rule for p in problems(document)}
    assert rules == {"time_zone", "type"}


def test_filter_unknown_column_illegal_operator_and_ranges() -> None:
    document = contact_filter()
    document["clauses"][0]["where"][0]["column"] = "country"
    document["clauses"][1]["where"][0].update(min=None, max="5000")
    document["clauses"][1]["where"].append(
        {"column": "balance", "type": "numeric", "op": "contains", "value": "1"}
    )
    found = filter_problems(parse_doc("contact_list_filter", document), org(), SOURCE)
    by_path = {p.path: p.rule for p in found}
    assert by_path == {
        "clauses[0].where[0].column": "column",
        "clauses[1].where[0]": "range",
        "clauses[1].where[2].op": "operator",
    }
