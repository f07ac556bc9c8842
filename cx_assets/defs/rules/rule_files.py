"""Where the repo keeps the data action rules, and the asset key each file gets."""

from pathlib import Path

import dagster as dg

#: One YAML file per data action, `<action_id>.yaml` (format: cx_assets/genesys/rules/model.py).
RULES_DIR = Path(__file__).resolve().parent / "rules"
KEY_PREFIX = "data_action_rules"


def rule_files(folder: Path = RULES_DIR) -> list[Path]:
    return sorted(folder.glob("*.yaml"))


def asset_key_for(path: Path) -> dg.AssetKey:
    """`data_action_rules/<file stem>`: from the file name, so a file that does not parse still
    gets an asset whose run reports why, instead of breaking the whole code location."""
    return dg.AssetKey([KEY_PREFIX, path.stem])
