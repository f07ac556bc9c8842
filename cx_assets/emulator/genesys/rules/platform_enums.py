"""The enum values and server-filled members of the platform rules bodies (the PY models'
`allowed_values`, as docs/api-contract.md "RuleSet" and "ContactListFilter" list them).
"""

from __future__ import annotations

#: Members the server fills in; a body may send them back as read (they are ignored).
SERVER_MEMBERS = ("id", "version", "dateCreated", "dateModified", "selfUri")
OPERATORS = (
    "EQUALS", "LESS_THAN", "LESS_THAN_EQUALS", "GREATER_THAN", "GREATER_THAN_EQUALS", "CONTAINS",
    "BEGINS_WITH", "ENDS_WITH", "BEFORE", "AFTER", "IN", "BETWEEN",
)  # fmt: skip
OUTPUT_OPERATORS = tuple(op for op in OPERATORS if op not in ("IN", "BETWEEN"))
CONDITION_TYPES = (
    "wrapupCondition", "systemDispositionCondition", "contactAttributeCondition",
    "phoneNumberCondition", "phoneNumberTypeCondition", "callAnalysisCondition",
    "contactPropertyCondition", "dataActionCondition", "timeAndDateCondition",
)  # fmt: skip
VALUE_TYPES = ("STRING", "NUMERIC", "DATETIME", "PERIOD")
PROPERTY_TYPES = (
    "LAST_ATTEMPT_BY_COLUMN", "LAST_ATTEMPT_OVERALL",
    "LAST_WRAPUP_BY_COLUMN", "LAST_WRAPUP_OVERALL",
)  # fmt: skip
CATEGORIES = ("DIALER_PRECALL", "DIALER_WRAPUP")
ACTION_TYPES = ("Action", "modifyContactAttribute", "dataActionBehavior")
ACTION_TYPE_NAMES = (
    "DO_NOT_DIAL", "MODIFY_CONTACT_ATTRIBUTE", "SWITCH_TO_PREVIEW", "APPEND_NUMBER_TO_DNC_LIST",
    "APPEND_CUSTOM_ENTRY_TO_DNC_LIST", "SCHEDULE_CALLBACK", "CONTACT_UNCALLABLE",
    "NUMBER_UNCALLABLE", "SET_CALLER_ID", "SET_SKILLS", "DATA_ACTION",
)  # fmt: skip
UPDATE_OPTIONS = ("SET", "INCREMENT", "DECREMENT", "CURRENT_TIME")
SUB_TYPES = ("timeOfDay", "dayOfWeek", "dayOfMonth", "specificDate")
