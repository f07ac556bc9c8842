"""Persistence: exports (and their presigned URLs, whose key is kept in the state dir) survive an
emulator restart on the same state dir; a token from before the restart is refused."""

from __future__ import annotations

import hashlib
import json

import httpx

from cx_assets_tests.emulator.support import api_client, completed_export, export_body


def test_export_survives_restart(emulator):
    client = api_client(emulator)
    export_id, manifest = completed_export(client)
    pending = client.post("/api/v2/dataexports", json=export_body(fmt="csv")).json()
    entry = manifest[0]

    emulator.restart()

    assert client.get(f"/api/v2/dataexports/{export_id}").status_code == 401
    fresh = api_client(emulator)
    export = fresh.get(f"/api/v2/dataexports/{export_id}").json()
    assert export["status"] == "COMPLETED"
    again = fresh.get(f"/api/v2/dataexports/{export_id}/files").json()
    assert [f["checksum"] for f in again] == [f["checksum"] for f in manifest]
    old_url_body = httpx.get(entry["uri"]).content  # same port, signing key kept on disk
    assert "sha256:" + hashlib.sha256(old_url_body).hexdigest() == entry["checksum"]
    assert fresh.get(f"/api/v2/dataexports/{pending['id']}").status_code == 200

    state = json.loads((emulator.config.state_dir / "state.json").read_text())
    assert export_id in state["exports"]
    assert "emulator-secret" not in json.dumps(state)
