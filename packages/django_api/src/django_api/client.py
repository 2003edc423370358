"""``DjangoAPIClient``: every call the orchestrator makes to the Django API."""

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import httpx
from pydantic import ValidationError
from tenacity import (
    RetryCallState,
)

from django_api.auth import DjangoJWTAuth
from django_api.errors import DjangoAuthError
from django_api.models import (
    CatalogueEntryError,
    JobRecord,
    JobRecordStatus,
    Modifier,
    Report,
    ReportCatalogue,
    ReportData,
)
from resilient_http import ApiError, ApiUnavailable, HttpClient, RetryEvent, RetryPolicy, send
from resilient_http.send import endpoint_of

DEFAULT_PAGE_SIZE = 100
MAX_PAGES = 10_000

_M = TypeVar("_M", Report, Modifier, JobRecord)
_T = TypeVar("_T")
IDEMPOTENCY_HEADER = "Idempotency-Key"


class DjangoAPIClient(HttpClient):
    """Typed calls to the Django API with JWT auth, a timeout and retries with backoff.

    ``policy`` carries ``TIMEOUT_SECONDS`` and ``MAX_RETRIES``. Transport errors, timeouts,
    429 and 5xx are retried; they end in ``resilient_http.ApiUnavailable``. A 401/403 that a
    refresh or a new login cannot fix raises ``DjangoAuthError``; any other 4xx, or a body
    that is not the documented JSON, raises ``ApiError``. Errors name the endpoint and the
    status, never the token.
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        policy: RetryPolicy | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.policy = policy or RetryPolicy()
        self.page_size = page_size
        self._auth = DjangoJWTAuth(self.base_url, token=token, username=username, password=password)
        self._http = httpx.Client(
            base_url=self.base_url,
            auth=self._auth,
            headers={"Accept": "application/json"},
            transport=transport,
        )

    # -- plumbing ---------------------------------------------------------------------------

    def _call(
        self, method: str, path: str, policy: RetryPolicy | None = None, **kwargs: Any
    ) -> httpx.Response:
        try:
            return send(self._http, method, path, policy or self.policy, **kwargs)
        except ApiError as exc:
            if exc.status in (401, 403) and not isinstance(exc, DjangoAuthError):
                raise DjangoAuthError(
                    exc.endpoint,
                    exc.status,
                    "the API refused the credentials; set a valid DJANGO_JWT_TOKEN "
                    "(or DJANGO_USERNAME and DJANGO_PASSWORD)",
                ) from None
            raise

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._call(method, path, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ApiError(
                endpoint_of(method, path),
                response.status_code,
                f"the response is not JSON: {response.text[:120]!r}",
            ) from None

    def _object(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """The JSON object answered, unwrapped from ``{"data": {...}}`` when so enveloped."""
        body = self._json(method, path, **kwargs)
        if isinstance(body, dict) and isinstance(body.get("data"), dict):
            body = body["data"]
        if not isinstance(body, dict):
            raise ApiError(
                endpoint_of(method, path), None, f"expected a JSON object, got {_kind(body)}"
            )
        return body

    def _create(
        self,
        path: str,
        key: str,
        post: Callable[[RetryPolicy], _T],
        existing: Callable[[], _T | None],
    ) -> _T:
        """``post`` a new object so that retrying it never makes a second one.

        Each attempt is a single request carrying ``Idempotency-Key: key`` (an API that
        honours it answers a repeat with the first result). After an ambiguous failure (a
        timeout, a dropped connection, 429 or 5xx: the POST may have been applied and only
        its answer lost), the next attempt first looks the object up by its natural key
        (``existing``), for an API that ignores the header. ``MAX_RETRIES`` and the backoff
        are the client's policy.
        """
        policy = self.policy
        once = dataclasses.replace(policy, max_retries=0, on_retry=None)
        endpoint = endpoint_of("POST", path)

        attempts = 0

        def attempt() -> _T:
            nonlocal attempts
            attempts += 1
            if attempts > 1:
                found = existing()
                if found is not None:
                    return found
            return post(once)

        def before_sleep(state: RetryCallState) -> None:
            if policy.on_retry and state.outcome is not None and state.next_action is not None:
                policy.on_retry(
                    RetryEvent(
                        endpoint=endpoint,
                        attempt=state.attempt_number,
                        max_attempts=policy.max_attempts,
                        wait_seconds=state.next_action.sleep,
                        reason=f"{state.outcome.exception()} (idempotency key {key})",
                    )
                )

        retrying = policy.retrying(ApiUnavailable, before_sleep)
        return retrying(attempt)

    def _parse(self, model: type[_M], method: str, path: str, body: Mapping[str, Any]) -> _M:
        try:
            return model.model_validate(body)
        except ValidationError as exc:
            raise ApiError(
                endpoint_of(method, path), None, f"unexpected {model.__name__}: {_first_error(exc)}"
            ) from None

    # -- health and auth --------------------------------------------------------------------

    def ping(self) -> int:
        """``GET /api`` without credentials: 200, or 401 when the API is up but wants auth."""
        try:
            return send(self._http, "GET", "/api", self.policy, auth=None).status_code
        except ApiError as exc:
            if exc.status == 401:
                return 401
            raise

    def ping_authenticated(self) -> None:
        """One authenticated call (the first page of reports); raises if auth fails."""
        self._json("GET", "/api/reports/", params={"page": 1, "page_size": 1})

    # -- the catalogue ----------------------------------------------------------------------

    def list_reports(self, page_size: int | None = None) -> ReportCatalogue:
        """Every report with its cron schedule, following ``next`` links page by page.

        An entry that is not a valid report (no id, a non-integer id, no name, a list where
        an object belongs) lands in ``rejected`` with the reason; the others are returned.
        A page that is not ``{"data": [...]}`` (or DRF's ``{"results": [...]}``) raises
        ``ApiError``: a half-read catalogue must never pass for the whole one. The API's
        ``count`` is kept, so a short (truncated) page shows in ``incomplete_reason``.
        """
        size = page_size or self.page_size
        reports: list[Report] = []
        rejected: list[CatalogueEntryError] = []
        path: str | None = "/api/reports/"
        params: dict[str, Any] | None = {"page": 1, "page_size": size}
        pages = 0
        index = 0
        count: int | None = None
        while path is not None:
            pages += 1
            if pages > MAX_PAGES:
                raise ApiError("GET /api/reports/", None, f"more than {MAX_PAGES} pages; giving up")
            body = self._json("GET", path, params=params)
            entries, next_url = _page(body, "GET /api/reports/")
            announced = body.get("count") if isinstance(body, dict) else None
            if isinstance(announced, int) and not isinstance(announced, bool):
                count = announced
            for entry in entries:
                try:
                    reports.append(Report.model_validate(entry))
                except ValidationError as exc:
                    report_id = entry.get("id") if isinstance(entry, dict) else None
                    rejected.append(
                        CatalogueEntryError(
                            index=index,
                            report_id=report_id,
                            reason=_first_error(exc),
                            entry=entry,
                        )
                    )
                index += 1
            path, params = next_url, None
        return ReportCatalogue(reports=reports, rejected=rejected, pages=pages, count=count)

    def get_report(self, report_id: int) -> Report:
        """``GET /api/reports/{id}/``; ``ApiError`` with status 404 when it does not exist."""
        path = f"/api/reports/{report_id}/"
        return self._parse(Report, "GET", path, self._object("GET", path))

    # -- modifiers (the dates a report runs for) --------------------------------------------

    def find_modifier_for_date(self, report_id: int, target_date: dt.date) -> Modifier | None:
        """The modifier of ``report_id`` whose fx_date and as_at_date are ``target_date``."""
        path = f"/api/reports/{report_id}/modifiers/"
        day = target_date.isoformat()
        found = self._object("GET", path, params={"fx_date": day, "as_at_date": day})
        modifiers = found.get("modifiers", [])
        if not isinstance(modifiers, list):
            raise ApiError(endpoint_of("GET", path), None, "'modifiers' is not a list")
        return self._parse(Modifier, "GET", path, modifiers[0]) if modifiers else None

    def create_modifier(
        self, fx_date: dt.date, as_at_date: dt.date, *, idempotency_key: str | None = None
    ) -> Modifier:
        """``POST /api/report-modifiers/``, retried under one idempotency key (by default
        one per call). A modifier has no natural key until it is linked to a report, so an
        API that ignores the key may keep an unlinked extra one after a lost answer."""
        path = "/api/report-modifiers/"
        body = {"fx_date": fx_date.isoformat(), "as_at_date": as_at_date.isoformat()}
        key = idempotency_key or f"report-modifier:{uuid.uuid4()}"

        def post(policy: RetryPolicy) -> Modifier:
            answer = self._object("POST", path, policy=policy, json=body, headers=_keyed(key))
            return self._parse(Modifier, "POST", path, answer)

        return self._create(path, key, post, lambda: None)

    def link_modifier_to_report(self, report_id: int, modifier_id: int) -> None:
        """``POST /api/link-modifier/single/``; after a lost answer, linked is linked."""
        path = "/api/link-modifier/single/"
        body = {"report_id": report_id, "modifier_id": modifier_id}
        key = f"link-modifier:{report_id}:{modifier_id}"

        def post(policy: RetryPolicy) -> bool:
            self._json("POST", path, policy=policy, json=body, headers=_keyed(key))
            return True

        def linked() -> bool | None:
            found = self._object("GET", f"/api/reports/{report_id}/modifiers/")
            modifiers = found.get("modifiers")
            ids = (
                [m.get("id") for m in modifiers if isinstance(m, dict)]
                if isinstance(modifiers, list)
                else []
            )
            return True if modifier_id in ids else None

        self._create(path, key, post, linked)

    def get_or_create_modifier_for_date(self, report_id: int, target_date: dt.date) -> Modifier:
        """The report's modifier for ``target_date``, created and linked when missing.

        Safe to retry and to re-run: the creation's idempotency key is the natural key
        (report, date), and a lost answer is followed by a lookup before any new POST.
        """
        existing = self.find_modifier_for_date(report_id, target_date)
        if existing is not None:
            return existing
        key = f"report-modifier:{report_id}:{target_date.isoformat()}"
        modifier = self.create_modifier(target_date, target_date, idempotency_key=key)
        self.link_modifier_to_report(report_id, modifier.id)
        return modifier

    # -- report data ------------------------------------------------------------------------

    def get_report_data(self, report_id: int, modifier_id: int) -> ReportData:
        """``GET /api/reports/{id}/modifiers/{modifier_id}/all``: report, modifier, events."""
        path = f"/api/reports/{report_id}/modifiers/{modifier_id}/all"
        body = self._json("GET", path)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(body, dict) or not isinstance(data, dict):
            raise ApiError(
                endpoint_of("GET", path), None, f"expected {{data: {{...}}}}, got {_kind(body)}"
            )
        try:
            return ReportData.model_validate(
                {
                    "report": data.get("report"),
                    "modifier": data.get("modifier"),
                    "eventgroup": data.get("eventgroup") or {},
                    "meta": body.get("meta"),
                    "raw": body,
                }
            )
        except ValidationError as exc:
            raise ApiError(
                endpoint_of("GET", path), None, f"unexpected report data: {_first_error(exc)}"
            ) from None

    # -- job records ------------------------------------------------------------------------

    def find_jobs(
        self, *, report_id: int | None = None, fireant_jobid: str | None = None
    ) -> list[JobRecord]:
        """Job records filtered by report and/or Fireant job id, every page, oldest first."""
        params: dict[str, Any] | None = {
            k: v
            for k, v in {"report_id": report_id, "fireant_jobid": fireant_jobid}.items()
            if v is not None
        }
        jobs: list[JobRecord] = []
        path: str | None = "/api/jobs/"
        for _ in range(MAX_PAGES):
            if path is None:
                break
            entries, path = _page(self._json("GET", path, params=params), "GET /api/jobs/")
            jobs += [self._parse(JobRecord, "GET", "/api/jobs/", entry) for entry in entries]
            params = None  # the next link carries them
        return sorted(jobs, key=lambda job: job.id)

    def create_job(
        self,
        *,
        report_id: int,
        fireant_jobid: str,
        report_modifier_id: int | None = None,
        status: JobRecordStatus = JobRecordStatus.SUBMITTED,
    ) -> JobRecord:
        """``POST /api/jobs/``: record a submitted Fireant job, once.

        The idempotency key is the natural key (report, Fireant job id); after a lost
        answer the record is looked up by it before any new POST.
        """
        path = "/api/jobs/"
        body = {
            "report_id": report_id,
            "report_modifier_id": report_modifier_id,
            "fireant_jobid": fireant_jobid,
            "status": str(status),
        }
        key = f"job:{report_id}:{fireant_jobid}"

        def post(policy: RetryPolicy) -> JobRecord:
            answer = self._object("POST", path, policy=policy, json=body, headers=_keyed(key))
            return self._parse(JobRecord, "POST", path, answer)

        def existing() -> JobRecord | None:
            found = self.find_jobs(report_id=report_id, fireant_jobid=fireant_jobid)
            return found[0] if found else None

        return self._create(path, key, post, existing)

    def get_or_create_job(
        self,
        *,
        report_id: int,
        fireant_jobid: str,
        report_modifier_id: int | None = None,
    ) -> JobRecord:
        """The record of ``fireant_jobid`` (the oldest, should there be two), created when
        missing: a rerun never adds a second."""
        for job in self.find_jobs(report_id=report_id, fireant_jobid=fireant_jobid):
            return job
        return self.create_job(
            report_id=report_id, fireant_jobid=fireant_jobid, report_modifier_id=report_modifier_id
        )

    def update_job(
        self,
        job_id: int,
        *,
        status: JobRecordStatus | None = None,
        results_url: str | None = None,
        dagster_run_id: str | None = None,
        status_message: str | None = None,
    ) -> JobRecord:
        """``PATCH /api/jobs/{id}/`` with the fields given (the run and why, on an outcome)."""
        fields = {
            "status": str(status) if status is not None else None,
            "results_url": results_url,
            "dagster_run_id": dagster_run_id,
            "status_message": status_message,
        }
        body = {key: value for key, value in fields.items() if value is not None}
        path = f"/api/jobs/{job_id}/"
        return self._parse(JobRecord, "PATCH", path, self._object("PATCH", path, json=body))

    def delete_job(self, job_id: int) -> None:
        self._json("DELETE", f"/api/jobs/{job_id}/")


def _keyed(key: str) -> dict[str, str]:
    return {IDEMPOTENCY_HEADER: key}


def _page(body: Any, endpoint: str) -> tuple[list[Any], str | None]:
    """Entries and the next page's URL of a listing (``data`` or DRF's ``results``)."""
    if isinstance(body, list):
        return body, None
    if isinstance(body, dict):
        entries = body.get("data", body.get("results"))
        if isinstance(entries, list):
            next_url = body.get("next")
            return entries, next_url if isinstance(next_url, str) and next_url else None
    raise ApiError(endpoint, None, f"expected {{data: [...]}}, got {_kind(body)}")


def _kind(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:80]}"


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "entry"
    return f"{where}: {err['msg']} (got {err.get('input')!r:.60})"
