"""Where the repo keeps its data table import declarations (one YAML file per import)."""

import os
from pathlib import Path

#: The package's own declarations; `CX_DATATABLE_IMPORTS_DIR` points elsewhere.
IMPORTS_DIR = Path(__file__).resolve().parent / "imports"


def imports_dir() -> Path:
    return Path(os.environ.get("CX_DATATABLE_IMPORTS_DIR") or IMPORTS_DIR)
