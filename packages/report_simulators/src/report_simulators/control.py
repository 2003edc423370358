"""``SimulatorControl``: change a running simulator (catalogue, faults, tokens) over HTTP."""

from typing import Any

import httpx


class SimulatorControl:
    """Calls the ``/_simulator/`` routes of a Django or Fireant simulator at ``base_url``."""

    def __init__(self, base_url: str, timeout_seconds: float = 10.0) -> None:
        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout_seconds)

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, f"/_simulator/{path}", **kwargs)
        response.raise_for_status()
        return response.json()

    # Django simulator
    def catalogue(self) -> list[Any]:
        return self._call("GET", "catalogue")

    def replace_catalogue(self, entries: list[Any]) -> None:
        self._call("PUT", "catalogue", json=entries)

    def put_report(self, report_id: int, **fields: Any) -> dict[str, Any]:
        """Add report ``report_id`` or replace it (e.g. a new ``cron``)."""
        return self._call("PUT", f"reports/{report_id}", json=fields)

    def remove_report(self, report_id: int) -> None:
        self._call("DELETE", f"reports/{report_id}")

    def set_django_options(self, **options: Any) -> None:
        """``honour_idempotency_keys``: False answers like an API that ignores the header."""
        self._call("POST", "options", json=options)

    def revoke_access_tokens(self) -> None:
        """Every access token issued so far gets 401 (clients must refresh)."""
        self._call("POST", "revoke-access-tokens")

    # both simulators
    def set_faults(self, **faults: Any) -> None:
        """``latency_seconds``, ``failure_rate``, ``fail_next``, ``hang_next``, ``hang_seconds``,
        ``apply_then_fail_next``, ``apply_then_hang_next``, ``seed``."""
        self._call("POST", "faults", json=faults)

    def state(self) -> dict[str, Any]:
        return self._call("GET", "state")

    # Fireant simulator
    def set_fireant_options(self, **options: Any) -> None:
        """``job_seconds``, ``fail_jobs``, ``never_complete``."""
        self._call("POST", "options", json=options)
