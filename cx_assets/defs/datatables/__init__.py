"""Genesys Cloud data tables: daily snapshots (table x day) and declared, idempotent imports."""

from cx_assets.defs.datatables.discovery import datatables_discovery_sensor
from cx_assets.defs.datatables.imports import import_assets
from cx_assets.defs.datatables.schedules import snapshot_job, snapshot_schedule
from cx_assets.defs.datatables.snapshots import genesys_datatable_snapshot

ASSETS = [genesys_datatable_snapshot, *import_assets()]
JOBS = [snapshot_job]
SCHEDULES = [snapshot_schedule]
SENSORS = [datatables_discovery_sensor]
