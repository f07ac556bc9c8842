"""Contract: DataLayout puts every file under the data root in the documented layout, and no
identifier from outside (source, dataset, partition key) can steer a path out of it."""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from pathlib import Path

import pytest

from cx_assets.lake.paths import DataLayout, validate_partition_key


def test_layout_places_each_area_under_the_root(tmp_path: Path) -> None:
    layout = DataLayout(tmp_path)
    assert layout.raw_dir("genesys", "conversations", "2024-01-01") == (
        tmp_path / "raw" / "genesys" / "conversations" / "2024-01-01"
    )
    assert layout.lake_dir("genesys", "conversations") == tmp_path / "lake/genesys/conversations"
    assert layout.lake_partition_dir("genesys", "conversations", dt.date(2024, 1, 2)) == (
        tmp_path / "lake" / "genesys" / "conversations" / "date=2024-01-02"
    )
    assert layout.lake_partition_dir("genesys", "conversations", "2024-01-02").name == (
        "date=2024-01-02"
    )
    assert layout.quarantine_dir("genesys", "conversations", "2024-01-01") == (
        tmp_path / "quarantine" / "genesys" / "conversations" / "2024-01-01"
    )
    assert layout.catalog_path == tmp_path / "catalog.duckdb"


def test_staging_dirs_are_fresh_unique_and_on_the_data_root(tmp_path: Path) -> None:
    layout = DataLayout(tmp_path)
    first, second = layout.staging_dir(), layout.staging_dir()
    assert first != second
    for folder in (first, second):
        assert folder.is_dir() and not any(folder.iterdir())
        assert folder.parent == tmp_path / "staging"


def test_from_env_reads_cx_data_dir_and_defaults_to_an_absolute_dot_cx_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CX_DATA_DIR", str(tmp_path / "data"))
    assert DataLayout.from_env().root == tmp_path / "data"
    monkeypatch.delenv("CX_DATA_DIR")
    monkeypatch.chdir(tmp_path)
    root = DataLayout.from_env().root
    assert root.is_absolute() and root == tmp_path.resolve() / ".cx_data"


@pytest.mark.parametrize("key", ["2024-01-01", "table-abc_1", "req=42", "a", "A.b-c", "x" * 128])
def test_valid_partition_keys_pass_unchanged(key: str) -> None:
    assert validate_partition_key(key) == key


@pytest.mark.parametrize(
    "key",
    ["..", "../etc", "a/../../b", "a/b", "/abs", "", ".hidden", "a..b", "a b", "x" * 129, "é"],
)
def test_unsafe_partition_keys_are_rejected_naming_value_and_rule(key: str) -> None:
    with pytest.raises(ValueError) as err:
        validate_partition_key(key)
    assert repr(key) in str(err.value)
    assert "letters, digits" in str(err.value)


def test_a_date_shaped_key_must_be_a_real_date() -> None:
    with pytest.raises(ValueError, match=r"'2024-02-30'.*not a calendar date"):
        validate_partition_key("2024-02-30")


def test_layout_rejects_traversal_in_every_identifier(tmp_path: Path) -> None:
    layout = DataLayout(tmp_path)
    with pytest.raises(ValueError, match=re.escape("source '../x'")):
        layout.raw_dir("../x", "conversations", "2024-01-01")
    with pytest.raises(ValueError, match="dataset 'a/b'"):
        layout.lake_dir("genesys", "a/b")
    with pytest.raises(ValueError, match=re.escape("partition key '../../etc'")):
        layout.quarantine_dir("genesys", "conversations", "../../etc")
    with pytest.raises(ValueError):
        layout.lake_partition_dir("genesys", "conversations", "../2024-01-01")


def test_staging_left_by_a_crashed_run_is_swept_by_the_next(tmp_path: Path) -> None:
    layout = DataLayout(tmp_path)
    crashed, recent = layout.staging_dir(), layout.staging_dir()
    (crashed / "part.parquet").write_bytes(b"half")
    old = time.time() - 3 * 24 * 3600
    os.utime(crashed, (old, old))
    fresh = layout.staging_dir()
    assert not crashed.exists()
    assert recent.exists() and fresh.exists()
