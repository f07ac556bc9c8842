"""Privacy retention: the retention job deletes a delivered export older than the period (its
folder and its declared request, which holds the subject's id), marks the catalog row
`deleted_at` and audits `deleted` with request id, path and checksum and no personal data; a
younger export is kept; a second run deletes and audits nothing; an export already gone is
recorded as such; the period comes from run config or `CX_PRIVACY_RETENTION_DAYS`."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import dagster as dg
import pytest

from cx_assets.catalog import privacy as cat
from cx_assets.catalog.connection import write_transaction
from cx_assets.catalog.queries import query
from cx_assets.defs.privacy import JOBS
from cx_assets.defs.resources import CatalogResource
from cx_assets.flows.privacy_retention import RETENTION_ENV, delete_expired_exports
from cx_assets.genesys.privacy.models import derive_request_id
from cx_assets.lake.privacy import PrivacyArea, write_private, write_private_json

SUBJECT = "subject-user-4410"


def _deliver(root: Path, key: str, delivered_days_ago: float) -> Path:
    """A request taken through the catalog states to DELIVERED, with its export on disk."""
    catalog, area, request_id = root / "catalog.duckdb", PrivacyArea(root), derive_request_id(key)
    summary = {
        "entity_type": "user",
        "subject_ref": hashlib.sha256(SUBJECT.encode()).hexdigest(),
        "format": "json",
        "data_types": ["profile"],
        "start": "2024-03-01T00:00:00+00:00",
        "end": "2024-03-02T00:00:00+00:00",
        "callback": None,
    }
    cat.declare(
        catalog, partition_key=key, request_id=request_id, summary=summary, actor="t", origin="t"
    )
    write_private_json(area.declared_path(key), {"entityId": SUBJECT})
    now = dt.datetime.now(dt.UTC)
    cat.record_submitted(
        catalog,
        partition_key=key,
        request_id=request_id,
        status="QUEUED",
        actor="t",
        api_base_url="http://127.0.0.1:1",
        is_emulator=True,
        latency_ms=1.0,
        next_poll_at=now,
    )
    cat.record_poll(
        catalog,
        partition_key=key,
        status="COMPLETED",
        failure_reason=None,
        actor="t",
        source="poll",
        latency_ms=1.0,
        next_poll_at=None,
        attempts=1,
    )
    assert cat.open_claim(catalog, key, "download", "t", only_export=True)
    data = json.dumps({"requestId": request_id, "subject": {"entityId": SUBJECT}}).encode()
    path = write_private(area.export_path(key, "json"), data)
    cat.record_delivered(
        catalog,
        partition_key=key,
        request_id=request_id,
        actor="t",
        path=str(path.relative_to(root)),
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        record_count=1,
        latency_ms=1.0,
    )
    with write_transaction(catalog) as con:  # age the delivery (the test's only shortcut)
        con.execute(
            "UPDATE privacy_requests SET delivered_at = ? WHERE partition_key = ?",
            [now - dt.timedelta(days=delivered_days_ago), key],
        )
    return path


def _run(root: Path, **config: float) -> dg.ExecuteInProcessResult:
    [job] = [j for j in JOBS if j.name == "privacy_retention_job"]
    run_config = {"ops": {"delete_expired_privacy_exports": {"config": config}}}
    return job.execute_in_process(
        run_config=run_config, resources={"catalog": CatalogResource(data_dir=str(root))}
    )


def _deleted_audits(root: Path) -> list[tuple[str, dict]]:
    rows = query(
        root / "catalog.duckdb",
        "SELECT entity, details FROM audit_log WHERE flow = 'privacy' AND action = 'deleted' "
        "ORDER BY seq",
    ).rows
    return [(entity, json.loads(details)) for entity, details in rows]


def test_an_old_export_is_deleted_and_audited_a_young_one_kept_and_nothing_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "data"
    old = _deliver(root, "dsar-old", delivered_days_ago=40)
    young = _deliver(root, "dsar-young", delivered_days_ago=5)
    area = PrivacyArea(root)
    monkeypatch.setenv(RETENTION_ENV, "30")

    first = _run(root)
    assert first.output_for_node("delete_expired_privacy_exports")["deleted"] == ["dsar-old"]
    assert not old.exists() and not old.parent.exists()
    assert not area.declared_path("dsar-old").exists()
    assert young.exists() and area.declared_path("dsar-young").exists()
    old_row = cat.request_row(root / "catalog.duckdb", "dsar-old")
    young_row = cat.request_row(root / "catalog.duckdb", "dsar-young")
    assert old_row is not None and old_row["deleted_at"] is not None
    assert young_row is not None and young_row["deleted_at"] is None
    [(entity, details)] = _deleted_audits(root)
    assert entity == derive_request_id("dsar-old")
    assert details["path"] == "privacy/exports/dsar-old/export.json"
    assert details["sha256"] == old_row["sha256"] and details["retention_days"] == 30
    assert details["outcome"] == "deleted"
    assert SUBJECT not in str(query(root / "catalog.duckdb", "SELECT * FROM audit_log").rows)

    second = _run(root)
    assert second.output_for_node("delete_expired_privacy_exports")["deleted"] == []
    assert len(_deleted_audits(root)) == 1 and young.exists()


def test_run_config_overrides_the_period_and_a_missing_file_is_recorded(tmp_path: Path) -> None:
    root = tmp_path / "data"
    gone = _deliver(root, "dsar-gone", delivered_days_ago=3)
    gone.unlink()
    PrivacyArea(root).declared_path("dsar-gone").unlink()
    assert _run(root, retention_days=60).output_for_node("delete_expired_privacy_exports") == {
        "deleted": [],
        "already_absent": [],
    }
    result = _run(root, retention_days=1)
    assert result.output_for_node("delete_expired_privacy_exports")["already_absent"] == [
        "dsar-gone"
    ]
    [(_, details)] = _deleted_audits(root)
    assert (details["outcome"], details["removed"]) == ("already absent", [])


def test_a_catalog_path_outside_the_export_folder_is_never_deleted(tmp_path: Path) -> None:
    root = tmp_path / "data"
    _deliver(root, "dsar-bad", delivered_days_ago=40)
    victim = root / "lake" / "keep.parquet"
    victim.parent.mkdir(parents=True)
    victim.write_bytes(b"not personal data")
    with write_transaction(root / "catalog.duckdb") as con:
        con.execute("UPDATE privacy_requests SET export_path = 'lake/keep.parquet'")
    outcome = delete_expired_exports(root, root / "catalog.duckdb", 30)
    assert outcome.deleted == [] and "outside" in outcome.errors[0]
    assert victim.exists() and _deleted_audits(root) == []
