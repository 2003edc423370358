"""Exactly once under faults: stale runs, run-level outcomes, orphaned claims.

Real Postgres for Lakebase, real Dagster run storage (``instance_for_test``), the real
Pipes subprocess and Delta writes.
"""

import uuid
from collections.abc import Iterator
from functools import cache

import dagster as dg
import pytest
from dagster._core.remote_origin import (  # a queued run needs an origin; no public builder
    RegisteredCodeLocationOrigin,
    RemoteJobOrigin,
    RemoteRepositoryOrigin,
)
from deltalake import DeltaTable

from dataloader.assets.table_load import INTERRUPTED, dataloader_table_load
from dataloader.definitions import defs
from dataloader.resources.compute import PipesComputeResource
from dataloader.resources.lakebase import LakebaseResource
from dataloader.sensors.run_outcomes import build_run_outcome_sensors
from lakebase import LakebaseClient
from lakebase.testing import ManualClock


@cache
def location() -> dg.Definitions:
    """The location's definitions, loaded once per test module."""
    return defs()


QUEUED_COORDINATOR = {
    "run_coordinator": {
        "module": "dagster._core.run_coordinator",
        "class": "QueuedRunCoordinator",
    }
}


@pytest.fixture
def run_instance() -> Iterator[dg.DagsterInstance]:
    """Run storage on disk with a run queue, as the daemon's instance has."""
    with dg.instance_for_test(overrides=QUEUED_COORDINATOR) as instance:
        yield instance


def tick(name: str, lakebase_resource: LakebaseResource, instance: dg.DagsterInstance):
    # The location's sensors without its YAML demo tables.
    definitions = dg.Definitions(sensors=[location().resolve_sensor_def(name)])
    context = dg.build_sensor_context(
        instance=instance, resources={"lakebase": lakebase_resource}, definitions=definitions
    )
    result = definitions.resolve_sensor_def(name)(context)
    assert isinstance(result, dg.SensorResult)
    return result


def materialize(request: dg.RunRequest, resources: dict, instance: dg.DagsterInstance):
    return dg.materialize(
        [dataloader_table_load],
        run_config=request.run_config,
        resources=resources,
        instance=instance,
        tags=request.tags,
        partition_key=request.partition_key,
        raise_on_error=False,
    )


def queue_run(instance: dg.DagsterInstance, request: dg.RunRequest) -> dg.DagsterRun:
    """The run the daemon creates for ``request``, still waiting in the run queue."""
    origin = RemoteJobOrigin(
        repository_origin=RemoteRepositoryOrigin(
            code_location_origin=RegisteredCodeLocationOrigin(location_name="dataloader"),
            repository_name="__repository__",
        ),
        job_name="__ASSET_JOB",
    )
    return instance.add_run(
        dg.DagsterRun(
            job_name="__ASSET_JOB",
            run_id=str(uuid.uuid4()),
            status=dg.DagsterRunStatus.QUEUED,
            tags=request.tags,
            remote_job_origin=origin,
        )
    )


def test_a_run_that_starts_after_its_claim_was_given_up_loads_nothing(
    lakebase: LakebaseClient,
    lakebase_resource: LakebaseResource,
    resources: dict,
    run_instance: dg.DagsterInstance,
    source_dsn: str,
    clock: ManualClock,
    registration,
) -> None:
    lakebase.sync_registrations("yaml", [])
    orders = lakebase.register_table(
        registration(
            "orders", source_dsn, load_strategy="incremental", incremental_column="updated_at"
        ),
        "sql",
    )
    [first] = tick("master_sensor", lakebase_resource, run_instance).run_requests or []
    queued_run = queue_run(run_instance, first)
    clock.advance(minutes=61)
    acted = tick("longqueued_monitor", lakebase_resource, run_instance)
    assert acted.skip_reason is None  # it acted: a result, not a skip
    [observation] = acted.asset_events
    assert observation.partition == "orders"
    assert observation.metadata["cancelled_runs"].value == queued_run.run_id
    # The queued run was cancelled before the row was failed.
    cancelled = run_instance.get_run_by_id(queued_run.run_id)
    assert cancelled is not None and cancelled.status == dg.DagsterRunStatus.CANCELED
    table = lakebase.get_table(orders)
    assert table is not None and table.last_status == "Failed" and table.retry_count == 1
    assert table.last_status_message == "Cancelled - stuck in queue for >60 minutes"

    # After its backoff the table is claimed again and loaded.
    clock.current = table.next_load_date_time
    [second] = tick("master_sensor", lakebase_resource, run_instance).run_requests or []
    assert materialize(second, resources, run_instance).success
    loaded = lakebase.get_table(orders)
    history = lakebase.get_history(orders)
    assert loaded is not None and loaded.last_status == "Succeeded"

    # The first run starts after all (re-executed from the UI, or the cancel came late).
    late = materialize(first, resources, run_instance)
    assert not late.success
    [failure] = [e for e in late.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert "is stale" in str(failure.step_failure_data.error)
    assert lakebase.get_table(orders) == loaded
    assert lakebase.get_history(orders) == history
    uri = resources["databricks_rest"].table_uri("bronze", "shop", "orders")
    assert DeltaTable(uri).version() == 0  # one load, not two
    assert len(DeltaTable(uri).to_pyarrow_table()) == 100


class BrokenCompute(PipesComputeResource):
    """Compute whose set-up fails: the run dies before the asset's body runs."""

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        raise RuntimeError("cluster 0123 does not exist")


class InterruptedCompute(PipesComputeResource):
    """Compute during whose wait Dagster interrupts the run (a BaseException)."""

    def run_script(self, context, script, extras, work_id):  # type: ignore[override]
        raise dg.DagsterExecutionInterruptedError()


def test_a_run_that_fails_outside_the_asset_fails_its_row(
    lakebase: LakebaseClient,
    lakebase_resource: LakebaseResource,
    resources: dict,
    run_instance: dg.DagsterInstance,
    source_dsn: str,
    registration,
) -> None:
    lakebase.sync_registrations("yaml", [])
    config_id = lakebase.register_table(registration("customers", source_dsn), "sql")
    [request] = tick("master_sensor", lakebase_resource, run_instance).run_requests or []
    assert request.tags["dagster/max_runtime"] == "14400"  # a load's own time limit
    result = materialize(request, {**resources, "pipes_databricks": BrokenCompute()}, run_instance)
    assert not result.success
    table = lakebase.get_table(config_id)
    assert table is not None and table.last_status == "Queued"  # the asset never ran

    [sensor, _] = build_run_outcome_sensors(dg.DefaultSensorStatus.STOPPED)
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE)
    context = dg.build_run_status_sensor_context(
        sensor_name=sensor.name,
        dagster_event=failure,
        dagster_instance=run_instance,
        dagster_run=result.dagster_run,
        resources={"lakebase": lakebase_resource},
    ).for_run_failure()
    sensor(context)  # type: ignore[operator]
    table = lakebase.get_table(config_id)
    assert table is not None and table.last_status == "Failed" and table.retry_count == 1
    assert table.last_status_message == (
        f"Run {result.run_id} failed: RuntimeError: cluster 0123 does not exist"
    )
    [history] = lakebase.get_history(config_id)
    assert history["status"] == "Failed"
    # A second delivery of the same failure changes nothing (fenced on the claim's state).
    sensor(context)  # type: ignore[operator]
    assert lakebase.get_table(config_id) == table


