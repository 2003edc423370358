"""The simulators as child processes, their runtime controls, and options from the environment."""

import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from django_api import DjangoAPIClient
from fireant import FireantClient, PollPolicy
from local_services import ServerProcess
from report_simulators import (
    DEFAULT_API_KEY,
    DEFAULT_PASSWORD,
    DEFAULT_USERNAME,
    DjangoSimulatorOptions,
    Faults,
    FireantSimulatorOptions,
    SimulatorControl,
    sample_catalogue,
    start_django_simulator,
    start_fireant_simulator,
)
from resilient_http import ApiUnavailable, RetryPolicy

FAST = RetryPolicy(timeout_seconds=5, max_retries=1, backoff_initial_seconds=0.01)


@pytest.fixture(scope="module")
def catalogue_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("django-sim") / "catalogue.json"


@pytest.fixture(scope="module")
def django_process(catalogue_file: Path) -> Iterator[ServerProcess]:
    server = start_django_simulator(catalogue_path=catalogue_file)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def fireant_process() -> Iterator[ServerProcess]:
    server = start_fireant_simulator(env={"FIREANT_SIM_JOB_SECONDS": "0.2"})
    try:
        yield server
    finally:
        server.stop()


def _api(url: str) -> DjangoAPIClient:
    return DjangoAPIClient(url, username=DEFAULT_USERNAME, password=DEFAULT_PASSWORD, policy=FAST)


def test_child_process_serves_the_sample_catalogue_and_writes_its_file(
    django_process: ServerProcess, catalogue_file: Path
) -> None:
    with _api(django_process.url) as api:
        assert api.ping() == 401
        catalogue = api.list_reports()
    assert len(catalogue.reports) + len(catalogue.rejected) == len(sample_catalogue())
    assert (
        json.loads(catalogue_file.read_text()) == SimulatorControl(django_process.url).catalogue()
    )


def test_catalogue_edits_through_control_and_through_the_file(
    django_process: ServerProcess, catalogue_file: Path
) -> None:
    control = SimulatorControl(django_process.url)
    control.put_report(50, name="Added at runtime", cron="5 4 * * *", event_group=1)
    control.put_report(2, name="Port blast hourly", cron="45 * * * *", event_group=2)
    control.remove_report(3)
    with _api(django_process.url) as api:
        by_id = {r.id: r for r in api.list_reports().reports}
    assert by_id[50].cron == "5 4 * * *" and by_id[2].cron == "45 * * * *" and 3 not in by_id

    entries = json.loads(catalogue_file.read_text())
    entries = [e for e in entries if not (isinstance(e, dict) and e.get("id") == 50)]
    catalogue_file.write_text(json.dumps(entries))
    os.utime(catalogue_file, ns=(0, 1))  # a distinct mtime even within the same clock tick
    with _api(django_process.url) as api:
        assert 50 not in {r.id for r in api.list_reports().reports}


def test_faults_and_token_revocation_over_control(django_process: ServerProcess) -> None:
    control = SimulatorControl(django_process.url)
    with _api(django_process.url) as api:
        api.get_report(1)
        control.revoke_access_tokens()
        assert api.get_report(1).id == 1  # refreshed
        control.set_faults(fail_next=5)
        with pytest.raises(ApiUnavailable):
            api.get_report(1)  # two attempts, both 503
        control.set_faults(fail_next=0)
        assert api.get_report(1).id == 1
    stats = control.state()["stats"]
    assert stats["logins"] >= 1 and stats["refreshes"] >= 1


def test_fireant_child_process_runs_jobs_to_completion(fireant_process: ServerProcess) -> None:
    with FireantClient(fireant_process.url, DEFAULT_API_KEY, policy=FAST) as fireant:
        job_id = fireant.submit_job({"boxes": [{"event_id": 9, "value": 10}]}, "box", "key-1")
        fireant.wait_for_job(job_id, PollPolicy(max_poll_attempts=200, poll_interval_seconds=0.05))
        assert fireant.download_results(job_id).rows[0]["exposure"] == 8.5
        assert fireant.submit_job({"boxes": []}, "box", "key-1") == job_id
    state = SimulatorControl(fireant_process.url).state()
    assert state["keys"] == {"key-1": job_id}


