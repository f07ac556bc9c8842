"""Imports into data tables, declared in the repo: one YAML file per import.

```yaml
# cx_assets/defs/datatables/imports/customer_tiers_update.yaml
name: customer_tiers_update          # the asset becomes datatable_import_customer_tiers_update
table_id: 6b1f6a0e-1c2d-4e5f-8a9b-000000000001
source: files/customer_tiers_update.csv   # CSV, JSONL or Parquet, relative to this file
description: Tier changes agreed with the CRM team
```

Instead of `source`, `query` (SQL on the catalog, read-only) with `deps` (the asset keys it reads)
pushes rows derived from other assets, and the lineage shows in the UI. Instead of `table_id`,
`table` names the table (its name, as people see it; resolved when the import runs). Platform
mode upserts by key (`mode: append`, the default); `mode: replace_all` makes the table exactly
the source, deleting every other row, and needs `confirm_replace_all: true` beside it. `api_mode`
(`platform` or `tutorial`) ties a declaration to the API whose table it names.
The folder is the caller's (the Dagster layer keeps the repo's in `defs/datatables/imports/`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")


class ImportDeclaration(BaseModel):
    """One import: where its rows come from and which table they go to."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="lowercase letters, digits and '_'; names the asset")
    table_id: str | None = Field(
        default=None, min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
    )
    table: str | None = Field(default=None, min_length=1, max_length=256)
    mode: Literal["append", "replace_all"] = "append"
    confirm_replace_all: bool = False
    api_mode: Literal["platform", "tutorial"] | None = None
    source: Path | None = None
    query: str | None = None
    deps: tuple[str, ...] = ()
    description: str | None = None
    chunk_size: int = Field(default=250, ge=50, le=1000)
    declared_in: Path | None = None

    @model_validator(mode="after")
    def _one_source(self) -> ImportDeclaration:
        if not _NAME.fullmatch(self.name):
            raise ValueError(f"name {self.name!r}: use lowercase letters, digits, '_' (max 63)")
        if (self.source is None) == (self.query is None):
            raise ValueError("give exactly one of source (a file) or query (SQL on the catalog)")
        if (self.table_id is None) == (self.table is None):
            raise ValueError("give exactly one of table_id or table (the table's name)")
        if self.mode == "replace_all" and not self.confirm_replace_all:
            raise ValueError(
                "mode replace_all deletes every row of the table the source does not hold: "
                "add confirm_replace_all: true to say that is meant"
            )
        if self.source is not None and self.source.suffix.lower() not in SUFFIXES:
            raise ValueError(
                f"source {self.source}: the format must be one of {', '.join(sorted(SUFFIXES))}"
            )
        return self

    @property
    def table_label(self) -> str:
        """The table as the declaration names it: its name, or its id."""
        return repr(self.table) if self.table else str(self.table_id)

    @property
    def asset_name(self) -> str:
        return f"datatable_import_{self.name}"

    def source_path(self) -> Path:
        """The source file, relative paths taken from the declaring file's folder."""
        if self.source is None:
            raise ValueError(f"import {self.name} reads a query, not a file")
        base = self.declared_in.parent if self.declared_in else Path.cwd()
        return (base / self.source).resolve()


SUFFIXES = {".csv", ".jsonl", ".ndjson", ".parquet"}


class DeclarationError(ValueError):
    """A declaration file that cannot be used; the message names the file and the field."""


def _describe(exc: ValidationError) -> str:
    """Pydantic's errors as `field <name>: <reason>` (the whole declaration when no field)."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        reason = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"field {where}: {reason}" if where else reason)
    return "; ".join(parts)


def load_declaration_file(path: Path) -> ImportDeclaration:
    """One declaration file, or a `DeclarationError` naming the file, the field and the reason."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise DeclarationError(f"{path}: not readable YAML: {exc}") from None
    if not isinstance(data, dict):
        raise DeclarationError(f"{path}: expected a mapping of fields, got {type(data).__name__}")
    try:
        return ImportDeclaration.model_validate({**data, "declared_in": path})
    except ValidationError as exc:
        raise DeclarationError(f"{path}: {_describe(exc)}") from None


@dataclass(frozen=True)
class DeclaredFile:
    """One file of the folder: its declaration, or why it has none (`error`)."""

    path: Path
    declaration: ImportDeclaration | None
    error: str | None = None


def declaration_files(folder: Path) -> list[DeclaredFile]:
    """Every `*.yaml` / `*.yml` in the folder, sorted by file name, each loaded on its own: a
    broken file (bad YAML, a field that does not validate, a name another file already has)
    carries its error instead of stopping the others."""
    files: list[DeclaredFile] = []
    owners: dict[str, Path] = {}
    for path in sorted(folder.glob("*.y*ml")):
        try:
            declaration = load_declaration_file(path)
        except DeclarationError as exc:
            files.append(DeclaredFile(path, None, str(exc)))
            continue
        if declaration.name in owners:
            error = (
                f"{path}: field name: import name {declaration.name!r} is already declared in "
                f"{owners[declaration.name]}"
            )
            files.append(DeclaredFile(path, None, error))
            continue
        owners[declaration.name] = path
        files.append(DeclaredFile(path, declaration))
    return files


def load_declarations(folder: Path) -> list[ImportDeclaration]:
    """Every declaration of the folder, sorted by name; the first broken file raises its
    `DeclarationError` (callers that must carry on past one use `declaration_files`)."""
    found: list[ImportDeclaration] = []
    for file in declaration_files(folder):
        if file.declaration is None:
            raise DeclarationError(file.error)
        found.append(file.declaration)
    return sorted(found, key=lambda d: d.name)
