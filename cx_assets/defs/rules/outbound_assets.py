"""One asset per outbound rule set or contact list filter file: validate, diff, apply.

Platform mode only: these are the real Genesys Cloud entities (the tutorial contract's rules
are the `data_action_rules` assets). Run config `dry_run: true` shows the diff and writes
nothing. A concurrent edit that touched what the file changes fails the run with both versions
(never overwritten); one that touched something else is kept and ours applied on top. The step
is `flows.rules_outbound.apply_outbound_file`; this module turns its result into metadata.
"""

from functools import partial
from typing import Any

import dagster as dg
from pydantic import Field

from cx_assets.defs.policies import OWNERS, TRANSIENT_RETRY
from cx_assets.defs.resources import CatalogResource, GenesysCloudResource
from cx_assets.defs.rules.outbound_files import OutboundFile, outbound_files
from cx_assets.flows.rules_outbound import FLOW, AppliedOutbound, apply_outbound_file
from cx_assets.genesys.rules.model import RulesInvalid
from cx_assets.genesys.rules.outbound_apply import OutboundConflict
from cx_assets.genesys.rules.platform import LABELS, CreateUncertain
from cx_assets.http.errors import ApiError

GROUP = "genesys_outbound_rules"


class ApplyOutboundConfig(dg.Config):
    dry_run: bool = Field(default=False, description="Show the diff; write nothing.")
    max_attempts: int = Field(
        default=3,
        ge=1,
        le=10,
        description="PUTs to try when each meets a newer version that a concurrent edit of "
        "something else made (an edit of what the file changes stops the run at once).",
    )


def diff_markdown(text: str) -> dg.MetadataValue:
    return dg.MetadataValue.md(f"```diff\n{text}\n```" if text else "no difference")


def require_platform(genesys: GenesysCloudResource) -> None:
    """Outbound rule sets and filters exist only on the real API (and the emulator's copy)."""
    if genesys.mode_for(FLOW) != "platform":
        raise dg.Failure(
            description="Outbound rule sets and contact list filters are platform-mode entities; "
            "GENESYS_API_MODE=tutorial serves the tutorial's data action rules instead "
            "(the data_action_rules assets). Set GENESYS_API_MODE=platform.",
            allow_retries=False,
        )


def run_apply(
    context: dg.AssetExecutionContext,
    config: ApplyOutboundConfig,
    file: OutboundFile,
    genesys: GenesysCloudResource,
    catalog: CatalogResource,
) -> dg.MaterializeResult:
    require_platform(genesys)
    target = genesys.describe_target(FLOW)
    try:
        applied = apply_outbound_file(
            partial(genesys.api_client, flow=FLOW),
            file.kind,
            file.path,
            catalog.layout.catalog_path,
            dry_run=config.dry_run,
            max_attempts=config.max_attempts,
            run_id=context.run.run_id,
            target=target,
            log=context.log,
        )
    except (RulesInvalid, OutboundConflict, CreateUncertain) as exc:
        # bad input, a person's decision, or a create to look for first: not for a blind retry
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    except ApiError as exc:
        raise dg.Failure(
            description=f"{LABELS[file.kind].capitalize()} {file.path.name} on {target}: {exc}",
            allow_retries=exc.transient,
        ) from None
    return dg.MaterializeResult(metadata=_metadata(applied, target))


def _metadata(applied: AppliedOutbound, target: str) -> dict[str, Any]:
    outcome, stats = applied.outcome, applied.stats
    return {
        "entity_id": outcome.entity_id or "not created",
        "status": outcome.status,
        "dry_run": outcome.status in ("dry_run", "would_create"),
        "diff": diff_markdown(outcome.diff),
        "changed_units": ", ".join(outcome.units) or "none",
        "changed_lines": outcome.changed_lines,
        "version_before": outcome.version_before if outcome.version_before is not None else "none",
        "version": outcome.version_after if outcome.version_after is not None else "none",
        "put_attempts": outcome.attempts,
        "kept_concurrent_edit_of": ", ".join(outcome.merged_over) or "none",
        "audit_seq": applied.audit_seq if applied.audit_seq is not None else "none",
        "target": target,
        "requests": int(stats.get("requests", 0)),
        "retries": int(stats.get("retries", 0)),
        "throttled_429": int(stats.get("throttled", 0)),
    }


def build_outbound_asset(file: OutboundFile) -> dg.AssetsDefinition:
    label = LABELS[file.kind]

    @dg.asset(
        key=file.key,
        group_name=GROUP,
        pool="genesys_api",
        kinds={"genesys", "yaml"},
        retry_policy=TRANSIENT_RETRY,
        owners=OWNERS,
        description=f"Applies {file.path.name} to the Genesys Cloud outbound {label} it names: "
        "validated against the contact list and data action contracts first, written with the "
        "live version (a colleague's concurrent edit of the same part is reported, never "
        "overwritten). Run config dry_run: true shows the diff only.",
        metadata={"rule_file": str(file.path), "kind": file.kind},
    )
    def _apply(
        context: dg.AssetExecutionContext,
        config: ApplyOutboundConfig,
        genesys: GenesysCloudResource,
        catalog: CatalogResource,
    ) -> dg.MaterializeResult:
        return run_apply(context, config, file, genesys, catalog)

    return _apply


def outbound_assets(files: list[OutboundFile] | None = None) -> list[dg.AssetsDefinition]:
    return [build_outbound_asset(f) for f in (outbound_files() if files is None else files)]
