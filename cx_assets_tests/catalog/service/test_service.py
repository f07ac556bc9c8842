"""Contract: the catalog HTTP service, over a catalog written by real materialisations (two
Genesys days and a data table snapshot), answers every route its OpenAPI document describes with
a documented status and shape, lists the exports and datasets with their files, checksums, row
counts and Parquet paths, filters by date and source, answers 404/400/401 as JSON, and never
shows the privacy area, privacy datasets or URL signatures."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from starlette.testclient import TestClient

from cx_assets.catalog import ExportRecord, FileRecord, query, register_export, write_transaction
from cx_assets.catalog.service.app import check_bind, create_app
from cx_assets.catalog.service.exports import governance_sha256
from cx_assets.defs.datatables.discovery import add_table_partitions
from cx_assets.defs.datatables.partitions import snapshot_partition_key, table_key_in
from cx_assets.defs.datatables.snapshots import genesys_datatable_snapshot
from cx_assets.emulator import EmulatorServer
from cx_assets_tests.e2e.pipeline_testkit import FAST_EMULATOR, Pipeline, make_instance

DAYS = ("2024-03-01", "2024-03-02")
TODAY = dt.datetime.now(dt.UTC).date().isoformat()  # data table snapshots: the day taken only
TIERS = "6b1f6a0e-1c2d-4e5f-8a9b-000000000001"
SECRET_QUERY = "X-Amz-Signature=s3cr3t"


@pytest.fixture(scope="module")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Materialised once for the module: the catalog the service reads."""
    tmp = tmp_path_factory.mktemp("service")
    server = EmulatorServer(state_dir=tmp / "emulator", **FAST_EMULATOR).start()
    instance = make_instance(tmp / "dagster_home")
    try:
        pipeline = Pipeline(server, tmp / "data", instance)
        for day in DAYS:
            pipeline.materialize(day)
        add_table_partitions(instance, pipeline.resources()["genesys"])
        pipeline.materialize_assets(
            [genesys_datatable_snapshot],
            partition_key=snapshot_partition_key(table_key_in(instance, TIERS), TODAY),
        )
        _plant_privacy(pipeline.data_dir)
        yield pipeline.data_dir
    finally:
        instance.dispose()
        server.stop()


def _plant_privacy(data_root: Path) -> None:
    """What a privacy flow might leave in the catalog: none of it may be served."""
    catalog = data_root / "catalog.duckdb"
    private_file = data_root / "privacy" / "req-1" / "export.json"
    private_file.parent.mkdir(parents=True)
    private_file.write_text("{}")
    pl.DataFrame({"subject": ["someone"]}).write_parquet(private_file.parent / "rows.parquet")
    export = ExportRecord(
        export_id="privacy-req-1",
        source="genesys",
        dataset="privacy_exports",
        partition_key="req-1",
        status="VERIFIED",
        file_count=1,
        bytes=2,
        row_count=1,
    )
    files = [
        FileRecord(
            export_id="privacy-req-1",
            source="genesys",
            dataset="privacy_exports",
            partition_key="req-1",
            name="export.json",
            uri=f"https://x/y?{SECRET_QUERY}",
            size=2,
            sha256="0" * 64,
            raw_path=str(private_file),
        )
    ]
    register_export(catalog, export, files, actor="test")
    with write_transaction(catalog) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS privacy")
        con.execute(
            "CREATE OR REPLACE VIEW privacy.requests AS "
            f"SELECT * FROM read_parquet('{private_file.parent}/*.parquet')"
        )


@pytest.fixture
def client(data_root: Path) -> TestClient:
    return TestClient(create_app(data_root / "catalog.duckdb"))


# -- a schema walker: a hand-written subset of JSON Schema (schemathesis is not installed) ----


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


_TYPES = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "array": list,
    "object": dict,
    "null": type(None),
}


