"""One request, retried by tenacity on transport errors, timeouts, 429 and 5xx."""

from typing import Any

import httpx
from tenacity import (
    RetryCallState,
)

from resilient_http.errors import ApiError, ApiUnavailable
from resilient_http.policy import RetryEvent, RetryPolicy

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


class _Retryable(Exception):
    def __init__(self, reason: str, status: int | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def endpoint_of(method: str, url: str | httpx.URL) -> str:
    """``"GET /api/reports/"``: what errors and logs name (no query, no credentials)."""
    return f"{method.upper()} {httpx.URL(url).path}"


def _detail(response: httpx.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:200] or response.reason_phrase


def send(
    client: httpx.Client, method: str, url: str, policy: RetryPolicy, **kwargs: Any
) -> httpx.Response:
    """Send ``method url`` through ``client``; return a 2xx/3xx response.

    Raises ``ApiUnavailable`` when every attempt failed on a transport error, a timeout, 429
    or 5xx, and ``ApiError`` at once on any other 4xx. ``kwargs`` go to ``client.request``.
    """
    endpoint = endpoint_of(method, client.base_url.join(url) if client.base_url else url)

    def attempt() -> httpx.Response:
        try:
            response = client.request(method, url, timeout=policy.timeout_seconds, **kwargs)
        except httpx.TimeoutException as exc:
            raise _Retryable(
                f"timed out after {policy.timeout_seconds:g}s ({type(exc).__name__})", None
            ) from exc
        except httpx.TransportError as exc:
            raise _Retryable(f"{type(exc).__name__}: {exc}", None) from exc
        if response.status_code in RETRYABLE_STATUSES:
            raise _Retryable(_detail(response), response.status_code)
        if response.status_code >= 400:
            raise ApiError(endpoint, response.status_code, _detail(response))
        return response

    def before_sleep(state: RetryCallState) -> None:
        if policy.on_retry is None or state.outcome is None or state.next_action is None:
            return
        exc = state.outcome.exception()
        reason = exc.reason if isinstance(exc, _Retryable) else str(exc)
        if isinstance(exc, _Retryable) and exc.status is not None:
            reason = f"HTTP {exc.status}: {reason}"
        policy.on_retry(
            RetryEvent(
                endpoint=endpoint,
                attempt=state.attempt_number,
                max_attempts=policy.max_attempts,
                wait_seconds=state.next_action.sleep,
                reason=reason,
            )
        )

    retrying = policy.retrying(_Retryable, before_sleep)
    try:
        return retrying(attempt)
    except _Retryable as exc:
        raise ApiUnavailable(
            endpoint,
            exc.status,
            f"{exc.reason} (gave up after {policy.max_attempts} attempts)",
        ) from None
