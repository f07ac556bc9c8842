"""SQL views over the Parquet lake, so users query datasets by name in `catalog.duckdb`.

Each flow registers its dataset once (name, Parquet glob under the lake root, typed columns);
`refresh_views` turns the registry into `CREATE OR REPLACE VIEW`s. While a dataset has no file
yet its view is typed and empty, so a query on a fresh catalog returns no rows instead of failing.
View DDL cannot take parameters, so every piece that enters it is validated or escaped here.

A view name may carry a schema (`cxone.interactions`); the schema is created on refresh. Column
names are plain identifiers unless a view opts in with `quote_columns=True` (vendor spellings such
as `Account Name`): those are double-quoted, embedded quotes doubled.

A view declared with `registered=(source, dataset)` shows only rows whose `export_id` is the
partition's export in the `exports` table: a day whose files went live but whose export a crash
kept from being registered stays out of the view until a re-run registers it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import duckdb

from cx_assets.lake.sql_text import sql_literal

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")
_QUALIFIED = re.compile(r"(?:[a-z_][a-z0-9_]*\.)?[a-z_][a-z0-9_]*")
# A quoted column name: printable text without control characters, at most 255 characters.
_QUOTABLE = re.compile(r"[^\x00-\x1f\x7f]{1,255}")
IDENTIFIER_RULE = "^[a-z_][a-z0-9_]*$"
# A relative glob made of path parts: letters, digits, '_', '-', '.', '=', '*', '?'; no '..'.
_GLOB_PART = re.compile(r"[A-Za-z0-9_.=*?-]+")


@dataclass(frozen=True)
class DatasetView:
    """A dataset the catalog exposes as a view.

    Attributes:
        name: view name, `^[a-z_][a-z0-9_]*$`, optionally schema-qualified (`cxone.interactions`).
        glob: Parquet files relative to the lake root,
            e.g. `genesys/conversations/date=*/*.parquet`.
        columns: (name, DuckDB type) in order; the types of the empty view (canonicalised).
        quote_columns: allow column names that are not plain identifiers (quoted in the DDL).
        registered: (source, dataset) whose registered exports (`exports` table) the rows'
            `export_id` must be among; None shows every file.
    """

    name: str
    glob: str
    columns: tuple[tuple[str, str], ...]
    quote_columns: bool = False
    registered: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _QUALIFIED.fullmatch(self.name):
            raise ValueError(
                f"view name {self.name!r} is not allowed: use {IDENTIFIER_RULE}, "
                "optionally prefixed by a schema of the same form and a '.'"
            )
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
            (self._check_column(col), _canonical_type(self.name, typ)) for col, typ in self.columns
        )
        names = [col for col, _ in columns]
        repeated = sorted({col for col in names if names.count(col) > 1})
        if repeated:
            raise ValueError(f"view {self.name}: column(s) {repeated} occur more than once")
        object.__setattr__(self, "columns", columns)
        if self.registered is not None:
            if "export_id" not in names:
                raise ValueError(f"view {self.name}: registered=... needs an export_id column")
            if len(self.registered) != 2 or not all(
                isinstance(part, str) and _GLOB_PART.fullmatch(part) and "*" not in part
                for part in self.registered
            ):
                raise ValueError(f"view {self.name}: registered must be (source, dataset) names")

    @property
    def schema(self) -> str | None:
        """The schema part of `name`, or None for a view in the default schema."""
        return self.name.split(".", 1)[0] if "." in self.name else None

    @property
    def view_name(self) -> str:
        """`name` without its schema."""
        return self.name.rsplit(".", 1)[-1]

    @property
    def qualified_sql(self) -> str:
        """The view's name as DDL spells it, each part quoted."""
        return ".".join(quote_identifier(part) for part in self.name.split("."))

    def _check_column(self, column: str) -> str:
        what = f"view {self.name} column"
        if self.quote_columns:
            if not isinstance(column, str) or not _QUOTABLE.fullmatch(column):
                raise ValueError(
                    f"{what} {column!r} is not allowed: 1 to 255 characters, no control characters"
                )
            return column
        if not isinstance(column, str) or not _IDENTIFIER.fullmatch(column):
            raise ValueError(
                f"{what} {column!r} is not allowed: use {IDENTIFIER_RULE}, "
                "or declare the view with quote_columns=True for vendor column names"
            )
        return column


