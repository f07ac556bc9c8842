"""The DuckDB statements that turn one batch of result pages into the five tables' rows.

A batch's records land in temp table `b_conv` (page_idx, pos, c READ_TYPE), read by DuckDB or
handed over by the Python fallback. Each level is flattened once into a small temp table, the
conversation values are aggregated from those, every record is judged (a reason, or none), and
each table's rows are selected with casts generated from the declared columns. `seen` keeps a
128-bit hash and place per good record (24 bytes, the only state that grows with the day) for
the duplicate check after the last batch.
"""

from __future__ import annotations

from cx_assets.lake import conversation_details_schema as schema
from cx_assets.lake.conversation_details_schema import (
    PAGE_CONTAINERS,
    PAGE_STRUCTURE,
    QUARANTINE_COLUMNS,
    QUARANTINE_TABLE,
    READ_TYPE,
    RECORD_STRUCTURE,
    TABLES,
    Column,
)

# ISO 8601 date-time with seconds, optional fraction and a mandatory zone (Z or offset): a
# timestamp without a zone is ambiguous, so it is rejected rather than guessed.
_ISO_TS = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}(:?\d{2})?)"
# An integer as JSON writes it (DuckDB renders 412000.0 so too); no rounding, no booleans.
_INT = r"-?\d{1,18}(\.0+)?"
_NOT_TS = "is not an ISO-8601 timestamp with a zone"

SETUP = f"""
SET TimeZone = 'UTC';
CREATE MACRO iso_ts(s) AS
    CASE WHEN regexp_full_match(s, '{_ISO_TS}') THEN TRY_CAST(s AS TIMESTAMPTZ) END;
CREATE MACRO int_value(s) AS
    CASE WHEN regexp_full_match(s, '{_INT}') THEN TRY_CAST(s AS BIGINT) END;
CREATE MACRO bad_ts(field, s, t) AS CASE WHEN s IS NOT NULL AND t IS NULL
    THEN field || ' ' || CAST(to_json(s) AS VARCHAR) || ' {_NOT_TS}' END;
CREATE TABLE meta (export_id VARCHAR, day DATE);
CREATE TABLE page_map (page_idx INTEGER, path VARCHAR, name VARCHAR);
CREATE TABLE seen (h UHUGEINT, page_idx INTEGER, pos INTEGER);
"""

NEW_BATCH = f"""
CREATE OR REPLACE TEMP TABLE b_conv (page_idx INTEGER, pos INTEGER, c {READ_TYPE},
    shape_ok BOOLEAN, n INTEGER);
CREATE OR REPLACE TEMP TABLE b_quar (page_idx INTEGER, pos INTEGER, reason VARCHAR, raw VARCHAR);
"""

_OBJECTS = (
    "read_json_objects({path}, format = '{fmt}', filename = true, {extra}"
    "maximum_object_size = $max_bytes)"
)
_PAGES = _OBJECTS.format(path="$paths", fmt="unstructured", extra="")
_LINES = _OBJECTS.format(path="$path", fmt="newline_delimited", extra="ignore_errors = true, ")
_PATHS = "[" + ", ".join(f"'{path}'" for path, _ in PAGE_CONTAINERS) + "]"
_SHAPE_OK = "json_type(st) = 'OBJECT' AND " + " AND ".join(
    f"(t[{n}] IS NULL OR t[{n}] = '{kind}' OR e[{n}] = 'NULL')"
    for n, (_, kind) in enumerate(PAGE_CONTAINERS, 1)
)

