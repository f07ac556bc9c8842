"""Genesys Cloud OAuth: the client-credentials token path on the login host, for every flow."""

from __future__ import annotations

TOKEN_PATH = "/oauth/token"
