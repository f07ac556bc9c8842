"""The read-only catalog HTTP service: app, OpenAPI document and queries."""
