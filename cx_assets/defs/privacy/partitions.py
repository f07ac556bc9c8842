"""One dynamic partition per privacy request, so every request has its own history in the UI."""

import dagster as dg

#: Keys are the request's name (a request file's stem, or one added in the UI).
privacy_requests = dg.DynamicPartitionsDefinition(name="privacy_requests")
