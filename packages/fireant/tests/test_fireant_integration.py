"""The Fireant client against the simulator over HTTP, and exact failure sequences."""

import json

import pytest
from pytest_httpserver import HTTPServer

from fireant import (
    FireantClient,
    FireantJobFailed,
    FireantJobStatus,
    JobType,
    PollAttemptsExhausted,
    PollPolicy,
)
from report_simulators import FireantSimulator
from resilient_http import ApiError, ApiUnavailable, RetryEvent, RetryPolicy

GEO = {
    "geos": [{"event_id": 1, "lat": 51.5, "lon": -0.1, "value": 100}],
    "as_at_date": "2026-01-01",
}
RING = {
    "rings": [
        {"event_id": 2, "radius": 10, "value": 200},
        {"event_id": 3, "radius": 5, "value": 50},
    ]
}
FAST_POLL = PollPolicy(max_poll_attempts=100, poll_interval_seconds=0.05)


def test_job_types_map_to_endpoints() -> None:
    assert [t.submit_path for t in JobType] == [
        "/job_exposure_geo_agg",
        "/job_exposure_ring_agg",
        "/job_exposure_box_agg",
    ]
    assert JobType.parse(" GEO ") is JobType.GEO
    with pytest.raises(
        ValueError, match=r"Invalid job type 'hex'\. Must be one of: geo, ring, box"
    ):
        JobType.parse("hex")


def test_status_values() -> None:
    assert FireantJobStatus.parse("Finished") is FireantJobStatus.FINISHED
    assert FireantJobStatus.parse("running") is FireantJobStatus.RUNNING
    assert FireantJobStatus.parse("Queued") is FireantJobStatus.UNKNOWN
    assert FireantJobStatus.parse(None) is FireantJobStatus.UNKNOWN
    assert [s for s in FireantJobStatus if s.is_terminal] == [
        FireantJobStatus.FAILED,
        FireantJobStatus.FINISHED,
    ]


def test_submit_wait_and_download(fireant: FireantClient) -> None:
    job_id = fireant.submit_job(RING, "ring", idempotency_key="run-1:2:2026-01-01T06:00Z")
    assert job_id.startswith("ring_job_")
    assert fireant.get_job_status(job_id).status is FireantJobStatus.RUNNING
    seen: list[tuple[int, FireantJobStatus]] = []
    final = fireant.wait_for_job(job_id, FAST_POLL, on_poll=lambda n, r: seen.append((n, r.status)))
    assert final.status is FireantJobStatus.FINISHED
    assert seen[-1][1] is FireantJobStatus.FINISHED and [n for n, _ in seen] == list(
        range(1, len(seen) + 1)
    )
    rows = fireant.download_results(job_id).rows
    assert [(r["event_id"], r["exposure"]) for r in rows] == [(2, 170.0), (3, 42.5)]


def test_same_idempotency_key_gives_the_same_job(
    fireant: FireantClient, fireant_sim: tuple[FireantSimulator, str]
) -> None:
    simulator, _ = fireant_sim
    first = fireant.submit_job(GEO, JobType.GEO, idempotency_key="k-1")
    assert fireant.submit_job(GEO, JobType.GEO, idempotency_key="k-1") == first
    assert fireant.submit_job(GEO, JobType.GEO, idempotency_key="k-2") != first
    assert len(simulator.jobs) == 2 and simulator.submissions == 3


def test_submit_without_a_key_is_refused(fireant: FireantClient) -> None:
    with pytest.raises(ValueError, match="idempotency_key"):
        fireant.submit_job(GEO, "geo", idempotency_key="")


def test_submit_retried_after_5xx_sends_the_same_key(httpserver: HTTPServer) -> None:
    """The first answer is lost (503 after the job exists): the retry carries the same key."""
    httpserver.expect_ordered_request("/job_exposure_box_agg", method="POST").respond_with_data(
        "gateway", status=502
    )
    httpserver.expect_ordered_request("/job_exposure_box_agg", method="POST").respond_with_json(
        {"job_id": "box_job_7"}
    )
    policy = RetryPolicy(timeout_seconds=1, max_retries=2, backoff_initial_seconds=0.01)
    with FireantClient(httpserver.url_for(""), "key-123", policy=policy) as client:
        assert client.submit_job({"boxes": []}, "box", idempotency_key="run:9:due") == "box_job_7"
    keys = [request.headers["Idempotency-Key"] for request, _ in httpserver.log]
    assert keys == ["run:9:due", "run:9:due"]
    assert all(r.headers["Authorization"] == "Bearer key-123" for r, _ in httpserver.log)
    assert [json.loads(r.data) for r, _ in httpserver.log] == [{"boxes": []}] * 2


