"""The privacy claims' view of Dagster: what became of the run that carries a claim.

Runs are found by the claim tag (`flows.privacy_claims.CLAIM_TAG`) or, once a run took its
claim, by its id, through the instance's public run records.
"""

import dagster as dg

from cx_assets.flows.privacy_claims import CLAIM_TAG, RunState

_STATES = {
    dg.DagsterRunStatus.SUCCESS: RunState.SUCCESS,
    dg.DagsterRunStatus.FAILURE: RunState.FAILED,
    dg.DagsterRunStatus.CANCELED: RunState.CANCELED,
}


class DagsterRunLedger:
    """`RunLedger` over a Dagster instance."""

    def __init__(self, instance: dg.DagsterInstance) -> None:
        self.instance = instance

    def state(self, claim: str, run_id: str | None) -> RunState:
        run = self.instance.get_run_by_id(run_id) if run_id else None
        if run is None:
            records = self.instance.get_run_records(
                filters=dg.RunsFilter(tags={CLAIM_TAG: claim}), limit=1
            )
            run = records[0].dagster_run if records else None
        if run is None:
            return RunState.MISSING
        return _STATES.get(run.status, RunState.ACTIVE)


#: A privacy run still going after this long is failed by run monitoring (`dagster.yaml`). The
#: default run launcher cannot tell a dead run worker from a slow one, so without a limit a run
#: whose process died would hold its claim (and its request) forever; failed, it is handed back.
MAX_RUNTIME_S = 2 * 3600


def claim_tags(claim: str) -> dict[str, str]:
    """The tags a claim's run request carries: the claim, and the runtime limit."""
    return {CLAIM_TAG: claim, "dagster/max_runtime": str(MAX_RUNTIME_S)}
