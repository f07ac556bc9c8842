"""Where the repo keeps outbound rule sets and contact list filters, and their asset keys."""

from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from cx_assets.genesys.rules.platform import Kind

#: `outbound/rule_sets/<name>.yaml` and `outbound/contact_list_filters/<name>.yaml`
#: (format: cx_assets/genesys/rules/outbound_model.py; README "Rules as code").
OUTBOUND_DIR = Path(__file__).resolve().parent / "outbound"
FOLDERS: dict[Kind, str] = {"rule_set": "rule_sets", "contact_list_filter": "contact_list_filters"}
KEY_PREFIXES: dict[Kind, str] = {
    "rule_set": "outbound_rule_sets",
    "contact_list_filter": "contact_list_filters",
}


@dataclass(frozen=True)
class OutboundFile:
    kind: Kind
    path: Path

    @property
    def key(self) -> dg.AssetKey:
        """From the file name, so a file that does not parse still gets an asset whose run
        reports why, instead of breaking the whole code location."""
        return dg.AssetKey([KEY_PREFIXES[self.kind], self.path.stem])


def outbound_files(folder: Path = OUTBOUND_DIR) -> list[OutboundFile]:
    return [
        OutboundFile(kind, path)
        for kind, sub in FOLDERS.items()
        for path in sorted((folder / sub).glob("*.yaml"))
    ]
