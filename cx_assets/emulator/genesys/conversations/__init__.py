"""Conversations: tutorial-mode data exports and the synthetic days (lines, files) they serve."""
