"""One asset per rule file: validate, diff against the live action, apply with If-Match.

Run config `dry_run: true` shows the diff without writing anything (neither to the vendor nor
to the catalog). Validation runs before any write, against the datasets the API serves; a
broken rule fails the run at once (no retry can fix it) naming file, tree path and rule. The
step itself is `flows.rules.apply_rule_file`; this module turns its result into metadata and
its errors into `dg.Failure`s.
"""

from functools import partial
from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import Field

from cx_assets.defs.policies import OWNERS, TRANSIENT_RETRY
from cx_assets.defs.resources import CatalogResource, GenesysCloudResource
from cx_assets.defs.rules.rule_files import asset_key_for, rule_files
from cx_assets.flows.rules import DATA_ACTION_FLOW, AppliedRule, apply_rule_file
from cx_assets.genesys.rules import ApplyConflict, RulesInvalid
from cx_assets.http.errors import ApiError

GROUP = "genesys_data_actions"


class ApplyRulesConfig(dg.Config):
    dry_run: bool = Field(default=False, description="Show the diff; write nothing.")
    max_attempts: int = Field(
        default=3, ge=1, le=10, description="PUTs to try when each meets a concurrent edit (409)."
    )
    webhook_url: str | None = Field(
        default=None,
        description="Register (once; remembered in the catalog) a data.action.updated webhook "
        "to this receiver URL.",
    )


def diff_markdown(text: str) -> dg.MetadataValue:
    return dg.MetadataValue.md(f"```diff\n{text}\n```" if text else "no difference")


def run_apply(
    context: dg.AssetExecutionContext,
    config: ApplyRulesConfig,
    path: Path,
    genesys: GenesysCloudResource,
    catalog: CatalogResource,
) -> dg.MaterializeResult:
    target = genesys.describe_target(DATA_ACTION_FLOW)
    try:
        applied = apply_rule_file(
            partial(genesys.api_client, flow=DATA_ACTION_FLOW),
            path,
            catalog.layout.catalog_path,
            dry_run=config.dry_run,
            max_attempts=config.max_attempts,
            webhook_url=config.webhook_url,
            run_id=context.run.run_id,
            target=target,
            log=context.log,
        )
    except RulesInvalid as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    except ApplyConflict as exc:  # a colleague's edit of what we change waits for a person
        raise dg.Failure(description=str(exc), allow_retries=not exc.overlap) from None
    except ApiError as exc:
        raise dg.Failure(
            description=f"Data action {path.stem} on {target}: {exc}",
            allow_retries=exc.transient,
        ) from None
    return dg.MaterializeResult(metadata=_metadata(applied))


def _metadata(applied: AppliedRule) -> dict[str, Any]:
    rule, outcome, stats = applied.rule, applied.outcome, applied.stats
    confirmation = outcome.confirmation
    metadata: dict[str, Any] = {
        "action_id": rule.action_id,
        "status": outcome.status,
        "dry_run": outcome.status == "dry_run",
        "diff": diff_markdown(outcome.diff.text),
        "changed_lines": outcome.diff.changed_lines,
        "version_before": outcome.version_before,
        "version": outcome.version_after,
        "put_attempts": outcome.attempts,
        "conflicts_409": outcome.conflicts,
        "kept_concurrent_edit_of": ", ".join(outcome.kept) or "none",
        "confirmed_by": confirmation.actor_id if confirmation else "not confirmed",
        "audit_seq": applied.audit_seq if applied.audit_seq is not None else "none",
        "requests": int(stats.get("requests", 0)),
        "retries": int(stats.get("retries", 0)),
        "throttled_429": int(stats.get("throttled", 0)),
    }
    if applied.webhook is not None:
        metadata["webhook_id"] = applied.webhook.webhook_id
        metadata["webhook_registered_now"] = applied.webhook.registered_now
    return metadata


def build_rule_asset(path: Path) -> dg.AssetsDefinition:
    key = asset_key_for(path)

    @dg.asset(
        key=key,
        group_name=GROUP,
        pool="genesys_api",
        kinds={"genesys", "yaml"},
        retry_policy=TRANSIENT_RETRY,
        owners=OWNERS,
        description=f"Applies the repo's rules in {path.name} to data action {path.stem} "
        "(validated first; If-Match; dry_run in run config shows the diff only).",
        metadata={"rule_file": str(path), "action_id": path.stem},
    )
    def _apply(
        context: dg.AssetExecutionContext,
        config: ApplyRulesConfig,
        genesys: GenesysCloudResource,
        catalog: CatalogResource,
    ) -> dg.MaterializeResult:
        return run_apply(context, config, path, genesys, catalog)

    return _apply


def rule_assets(folder: Path | None = None) -> list[dg.AssetsDefinition]:
    files = rule_files(folder) if folder is not None else rule_files()
    return [build_rule_asset(p) for p in files]
