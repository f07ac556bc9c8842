"""What each asset group holds, for the README's group table (Dagster 1.13 has no API that shows a
group description in the UI, so each asset's own description says the rest)."""

#: Group name -> one sentence for the person choosing a group in the UI's asset graph. A test
#: fails when a group has no entry here or the README's group table does not carry it.
GROUP_DESCRIPTIONS: dict[str, str] = {
    "genesys_exports": "Genesys Cloud conversations by UTC day: the raw export exactly as served "
    "and verified (`genesys_conversation_export`), then normalised into the `conversations` "
    "views (`genesys_conversations`).",
    "genesys_datatables": "Genesys Cloud data tables: a snapshot of every table per day (table "
    "x day partitions) and the imports declared in YAML.",
    "cxone": "NICE CXone interactions by UTC day (`cxone.interactions`), with each day's "
    "completeness.",
    "reports": "The daily contact-centre report over Genesys and CXone, redone by the automation "
    "sensor when a source lands a day.",
    "privacy": "GDPR requests, one partition per request: filed once, tracked, and their exports "
    "downloaded verified into the owner-only privacy area.",
    "genesys_outbound_rules": "Outbound rule sets and contact list filters kept as YAML in the "
    "repo: applied with the entity's version, checked for drift (who changed what).",
    "genesys_data_actions": "Data action rules kept as YAML in the repo (tutorial mode, emulator "
    "only): applied with If-Match, checked for drift.",
}
