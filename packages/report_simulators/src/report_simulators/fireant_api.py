"""A local Fireant API: idempotent submit, jobs that finish after a delay, results.

Same HTTP contract as the real API (see the ``fireant`` package). A job finishes
``job_seconds`` after submission with one result row per event in its payload. It fails
instead when the options say so or its payload carries ``"simulate": "fail"``, and never
finishes with ``never_complete`` or ``"simulate": "never_complete"`` (the sample
catalogue's reports 12 and 13 carry these).
"""

import hashlib
import json
import os
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from report_simulators.faults import FaultMiddleware, Faults, env_number

DEFAULT_API_KEY = "local-fireant-key"  # a local stand-in's key, not a production secret
JOB_TYPES = ("geo", "ring", "box")
EVENT_KEYS = {"geo": "geos", "ring": "rings", "box": "boxes"}


@dataclass
class FireantSimulatorOptions:
    """How the simulator behaves; ``from_env`` reads ``FIREANT_SIM_*`` variables."""

    api_key: str = DEFAULT_API_KEY
    job_seconds: float = 2.0
    fail_jobs: bool = False
    never_complete: bool = False
    faults: Faults = field(default_factory=Faults)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "FireantSimulatorOptions":
        """``FIREANT_SIM_API_KEY``, ``FIREANT_SIM_JOB_SECONDS``, ``FIREANT_SIM_FAIL_JOBS``,
        ``FIREANT_SIM_NEVER_COMPLETE`` (``1``/``true``), ``FIREANT_SIM_LATENCY_SECONDS``,
        ``FIREANT_SIM_FAILURE_RATE``, ``FIREANT_SIM_SEED``."""
        env = os.environ if env is None else env
        return cls(
            api_key=env.get("FIREANT_SIM_API_KEY") or DEFAULT_API_KEY,
            job_seconds=env_number(env, "FIREANT_SIM_JOB_SECONDS", 2.0),
            fail_jobs=_flag(env.get("FIREANT_SIM_FAIL_JOBS")),
            never_complete=_flag(env.get("FIREANT_SIM_NEVER_COMPLETE")),
            faults=Faults.from_env("FIREANT_SIM", env),
        )


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


@dataclass
class SimulatedJob:
    job_id: str
    job_type: str
    payload: dict[str, Any]
    submitted_at: float
    outcome: str  # "finish", "fail" or "never"
    status_calls: int = 0


