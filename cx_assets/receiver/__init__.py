"""Our own webhook receiver: signed callbacks and events, verified and written to an inbox."""
