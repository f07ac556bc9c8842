"""Data tables schema changes and persistence: a schema PUT bumps the version, adds columns as
null, retypes values only when lossless and refuses a changed key; rows and schema changes
survive a restart with the same state dir, and a restart with another seed starts fresh."""

from __future__ import annotations

from typing import Any

from cx_assets_tests.emulator.support import api_client

TIERS = "6b1f6a0e-1c2d-4e5f-8a9b-000000000001"
VIPS = "6b1f6a0e-1c2d-4e5f-8a9b-000000000002"
SCHEMA = f"/api/v2/datatables/{TIERS}/schema"
ROWS = f"/api/v2/datatables/{TIERS}/rows"


def columns(client) -> list[dict[str, Any]]:
    return client.get(SCHEMA).json()["columns"]


def test_schema_put_adds_a_null_column_and_bumps_the_version(emulator):
    client = api_client(emulator)
    new = [*columns(client), {"name": "region", "type": "string", "isPrimaryKey": False}]
    response = client.put(SCHEMA, json={"columns": new})
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 2 and response.headers["ETag"] == '"2"'
    page = client.get(ROWS, params={"pageSize": 3})
    assert page.headers["ETag"] == '"2"'
    assert all(r["columns"]["region"] is None for r in page.json()["rows"])
    written = client.post(
        ROWS, params={"upsert": "true"}, json=[{"columns": {"customer_id": "C-1", "region": "EU"}}]
    )
    assert written.json()["inserted"] == 1


def test_retyping_keeps_lossless_values_only(emulator):
    client = api_client(emulator)
    url = f"/api/v2/datatables/{VIPS}/schema"
    cols = client.get(url).json()["columns"]
    as_string = [{**c, "type": "string"} if c["name"] == "priority" else c for c in cols]
    assert client.put(url, json={"columns": as_string}).status_code == 200
    rows = client.get(f"/api/v2/datatables/{VIPS}/rows", params={"pageSize": 5}).json()["rows"]
    assert all(r["columns"]["priority"] in {"1", "2", "3", "4", "5"} for r in rows)
    as_bool = [{**c, "type": "boolean"} if c["name"] == "priority" else c for c in cols]
    assert client.put(url, json={"columns": as_bool}).json()["version"] == 3
    rows = client.get(f"/api/v2/datatables/{VIPS}/rows", params={"pageSize": 5}).json()["rows"]
    assert all(r["columns"]["priority"] is None for r in rows)


def test_changing_the_key_is_400_and_keeps_the_version(emulator):
    client = api_client(emulator)
    rekeyed = [{**c, "isPrimaryKey": c["name"] == "tier"} for c in columns(client)]
    response = client.put(SCHEMA, json={"columns": rekeyed})
    assert response.status_code == 400
    assert "primary-key columns must stay the same: customer_id" in response.json()["message"]
    bad_type = [{**columns(client)[0], "type": "text"}]
    response = client.put(SCHEMA, json={"columns": bad_type})
    assert response.status_code == 400 and "type must be one of" in response.json()["message"]
    assert client.get(SCHEMA).json()["version"] == 1


def test_changes_survive_a_restart_with_the_same_state_dir(emulator_factory):
    emu = emulator_factory()
    client = api_client(emu)
    new = [*columns(client), {"name": "region", "type": "string", "isPrimaryKey": False}]
    client.put(SCHEMA, json={"columns": new})
    batch = [{"columns": {"customer_id": "C-000001", "tier": "platinum", "region": "EU"}}]
    assert client.post(ROWS, params={"upsert": "true"}, json=batch).json()["version"] == 3
    before = client.get(ROWS, params={"pageSize": 5}).json()

    emu.restart()
    client = api_client(emu)
    assert client.get(SCHEMA).json()["version"] == 3
    after = client.get(ROWS, params={"pageSize": 5})
    assert after.headers["ETag"] == '"3"'
    assert after.json()["rows"] == before["rows"]
    assert after.json()["rows"][0]["columns"]["tier"] == "platinum"
    untouched = client.get(f"/api/v2/datatables/{VIPS}/schema")
    assert untouched.json()["version"] == 1


def test_a_restart_with_another_seed_ignores_the_old_changes(emulator_factory, tmp_path):
    emu = emulator_factory(state_dir=tmp_path / "shared")
    client = api_client(emu)
    batch = [{"columns": {"customer_id": "C-900001", "tier": "gold"}}]
    client.post(ROWS, params={"upsert": "true"}, json=batch)
    emu.stop()
    other = emulator_factory(state_dir=tmp_path / "shared", seed=7)
    assert api_client(other).get(SCHEMA).json()["version"] == 1


def test_after_a_restart_a_first_post_sees_the_changed_schema(emulator_factory):
    emu = emulator_factory()
    client = api_client(emu)
    new = [*columns(client), {"name": "region", "type": "string", "isPrimaryKey": False}]
    client.put(SCHEMA, json={"columns": new})
    emu.restart()
    batch = [{"columns": {"customer_id": "C-900001", "region": "EU"}}]
    response = api_client(emu).post(ROWS, params={"upsert": "true"}, json=batch)
    assert response.status_code == 200, response.text
    assert response.json() == {"inserted": 1, "updated": 0, "unchanged": 0, "version": 3}


def test_an_edit_by_the_table_modified_fault_survives_a_restart(emulator_factory):
    emu = emulator_factory()
    client = api_client(emu)
    emu.add_faults({"kind": "table_modified", "path_prefix": ROWS})
    first = client.get(ROWS, params={"pageSize": 1000}).json()
    client.get(ROWS, params={"pageSize": 1000, "cursor": first["nextPageCursor"]})
    edited = client.get(ROWS, params={"pageSize": 1000}).json()["rows"]
    emu.restart()
    after = api_client(emu).get(ROWS, params={"pageSize": 1000})
    assert after.headers["ETag"] == '"2"'
    assert after.json()["rows"] == edited