class FireantSimulator:
    """The simulator's jobs and its Starlette ``app``."""

    def __init__(self, options: FireantSimulatorOptions | None = None) -> None:
        self.options = options or FireantSimulatorOptions()
        self._lock = threading.Lock()
        self.jobs: dict[str, SimulatedJob] = {}
        self.by_key: dict[str, str] = {}
        self.submissions = 0
        self.app = self._build_app()

    def _build_app(self) -> Any:
        routes = [
            Route("/job_exposure_{job_type}_agg", self._submit, methods=["POST"]),
            Route("/get_job_status/{job_id}", self._status, methods=["GET"]),
            Route("/jobs/results/{job_id}", self._results, methods=["GET"]),
            Route("/_simulator/faults", self._control_faults, methods=["POST"]),
            Route("/_simulator/options", self._control_options, methods=["POST"]),
            Route("/_simulator/state", self._control_state, methods=["GET"]),
        ]
        return FaultMiddleware(Starlette(routes=routes), self.options.faults)

    def _authorised(self, request: Request) -> bool:
        expected = f"Bearer {self.options.api_key}"
        return secrets.compare_digest(request.headers.get("authorization", ""), expected)

    def status_of(self, job: SimulatedJob) -> str:
        if job.outcome == "never" or time.time() - job.submitted_at < self.options.job_seconds:
            return "Running"
        return "Failed" if job.outcome == "fail" else "Finished"

    async def _submit(self, request: Request) -> Response:
        if not self._authorised(request):
            return JSONResponse({"detail": "invalid API key"}, status_code=401)
        job_type = request.path_params["job_type"]
        if job_type not in JOB_TYPES:
            return JSONResponse({"detail": f"unknown job type {job_type!r}"}, status_code=404)
        try:
            payload = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return JSONResponse({"detail": "the body is not JSON"}, status_code=400)
        if not isinstance(payload, dict):
            return JSONResponse({"detail": "the body is not a JSON object"}, status_code=400)
        key = request.headers.get("idempotency-key")
        with self._lock:
            self.submissions += 1
            if key and key in self.by_key:
                return JSONResponse({"job_id": self.by_key[key], "status": "Running"})
            digest = hashlib.sha256(f"{key}:{time.time_ns()}".encode()).hexdigest()[:12]
            job_id = f"{job_type}_job_{digest}"
            self.jobs[job_id] = SimulatedJob(
                job_id, job_type, payload, time.time(), self._outcome(payload)
            )
            if key:
                self.by_key[key] = job_id
        return JSONResponse({"job_id": job_id, "status": "Running"})

    def _outcome(self, payload: Mapping[str, Any]) -> str:
        wanted = payload.get("simulate")
        if self.options.never_complete or wanted == "never_complete":
            return "never"
        if self.options.fail_jobs or wanted == "fail":
            return "fail"
        return "finish"

    async def _status(self, request: Request) -> Response:
        if not self._authorised(request):
            return JSONResponse({"detail": "invalid API key"}, status_code=401)
        job = self.jobs.get(request.path_params["job_id"])
        if job is None:
            return JSONResponse({"detail": "job not found"}, status_code=404)
        job.status_calls += 1
        status = self.status_of(job)
        data: dict[str, Any] = {"job_id": job.job_id, "status": status}
        if status == "Failed":
            data["error"] = "simulated failure: exposure aggregation aborted"
        return JSONResponse({"data": data})

    async def _results(self, request: Request) -> Response:
        if not self._authorised(request):
            return JSONResponse({"detail": "invalid API key"}, status_code=401)
        job = self.jobs.get(request.path_params["job_id"])
        if job is None:
            return JSONResponse({"detail": "job not found"}, status_code=404)
        if self.status_of(job) != "Finished":
            return JSONResponse({"detail": f"job {job.job_id} has no results"}, status_code=409)
        return JSONResponse({"data": _result_rows(job)})

    async def _control_faults(self, request: Request) -> Response:
        try:
            self.options.faults.update(await request.json())
        except (TypeError, ValueError) as exc:
            return JSONResponse({"detail": str(exc)}, status_code=400)
        return JSONResponse({"ok": True})

    async def _control_options(self, request: Request) -> Response:
        body = await request.json()
        if "job_seconds" in body:
            self.options.job_seconds = float(body["job_seconds"])
        for name in ("fail_jobs", "never_complete"):
            if name in body:
                setattr(self.options, name, bool(body[name]))
        return JSONResponse({"ok": True})

    async def _control_state(self, request: Request) -> Response:
        with self._lock:
            jobs = [
                {
                    "job_id": j.job_id,
                    "job_type": j.job_type,
                    "status": self.status_of(j),
                    "status_calls": j.status_calls,
                }
                for j in self.jobs.values()
            ]
            return JSONResponse(
                {"submissions": self.submissions, "jobs": jobs, "keys": dict(self.by_key)}
            )


def _result_rows(job: SimulatedJob) -> list[dict[str, Any]]:
    """One row per event: the event id and a deterministic exposure figure."""
    events = job.payload.get(EVENT_KEYS[job.job_type], [])
    rows = []
    for index, event in enumerate(events if isinstance(events, list) else []):
        value = event.get("value", 0) if isinstance(event, dict) else 0
        rows.append(
            {
                "event_id": event.get("event_id", index) if isinstance(event, dict) else index,
                "job_type": job.job_type,
                "exposure": round(float(value) * 0.85, 2),
                "as_at_date": job.payload.get("as_at_date"),
                "fx_date": job.payload.get("fx_date"),
            }
        )
    return rows
