"""An org (contact list, data actions) and documents for the outbound rules unit tests."""

from __future__ import annotations

from typing import Any

from cx_assets.genesys.rules.outbound_api import Names
from cx_assets.genesys.rules.outbound_validation import Org
from cx_assets.genesys.rules.platform_models import ActionView, ContactListView

CONTACT_LIST_ID = "cl-1"
LOOKUP_ID = "da-1"
COLUMNS = ["account_number", "region", "balance", "last_paid", "phone_cell"]


def org() -> Org:
    lookup = ActionView.model_validate(
        {
            "id": LOOKUP_ID,
            "name": "Lookup account balance",
            "contract": {
                "input": {
                    "inputSchema": {
                        "type": "object",
                        "properties": {
                            "accountNumber": {"type": "string"},
                            "contactId": {"type": "string"},
                        },
                    }
                },
                "output": {
                    "successSchema": {
                        "type": "object",
                        "properties": {
                            "balance": {"type": "number"},
                            "paidLast30Days": {"type": "boolean"},
                            "tier": {"type": "string"},
                            "openTickets": {"type": "integer"},
                            "address": {"type": "object"},
                        },
                    }
                },
            },
        }
    )
    return Org(
        Names({"Spring renewals": CONTACT_LIST_ID}, {"Lookup account balance": LOOKUP_ID}),
        ContactListView(id=CONTACT_LIST_ID, name="Spring renewals", columnNames=COLUMNS),
        {LOOKUP_ID: lookup},
    )


def rule_set(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": "Spring renewals call rules",
        "contact_list": "Spring renewals",
        "rules": [
            {
                "name": "Skip accounts paid this month",
                "order": 0,
                "category": "pre-call",
                "when": [
                    {
                        "data_action": {
                            "action": "Lookup account balance",
                            "inputs": {"accountNumber": "account_number"},
                            "contact_id_field": "contactId",
                            "predicates": [
                                {"output": "paidLast30Days", "op": "equals", "value": True}
                            ],
                        }
                    },
                    {
                        "not": True,
                        "contact_attribute": {"column": "region", "op": "equals", "value": "US"},
                    },
                ],
                "actions": ["do_not_dial"],
            },
            {
                "name": "Call back busy lines",
                "order": 1,
                "category": "wrap-up",
                "when": [
                    {
                        "call_analysis": {
                            "op": "equals",
                            "value": "disposition.classification.callable.busy",
                        }
                    }
                ],
                "actions": [{"schedule_callback": {"properties": {"callbackOffset": 10}}}],
            },
        ],
    }
    doc.update(changes)
    return doc


def contact_filter(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": "Spring renewals EU in arrears",
        "contact_list": "Spring renewals",
        "clauses": [
            {"where": [{"column": "region", "op": "equals", "value": "EU"}]},
            {
                "match": "any",
                "where": [
                    {
                        "column": "balance",
                        "type": "numeric",
                        "op": "between",
                        "min": 100,
                        "max": 5000,
                    },
                    {"column": "region", "op": "in", "in": ["IE", "FR"], "not": True},
                ],
            },
        ],
    }
    doc.update(changes)
    return doc
