"""dbt_run_on_load_sensor on real runs: loads that succeed start dbt_job, one per bucket."""

from datetime import UTC, datetime

import dagster as dg
import pytest

from estore.sensors import dbt_run_on_load_sensor as module
from estore.sensors.dbt_run_on_load_sensor import DbtRunOnLoadSettings, run_key_for


@dg.op
def append_file(context: dg.OpExecutionContext) -> None:
    context.log.info("appending a file to estore_raw.events")


@dg.op
def failing_append() -> None:
    raise RuntimeError("the file has a bad row")


# Stand-ins, by name, for the file-feed side's load job: the sensor only sees run records.
@dg.job(name="gcs_to_bq_load_job")
def load_job() -> None:
    append_file()


@dg.job(name="gcs_to_bq_load_job")
def failing_load_job() -> None:
    failing_append()


@dg.job(name="some_other_job")
def other_job() -> None:
    append_file()


@pytest.fixture
def sensor(estore_defs: dg.Definitions) -> dg.RunStatusSensorDefinition:
    found = estore_defs.get_sensor_def("dbt_run_on_load_sensor")
    assert isinstance(found, dg.RunStatusSensorDefinition)
    return found


@pytest.fixture
def instance():
    with dg.instance_for_test() as test_instance:
        yield test_instance


def tick(sensor: dg.RunStatusSensorDefinition, instance: dg.DagsterInstance, cursor: str | None):
    return sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=cursor))


def test_run_key_buckets_are_15_minutes_wide() -> None:
    assert run_key_for(datetime(2024, 1, 5, 13, 30, tzinfo=UTC), 15) == "dbt_20240105_132"
    assert run_key_for(datetime(2024, 1, 5, 13, 44, 59, tzinfo=UTC), 15) == "dbt_20240105_132"
    assert run_key_for(datetime(2024, 1, 5, 13, 45, tzinfo=UTC), 15) == "dbt_20240105_133"


def test_bucket_must_divide_the_hour() -> None:
    with pytest.raises(ValueError, match="must divide 60"):
        DbtRunOnLoadSettings(bucket_minutes=7)


def test_successful_loads_request_dbt_job_once_per_bucket(sensor, instance) -> None:
    first = tick(sensor, instance, None)  # starts from the newest event in storage
    assert first.cursor and not first.run_requests

    loads = [
        load_job.execute_in_process(instance=instance, tags={"latest_gcs_key": f"events/{n}.csv"})
        for n in (1, 2)
    ]
    failed = failing_load_job.execute_in_process(instance=instance, raise_on_error=False)
    other_job.execute_in_process(instance=instance)
    assert not failed.success

    # A run-status sensor reacts to one matching run per tick; the failed load and the other
    # job's run produce nothing.
    requests, cursor = [], first.cursor
    for _ in range(4):
        data = tick(sensor, instance, cursor)
        requests += data.run_requests or []
        cursor = data.cursor
    assert [r.tags["estore/load_run_id"] for r in requests] == [r.run_id for r in loads]
    assert [r.tags["triggered_by"] for r in requests] == ["events/1.csv", "events/2.csv"]
    assert sensor.job_name == "dbt_job"  # the job each request starts
    for request, load in zip(requests, loads, strict=True):
        record = instance.get_run_record_by_id(load.run_id)
        assert record is not None and record.end_time is not None
        finished = datetime.fromtimestamp(record.end_time, tz=UTC)
        assert request.run_key == run_key_for(finished, 15)


def test_a_failing_tick_raises_its_cause_and_the_next_tick_retries(
    sensor, instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    cursor = tick(sensor, instance, None).cursor
    load = load_job.execute_in_process(instance=instance)

    def broken(_context):
        raise dg.DagsterInvariantViolationError("run storage unavailable")

    monkeypatch.setattr(module, "load_finished_at", broken)
    with pytest.raises(Exception, match="run storage unavailable"):
        tick(sensor, instance, cursor)

    monkeypatch.undo()
    retried = tick(sensor, instance, cursor)  # the failed tick stored no cursor
    assert [r.tags["estore/load_run_id"] for r in retried.run_requests or []] == [load.run_id]
