"""Where every file of the data root lives, and the check that keeps outside ids out of paths.

Source, dataset and partition keys arrive from the outside world (API payloads, Dagster partition
keys, the CLI). They become folder names only after validation, so a key such as `../../etc`
can never steer a write outside the data root.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cx_assets import settings

_DATE_LIKE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.=-]{0,127}")
TOKEN_RULE = "letters, digits, '_', '.', '=', '-' (first a letter or digit, at most 128, no '..')"

RAW = "raw"
LAKE = "lake"
QUARANTINE = "quarantine"
STAGING = "staging"
#: Under staging/: work a step did ahead for the step after it (e.g. tables normalised while
#: their pages downloaded); only ever used when it matches what that step reads, else ignored.
PREPARED = "prepared"
CATALOG_FILE = "catalog.duckdb"


def validate_token(value: str, what: str = "identifier") -> str:
    """Return `value` if it is a safe single path part; ValueError naming it and the rule."""
    if not isinstance(value, str) or not _TOKEN.fullmatch(value) or ".." in value:
        raise ValueError(f"{what} {value!r} is not allowed: use {TOKEN_RULE}")
    return value


def validate_partition_key(value: str) -> str:
    """A partition key is a calendar date `YYYY-MM-DD` or a safe token (see `TOKEN_RULE`)."""
    if isinstance(value, str) and _DATE_LIKE.fullmatch(value):
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(
                f"partition key {value!r} is not allowed: it looks like YYYY-MM-DD "
                "but is not a calendar date"
            ) from None
        return value
    return validate_token(value, "partition key")


#: A staging folder untouched this long belongs to a run that crashed (runs publish or discard
#: theirs on exit); the next run removes it. Far longer than any export takes.
STALE_STAGING_S = 48 * 3600


#: Infix of a staging folder named for its owner: `<owner>.run-<random>` (see `staging_dir`).
OWNED_RUN = ".run-"


#: The owner whose lock this thread holds (`lake.locks.owned_work`): staging folders made meanwhile
#: are named for it even where the code making them does not know the partition.
_STAGING_OWNER: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "staging_owner", default=None
)


@contextlib.contextmanager
def staging_owner(owner: str) -> Iterator[None]:
    """Name every staging folder made in this block (this thread) for `owner`."""
    token = _STAGING_OWNER.set(validate_token(owner, "staging owner"))
    try:
        yield
    finally:
        _STAGING_OWNER.reset(token)


def sweep_stale_staging(base: Path, max_age_s: float = STALE_STAGING_S) -> list[Path]:
    """Remove `run-*`, owned and prepared folders under `base` not modified for `max_age_s`."""
    cutoff = time.time() - max_age_s
    removed: list[Path] = []
    owned = base.glob(f"*{OWNED_RUN}*")
    for folder in [*base.glob("run-*"), *owned, *base.glob(f"{PREPARED}/*/*/*")]:
        try:
            if folder.is_dir() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
        except FileNotFoundError:
            continue  # another run swept it first
    return removed


@dataclass(frozen=True)
class DataLayout:
    """The data root's folders: raw/, lake/ (hive `date=` layout), quarantine/, staging/."""

    root: Path

    @classmethod
    def from_env(cls) -> DataLayout:
        """`CX_DATA_DIR`, default `./.cx_data`, as an absolute path."""
        return cls(settings.data_dir())

    @property
    def catalog_path(self) -> Path:
        return self.root / CATALOG_FILE

    def raw_dir(self, source: str, dataset: str, partition: str) -> Path:
        """Verified downloads of one partition, exactly as served."""
        return self._dataset_dir(RAW, source, dataset) / validate_partition_key(partition)

    def lake_dir(self, source: str, dataset: str) -> Path:
        """The dataset's Parquet root: what a `read_parquet('…/**/*.parquet')` view points at."""
        return self._dataset_dir(LAKE, source, dataset)

    def lake_partition_dir(self, source: str, dataset: str, day: dt.date | str) -> Path:
        """`lake/<source>/<dataset>/date=YYYY-MM-DD`, so readers get `date` as a hive column."""
        if isinstance(day, str):
            day = dt.date.fromisoformat(validate_partition_key(day))
        if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
            raise ValueError(f"lake partition day must be a date, got {day!r}")
        return self.lake_dir(source, dataset) / f"date={day.isoformat()}"

    def quarantine_dir(self, source: str, dataset: str, partition: str) -> Path:
        """Rows rejected while normalising one partition, each with file, line and reason."""
        return self._dataset_dir(QUARANTINE, source, dataset) / validate_partition_key(partition)

    def prepared_dir(self, source: str, dataset: str, partition: str) -> Path:
        """Work done ahead for one partition's next step (see `PREPARED`); swept when stale."""
        folder = self._dataset_dir(f"{STAGING}/{PREPARED}", source, dataset)
        return folder / validate_partition_key(partition)

    def staging_dir(self, owner: str | None = None) -> Path:
        """A fresh, empty, unique folder for work in progress.

        It sits under the data root, on the same filesystem as raw/ and lake/, so publishing it
        is a rename (atomic) rather than a copy. With an `owner` (a partition such as
        `genesys.conversations.2024-05-01`) it is named `<owner>.run-<random>`, so the owner's
        next attempt finds what a crashed one left (`sweep_owned_staging`). Without one, the
        owner whose lock this thread holds (`lake.locks.owned_work`), if any.
        """
        base = self.root / STAGING
        base.mkdir(parents=True, exist_ok=True)
        sweep_stale_staging(base)
        owner = owner or _STAGING_OWNER.get()
        prefix = f"{validate_token(owner, 'staging owner')}{OWNED_RUN}" if owner else "run-"
        return Path(tempfile.mkdtemp(dir=base, prefix=prefix))

    def sweep_owned_staging(self, owner: str) -> list[Path]:
        """Remove every staging folder of `owner`: what its crashed attempts left behind.

        Only safe while holding the owner's lock (`lake.locks.owned_work`), which every live
        attempt of the owner holds for as long as its staging folders exist.
        """
        base = self.root / STAGING
        removed = []
        for folder in base.glob(f"{validate_token(owner, 'staging owner')}{OWNED_RUN}*"):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
        return removed

    def _dataset_dir(self, area: str, source: str, dataset: str) -> Path:
        return (
            self.root / area / validate_token(source, "source") / validate_token(dataset, "dataset")
        )
