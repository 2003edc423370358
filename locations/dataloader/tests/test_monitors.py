"""The four monitors: thresholds, state transitions, and what they start or cancel."""

import uuid

import dagster as dg
import pytest

from dataloader.definitions import defs
from dataloader.links import dagster_run_url
from dataloader.resources.lakebase import LakebaseResource
from lakebase import LakebaseClient, Status
from lakebase.testing import ManualClock


@pytest.fixture(scope="module")
def definitions() -> dg.Definitions:
    return defs()


def tick(
    definitions: dg.Definitions,
    name: str,
    lakebase_resource: LakebaseResource,
    instance: dg.DagsterInstance,
) -> dg.SensorResult:
    context = dg.build_sensor_context(
        instance=instance, resources={"lakebase": lakebase_resource}, definitions=definitions
    )
    result = definitions.resolve_sensor_def(name)(context)
    assert isinstance(result, dg.SensorResult)
    return result


def test_longqueued_monitor_fails_tables_queued_over_an_hour(
    definitions,
    lakebase: LakebaseClient,
    lakebase_resource,
    instance,
    clock: ManualClock,
    registration,
) -> None:
    config_id = lakebase.register_table(registration("q", "postgresql://x@127.0.0.1/x"), "sql")
    [queued] = lakebase.claim_ready_tables(limit=1)
    clock.advance(minutes=60)
    tick(definitions, "longqueued_monitor", lakebase_resource, instance)
    table = lakebase.get_table(config_id)
    assert table is not None and table.last_status == "Queued"
    clock.advance(minutes=1)
    result = tick(definitions, "longqueued_monitor", lakebase_resource, instance)
    assert not result.run_requests  # passive: no RunRequest
    table = lakebase.get_table(config_id)
    assert table is not None and table.last_status == "Failed"
    assert table.last_status_message == "Cancelled - stuck in queue for >60 minutes"
    [history] = lakebase.get_history(config_id)
    assert history["metadata_id"] == queued.metadata_id and history["status"] == "Failed"


def fail(lakebase: LakebaseClient, config_id: int, message: str) -> None:
    """One failed load attempt of the table (its own claim, then the failure)."""
    metadata_id = lakebase.insert_initial_metadata(config_id, "k", "full")
    assert lakebase.record_load_failure(config_id, metadata_id, message)


def _started_run(instance: dg.DagsterInstance) -> dg.DagsterRun:
    """A load run that started and never finished."""
    return instance.add_run(
        dg.DagsterRun(
            job_name="__ASSET_JOB", run_id=str(uuid.uuid4()), status=dg.DagsterRunStatus.STARTED
        )
    )


def test_longrunning_monitor_cancels_the_run_and_fails_the_row(
    definitions, lakebase: LakebaseClient, lakebase_resource, clock: ManualClock, registration
) -> None:
    with dg.instance_for_test() as instance:
        run = _started_run(instance)
        config_id = lakebase.register_table(registration("r", "postgresql://x@h/x"), "sql")
        lakebase.claim_ready_tables(limit=1)
        lakebase.update_control_status(
            config_id, Status.IN_PROGRESS, "Loading", dagster_run_url=dagster_run_url(run.run_id)
        )
        clock.advance(minutes=180)
        tick(definitions, "longrunning_monitor", lakebase_resource, instance)
        still = instance.get_run_by_id(run.run_id)
        assert still is not None and still.status == dg.DagsterRunStatus.STARTED
        clock.advance(minutes=1)
        tick(definitions, "longrunning_monitor", lakebase_resource, instance)
        # The run coordinator asked the launcher to terminate it: the run is canceling.
        cancelled = instance.get_run_by_id(run.run_id)
        assert cancelled is not None
        assert cancelled.status in (dg.DagsterRunStatus.CANCELING, dg.DagsterRunStatus.CANCELED)
    table = lakebase.get_table(config_id)
    assert table is not None and table.last_status == "Failed"
    assert table.last_status_message == "Cancelled - exceeded 180 minute timeout"


