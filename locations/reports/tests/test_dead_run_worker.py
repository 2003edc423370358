"""SIGKILL of a report run's worker and of the code server that launched it, under a real
``dagster-daemon`` and the default run launcher: the dead-run-worker sensor fails the run
("run worker <pid> is gone") and reports' own ``report_run_failure_sensor`` marks the run's
Django job record ``failed`` with the run id and that reason, within minutes. The location
is daemon_location.py; the Django API and Fireant are the simulators over HTTP."""

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest

from django_api import JobRecord
from report_simulators import DEFAULT_API_KEY, DEFAULT_PASSWORD, DEFAULT_USERNAME
from reports.assets.processing import recorded_fireant_job
from reports.resources import DjangoApiResource
from reports.runs import DUE_AT_TAG, idempotency_key
from run_lifecycle.testing import DaemonDrill, daemon_drill

HERE = Path(__file__).parent
NEVER_FINISHES = 13  # the sample report whose Fireant job never completes


class Simulators(Protocol):
    """What the drill needs of conftest's ``simulators``."""

    django_url: str
    fireant_url: str


@pytest.fixture(scope="module")
def drill(
    tmp_path_factory: pytest.TempPathFactory, simulators: Simulators
) -> Iterator[DaemonDrill]:
    home = tmp_path_factory.mktemp("dagster_home")
    env = {
        "HOLD_REPORTS": str(home / "reports.json"),
        "DJANGO_API_URL": simulators.django_url,
        "DJANGO_USERNAME": DEFAULT_USERNAME,
        "DJANGO_PASSWORD": DEFAULT_PASSWORD,
        "FIREANT_API_URL": simulators.fireant_url,
        "FIREANT_API_KEY": DEFAULT_API_KEY,
        "POLL_INTERVAL_SECONDS": "1",
        "MAX_POLL_ATTEMPTS": "3600",  # polls until killed
        "MAX_RETRIES": "1",
        "TIMEOUT_SECONDS": "5",
    }
    with daemon_drill(home, HERE / "daemon_location.py", "reports", env) as drill:
        yield drill


@pytest.mark.slow
@pytest.mark.integration
def test_a_killed_report_run_is_failed_and_its_job_record_released(
    drill: DaemonDrill, django_api: DjangoApiResource
) -> None:
    due = dt.datetime.now(dt.UTC).replace(microsecond=0)  # a due time no other run had
    report = NEVER_FINISHES
    (drill.home / "reports.json").write_text(json.dumps([[report, due.isoformat()]]))
    run = drill.started_run({DUE_AT_TAG: due.isoformat()})

    def job_record(status: str) -> JobRecord | None:
        fireant_job = recorded_fireant_job(drill.instance, report, idempotency_key(report, due))
        if fireant_job is None:
            return None
        with django_api.client() as api:
            records = api.find_jobs(report_id=report, fireant_jobid=fireant_job)
        return records[0] if records and records[0].status == status else None

    running = drill.wait_for(
        "the run's Fireant job recorded and running", lambda: job_record("running")
    )
    worker = drill.kill_worker(run)
    drill.failed_by_dead_worker_sensor(run, worker)
    failed = drill.wait_for("the job record failed", lambda: job_record("failed"))
    assert failed.id == running.id
    assert failed.dagster_run_id == run.run_id
    assert f"Dagster run {run.run_id} failed: run worker {worker.pid} is gone" in (
        failed.status_message or ""
    )
