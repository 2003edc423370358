"""The run-outcome recorder over real runs in a test instance: success, a step failure, a
failure before the first step, a cancel, a run Dagster retries, and the fence against a
newer run of the same group."""

from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
import pytest
from dagster._core.test_utils import create_run_for_test

from run_lifecycle import (
    Outcome,
    OutcomeSensors,
    RunOutcome,
    build_run_outcome_sensors,
    newer_run_of_group,
    strip_ansi,
)


class Ledger(dg.ConfigurableResource):
    """Stands for a location's record store: run id -> outcome, reason."""

    def write(self, store: dict, outcome: RunOutcome) -> None:
        store[outcome.run.run_id] = (outcome.outcome, outcome.reason)


class Work(dg.Config):
    fail: bool = False


@dg.op
def work(config: Work) -> None:
    if config.fail:
        raise ValueError("\x1b[31mfile events.csv line 7: price 'abc' is not a number\x1b[0m")


@dg.job
def load_job() -> None:
    work()


@dg.job
def other_job() -> None:
    work()


SPEC = OutcomeSensors(
    sensors={
        Outcome.SUCCESS: ("load_success_sensor", "success"),
        Outcome.FAILURE: ("load_failure_sensor", "failure"),
        Outcome.CANCELED: ("load_canceled_sensor", "cancel"),
    },
    required_resource_keys={"ledger"},
    applies=lambda run: run.job_name == "load_job",
)


class Sensors:
    """The three sensors, ticked as the daemon ticks them, writing into ``records``."""

    def __init__(self, instance: dg.DagsterInstance) -> None:
        self.instance = instance
        self.records: dict[str, tuple[Outcome, str | None]] = {}

        def record(outcome: RunOutcome, context: Any, resources: Mapping[str, Any]) -> None:
            resources["ledger"].write(self.records, outcome)

        self.sensors = build_run_outcome_sensors(SPEC, record)
        self.defs = dg.Definitions(
            jobs=[load_job, other_job], sensors=self.sensors, resources={"ledger": Ledger()}
        )
        self.cursors: dict[str, str | None] = {}
        self.tick()  # a run status sensor's first tick only sets its cursor

    def tick(self) -> None:
        for sensor in self.sensors:
            context = dg.build_sensor_context(
                instance=self.instance,
                cursor=self.cursors.get(sensor.name),
                resources={"ledger": Ledger()},
                definitions=self.defs,
            )
            self.cursors[sensor.name] = sensor.evaluate_tick(context).cursor

    def run(self, job: dg.JobDefinition = load_job, fail: bool = False) -> str:
        result = self.defs.get_job_def(job.name).execute_in_process(
            run_config={"ops": {"work": {"config": {"fail": fail}}}},
            instance=self.instance,
            raise_on_error=False,
        )
        return result.run_id


@pytest.fixture(scope="module")
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        yield instance


@pytest.fixture
def sensors(instance: dg.DagsterInstance) -> Sensors:
    return Sensors(instance)  # its sensors start after the runs of earlier tests


def test_success_failure_and_cancel_are_recorded_once_each(sensors: Sensors) -> None:
    ok = sensors.run()
    bad = sensors.run(fail=True)
    canceled = create_run_for_test(sensors.instance, job_name="load_job")
    sensors.instance.report_run_canceled(canceled)
    sensors.tick()
    sensors.tick()  # nothing new: nothing recorded twice
    assert sensors.records[ok] == (Outcome.SUCCESS, None)
    outcome, reason = sensors.records[bad]
    assert outcome is Outcome.FAILURE
    assert reason == "work: ValueError: file events.csv line 7: price 'abc' is not a number"
    assert sensors.records[canceled.run_id] == (Outcome.CANCELED, None)
    assert len(sensors.records) == 3


def test_a_failure_before_the_first_step_carries_the_run_failure_message(
    sensors: Sensors,
) -> None:
    run = create_run_for_test(sensors.instance, job_name="load_job")
    sensors.instance.report_run_failed(run, "resource lakebase failed to initialise")
    sensors.tick()
    assert sensors.records[run.run_id] == (
        Outcome.FAILURE,
        "resource lakebase failed to initialise",
    )


def test_runs_of_other_jobs_and_runs_dagster_retries_are_left_alone(sensors: Sensors) -> None:
    sensors.run(job=other_job, fail=True)
    retried = create_run_for_test(
        sensors.instance, job_name="load_job", tags={"dagster/will_retry": "true"}
    )
    sensors.instance.report_run_failed(retried, "worker died")
    sensors.tick()
    assert sensors.records == {}


def test_a_re_execution_is_the_newer_run_of_the_group(sensors: Sensors) -> None:
    first = create_run_for_test(sensors.instance, job_name="load_job")
    second = create_run_for_test(
        sensors.instance,
        job_name="load_job",
        root_run_id=first.run_id,
        parent_run_id=first.run_id,
        tags={"dagster/root_run_id": first.run_id, "dagster/parent_run_id": first.run_id},
    )
    assert newer_run_of_group(sensors.instance, first) == second.run_id
    assert newer_run_of_group(sensors.instance, second) is None


def test_strip_ansi_removes_colour_and_cursor_codes() -> None:
    assert strip_ansi("\x1b[1;31mFAIL\x1b[0m 1 \x1b[2Kdone") == "FAIL 1 done"
