"""Conversations: tutorial-mode data exports and the synthetic days they serve."""
