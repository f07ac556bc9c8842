"""Strict models of what we send for the members the repo manages (PY `DialerRule`,
`Condition`, `DialerAction`, `ContactListFilterClause`, …, enum values from PY's models).

`outbound_api.py` builds these members as plain dicts; every one passes through here before a
PUT or POST, so a member the API does not have, a misspelt enum or a wrong type is our bug,
caught before the wire (`extra="forbid"`), never a 400 from a real org.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Operator = Literal[
    "EQUALS",
    "LESS_THAN",
    "LESS_THAN_EQUALS",
    "GREATER_THAN",
    "GREATER_THAN_EQUALS",
    "CONTAINS",
    "BEGINS_WITH",
    "ENDS_WITH",
    "BEFORE",
    "AFTER",
    "IN",
    "BETWEEN",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IdRef(_Strict):
    id: str = Field(min_length=1)


class FieldMapping(_Strict):
    contactColumnName: str
    dataActionField: str


class PredicateRequest(_Strict):
    outputField: str
    outputOperator: Literal[
        "EQUALS",
        "LESS_THAN",
        "LESS_THAN_EQUALS",
        "GREATER_THAN",
        "GREATER_THAN_EQUALS",
        "CONTAINS",
        "BEGINS_WITH",
        "ENDS_WITH",
        "BEFORE",
        "AFTER",
    ]
    comparisonValue: str
    inverted: bool
    outputFieldMissingResolution: bool


class SubRange(_Strict):
    min: str | None = None
    max: str | None = None
    inSet: list[str] | None = None


class SubConditionRequest(_Strict):
    type: Literal["timeOfDay", "dayOfWeek", "dayOfMonth", "specificDate"]
    operator: Operator
    inverted: bool
    includeYear: bool | None = None
    thresholdValue: str | None = None
    range: SubRange | None = None


class ConditionRequest(_Strict):
    type: Literal[
        "wrapupCondition",
        "systemDispositionCondition",
        "contactAttributeCondition",
        "phoneNumberCondition",
        "phoneNumberTypeCondition",
        "callAnalysisCondition",
        "contactPropertyCondition",
        "dataActionCondition",
        "timeAndDateCondition",
    ]
    inverted: bool
    attributeName: str | None = None
    value: str | None = None
    valueType: Literal["STRING", "NUMERIC", "DATETIME", "PERIOD"] | None = None
    operator: Operator | None = None
    codes: list[str] | None = None
    property: str | None = None
    propertyType: (
        Literal[
            "LAST_ATTEMPT_BY_COLUMN",
            "LAST_ATTEMPT_OVERALL",
            "LAST_WRAPUP_BY_COLUMN",
            "LAST_WRAPUP_OVERALL",
        ]
        | None
    ) = None
    dataAction: IdRef | None = None
    dataNotFoundResolution: bool | None = None
    contactIdField: str | None = None
    callAnalysisResultField: str | None = None
    agentWrapupField: str | None = None
    contactColumnToDataActionFieldMappings: list[FieldMapping] | None = None
    predicates: list[PredicateRequest] | None = None
    subConditions: list[SubConditionRequest] | None = Field(default=None, max_length=10)
    matchAnyConditions: bool | None = None
    timeZoneId: str | None = None


class ActionRequest(_Strict):
    type: Literal["Action", "modifyContactAttribute", "dataActionBehavior"]
    actionTypeName: Literal[
        "DO_NOT_DIAL",
        "MODIFY_CONTACT_ATTRIBUTE",
        "SWITCH_TO_PREVIEW",
        "APPEND_NUMBER_TO_DNC_LIST",
        "APPEND_CUSTOM_ENTRY_TO_DNC_LIST",
        "SCHEDULE_CALLBACK",
        "CONTACT_UNCALLABLE",
        "NUMBER_UNCALLABLE",
        "SET_CALLER_ID",
        "SET_SKILLS",
        "DATA_ACTION",
    ]
    updateOption: Literal["SET", "INCREMENT", "DECREMENT", "CURRENT_TIME"] | None = None
    properties: dict[str, str]
    dataAction: IdRef | None = None
    contactColumnToDataActionFieldMappings: list[FieldMapping] | None = None
    contactIdField: str | None = None
    callAnalysisResultField: str | None = None
    agentWrapupField: str | None = None


class RuleRequest(_Strict):
    id: str | None = None
    name: str = Field(min_length=1)
    order: int
    category: Literal["DIALER_PRECALL", "DIALER_WRAPUP"]
    conditions: list[ConditionRequest] = Field(min_length=1)
    actions: list[ActionRequest]


class FilterRange(_Strict):
    min: str | None = None
    max: str | None = None
    minInclusive: bool | None = None
    maxInclusive: bool | None = None
    inSet: list[str] | None = None


class FilterPredicateRequest(_Strict):
    column: str
    columnType: Literal["numeric", "alphabetic"]
    operator: Operator
    value: str | None = None
    range: FilterRange | None = None
    inverted: bool


class ClauseRequest(_Strict):
    filterType: Literal["AND", "OR"]
    predicates: list[FilterPredicateRequest] = Field(min_length=1)


def checked_rule(member: dict[str, Any]) -> dict[str, Any]:
    """`member` unchanged if it is a valid `DialerRule` body; else a ValidationError (our bug)."""
    RuleRequest.model_validate(member)
    return member


def checked_clause(member: dict[str, Any]) -> dict[str, Any]:
    ClauseRequest.model_validate(member)
    return member


def checked_ref(member: dict[str, Any]) -> dict[str, Any]:
    IdRef.model_validate(member)
    return member
