"""Data action rules as code: the readable YAML form (`model`), validation before any request
(`validation`), the repo-vs-live diff (`diff`), and apply with If-Match / drift (`apply`)."""

from cx_assets.genesys.rules.apply import (
    ApplyConflict,
    ApplyOutcome,
    DriftReport,
    apply_rule,
    check_drift,
)
from cx_assets.genesys.rules.diff import RuleDiff, desired_payload, diff_rule
from cx_assets.genesys.rules.model import (
    OPERATORS,
    BoolNode,
    Comparison,
    Node,
    Rule,
    RuleProblem,
    RulesInvalid,
    dump_rule,
    from_api,
    load_rule,
    load_rules,
    parse_rule,
    rule_document,
    to_api,
    to_readable,
)
from cx_assets.genesys.rules.validation import (
    ensure_valid,
    find_cycle,
    structure_problems,
    validate_rule,
)

__all__ = [
    "OPERATORS",
    "ApplyConflict",
    "ApplyOutcome",
    "BoolNode",
    "Comparison",
    "DriftReport",
    "Node",
    "Rule",
    "RuleDiff",
    "RuleProblem",
    "RulesInvalid",
    "apply_rule",
    "check_drift",
    "desired_payload",
    "diff_rule",
    "dump_rule",
    "ensure_valid",
    "find_cycle",
    "from_api",
    "load_rule",
    "load_rules",
    "parse_rule",
    "rule_document",
    "structure_problems",
    "to_api",
    "to_readable",
    "validate_rule",
]
