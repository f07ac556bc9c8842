"""Contract: a data table column's description in the UI says what Genesys calls it (its
title, when it differs from the API name), its vendor and lake types, and its part in the key."""

from __future__ import annotations

from cx_assets.lake.datatable_columns import SnapshotColumn, describe_column


def test_a_titled_key_column_says_its_title_type_and_that_it_is_the_key() -> None:
    column = SnapshotColumn("key", "string", True, "Phone Number")
    text = describe_column(column, ("key",), "VARCHAR")
    assert text == (
        "Shown in Genesys as 'Phone Number'. Data table column of type string (VARCHAR in the "
        "lake). The table's key: one row per value."
    )


def test_a_composite_key_part_names_the_whole_key_and_an_untitled_column_no_title() -> None:
    region = SnapshotColumn("region", "string", True)
    assert describe_column(region, ("region", "date"), "VARCHAR").endswith(
        "Part of the table's key (region, date): one row per combination."
    )
    plain = describe_column(SnapshotColumn("open", "boolean", title="open"), (), "BOOLEAN")
    assert plain == "Data table column of type boolean (BOOLEAN in the lake)."


def test_the_title_is_for_people_only_not_the_catalog_or_drift() -> None:
    titled = SnapshotColumn("tier", "string", False, "Tier")
    assert titled == SnapshotColumn("tier", "string")
    assert "title" not in titled.record()