#: The fast path: a batch of pages in one statement (a failed statement inserts nothing). Each
#: page is one JSON value; `json_transform` reads it with the explicit shape (DuckDB's
#: `read_json` is ~15x slower on values this big) and `json_structure` says whether every list
#: and object is where the shape wants one. Each JSON value in a file yields a row at
#: position 0, or a marker row at -1 when it holds no conversations.
READ_PAGES = f"""
INSERT INTO b_conv
SELECT page_idx, pos, c, shape_ok, n FROM (
    SELECT page_idx, shape_ok, n,
        unnest(CASE WHEN n > 0 THEN generate_series(0, n - 1) ELSE [-1] END)::INTEGER AS pos,
        unnest(CASE WHEN n > 0 THEN cs ELSE [NULL] END) AS c
    FROM (
        SELECT page_idx, cs, coalesce(len(cs), 0) AS n, {_SHAPE_OK} AS shape_ok
        FROM (
            SELECT m.page_idx, json_transform(j.json, '{PAGE_STRUCTURE}').conversations AS cs,
                json_structure(j.json) AS st
            FROM {_PAGES} j JOIN page_map m ON m.path = j.filename
        ), LATERAL (SELECT json_type(st, {_PATHS}) AS t, json_extract_string(st, {_PATHS}) AS e)
    )
)
"""
_VALUES = "FROM b_conv WHERE pos <= 0 GROUP BY page_idx"
#: Pages DuckDB read that are not one page: several JSON values in a file, or the wrong shapes.
BAD_PAGES = f"""SELECT page_idx {_VALUES}
HAVING count(*) > 1 OR NOT coalesce(bool_and(shape_ok), false)"""
PAGE_COUNTS = f"SELECT page_idx, max(n) {_VALUES}"
DROP_PAGES = "DELETE FROM b_conv WHERE pos < 0 OR list_contains($pages, page_idx)"

_LINE_STRUCTURE = '{"pos":"INTEGER","c":' + RECORD_STRUCTURE + "}"
#: The fallback's records, one JSON line each: {"pos": i, "c": record}.
INSERT_LINES = f"""
INSERT INTO b_conv
SELECT $page_idx, r.pos, r.c, true, NULL
FROM (SELECT json_transform(json, '{_LINE_STRUCTURE}') AS r FROM {_LINES})
WHERE r.pos IS NOT NULL
"""
#: The fallback's own rejects, one JSON line each: {"page_idx", "pos", "reason", "raw"}.
INSERT_QUARANTINE_LINES = """
INSERT INTO b_quar SELECT * FROM read_json($path, format = 'newline_delimited',
    columns = {'page_idx': 'INTEGER', 'pos': 'INTEGER', 'reason': 'VARCHAR', 'raw': 'VARCHAR'},
    maximum_object_size = $max_bytes)
"""

_PARTICIPANTS = """(SELECT * FROM (SELECT page_idx, pos, c.conversationId AS conversation_id,
    generate_subscripts(c.participants, 1) AS p_idx, unnest(c.participants) AS p FROM b_conv)
    WHERE p IS NOT NULL)"""

