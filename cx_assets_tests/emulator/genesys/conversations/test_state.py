"""Persistence: exports (and their presigned URLs, whose key is kept in the state dir) survive an
emulator restart on the same state dir; a token from before the restart is refused."""

from __future__ import annotations

import hashlib
import json

import httpx

from cx_assets_tests.emulator.support import api_client, completed_manifest, export_body


def test_export_survives_restart(emulator):
    client = api_client(emulator)
    manifest = completed_manifest(client)
    pending = client.post("/api/v2/dataexports", json=export_body(fmt="csv")).json()
    entry = manifest["files"][0]

    emulator.restart()

    assert client.get(f"/api/v2/dataexports/{manifest['exportId']}").status_code == 401
    fresh = api_client(emulator)
    export = fresh.get(f"/api/v2/dataexports/{manifest['exportId']}").json()
    assert export["status"] == "COMPLETED"
    again = fresh.get(f"/api/v2/dataexports/{manifest['exportId']}/files").json()
    assert [f["checksum"] for f in again["files"]] == [f["checksum"] for f in manifest["files"]]
    old_url_body = httpx.get(entry["uri"]).content  # same port, signing key kept on disk
    assert "sha256:" + hashlib.sha256(old_url_body).hexdigest() == entry["checksum"]
    assert fresh.get(f"/api/v2/dataexports/{pending['id']}").status_code == 200

    state = json.loads((emulator.config.state_dir / "state.json").read_text())
    assert manifest["exportId"] in state["exports"]
    assert "emulator-secret" not in json.dumps(state)
