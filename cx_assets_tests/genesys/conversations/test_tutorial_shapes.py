"""Contract: the tutorial-mode flow lands a day from a server that answers with exactly the
tutorial's shapes and nothing more (a tiny Starlette app here, under uvicorn on loopback, written
from `/work/shared/tutorials/000_3392d35ad4f67ee9.txt` alone): the create answer is only
`{"id"}`, the status only `{"id", "status"}`, the manifest a bare array of
`{uri, size, format, checksum, partition}` records (the partition the file's index, no `name`,
no `recordCount`, the checksum's hex upper-case). Every file lands verified as
`partition_<n>.jsonl`, in index order (so partition 2 comes before partition 10 when a duplicate
is judged), and every record becomes a row or a quarantine line; a record that is not SHA-256
fails naming the file and the field.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cx_assets.flows.context import Target
from cx_assets.flows.conversations import export_day_to_raw, normalise_day
from cx_assets.genesys.conversations.tutorial import ConversationExportClient, ExportSettings
from cx_assets.http.auth import ClientCredentialsAuth
from cx_assets.http.client import ApiClient
from cx_assets.http.errors import UnreadableResponse
from cx_assets.lake.paths import DataLayout
from cx_assets_tests.genesys.genesys_testkit import DAY, FAST_RETRY

pytestmark = pytest.mark.integration

CLIENT_ID, SECRET, TOKEN = "tutorial-client", "tutorial-secret", "tutorial-token"
FILES = 11  # partitions 0..10: name order would put partition_10 before partition_2
LOG = logging.getLogger(__name__)


def _record(n: int, kind: str = "inbound") -> dict[str, Any]:
    """A record with only the fields the tutorial's parser reads."""
    return {
        "interactionId": f"conv-{n:03d}",
        "type": kind,
        "startTimestamp": f"{DAY.isoformat()}T08:{n % 60:02d}:00.000Z",
        "endTimestamp": f"{DAY.isoformat()}T09:{n % 60:02d}:00.000Z",
        "channel": {"type": "voice"},
    }


def _file_body(partition: int) -> bytes:
    records = [_record(partition * 2), _record(partition * 2 + 1)]
    if partition == 2:
        records.append(_record(900, "outbound"))  # also in partition 10: this one is kept
    if partition == 10:
        records.append(_record(900, "internal"))
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


