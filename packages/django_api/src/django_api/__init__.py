"""Typed client for the reports Django API (the catalogue of reports, their data, job records).

Contract (paths under ``DJANGO_API_URL``; every call but ``ping`` sends ``Bearer <JWT>``):

- ``GET  /api``                                    health (200, or 401 when auth is required)
- ``POST /api/token/``                             ``{username, password}`` -> ``{access, refresh}``
- ``POST /api/token/refresh/``                     ``{refresh}`` -> ``{access}``
- ``GET  /api/reports/?page=N&page_size=M``        ``{data: [report...], next: url|null, count}``
- ``GET  /api/reports/{id}/``                      ``{data: report}``
- ``GET  /api/reports/{id}/modifiers/?fx_date=&as_at_date=``  ``{data: {modifiers: [...]}}``
- ``POST /api/report-modifiers/``                  ``{fx_date, as_at_date}`` -> modifier
- ``POST /api/link-modifier/single/``              ``{report_id, modifier_id}``
- ``GET  /api/reports/{id}/modifiers/{modifier_id}/all``  ``{data: {report, modifier, eventgroup}, meta}``
- ``GET  /api/jobs/?fireant_jobid=&report_id=``    ``{data: [job...]}``
- ``POST /api/jobs/``, ``PATCH /api/jobs/{id}/``, ``DELETE /api/jobs/{id}/``
  (status: submitted, running, failed, completed, timeout, cancelled, unknown; a run's
  outcome also sets ``dagster_run_id`` and ``status_message``)

Every creating POST carries ``Idempotency-Key`` (derived from its natural key) and, after
an ambiguous failure (timeout, dropped connection, 429/5xx), looks the object up before
posting again, so a retry never creates a second one.
"""

from django_api.auth import DjangoJWTAuth
from django_api.client import DjangoAPIClient
from django_api.errors import DjangoAuthError
from django_api.models import (
    CatalogueEntryError,
    Event,
    EventGroup,
    JobRecord,
    JobRecordStatus,
    Modifier,
    Report,
    ReportCatalogue,
    ReportData,
)

__all__ = [
    "CatalogueEntryError",
    "DjangoAPIClient",
    "DjangoAuthError",
    "DjangoJWTAuth",
    "Event",
    "EventGroup",
    "JobRecord",
    "JobRecordStatus",
    "Modifier",
    "Report",
    "ReportCatalogue",
    "ReportData",
]
