"""Data tables: tutorial-mode routes, the store, its tables (schema, rows) and the seed."""
