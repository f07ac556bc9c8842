"""Contract: the audit log is a linear hash chain (seq 1, 2, 3, ..., first prev_hash 64 zeros)
that verifies clean, and verification pinpoints an edited, a deleted and an inserted entry."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cx_assets.catalog import append_audit, audit_chain, verify_chain, write_transaction
from cx_assets.catalog.audit import GENESIS_HASH, canonical_json, entry_hash


def _log_five(catalog_path: Path) -> None:
    with write_transaction(catalog_path) as con:
        seqs = [
            append_audit(
                con,
                flow="genesys_conversations",
                action="export.registered",
                entity=f"genesys/conversations/2024-03-0{i}",
                actor="run-1",
                details={"rows": i, "when": dt.date(2024, 3, i), "files": [{"n": "ä"}]},
            )
            for i in range(1, 6)
        ]
    assert seqs == [1, 2, 3, 4, 5]


def test_clean_chain_verifies(catalog_path: Path) -> None:
    _log_five(catalog_path)

    report = audit_chain(catalog_path)

    assert (report.ok, report.entries, report.first_broken_seq, report.reason) == (
        True,
        5,
        None,
        None,
    )
    with write_transaction(catalog_path) as con:
        first = con.execute("SELECT prev_hash FROM audit_log WHERE seq = 1").fetchone()
        links = con.execute(
            "SELECT count(*) FROM audit_log a JOIN audit_log b ON b.seq = a.seq + 1 "
            "WHERE b.prev_hash = a.entry_hash"
        ).fetchone()
    assert first == (GENESIS_HASH,)
    assert links == (4,)


def test_empty_chain_verifies(catalog_path: Path) -> None:
    assert audit_chain(catalog_path).ok


def test_edited_entry_is_detected(catalog_path: Path) -> None:
    _log_five(catalog_path)
    with write_transaction(catalog_path) as con:
        con.execute("UPDATE audit_log SET details = '{\"rows\":999}' WHERE seq = 3")

    report = audit_chain(catalog_path)

    assert not report.ok
    assert report.first_broken_seq == 3
    assert report.reason == "entry 3 was edited: its hash does not match"


def test_deleted_entry_is_detected(catalog_path: Path) -> None:
    _log_five(catalog_path)
    with write_transaction(catalog_path) as con:
        con.execute("DELETE FROM audit_log WHERE seq = 2")

    report = audit_chain(catalog_path)

    assert (report.ok, report.entries, report.first_broken_seq) == (False, 1, 2)
    assert "entry 2 is missing" in (report.reason or "")


def test_deleted_and_renumbered_entry_is_detected(catalog_path: Path) -> None:
    _log_five(catalog_path)
    with write_transaction(catalog_path) as con:
        con.execute("DELETE FROM audit_log WHERE seq = 2")
        con.execute("CREATE TEMP TABLE rest AS SELECT * FROM audit_log WHERE seq > 2")
        con.execute("DELETE FROM audit_log WHERE seq > 2")
        con.execute("UPDATE rest SET seq = seq - 1")
        con.execute("INSERT INTO audit_log SELECT * FROM rest")

    report = audit_chain(catalog_path)

    assert (report.ok, report.first_broken_seq) == (False, 2)
    assert (
        report.reason
        == "entry 2 does not link to entry 1: an entry was deleted or inserted before it"
    )


def test_inserted_entry_is_detected(catalog_path: Path) -> None:
    """A forger who knows the hash recipe inserts a well-formed entry 3 and renumbers the rest."""
    _log_five(catalog_path)
    with write_transaction(catalog_path) as con:
        prev = con.execute("SELECT entry_hash FROM audit_log WHERE seq = 2").fetchone()[0]
        con.execute("CREATE TEMP TABLE rest AS SELECT * FROM audit_log WHERE seq >= 3")
        con.execute("DELETE FROM audit_log WHERE seq >= 3")
        con.execute("UPDATE rest SET seq = seq + 1")
        con.execute("INSERT INTO audit_log SELECT * FROM rest")
        ts = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
        fields = {"flow": "f", "action": "export.registered", "entity": "e", "actor": "mallory"}
        forged = entry_hash(seq=3, ts=ts, details={}, prev_hash=prev, **fields)
        con.execute(
            "INSERT INTO audit_log VALUES (3, ?, ?, ?, ?, ?, ?, ?, ?)",
            [ts, *fields.values(), canonical_json({}), prev, forged],
        )
        report = verify_chain(con)

    assert (report.ok, report.entries, report.first_broken_seq) == (False, 3, 4)
    assert "entry 4 does not link to entry 3" in (report.reason or "")
