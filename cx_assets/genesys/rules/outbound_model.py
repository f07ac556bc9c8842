"""Outbound rule sets and contact list filters as readable YAML (the repo's form).

A person writes these files and reviews their diffs, so the form is short: lower-case enum
words (`pre-call`, `greater_than`), one key per condition kind, `not:` for `inverted`, names
instead of ids for the contact list and data actions (resolved against the org before any
write). `outbound_api.py` turns a document into the API's `RuleSet` / `ContactListFilter`
members and back. Models are strict (`extra="forbid"`): a typo in a key is an error naming the
file and the path, never a silently ignored rule.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cx_assets.genesys.rules.model import RuleProblem, RulesInvalid

OPERATORS = (
    "equals",
    "less_than",
    "less_than_equals",
    "greater_than",
    "greater_than_equals",
    "contains",
    "begins_with",
    "ends_with",
    "before",
    "after",
    "in",
    "between",
)
Operator = Literal[
    "equals",
    "less_than",
    "less_than_equals",
    "greater_than",
    "greater_than_equals",
    "contains",
    "begins_with",
    "ends_with",
    "before",
    "after",
    "in",
    "between",
]
ValueType = Literal["string", "numeric", "datetime", "period"]
Category = Literal["pre-call", "wrap-up"]
ActionKind = Literal[
    "do_not_dial",
    "modify_contact_attribute",
    "switch_to_preview",
    "append_number_to_dnc_list",
    "append_custom_entry_to_dnc_list",
    "schedule_callback",
    "contact_uncallable",
    "number_uncallable",
    "set_caller_id",
    "set_skills",
    "data_action",
]
ACTION_KINDS: tuple[str, ...] = ActionKind.__args__  # type: ignore[attr-defined]
#: Limits the sources document (TF `outbound_ruleset` schema: 1 to 10 sub-conditions).
MAX_SUB_CONDITIONS = 10


def _text(value: Any) -> Any:
    """YAML reads `true`, `5` and `2.5` as non-strings; the API compares strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return [_text(v) for v in value]
    return value


def _as_text(cls: type, value: Any) -> Any:
    return _text(value)


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class EntityRef(_Doc):
    """`{id: …}`: an entity named by its id instead of its name."""

    id: str = Field(min_length=1)


#: A contact list or data action: its name (resolved against the org) or `{id: …}`.
Ref = str | EntityRef


class ValueTest(_Doc):
    """A comparison of something the dialer knows (phone number, call analysis, …) with a value."""

    op: Operator
    value: str
    type: ValueType = "string"

    coerce_text = field_validator("value", mode="before")(_as_text)


class ColumnTest(_Doc):
    """`contact_attribute`: a contact list column compared with a value."""

    column: str = Field(min_length=1)
    op: Operator
    value: str
    type: ValueType = "string"

    coerce_text = field_validator("value", mode="before")(_as_text)


class WrapupTest(_Doc):
    """`wrapup`: the call's wrap-up code is one of `codes` (wrap-up code ids)."""

    codes: list[str] = Field(min_length=1)


class PropertyTest(_Doc):
    """`contact_property`: last attempt / last wrap-up, optionally by column (`property`)."""

    property_type: Literal[
        "last_attempt_by_column",
        "last_attempt_overall",
        "last_wrapup_by_column",
        "last_wrapup_overall",
    ]
    property: str | None = None
    op: Operator
    value: str
    type: ValueType = "period"

    coerce_text = field_validator("value", mode="before")(_as_text)


class Predicate(_Doc):
    """One test of a data action's output field (all of a condition's predicates must hold)."""

    output: str = Field(min_length=1)
    op: Operator
    value: str
    not_: bool = Field(default=False, alias="not")
    if_missing: bool = False

    coerce_text = field_validator("value", mode="before")(_as_text)


class DataActionTest(_Doc):
    """`data_action`: call a data action for the contact and test its output.

    `inputs` maps the action's input fields to the contact columns passed to them."""

    action: Ref
    inputs: dict[str, str] = Field(default_factory=dict)
    contact_id_field: str | None = None
    call_analysis_result_field: str | None = None
    agent_wrapup_field: str | None = None
    no_data: bool = False
    predicates: list[Predicate] = Field(min_length=1)


class SubCondition(_Doc):
    """One test of `time_and_date`; `value` is the threshold, `min`/`max` or `in` a range."""

    type: Literal["time_of_day", "day_of_week", "day_of_month", "specific_date"]
    op: Operator
    not_: bool = Field(default=False, alias="not")
    include_year: bool | None = None
    value: str | None = None
    min: str | None = None
    max: str | None = None
    in_: list[str] | None = Field(default=None, alias="in")

    coerce_text = field_validator("value", "min", "max", "in_", mode="before")(_as_text)


class TimeAndDateTest(_Doc):
    time_zone: str = Field(min_length=1)
    match_any: bool = False
    when: list[SubCondition] = Field(min_length=1, max_length=MAX_SUB_CONDITIONS)


CONDITION_KINDS = (
    "contact_attribute",
    "phone_number",
    "phone_number_type",
    "call_analysis",
    "wrapup",
    "system_disposition",
    "contact_property",
    "data_action",
    "time_and_date",
)


