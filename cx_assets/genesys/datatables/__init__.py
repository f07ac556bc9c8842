"""Genesys Cloud data tables: the tutorial-mode client, rows, imports and their declarations."""
