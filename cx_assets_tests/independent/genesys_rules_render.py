"""How the independent rules server writes what it holds: entities, refs, contracts, dates,
listings and error bodies, each as the quirks say.
"""

from __future__ import annotations

import copy
import math
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse

from cx_assets_tests.independent.genesys_rules_check import ENUMS, EXTRA_PREFIX
from cx_assets_tests.independent.genesys_rules_quirks import Quirks

Json = dict[str, Any]
LISTS = "/api/v2/outbound/contactlists"
ACTIONS = "/api/v2/integrations/actions"
RULESETS = "/api/v2/outbound/rulesets"
FILTERS = "/api/v2/outbound/contactlistfilters"
QUEUES = "/api/v2/routing/queues"
DIVISION = {"id": "d1v00001-0000-4000-8000-000000000001", "name": "Home"}


class BadParam(ValueError):
    """A query parameter the server refuses: 400 naming it."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


def iso(moment: datetime, fraction: bool = True) -> str:
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{moment.microsecond // 1000:03d}Z" if fraction else f"{text}Z"


def other_case(value: str) -> str:
    """UPPER → lower, lower → UPPER, camelCase / PascalCase → first letter swapped."""
    if value.isupper():
        return value.lower()
    if value.islower():
        return value.upper()
    return value[:1].swapcase() + value[1:]


def fail(
    status: int, code: str, message: str, field: str | None = None, extra: bool = False
) -> JSONResponse:
    """A Genesys `ErrorBody`; `details[0].fieldName` names the member when there is one."""
    body: Json = {"message": message, "code": code, "status": status}
    body["contextId"] = str(uuid.uuid4())
    body["details"] = [{"errorCode": code, "fieldName": field}] if field else []
    body["errors"] = []
    if extra:
        body[EXTRA_PREFIX + "Error"] = {"field": field}
    return JSONResponse(body, status_code=status)


class Renderer:
    """Writes stored entities; `names` gives the name behind a ref id."""

    def __init__(self, quirks: Quirks, names: dict[str, str]) -> None:
        self.q, self.names = quirks, names

    # ---- pieces -------------------------------------------------------------------------------
    def enum(self, kind: str, key: str, value: Any) -> Any:
        if self.q.enum_other_case and isinstance(value, str) and (kind, key) in ENUMS:
            return other_case(value)
        return value

    def obj(self, kind: str, body: Json) -> Json:
        """Enums re-cased, defaults left out, an unknown member added (as the quirks say)."""
        out: Json = {}
        for key, value in body.items():
            if self.q.defaults_omitted and (
                (value is False and key == "inverted") or value in ([], {})
            ):
                continue
            out[key] = self.enum(kind, key, value)
        if self.q.extra_members:
            out[EXTRA_PREFIX + kind[:1].upper() + kind[1:]] = {"rev": 3}
        return out

    def ref(self, ref: Json, base: str) -> Json:
        out: Json = {"id": ref["id"]}
        if self.q.ref_names:
            if ref["id"] in self.names:
                out["name"] = self.names[ref["id"]]
            if not self.q.no_self_uri:
                out["selfUri"] = f"{base}/{ref['id']}"
        if self.q.extra_members:
            out[EXTRA_PREFIX + "Ref"] = True
        return out

    def date(self, moment: datetime) -> str:
        whole = moment.microsecond // 1000 == 0
        return iso(moment, not (self.q.dates_mixed_precision and whole))

    def dates(self, out: Json, stored: Json) -> None:
        out["dateCreated"] = self.date(stored["dateCreated"])
        out["dateModified"] = self.date(stored["dateModified"])

    def finish(self, out: Json, base: str, stored: Json, kind: str) -> Json:
        self.dates(out, stored)
        if not self.q.no_self_uri:
            out["selfUri"] = f"{base}/{stored['id']}"
        if self.q.extra_members:
            out[EXTRA_PREFIX + kind] = {"division": dict(DIVISION)}
        return out

    # ---- rule sets ----------------------------------------------------------------------------
    def rule_set(self, stored: Json, summary: bool = False) -> Json:
        out: Json = {"id": stored["id"], "name": stored["name"], "version": stored["version"]}
        out["contactList"] = self.ref(stored["contactList"], LISTS)
        if "queue" in stored:
            out["queue"] = self.ref(stored["queue"], QUEUES)
        if not summary:
            rules = stored["rules"]
            if self.q.rules_reversed:
                rules = sorted(rules, key=lambda r: r.get("order", 0), reverse=True)
            out["rules"] = [self.rule(rule) for rule in rules]
        return self.finish(out, RULESETS, stored, "RuleSet")

    def rule(self, rule: Json) -> Json:
        body = dict(rule)
        body["conditions"] = [self.condition(c) for c in rule.get("conditions", [])]
        body["actions"] = [self.action(a) for a in rule.get("actions", [])]
        return self.obj("rule", body)

    def condition(self, cond: Json) -> Json:
        body = copy.deepcopy(cond)
        if "dataAction" in body:
            body["dataAction"] = self.ref(body["dataAction"], ACTIONS)
        if "predicates" in body:
            body["predicates"] = [self.obj("outputPredicate", p) for p in body["predicates"]]
        if "subConditions" in body:
            body["subConditions"] = [self.obj("subCondition", s) for s in body["subConditions"]]
        if "contactColumnToDataActionFieldMappings" in body:
            maps = body["contactColumnToDataActionFieldMappings"]
            body["contactColumnToDataActionFieldMappings"] = [self.obj("mapping", m) for m in maps]
        return self.obj("condition", body)

    def action(self, act: Json) -> Json:
        body = copy.deepcopy(act)
        if "dataAction" in body:
            body["dataAction"] = self.ref(body["dataAction"], ACTIONS)
        return self.obj("action", body)

    # ---- filters ------------------------------------------------------------------------------
    def filter(self, stored: Json, summary: bool = False) -> Json:
        out: Json = {"id": stored["id"], "name": stored["name"], "version": stored["version"]}
        out["sourceType"] = self.enum("filter", "sourceType", stored["sourceType"])
        out["contactList"] = self.ref(stored["contactList"], LISTS)
        out["filterType"] = self.enum("filter", "filterType", stored["filterType"])
        if not summary:
            out["clauses"] = [
                self.obj(
                    "clause",
                    {
                        "filterType": clause["filterType"],
                        "predicates": [self.obj("predicate", p) for p in clause["predicates"]],
                    },
                )
                for clause in stored["clauses"]
            ]
        return self.finish(out, FILTERS, stored, "ContactListFilter")

    # ---- contact lists and actions ------------------------------------------------------------
    def contact_list(self, stored: Json) -> Json:
        out = {k: copy.deepcopy(stored[k]) for k in ("id", "name", "version", "columnNames")}
        out["phoneColumns"] = copy.deepcopy(stored["phoneColumns"])
        if self.q.extra_members:
            out["division"] = dict(DIVISION)
            out["attemptLimits"] = None
        return self.finish(out, LISTS, stored, "ContactList")

    def action_entity(self, stored: Json, with_contract: bool) -> Json:
        keys = ("id", "name", "category", "integrationId", "version", "secure")
        out: Json = {k: stored[k] for k in keys}
        if with_contract:
            out["contract"] = self.contract(stored)
        if self.q.extra_members:
            out["config"] = {"timeoutSeconds": 10, "request": {"requestType": "GET"}}
            out[EXTRA_PREFIX + "Action"] = {"draft": False}
        if not self.q.no_self_uri:
            out["selfUri"] = f"{ACTIONS}/{stored['id']}"
        return out

    def contract(self, stored: Json) -> Json:
        inputs: Json = {"type": "object", "properties": copy.deepcopy(stored["inputs"])}
        outputs: Json = {"type": "object", "properties": copy.deepcopy(stored["outputs"])}
        if self.q.schema_keywords:
            draft = "http://json-schema.org/draft-04/schema#"
            inputs = {"$schema": draft, "title": "Request", "description": stored["name"]} | inputs
            inputs |= {"required": sorted(stored["inputs"]), "additionalProperties": True}
            outputs = {"$schema": draft, "title": "Response"} | outputs
            outputs["additionalProperties"] = True
            for name, schema in outputs["properties"].items():
                schema["description"] = f"The {name} the backend answers"
                if schema["type"] == "object":
                    schema["properties"] = {
                        "street": {"type": "string"},
                        "city": {"type": "string"},
                        "postcode": {"type": "integer"},
                    }
                    schema["required"] = ["city"]
        contract: Json = {"input": {"inputSchema": inputs}, "output": {"successSchema": outputs}}
        if self.q.schema_keywords:
            error = {"type": "object", "properties": {"message": {"type": "string"}}}
            contract["output"]["errorSchema"] = error
        if self.q.extra_members:
            contract[EXTRA_PREFIX + "Contract"] = {"flattened": False}
        return contract


# ---- listings ----------------------------------------------------------------------------------
def int_param(request: Request, name: str, default: int, high: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1 or (high is not None and int(raw) > high):
        limit = f"1 to {high}" if high is not None else "at least 1"
        raise BadParam(name, f"{name} must be an integer {limit}, got {raw!r}")
    return int(raw)


def envelope(request: Request, items: list[Json], quirks: Quirks, cap: int) -> Json:
    """The pageNumber envelope over `items`; URIs are paths with the other parameters kept."""
    if quirks.page_size_capped:
        size = min(int_param(request, "pageSize", 25), cap)
    else:
        size = int_param(request, "pageSize", 25, 100)
    number = int_param(request, "pageNumber", 1)
    count = max(1, math.ceil(len(items) / size))
    kept = [
        (k, v) for k, v in request.query_params.multi_items() if k not in ("pageSize", "pageNumber")
    ]

    def uri(page: int) -> str:
        return f"{request.url.path}?{urlencode([*kept, ('pageSize', size), ('pageNumber', page)])}"

    body: Json = {"entities": items[(number - 1) * size : number * size]}
    body |= {"pageSize": size, "pageNumber": number}
    if not quirks.list_no_counts:
        body |= {"total": len(items), "pageCount": count, "lastUri": uri(count)}
    body["firstUri"] = uri(1)
    if number < count:
        body["nextUri"] = uri(number + 1)
    if number > 1:
        body["previousUri"] = uri(number - 1)
    if not quirks.no_self_uri:
        body["selfUri"] = uri(number)
    if quirks.extra_members:
        body[EXTRA_PREFIX + "Page"] = {"served": len(body["entities"])}
    return body
