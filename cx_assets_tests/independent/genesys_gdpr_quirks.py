"""The "other reading" switches of the independent GDPR server.

Each switch is a reading of docs/api-contract.md "## Privacy: GDPR requests" (or of the
platform sections before it) that differs from the most literal one but that the text allows;
its docstring quotes the sentence behind it. `Quirks()` has every switch on, `Quirks.obvious()`
every switch off (the most literal reading), `Quirks.only(...)` just the named ones.

Some switches are alternative readings of one choice (the shape of the results URLs, where the
results live). When several of one group are on, successive requests (in filing order) take them
in turn, so one client run that files a few requests meets each of them; `Quirks.only(name)`
pins one. Listing shapes do not take turns (a listing must stay the same across its pages):
`list_no_counts` wins over `list_total_only`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

URL_SHAPES = ("urls_list_only", "url_single_only", "url_repeated")
RESULT_HOSTS = ("results_other_host", "results_need_bearer")


@dataclass
class Quirks:
    """One boolean per reading; the field docstrings name the contract sentence behind each."""

    create_2xx: bool = True
    """POST answers 202, then 201, in turn (`GdprServer.create_statuses`): "2xx (200 in PY;
    201/202 UNVERIFIED, accept any 2xx)"."""

    urls_list_only: bool = True
    """A completed export has `resultsUrls` only, even for one file: "`resultsUrl` (one archive)
    and/or `resultsUrls`"."""

    url_single_only: bool = True
    """A completed export has `resultsUrl` only; every result is in that one archive."""

    url_repeated: bool = True
    """Both: `resultsUrl` is the first of `resultsUrls`, repeated there: "Whether `resultsUrl`
    repeats the first of `resultsUrls` … UNVERIFIED"."""

    results_other_host: bool = True
    """Results URLs are presigned on another host (`localhost`, the API is on `127.0.0.1`); a
    bearer token sent there is refused (400) and recorded: "presigned storage URLs carry their own
    signature" (off, and no other host quirk on: presigned on the API host, bearer ignored)."""

    results_need_bearer: bool = True
    """Results URLs are plain API paths that need the bearer token (401 without) and the
    `gdpr:request:view` permission: "whether they need the bearer token … UNVERIFIED"."""

    zip_results: bool = True
    """Each results file is a zip archive holding one JSON document (`application/zip`): "What a
    file holds is UNVERIFIED ("generally JSON"; may be a zip archive)"."""

    chunked_results: bool = True
    """Results files are streamed with no `Content-Length` (chunked): "checks the size against
    `Content-Length` when the server sends one"."""

    all_statuses: bool = True
    """Every request passes through INITIATED, SEARCHING, UPDATING, DELETING, FINALIZING before
    its terminal status (off: export SEARCHING → COMPLETED, update/delete via UPDATING/DELETING):
    "`status` ∈ … (PY enum)"."""

    list_total_only: bool = True
    """Listings carry `total` but no `pageCount` (and no `lastUri`): "until a page shorter than
    `pageSize` when `pageCount` is absent"."""

    list_no_counts: bool = True
    """Listings carry neither `total` nor `pageCount` (nor `lastUri`); wins over
    `list_total_only`."""

    page_size_capped: bool = True
    """A listing page holds at most `GdprServer.page_cap` entities whatever `pageSize` asks, and
    its `pageSize` says so: "the largest `pageSize` are UNVERIFIED" (off: above
    `max_page_size` is a 400 naming `pageSize`)."""

    list_oldest_first: bool = True
    """The requests listing is oldest first (off: newest first): "Order … UNVERIFIED"."""

    foreign_requests: bool = True
    """The org already holds `foreign_count` older requests filed by someone else, some for the
    people the subjects search knows: "Requests belong to the org" (emulator text) and "look for
    the request it filed (… `createdDate` after it started filing)"."""

    extra_fields: bool = True
    """Unknown members in every JSON object the server writes (requests, subjects, `createdBy`,
    envelopes, error bodies), and the read-only `name` on requests: "other fields may appear and
    are ignored"."""

    created_no_millis: bool = True
    """`createdDate` has no fraction (truncated, so a request filed at :00.700 says :00)."""

    created_offset: bool = True
    """`createdDate` ends in `+00:00` instead of `Z` (with `created_no_millis` both at once)."""

    no_created_by: bool = True
    """No `createdBy` member (a client-credentials grant is "not in the context of a user")."""

    subject_reordered: bool = True
    """The subject is echoed back with every list member in reverse order."""

    subject_email_case: bool = True
    """The subject is echoed back with the e-mail addresses in swapped case."""

    subject_extra_members: bool = True
    """Subjects search entities carry every identifier the person has (userId, externalId,
    socialHandle, dialerContactId, …), not only name, e-mails, phones and addresses."""

    subjects_per_source: bool = True
    """Subjects search answers one entity per record found (external contact, dialer contact),
    each with part of the identifiers, instead of one per person."""

    basic_search_types_only: bool = True
    """Subjects search takes only NAME, ADDRESS, PHONE, EMAIL; the other five are a 400:
    "whether search takes them is UNVERIFIED"."""

    delete_needs_confirmation: bool = True
    """GDPR_DELETE without `deleteConfirmed=true` is a 400: "whether the real server refuses
    GDPR_DELETE without `deleteConfirmed=true` is UNVERIFIED"."""

    error_bare: bool = True
    """An ERROR request has no member beyond the GDPRRequest ones, not even unknown ones (off: an
    `errorMessage`, as the details jobs' FAILED has): "No failure reason field exists on ERROR"."""

    throttle_once: bool = True
    """The first POST answers 429 with `Retry-After: <retry_after_s>` and files nothing; the
    retry succeeds: "Over budget … 429 with `Retry-After`"."""

    drop_after_create: bool = True
    """The first POST that files a request drops the connection without an answer (the request
    exists): "A client that lost the answer (timeout, dropped connection, crash)"."""

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

    def take_turn(self, group: tuple[str, ...], number: int) -> str | None:
        """The switch of `group` that the `number`-th request (1-based) follows; None: literal."""
        on = [name for name in group if getattr(self, name)]
        return on[(number - 1) % len(on)] if on else None
