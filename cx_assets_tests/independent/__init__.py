"""A second Genesys platform-mode server, written from docs/api-contract.md alone."""
