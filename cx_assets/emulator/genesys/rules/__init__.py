"""Rules: tutorial-mode data actions, their store, request bodies, seed, validation and webhooks."""
