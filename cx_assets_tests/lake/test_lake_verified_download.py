"""Contract: write_verified publishes a streamed file only when its size and SHA-256 match;
otherwise it raises an error naming the file, the expected and the actual value, and leaves
no file (and no temp) behind. sha256_file and parse_checksum agree with hashlib."""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Iterator
from pathlib import Path

import pytest

from cx_assets.lake.verified_download import (
    ChecksumMismatch,
    SizeMismatch,
    parse_checksum,
    sha256_file,
    write_verified,
)

PAYLOAD = b"".join(b"line %d of the export\n" % i for i in range(50_000))
DIGEST = hashlib.sha256(PAYLOAD).hexdigest()


def chunks(data: bytes, size: int = 1024 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_matching_download_is_published_with_its_size_and_digest(tmp_path: Path) -> None:
    dest = tmp_path / "files" / "conversations-2024-01-01-0000.jsonl"
    result = write_verified(
        chunks(PAYLOAD, 4096),
        dest,
        expected_sha256=DIGEST,
        expected_size=len(PAYLOAD),
        name=dest.name,
    )
    assert dest.read_bytes() == PAYLOAD
    assert (result.path, result.size, result.sha256) == (dest, len(PAYLOAD), DIGEST)
    assert sha256_file(dest) == DIGEST
    assert [p.name for p in dest.parent.iterdir()] == [dest.name]


def test_checksum_form_from_the_manifest_is_accepted(tmp_path: Path) -> None:
    dest = tmp_path / "f.jsonl"
    write_verified(
        chunks(PAYLOAD), dest, expected_sha256=f"sha256:{DIGEST}", expected_size=None, name="f"
    )
    assert dest.exists()


def test_checksum_mismatch_names_file_expected_and_actual_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    corrupt = bytearray(PAYLOAD)
    corrupt[1000] ^= 0x01
    dest = tmp_path / "conv.jsonl"
    with pytest.raises(ChecksumMismatch) as err:
        write_verified(
            chunks(bytes(corrupt)),
            dest,
            expected_sha256=DIGEST,
            expected_size=len(PAYLOAD),
            name="conv.jsonl",
        )
    message = str(err.value)
    actual = hashlib.sha256(bytes(corrupt)).hexdigest()
    assert "conv.jsonl" in message and DIGEST in message and actual in message
    assert list(tmp_path.iterdir()) == []


def test_size_mismatch_names_file_expected_and_actual_and_keeps_older_copy(
    tmp_path: Path,
) -> None:
    dest = tmp_path / "conv.jsonl"
    dest.write_bytes(b"previous verified copy")
    short = PAYLOAD[: len(PAYLOAD) // 2]
    with pytest.raises(SizeMismatch) as err:
        write_verified(
            chunks(short),
            dest,
            expected_sha256=DIGEST,
            expected_size=len(PAYLOAD),
            name="conv.jsonl",
        )
    assert str(err.value) == (
        f"conv.jsonl: size mismatch: expected {len(PAYLOAD)} bytes, got {len(short)} bytes"
    )
    assert dest.read_bytes() == b"previous verified copy"
    assert [p.name for p in tmp_path.iterdir()] == ["conv.jsonl"]


def test_a_stream_that_breaks_midway_leaves_nothing(tmp_path: Path) -> None:
    def dropped() -> Iterator[bytes]:
        yield PAYLOAD[:1000]
        raise ConnectionError("connection reset")

    with pytest.raises(ConnectionError):
        write_verified(
            dropped(), tmp_path / "f", expected_sha256=DIGEST, expected_size=None, name="f"
        )
    assert list(tmp_path.iterdir()) == []


def test_mismatch_errors_survive_pickling() -> None:
    err = pickle.loads(pickle.dumps(ChecksumMismatch("f.jsonl", "a" * 64, "b" * 64)))
    assert isinstance(err, ChecksumMismatch) and "f.jsonl" in str(err)
    assert (err.expected, err.actual) == ("a" * 64, "b" * 64)


def test_parse_checksum() -> None:
    assert parse_checksum(f"sha256:{DIGEST.upper()}") == DIGEST
    for bad in ("md5:abc", DIGEST, "sha256:xyz", f"sha256:{DIGEST}0"):
        with pytest.raises(ValueError, match="sha256:<64 hex digits>"):
            parse_checksum(bad)


def test_sha256_file_of_an_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert sha256_file(empty) == hashlib.sha256(b"").hexdigest()
