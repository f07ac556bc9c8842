"""Contract: a declaration names its table by id or by name; the name is found case-blind, and
a missing or ambiguous name fails naming the declaration and what the org has."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from cx_assets.flows.datatables_names import TableNotFound, resolve_table_id
from cx_assets.genesys.datatables.declarations import ImportDeclaration


@dataclass(frozen=True)
class Table:
    id: str
    name: str


TABLES = [Table("t-1", "Customer Tiers"), Table("t-2", "VIP List"), Table("t-3", "VIP list ")]


def _declaration(**table: str) -> ImportDeclaration:
    return ImportDeclaration(name="tiers", source="x.csv", **table)  # type: ignore[arg-type]


def test_an_id_is_used_as_given_and_a_name_is_found_case_blind() -> None:
    assert resolve_table_id(_declaration(table_id="t-9"), TABLES) == "t-9"
    assert resolve_table_id(_declaration(table=" customer tiers"), TABLES) == "t-1"


def test_a_missing_or_ambiguous_name_is_refused_saying_what_exists() -> None:
    with pytest.raises(TableNotFound, match=r"no data table is named 'Tiers'.*'Customer Tiers'"):
        resolve_table_id(_declaration(table="Tiers"), TABLES)
    with pytest.raises(TableNotFound, match=r"2 data tables are named 'VIP List' \(t-2, t-3\)"):
        resolve_table_id(_declaration(table="VIP List"), TABLES)


def test_a_declaration_needs_one_table_and_a_confirmed_replace_all() -> None:
    with pytest.raises(ValueError, match="exactly one of table_id or table"):
        ImportDeclaration(name="x", source="x.csv")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="confirm_replace_all: true"):
        _declaration(table="VIP List", mode="replace_all")
    confirmed = ImportDeclaration(
        name="x", source="x.csv", table="VIP List", mode="replace_all", confirm_replace_all=True
    )  # type: ignore[arg-type]
    assert confirmed.mode == "replace_all"
