"""Contract: what a person sees in the UI for the conversations flow before anything ran: every
asset, check, job and schedule described and owned, and the columns of all five lake tables
(conversations, participants, sessions, segments, metrics) each with a description."""

from __future__ import annotations

import dagster as dg

from cx_assets.defs.conversations import ASSET_CHECKS, ASSETS, JOBS, SCHEDULES
from cx_assets.defs.conversations.assets import CONVERSATIONS_ASSET
from cx_assets.defs.policies import OWNERS
from cx_assets.lake.conversation_details_schema import TABLES


def test_every_asset_and_check_is_described_and_owned() -> None:
    specs = [spec for asset in ASSETS for spec in asset.specs]
    assert len(specs) == 2
    for spec in specs:
        assert len(spec.description or "") > 200, spec.key
        assert list(spec.owners) == OWNERS, spec.key
    checks = [c for d in (*ASSETS, *ASSET_CHECKS) for c in d.check_specs]
    assert {c.name for c in checks} == {
        "day_is_final",
        "files_match_manifest",
        "schema_conforms",
        "rows_match_files",
        "conversation_id_unique",
    }
    for check in checks:
        assert "day" in (check.description or ""), check.name


def test_the_job_and_schedule_say_what_they_do_and_who_owns_them() -> None:
    for definition in (*JOBS, *SCHEDULES):
        assert "team:contact-centre-data" in (definition.description or ""), definition.name


def test_all_five_lake_tables_show_described_columns() -> None:
    [lake] = [a for a in ASSETS if a.key == dg.AssetKey(CONVERSATIONS_ASSET)]
    metadata = lake.specs_by_key[dg.AssetKey(CONVERSATIONS_ASSET)].metadata
    schemas = {"conversations": metadata["dagster/column_schema"]} | {
        key.removeprefix("columns: conversation_"): value.schema
        for key, value in metadata.items()
        if key.startswith("columns: ")
    }
    assert set(schemas) == set(TABLES)
    for table, schema in schemas.items():
        assert [c.name for c in schema.columns] == [c.name for c in TABLES[table]], table
        assert all(len(c.description or "") > 10 for c in schema.columns), table
