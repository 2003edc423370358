"""A local Django API: JWT login, the report catalogue, modifiers, report data, job records.

Same HTTP contract as the real API (see the ``django_api`` package). The catalogue can be
changed while it runs, through ``/_simulator/`` routes (``SimulatorControl``) or by editing
its JSON file when one is given, so discovery can be shown picking up changes.

Creating POSTs honour an ``Idempotency-Key`` header: a repeat of a key answers the first
result without applying the request again (the same key with another body is a 422).
``honour_idempotency_keys=False`` ignores the header, as an API without that support does.
"""

import copy
import datetime as dt
import json
import os
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from report_simulators.catalogue import EVENT_GROUPS, sample_catalogue
from report_simulators.faults import FaultMiddleware, Faults, env_number

DEFAULT_USERNAME = "orchestrator"
DEFAULT_PASSWORD = "local-password"  # a local stand-in's login, not a production secret
JOB_STATUSES = frozenset(
    {"submitted", "running", "failed", "completed", "timeout", "cancelled", "unknown"}
)
JOB_FIELDS = ("status", "results_url", "dagster_run_id", "status_message")


@dataclass
class DjangoSimulatorOptions:
    """How the simulator behaves; ``from_env`` reads ``DJANGO_SIM_*`` variables."""

    username: str = DEFAULT_USERNAME
    password: str = DEFAULT_PASSWORD
    access_token_seconds: float = 300.0
    refresh_token_seconds: float = 86_400.0
    default_page_size: int = 100
    catalogue_path: Path | None = None
    honour_idempotency_keys: bool = True
    faults: Faults = field(default_factory=Faults)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "DjangoSimulatorOptions":
        """``DJANGO_SIM_USERNAME``, ``DJANGO_SIM_PASSWORD``, ``DJANGO_SIM_ACCESS_TOKEN_SECONDS``,
        ``DJANGO_SIM_CATALOGUE`` (a JSON file), ``DJANGO_SIM_LATENCY_SECONDS``,
        ``DJANGO_SIM_FAILURE_RATE``, ``DJANGO_SIM_SEED``."""
        env = os.environ if env is None else env
        catalogue = env.get("DJANGO_SIM_CATALOGUE")
        return cls(
            username=env.get("DJANGO_SIM_USERNAME") or DEFAULT_USERNAME,
            password=env.get("DJANGO_SIM_PASSWORD") or DEFAULT_PASSWORD,
            access_token_seconds=env_number(env, "DJANGO_SIM_ACCESS_TOKEN_SECONDS", 300.0),
            catalogue_path=Path(catalogue) if catalogue else None,
            faults=Faults.from_env("DJANGO_SIM", env),
        )


def _error(status: int, detail: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"detail": detail, **extra}, status_code=status)


