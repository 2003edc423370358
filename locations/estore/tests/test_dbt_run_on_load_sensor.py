"""dbt_run_on_load_sensor on real run records: every successful load is followed by one dbt run."""

import dagster as dg
import pytest
from dagster._core.storage.tags import RUN_KEY_TAG

from estore.sensors import dbt_run_on_load_sensor as module


@dg.op
def append_file(context: dg.OpExecutionContext) -> None:
    context.log.info("appending a file to estore_raw.events")


@dg.op
def failing_append() -> None:
    raise RuntimeError("the file has a bad row")


# Stand-ins, by name, for the load job and dbt_job: the sensor only reads run records.
@dg.job(name="gcs_to_bq_load_job")
def load_job() -> None:
    append_file()


@dg.job(name="gcs_to_bq_load_job")
def failing_load_job() -> None:
    failing_append()


@dg.job(name="some_other_job")
def other_job() -> None:
    append_file()


@dg.job(name="dbt_job")
def dbt_job() -> None:
    append_file()


@pytest.fixture
def sensor(estore_defs: dg.Definitions) -> dg.SensorDefinition:
    return estore_defs.get_sensor_def("dbt_run_on_load_sensor")


@pytest.fixture
def instance():
    with dg.instance_for_test() as test_instance:
        yield test_instance


def tick(sensor: dg.SensorDefinition, instance: dg.DagsterInstance) -> list[dg.RunRequest]:
    context = dg.build_sensor_context(instance=instance, sensor_name=sensor.name)
    return list(sensor.evaluate_tick(context).run_requests or [])


def load(instance: dg.DagsterInstance, key: str) -> str:
    return load_job.execute_in_process(instance=instance, tags={"latest_gcs_key": key}).run_id


def create(instance: dg.DagsterInstance, request: dg.RunRequest) -> dg.DagsterRun:
    """The daemon creates the requested dbt run (queued)."""
    assert request.run_key is not None
    return instance.create_run_for_job(dbt_job, tags={**request.tags, RUN_KEY_TAG: request.run_key})


def start(instance: dg.DagsterInstance, request: dg.RunRequest) -> dg.DagsterRun:
    """The daemon creates the requested dbt run and its worker starts it."""
    run = create(instance, request)
    report(instance, run, dg.DagsterEventType.RUN_START)
    return run


def report(instance: dg.DagsterInstance, run: dg.DagsterRun, kind: dg.DagsterEventType) -> None:
    event = dg.DagsterEvent(event_type_value=kind.value, job_name=run.job_name)
    instance.report_dagster_event(event, run_id=run.run_id)


def test_loads_finishing_while_dbt_runs_get_one_following_run_never_a_second_at_once(
    sensor, instance
) -> None:
    first_load = load(instance, "events/1.csv")
    (first,) = tick(sensor, instance)
    assert (first.tags["estore/load_run_id"], first.tags["triggered_by"]) == (
        first_load,
        "events/1.csv",
    )
    assert tick(sensor, instance) == [first]  # the same run key: Dagster drops the repeat
    running = start(instance, first)

    # Two loads finish while that dbt run is running: they wait for it, never a second run.
    load(instance, "events/2.csv")
    last_load = load(instance, "events/3.csv")
    assert tick(sensor, instance) == []
    report(instance, running, dg.DagsterEventType.RUN_SUCCESS)

    (following,) = tick(sensor, instance)
    assert following.run_key != first.run_key
    assert following.tags["estore/load_run_id"] == last_load
    assert following.tags["estore/loads_included"] == "2"
    queued = create(instance, following)
    load(instance, "events/4.csv")
    assert tick(sensor, instance) == []  # the queued run will include it when it starts
    report(instance, queued, dg.DagsterEventType.RUN_START)
    report(instance, queued, dg.DagsterEventType.RUN_SUCCESS)
    assert tick(sensor, instance) == []


def test_failed_loads_and_other_jobs_request_nothing(sensor, instance) -> None:
    failed = failing_load_job.execute_in_process(instance=instance, raise_on_error=False)
    other_job.execute_in_process(instance=instance)

    assert not failed.success
    assert tick(sensor, instance) == []
    assert sensor.job_name == "dbt_job"


def test_a_failing_tick_raises_its_cause_and_the_next_tick_retries(
    sensor, instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = load(instance, "events/1.csv")

    def broken(*_args):
        raise dg.DagsterInvariantViolationError("run storage unavailable")

    monkeypatch.setattr(module, "_last_started", broken)
    with pytest.raises(Exception, match="run storage unavailable"):
        tick(sensor, instance)

    monkeypatch.undo()
    assert [r.tags["estore/load_run_id"] for r in tick(sensor, instance)] == [loaded]
