"""The read-only catalog HTTP service: app, OpenAPI document, exports, datasets and filters."""
