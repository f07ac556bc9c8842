"""The reads of the independent tutorial data actions server (a mixin of `DataActionsServer`):
`ETag`s, datasets, the action listing, one action, and how stored actions and condition trees are
rendered under the `Quirks` (tutorial_data_actions_quirks.py says what each changes).
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cx_assets_tests.independent.tutorial_data_actions_hooks import stamp

Json = dict[str, Any]
ACTIONS = "/api/v2/dataactions"


class Reads:
    """Needs `quirks`, `datasets`, `actions`, `modified`, `auth`, `audit`, `client_id`."""

    quirks: Any
    datasets: dict[str, Json]
    actions: dict[str, Json]
    modified: dict[str, Any]
    auth: Any
    audit: Any
    client_id: str

    def etag(self, action_id: str) -> str:
        """The `ETag` header the action has now (what `If-Match` must carry)."""
        version = self.actions[action_id]["version"]
        opaque = str(version)
        if self.quirks.etag_opaque:
            opaque = hashlib.sha256(f"{action_id}:{version}".encode()).hexdigest()[:16]
        return f'W/"{opaque}"' if self.quirks.etag_weak else f'"{opaque}"'

    def _node(self, item: Json) -> Json:
        q = self.quirks
        if "children" in item:
            out: Json = {
                "type": item["type"],
                "children": [self._node(c) for c in item["children"]],
            }
            if q.boolean_nulls:
                out |= {"value": None, "expression": None}
            return dict(reversed(out.items())) if q.key_order else out
        value = dict(item["value"])
        if q.extra_members:
            value["fieldName"] = self._field(value["datasetId"], value["fieldId"])["name"]
        if q.key_order:
            value = dict(reversed(value.items()))
        out = {
            "type": item["type"],
            "value": value,
            "expression": copy.deepcopy(item["expression"]),
        }
        if q.children_empty:
            out["children"] = []
        return dict(reversed(out.items())) if q.key_order else out

    def _field(self, dataset_id: str, field_id: str) -> Json:
        return next(f for f in self.datasets[dataset_id]["fields"] if f["id"] == field_id)

    def _render(self, stored: Json) -> Json:
        q, root = self.quirks, self._node(stored["conditions"])
        out: Json = {"id": stored["id"], "name": stored["name"]}
        out["conditions"] = [root] if q.conditions_list else root
        out["version"] = stored["version"]
        if q.body_etag:
            out["etag"] = self.etag(stored["id"])
        if q.extra_members:
            out |= {"description": "", "selfUri": f"{ACTIONS}/{stored['id']}"}
            out["dateModified"] = stamp(self.modified[stored["id"]], q.timestamps_offset)
        if q.key_order:
            out = {"version": out.pop("version")} | out
        return out

    def _one(self, stored: Json, status: int = 200) -> Response:
        response = JSONResponse(self._render(stored), status_code=status)
        response.headers["ETag"] = self.etag(stored["id"])
        return response

    def _listing(self, entities: list[Json]) -> Response:
        out: Json = {"entities": entities}
        if self.quirks.list_paging:
            count = len(entities)
            out |= {"pageSize": max(25, count), "pageNumber": 1, "total": count, "pageCount": 1}
        return JSONResponse(out)

    def _missing(self, what: str, ident: str) -> Response:
        return self.auth.error(404, "not.found", f"{what} {ident} not found")

    def _actor(self, request: Request) -> str:
        token = request.headers.get("authorization", "").partition(" ")[2]
        return self.auth.tokens.get(token, (self.client_id,))[0]

    # ---- datasets and actions ------------------------------------------------------------------
    async def _datasets(self, request: Request) -> Response:
        extra = self.quirks.extra_members
        return self._listing(
            [
                {"id": d["id"], "name": d["name"]}
                | ({"fieldCount": len(d["fields"])} if extra else {})
                for d in self.datasets.values()
            ]
        )

    async def _dataset(self, request: Request) -> Response:
        q, ds_id = self.quirks, request.path_params["id"]
        if (stored := self.datasets.get(ds_id)) is None:
            return self._missing("dataset", ds_id)
        out = copy.deepcopy(stored)
        for f in out["fields"]:
            f["type"] = f["type"].upper() if q.field_type_upper else f["type"]
            if q.extra_members:
                f["nullable"] = True
        if q.derived_absent and not out["derivedFrom"]:
            del out["derivedFrom"]
        if q.extra_members:
            out["description"] = f"{stored['name']} records"
        return JSONResponse(out)

    async def _actions(self, request: Request) -> Response:
        extra = self.quirks.extra_members
        return self._listing(
            [
                {"id": a["id"], "name": a["name"], "version": a["version"]}
                | ({"selfUri": f"{ACTIONS}/{a['id']}"} if extra else {})
                for a in self.actions.values()
            ]
        )

    async def _action(self, request: Request) -> Response:
        action_id = request.path_params["id"]
        if (stored := self.actions.get(action_id)) is None:
            return self._missing("data action", action_id)
        if self.quirks.audit_other_operations:
            actor, version = self._actor(request), stored["version"]
            self.audit.record(
                action_id,
                actor,
                "SUCCESS",
                version,
                operation="READ",
                event_type="data.action.read",
            )
        return self._one(stored)


def matches(if_match: str, etag: str) -> bool:
    """`If-Match` (one tag or a comma list) names `etag`, compared on the opaque part."""

    def opaque(tag: str) -> str:
        tag = tag.strip()
        return tag[2:] if tag.startswith("W/") else tag

    return any(opaque(tag) == opaque(etag) for tag in if_match.split(","))