def _conforms(spec: dict[str, Any], schema: dict[str, Any], value: Any, where: str) -> list[str]:
    schema = _resolve(spec, schema)
    if "allOf" in schema:
        return [p for part in schema["allOf"] for p in _conforms(spec, part, value, where)]
    problems: list[str] = []
    types = schema.get("type")
    if types is not None:
        names = types if isinstance(types, list) else [types]
        ok = any(
            isinstance(value, _TYPES[n]) and not (n == "integer" and isinstance(value, bool))
            for n in names
        )
        if not ok:
            return [f"{where}: {value!r} is not {names}"]
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}: {value!r} not in {schema['enum']}")
    if isinstance(value, dict):
        problems += [f"{where}: missing {k}" for k in schema.get("required", []) if k not in value]
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                problems += _conforms(spec, sub, value[key], f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            problems += _conforms(spec, schema["items"], item, f"{where}[{i}]")
    return problems


def _examples(client: TestClient, name: str) -> list[tuple[str, bool]]:
    """(value, exists) for a path parameter: every real one from the listing, plus unknowns."""
    routes = client.get("/catalog/routes").json()
    real = {
        "export_id": [e["export_id"] for e in routes["exports"]],
        "name": [d["name"] for d in routes["datasets"]],
    }[name]
    return [(v, True) for v in real] + [(v, False) for v in ("nope", "x.y.z", "privacy.requests")]


def test_every_documented_route_answers_a_documented_shape(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    checked = 0
    for template, item in spec["paths"].items():
        operation = item["get"]
        params = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
        cases = [(template, True)]
        if params:
            [param] = params
            cases = [
                (template.replace(f"{{{param}}}", v), ok) for v, ok in _examples(client, param)
            ]
        for path, exists in cases:
            for query_string in ("", "?start=2024-03-02", "?start=bad"):
                response = client.get(path + query_string)
                status = str(response.status_code)
                documented = operation["responses"]
                if "start" in {p["name"] for p in operation.get("parameters", [])}:
                    expected = (
                        "400" if query_string == "?start=bad" else ("200" if exists else "404")
                    )
                else:
                    expected = "200" if exists else "404"
                assert status == expected, (path + query_string, response.text)
                assert status in documented, f"{path}: {status} is not documented"
                schema = documented[status]["content"]["application/json"]["schema"]
                assert _conforms(spec, schema, response.json(), path) == []
                checked += 1
    assert checked >= 3 * (1 + 6 + 3)  # routes, >= 3 exports + unknowns, >= 2 datasets + unknowns


def test_routes_list_the_materialised_exports_and_datasets(
    client: TestClient, data_root: Path
) -> None:
    routes = client.get("/catalog/routes").json()
    genesys = [e for e in routes["exports"] if e["dataset"] == "conversations"]
    assert sorted(e["partitions"][0] for e in genesys) == list(DAYS)
    catalog_ids = query(
        data_root / "catalog.duckdb",
        "SELECT export_id FROM exports WHERE dataset = 'conversations'",
    ).rows
    assert {e["export_id"] for e in genesys} == {i for (i,) in catalog_ids}
    [snapshot] = [e for e in routes["exports"] if e["kind"] == "datatable_snapshot"]
    assert (snapshot["row_count"], snapshot["partitions"]) == (2500, [TODAY])
    datasets = {d["name"]: d for d in routes["datasets"]}
    [(rows,)] = query(data_root / "catalog.duckdb", "SELECT count(*) FROM conversations").rows
    assert datasets["conversations"]["row_count"] == rows
    assert datasets["conversations"]["partitions"] == 2
    assert datasets["datatables.customer_tiers"]["row_count"] == 2500


def test_export_record_has_files_checksums_and_governance_hash(
    client: TestClient, data_root: Path
) -> None:
    [(export_id,)] = query(
        data_root / "catalog.duckdb",
        "SELECT export_id FROM exports WHERE partition_key = ? AND dataset = 'conversations'",
        [DAYS[1]],
    ).rows
    record = client.get(f"/catalog/{export_id}").json()
    assert (record["status"], record["partitions"]) == ("VERIFIED", [DAYS[1]])
    files = query(
        data_root / "catalog.duckdb",
        "SELECT name, size, sha256 FROM export_files WHERE export_id = ? ORDER BY name",
        [export_id],
    ).as_dicts()
    assert [{k: f[k] for k in ("name", "size", "sha256")} for f in record["files"]] == files
    assert record["governance_sha256"] == governance_sha256(files)
    for f in record["files"]:
        assert Path(f["path"]).is_file() and "?" not in (f["uri"] or "")


def test_dataset_gives_schema_partitions_and_readable_parquet_paths(
    client: TestClient, data_root: Path
) -> None:
    dataset = client.get("/catalog/datasets/conversations").json()
    assert [c["name"] for c in dataset["columns"]][:4] == [
        "conversation_id",
        "conversation_date",
        "originating_direction",
        "media_type",
    ]
    assert [p["partition"] for p in dataset["partitions"]] == list(DAYS)
    # What the service says a query engine should read holds exactly the view's rows.
    [(via_paths,)] = query(
        data_root / "catalog.duckdb",
        "SELECT count(*) FROM read_parquet(?)",
        [dataset["parquet_paths"]],
    ).rows
    assert via_paths == dataset["row_count"] == sum(p["row_count"] for p in dataset["partitions"])
    later = client.get("/catalog/datasets/conversations", params={"start": DAYS[1]}).json()
    assert [p["partition"] for p in later["partitions"]] == [DAYS[1]]


def test_filters_by_date_range_and_source(client: TestClient) -> None:
    first = client.get("/catalog/routes", params={"start": DAYS[0], "end": DAYS[0]}).json()
    assert {e["partitions"][0] for e in first["exports"]} == {DAYS[0]}
    none = client.get("/catalog/routes", params={"source": "cxone"}).json()
    assert none["exports"] == [] and all(d["source"] == "cxone" for d in none["datasets"])
    bad = client.get("/catalog/routes", params={"start": DAYS[1], "end": DAYS[0]})
    assert bad.status_code == 400 and "before start" in bad.json()["detail"]


def test_unknown_things_are_json_404s(client: TestClient) -> None:
    for path in ("/catalog/not-an-export", "/catalog/datasets/nothing", "/elsewhere"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"


def test_privacy_and_signatures_never_appear(client: TestClient, data_root: Path) -> None:
    assert query(
        data_root / "catalog.duckdb",
        "SELECT count(*) FROM exports WHERE dataset = 'privacy_exports'",
    ).rows == [(1,)]
    routes = client.get("/catalog/routes")
    bodies = [routes.text, client.get("/openapi.json").text]
    for item in routes.json()["exports"] + routes.json()["datasets"]:
        bodies.append(client.get(item["href"]).text)
    bodies += [
        client.get("/catalog/privacy-req-1").text,
        client.get("/catalog/datasets/privacy.requests").text,
    ]
    text = "\n".join(bodies)
    assert str(data_root / "privacy") not in text
    assert "privacy_exports" not in text and 'privacy-req-1",' not in text
    assert SECRET_QUERY not in text and not re.search(r"https?://[^\"]*\?", text)
    assert client.get("/catalog/privacy-req-1").status_code == 404


def test_bearer_token_guards_every_route(data_root: Path) -> None:
    guarded = TestClient(create_app(data_root / "catalog.duckdb", token="t0ken"))
    for path in ("/catalog/routes", "/openapi.json", "/catalog/datasets/conversations"):
        refused = guarded.get(path)
        assert refused.status_code == 401 and refused.json()["error"] == "unauthorized"
        assert guarded.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert guarded.get(path, headers={"Authorization": "Bearer t0ken"}).status_code == 200
    spec = guarded.get("/openapi.json", headers={"Authorization": "Bearer t0ken"}).json()
    assert spec["security"] == [{"bearer": []}]


def test_non_loopback_needs_a_token_and_missing_catalog_is_503(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="without a bearer token"):
        check_bind("0.0.0.0", None)
    check_bind("0.0.0.0", "t0ken")
    check_bind("127.0.0.1", None)
    response = TestClient(create_app(tmp_path / "catalog.duckdb")).get("/catalog/routes")
    assert response.status_code == 503 and response.json()["error"] == "catalog_unavailable"
    assert not (tmp_path / "catalog.duckdb").exists()  # the service never creates a catalog


def test_served_while_read_only(client: TestClient, data_root: Path) -> None:
    """Reading leaves the file unchanged: the service opens it read-only."""
    catalog = data_root / "catalog.duckdb"
    before = catalog.stat().st_mtime_ns
    client.get("/catalog/routes")
    assert catalog.stat().st_mtime_ns == before
