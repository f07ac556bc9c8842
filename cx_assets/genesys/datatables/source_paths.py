"""Where an import's `source` file may live: inside the imports folder, or a root allowed
explicitly, judged after symlinks and `..` are resolved.

A declaration is a file anyone with commit rights can add; without this rule `source:
/etc/passwd` or `source: ../../secrets.csv` (or a symlink in the folder pointing out of it)
would be read and pushed to the vendor. The check runs before the source is opened, so a
refused source sends nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cx_assets.genesys.datatables.declarations import DeclarationError, ImportDeclaration

#: The setting that allows more roots (os.pathsep-separated folders), named in refusals.
ROOTS_SETTING = "CX_DATATABLE_IMPORT_ROOTS"


class SourceOutsideRoots(DeclarationError):
    """A `source` that resolves outside every allowed folder; nothing was read or sent."""


def resolve_source(declaration: ImportDeclaration, roots: Sequence[Path]) -> Path:
    """The declaration's source file, resolved, if it lies inside one of `roots` (resolved
    too, so a root that is itself a symlink still counts); else `SourceOutsideRoots` naming the
    declaration file, the `source` field and the folder(s) it must be inside."""
    path = declaration.source_path()  # relative to the declaring file, symlinks and .. resolved
    allowed = [Path(root).resolve() for root in roots]
    if any(path.is_relative_to(root) for root in allowed):
        return path
    where = declaration.declared_in or f"import {declaration.name}"
    folders = " or ".join(str(root) for root in allowed) or "(no folder allowed)"
    raise SourceOutsideRoots(
        f"{where}: field source: {declaration.source} resolves to {path}, which is outside "
        f"{folders}; a source must be inside the imports folder (or a folder listed in "
        f"{ROOTS_SETTING}). Nothing was read or sent."
    )
