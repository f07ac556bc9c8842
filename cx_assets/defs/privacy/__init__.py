"""Privacy (GDPR/CCPA) export requests: one dynamic partition per request, submitted once,
tracked by sensor and signed webhook, downloaded verified into the owner-only privacy area."""

from cx_assets.defs.privacy.assets import download_job, privacy_export, privacy_request, submit_job
from cx_assets.defs.privacy.sensors import privacy_requests_sensor, privacy_tracking_sensor

ASSETS = [privacy_request, privacy_export]
JOBS = [submit_job, download_job]
SENSORS = [privacy_requests_sensor, privacy_tracking_sensor]
