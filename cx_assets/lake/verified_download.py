"""Stream a download to disk and publish it only if its size and SHA-256 match the manifest.

The hash is computed while writing (no second read), the file lives under a temporary name until
both checks pass, and a mismatch deletes it: a corrupt or truncated download never becomes
visible under its real name.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cx_assets.lake.atomic import atomic_write

READ_CHUNK = 1024 * 1024
_HEX64 = re.compile(r"[0-9a-f]{64}")


class VerificationError(ValueError):
    """A downloaded file does not match what the manifest promised."""

    def __init__(self, name: str, expected: object, actual: object, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.expected = expected
        self.actual = actual

    def __reduce__(self):  # type: ignore[no-untyped-def]
        # Keep the exception picklable (Dagster ships errors across processes).
        return (type(self), (self.name, self.expected, self.actual))


class ChecksumMismatch(VerificationError):
    def __init__(self, name: str, expected: str, actual: str) -> None:
        super().__init__(
            name, expected, actual, f"{name}: sha256 mismatch: expected {expected}, got {actual}"
        )


class SizeMismatch(VerificationError):
    def __init__(self, name: str, expected: int, actual: int) -> None:
        super().__init__(
            name,
            expected,
            actual,
            f"{name}: size mismatch: expected {expected} bytes, got {actual} bytes",
        )


@dataclass(frozen=True)
class VerifiedFile:
    path: Path
    size: int
    sha256: str


def parse_checksum(value: str) -> str:
    """`sha256:<64 hex>` (as manifests state it) → the lowercase hex digest."""
    prefix, _, digest = value.partition(":")
    digest = digest.lower()
    if prefix.lower() != "sha256" or not _HEX64.fullmatch(digest):
        raise ValueError(f"checksum {value!r} is not of the form sha256:<64 hex digits>")
    return digest


def _expected_hex(value: str) -> str:
    """Accept a bare hex digest or the `sha256:` form, so callers need not care which."""
    if ":" in value:
        return parse_checksum(value)
    digest = value.lower()
    if not _HEX64.fullmatch(digest):
        raise ValueError(f"expected sha256 {value!r} is not 64 hex digits")
    return digest


def write_verified(
    chunks: Iterable[bytes],
    dest: Path,
    *,
    expected_sha256: str | None,
    expected_size: int | None,
    name: str,
) -> VerifiedFile:
    """Write `chunks` to `dest` only if they have the expected size and SHA-256.

    `expected_sha256=None` (a server that gives no checksum): the SHA-256 is computed and
    returned, and only the size is checked. On a mismatch or any error while streaming, the
    temporary file is deleted and the error raised; an existing `dest` stays as it was.
    """
    expected = None if expected_sha256 is None else _expected_hex(expected_sha256)
    digest = hashlib.sha256()
    size = 0
    with atomic_write(dest) as fh:
        for chunk in chunks:
            fh.write(chunk)
            digest.update(chunk)
            size += len(chunk)
        if expected_size is not None and size != expected_size:
            raise SizeMismatch(name, expected_size, size)
        actual = digest.hexdigest()
        if expected is not None and actual != expected:
            raise ChecksumMismatch(name, expected, actual)
    return VerifiedFile(path=dest, size=size, sha256=actual)


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file on disk, read in 1 MiB blocks (re-verification of published files)."""
    digest = hashlib.sha256()
    buffer = bytearray(READ_CHUNK)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as fh:
        while n := fh.readinto(buffer):
            digest.update(view[:n])
    return digest.hexdigest()