FLATTEN = f"""
CREATE OR REPLACE TEMP TABLE b_part AS
SELECT page_idx, pos, conversation_id, p_idx, p.participantId AS participant_id,
    p.participantName AS participant_name, p.purpose AS purpose, p.userId AS user_id,
    p.externalContactId AS external_contact_id, p.teamId AS team_id,
    coalesce(list_count(p.sessions), 0) AS session_count
FROM {_PARTICIPANTS};
CREATE OR REPLACE TEMP TABLE b_nested AS
SELECT * FROM (SELECT page_idx, pos, conversation_id, p_idx, p.participantId AS participant_id,
    p.purpose AS purpose, generate_subscripts(p.sessions, 1) AS s_idx, unnest(p.sessions) AS s
    FROM {_PARTICIPANTS}) WHERE s IS NOT NULL;
CREATE OR REPLACE TEMP TABLE b_seg AS
SELECT page_idx, pos, conversation_id, p_idx, s_idx, participant_id, s.sessionId AS session_id,
    g_idx - 1 AS segment_index, g.segmentType AS segment_type, g.segmentStart AS start_raw,
    iso_ts(g.segmentStart) AS segment_start, g.segmentEnd AS end_raw,
    iso_ts(g.segmentEnd) AS segment_end, g.queueId AS queue_id,
    g.disconnectType AS disconnect_type, g.wrapUpCode AS wrap_up_code, g.wrapUpNote AS wrap_up_note
FROM (SELECT *, generate_subscripts(s.segments, 1) AS g_idx, unnest(s.segments) AS g FROM b_nested)
WHERE g IS NOT NULL;
CREATE OR REPLACE TEMP TABLE b_met AS
SELECT page_idx, pos, conversation_id, p_idx, s_idx, m_idx, participant_id,
    s.sessionId AS session_id, m.name AS name, m.value AS value_raw, int_value(m.value) AS value,
    m.emitDate AS emit_raw, iso_ts(m.emitDate) AS emit_time
FROM (SELECT *, generate_subscripts(s.metrics, 1) AS m_idx, unnest(s.metrics) AS m FROM b_nested)
WHERE m IS NOT NULL;
CREATE OR REPLACE TEMP TABLE b_sess AS
SELECT page_idx, pos, conversation_id, p_idx, s_idx, participant_id, purpose,
    s.sessionId AS session_id, s.mediaType AS media_type, s.direction AS direction, s.ani AS ani,
    s.dnis AS dnis, s.provider AS provider, coalesce(list_count(s.segments), 0) AS segment_count,
    coalesce(list_count(s.metrics), 0) AS metric_count
FROM b_nested;
DROP TABLE b_nested;
"""

#: Conversation column -> the metric it sums over all sessions.
METRIC_SUMS = dict(handle_ms="tHandle", talk_ms="tTalk", hold_ms="tHeld", acw_ms="tAcw")
METRIC_SUMS |= dict(acd_ms="tAcd", abandon_ms="tAbandon")
_SUMS = ", ".join(f"sum(value) FILTER (name = '{m}') AS {c}" for c, m in METRIC_SUMS.items())
_AT = "'p': p_idx, 's': s_idx, 'g': segment_index"
_FIRST = f"{{'t': coalesce(segment_start, 'infinity'::TIMESTAMPTZ), {_AT}}}"
_LAST = f"{{'t': coalesce(segment_start, '-infinity'::TIMESTAMPTZ), {_AT}}}"
_OTHER = "coalesce(purpose NOT IN ('customer', 'external'), true)"
_CUSTOMER_FIRST = f"{{'other': {_OTHER}, 'p': p_idx, 's': s_idx}}"

