"""One report run end to end against the simulators over HTTP: submitted once, recorded
before polling, resumed on a rerun, failed with a message when Fireant fails or never ends."""

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from report_simulators import DEFAULT_API_KEY, SimulatorControl
from reports.components.reports_orchestrator import report_jobs, resolved_shared_job
from reports.io_manager import ReportRunIOManager
from reports.resources import DjangoApiResource, FabricStorageResource, FireantResource
from reports.runs import DUE_AT_TAG
from reports.testing import catalogue_of

pytestmark = pytest.mark.integration

DUE = dt.datetime(2024, 3, 1, 6, 0, tzinfo=dt.UTC)
ReportRun = Callable[..., dg.ExecuteInProcessResult]


@pytest.fixture
def run_report(report_run: ReportRun) -> ReportRun:
    def run(report_id: int, due: dt.datetime = DUE, **resources: Any) -> dg.ExecuteInProcessResult:
        return report_run(report_id, due, **resources)

    return run


def submissions(fireant: SimulatorControl) -> int:
    return int(fireant.state()["submissions"])


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    failures = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert failures, "the run was expected to fail"
    return str(
        failures[0].step_failure_data.error.message if failures[0].step_failure_data.error else ""
    )  # type: ignore[union-attr]


def test_a_report_runs_through_fireant_into_fabric(
    run_report, sims, django_api: DjangoApiResource, fabric_storage: FabricStorageResource
) -> None:
    before = submissions(sims.fireant)
    result = run_report(1)
    assert result.success
    assert submissions(sims.fireant) == before + 1
    rows = fabric_storage.store().read_report_results(1, DUE)
    assert len(rows) == 3 and all(row.report_id == 1 for row in rows)
    job_id = result.output_for_node("external_job_submission")["fireant_job_id"]
    with django_api.client() as api:
        (record,) = api.find_jobs(report_id=1, fireant_jobid=job_id)
    assert (
        record.status == "completed" and record.results_url and "report_id=1" in record.results_url
    )
    payload = result.output_for_node("report_data")["payload"]
    assert "geos" in payload and payload["as_at_date"] == DUE.date().isoformat()


def test_a_rerun_resumes_the_same_job_and_replaces_its_rows(
    run_report, sims, fabric_storage: FabricStorageResource, instance: dg.DagsterInstance
) -> None:
    first = run_report(2)
    before = submissions(sims.fireant)
    again = run_report(2)
    assert first.success and again.success
    assert submissions(sims.fireant) == before  # resumed from the recorded job id
    job = again.output_for_node("external_job_submission")["fireant_job_id"]
    assert job == first.output_for_node("external_job_submission")["fireant_job_id"]
    assert len(fabric_storage.store().read_report_results(2, DUE)) == 2  # replaced, not doubled
    later = run_report(2, DUE + dt.timedelta(hours=1))
    assert later.output_for_node("external_job_submission")["fireant_job_id"] != job
    assert fabric_storage.store().count_rows() == 4


def test_a_job_fireant_fails_fails_the_run_with_its_reason(
    run_report, django_api: DjangoApiResource
) -> None:
    result = run_report(12)  # the sample report Fireant fails
    assert not result.success
    assert "failed" in failure_message(result)
    with django_api.client() as api:
        assert [job.status for job in api.find_jobs(report_id=12)][-1] == "failed"


def test_a_job_that_never_ends_exhausts_the_polls(
    run_report, sims, django_api: DjangoApiResource, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIREANT_API_KEY", DEFAULT_API_KEY)
    quick = FireantResource(
        base_url=sims.fireant_url,
        api_key=dg.EnvVar("FIREANT_API_KEY"),
        max_poll_attempts=3,
        poll_interval_seconds=0.05,
    )
    result = run_report(13, fireant_api=quick)  # the sample report that never completes
    assert not result.success
    assert "timed out after 3 attempts" in failure_message(result)
    with django_api.client() as api:
        assert [job.status for job in api.find_jobs(report_id=13)][-1] == "timeout"


def test_report_data_that_cannot_be_sent_fails_before_fireant(run_report, sims) -> None:
    before = submissions(sims.fireant)
    result = run_report(11)  # its event group mixes geo and ring events
    assert not result.success
    assert "mix event types" in failure_message(result)
    assert submissions(sims.fireant) == before


def test_a_fabric_write_failure_leaves_no_rows_and_no_completed_record(
    run_report, tmp_path: Path, django_api: DjangoApiResource
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the table folder should be")
    result = run_report(3, fabric_storage=FabricStorageResource(local_folder=str(blocked)))
    assert not result.success
    assert "were not stored" in failure_message(result)
    with django_api.client() as api:
        assert [job.status for job in api.find_jobs(report_id=3)][-1] != "completed"


def test_a_report_runs_in_its_own_pipeline_job(
    instance: dg.DagsterInstance,
    django_api: DjangoApiResource,
    fireant_api: FireantResource,
    fabric_storage: FabricStorageResource,
    tmp_path: Path,
) -> None:
    resources = {
        "django_api": django_api,
        "fireant_api": fireant_api,
        "fabric_storage": fabric_storage,
        "io_manager": ReportRunIOManager(base_dir=str(tmp_path / "runs")),
    }
    shared = resolved_shared_job(resources)
    (job,) = report_jobs(shared, catalogue_of((5, "Every two minutes", "*/2 * * * *")))
    assert job.name == "process_report_5" and job.tags["reports/report_id"] == "5"
    instance.add_dynamic_partitions("reports", ["5"])
    result = job.execute_in_process(
        partition_key="5", instance=instance, tags={DUE_AT_TAG: DUE.isoformat()}
    )
    assert result.success
    assert len(fabric_storage.store().read_report_results(5, DUE)) == 1
