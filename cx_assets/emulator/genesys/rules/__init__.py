"""Rules: tutorial-mode data actions, their store, seed, validation and webhooks."""
