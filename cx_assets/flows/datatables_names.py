"""Find the table an import declaration names: by id, or by the name people see in Architect."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from cx_assets.genesys.datatables.declarations import ImportDeclaration

SHOWN = 10


class NamedTable(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...


class TableNotFound(LookupError):
    """No table, or more than one, answers to the declaration's `table` name."""


def resolve_table_id(declaration: ImportDeclaration, tables: Sequence[NamedTable]) -> str:
    """The declaration's `table_id`, or the id of the one table whose name is its `table`
    (compared without regard to case or surrounding spaces)."""
    if declaration.table_id:
        return declaration.table_id
    wanted = (declaration.table or "").strip().casefold()
    found = [t for t in tables if t.name.strip().casefold() == wanted]
    if len(found) == 1:
        return found[0].id
    where = f"import {declaration.name} ({declaration.declared_in or 'declaration'})"
    if found:
        ids = ", ".join(t.id for t in found)
        raise TableNotFound(
            f"{where}: {len(found)} data tables are named {declaration.table!r} ({ids}); "
            "give table_id instead"
        )
    names = ", ".join(repr(t.name) for t in tables[:SHOWN]) or "none"
    more = f" and {len(tables) - SHOWN} more" if len(tables) > SHOWN else ""
    raise TableNotFound(
        f"{where}: no data table is named {declaration.table!r}; the org has {names}{more}"
    )
