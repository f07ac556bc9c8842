"""Genesys Cloud conversations: the tutorial-mode export client, its models, verified downloads."""
