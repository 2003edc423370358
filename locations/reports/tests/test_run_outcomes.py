"""Run-level outcomes: a report run that fails outside its assets or is cancelled leaves its
Django job record failed or cancelled, never running; a completed record is never touched."""

import datetime as dt
import json
from collections.abc import Callable, Sequence
from typing import Any

import dagster as dg
import pytest

from django_api import JobRecord
from reports.assets.processing import (
    external_job_submission,
    job_completion_status,
    local_job_record,
    report_data,
    results_storage,
)
from reports.resources import DjangoApiResource, FireantResource
from reports.runs import DUE_AT_TAG
from reports.sensors.report_run_outcome import OUTCOME_TAG, build_report_run_outcome_sensors

pytestmark = pytest.mark.integration

DUE = dt.datetime(2024, 3, 2, 6, 0, tzinfo=dt.UTC)
SUBMITTED_BY_FIRST_RUN = [report_data, external_job_submission, local_job_record]
COMPLETED_BY_SECOND_RUN = [job_completion_status, results_storage]
ALL = [*SUBMITTED_BY_FIRST_RUN, *COMPLETED_BY_SECOND_RUN]


class UnreachableFireant(FireantResource):
    """A Fireant resource that cannot initialise: the run fails before any asset runs."""

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        raise ConnectionError("fireant.example: name or service not known")


Materialize = Callable[..., dg.ExecuteInProcessResult]


@pytest.fixture
def materialize(report_run: Materialize) -> Materialize:
    """Materialize ``selection`` of one report's assets for ``DUE``, as a report run."""

    def run(
        report_id: int, selection: Sequence[dg.AssetsDefinition] = ALL, **resources: Any
    ) -> dg.ExecuteInProcessResult:
        return report_run(report_id, DUE, selection, **resources)

    return run


def records(django_api: DjangoApiResource, report_id: int) -> list[JobRecord]:
    with django_api.client() as api:
        return api.find_jobs(report_id=report_id)


def record_of(django_api: DjangoApiResource, result: dg.ExecuteInProcessResult) -> JobRecord:
    """The one job record of the Fireant job ``result`` submitted."""
    submitted = result.output_for_node("external_job_submission")
    with django_api.client() as api:
        [record] = api.find_jobs(
            report_id=int(result.dagster_run.tags["dagster/partition"]),
            fireant_jobid=submitted["fireant_job_id"],
        )
    return record


def deliver(
    instance: dg.DagsterInstance,
    run_id: str,
    event_type: dg.DagsterEventType,
    django_api: DjangoApiResource,
) -> None:
    """Evaluate the sensor watching ``event_type`` on the run's real status event."""
    failure_sensor, canceled_sensor, _ = build_report_run_outcome_sensors(
        dg.DefaultSensorStatus.STOPPED
    )
    [record] = instance.get_records_for_run(run_id, of_type=event_type).records
    event = record.event_log_entry.dagster_event
    run = instance.get_run_by_id(run_id)
    assert event is not None and run is not None
    sensor = failure_sensor if event_type is dg.DagsterEventType.RUN_FAILURE else canceled_sensor
    context = dg.build_run_status_sensor_context(
        sensor_name=sensor.name,
        dagster_event=event,
        dagster_instance=instance,
        dagster_run=run,
        resources={"django_api": django_api},
    )
    if event_type is dg.DagsterEventType.RUN_FAILURE:
        sensor(context.for_run_failure())  # type: ignore[operator]
    else:
        sensor(context)  # type: ignore[operator]


def test_a_run_failing_at_resource_init_fails_its_job_record(
    materialize: Materialize, instance: dg.DagsterInstance, django_api: DjangoApiResource
) -> None:
    first = materialize(4, SUBMITTED_BY_FIRST_RUN)
    submitted = record_of(django_api, first)
    assert submitted.status == "submitted"

    broken = materialize(4, COMPLETED_BY_SECOND_RUN, fireant_api=UnreachableFireant())
    assert not broken.success
    assert not [e for e in broken.all_events if e.event_type == dg.DagsterEventType.STEP_START]
    deliver(instance, broken.run_id, dg.DagsterEventType.RUN_FAILURE, django_api)

    failed = record_of(django_api, first)
    assert failed.id == submitted.id and failed.status == "failed"
    assert failed.dagster_run_id == broken.run_id
    assert failed.status_message and "name or service not known" in failed.status_message
    # The same failure delivered again (a sensor tick re-processing the run) changes nothing.
    deliver(instance, broken.run_id, dg.DagsterEventType.RUN_FAILURE, django_api)
    assert record_of(django_api, first) == failed


