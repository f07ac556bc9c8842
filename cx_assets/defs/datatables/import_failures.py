"""Failures of a declared import that no retry can fix: the declaration, its source file or a
setting is wrong. They fail the asset once (`allow_retries=False`), naming the declaration file
and the reason, before any request is sent."""

import dagster as dg

from cx_assets.defs.datatables.import_files import source_rules
from cx_assets.flows.datatables import SourceRules
from cx_assets.genesys.datatables.declarations import DeclarationError, ImportDeclaration
from cx_assets.lake.datatables_sources import SourceUnreadable

#: Raised by reading the source (or by the declaration's own rules): bad input, not the wire.
INPUT_ERRORS = (DeclarationError, SourceUnreadable, FileNotFoundError)


def input_failure(declaration: ImportDeclaration, exc: Exception) -> dg.Failure:
    """A non-retried failure naming the declaration file and what is wrong with the input."""
    where = f" ({declaration.declared_in})" if declaration.declared_in else ""
    return dg.Failure(
        description=f"Import {declaration.name}{where} halted before sending anything: {exc}",
        allow_retries=False,
    )


def rules_for(declaration: ImportDeclaration) -> SourceRules:
    """The settings' source rules; a setting that does not read fails this import only."""
    try:
        return source_rules()
    except ValueError as exc:
        raise input_failure(declaration, exc) from None
