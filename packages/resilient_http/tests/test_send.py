"""Retries, backoff and error messages, against exact failure sequences from a real HTTP server."""

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from local_services import free_port
from resilient_http import ApiError, ApiUnavailable, RetryEvent, RetryPolicy, send


def _policy(events: list[RetryEvent], **overrides: float) -> RetryPolicy:
    settings = {"timeout_seconds": 2.0, "max_retries": 3, "backoff_initial_seconds": 0.01}
    settings.update(overrides)
    return RetryPolicy(
        timeout_seconds=settings["timeout_seconds"],
        max_retries=int(settings["max_retries"]),
        backoff_initial_seconds=settings["backoff_initial_seconds"],
        backoff_max_seconds=1.0,
        on_retry=events.append,
    )


def test_5xx_then_success_is_retried_with_growing_waits(httpserver: HTTPServer) -> None:
    for status in (503, 502, 500):
        httpserver.expect_ordered_request("/api/reports/").respond_with_data("down", status=status)
    httpserver.expect_ordered_request("/api/reports/").respond_with_json({"data": []})
    events: list[RetryEvent] = []
    with httpx.Client(base_url=httpserver.url_for("")) as client:
        response = send(client, "GET", "/api/reports/", _policy(events))
    assert response.json() == {"data": []}
    assert [e.attempt for e in events] == [1, 2, 3]
    assert [e.reason.split(":")[0] for e in events] == ["HTTP 503", "HTTP 502", "HTTP 500"]
    waits = [e.wait_seconds for e in events]
    assert waits == sorted(waits) and waits[2] == pytest.approx(4 * waits[0])
    assert all(e.endpoint == "GET /api/reports/" for e in events)


def test_persistent_5xx_gives_up_after_max_retries_naming_endpoint_and_status(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/api/jobs/").respond_with_data("overloaded", status=503)
    events: list[RetryEvent] = []
    with (
        httpx.Client(base_url=httpserver.url_for("")) as client,
        pytest.raises(ApiUnavailable) as err,
    ):
        send(client, "POST", "/api/jobs/", _policy(events, max_retries=2), json={})
    assert len(httpserver.log) == 3
    assert err.value.status == 503
    assert str(err.value).startswith("POST /api/jobs/ failed (HTTP 503): overloaded")
    assert "gave up after 3 attempts" in str(err.value)


def test_4xx_is_not_retried(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/reports/9/").respond_with_json(
        {"detail": "Not found."}, status=404
    )
    events: list[RetryEvent] = []
    with httpx.Client(base_url=httpserver.url_for("")) as client, pytest.raises(ApiError) as err:
        send(client, "GET", "/api/reports/9/", _policy(events))
    assert not isinstance(err.value, ApiUnavailable)
    assert err.value.status == 404 and len(httpserver.log) == 1 and events == []


@pytest.fixture
def threaded_server() -> Iterator[HTTPServer]:
    """A server that answers while another request still sleeps (to provoke timeouts)."""
    server = HTTPServer(host="127.0.0.1", port=free_port(), threaded=True)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        server.stop()


def test_timeouts_are_retried_then_succeed(threaded_server: HTTPServer) -> None:
    def slow(request: Request) -> Response:
        time.sleep(0.5)
        return Response("late", status=200)

    threaded_server.expect_ordered_request("/slow").respond_with_handler(slow)
    threaded_server.expect_ordered_request("/slow").respond_with_data("fast")
    events: list[RetryEvent] = []
    with httpx.Client(base_url=threaded_server.url_for("")) as client:
        response = send(client, "GET", "/slow", _policy(events, timeout_seconds=0.1))
    assert response.text == "fast"
    assert len(events) == 1 and "timed out after 0.1s" in events[0].reason


def test_connection_refused_ends_in_api_unavailable() -> None:
    events: list[RetryEvent] = []
    client = httpx.Client(base_url=f"http://127.0.0.1:{free_port()}")
    with client, pytest.raises(ApiUnavailable) as err:
        send(client, "GET", "/api", _policy(events, max_retries=1))
    assert err.value.status is None and "ConnectError" in str(err.value)
    assert len(events) == 1


def test_errors_never_carry_headers_or_query(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/reports/").respond_with_data("nope", status=400)
    with (
        httpx.Client(
            base_url=httpserver.url_for(""), headers={"Authorization": "Bearer s3cr3t-token"}
        ) as client,
        pytest.raises(ApiError) as err,
    ):
        send(client, "GET", "/api/reports/", _policy([]), params={"key": "s3cr3t-token"})
    assert "s3cr3t-token" not in str(err.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [("timeout_seconds", 0), ("max_retries", -1), ("backoff_initial_seconds", -1)],
)
def test_policy_rejects_nonsense(field: str, value: int) -> None:
    settings: dict[str, Any] = {field: value}
    with pytest.raises(ValueError, match=field):
        RetryPolicy(**settings)
