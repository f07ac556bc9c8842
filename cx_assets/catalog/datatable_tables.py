"""Catalog tables for Genesys data table snapshots, imports and their quarantine (issue 3).

`schema.ensure_schema` runs `DDL` on every open (each statement idempotent) and `TABLES` lists
the tables it creates.
"""

from __future__ import annotations

DDL: tuple[str, ...] = ()
TABLES: tuple[str, ...] = ()
