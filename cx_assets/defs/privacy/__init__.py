"""Privacy (GDPR/CCPA) export requests: one dynamic partition per request, submitted once,
tracked by sensor and signed webhook, downloaded verified into the owner-only privacy area, and
deleted (audited) once past the retention period."""

from cx_assets.defs.privacy.assets import download_job, privacy_export, privacy_request, submit_job
from cx_assets.defs.privacy.retention import privacy_retention_job, privacy_retention_schedule
from cx_assets.defs.privacy.sensors import privacy_requests_sensor, privacy_tracking_sensor

ASSETS = [privacy_request, privacy_export]
JOBS = [submit_job, download_job, privacy_retention_job]
SCHEDULES = [privacy_retention_schedule]
SENSORS = [privacy_requests_sensor, privacy_tracking_sensor]