class Condition(_Doc):
    """Exactly one kind key, plus `not: true` to invert it."""

    not_: bool = Field(default=False, alias="not")
    contact_attribute: ColumnTest | None = None
    phone_number: ValueTest | None = None
    phone_number_type: ValueTest | None = None
    call_analysis: ValueTest | None = None
    wrapup: WrapupTest | None = None
    system_disposition: ValueTest | None = None
    contact_property: PropertyTest | None = None
    data_action: DataActionTest | None = None
    time_and_date: TimeAndDateTest | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Condition:
        given = [k for k in CONDITION_KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                f"a condition has exactly one of {', '.join(CONDITION_KINDS)} (got "
                f"{', '.join(given) or 'none'})"
            )
        return self

    @property
    def kind(self) -> str:
        return next(k for k in CONDITION_KINDS if getattr(self, k) is not None)

    @property
    def test(self) -> BaseModel:
        return getattr(self, self.kind)


class ActionBody(_Doc):
    """What an action needs beyond its kind: `properties` (e.g. `callbackOffset`), `update` for
    `modify_contact_attribute`, the data action and its inputs for `data_action`."""

    properties: dict[str, str] = Field(default_factory=dict)
    update: Literal["set", "increment", "decrement", "current_time"] | None = None
    action: Ref | None = None
    inputs: dict[str, str] = Field(default_factory=dict)
    contact_id_field: str | None = None
    call_analysis_result_field: str | None = None
    agent_wrapup_field: str | None = None

    @field_validator("properties", mode="before")
    @classmethod
    def _texts(cls, value: Any) -> Any:
        return {k: _text(v) for k, v in value.items()} if isinstance(value, dict) else value


class RuleAction(_Doc):
    kind: ActionKind
    body: ActionBody = ActionBody()


def _parse_action(value: Any) -> Any:
    """`do_not_dial` or `{schedule_callback: {properties: {callbackOffset: "5"}}}`."""
    if isinstance(value, str):
        return {"kind": value}
    if isinstance(value, dict) and len(value) == 1 and "kind" not in value:
        ((kind, body),) = value.items()
        return {"kind": kind, "body": body if body is not None else {}}
    return value


class Rule(_Doc):
    name: str = Field(min_length=1)
    order: int = Field(ge=0)
    category: Category
    when: list[Condition] = Field(min_length=1)
    actions: list[RuleAction] = Field(default_factory=list)

    @field_validator("actions", mode="before")
    @classmethod
    def _actions(cls, value: Any) -> Any:
        return [_parse_action(v) for v in value] if isinstance(value, list) else value


class RuleSetDoc(_Doc):
    """One outbound rule set. `id` pins it; else it is found by `name` (and created if absent).
    `queue` (an id) is managed only when given."""

    name: str = Field(min_length=1)
    id: str | None = None
    contact_list: Ref
    queue: str | None = None
    rules: list[Rule] = Field(min_length=1)


class FilterPredicate(_Doc):
    """One test of a contact list column; `between` takes `min`/`max`, `in` takes `in`."""

    column: str = Field(min_length=1)
    type: Literal["alphabetic", "numeric"] = "alphabetic"
    op: Operator
    value: str | None = None
    min: str | None = None
    max: str | None = None
    min_inclusive: bool | None = None
    max_inclusive: bool | None = None
    in_: list[str] | None = Field(default=None, alias="in")
    not_: bool = Field(default=False, alias="not")

    coerce_text = field_validator("value", "min", "max", "in_", mode="before")(_as_text)


class Clause(_Doc):
    match: Literal["all", "any"] = "all"
    where: list[FilterPredicate] = Field(min_length=1)


class FilterDoc(_Doc):
    """One contact list filter: clauses joined by `match`, each clause's predicates by its own."""

    name: str = Field(min_length=1)
    id: str | None = None
    contact_list: Ref
    match: Literal["all", "any"] = "all"
    clauses: list[Clause] = Field(min_length=1)


Kind = Literal["rule_set", "contact_list_filter"]
DOC_TYPES: dict[str, type[RuleSetDoc] | type[FilterDoc]] = {
    "rule_set": RuleSetDoc,
    "contact_list_filter": FilterDoc,
}


def _problems(source: str, exc: ValidationError) -> list[RuleProblem]:
    return [
        RuleProblem(source, tree_path(error["loc"]) or "(file)", "shape", error["msg"])
        for error in exc.errors()
    ]


def tree_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """`rules[0].when[1].not`: a pydantic location as a person reads the file."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = str(part).rstrip("_")
            out += f".{name}" if out else name
    return out


def parse_doc(kind: Kind, document: Any, *, source: str = "<memory>") -> RuleSetDoc | FilterDoc:
    """`document` (from YAML) as the model of `kind`; `RulesInvalid` names every shape problem."""
    try:
        return DOC_TYPES[kind].model_validate(document)
    except ValidationError as exc:
        raise RulesInvalid(_problems(source, exc)) from None


def load_doc(kind: Kind, path: Path) -> RuleSetDoc | FilterDoc:
    """Parse one file; a YAML error or a shape problem is `RulesInvalid` naming the file."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RulesInvalid([RuleProblem(str(path), "(file)", "yaml", str(exc))]) from None
    return parse_doc(kind, document, source=str(path))


def to_document(doc: RuleSetDoc | FilterDoc) -> dict[str, Any]:
    """The YAML mapping of `doc`: defaults left out, actions back in their short form."""
    data = doc.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    if isinstance(doc, RuleSetDoc):
        for rule, model in zip(data["rules"], doc.rules, strict=True):
            rule["actions"] = [_action_document(a) for a in model.actions]
            if not rule["actions"]:
                del rule["actions"]
    return data


def _action_document(action: RuleAction) -> Any:
    body = action.body.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    return {action.kind: body} if body else action.kind


def dump_doc(doc: RuleSetDoc | FilterDoc) -> str:
    return yaml.safe_dump(to_document(doc), sort_keys=False, allow_unicode=True)