def test_a_cancelled_run_fails_its_row(
    lakebase: LakebaseClient,
    lakebase_resource: LakebaseResource,
    run_instance: dg.DagsterInstance,
    source_dsn: str,
    registration,
) -> None:
    lakebase.sync_registrations("yaml", [])
    config_id = lakebase.register_table(registration("customers", source_dsn), "sql")
    [request] = tick("master_sensor", lakebase_resource, run_instance).run_requests or []
    run = queue_run(run_instance, request)
    run_instance.run_coordinator.cancel_run(run.run_id)  # an operator cancels it in the UI
    [record] = run_instance.get_records_for_run(
        run.run_id, of_type=dg.DagsterEventType.RUN_CANCELED
    ).records
    assert record.event_log_entry.dagster_event is not None
    [_, sensor] = build_run_outcome_sensors(dg.DefaultSensorStatus.STOPPED)
    cancelled = run_instance.get_run_by_id(run.run_id)
    assert cancelled is not None
    sensor(  # type: ignore[operator]
        dg.build_run_status_sensor_context(
            sensor_name=sensor.name,
            dagster_event=record.event_log_entry.dagster_event,
            dagster_instance=run_instance,
            dagster_run=cancelled,
            resources={"lakebase": lakebase_resource},
        )
    )
    table = lakebase.get_table(config_id)
    assert table is not None and table.last_status == "Failed"
    assert table.last_status_message == f"Cancelled - Dagster run {run.run_id} was cancelled"


def test_an_interrupted_load_ends_failed_not_in_progress(
    lakebase: LakebaseClient,
    lakebase_resource: LakebaseResource,
    resources: dict,
    run_instance: dg.DagsterInstance,
    source_dsn: str,
    registration,
) -> None:
    lakebase.sync_registrations("yaml", [])
    config_id = lakebase.register_table(registration("customers", source_dsn), "sql")
    [request] = tick("master_sensor", lakebase_resource, run_instance).run_requests or []
    result = materialize(
        request, {**resources, "pipes_databricks": InterruptedCompute()}, run_instance
    )
    assert not result.success
    table = lakebase.get_table(config_id)
    assert table is not None and table.last_status == "Failed"
    assert table.last_status_message == INTERRUPTED


def test_a_claim_whose_run_never_came_is_released_within_minutes(
    lakebase: LakebaseClient,
    lakebase_resource: LakebaseResource,
    run_instance: dg.DagsterInstance,
    source_dsn: str,
    clock: ManualClock,
    registration,
) -> None:
    lakebase.sync_registrations("yaml", [])
    config_id = lakebase.register_table(registration("customers", source_dsn), "sql")
    # The tick claimed the table, then the daemon died before creating the run.
    [lost] = tick("master_sensor", lakebase_resource, run_instance).run_requests or []
    clock.advance(minutes=2)
    assert not tick("master_sensor", lakebase_resource, run_instance).run_requests
    clock.advance(minutes=2)
    result = tick("master_sensor", lakebase_resource, run_instance)
    [again] = result.run_requests or []
    assert again.run_key != lost.run_key
    table = lakebase.get_table(config_id)
    assert table is not None and table.last_status == "Queued" and table.retry_count == 0
    released, current = lakebase.get_history(config_id)
    assert released["status"] == "Released" and current["status"] == "Queued"
    assert "no Dagster run was created" in released["error_message"]
    [observation] = result.asset_events
    assert observation.partition == "customers"

    # A claim whose run exists (queued, or running) is left alone.
    queue_run(run_instance, again)
    clock.advance(minutes=10)
    assert not tick("master_sensor", lakebase_resource, run_instance).run_requests
    assert lakebase.get_table(config_id).last_status == "Queued"  # type: ignore[union-attr]
