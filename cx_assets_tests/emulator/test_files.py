"""Presigned downloads: valid URLs stream the exact bytes; tampered, unsigned or expired URLs are
403; the drop/corrupt/truncate faults produce the broken downloads a client must catch."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from .support import api_client, completed_export, completed_manifest


@pytest.fixture
def entry(emulator):
    return completed_manifest(api_client(emulator))[0]


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_valid_url_streams_with_content_length(entry):
    response = httpx.get(entry["uri"])
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == entry["size"]
    assert "ratelimit" not in " ".join(response.headers).lower()


def test_tampered_and_unsigned_urls_are_403(entry):
    signature = entry["uri"].rsplit("=", 1)[1]
    tampered = entry["uri"].replace(signature, "0" * len(signature))
    response = httpx.get(tampered)
    assert response.status_code == 403
    assert "signature" in response.json()["message"]
    assert signature not in response.text
    other_file = entry["uri"].replace("-0000.jsonl", "-0001.jsonl")
    assert httpx.get(other_file).status_code == 403
    assert httpx.get(entry["uri"].split("?")[0]).status_code == 403


def test_expire_urls_fault_signs_already_expired_urls(emulator):
    client = api_client(emulator)
    export_id, _ = completed_export(client)
    emulator.add_faults("expire_urls:count=1")
    expired = client.get(f"/api/v2/dataexports/{export_id}/files").json()[0]
    response = httpx.get(expired["uri"])
    assert response.status_code == 403
    assert "expired" in response.json()["message"]
    fresh = client.get(f"/api/v2/dataexports/{export_id}/files").json()[0]
    assert httpx.get(fresh["uri"]).status_code == 200


def test_drop_connection_cuts_the_body_short(emulator, entry):
    emulator.add_faults("drop_connection:count=1")
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(entry["uri"])
    assert _sha(httpx.get(entry["uri"]).content) == entry["checksum"]


def test_corrupt_file_flips_a_byte_same_length(emulator, entry):
    emulator.add_faults("corrupt_file:count=1")
    body = httpx.get(entry["uri"]).content
    assert len(body) == entry["size"]
    assert _sha(body) != entry["checksum"]


def test_truncate_file_serves_a_short_consistent_body(emulator, entry):
    emulator.add_faults("truncate_file:count=1")
    response = httpx.get(entry["uri"])
    assert response.status_code == 200
    assert len(response.content) == int(response.headers["content-length"]) < entry["size"]
