"""The "other reading" switches of the independent rules server.

Each switch is a reading of docs/api-contract.md "## Rules: outbound rule sets and contact list
filters" (or of the platform sections before it) that differs from the most literal one but that
the text allows; its docstring quotes or names the sentence behind it. `Quirks()` has every
switch on (the default), `Quirks.obvious()` every switch off (the most literal reading),
`Quirks.only(...)` just the named ones.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass
class Quirks:
    """One boolean per reading; the field docstrings name the contract sentence behind each."""

    # ---- entities -----------------------------------------------------------------------------
    enum_other_case: bool = True
    """Enum values are answered in another case: upper-case ones in lower case (`dialer_precall`,
    `and`, `equals`, `do_not_dial`), lower-case ones in upper case (`NUMERIC`, `ALPHABETIC`),
    camel-case ones with the first letter swapped (`DataActionCondition`, `contactList`,
    `action`): "PY's models compare them case-insensitively, so a reader accepts any case and a
    writer sends them as above". The server still takes only the values as written (a client that
    sends back what it read without re-casing gets a 400)."""

    extra_members: bool = True
    """Unknown members on every object the server writes (entities, rules, conditions,
    predicates, actions, refs, schemas' envelopes, listings, audit messages, error bodies):
    "other fields may appear and are ignored"; `ContactList` "…, `division`?, …". Those the
    server wrote may be sent back in a PUT (they are server-filled); any other unknown member is
    a 400 naming it."""

    no_self_uri: bool = True
    """No `selfUri` anywhere (entities, refs, listings): every `selfUri` is marked `?`."""

    defaults_omitted: bool = True
    """Members at their default are left out: `inverted: false`, empty lists (`actions`,
    `codes`, `contactColumnToDataActionFieldMappings`, `properties` {}), on rules, conditions,
    predicates, actions and filter predicates: "`inverted` bool (default false)", "a reader takes
    absent lists as empty". A data-action predicate's five members are still required on a write
    ("all five required (TF)"), so a client that sends back what it read fills `inverted` in."""

    ref_names: bool = True
    """Refs (`contactList`, `dataAction`, `queue`) carry `name` and `selfUri` besides `id`:
    "`contactList`: {"id", "name"?, "selfUri"?}"; a PUT may send them back as read."""

    rule_ids_renewed: bool = True
    """Every landed PUT gives every rule a new `id`, whether the body sent one or not: "Rule
    `id`s are the server's" (off: an id sent is kept, a rule without one gets a new one)."""

    rules_reversed: bool = True
    """`rules` are answered from the highest `order` to the lowest (the list order carries no
    meaning; `order` does): "`order` an int ("processed from lowest number to highest")"."""

    dates_mixed_precision: bool = True
    """Dates (`dateCreated`, `dateModified`, audit `eventDate`) leave the
    fraction out when it is `.000` (`2026-01-01T10:00:00Z`), as some serializers do, and carry
    `.mmmZ` otherwise; the seed's dates are whole seconds, so its entities and their `Create`
    audits show it (off: always `.mmmZ`)."""

    # ---- listings -----------------------------------------------------------------------------
    list_no_counts: bool = True
    """Listings carry neither `total` nor `pageCount` (nor `lastUri`): "`total`/`pageCount` may
    be absent: stop at a page shorter than `pageSize`"."""

    page_size_capped: bool = True
    """A listing page holds at most `RulesServer.page_cap` (10) entities whatever `pageSize`
    asks, and its `pageSize` says so (off: above 100 is a 400 naming `pageSize`): "`pageSize`
    default 25, at most 100"."""

    decoys: bool = True
    """The org holds more than the seed: 27 contact lists named `Spring renewals wave NN` and one
    `Spring Renewals` (same words, other case), a rule set `Spring renewals call rules (copy)`, a
    filter `Spring renewals EU in arrears (old)`, an action `Lookup account balance v2`: "`name=`
    narrows the list: … by prefix …, actions by "partial or complete action name". A client
    resolving a name reads every page and keeps the entities whose `name` equals it exactly"."""

    list_summaries: bool = True
    """Rule set and filter listings carry only `id`, `name`, `version`, `contactList` (and the
    dates): no `rules` / `clauses`; the whole entity comes from the GET by id. The text gives the
    listing envelope, not what its entities hold."""

    # ---- writes -------------------------------------------------------------------------------
    post_201: bool = True
    """POST answers 201 (off: 200): "`POST` creates … → 200 with version 1" names 200; any 2xx
    is a creation."""

    post_refuses_server_fields: bool = True
    """A POST body with `id` or `version` is a 400 naming it (off: they are ignored): "`POST`
    creates (no `id`/`version` in the body)"."""

    stale_alternates: bool = True
    """Stale-version PUTs are answered 400 ("… does not match the current version …", code
    `bad.request`) and 409 (code `conflict`) in turn, starting with 400 (off: always 409):
    "some services answer **400** with a message containing "does not match the current
    version" (TF): a client treats both as a stale version". `stale_as_400(True/False)` pins
    one answer whatever this says."""

    # ---- contracts ----------------------------------------------------------------------------
    schema_keywords: bool = True
    """Contract schemas carry more JSON-schema: `$schema`, `title`, `description`,
    `additionalProperties`, a nested object output `address` with its own `properties` and
    `required`, input `required`: "A schema is `{"type": "object", "properties": …, "required"?:
    [...]}`" ("output fields = the top-level … properties")."""

    # ---- audits -------------------------------------------------------------------------------
    audit_slow: bool = True
    """An audit query is `Queued` on the POST and the first poll, `Running` on the next two, and
    ends on the fourth poll (off: it ends on the first poll): "Poll … until `Succeeded`"."""

    audit_unsorted: bool = True
    """Audit results come in an order of the server's own, whatever `sort` asks: "Order of
    results … UNVERIFIED (the client sorts by `eventDate` itself)"."""

    audit_short_pages: bool = True
    """An audit results page holds at most 2 entries whatever `pageSize` asks (its `pageSize`
    echoes the ask)."""

    audit_trailing_empty_page: bool = True
    """After the last entry comes one more page `{"entities": []}` (the page holding the last
    entry still has a `cursor`)."""

    cursor_null: bool = True
    """The last audit results page has `"cursor": null` instead of no `cursor` key: "`cursor`
    absent on the last page"."""

    user_name_needs_expand: bool = True
    """Audit `user` has only `id` unless the results GET says `expand=user` (off: `name`
    always): "`"user"?: {"id", "name"? (with expand=user)}`"."""

    ui_edit_client: bool = True
    """An admin-UI edit's audit carries the web app's `client {"id"}` besides the `user`: "Who:
    `user.name`, else `user.id`, else `client.id`"."""

    audit_enum_case: bool = True
    """Audit `action` and `status` in lower case (`update`, `failure`), as PY compares enums
    case-insensitively."""

    audit_entity_id_only: bool = True
    """Audit `entity` is only `{"id"}`: "`"entity"?: {"id", "name"?}`"."""

    deep_property_changes: bool = True
    """`propertyChanges` name each changed leaf by its path (`rules[0].conditions[0].predicates[0]
    .comparisonValue`) instead of one entry per top-level member; values are JSON texts."""

    interval_max_31_days: bool = True
    """An audit query interval longer than 31 days is a 400: "retention and the largest interval:
    UNVERIFIED"."""

    # ---- shared with PlatformServer -----------------------------------------------------------
    bare_403: bool = True
    """A 403 body is only `{"message"}` ("the exact real code/message: UNVERIFIED")."""

    token_extras: bool = True
    """The token answer has extra fields ("other fields may appear and are ignored")."""

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
