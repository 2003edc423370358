"""Typed client for the Fireant exposure API.

Contract (paths under ``FIREANT_API_URL``; every call sends ``Bearer <FIREANT_API_KEY>``):

- ``POST /job_exposure_{geo,ring,box}_agg``  payload, header ``Idempotency-Key`` -> ``{job_id}``
- ``GET  /get_job_status/{job_id}?is_get_results=false&is_newline=true``
  -> ``{data: {status: Running|Failed|Finished, error?}}``
- ``GET  /jobs/results/{job_id}``  -> ``{data: [row...]}``, a JSON list, or JSON lines
"""

from fireant.client import FireantClient
from fireant.errors import FireantJobFailed, PollAttemptsExhausted
from fireant.models import FireantJobStatus, JobResults, JobStatusReport, JobType
from fireant.polling import PollPolicy

__all__ = [
    "FireantClient",
    "FireantJobFailed",
    "FireantJobStatus",
    "JobResults",
    "JobStatusReport",
    "JobType",
    "PollAttemptsExhausted",
    "PollPolicy",
]
