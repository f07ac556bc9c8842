"""What the independent rules server's org holds at start: the contract's seed table, plus the
`decoys` quirk's look-alikes.

Entities are kept in their stored form (enum values as the contract writes them, refs as
`{"id"}`, dates as datetimes under `dateCreated` / `dateModified`); the server renders them.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

Json = dict[str, Any]

SPRING_LIST = "c0a80001-0000-4000-8000-000000000001"
COLLECTIONS_LIST = "c0a80001-0000-4000-8000-000000000002"
LOOKUP_ACTION = "da000001-0000-4000-8000-000000000001"
DNC_ACTION = "da000001-0000-4000-8000-000000000002"
RULE_SET = "a1e50001-0000-4000-8000-000000000001"
FILTER = "f1170001-0000-4000-8000-000000000001"
INTEGRATION = "1e9a0001-0000-4000-8000-000000000001"
SEED_RULE = "7a1e0001-0000-4000-8000-000000000001"
SEED_USER = {"id": "5e0c0000-0000-4000-8000-000000000000", "name": "system"}
DECOY_NS = uuid.UUID("0de0c0de-0000-4000-8000-000000000000")

SPRING_COLUMNS = ["account_number", "first_name", "region", "balance", "last_paid"]
SPRING_COLUMNS += ["phone_home", "phone_cell", "opt_in"]
COLLECTIONS_COLUMNS = ["account_number", "country", "days_overdue", "amount_due", "phone"]


def decoy_id(name: str) -> str:
    return str(uuid.uuid5(DECOY_NS, name))


def contact_list(list_id: str, name: str, columns: list[str], phones: list[Json], at: datetime):
    return {
        "id": list_id,
        "name": name,
        "version": 1,
        "columnNames": list(columns),
        "phoneColumns": phones,
        "dateCreated": at,
        "dateModified": at,
    }


def contact_lists(at: datetime, decoys: bool) -> dict[str, Json]:
    spring_phones = [
        {"columnName": "phone_home", "type": "home"},
        {"columnName": "phone_cell", "type": "cell"},
    ]
    found = [
        contact_list(SPRING_LIST, "Spring renewals", SPRING_COLUMNS, spring_phones, at),
        contact_list(
            COLLECTIONS_LIST,
            "Collections EU",
            COLLECTIONS_COLUMNS,
            [{"columnName": "phone", "type": "cell"}],
            at,
        ),
    ]
    if decoys:
        names = [f"Spring renewals wave {n:02d}" for n in range(1, 28)] + ["Spring Renewals"]
        phone = [{"columnName": "phone", "type": "cell"}]
        found += [
            contact_list(decoy_id(n), n, ["account_number", "phone"], phone, at) for n in names
        ]
    return {entity["id"]: entity for entity in found}


def _props(**types: str) -> Json:
    out: Json = {}
    for name, kind in types.items():
        if kind == "date-time":
            out[name] = {"type": "string", "format": "date-time"}
        else:
            out[name] = {"type": kind}
    return out


def action(action_id: str, name: str, inputs: Json, outputs: Json) -> Json:
    return {
        "id": action_id,
        "name": name,
        "category": "Account services",
        "integrationId": INTEGRATION,
        "version": 3,
        "secure": False,
        "inputs": inputs,
        "outputs": outputs,
    }


def actions(decoys: bool) -> dict[str, Json]:
    lookup_in = _props(accountNumber="string", contactId="string")
    lookup_out = _props(
        balance="number",
        paidLast30Days="boolean",
        tier="string",
        openTickets="integer",
        lastContact="date-time",
        address="object",
    )
    found = [
        action(LOOKUP_ACTION, "Lookup account balance", lookup_in, lookup_out),
        action(
            DNC_ACTION,
            "Check do-not-call registry",
            _props(phoneNumber="string"),
            _props(listed="boolean", source="string"),
        ),
    ]
    if decoys:
        name = "Lookup account balance v2"
        found.append(action(decoy_id(name), name, lookup_in, _props(balance="number")))
    return {entity["id"]: entity for entity in found}


def seed_rule_set(at: datetime) -> Json:
    condition = {
        "type": "dataActionCondition",
        "inverted": False,
        "dataAction": {"id": LOOKUP_ACTION},
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
        "id": SEED_RULE,
        "name": "Skip accounts paid this month",
        "order": 0,
        "category": "DIALER_PRECALL",
        "conditions": [condition],
        "actions": [{"type": "Action", "actionTypeName": "DO_NOT_DIAL", "properties": {}}],
    }
    return {
        "id": RULE_SET,
        "name": "Spring renewals call rules",
        "version": 1,
        "contactList": {"id": SPRING_LIST},
        "rules": [rule],
        "dateCreated": at,
        "dateModified": at,
    }


def seed_filter(at: datetime) -> Json:
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
        "version": 1,
        "sourceType": "ContactList",
        "contactList": {"id": SPRING_LIST},
        "filterType": "AND",
        "clauses": [{"filterType": "AND", "predicates": [predicate]}],
        "dateCreated": at,
        "dateModified": at,
    }


def rule_sets(at: datetime, decoys: bool) -> dict[str, Json]:
    found = [seed_rule_set(at)]
    if decoys:
        copy = seed_rule_set(at - timedelta(days=3))
        copy["name"] = name = "Spring renewals call rules (copy)"
        copy["id"], copy["version"] = decoy_id(name), 7
        copy["rules"][0]["id"] = decoy_id(name + "/rule")
        found.append(copy)
    return {entity["id"]: entity for entity in found}


def filters(at: datetime, decoys: bool) -> dict[str, Json]:
    found = [seed_filter(at)]
    if decoys:
        old = seed_filter(at - timedelta(days=3))
        old["name"] = name = "Spring renewals EU in arrears (old)"
        old["id"], old["version"] = decoy_id(name), 4
        found.append(old)
    return {entity["id"]: entity for entity in found}