def test_a_cancelled_run_cancels_its_job_record(
    materialize: Materialize, instance: dg.DagsterInstance, django_api: DjangoApiResource
) -> None:
    from dagster._core.test_utils import create_run_for_test

    first = materialize(6, SUBMITTED_BY_FIRST_RUN)
    run = create_run_for_test(
        instance,
        job_name="process_report_6",
        tags={"dagster/partition": "6", DUE_AT_TAG: DUE.isoformat()},
    )
    instance.report_run_canceled(run)  # what the run coordinator does when a user cancels
    deliver(instance, run.run_id, dg.DagsterEventType.RUN_CANCELED, django_api)

    cancelled = record_of(django_api, first)
    assert cancelled.status == "cancelled" and cancelled.dagster_run_id == run.run_id
    assert cancelled.status_message == f"Dagster run {run.run_id} was cancelled"


def test_a_completed_record_is_never_overwritten(
    materialize: Materialize, instance: dg.DagsterInstance, django_api: DjangoApiResource
) -> None:
    done = materialize(7)
    completed = record_of(django_api, done)
    assert completed.status == "completed"

    late = materialize(7, COMPLETED_BY_SECOND_RUN, fireant_api=UnreachableFireant())
    assert not late.success
    deliver(instance, late.run_id, dg.DagsterEventType.RUN_FAILURE, django_api)
    assert record_of(django_api, done) == completed


def test_a_failure_before_any_record_is_logged_and_changes_nothing(
    materialize: Materialize,
    instance: dg.DagsterInstance,
    django_api: DjangoApiResource,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = records(django_api, 8)
    broken = materialize(8, fireant_api=UnreachableFireant())
    assert not broken.success
    capsys.readouterr()
    deliver(instance, broken.run_id, dg.DagsterEventType.RUN_FAILURE, django_api)
    assert records(django_api, 8) == before
    logged = capsys.readouterr().err.splitlines()
    [line] = [json.loads(text[text.index("{") :]) for text in logged if '"run_outcome' in text]
    assert line["event"] == "run_outcome_without_job_record"
    assert line["report_id"] == 8 and line["due_at"] == DUE.isoformat()
    assert line["run_id"] == broken.run_id and "name or service not known" in line["reason"]


def test_an_outcome_the_django_api_could_not_take_is_written_when_it_is_back(
    materialize: Materialize,
    instance: dg.DagsterInstance,
    django_api: DjangoApiResource,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from local_services import free_port
    from resilient_http import ApiUnavailable

    first = materialize(9, SUBMITTED_BY_FIRST_RUN)
    broken = materialize(9, COMPLETED_BY_SECOND_RUN, fireant_api=UnreachableFireant())
    monkeypatch.setenv("DJANGO_JWT_TOKEN", "t")
    unreachable = DjangoApiResource(
        base_url=f"http://127.0.0.1:{free_port()}",
        jwt_token=dg.EnvVar("DJANGO_JWT_TOKEN"),
        timeout_seconds=1,
        max_retries=0,
    )
    with pytest.raises(ApiUnavailable, match="ConnectError"):
        deliver(instance, broken.run_id, dg.DagsterEventType.RUN_FAILURE, unreachable)
    assert record_of(django_api, first).status == "submitted"
    run = instance.get_run_by_id(broken.run_id)
    assert run is not None and run.tags[OUTCOME_TAG] == "pending"

    *_, retry_sensor = build_report_run_outcome_sensors(dg.DefaultSensorStatus.STOPPED)
    context = dg.build_sensor_context(instance=instance, resources={"django_api": django_api})
    result = retry_sensor(context)  # type: ignore[operator]
    assert isinstance(result, dg.SkipReason) and "1 run(s)" in (result.skip_message or "")
    failed = record_of(django_api, first)
    assert failed.status == "failed" and failed.dagster_run_id == broken.run_id
    assert "name or service not known" in (failed.status_message or "")
    run = instance.get_run_by_id(broken.run_id)
    assert run is not None and run.tags[OUTCOME_TAG] == "recorded"
    nothing = retry_sensor(context)  # type: ignore[operator]
    assert isinstance(nothing, dg.SkipReason) and "No run outcome" in (nothing.skip_message or "")


def test_a_failed_run_that_was_re_executed_leaves_the_record_to_its_re_execution(
    materialize: Materialize, instance: dg.DagsterInstance, django_api: DjangoApiResource
) -> None:
    from dagster._core.test_utils import create_run_for_test

    first_run = materialize(5, SUBMITTED_BY_FIRST_RUN)
    tags = {"dagster/partition": "5", DUE_AT_TAG: DUE.isoformat()}
    first = create_run_for_test(instance, job_name="process_report_job", tags=tags)
    instance.report_run_failed(first)
    create_run_for_test(
        instance,
        job_name="process_report_job",
        # what a re-execution from the UI carries
        tags={**tags, "dagster/root_run_id": first.run_id, "dagster/parent_run_id": first.run_id},
        root_run_id=first.run_id,
        parent_run_id=first.run_id,
    )
    deliver(instance, first.run_id, dg.DagsterEventType.RUN_FAILURE, django_api)
    record = record_of(django_api, first_run)
    assert record.status == "submitted" and record.dagster_run_id is None
