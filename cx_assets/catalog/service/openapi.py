"""The catalog service's OpenAPI 3.1 description, written as data.

Hand-written rather than generated: the service is four GET routes, and a literal document keeps
the described shapes next to each other where a reviewer (and the tests that walk it) can read
them.
"""

from __future__ import annotations

from typing import Any

_NULLABLE_STR = {"type": ["string", "null"]}
_NULLABLE_INT = {"type": ["integer", "null"]}


def _obj(required: list[str], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


_SCHEMAS: dict[str, Any] = {
    "Error": _obj(["error", "detail"], error={"type": "string"}, detail={"type": "string"}),
    "ExportSummary": _obj(
        ["export_id", "kind", "source", "dataset", "partitions", "status", "row_count", "href"],
        export_id={"type": "string"},
        kind={"type": "string", "enum": ["export", "datatable_snapshot"]},
        source={"type": "string"},
        dataset={"type": "string"},
        partitions={"type": "array", "items": {"type": "string"}},
        status={"type": "string"},
        format=_NULLABLE_STR,
        row_count={"type": "integer"},
        quarantined_count={"type": "integer"},
        file_count={"type": "integer"},
        bytes={"type": "integer"},
        requested_at=_NULLABLE_STR,
        completed_at=_NULLABLE_STR,
        registered_at=_NULLABLE_STR,
        href={"type": "string"},
    ),
    "DatasetSummary": _obj(
        ["name", "source", "partitions", "row_count", "href"],
        name={"type": "string"},
        source=_NULLABLE_STR,
        partitions={"type": "integer", "description": "partitions present (after filters)"},
        first_partition=_NULLABLE_STR,
        last_partition=_NULLABLE_STR,
        row_count={"type": "integer"},
        href={"type": "string"},
    ),
    "Routes": _obj(
        ["datasets", "exports"],
        datasets={"type": "array", "items": _ref("DatasetSummary")},
        exports={"type": "array", "items": _ref("ExportSummary")},
    ),
    "ExportFile": _obj(
        ["name", "size", "sha256"],
        name={"type": "string"},
        size={"type": "integer"},
        sha256={"type": "string"},
        record_count=_NULLABLE_INT,
        uri={**_NULLABLE_STR, "description": "source URI without its query (no signatures)"},
        path={**_NULLABLE_STR, "description": "where the verified file is on the server"},
    ),
    "Export": {
        "allOf": [
            _ref("ExportSummary"),
            _obj(
                ["files", "governance_sha256"],
                files={"type": "array", "items": _ref("ExportFile")},
                governance_sha256={
                    "type": "string",
                    "description": "SHA-256 of the canonical JSON (sorted keys, no spaces) of "
                    "[{name, sha256, size}] sorted by name",
                },
            ),
        ]
    },
    "Dataset": _obj(
        ["name", "source", "columns", "parquet_paths", "partitions", "row_count", "query"],
        name={"type": "string"},
        source=_NULLABLE_STR,
        columns={
            "type": "array",
            "items": _obj(["name", "type"], name={"type": "string"}, type={"type": "string"}),
        },
        parquet_glob=_NULLABLE_STR,
        parquet_paths={"type": "array", "items": {"type": "string"}},
        partitions={
            "type": "array",
            "items": _obj(
                ["partition", "row_count", "files"],
                partition=_NULLABLE_STR,
                row_count={"type": "integer"},
                files={
                    "type": "array",
                    "items": _obj(
                        ["path", "size", "row_count"],
                        path={"type": "string"},
                        size={"type": "integer"},
                        row_count={"type": "integer"},
                    ),
                },
            ),
        },
        row_count={"type": "integer"},
        query={"type": "string", "description": "SQL that reads exactly these files"},
    ),
}

_FILTERS = [
    {
        "name": "start",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "format": "date"},
        "description": "only partitions on or after this UTC day",
    },
    {
        "name": "end",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "format": "date"},
        "description": "only partitions on or before this UTC day",
    },
    {
        "name": "source",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": "only this source (genesys, cxone)",
    },
]


def _json(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "a filter is not a date, or end is before start",
        401: "missing or wrong bearer token (only when the service has one)",
        404: "unknown id or name",
        503: "no catalog yet, or a writer held it too long",
    }
    return {str(c): _json(text[c], "Error") for c in codes}


def openapi_spec(*, bearer: bool = False) -> dict[str, Any]:
    """The OpenAPI document; `bearer` adds the security scheme the service then enforces."""
    spec: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "cx-assets catalog",
            "version": "1",
            "description": "Read-only map of what has been exported into the lake: exports, "
            "datasets, files, checksums. Never lists the privacy area or URL signatures.",
        },
        "paths": {
            "/catalog/routes": {
                "get": {
                    "summary": "List datasets and exports",
                    "parameters": _FILTERS,
                    "responses": {
                        "200": _json("datasets and exports", "Routes"),
                        **_errors(400, 401, 503),
                    },
                }
            },
            "/catalog/datasets/{name}": {
                "get": {
                    "summary": "One dataset: schema, partitions, row counts, Parquet paths",
                    "parameters": [
                        {
                            "name": "name",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                        *_FILTERS[:2],
                    ],
                    "responses": {
                        "200": _json("the dataset", "Dataset"),
                        **_errors(400, 401, 404, 503),
                    },
                }
            },
            "/catalog/{export_id}": {
                "get": {
                    "summary": "One export: status, partitions, files, checksums, governance hash",
                    "parameters": [
                        {
                            "name": "export_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {"200": _json("the export", "Export"), **_errors(401, 404, 503)},
                }
            },
        },
        "components": {"schemas": _SCHEMAS},
    }
    if bearer:
        spec["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        spec["security"] = [{"bearer": []}]
    return spec
