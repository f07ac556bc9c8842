"""Privacy requests: tutorial-mode routes, store, callbacks, content and validation."""
