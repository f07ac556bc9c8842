"""Where the repo keeps its data table import declarations (one YAML file per import), where
their source files may live, and how long a source's cells may be."""

import os
from pathlib import Path

from cx_assets.flows.datatables import SourceRules
from cx_assets.genesys.datatables.source_paths import ROOTS_SETTING
from cx_assets.lake.datatables_sources import DEFAULT_MAX_FIELD_CHARS

#: The package's own declarations; `CX_DATATABLE_IMPORTS_DIR` points elsewhere.
IMPORTS_DIR = Path(__file__).resolve().parent / "imports"
#: The longest cell a CSV/JSONL source may hold (default `DEFAULT_MAX_FIELD_CHARS`).
MAX_FIELD_SETTING = "CX_DATATABLE_IMPORT_MAX_FIELD_CHARS"


def imports_dir() -> Path:
    return Path(os.environ.get("CX_DATATABLE_IMPORTS_DIR") or IMPORTS_DIR)


def import_roots() -> tuple[Path, ...]:
    """The folders a `source` may resolve inside: the imports folder, then every folder of
    `CX_DATATABLE_IMPORT_ROOTS` (os.pathsep-separated, like PATH; empty entries ignored)."""
    extra = os.environ.get(ROOTS_SETTING, "").split(os.pathsep)
    return (imports_dir(), *(Path(entry).expanduser() for entry in extra if entry.strip()))


def max_field_chars() -> int:
    """`CX_DATATABLE_IMPORT_MAX_FIELD_CHARS`, or the default; not a positive whole number: a
    ValueError naming the setting (raised when an import runs, failing that import only)."""
    raw = os.environ.get(MAX_FIELD_SETTING, "").strip()
    if not raw:
        return DEFAULT_MAX_FIELD_CHARS
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{MAX_FIELD_SETTING}={raw!r} is not a positive whole number")
    return int(raw)


def source_rules() -> SourceRules:
    """What every declared import's source is held to, read from the settings when it runs."""
    return SourceRules(roots=import_roots(), max_field_chars=max_field_chars())
