"""The "other reading" switches of the independent tutorial data actions server.

Each switch is a reading of docs/api-contract.md "## Data actions, datasets, webhooks, audits"
(or of the tutorial behind it, ../shared/tutorials/004_*.txt, which wins where it shows a shape)
that differs from the most literal one but that the text allows; its docstring names the
sentence behind it. `Quirks()` has every switch on (the default), `Quirks.obvious()` every switch
off (the most literal reading), `Quirks.only(...)` just the named ones.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass
class Quirks:
    """One boolean per reading; the field docstrings name the text behind each."""

    # ---- locking ------------------------------------------------------------------------------
    etag_weak: bool = True
    """`ETag` is a weak validator, `W/"3"`. The contract writes `ETag: "<version>"` and
    `If-Match: "<version>"` (the ETag): a client sends the ETag back as it got it. `If-Match`
    is compared on the opaque part, so `W/"3"` and `"3"` both match (weak or strong)."""

    etag_opaque: bool = True
    """The `ETag` is an opaque tag unrelated-looking to the body's `version` (a hash of id and
    version, e.g. `"9f3c0a1b2d4e5f60"`), while `version` stays a number. The tutorial reads
    `current_action.etag` and passes it to `if_match`; it never builds one from `version`. So
    `If-Match` must carry the tag the server sent; `"<version>"` built by hand is stale (409)."""

    body_etag: bool = True
    """The action body carries `etag` too (the tutorial's `current_action.etag`,
    `response.etag`); the tutorial sends it back in the PUT body (`DataAction(..., etag=…)`),
    which is accepted and ignored (only the header locks)."""

    validate_before_lock: bool = True
    """A PUT whose body breaks a tree rule is answered 422 even when its `If-Match` is also
    stale (off: 409 first). The contract lists both answers, not their order."""

    # ---- condition trees ------------------------------------------------------------------------
    conditions_list: bool = True
    """`conditions` is served as a list holding the one root node, as the tutorial's complete
    example sends it (`conditions=[condition_matrix]`); a PUT may send a node or a one-node
    list, and 422 paths then start `conditions[0]` (off: a node, paths `conditions.…`)."""

    tutorial_literals: bool = True
    """Number literals may be JSON strings holding a number, as the tutorial writes
    `expression="5"` for `GREATER_THAN` on `priority`; the seeded `route-vip` serves `"5"` and
    `priority-orders` `"500"`. A PUT may send either; a non-numeric string (`"gold"`) for a
    number field still does not fit (off: only JSON numbers, seeds as numbers)."""

    children_empty: bool = True
    """Comparison nodes carry `"children": []` (the node is `{"type", "children"?, "value"?,
    "expression"?}`); a PUT may send them back."""

    boolean_nulls: bool = True
    """Boolean nodes carry `"value": null, "expression": null`; a PUT may send them back."""

    key_order: bool = True
    """Members come in another order: a node's `expression` before `value` before `type`, a
    `value`'s `fieldId` before `datasetId` before `type`, an action's `version` first."""

    first_problem_only: bool = True
    """A 422's message names only the first problem in pre-order (path and rule) and the body's
    `details` lists every one as `{"path", "rule"}` (off: the message joins every
    `<path>: <rule>` with `; `). The contract: "message names the node path … and the rule"."""

    # ---- datasets -----------------------------------------------------------------------------
    field_type_upper: bool = True
    """Dataset field `type` values in upper case (`STRING`, `NUMBER`, `BOOLEAN`, `DATE`); the
    contract gives the set of types, not their case."""

    derived_absent: bool = True
    """A dataset derived from nothing has no `derivedFrom` key at all (off: `[]`); the
    contract's table writes "—" for them."""

    # ---- everywhere ---------------------------------------------------------------------------
    extra_members: bool = True
    """Unknown members on every object the server writes: actions (`description`,
    `dateModified`, `selfUri`), list entities, datasets and fields, nodes' `value`s, audit
    records (`id`, `entityType`, `serviceName`, `message` on FAILURE), webhooks and error bodies
    (`contextId`, `details`). A PUT may send the action's back (they are ignored)."""

    list_paging: bool = True
    """List endpoints (datasets, data actions, webhooks, audit query) carry paging members
    `pageSize`, `pageNumber`, `total`, `pageCount` (all entities still on the one page)."""

    timestamps_offset: bool = True
    """Timestamps (`createdAt`, audit and delivery `timestamp`, `dateModified`) as
    `2026-01-01T10:00:00.123456+00:00` (off: `2026-01-01T10:00:00.123Z`)."""

    token_extras: bool = True
    """The token answer has extra members (`issued_at`, `organization`) and grants the scopes in
    reverse alphabetical order."""

    retry_after_date: bool = True
    """A 429 from an `http_429` fault carries `Retry-After` as an HTTP date (RFC 7231), which the
    contract allows for fault switches (off: whole seconds). Over-budget 429s use seconds."""

    # ---- audits -------------------------------------------------------------------------------
    audit_other_operations: bool = True
    """The audit trail also holds records other than action updates: a `READ` record
    (`eventType` `data.action.read`) for every GET of one action, and `CREATE` / `DELETE`
    records (`platform.webhook.created` / `.deleted`) for webhooks. A query without `eventType`
    sees them; the contract's record shape shows `operation: "UPDATE"` for action updates."""

    noop_audited: bool = True
    """A PUT that changes nothing is audited SUCCESS at the unchanged version (it still keeps the
    version and is not announced to webhooks). The contract says only that it answers 200."""

    # ---- webhooks -----------------------------------------------------------------------------
    webhook_200: bool = True
    """Registering a webhook answers 200 (off: 201, the contract's heading); any 2xx creates."""

    webhook_decoys: bool = True
    """The org already holds two webhooks of another integration: `cx-assets data actions (old)`
    (disabled) and `CX-Assets Data Actions` (other case); a client that finds its webhook by
    name compares it exactly."""

    delivery_extras: bool = True
    """A webhook delivery's body carries extra members (`webhookId`, `deliveryId`)."""

    @classmethod
    def obvious(cls) -> Quirks:
        """Every switch off: the most literal reading of the text."""
        return cls(**{f.name: False for f in fields(cls)})

    @classmethod
    def only(cls, *names: str) -> Quirks:
        """Just the named switches on (a ValueError names an unknown one)."""
        known = {f.name for f in fields(cls)}
        if unknown := sorted(set(names) - known):
            raise ValueError(f"unknown quirk(s): {', '.join(unknown)}")
        return cls(**{name: name in names for name in known})