def quote_identifier(name: str) -> str:
    """`name` as a double-quoted SQL identifier, embedded quotes doubled (any text is safe)."""
    if "\x00" in name:
        raise ValueError("an SQL identifier cannot contain a NUL character")
    return '"' + name.replace('"', '""') + '"'


def _canonical_type(view: str, type_name: str) -> str:
    """DuckDB's own spelling of `type_name`; parsing it is what keeps SQL out of the DDL."""
    try:
        return str(duckdb.sqltype(type_name))
    except duckdb.Error:
        raise ValueError(f"view {view}: {type_name!r} is not a DuckDB type") from None


_REGISTRY: dict[str, DatasetView] = {}


def register_dataset_view(
    name: str,
    glob_relative: str,
    columns: Iterable[Sequence[str]],
    *,
    quote_columns: bool = False,
    registered: tuple[str, str] | None = None,
) -> DatasetView:
    """Declare a dataset view; call at import time of the flow that writes the dataset.

    `columns` yields (name, type, ...) items, so `lake.conversations_schema.CONVERSATION_COLUMNS`
    can be passed as is. Registering the same name again replaces the declaration. `name` may be
    schema-qualified (`cxone.interactions`); `quote_columns=True` admits vendor column names;
    `registered=(source, dataset)` hides rows of exports the catalog has not registered.
    """
    view = DatasetView(
        name,
        glob_relative,
        tuple((c[0], c[1]) for c in columns),
        quote_columns=quote_columns,
        registered=registered,
    )
    _REGISTRY[name] = view
    return view


def registered_views() -> tuple[DatasetView, ...]:
    """Every registered view, in registration order."""
    return tuple(_REGISTRY.values())


def view_sql(view: DatasetView, lake_root: Path) -> str:
    """The CREATE OR REPLACE VIEW statement: over the files if any exist, else typed and empty."""
    lake_root = Path(lake_root).resolve()
    if any(lake_root.glob(view.glob)):
        pattern = (lake_root / view.glob).as_posix()
        source = (
            f"SELECT * FROM read_parquet({sql_literal(pattern)}, "
            "hive_partitioning = false, union_by_name = true)"
        )
        if view.registered is not None:
            source_name, dataset = view.registered
            source += (
                " WHERE export_id IN (SELECT export_id FROM exports WHERE source = "
                f"{sql_literal(source_name)} AND dataset = {sql_literal(dataset)})"
            )
    else:
        typed_nulls = ", ".join(
            f"CAST(NULL AS {typ}) AS {quote_identifier(col)}" for col, typ in view.columns
        )
        source = f"SELECT {typed_nulls} WHERE false"
    return f"CREATE OR REPLACE VIEW {view.qualified_sql} AS {source}"


def refresh_views(
    con: duckdb.DuckDBPyConnection,
    lake_root: Path,
    views: Sequence[DatasetView] | None = None,
) -> list[str]:
    """(Re)create the given views, by default every registered one; returns their names."""
    chosen = registered_views() if views is None else tuple(views)
    for view in chosen:
        if view.schema is not None:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_identifier(view.schema)}")
        con.execute(view_sql(view, lake_root))
    return [v.name for v in chosen]


def missing_views(
    con: duckdb.DuckDBPyConnection, views: Sequence[DatasetView] | None = None
) -> list[str]:
    """Names of the given (default: registered) views the catalog lacks, schema included.

    Compares (schema, view) pairs, so `cxone.interactions` is found as such; a view in the
    default schema matches `main`.
    """
    chosen = registered_views() if views is None else tuple(views)
    found = set(con.execute("SELECT schema_name, view_name FROM duckdb_views()").fetchall())
    return [v.name for v in chosen if (v.schema or "main", v.view_name) not in found]
