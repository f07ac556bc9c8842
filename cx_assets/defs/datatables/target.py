"""The Genesys resource described as the data table flows need it (no Dagster types below defs)."""

from cx_assets.defs.resources import GenesysCloudResource
from cx_assets.flows.datatables import Target


def target_of(genesys: GenesysCloudResource) -> Target:
    """Which API the flow talks to: named in progress lines, recorded in the catalog."""
    return Target(
        description=genesys.describe_target(),
        api_base_url=genesys.base_urls()[0],
        is_emulator=genesys.is_emulator,
    )
