"""Contract: a table's partition key shows its name and keeps its id readable whatever the name
holds (Dagster's forbidden characters, the multi-key delimiter, brackets, great length)."""

from __future__ import annotations

import dagster as dg
import pytest

from cx_assets.defs.datatables.partitions import (
    snapshot_partition_key,
    table_id_of,
    table_partition_key,
)

ID = "7c2a9f10-2d3e-4f60-9b1c-000000000101"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Customer Tiers", f"Customer Tiers [{ID}]"),
        ("VIP | List [old]...\n", f"VIP List old [{ID}]"),
        ("", f"[{ID}]"),
        ("x" * 200, f"{'x' * 80} [{ID}]"),
    ],
)
def test_the_key_carries_a_clean_name_and_the_id(name: str, key: str) -> None:
    assert table_partition_key(ID, name) == key
    assert table_id_of(key) == ID
    full = snapshot_partition_key(key, "2026-12-02")
    dims = dg.MultiPartitionKey({"date": "2026-12-02", "table": key}).keys_by_dimension
    assert full.split("|") == ["2026-12-02", key] and dims["table"] == key


def test_a_bare_id_from_before_names_reads_as_itself() -> None:
    assert table_id_of(ID) == ID