def test_failed_job_raises_with_fireants_reason(
    fireant: FireantClient, fireant_sim: tuple[FireantSimulator, str]
) -> None:
    job_id = fireant.submit_job({**GEO, "simulate": "fail"}, "geo", idempotency_key="f")
    with pytest.raises(FireantJobFailed) as err:
        fireant.wait_for_job(job_id, FAST_POLL)
    assert f"Fireant job {job_id} failed: simulated failure" in str(err.value)
    assert err.value.report.status is FireantJobStatus.FAILED


def test_poll_exhaustion_ends_with_a_clear_error(
    fireant: FireantClient, fireant_sim: tuple[FireantSimulator, str]
) -> None:
    simulator, _ = fireant_sim
    job_id = fireant.submit_job({**GEO, "simulate": "never_complete"}, "geo", idempotency_key="n")
    with pytest.raises(PollAttemptsExhausted) as err:
        fireant.wait_for_job(job_id, PollPolicy(max_poll_attempts=4, poll_interval_seconds=0.01))
    assert str(err.value).startswith(f"Fireant job {job_id} timed out after 4 attempts")
    assert "MAX_POLL_ATTEMPTS" in str(err.value)
    assert simulator.jobs[job_id].status_calls == 4


def test_status_5xx_and_timeouts_are_retried_within_one_poll(
    fireant: FireantClient, fireant_sim: tuple[FireantSimulator, str], retries: list[RetryEvent]
) -> None:
    simulator, _ = fireant_sim
    job_id = fireant.submit_job(GEO, "geo", idempotency_key="r")
    simulator.options.faults.update({"fail_next": 1, "hang_next": 1, "hang_seconds": 2})
    assert fireant.get_job_status(job_id).job_id == job_id
    reasons = sorted(e.reason.split(" ")[0] for e in retries)
    assert reasons == ["HTTP", "timed"]


def test_service_down_raises_api_unavailable(
    fireant: FireantClient, fireant_sim: tuple[FireantSimulator, str]
) -> None:
    simulator, _ = fireant_sim
    simulator.options.faults.update({"failure_rate": 1.0})
    with pytest.raises(ApiUnavailable) as err:
        fireant.submit_job(GEO, "geo", idempotency_key="down")
    assert err.value.status == 503 and "POST /job_exposure_geo_agg" in str(err.value)


def test_wrong_key_is_a_401_that_never_shows_the_key(
    fireant_sim: tuple[FireantSimulator, str],
) -> None:
    _, url = fireant_sim
    with FireantClient(url, "not-the-key") as client, pytest.raises(ApiError) as err:
        client.submit_job(GEO, "geo", idempotency_key="x")
    assert err.value.status == 401 and "not-the-key" not in str(err.value)


@pytest.mark.parametrize(
    "body",
    [
        json.dumps({"data": [{"a": 1}, {"a": 2}]}),
        json.dumps([{"a": 1}, {"a": 2}]),
        '{"a": 1}\n{"a": 2}\n',
    ],
    ids=["enveloped", "list", "json-lines"],
)
def test_results_formats(httpserver: HTTPServer, body: str) -> None:
    httpserver.expect_request("/jobs/results/j1").respond_with_data(body)
    with FireantClient(httpserver.url_for(""), "k") as client:
        assert client.download_results("j1").rows == [{"a": 1}, {"a": 2}]


def test_garbage_results_raise_naming_the_endpoint(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/jobs/results/j1").respond_with_data("<html>")
    with FireantClient(httpserver.url_for(""), "k") as client, pytest.raises(ApiError) as err:
        client.download_results("j1")
    assert "GET /jobs/results/j1" in str(err.value)


def test_answer_without_job_id_raises(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/job_exposure_geo_agg").respond_with_json({"id": 1})
    with (
        FireantClient(httpserver.url_for(""), "k") as client,
        pytest.raises(ApiError, match="no job_id"),
    ):
        client.submit_job(GEO, "geo", idempotency_key="x")