@dataclass
class TutorialServer:
    """Only the tutorial's routes and fields; `checksum` replaces one file's checksum."""

    files: dict[int, bytes] = field(
        default_factory=lambda: {p: _file_body(p) for p in range(FILES)}
    )
    checksum: dict[int, str] = field(default_factory=dict)
    polls: dict[str, int] = field(default_factory=dict)
    url: str = ""

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/oauth/token", self.token, methods=["POST"]),
                Route("/api/v2/dataexports", self.create, methods=["POST"]),
                Route("/api/v2/dataexports/{id}", self.status),
                Route("/api/v2/dataexports/{id}/files", self.manifest),
                Route("/s3/{id}/{partition:int}", self.download),
            ]
        )

    async def token(self, request: Request) -> JSONResponse:
        return JSONResponse({"access_token": TOKEN, "expires_in": 3600})

    def _authorised(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {TOKEN}"

    async def create(self, request: Request) -> JSONResponse:
        body = await request.json()
        if not self._authorised(request) or (body["type"], body["view"]) != (
            "conversation",
            "full",
        ):
            return JSONResponse({"message": "bad request"}, status_code=400)
        self.polls["exp-1"] = 0
        return JSONResponse({"id": "exp-1"}, status_code=202)

    async def status(self, request: Request) -> JSONResponse:
        export_id = request.path_params["id"]
        self.polls[export_id] += 1
        status = "COMPLETED" if self.polls[export_id] > 1 else "RUNNING"
        return JSONResponse({"id": export_id, "status": status})

    async def manifest(self, request: Request) -> JSONResponse:
        export_id = request.path_params["id"]
        return JSONResponse(
            [
                {
                    "uri": f"{self.url}/s3/{export_id}/{p}?X-Amz-Expires=3600&X-Amz-Signature=s",
                    "size": len(body),
                    "format": "jsonl",
                    "checksum": self.checksum.get(
                        p, "sha256:" + hashlib.sha256(body).hexdigest().upper()
                    ),
                    "partition": p,
                }
                for p, body in sorted(self.files.items(), reverse=True)  # any order
            ]
        )

    async def download(self, request: Request) -> Response:
        return Response(self.files[request.path_params["partition"]])


@contextlib.contextmanager
def serve(server: TutorialServer) -> Iterator[TutorialServer]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    runner = uvicorn.Server(
        uvicorn.Config(server.app(), log_level="warning", lifespan="off", access_log=False)
    )
    thread = threading.Thread(target=runner.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not runner.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert runner.started, "the tutorial-shaped server did not start"
    server.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        yield server
    finally:
        runner.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextlib.contextmanager
def client_for(server: TutorialServer) -> Iterator[ConversationExportClient]:
    auth = ClientCredentialsAuth(f"{server.url}/oauth/token", CLIENT_ID, SECRET, retry=FAST_RETRY)
    with ApiClient(server.url, auth=auth, retry=FAST_RETRY, timeout=5.0) as api:
        yield ConversationExportClient(api, ExportSettings(poll_initial_s=0.01, poll_max_s=0.02))


def _land(server: TutorialServer, layout: DataLayout) -> Any:
    target = Target("the tutorial-shaped test server", server.url, is_emulator=False)
    return export_day_to_raw(
        lambda: client_for(server), layout, DAY, target=target, run_id="run-1", log=LOG
    )


def test_a_day_lands_from_a_server_answering_only_the_tutorials_shapes(tmp_path: Path) -> None:
    layout = DataLayout(tmp_path / "data")
    with serve(TutorialServer()) as server:
        exported = _land(server, layout)
    names = [f"partition_{p}.jsonl" for p in range(FILES)]
    record = exported.record
    assert [f.name for f in record.files] == names  # index order, not name order
    assert [f.partition for f in record.files] == list(range(FILES))
    assert all(f.record_count is None for f in record.files)
    files_dir = exported.raw_dir / "files"
    assert sorted(p.name for p in files_dir.iterdir()) == sorted(names)
    for entry in record.files:
        content = (files_dir / entry.name).read_bytes()
        assert content == server.files[entry.partition]
        assert entry.sha256 == hashlib.sha256(content).hexdigest()  # normalised to lower case
    assert "X-Amz" not in (exported.raw_dir / "export.json").read_text()

    day = normalise_day(layout, DAY, run_id="run-1", log=LOG)
    assert (day.rows, day.quarantined) == (2 * FILES + 1, 1)
    kept = duckdb.sql(
        f"SELECT originating_direction, source_file FROM '{day.parquet_path}' "
        "WHERE conversation_id = 'conv-900'"
    ).fetchall()
    assert kept == [("outbound", "partition_2.jsonl")]
    [quarantined] = (day.quarantine_dir / "quarantine.jsonl").read_text().splitlines()
    assert json.loads(quarantined)["source_file"] == "partition_10.jsonl"


def test_a_checksum_that_is_not_sha256_names_the_file_and_field(tmp_path: Path) -> None:
    layout = DataLayout(tmp_path / "data")
    server = TutorialServer(checksum={7: "md5:" + "0" * 32})
    with serve(server), pytest.raises(UnreadableResponse) as err:
        _land(server, layout)
    message = str(err.value)
    assert "partition 7" in message and "field 'checksum'" in message
    assert "sha256:<64 hex digits>" in message
    assert "X-Amz-Signature" not in message
    assert not err.value.transient  # a re-read would say the same: fail once
    assert not layout.raw_dir("genesys", "conversations", DAY.isoformat()).exists()
