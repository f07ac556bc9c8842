"""Pure orchestration, one module per flow: client -> lake -> catalog. No Dagster here."""
