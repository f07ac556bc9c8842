"""Contract: the tables a platform day's pages are normalised into while they download are left
for the lake step with the job id and every page's SHA-256, and taken only for exactly those
pages; a preparation that fails warns, leaves nothing behind and never stops the download."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import duckdb
import pytest

from cx_assets.flows.context import Target
from cx_assets.flows.conversations_platform import verified_record
from cx_assets.flows.conversations_prepared import PagePreparer, take_prepared
from cx_assets.genesys.conversations.platform_models import DayResults, PageFile, ResultsPage

DAY = dt.date(2024, 1, 1)
NOW = dt.datetime(2024, 1, 3, tzinfo=dt.UTC)
TARGET = Target("the emulator", "http://127.0.0.1:1", is_emulator=True)
LOG = logging.getLogger("test.prepared")


def _page(folder: Path, n: int, ids: list[str]) -> tuple[Path, PageFile]:
    body = {
        "conversations": [
            {"conversationId": i, "conversationStart": "2024-01-01T09:00:00Z"} for i in ids
        ]
    }
    content = json.dumps(body).encode()
    path = folder / f"page-{n:05d}.json"
    path.write_bytes(content)
    return path, PageFile.of(path.name, content, ResultsPage.model_validate(body))


def _results(job_id: str, pages: list[PageFile]) -> DayResults:
    return DayResults(
        day=DAY,
        job_id=job_id,
        interval="2024-01-01T00:00:00Z/2024-01-02T00:00:00Z",
        pages=tuple(pages),
        conversations=sum(p.conversations for p in pages),
        data_availability=NOW,
        resubmitted=False,
        replaced_job_id=None,
        submitted_at=NOW,
        fulfilled_at=NOW,
        finished_at=NOW,
        request_stats=None,
    )


def _prepare(tmp_path: Path, job_id: str, pages: list[tuple[Path, PageFile]]) -> bool:
    with PagePreparer(DAY, tmp_path / "work", log=LOG, memory_limit="256MB") as preparer:
        for path, _ in pages:
            preparer.on_page(job_id, path)
        return preparer.publish(_results(job_id, [p for _, p in pages]), tmp_path / "prepared")


def test_tables_made_from_the_verified_pages_are_taken(tmp_path: Path) -> None:
    (raw := tmp_path / "raw").mkdir()
    pages = [_page(raw, 1, ["a", "b"]), _page(raw, 2, ["c"])]
    assert _prepare(tmp_path, "job-1", pages)
    record = verified_record(_results("job-1", [p for _, p in pages]), TARGET, NOW)

    result = take_prepared(tmp_path / "prepared", record, tmp_path / "lake")

    assert result is not None and result.rows["conversations"] == 3
    conversations = str(tmp_path / "lake" / "conversations.parquet")
    with duckdb.connect() as con:  # its own connection: the shared one would keep the result
        ids = con.execute(
            "SELECT list(conversation_id ORDER BY 1) FROM read_parquet(?)", [conversations]
        ).fetchall()
    assert ids == [(["a", "b", "c"],)]
    assert not (tmp_path / "prepared").exists()


@pytest.mark.parametrize("other", ["job", "page"])
def test_tables_from_another_job_or_page_are_removed_not_taken(tmp_path: Path, other: str) -> None:
    (raw := tmp_path / "raw").mkdir()
    pages = [_page(raw, 1, ["a"])]
    assert _prepare(tmp_path, "job-1", pages)
    verified = [_page(raw, 1, ["a", "late"])[1]] if other == "page" else [pages[0][1]]
    job = "job-2" if other == "job" else "job-1"
    record = verified_record(_results(job, verified), TARGET, NOW)

    assert take_prepared(tmp_path / "prepared", record, tmp_path / "lake") is None
    assert not (tmp_path / "prepared").exists() and not (tmp_path / "lake").exists()


def test_a_preparation_that_fails_warns_and_leaves_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (raw := tmp_path / "raw").mkdir()
    pages = [_page(raw, 1, ["a"]), _page(raw, 2, ["b"])]
    pages[1][0].unlink()  # the normaliser cannot read it: as if the disk failed under it

    with caplog.at_level(logging.WARNING):
        assert not _prepare(tmp_path, "job-1", pages)

    assert "the download goes on" in caplog.text and "page-00002.json" in caplog.text
    assert not (tmp_path / "prepared").exists()
    assert not any((tmp_path / "work").iterdir())


def test_a_resubmitted_job_starts_again_with_its_own_pages(tmp_path: Path) -> None:
    (old := tmp_path / "old").mkdir()
    (raw := tmp_path / "raw").mkdir()
    expired = _page(old, 1, ["a", "gone"])
    pages = [_page(raw, 1, ["a"]), _page(raw, 2, ["b"])]
    with PagePreparer(DAY, tmp_path / "work", log=LOG, memory_limit="256MB") as preparer:
        preparer.on_page("job-1", expired[0])
        for path, _ in pages:
            preparer.on_page("job-2", path)
        assert preparer.publish(_results("job-2", [p for _, p in pages]), tmp_path / "prepared")
    record = verified_record(_results("job-2", [p for _, p in pages]), TARGET, NOW)

    result = take_prepared(tmp_path / "prepared", record, tmp_path / "lake")

    assert result is not None and result.rows["conversations"] == 2
    assert result.per_page == {"page-00001.json": 1, "page-00002.json": 1}
