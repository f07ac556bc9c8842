"""The "other reading" switches of the independent tutorial exports server.

Each switch is a reading of docs/api-contract.md "## Conversation exports" through "### Records"
(or of the tutorial behind it, ../shared/tutorials/000_3392d35ad4f67ee9.txt, which wins where
it shows a shape) that differs from the most literal one but that the text allows; its docstring
names the sentence behind it. `Quirks()` has every switch on (the default), `Quirks.obvious()`
every switch off (the most literal reading), `Quirks.only(...)` just the named ones.

`envelope_manifest` takes turns with the bare array (in filing order, the first export gets the
bare array), so one client run that files two exports meets both and the quirks of the bare
array (`partition_string`, `split_files`) still show with every switch on.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass
class Quirks:
    """One boolean per reading; the field docstrings name the text behind each."""

    # ---- everywhere (the names `extra_members`, `token_extras`, `retry_after_date` are read by
    # the shared tutorial_data_actions_auth.Auth too) ---------------------------------------------
    extra_members: bool = True
    """Unknown members on every object written: export objects (`selfUri`, `division`), file
    records (`day`, `compression`), the old envelope (`fileCount`), records (`divisionId`,
    `externalTag`) and error bodies (`contextId`, `details`). Contract: "A client needs only the
    fields marked *promised*; everything else is an extra ... a client ... must not need"."""

    key_order: bool = True
    """Members come in another order (export objects, file records and records reversed). JSON
    objects are unordered; the text fixes no order."""

    token_extras: bool = True
    """The token answer has extra members (`issued_at`, `organization`); "OAuth" lists the
    members a client reads, not that they are the only ones."""

    retry_after_date: bool = True
    """A 429 from a fault (API `http_429` or `download_429`) carries `Retry-After` as an HTTP
    date: "A 429 from a fault switch may carry `Retry-After` as an HTTP date (RFC 7231)"."""

    # ---- POST and GET /api/v2/dataexports -------------------------------------------------------
    create_id_only: bool = True
    """The POST answers `{"id": ...}` only: "Response: promised `{"id": "..."}` only"."""

    status_minimal: bool = True
    """GET of an export answers only `id`, `status` (and `statusReason` when FAILED): "Promised:
    `id`, `status`, and `statusReason` when FAILED"."""

    status_lower: bool = True
    """Statuses in lower case (`queued`, `completed`, `failed`): "the cx-assets client reads any
    status string, upper-cased"."""

    extra_statuses: bool = True
    """Waiting statuses besides QUEUED and RUNNING (`PENDING`, `PROCESSING`): "any other status
    means keep waiting"."""

    nulls_for_absent: bool = True
    """`statusReason` and `completedAt` are `null` instead of absent while they do not apply
    ("`statusReason`: only when FAILED", "`completedAt`: ... when COMPLETED")."""

    timestamps_offset: bool = True
    """`createdAt` / `completedAt` end in `+00:00` instead of `Z`; the text gives no spelling
    (`"createdAt": "..."`)."""

    timestamps_no_millis: bool = True
    """`createdAt` / `completedAt` without fractional seconds (same spelling silence)."""

    dates_normalised: bool = True
    """`startDate` / `endDate` in the export object are the parsed instants re-spelt in UTC with
    `+00:00`, not the strings sent: the contract says only "`type` and `view` echoed as sent"."""

    # ---- GET /api/v2/dataexports/{id}/files -----------------------------------------------------
    envelope_manifest: bool = True
    """The manifest of every second export (in filing order) is the older envelope
    `{"exportId", "files": [...]}` with `partition` a `YYYY-MM-DD` day, one file per day: "A
    client also accepts the older envelope ... (where `partition` was a `YYYY-MM-DD` day)"."""

    checksum_upper: bool = True
    """The checksum's hex in upper case: "`sha256:<hex>`; clients accept the hex in either
    case"."""

    partition_string: bool = True
    """`partition` as a JSON string (`"0"`, `"1"`, ... `"10"`): "an integer; clients also accept a
    string"."""

    name_absent: bool = True
    """File records have no `name`: "`name` | extra ... Without it a client names the file as the
    tutorial does, `partition_<partition>.<format>`" (the tutorial's record has none)."""

    record_count_absent: bool = True
    """File records have no `recordCount`: "extra ... Without it the row-count check only
    warns" (the tutorial's record has none)."""

    split_files: bool = True
    """Every day is split into files of at most `ExportsServer.split_bytes` (16 KiB unless set),
    so a day of a few dozen records is several files and an export of a few days has more than
    ten partitions: "a day whose data exceeds the emulator's file size limit is split into
    several files; `partition` numbers them across the whole export" (the limit is not given).
    Off: one file per day unless `ExportsServer.file_limit_bytes` is set."""

    empty_day_file: bool = True
    """A day without conversations still has a file (empty JSONL, header-only CSV, `recordCount`
    0) instead of no file: "Files are listed ... day by day" does not say whether an empty day
    has one."""

    uri_param_order: bool = True
    """Presigned URIs carry `X-Amz-Expires` first, as the tutorial's example does
    (`...?X-Amz-Expires=3600&...`), plus the other AWS parameters (`X-Amz-Algorithm`,
    `X-Amz-Credential`, `X-Amz-SignedHeaders`); a client must use the `uri` as given."""

    # ---- presigned downloads and records --------------------------------------------------------
    octet_stream: bool = True
    """Downloads are `application/octet-stream` (off: `application/x-ndjson` / `text/csv`); the
    text gives no content type ("200 streams the file with `Content-Length`")."""

    record_nulls: bool = True
    """`queue` is null on internal calls and `wrapUp` null on abandoned ones: "`queue` and
    `wrapUp` may be null (internal calls, abandoned)" (off: never null)."""

    record_timestamp_spellings: bool = True
    """Record timestamps in several ISO 8601 spellings of UTC: `Z` or `+00:00`, milliseconds or
    microseconds, no fraction on whole seconds; the record shape shows one example only
    (`"startTimestamp": "2024-01-01T08:00:00.000Z"`)."""

    no_final_newline: bool = True
    """The last line of a file has no trailing newline; "one object per line (`\\n`)" does not
    say whether the last line is terminated."""

    non_ascii_names: bool = True
    """Participant names with non-ASCII letters (real UTF-8 bytes): "JSONL ... UTF-8"."""

    csv_crlf: bool = True
    """CSV lines end in CRLF (RFC 4180); the text fixes `\\n` only for JSONL."""

    csv_quote_all: bool = True
    """Every CSV field, the header too, in double quotes; the text gives the header's names, not
    the quoting."""

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

    @classmethod
    def names(cls) -> list[str]:
        """Every switch, in declaration order (for parametrized tests)."""
        return [f.name for f in fields(cls)]
