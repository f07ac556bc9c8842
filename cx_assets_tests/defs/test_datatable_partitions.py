"""Contract: a table's partition key shows its name and keeps its id readable whatever the name
holds (Dagster's forbidden characters, the multi-key delimiter, brackets, great length); a key
the discovery sensor did not write (typed into "Add partition") is refused naming the sensor."""

from __future__ import annotations

import dagster as dg
import pytest

from cx_assets.defs.datatables.partitions import (
    UnknownTableKey,
    snapshot_partition_key,
    snapshot_table_id,
    table_id_of,
    table_name_of,
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


@pytest.mark.parametrize("key", ["Made Up Table", ID, "orders", ""])
def test_a_key_discovery_did_not_write_is_refused_naming_the_sensor(key: str) -> None:
    with pytest.raises(UnknownTableKey) as refused:
        snapshot_table_id(key)
    message = str(refused.value)
    assert repr(key) in message and "genesys_datatables_discovery" in message
    assert "'Add partition' is not a table" in message


def test_a_discovered_key_gives_its_id_and_its_name() -> None:
    key = table_partition_key(ID, "Customer Tiers")
    assert snapshot_table_id(key) == ID
    assert table_name_of(key) == "Customer Tiers"
    assert table_name_of(f"[{ID}]") == "" and table_name_of("no brackets") == ""
