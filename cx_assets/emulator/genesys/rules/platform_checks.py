"""Small strict readers shared by the rule set and filter validation: each refusal is a 400
whose `details[0].fieldName` names the member (`rules[0].conditions[1].dataAction.id`).

A JSON `null` member counts as absent (the SDKs' serialisers send unset members as null or
leave them out). Nothing is coerced: `"1"` is not an integer and `1` is not a string.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from cx_assets.emulator.errors import ApiError


def at(field: str, member: str | int) -> str:
    """The path of `member` under `field` (`rules[0].name`); the body's own members bare."""
    if isinstance(member, int):
        return f"{field}[{member}]"
    return f"{field}.{member}" if field else member


def refuse(field: str, why: str) -> ApiError:
    return ApiError(400, f"{field}: {why}", code="bad.request", field=field)


def members(
    value: Any, field: str, allowed: Iterable[str], required: Iterable[str] = ()
) -> dict[str, Any]:
    """`value` as an object of `allowed` members (nulls dropped), every `required` one present."""
    if not isinstance(value, dict):
        raise refuse(field or "body", "must be a JSON object")
    allowed = tuple(allowed)
    for name in value:
        if name not in allowed:
            raise refuse(at(field, name), f"unknown member (allowed: {', '.join(allowed)})")
    present = {k: v for k, v in value.items() if v is not None}
    for name in required:
        if name not in present:
            raise refuse(at(field, name), "is required")
    return present


def text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise refuse(field, "must be a non-empty string")
    return value


def string(value: Any, field: str) -> str:
    """Any string, empty included (a comparison value may be empty)."""
    if not isinstance(value, str):
        raise refuse(field, "must be a string")
    return value


def boolean(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise refuse(field, "must be true or false")
    return value


def integer(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise refuse(field, "must be an integer")
    return value


def enum(value: Any, field: str, allowed: tuple[str, ...]) -> str:
    """One of `allowed`, exactly as written (the server does not fold case)."""
    if value not in allowed:
        raise refuse(field, f"{value!r} is not one of {', '.join(allowed)}")
    return value


def items(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise refuse(field, "must be a list")
    return value


def strings(value: Any, field: str) -> list[str]:
    return [string(item, at(field, i)) for i, item in enumerate(items(value, field))]


def ref(value: Any, field: str, known: Mapping[str, dict[str, Any]], what: str) -> dict[str, Any]:
    """A `{"id", "name"?, "selfUri"?}` reference to a known entity, as the server writes it."""
    found = members(value, field, ("id", "name", "selfUri"), ("id",))
    entity_id = text(found["id"], at(field, "id"))
    entity = known.get(entity_id)
    if entity is None:
        raise refuse(at(field, "id"), f"no {what} {entity_id}")
    return {"id": entity_id, "name": entity["name"], "selfUri": entity["selfUri"]}


def check_range(
    operator: str, value: dict[str, Any], field: str, allowed: tuple[str, ...]
) -> dict[str, Any] | None:
    """The `range` of a BETWEEN (needs min, max) or IN (needs inSet) predicate, read strictly."""
    raw = value.get("range")
    found = None if raw is None else members(raw, at(field, "range"), allowed)
    where = at(field, "range")
    if operator == "BETWEEN":
        for bound in ("min", "max"):
            if found is None or bound not in found:
                raise refuse(at(where, bound), "is required for BETWEEN")
    if operator == "IN" and (found is None or not found.get("inSet")):
        raise refuse(at(where, "inSet"), "is required (a non-empty list) for IN")
    if found is None:
        return None
    for bound in ("min", "max"):
        if bound in found:
            string(found[bound], at(where, bound))
    for flag in ("minInclusive", "maxInclusive"):
        if flag in found:
            boolean(found[flag], at(where, flag))
    if "inSet" in found:
        strings(found["inSet"], at(where, "inSet"))
    return found