JUDGE = f"""
CREATE OR REPLACE TEMP TABLE b_judged AS
WITH met AS (
    SELECT page_idx, pos, {_SUMS}, bool_or(name = 'tAbandon') AS abandoned,
        min(CASE WHEN value_raw IS NOT NULL AND value IS NULL THEN 'metric ' || coalesce(name, '?')
            || ' value ' || value_raw || ' is not an integer' END) AS bad_value,
        min(bad_ts('emitDate', emit_raw, emit_time)) AS bad_emit
    FROM b_met GROUP BY page_idx, pos
), seg AS (
    SELECT page_idx, pos,
        arg_min(queue_id, {_FIRST}) FILTER (queue_id IS NOT NULL) AS queue_id,
        arg_max(wrap_up_code, {_LAST}) FILTER (wrap_up_code IS NOT NULL) AS wrap_up_code,
        min(coalesce(bad_ts('segmentStart', start_raw, segment_start),
            bad_ts('segmentEnd', end_raw, segment_end))) AS bad_segment
    FROM b_seg GROUP BY page_idx, pos
), sess AS (
    SELECT page_idx, pos,
        arg_min(media_type, {_CUSTOMER_FIRST}) FILTER (media_type IS NOT NULL) AS media_type
    FROM b_sess GROUP BY page_idx, pos
), part AS (
    SELECT page_idx, pos, list(DISTINCT user_id ORDER BY user_id)
        FILTER (purpose IN ('agent', 'user') AND user_id IS NOT NULL) AS agent_ids
    FROM b_part GROUP BY page_idx, pos
), core AS (
    SELECT page_idx, pos, c IS NULL AS not_object, c.conversationId AS conversation_id,
        c.conversationStart AS start_raw, iso_ts(c.conversationStart) AS start_time,
        c.conversationEnd AS end_raw, iso_ts(c.conversationEnd) AS end_time,
        c.originatingDirection AS originating_direction, c.divisionIds AS division_ids,
        coalesce(list_count(c.participants), 0) AS participant_count
    FROM b_conv
)
SELECT core.*, met.* EXCLUDE (page_idx, pos, bad_value, bad_emit), seg.queue_id,
    seg.wrap_up_code, sess.media_type, coalesce(part.agent_ids, []) AS agent_ids, CASE
        WHEN not_object THEN '{schema.REASON_NOT_OBJECT}'
        WHEN conversation_id IS NULL OR trim(conversation_id) = '' THEN '{schema.REASON_MISSING_ID}'
        WHEN start_raw IS NULL THEN '{schema.REASON_MISSING_START}'
        WHEN start_time IS NULL THEN '{schema.REASON_BAD_START}: '
            || CAST(to_json(start_raw) AS VARCHAR) || ' {_NOT_TS}'
        WHEN CAST(start_time AS DATE) <> meta.day THEN '{schema.REASON_WRONG_PARTITION}: starts on '
            || CAST(CAST(start_time AS DATE) AS VARCHAR) || ', partition is '
            || CAST(meta.day AS VARCHAR)
        ELSE '{schema.REASON_WRONG_TYPE}: '
            || coalesce(bad_ts('conversationEnd', end_raw, end_time), met.bad_value,
                seg.bad_segment, met.bad_emit)
    END AS reason
FROM core CROSS JOIN meta
LEFT JOIN met USING (page_idx, pos) LEFT JOIN seg USING (page_idx, pos)
LEFT JOIN sess USING (page_idx, pos) LEFT JOIN part USING (page_idx, pos);
"""

#: The batch's rejects; every good record's hash goes to `seen` for the day's duplicate check.
REJECT = """
CREATE OR REPLACE TEMP TABLE b_rej AS
SELECT page_idx, pos, reason FROM b_judged WHERE reason IS NOT NULL;
INSERT INTO seen SELECT md5_number(conversation_id), page_idx, pos FROM b_judged
WHERE reason IS NULL;
"""

#: After the last batch: every later record of a conversationId kept earlier (page order, then
#: position) is a duplicate, quarantined with where the kept one is.
DAY_DUPLICATES = f"""
CREATE TABLE dups AS
SELECT page_idx, pos, first_page, first_pos FROM (
    SELECT page_idx, pos, first_value(page_idx) OVER w AS first_page,
        first_value(pos) OVER w AS first_pos, row_number() OVER w AS rn
    FROM seen WINDOW w AS (PARTITION BY h ORDER BY page_idx, pos)
) WHERE rn > 1;
CREATE OR REPLACE TEMP TABLE b_rej AS
SELECT d.page_idx, d.pos, '{schema.REASON_DUPLICATE}: first kept from ' || m.name || ' position '
    || CAST(d.first_pos AS VARCHAR) AS reason
FROM dups d JOIN page_map m ON m.page_idx = d.first_page;
CREATE OR REPLACE TEMP TABLE b_quar (page_idx INTEGER, pos INTEGER, reason VARCHAR, raw VARCHAR);
"""

REJECTED_PAGES = "SELECT DISTINCT page_idx FROM b_rej"

