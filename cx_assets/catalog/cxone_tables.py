"""Catalog tables for NICE CXone analytics exports, per-day metrics and webhook syncs (issue 4).

`schema.ensure_schema` runs `DDL` on every open (each statement idempotent) and `TABLES` lists
the tables it creates.
"""

from __future__ import annotations

DDL: tuple[str, ...] = ()
TABLES: tuple[str, ...] = ()
