"""Contract: starting cx-assets prints no warning. Importing the Definitions and loading them the
way a code server does (every job, schedule and sensor resolved) emits no warning of any kind:
no BetaWarning or PreviewWarning (a beta or preview parameter used), no DeprecationWarning, no
SupersessionWarning. Run in a fresh interpreter, so no earlier import has already spent a
warning that Python shows only once."""

from __future__ import annotations

import json
import subprocess
import sys

from cx_assets import settings

LOAD_AND_RECORD = """
import json
import warnings

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import dagster as dg

    from cx_assets.definitions import defs

    dg.Definitions.validate_loadable(defs)
    repo = defs.get_repository_def()
    loaded = [job.name for job in repo.get_all_jobs()]
    loaded += [s.name for s in repo.schedule_defs] + [s.name for s in repo.sensor_defs]
print(json.dumps({
    "loaded": len(loaded),
    "warnings": [
        f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})" for w in caught
    ],
}))
"""


def test_loading_the_definitions_warns_about_nothing() -> None:
    done = subprocess.run(
        [sys.executable, "-c", LOAD_AND_RECORD],
        cwd=settings.project_root(),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["loaded"] > 10  # the jobs, schedules and sensors were really resolved
    assert result["warnings"] == [], "\n".join(result["warnings"])
