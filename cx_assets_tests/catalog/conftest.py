"""Fixtures: a catalog path under a fresh data root, and an isolated view registry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cx_assets.catalog import views


@pytest.fixture
def catalog_path(tmp_path: Path) -> Path:
    """`<data root>/catalog.duckdb`; the lake is `<data root>/lake` (not created yet)."""
    return tmp_path / "catalog.duckdb"


@pytest.fixture
def lake_root(tmp_path: Path) -> Path:
    return tmp_path / "lake"


@pytest.fixture(autouse=True)
def isolated_view_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts with no registered views and leaves the real registry untouched."""
    monkeypatch.setattr(views, "_REGISTRY", {})
    yield
