"""SQL views over the Parquet lake, so users query datasets by name in `catalog.duckdb`.

Each flow registers its dataset once (name, Parquet glob under the lake root, typed columns);
`refresh_views` turns the registry into `CREATE OR REPLACE VIEW`s. While a dataset has no file
yet its view is typed and empty, so a query on a fresh catalog returns no rows instead of failing.
View DDL cannot take parameters, so every piece that enters it is validated or escaped here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import duckdb

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")
# A relative glob made of path parts: letters, digits, '_', '-', '.', '=', '*', '?'; no '..'.
_GLOB_PART = re.compile(r"[A-Za-z0-9_.=*?-]+")


@dataclass(frozen=True)
class DatasetView:
    """A dataset the catalog exposes as a view.

    Attributes:
        name: view name, `^[a-z_][a-z0-9_]*$`.
        glob: Parquet files relative to the lake root,
            e.g. `genesys/conversations/date=*/*.parquet`.
        columns: (name, DuckDB type) in order; the types of the empty view (canonicalised).
    """

    name: str
    glob: str
    columns: tuple[tuple[str, str], ...]

    def __post_init__(self) -> None:
        _check_identifier(self.name, "view name")
        parts = PurePosixPath(self.glob).parts
        if (
            not parts
            or self.glob.startswith("/")
            or any(p == ".." or not _GLOB_PART.fullmatch(p) for p in parts)
        ):
            raise ValueError(
                f"view {self.name}: glob {self.glob!r} must be relative to the lake root and use "
                "only letters, digits, '_', '-', '.', '=', '*', '?' in its parts (no '..')"
            )
        if not self.columns:
            raise ValueError(f"view {self.name}: at least one column is required")
        columns = tuple(
            (_check_identifier(col, f"view {self.name} column"), _canonical_type(self.name, typ))
            for col, typ in self.columns
        )
        object.__setattr__(self, "columns", columns)


def _check_identifier(value: str, what: str) -> str:
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
        raise ValueError(f"{what} {value!r} is not allowed: use ^[a-z_][a-z0-9_]*$")
    return value


def _canonical_type(view: str, type_name: str) -> str:
    """DuckDB's own spelling of `type_name`; parsing it is what keeps SQL out of the DDL."""
    try:
        return str(duckdb.sqltype(type_name))
    except duckdb.Error:
        raise ValueError(f"view {view}: {type_name!r} is not a DuckDB type") from None


_REGISTRY: dict[str, DatasetView] = {}


def register_dataset_view(
    name: str, glob_relative: str, columns: Iterable[Sequence[str]]
) -> DatasetView:
    """Declare a dataset view; call at import time of the flow that writes the dataset.

    `columns` yields (name, type, ...) items, so `lake.conversations.CONVERSATION_COLUMNS`
    can be passed as is. Registering the same name again replaces the declaration.
    """
    view = DatasetView(name, glob_relative, tuple((c[0], c[1]) for c in columns))
    _REGISTRY[name] = view
    return view


def registered_views() -> tuple[DatasetView, ...]:
    """Every registered view, in registration order."""
    return tuple(_REGISTRY.values())


def _literal(text: str) -> str:
    """A SQL string literal (standard SQL quoting: DuckDB does not treat backslash specially)."""
    return "'" + text.replace("'", "''") + "'"


def view_sql(view: DatasetView, lake_root: Path) -> str:
    """The CREATE OR REPLACE VIEW statement: over the files if any exist, else typed and empty."""
    lake_root = Path(lake_root).resolve()
    if any(lake_root.glob(view.glob)):
        pattern = (lake_root / view.glob).as_posix()
        source = (
            f"SELECT * FROM read_parquet({_literal(pattern)}, "
            "hive_partitioning = false, union_by_name = true)"
        )
    else:
        typed_nulls = ", ".join(f"CAST(NULL AS {typ}) AS {col}" for col, typ in view.columns)
        source = f"SELECT {typed_nulls} WHERE false"
    return f"CREATE OR REPLACE VIEW {view.name} AS {source}"


def refresh_views(
    con: duckdb.DuckDBPyConnection,
    lake_root: Path,
    views: Sequence[DatasetView] | None = None,
) -> list[str]:
    """(Re)create the given views, by default every registered one; returns their names."""
    chosen = registered_views() if views is None else tuple(views)
    for view in chosen:
        con.execute(view_sql(view, lake_root))
    return [v.name for v in chosen]
