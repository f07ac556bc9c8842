"""The server's 422 rules for a PUT's condition tree, each answered with the node path and the
rule: depth over 10, more than 5 children, NOT without exactly one child, an unknown operator,
dataset or field, a literal that does not fit the field's type, and a dataset-dependency cycle
(with the cycle). The same dataset used twice, and a diamond in `derivedFrom`, are legal. A 422
changes nothing and is audited FAILURE."""

from __future__ import annotations

from typing import Any

import pytest

from cx_assets.emulator import EmulatorServer
from cx_assets_tests.emulator.genesys.rules.test_reads import cmp, read_action
from cx_assets_tests.emulator.genesys.rules.test_writes import audits, put
from cx_assets_tests.emulator.support import api_client

ACTIVE = cmp("EQUALS", "customers", "status", "active")


def nested_not(levels: int, leaf: dict[str, Any]) -> dict[str, Any]:
    node = leaf
    for _ in range(levels):
        node = {"type": "NOT", "children": [node]}
    return node


def and_(*children: dict[str, Any]) -> dict[str, Any]:
    return {"type": "AND", "children": list(children)}


CASES = {
    "depth": (
        nested_not(10, ACTIVE),
        "conditions" + ".children[0]" * 10 + ": nesting depth 11 exceeds the maximum of 10",
    ),
    "children": (
        and_(*[ACTIVE] * 6),
        "conditions: AND has 6 children; at most 5 are allowed",
    ),
    "not_arity": (
        and_(ACTIVE, {"type": "NOT", "children": [ACTIVE, ACTIVE]}),
        "conditions.children[1]: NOT needs exactly 1 child, got 2",
    ),
    "operator": (
        and_(ACTIVE, {**ACTIVE, "type": "LIKE"}),
        'conditions.children[1]: unknown operator "LIKE"',
    ),
    "dataset": (
        and_(cmp("EQUALS", "prospects", "status", "new")),
        'conditions.children[0]: unknown dataset "prospects"',
    ),
    "field": (
        and_(ACTIVE, {"type": "OR", "children": [cmp("EQUALS", "customers", "colour", "red")]}),
        'conditions.children[1].children[0]: unknown field "colour" in dataset customers',
    ),
    "literal_type": (
        and_(ACTIVE, cmp("GREATER_THAN", "customers", "priority", "5")),
        "conditions.children[1]: the literal for customers.priority (number) expects number, "
        'got string "5"',
    ),
    "date_literal": (
        cmp("GREATER_THAN", "orders", "placed", "01/02/2024"),
        "conditions: the literal for orders.placed (date) expects date YYYY-MM-DD",
    ),
    "in_list": (
        cmp("IN", "customers", "tier", []),
        "conditions: the literal for customers.tier (string): IN needs a non-empty list",
    ),
    "cycle": (
        and_(
            ACTIVE,
            ACTIVE,
            {"type": "OR", "children": [cmp("GREATER_THAN", "segments_a", "score", 0.5)]},
        ),
        "conditions.children[2].children[0]: dataset segments_a depends on a dataset dependency "
        "cycle: segments_a -> segments_b -> segments_a",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_rule_is_a_422_naming_the_node_path(emulator: EmulatorServer, case: str) -> None:
    tree, expected = CASES[case]
    client = api_client(emulator)
    response = put(client, "route-vip", {"conditions": tree}, '"1"')
    assert response.status_code == 422, response.text
    assert expected in response.json()["message"]
    assert read_action(client, "route-vip")[0]["version"] == 1
    [record] = audits(client, entityId="route-vip")
    assert (record["status"], record["version"]) == ("FAILURE", 1)


def test_every_problem_is_listed_not_just_the_first(emulator: EmulatorServer) -> None:
    tree = and_(cmp("EQUALS", "prospects", "x", 1), cmp("LESS_THAN", "customers", "vip", 3))
    response = put(api_client(emulator), "route-vip", {"conditions": tree}, '"1"')
    message = response.json()["message"]
    assert "conditions.children[0]: unknown dataset" in message
    assert "conditions.children[1]: the literal for customers.vip (boolean)" in message


def test_same_dataset_twice_and_a_derived_from_diamond_are_legal(
    emulator: EmulatorServer,
) -> None:
    # customers three times; interactions derives from customers and orders, orders from
    # customers: two paths to one dataset, which is no cycle
    tree = and_(
        ACTIVE,
        cmp("GREATER_THAN", "customers", "priority", 5),
        {"type": "NOT", "children": [cmp("IN", "customers", "tier", ["bronze"])]},
        cmp("LESS_THAN", "interactions", "duration_s", 30),
        cmp("STARTS_WITH", "orders", "channel", "we"),
    )
    client = api_client(emulator)
    response = put(client, "route-vip", {"conditions": tree}, '"1"')
    assert response.status_code == 200, response.text
    assert read_action(client, "route-vip")[0]["conditions"] == tree
    # exactly at the limits: depth 10 is allowed
    deepest = nested_not(9, ACTIVE)
    assert put(client, "route-vip", {"conditions": deepest}, '"2"').status_code == 200