def test_fireant_options_switch_at_runtime(fireant_process: ServerProcess) -> None:
    control = SimulatorControl(fireant_process.url)
    control.set_fireant_options(fail_jobs=True)
    try:
        with FireantClient(fireant_process.url, DEFAULT_API_KEY, policy=FAST) as fireant:
            job_id = fireant.submit_job({"geos": []}, "geo", "key-fail")
            with pytest.raises(Exception, match="failed: simulated failure"):
                fireant.wait_for_job(job_id, PollPolicy(200, 0.05))
    finally:
        control.set_fireant_options(fail_jobs=False)


def test_results_of_an_unfinished_job_are_a_409(fireant_process: ServerProcess) -> None:
    control = SimulatorControl(fireant_process.url)
    control.set_fireant_options(never_complete=True)
    try:
        with FireantClient(fireant_process.url, DEFAULT_API_KEY, policy=FAST) as fireant:
            job_id = fireant.submit_job({"geos": []}, "geo", "key-never")
        response = httpx.get(
            f"{fireant_process.url}/jobs/results/{job_id}",
            headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"},
        )
        assert response.status_code == 409
    finally:
        control.set_fireant_options(never_complete=False)


def test_options_from_env() -> None:
    django = DjangoSimulatorOptions.from_env(
        {
            "DJANGO_SIM_LATENCY_SECONDS": "0.5",
            "DJANGO_SIM_FAILURE_RATE": "0.2",
            "DJANGO_SIM_CATALOGUE": "/tmp/c.json",
        }
    )
    assert (django.faults.latency_seconds, django.faults.failure_rate) == (0.5, 0.2)
    assert django.catalogue_path == Path("/tmp/c.json")
    fireant = FireantSimulatorOptions.from_env(
        {
            "FIREANT_SIM_JOB_SECONDS": "7",
            "FIREANT_SIM_NEVER_COMPLETE": "true",
            "FIREANT_SIM_FAIL_JOBS": "0",
        }
    )
    assert (fireant.job_seconds, fireant.never_complete, fireant.fail_jobs) == (7.0, True, False)
    with pytest.raises(ValueError, match="DJANGO_SIM_FAILURE_RATE must be a number"):
        DjangoSimulatorOptions.from_env({"DJANGO_SIM_FAILURE_RATE": "often"})
    with pytest.raises(ValueError, match="FIREANT_SIM_JOB_SECONDS must be a number"):
        FireantSimulatorOptions.from_env({"FIREANT_SIM_JOB_SECONDS": "soon"})
    with pytest.raises(ValueError, match="failure_rate must be between 0 and 1"):
        Faults(failure_rate=2)


def test_failure_rate_is_seeded_and_roughly_honoured() -> None:
    faults = Faults(failure_rate=0.3, seed=7)
    outcomes = [faults.decide() for _ in range(1000)]
    again = Faults(failure_rate=0.3, seed=7)
    assert outcomes == [again.decide() for _ in range(1000)]
    assert 200 < outcomes.count("fail") < 400


def test_injected_latency_beyond_the_client_timeout_ends_in_api_unavailable() -> None:
    from report_simulators import DjangoSimulator, serve_in_thread

    simulator = DjangoSimulator(DjangoSimulatorOptions(faults=Faults(latency_seconds=1.0)))
    policy = RetryPolicy(timeout_seconds=0.2, max_retries=1, backoff_initial_seconds=0.01)
    with serve_in_thread(simulator.app) as url:
        client = DjangoAPIClient(url, token=simulator.issue_token(), policy=policy)
        with client, pytest.raises(ApiUnavailable, match=r"timed out after 0\.2s"):
            client.get_report(1)
        patient = DjangoAPIClient(url, token=simulator.issue_token(), policy=FAST)
        with patient:
            assert patient.get_report(1).id == 1  # slow, not broken


def test_azurite_without_node_is_unavailable_with_a_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from report_simulators.azurite import AzuriteUnavailable, ensure_azurite

    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(AzuriteUnavailable, match="node and npm are not installed"):
        ensure_azurite(tmp_path / "azurite")