#: Raw JSON text of the batch's SQL rejects on pages DuckDB read itself.
RAW_FROM_PAGES = f"""
INSERT INTO b_quar
SELECT r.page_idx, r.pos, r.reason, CAST(j.cs[r.pos + 1] AS VARCHAR)
FROM (SELECT m.page_idx, json_transform(j.json, '{{"conversations":["JSON"]}}').conversations AS cs
      FROM {_PAGES} j JOIN page_map m ON m.path = j.filename) j
JOIN b_rej r ON r.page_idx = j.page_idx
"""
#: Same for a fallback page, from the JSON lines the fallback wrote.
RAW_FROM_LINES = f"""
INSERT INTO b_quar
SELECT r.page_idx, r.pos, r.reason, CAST(j.l.c AS VARCHAR)
FROM (SELECT json_transform(json, '{{"pos":"INTEGER","c":"JSON"}}') AS l FROM {_LINES}) j
JOIN b_rej r ON r.pos = j.l.pos AND r.page_idx = $page_idx
"""

_KEPT = "(SELECT * FROM {table} ANTI JOIN b_rej USING (page_idx, pos)) t CROSS JOIN meta"
_SOURCES = {
    "conversations": "b_judged t JOIN page_map m USING (page_idx) CROSS JOIN meta "
    "WHERE t.reason IS NULL",
    "participants": _KEPT.format(table="b_part"),
    "sessions": _KEPT.format(table="b_sess"),
    "segments": _KEPT.format(table="b_seg"),
    "metrics": _KEPT.format(table="b_met"),
    "quarantine": "b_quar q JOIN page_map m USING (page_idx) ORDER BY page_idx, pos NULLS FIRST",
}
_SHARED = {"conversation_date": "meta.day", "export_id": "meta.export_id"}
_CONVERSATION = {"queue_name": "NULL", "wrap_up_name": "NULL", "api_mode": "'platform'"}
_CONVERSATION |= {"abandoned": "coalesce(t.abandoned, false)", "source_file": "m.name"}
_CONVERSATION |= {"duration_ms": "date_diff('millisecond', t.start_time, t.end_time)"}
_EXPRS: dict[str, dict[str, str]] = {
    "conversations": _SHARED | _CONVERSATION,
    "participants": _SHARED,
    "sessions": _SHARED,
    "segments": _SHARED
    | {"duration_ms": "date_diff('millisecond', t.segment_start, t.segment_end)"},
    "metrics": _SHARED,
    "quarantine": {"source_file": "m.name", "position": "q.pos"},
}
_COLUMNS = {**TABLES, QUARANTINE_TABLE: QUARANTINE_COLUMNS}

#: Where a part file's row came from, for the day's duplicate filter; not in the final files.
PART_KEYS = ("_page_idx", "_pos")


def batch_rows(table: str) -> str:
    """The batch's rows of one output table (or the quarantine), typed as declared + PART_KEYS."""
    alias = "q" if table == "quarantine" else "t"
    exprs = _EXPRS[table]
    columns = ", ".join(
        f'CAST({exprs.get(c.name, f"{alias}.{c.name}")} AS {c.type}) AS "{c.name}"'
        for c in _COLUMNS[table]
    )
    keys = f"{alias}.page_idx AS {PART_KEYS[0]}, {alias}.pos AS {PART_KEYS[1]}"
    return f"SELECT {columns}, {keys} FROM {_SOURCES[table]}"


def merged_rows(parts: list[str], drop_duplicates: bool) -> str:
    """The parts' rows in part order, without PART_KEYS (nor the day's duplicates)."""
    source = f"read_parquet([{', '.join(parts)}]) p"
    if drop_duplicates:
        source += f" ANTI JOIN dups d ON d.page_idx = p.{PART_KEYS[0]} AND d.pos = p.{PART_KEYS[1]}"
    return f"SELECT p.* EXCLUDE ({', '.join(PART_KEYS)}) FROM {source}"


def empty_rows(columns: tuple[Column, ...]) -> str:
    """No rows, the declared schema: what a day without pages (or rejects) writes."""
    casts = ", ".join(f'CAST(NULL AS {c.type}) AS "{c.name}"' for c in columns)
    return f"SELECT {casts} LIMIT 0"
