"""Data tables: tutorial-mode routes, the in-memory store and its seed."""
