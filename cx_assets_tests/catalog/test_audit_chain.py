"""Contract: `cx-assets audit verify` (and `verify_chain`) names the first broken entry of the
audit hash chain for an edited, a deleted, an inserted or a truncated-away entry, exits 0 on a
clean log and 1 on a broken one; a log written by parallel processes verifies clean, and
same-process writers that collide fail loudly instead of forking the chain."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing as mp
import threading
from pathlib import Path

import duckdb
import pytest

from cx_assets.catalog import append_audit, audit_chain, query, write_transaction
from cx_assets.catalog.audit import canonical_json, entry_hash
from cx_assets.catalog_cli import audit_verify

SPAWN = mp.get_context("spawn")


def _append(catalog_path: Path, actor: str, count: int) -> None:
    for i in range(count):
        with write_transaction(catalog_path) as con:
            append_audit(
                con,
                flow="test",
                action="export.registered",
                entity=f"{actor}/{i}",
                actor=actor,
                details={"i": i, "day": dt.date(2024, 3, 1)},
            )


def _log(catalog_path: Path, entries: int = 6) -> None:
    _append(catalog_path, "run-1", entries)


def _verify(catalog_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = audit_verify(["--catalog", str(catalog_path), *extra])
    return code, capsys.readouterr().out


def test_clean_log_passes_and_prints_its_head(
    catalog_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _log(catalog_path)
    code, out = _verify(catalog_path, capsys)
    assert code == 0
    assert "audit chain intact: 6 entries verified" in out
    [(head_hash,)] = query(catalog_path, "SELECT entry_hash FROM audit_log WHERE seq = 6").rows
    assert f"6:{head_hash}" in out


def test_edited_entry_is_named(catalog_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _log(catalog_path)
    with write_transaction(catalog_path) as con:
        con.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 4")
    code, out = _verify(catalog_path, capsys)
    assert code == 1
    assert "BROKEN at entry 4: entry 4 was edited" in out
    assert "(3 entries verified before it)" in out


def test_edited_and_rehashed_entry_breaks_the_next_link(catalog_path: Path) -> None:
    """A forger who recomputes the edited entry's own hash is caught by its successor."""
    _log(catalog_path)
    with write_transaction(catalog_path) as con:
        seq, ts, flow, action, entity, _, details, prev, _ = con.execute(
            "SELECT * FROM audit_log WHERE seq = 2"
        ).fetchone()
        forged = entry_hash(
            seq=seq,
            ts=ts,
            flow=flow,
            action=action,
            entity=entity,
            actor="mallory",
            details=json.loads(details),
            prev_hash=prev,
        )
        con.execute(
            "UPDATE audit_log SET actor = 'mallory', entry_hash = ? WHERE seq = 2", [forged]
        )
    report = audit_chain(catalog_path)
    assert (report.ok, report.first_broken_seq) == (False, 3)
    assert (
        report.reason
        == "entry 3 does not link to entry 2: an entry was deleted or inserted before it"
    )


def test_deleted_entry_is_named(catalog_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _log(catalog_path)
    with write_transaction(catalog_path) as con:
        con.execute("DELETE FROM audit_log WHERE seq = 5")
    code, out = _verify(catalog_path, capsys)
    assert code == 1
    assert "BROKEN at entry 5: entry 5 is missing (next entry is 6)" in out


def test_inserted_entry_is_named(catalog_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A well-formed entry appended in the middle with the next free seq, chained to its
    predecessor: the original successor no longer links."""
    _log(catalog_path)
    with write_transaction(catalog_path) as con:
        con.execute("UPDATE audit_log SET seq = seq + 1 WHERE seq >= 3")
        [(prev,)] = con.execute("SELECT entry_hash FROM audit_log WHERE seq = 2").fetchall()
        ts = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
        fields = {"flow": "test", "action": "export.registered", "entity": "x", "actor": "eve"}
        forged = entry_hash(seq=3, ts=ts, details={}, prev_hash=prev, **fields)
        con.execute(
            "INSERT INTO audit_log VALUES (3, ?, ?, ?, ?, ?, ?, ?, ?)",
            [ts, *fields.values(), canonical_json({}), prev, forged],
        )
    code, out = _verify(catalog_path, capsys)
    assert code == 1
    # Entry 4 (the original third entry, renumbered) was hashed with seq 3: it fails first.
    assert "BROKEN at entry 4" in out


def test_truncated_tail_is_caught_with_a_recorded_head(
    catalog_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _log(catalog_path)
    [(head,)] = query(catalog_path, "SELECT entry_hash FROM audit_log WHERE seq = 6").rows
    with write_transaction(catalog_path) as con:
        con.execute("DELETE FROM audit_log WHERE seq >= 5")
    assert _verify(catalog_path, capsys)[0] == 0  # invisible without an outside record
    code, out = _verify(catalog_path, capsys, "--expect-head", f"6:{head}")
    assert code == 1
    assert "entry 6 (the head recorded earlier) is missing: the log was truncated" in out


def test_bad_head_argument_and_missing_catalog_exit_2(
    catalog_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _verify(catalog_path, capsys)[0] == 2
    _log(catalog_path, 1)
    assert _verify(catalog_path, capsys, "--expect-head", "six")[0] == 2


def test_parallel_processes_write_one_linear_chain(catalog_path: Path) -> None:
    workers = [SPAWN.Process(target=_append, args=(catalog_path, f"w{w}", 5)) for w in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    report = audit_chain(catalog_path)
    assert (report.ok, report.entries) == (True, 20)
    per_actor = query(catalog_path, "SELECT actor, count(*) FROM audit_log GROUP BY 1 ORDER BY 1")
    assert per_actor.rows == [(f"w{w}", 5) for w in range(4)]


def test_colliding_threads_fail_loudly_and_never_fork_the_chain(catalog_path: Path) -> None:
    """Two transactions in one process that read the same head: one commit is refused, so no
    two entries ever claim the same predecessor."""
    _log(catalog_path, 1)
    errors: list[Exception] = []
    written: list[int] = []

    def writer(name: str) -> None:
        for i in range(5):
            try:
                with write_transaction(catalog_path) as con:
                    written.append(
                        append_audit(
                            con, flow="t", action="a", entity=f"{name}{i}", actor=name, details={}
                        )
                    )
            except duckdb.Error as exc:
                errors.append(exc)

    threads = [threading.Thread(target=writer, args=(f"t{n}",)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = audit_chain(catalog_path)
    assert report.ok
    assert report.entries == 1 + len(written) == 1 + 15 - len(errors)
    forks = query(
        catalog_path, "SELECT prev_hash, count(*) FROM audit_log GROUP BY 1 HAVING count(*) > 1"
    )
    assert forks.rows == []
