"""Contract: a long transfer logs where it stands at a steady rate (the first item, then at most
every 10 s, then a closing line), with done of total, MB, MB/s and an ETA when the total is
known, and says the total is unknown for cursor pages; the summary is what metadata records."""

from __future__ import annotations

import threading

from cx_assets.flows.progress import TransferProgress, format_duration


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Lines:
    """A ProgressLog that keeps what a user would read."""

    def __init__(self) -> None:
        self.info_lines: list[str] = []

    def info(self, msg: str, /) -> None:
        self.info_lines.append(msg)

    def warning(self, msg: str, /) -> None:
        self.info_lines.append(f"WARNING {msg}")


def test_files_of_a_known_total_log_every_ten_seconds_with_an_eta() -> None:
    clock, log = FakeClock(), Lines()
    progress = TransferProgress(log, "2024-03-01 export", clock=clock)
    progress.start(items=10, bytes=100_000_000)
    for _ in range(10):  # one 10 MB file every 4 s
        clock.now += 4
        progress.advance(bytes=10_000_000, records=500)
    summary = progress.finish()

    assert log.info_lines == [
        "2024-03-01 export: 1 of 10 file(s), 500 record(s), 10.0 of 100.0 MB; 2.5 MB/s, "
        "125 record(s)/s; ETA 36s",
        "2024-03-01 export: 4 of 10 file(s), 2000 record(s), 40.0 of 100.0 MB; 2.5 MB/s, "
        "125 record(s)/s; ETA 24s",
        "2024-03-01 export: 7 of 10 file(s), 3500 record(s), 70.0 of 100.0 MB; 2.5 MB/s, "
        "125 record(s)/s; ETA 12s",
        "2024-03-01 export: 10 of 10 file(s), 5000 record(s), 100.0 of 100.0 MB; 2.5 MB/s, "
        "125 record(s)/s; ETA 0s",
        "2024-03-01 export: done, 10 of 10 file(s), 5000 record(s), 100.0 of 100.0 MB in 40s "
        "(2.5 MB/s)",
    ]
    assert (summary.items, summary.bytes, summary.records, summary.seconds) == (
        10,
        100_000_000,
        5000,
        40.0,
    )
    assert summary.mb_per_s == 2.5


def test_thousands_of_quick_files_do_not_flood_the_log() -> None:
    clock, log = FakeClock(), Lines()
    progress = TransferProgress(log, "day", clock=clock)
    progress.start(items=5000, bytes=5000)
    for _ in range(5000):  # 5000 files in 39 s (a step a float holds exactly)
        clock.now += 1 / 128
        progress.advance(bytes=1)
    progress.finish()
    # the first file, then 10, 20 and 30 s later, then the end
    assert len(log.info_lines) == 5
    assert log.info_lines[1].startswith("day: 1281 of 5000 file(s), 0.0 of 0.0 MB;")


def test_cursor_pages_say_the_total_is_unknown_and_a_resubmitted_job_starts_again() -> None:
    clock, log = FakeClock(), Lines()
    progress = TransferProgress(
        log, "2024-03-01 details job", unit="page", record_unit="conversation", clock=clock
    )
    progress.start()
    progress.advance(bytes=2_000_000, records=100)
    clock.now += 12
    progress.advance(bytes=4_000_000, records=200)
    progress.start()  # the job expired: its pages were removed, a new job pages from one
    clock.now += 3
    progress.advance(bytes=1_000_000, records=50)
    done = progress.finish()

    assert log.info_lines == [
        "2024-03-01 details job: 1 page(s), 100 conversation(s), 2.0 MB; "
        "total unknown until the last page",
        "2024-03-01 details job: 2 page(s), 300 conversation(s), 6.0 MB; 0.5 MB/s, "
        "25 conversation(s)/s; total unknown until the last page",
        "2024-03-01 details job: 1 page(s), 50 conversation(s), 1.0 MB; 0.3 MB/s, "
        "17 conversation(s)/s; total unknown until the last page",
        "2024-03-01 details job: done, 1 page(s), 50 conversation(s), 1.0 MB in 3s (0.3 MB/s)",
    ]
    assert (done.items, done.records, done.seconds) == (1, 50, 3.0)


def test_downloads_from_several_threads_are_all_counted() -> None:
    log = Lines()
    progress = TransferProgress(log, "day", every_s=3600)
    progress.start(items=400, bytes=400)

    def land() -> None:
        for _ in range(100):
            progress.advance(bytes=1)

    threads = [threading.Thread(target=land) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert progress.finish().items == 400
    assert log.info_lines[-1].startswith("day: done, 400 of 400 file(s)")


def test_durations_read_at_a_glance() -> None:
    assert [format_duration(s) for s in (0, 42.4, 185, 7620)] == ["0s", "42s", "3m 05s", "2h 07m"]
