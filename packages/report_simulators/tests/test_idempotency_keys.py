"""The Django simulator honours Idempotency-Key on creating POSTs, and can lose the answer of
a write it applied (the faults a client's retry must survive)."""

from collections.abc import Iterator

import httpx
import pytest

from report_simulators import DjangoSimulator, SimulatorControl, serve_in_thread

JOB = {"report_id": 1, "fireant_jobid": "geo_job_1"}


@pytest.fixture
def served() -> Iterator[tuple[DjangoSimulator, httpx.Client, SimulatorControl]]:
    simulator = DjangoSimulator()
    with serve_in_thread(simulator.app) as url, httpx.Client(base_url=url) as http:
        http.headers["Authorization"] = f"Bearer {simulator.issue_token()}"
        control = SimulatorControl(url)
        yield simulator, http, control
        control.close()


def test_a_repeated_key_answers_the_first_result(served) -> None:
    simulator, http, _ = served
    first = http.post("/api/jobs/", json=JOB, headers={"Idempotency-Key": "k1"})
    again = http.post("/api/jobs/", json=JOB, headers={"Idempotency-Key": "k1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and len(simulator.jobs) == 1
    other = http.post(
        "/api/jobs/", json={**JOB, "fireant_jobid": "x"}, headers={"Idempotency-Key": "k1"}
    )
    assert other.status_code == 422 and "k1" in other.json()["detail"]
    unkeyed = http.post("/api/jobs/", json=JOB)
    assert unkeyed.status_code == 201 and len(simulator.jobs) == 2


def test_keys_can_be_ignored_like_an_api_without_support(served) -> None:
    simulator, http, control = served
    control.set_django_options(honour_idempotency_keys=False)
    for _ in range(2):
        http.post("/api/jobs/", json=JOB, headers={"Idempotency-Key": "k1"})
    assert len(simulator.jobs) == 2


def test_a_lost_answer_is_a_503_after_the_write_was_applied(served) -> None:
    simulator, http, control = served
    control.set_faults(apply_then_fail_next=1)
    assert http.get("/api/jobs/").status_code == 200  # reads are never the lost write
    assert http.post("/api/jobs/", json=JOB).status_code == 503
    assert [job["fireant_jobid"] for job in simulator.jobs.values()] == ["geo_job_1"]
    assert http.post("/api/jobs/", json={**JOB, "fireant_jobid": "b"}).status_code == 201


def test_a_duplicate_link_is_refused(served) -> None:
    _, http, _ = served
    modifier = http.post(
        "/api/report-modifiers/", json={"fx_date": "2024-03-01", "as_at_date": "2024-03-01"}
    )
    link = {"report_id": 1, "modifier_id": modifier.json()["id"]}
    assert http.post("/api/link-modifier/single/", json=link).status_code == 200
    again = http.post("/api/link-modifier/single/", json=link)
    assert again.status_code == 400 and "already linked" in again.json()["detail"]
