"""Synthetic data: the same (day, seed) gives the same bytes, another seed other bytes; every
line is a contract-shaped record starting within its UTC day; big days split into several files
whose counts add up; malformed_rate>0 yields lines that are not JSON or lack interactionId."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import date

from cx_assets.emulator.genesys.conversations.synth import SynthSettings, write_day
from cx_assets_tests.emulator.support import api_client, completed_manifest

DAY = date(2024, 2, 29)


def _settings(**changes) -> SynthSettings:
    base = {"fmt": "jsonl", "seed": 42, "records_per_day": 300, "malformed_rate": 0.0}
    return SynthSettings(**{**base, "max_file_bytes": 64 * 1024 * 1024, **changes})


def _read(folder, files) -> list[str]:
    return [line for f in files for line in (folder / f.name).read_text().splitlines()]


def test_same_day_and_seed_give_same_bytes(tmp_path):
    _, first = write_day(tmp_path / "a", DAY, _settings())
    _, second = write_day(tmp_path / "b", DAY, _settings())
    _, other_seed = write_day(tmp_path / "c", DAY, _settings(seed=7))
    assert [f.sha256 for f in first] == [f.sha256 for f in second]
    assert first[0].sha256 != other_seed[0].sha256
    _, other_day = write_day(tmp_path / "a", date(2024, 3, 1), _settings())
    assert other_day[0].sha256 != first[0].sha256


def test_records_follow_the_contract_shape(tmp_path):
    folder, files = write_day(tmp_path, DAY, _settings())
    records = [json.loads(line) for line in _read(folder, files)]
    assert len(records) == 300 == files[0].record_count
    assert len({r["interactionId"] for r in records}) == 300
    assert all(r["startTimestamp"].startswith("2024-02-29T") for r in records)
    assert all(r["endTimestamp"] >= r["startTimestamp"] for r in records)
    assert set(Counter(r["type"] for r in records)) == {"inbound", "outbound", "internal"}
    assert {r["channel"]["type"] for r in records} == {
        "voice",
        "chat",
        "email",
        "message",
        "callback",
    }
    purposes = {p["purpose"] for r in records for p in r["participants"]}
    assert purposes == {"customer", "ivr", "acd", "agent"}
    internal = [r for r in records if r["type"] == "internal"]
    assert all(r["queue"] is None and r["wrapUp"] is None for r in internal)
    for r in records:
        d = r["durations"]
        assert d["totalMs"] >= d["talkMs"] + d["holdMs"] + d["acwMs"]
        for p in r["participants"]:
            assert p["participantId"] and p["sessions"]
            assert all(s["sessionId"] and s["metrics"] for s in p["sessions"])
    size = files[0].size / 300
    assert 1200 < size < 2600, size  # about 1.9 KB per record, as the benchmark assumes


def test_small_max_file_bytes_splits_the_day(tmp_path):
    folder, files = write_day(tmp_path, DAY, _settings(max_file_bytes=100_000))
    assert len(files) > 1
    assert [f.name for f in files][:2] == [
        "conversations-2024-02-29-0000.jsonl",
        "conversations-2024-02-29-0001.jsonl",
    ]
    assert all(f.size <= 100_000 for f in files)
    assert sum(f.record_count for f in files) == 300
    for f in files:
        data = (folder / f.name).read_bytes()
        assert len(data) == f.size and hashlib.sha256(data).hexdigest() == f.sha256
    # the split is over the same records as one file would hold
    _, whole = write_day(tmp_path / "whole", DAY, _settings())
    joined = b"".join((folder / f.name).read_bytes() for f in files)
    assert hashlib.sha256(joined).hexdigest() == whole[0].sha256


def test_malformed_lines_appear_at_the_configured_rate(tmp_path):
    folder, files = write_day(tmp_path, DAY, _settings(records_per_day=1000, malformed_rate=0.1))
    broken = 0
    for line in _read(folder, files):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            broken += 1
            continue
        if "interactionId" not in record:
            broken += 1
    assert 50 <= broken <= 150


def test_multi_file_day_over_http(emulator_factory):
    emu = emulator_factory(records_per_day=200, max_file_bytes=100_000)
    manifest = completed_manifest(api_client(emu))
    assert len(manifest) > 1
    assert sum(f["recordCount"] for f in manifest) == 200
    assert [f["partition"] for f in manifest] == list(range(len(manifest)))  # file indexes
    assert all(f["name"].startswith("conversations-2024-01-01-") for f in manifest)
