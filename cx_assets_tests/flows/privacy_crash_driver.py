"""A stand-in orchestrator for the crash tests.

`python -m cx_assets_tests.flows.privacy_crash_driver <data root> <emulator url> <api mode>`
runs the privacy flow's steps (requests pick-up, submit runs, tracking ticks, download runs)
until every request is DELIVERED, exactly as the sensors and runs call them, with its runs kept
in `<data root>/runs.json`.

The crash tests kill it between steps (`CX_CRASH_AT`) and start it again. Like Dagster, it never
starts a run for a claim twice (the run key), and on start-up marks every run the dead process
left running as failed (what run monitoring does for a dead worker).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

from cx_assets import settings
from cx_assets.catalog import privacy as cat
from cx_assets.defs.resources import GenesysCloudResource
from cx_assets.flows.privacy import PollPolicy, run_tracking_tick
from cx_assets.flows.privacy_claims import Launch, RunState
from cx_assets.flows.privacy_requests import pick_up_requests
from cx_assets.flows.privacy_steps import download_export, submit_request
from cx_assets.lake.paths import DataLayout

log = logging.getLogger("privacy-crash-driver")
DONE = ("DELIVERED", "FAILED", *cat.GAVE_UP_STATES)


class FileLedger:
    """Runs by claim in a JSON file: state and run id."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.runs: dict[str, dict[str, str]] = json.loads(path.read_text()) if path.exists() else {}
        for run in self.runs.values():  # the process that ran them is gone
            if run["state"] == RunState.ACTIVE:
                run["state"] = RunState.FAILED
        self._save()

    def _save(self) -> None:
        self.path.write_text(json.dumps(self.runs))

    def state(self, claim: str, run_id: str | None) -> RunState:
        run = self.runs.get(claim)
        return RunState(run["state"]) if run else RunState.MISSING

    def start(self, launch: Launch) -> str | None:
        """The run id for a new run of `launch`, or None if its run key was launched before."""
        if launch.claim in self.runs:
            return None
        run_id = f"run-{len(self.runs) + 1}"
        self.runs[launch.claim] = {"state": RunState.ACTIVE, "run_id": run_id}
        self._save()
        return run_id

    def finish(self, launch: Launch, ok: bool) -> None:
        self.runs[launch.claim]["state"] = RunState.SUCCESS if ok else RunState.FAILED
        self._save()


def _run(ledger: FileLedger, launch: Launch, step) -> None:  # type: ignore[no-untyped-def]
    run_id = ledger.start(launch)
    if run_id is None:
        return
    try:
        step(launch, run_id)
    except Exception as exc:  # a failed run (StepFailed or not), as Dagster would record it
        log.warning("run %s for %s failed: %s", run_id, launch.claim, exc)
        ledger.finish(launch, ok=False)
        return
    ledger.finish(launch, ok=True)


def main(data_root: str, url: str, mode: str) -> int:
    layout = DataLayout(Path(data_root))
    ledger = FileLedger(Path(data_root) / "runs.json")
    genesys = GenesysCloudResource(
        api_url=url,
        login_url=url,
        client_id=settings.EMULATOR_CLIENT_ID,
        client_secret=settings.EMULATOR_CLIENT_SECRET,
        api_mode=mode,
        max_retry_seconds=20.0,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        picked = pick_up_requests(layout, mode, genesys.client_id, ledger)
        for launch in picked.launches:
            _run(
                ledger,
                launch,
                lambda lch, run_id: submit_request(
                    genesys, layout, lch.partition_key, None, log, claim=lch.claim, run_id=run_id
                ),
            )
        outcome = run_tracking_tick(genesys, layout, ledger, PollPolicy(initial_s=0.0))
        for launch in outcome.launches:
            _run(
                ledger,
                launch,
                lambda lch, run_id: download_export(
                    genesys, layout, lch.partition_key, log, claim=lch.claim, run_id=run_id
                ),
            )
        rows = cat.rows_with_status(layout.catalog_path, DONE)
        pending = cat.rows_with_status(
            layout.catalog_path,
            (*cat.PENDING, "DECLARED", "SUBMITTING", "COMPLETED", "DOWNLOADING"),
        )
        if rows and not pending and not picked.declared:
            return 0
        time.sleep(0.1)
    return 1


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    raise SystemExit(main(*sys.argv[1:4]))
