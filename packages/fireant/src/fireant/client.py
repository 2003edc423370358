"""``FireantClient``: submit a job once, read its status, wait for it, fetch its results."""

import json
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from tenacity import RetryError, Retrying, retry_if_result, stop_after_attempt, wait_fixed

from fireant.errors import FireantJobFailed, PollAttemptsExhausted
from fireant.models import FireantJobStatus, JobResults, JobStatusReport, JobType
from fireant.polling import PollPolicy
from resilient_http import ApiError, HttpClient, RetryPolicy, send
from resilient_http.send import endpoint_of

IDEMPOTENCY_HEADER = "Idempotency-Key"


class FireantClient(HttpClient):
    """Typed calls to Fireant with a timeout and retries with backoff (``policy``).

    Submissions carry an idempotency key, so retrying a submit after a timeout or a 5xx
    (by this client, or by a re-executed run) returns the job already created for that key
    instead of starting a second one. The API key is sent as a bearer token and never
    appears in errors.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        policy: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("Fireant needs an API key: set FIREANT_API_KEY")
        self.base_url = base_url.rstrip("/")
        self.policy = policy or RetryPolicy()
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"},
            transport=transport,
        )

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = send(self._http, method, path, self.policy, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise ApiError(
                endpoint_of(method, path),
                response.status_code,
                f"the response is not JSON: {response.text[:120]!r}",
            ) from None

    def submit_job(
        self, payload: Mapping[str, Any], job_type: JobType | str, idempotency_key: str
    ) -> str:
        """Submit ``payload`` to the endpoint of ``job_type``; return Fireant's job id.

        ``idempotency_key`` should name the work item (run, report, due time): the same key
        always yields the same job id.
        """
        if not idempotency_key:
            raise ValueError(
                "submit_job needs an idempotency_key (derive it from run, report and due time)"
            )
        kind = job_type if isinstance(job_type, JobType) else JobType.parse(job_type)
        body = self._json(
            "POST",
            kind.submit_path,
            json=dict(payload),
            headers={IDEMPOTENCY_HEADER: idempotency_key},
        )
        job_id = body.get("job_id") if isinstance(body, dict) else None
        if not isinstance(job_id, str | int) or isinstance(job_id, bool) or job_id == "":
            raise ApiError(
                endpoint_of("POST", kind.submit_path),
                None,
                f"no job_id in the answer: {str(body)[:120]}",
            )
        return str(job_id)

    def get_job_status(self, job_id: str) -> JobStatusReport:
        """One status call; a status Fireant does not document reads as ``UNKNOWN``."""
        path = f"/get_job_status/{job_id}"
        body = self._json("GET", path, params={"is_get_results": "false", "is_newline": "true"})
        if not isinstance(body, dict):
            raise ApiError(
                endpoint_of("GET", path), None, f"expected a JSON object, got {str(body)[:80]}"
            )
        data = body.get("data")
        if not isinstance(data, dict):
            data = {}
        raw = data.get("status", body.get("status"))
        error = data.get("error", body.get("error"))
        return JobStatusReport(
            job_id=job_id,
            status=FireantJobStatus.parse(raw),
            raw_status=str(raw) if raw is not None else None,
            error=str(error) if error else None,
            response=body,
        )

    def wait_for_job(
        self,
        job_id: str,
        poll: PollPolicy,
        on_poll: Callable[[int, JobStatusReport], None] | None = None,
    ) -> JobStatusReport:
        """Poll until the job is Finished (returned) or Failed (``FireantJobFailed``).

        ``on_poll(attempt, report)`` sees every answer (the location mirrors it into the
        Django job record). After ``poll.max_poll_attempts`` answers without a terminal
        status, raises ``PollAttemptsExhausted``.
        """
        attempts = 0

        def check() -> JobStatusReport:
            nonlocal attempts
            attempts += 1
            report = self.get_job_status(job_id)
            if on_poll is not None:
                on_poll(attempts, report)
            return report

        retrying = Retrying(
            stop=stop_after_attempt(poll.max_poll_attempts),
            wait=wait_fixed(poll.poll_interval_seconds),
            retry=retry_if_result(lambda report: not report.status.is_terminal),
        )
        try:
            final = retrying(check)
        except RetryError as exc:
            last = exc.last_attempt.result()
            raise PollAttemptsExhausted(
                job_id, attempts, poll.poll_interval_seconds, last
            ) from None
        if final.status is FireantJobStatus.FAILED:
            raise FireantJobFailed(final)
        return final

    def download_results(self, job_id: str) -> JobResults:
        """The result rows of a finished job (``{data: [...]}``, a JSON list, or JSON lines)."""
        path = f"/jobs/results/{job_id}"
        response = send(self._http, "GET", path, self.policy)
        try:
            rows = _rows(response.text)
        except ValueError as exc:
            raise ApiError(endpoint_of("GET", path), response.status_code, str(exc)) from None
        return JobResults(job_id=job_id, rows=rows)


def _rows(text: str) -> list[dict[str, Any]]:
    try:
        body: Any = json.loads(text)
    except json.JSONDecodeError:
        try:
            body = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError:
            raise ValueError(f"results are neither JSON nor JSON lines: {text[:120]!r}") from None
    if isinstance(body, dict):
        body = body.get("data", body.get("results"))
    if not isinstance(body, list) or not all(isinstance(row, dict) for row in body):
        raise ValueError(f"results are not a list of JSON objects: {str(body)[:120]}")
    return body