def test_longrunning_monitor_fails_a_row_whose_run_is_unknown(
    definitions,
    lakebase: LakebaseClient,
    lakebase_resource,
    instance,
    clock: ManualClock,
    registration,
) -> None:
    config_id = lakebase.register_table(registration("lost", "postgresql://x@h/x"), "sql")
    lakebase.update_control_status(config_id, Status.IN_PROGRESS, dagster_run_url="not a url")
    clock.advance(hours=4)
    tick(definitions, "longrunning_monitor", lakebase_resource, instance)
    table = lakebase.get_table(config_id)
    assert table is not None and table.last_status == "Failed"


def test_failed_monitor_requests_one_analysis_per_failure(
    definitions,
    lakebase: LakebaseClient,
    lakebase_resource,
    instance,
    clock: ManualClock,
    registration,
) -> None:
    failing = lakebase.register_table(registration("f", "postgresql://x@h/x"), "sql")
    exhausted = lakebase.register_table(registration("g", "postgresql://x@h/x"), "sql")
    reviewed = lakebase.register_table(registration("h", "postgresql://x@h/x"), "sql")
    for config_id in (failing, exhausted, reviewed):
        fail(lakebase, config_id, "connection refused")
    for _ in range(2):
        fail(lakebase, exhausted, "connection refused")  # the 3rd failure flags it
    lakebase.mark_for_review(reviewed, "[AI Analysis - Requires Review] no")
    result = tick(definitions, "failed_monitor", lakebase_resource, instance)
    [request] = result.run_requests or []
    config = request.run_config["ops"]["dataloader_retry_analysis"]["config"]
    assert config == {
        "config_id": failing,
        "control_key": "f",
        "error_message": "connection refused",
        "retry_count": 1,
        "max_retries": 3,
        "db_type": "postgres",
        "load_strategy": "full",
        "failed_at": clock.current.isoformat(),
    }
    again = tick(definitions, "failed_monitor", lakebase_resource, instance)
    assert [r.run_key for r in again.run_requests or []] == [request.run_key]
    clock.advance(minutes=15)
    fail(lakebase, failing, "connection refused again")
    later = tick(definitions, "failed_monitor", lakebase_resource, instance)
    assert [r.run_key for r in later.run_requests or []] != [request.run_key]


def test_landing_table_monitor_batches_unprocessed_tables(
    definitions, lakebase: LakebaseClient, lakebase_resource, instance, registration
) -> None:
    ids = [lakebase.register_table(registration(k, "postgresql://x@h/x"), "sql") for k in "abc"]
    for config_id in ids[:2]:
        metadata_id = lakebase.insert_initial_metadata(config_id, "k", "full")
        lakebase.record_load_success(config_id, metadata_id, 1, None, 0.1)
    result = tick(definitions, "landing_table_monitor", lakebase_resource, instance)
    [request] = result.run_requests or []
    assert request.run_config == {
        "ops": {"write_landing_schemas": {"config": {"config_ids": ids[:2]}}}
    }
    lakebase.mark_staging_processed(ids[:2])
    quiet = tick(definitions, "landing_table_monitor", lakebase_resource, instance)
    assert not quiet.run_requests


def test_landing_table_monitor_waits_for_a_running_git_job(
    definitions, lakebase: LakebaseClient, lakebase_resource, instance, registration
) -> None:
    config_id = lakebase.register_table(registration("a", "postgresql://x@h/x"), "sql")
    lakebase.record_load_success(
        config_id, lakebase.insert_initial_metadata(config_id, "a", "full"), 1, None, 0.1
    )
    instance.add_run(
        dg.DagsterRun(
            job_name="landing_table_git_job",
            run_id=str(uuid.uuid4()),
            status=dg.DagsterRunStatus.STARTED,
        )
    )
    result = tick(definitions, "landing_table_monitor", lakebase_resource, instance)
    assert not result.run_requests
    assert result.skip_reason is not None
    assert result.skip_reason.skip_message == "landing_table_git_job is already running"