class DjangoSimulator:
    """The simulator's state and its Starlette ``app``."""

    def __init__(self, options: DjangoSimulatorOptions | None = None) -> None:
        self.options = options or DjangoSimulatorOptions()
        self._secret = secrets.token_hex(32)
        self._lock = threading.RLock()
        self._token_generation = 0
        self.event_groups: dict[int, dict[str, Any]] = copy.deepcopy(EVENT_GROUPS)
        self.modifiers: dict[int, dict[str, Any]] = {}
        self.links: set[tuple[int, int]] = set()
        self.jobs: dict[int, dict[str, Any]] = {}
        self.stats: dict[str, int] = {
            "logins": 0,
            "refreshes": 0,
            "unauthorized": 0,
            "idempotent_replays": 0,
        }
        # Idempotency-Key -> (path and body of the first request, its status and answer)
        self._replies: dict[str, tuple[tuple[str, bytes], int, bytes]] = {}
        self._catalogue_mtime: float | None = None
        path = self.options.catalogue_path
        if path is not None and path.exists():
            self._entries: list[Any] = json.loads(path.read_text())
            self._catalogue_mtime = path.stat().st_mtime
        else:
            self._entries = sample_catalogue()
            self._save()
        self.app = self._build_app()

    # -- catalogue ----------------------------------------------------------------------------

    def catalogue(self) -> list[Any]:
        """The raw entries, reloaded from the catalogue file when it changed on disk."""
        with self._lock:
            path = self.options.catalogue_path
            if path is not None and path.exists():
                mtime = path.stat().st_mtime
                if mtime != self._catalogue_mtime:
                    try:
                        self._entries = json.loads(path.read_text())
                        self._catalogue_mtime = mtime
                    except json.JSONDecodeError:
                        pass  # a half-saved edit: keep serving the last good catalogue
            return list(self._entries)

    def replace_catalogue(self, entries: list[Any]) -> None:
        with self._lock:
            self._entries = list(entries)
            self._save()

    def put_report(self, entry: dict[str, Any]) -> None:
        """Add the report, or replace the one with the same id."""
        with self._lock:
            entries = [e for e in self.catalogue() if not _has_id(e, entry.get("id"))]
            self._entries = [*entries, entry]
            self._save()

    def remove_report(self, report_id: int) -> bool:
        with self._lock:
            entries = self.catalogue()
            kept = [e for e in entries if not _has_id(e, report_id)]
            self._entries = kept
            self._save()
            return len(kept) != len(entries)

    def find_report(self, report_id: int) -> dict[str, Any] | None:
        for entry in self.catalogue():
            if _has_id(entry, report_id) and isinstance(entry, dict):
                return entry
        return None

    def _save(self) -> None:
        path = self.options.catalogue_path
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._entries, indent=2))
        tmp.replace(path)
        self._catalogue_mtime = path.stat().st_mtime

    # -- tokens -------------------------------------------------------------------------------

    def issue_token(self, kind: str = "access") -> str:
        """A signed token as ``/api/token/`` gives out (tests use it as DJANGO_JWT_TOKEN)."""
        lifetime = (
            self.options.access_token_seconds
            if kind == "access"
            else self.options.refresh_token_seconds
        )
        now = time.time()
        claims = {
            "token_type": kind,
            "sub": self.options.username,
            "iat": int(now),
            "exp": now + lifetime,
            "gen": self._token_generation,
            "jti": secrets.token_hex(8),
        }
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def revoke_access_tokens(self) -> None:
        """Every access token issued so far stops working (refresh tokens still do)."""
        with self._lock:
            self._token_generation += 1

    def rotate_signing_key(self) -> None:
        """Every token issued so far, access and refresh, stops working (clients log in again)."""
        with self._lock:
            self._secret = secrets.token_hex(32)

    def _claims(self, token: str, kind: str) -> dict[str, Any] | None:
        try:
            claims = jwt.decode(token, self._secret, algorithms=["HS256"])
        except jwt.PyJWTError:
            return None
        if claims.get("token_type") != kind:
            return None
        if kind == "access" and claims.get("gen") != self._token_generation:
            return None
        return claims

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        ok = scheme.lower() == "bearer" and self._claims(token, "access") is not None
        if not ok:
            self.stats["unauthorized"] += 1
        return ok

    # -- routes -------------------------------------------------------------------------------

    def _build_app(self) -> Any:
        routes = [
            Route("/api", self._health, methods=["GET"]),
            Route("/api/", self._health, methods=["GET"]),
            Route("/api/token/", self._token, methods=["POST"]),
            Route("/api/token/refresh/", self._refresh, methods=["POST"]),
            Route("/api/reports/", self._list_reports, methods=["GET"]),
            Route("/api/reports/{report_id:int}/", self._get_report, methods=["GET"]),
            Route("/api/reports/{report_id:int}/modifiers/", self._find_modifiers, methods=["GET"]),
            Route(
                "/api/reports/{report_id:int}/modifiers/{modifier_id:int}/all",
                self._report_data,
                methods=["GET"],
            ),
            Route(
                "/api/report-modifiers/",
                self._idempotent(self._create_modifier),
                methods=["POST"],
            ),
            Route(
                "/api/link-modifier/single/",
                self._idempotent(self._link_modifier),
                methods=["POST"],
            ),
            Route("/api/jobs/", self._idempotent(self._jobs), methods=["GET", "POST"]),
            Route("/api/jobs/{job_id:int}/", self._job, methods=["GET", "PATCH", "DELETE"]),
            Route("/_simulator/catalogue", self._control_catalogue, methods=["GET", "PUT"]),
            Route(
                "/_simulator/reports/{report_id:int}",
                self._control_report,
                methods=["PUT", "DELETE"],
            ),
            Route("/_simulator/faults", self._control_faults, methods=["POST"]),
            Route("/_simulator/options", self._control_options, methods=["POST"]),
            Route("/_simulator/revoke-access-tokens", self._control_revoke, methods=["POST"]),
            Route("/_simulator/state", self._control_state, methods=["GET"]),
        ]
        app = Starlette(routes=routes)
        return FaultMiddleware(app, self.options.faults)

    def _idempotent(
        self, handler: Callable[[Request], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        """``handler``, answering a repeated ``Idempotency-Key`` with its first answer."""

        async def keyed(request: Request) -> Response:
            key = request.headers.get("idempotency-key")
            if request.method != "POST" or not key or not self.options.honour_idempotency_keys:
                return await handler(request)
            if not self._authorised(request):
                return _error(401, "Token is invalid or expired", code="token_not_valid")
            fingerprint = (request.url.path, await request.body())
            with self._lock:
                first = self._replies.get(key)
            if first is not None:
                if first[0] != fingerprint:
                    return _error(422, f"Idempotency-Key {key!r} was used for another request")
                self.stats["idempotent_replays"] += 1
                return Response(first[2], status_code=first[1], media_type="application/json")
            response = await handler(request)
            if response.status_code < 300:
                with self._lock:
                    self._replies[key] = (fingerprint, response.status_code, bytes(response.body))
            return response

        return keyed

    async def _health(self, request: Request) -> Response:
        if self._authorised(request):
            return JSONResponse({"status": "ok"})
        return _error(401, "Authentication credentials were not provided.")

    async def _token(self, request: Request) -> Response:
        body = await _body(request)
        if (
            body.get("username") != self.options.username
            or body.get("password") != self.options.password
        ):
            return _error(401, "No active account found with the given credentials")
        self.stats["logins"] += 1
        return JSONResponse(
            {"access": self.issue_token("access"), "refresh": self.issue_token("refresh")}
        )

    async def _refresh(self, request: Request) -> Response:
        body = await _body(request)
        if self._claims(str(body.get("refresh", "")), "refresh") is None:
            return _error(401, "Token is invalid or expired", code="token_not_valid")
        self.stats["refreshes"] += 1
        return JSONResponse({"access": self.issue_token("access")})

    async def _list_reports(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, "Token is invalid or expired", code="token_not_valid")
        try:
            page = int(request.query_params.get("page", 1))
            size = int(request.query_params.get("page_size", self.options.default_page_size))
        except ValueError:
            return _error(400, "page and page_size must be integers")
        if page < 1 or not 1 <= size <= 1000:
            return _error(404, "Invalid page.")
        entries = self.catalogue()
        chunk = entries[(page - 1) * size : page * size]
        more = page * size < len(entries)
        next_url = (
            str(request.url.include_query_params(page=page + 1, page_size=size)) if more else None
        )
        return JSONResponse({"data": chunk, "next": next_url, "count": len(entries)})

    async def _get_report(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, "Token is invalid or expired", code="token_not_valid")
        report = self.find_report(request.path_params["report_id"])
        if report is None:
            return _error(404, "Not found.")
        return JSONResponse({"data": report})

    async def _find_modifiers(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, "Token is invalid or expired", code="token_not_valid")
        report_id = request.path_params["report_id"]
        fx, as_at = request.query_params.get("fx_date"), request.query_params.get("as_at_date")
        with self._lock:
            found = [
                self.modifiers[mid]
                for rid, mid in sorted(self.links)
                if rid == report_id
                and (fx is None or self.modifiers[mid]["fx_date"] == fx)
                and (as_at is None or self.modifiers[mid]["as_at_date"] == as_at)
            ]
        return JSONResponse({"data": {"modifiers": found}})

    async def _create_modifier(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, "Token is invalid or expired", code="token_not_valid")
        body = await _body(request)
        try:
            fx = dt.date.fromisoformat(str(body["fx_date"])).isoformat()
            as_at = dt.date.fromisoformat(str(body["as_at_date"])).isoformat()
        except (KeyError, ValueError):
            return _error(400, "fx_date and as_at_date must be ISO dates")
        with self._lock:
            modifier_id = len(self.modifiers) + 1
            modifier = {"id": modifier_id, "fx_date": fx, "as_at_date": as_at}
            self.modifiers[modifier_id] = modifier
        return JSONResponse(modifier, status_code=201)

    async def _link_modifier(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, "Token is invalid or expired", code="token_not_valid")
        body = await _body(request)
        report_id, modifier_id = body.get("report_id"), body.get("modifier_id")
        if not isinstance(report_id, int) or self.find_report(report_id) is None:
            return _error(400, f"report_id {report_id!r} does not exist")
        if modifier_id not in self.modifiers:
            return _error(400, f"modifier_id {modifier_id!r} does not exist")
        with self._lock:
            if (report_id, modifier_id) in self.links:  # a unique constraint, as in Django
                return _error(400, f"modifier {modifier_id} is already linked to {report_id}")
            self.links.add((report_id, modifier_id))
        return JSONResponse({"report_id": report_id, "modifier_id": modifier_id, "linked": True})

    async def _report_data(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, "Token is invalid or expired", code="token_not_valid")
        report_id = request.path_params["report_id"]
        modifier_id = request.path_params["modifier_id"]
        report = self.find_report(report_id)
        if report is None:
            return _error(404, "Not found.")
        modifier = self.modifiers.get(modifier_id)
        if modifier is None or (report_id, modifier_id) not in self.links:
            return _error(404, f"modifier {modifier_id} is not linked to report {report_id}")
        group = self.event_groups.get(report.get("event_group") or -1)
        return JSONResponse(
            {
                "data": {"report": report, "modifier": modifier, "eventgroup": group or {}},
                "meta": {"generated_at": dt.datetime.now(dt.UTC).isoformat()},
            }
        )

    async def _jobs(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, "Token is invalid or expired", code="token_not_valid")
        if request.method == "GET":
            params = request.query_params
            with self._lock:
                jobs = [
                    job
                    for job in self.jobs.values()
                    if ("report_id" not in params or str(job["report_id"]) == params["report_id"])
                    and (
                        "fireant_jobid" not in params
                        or job["fireant_jobid"] == params["fireant_jobid"]
                    )
                ]
            return JSONResponse({"data": jobs, "next": None, "count": len(jobs)})
        body = await _body(request)
        if not isinstance(body.get("report_id"), int) or not body.get("fireant_jobid"):
            return _error(400, "report_id (integer) and fireant_jobid are required")
        if body.get("status", "submitted") not in JOB_STATUSES:
            return _error(400, f"status must be one of {sorted(JOB_STATUSES)}")
        with self._lock:
            job_id = max(self.jobs, default=0) + 1
            job = {
                "id": job_id,
                "report_id": body["report_id"],
                "report_modifier_id": body.get("report_modifier_id"),
                "fireant_jobid": str(body["fireant_jobid"]),
                "status": body.get("status", "submitted"),
                "results_url": None,
                "dagster_run_id": None,
                "status_message": None,
            }
            self.jobs[job_id] = job
        return JSONResponse(job, status_code=201)

    async def _job(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, "Token is invalid or expired", code="token_not_valid")
        job_id = request.path_params["job_id"]
        with self._lock:
            job = self.jobs.get(job_id)
            if job is None:
                return _error(404, "Not found.")
            if request.method == "DELETE":
                del self.jobs[job_id]
                return Response(status_code=204)
            if request.method == "PATCH":
                body = await _body(request)
                if "status" in body and body["status"] not in JOB_STATUSES:
                    return _error(400, f"status must be one of {sorted(JOB_STATUSES)}")
                for key in JOB_FIELDS:
                    if key in body:
                        job[key] = body[key]
            return JSONResponse(job)

    # -- control ------------------------------------------------------------------------------

    async def _control_catalogue(self, request: Request) -> Response:
        if request.method == "PUT":
            entries = await request.json()
            if not isinstance(entries, list):
                return _error(400, "the catalogue is a JSON list of entries")
            self.replace_catalogue(entries)
        return JSONResponse(self.catalogue())

    async def _control_report(self, request: Request) -> Response:
        report_id = request.path_params["report_id"]
        if request.method == "DELETE":
            removed = self.remove_report(report_id)
            return JSONResponse({"removed": removed}, status_code=200 if removed else 404)
        entry = await request.json()
        if not isinstance(entry, dict):
            return _error(400, "a report is a JSON object")
        self.put_report({**entry, "id": report_id})
        return JSONResponse(self.find_report(report_id))

    async def _control_faults(self, request: Request) -> Response:
        try:
            self.options.faults.update(await request.json())
        except (TypeError, ValueError) as exc:
            return _error(400, str(exc))
        return JSONResponse({"ok": True})

    async def _control_options(self, request: Request) -> Response:
        body = await _body(request)
        if "honour_idempotency_keys" in body:
            self.options.honour_idempotency_keys = bool(body["honour_idempotency_keys"])
        return JSONResponse({"honour_idempotency_keys": self.options.honour_idempotency_keys})

    async def _control_revoke(self, request: Request) -> Response:
        self.revoke_access_tokens()
        return JSONResponse({"ok": True})

    async def _control_state(self, request: Request) -> Response:
        with self._lock:
            return JSONResponse({"stats": self.stats, "jobs": list(self.jobs.values())})


def _has_id(entry: Any, report_id: Any) -> bool:
    return isinstance(entry, dict) and entry.get("id") == report_id


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}
