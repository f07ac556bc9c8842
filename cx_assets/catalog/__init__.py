"""The DuckDB catalog: exports, files, a hash-chained audit log and views over the lake.

The only package that opens `catalog.duckdb`. Connections are short and wait out DuckDB's
single-writer lock, so parallel runs of a backfill can all register their partitions.
"""

from cx_assets.catalog.audit import ChainReport, append_audit, verify_chain
from cx_assets.catalog.connection import (
    CatalogLockTimeout,
    connect,
    read_connection,
    write_transaction,
)
from cx_assets.catalog.conversations import ExportRecord, FileRecord, register_export
from cx_assets.catalog.datatable_imports import (
    ImportRecord,
    last_import,
    quarantined_rows,
    register_import,
)
from cx_assets.catalog.datatable_views import register_table_view
from cx_assets.catalog.datatables import (
    SnapshotRecord,
    previous_snapshot,
    register_snapshot,
    snapshot_for,
)
from cx_assets.catalog.failures import record_failure
from cx_assets.catalog.queries import QueryResult, audit_chain, export_for, files_for, query
from cx_assets.catalog.views import (
    DatasetView,
    missing_views,
    quote_identifier,
    refresh_views,
    register_dataset_view,
)

__all__ = [
    "CatalogLockTimeout",
    "ChainReport",
    "DatasetView",
    "ExportRecord",
    "FileRecord",
    "ImportRecord",
    "QueryResult",
    "SnapshotRecord",
    "append_audit",
    "audit_chain",
    "connect",
    "export_for",
    "files_for",
    "last_import",
    "missing_views",
    "previous_snapshot",
    "quarantined_rows",
    "query",
    "quote_identifier",
    "read_connection",
    "record_failure",
    "refresh_views",
    "register_dataset_view",
    "register_export",
    "register_import",
    "register_snapshot",
    "register_table_view",
    "snapshot_for",
    "verify_chain",
    "write_transaction",
]
