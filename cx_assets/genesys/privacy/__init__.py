"""Genesys Cloud privacy requests: the tutorial-mode client and the request models."""
