"""The platform rules seed: contact lists, integration actions, one rule set, one filter.

Fixed ids (docs/api-contract.md "Emulator behaviour and switches for platform rules"), so a rule
file written against the emulator names the same things on every fresh state directory. Contact
lists and actions are read-only here (the project never edits them); the rule set and the
filter are the editable, versioned entities, copied into the store's state on first start.
"""

from __future__ import annotations

from typing import Any

SPRING = "c0a80001-0000-4000-8000-000000000001"
COLLECTIONS = "c0a80001-0000-4000-8000-000000000002"
LOOKUP = "da000001-0000-4000-8000-000000000001"
DNC = "da000001-0000-4000-8000-000000000002"
RULE_SET = "a1e50001-0000-4000-8000-000000000001"
RULE = "a1e50001-0000-4000-8000-0000000000a1"
FILTER = "f1170001-0000-4000-8000-000000000001"
INTEGRATION = "1a7e0001-0000-4000-8000-000000000001"
#: Who seeded the rule set and the filter (their `Create` audits).
SYSTEM_USER = {"id": "system", "name": "system"}
#: Who edits "in the admin UI" when `POST /admin/outbound/edit` names nobody.
ADMIN_USER = {"id": "5e0c0001-0000-4000-8000-000000000001", "name": "Dana Okafor"}
ADMIN_APPLICATION = "Genesys Cloud admin"
SEED_DATE = "2026-01-05T09:00:00.000Z"
DIVISION = {"id": "d1v00001-0000-4000-8000-000000000001", "name": "Home"}


def _contact_list(
    list_id: str, name: str, columns: list[str], phones: list[tuple[str, str]]
) -> dict[str, Any]:
    return {
        "id": list_id,
        "name": name,
        "version": 1,
        "division": DIVISION,
        "columnNames": columns,
        "phoneColumns": [{"columnName": c, "type": t} for c, t in phones],
        "emailColumns": [],
        "dateCreated": SEED_DATE,
        "dateModified": SEED_DATE,
        "selfUri": f"/api/v2/outbound/contactlists/{list_id}",
    }


CONTACT_LISTS: dict[str, dict[str, Any]] = {
    SPRING: _contact_list(
        SPRING,
        "Spring renewals",
        [
            "account_number",
            "first_name",
            "region",
            "balance",
            "last_paid",
            "phone_home",
            "phone_cell",
            "opt_in",
        ],
        [("phone_home", "home"), ("phone_cell", "cell")],
    ),
    COLLECTIONS: _contact_list(
        COLLECTIONS,
        "Collections EU",
        ["account_number", "country", "days_overdue", "amount_due", "phone"],
        [("phone", "cell")],
    ),
}


def _schema(fields: dict[str, str | tuple[str, str]]) -> dict[str, Any]:
    """A JSON schema object of `fields` (name -> type, or (type, format))."""
    properties: dict[str, Any] = {}
    for name, kind in fields.items():
        properties[name] = (
            {"type": kind[0], "format": kind[1]} if isinstance(kind, tuple) else {"type": kind}
        )
    return {"type": "object", "properties": properties}


def _action(
    action_id: str,
    name: str,
    inputs: dict[str, str | tuple[str, str]],
    outputs: dict[str, str | tuple[str, str]],
) -> dict[str, Any]:
    return {
        "id": action_id,
        "name": name,
        "category": "Accounts",
        "integrationId": INTEGRATION,
        "secure": False,
        "version": 1,
        "contract": {
            "input": {"inputSchema": _schema(inputs)},
            "output": {"successSchema": _schema(outputs)},
        },
        "selfUri": f"/api/v2/integrations/actions/{action_id}",
    }


ACTIONS: dict[str, dict[str, Any]] = {
    LOOKUP: _action(
        LOOKUP,
        "Lookup account balance",
        {"accountNumber": "string", "contactId": "string"},
        {
            "balance": "number",
            "paidLast30Days": "boolean",
            "tier": "string",
            "openTickets": "integer",
            "lastContact": ("string", "date-time"),
            "address": "object",
        },
    ),
    DNC: _action(
        DNC,
        "Check do-not-call registry",
        {"phoneNumber": "string"},
        {"listed": "boolean", "source": "string"},
    ),
}
ACTIONS[DNC]["category"] = "Compliance"


def seed_rule_set() -> dict[str, Any]:
    """Version 1 of `Spring renewals call rules`: skip accounts paid in the last 30 days."""
    condition = {
        "type": "dataActionCondition",
        "inverted": False,
        "dataAction": {"id": LOOKUP},
        "dataNotFoundResolution": False,
        "contactIdField": "contactId",
        "contactColumnToDataActionFieldMappings": [
            {"contactColumnName": "account_number", "dataActionField": "accountNumber"}
        ],
        "predicates": [
            {
                "outputField": "paidLast30Days",
                "outputOperator": "EQUALS",
                "comparisonValue": "true",
                "inverted": False,
                "outputFieldMissingResolution": False,
            }
        ],
    }
    rule = {
        "id": RULE,
        "name": "Skip accounts paid this month",
        "order": 0,
        "category": "DIALER_PRECALL",
        "conditions": [condition],
        "actions": [{"type": "Action", "actionTypeName": "DO_NOT_DIAL"}],
    }
    return {
        "id": RULE_SET,
        "name": "Spring renewals call rules",
        "contactList": {"id": SPRING},
        "rules": [rule],
    }


def seed_filter() -> dict[str, Any]:
    """Version 1 of `Spring renewals EU in arrears`: region EQUALS EU."""
    predicate = {
        "column": "region",
        "columnType": "alphabetic",
        "operator": "EQUALS",
        "value": "EU",
        "inverted": False,
    }
    return {
        "id": FILTER,
        "name": "Spring renewals EU in arrears",
        "sourceType": "ContactList",
        "contactList": {"id": SPRING},
        "filterType": "AND",
        "clauses": [{"filterType": "AND", "predicates": [predicate]}],
    }
