"""Exactly once per (report, due time) in each approach: across ticks, restarts, a catalogue
refresh and a change of approach."""

import datetime as dt
from dataclasses import replace

import dagster as dg
import pytest

from reports.catalogue_state import CatalogueState
from reports.runs import DUE_AT_TAG, REPORT_ID_TAG
from reports.schedules.unified_report import build_unified_report_schedule
from reports.scheduling.trigger import TriggerSettings
from reports.sensors.report_cron import build_report_cron_sensor
from reports.sensors.report_pipeline import build_report_pipeline_sensor
from reports.testing import ManualClock, catalogue_of, launch

JOB = "process_report_job"


def job_named(name: str) -> dg.JobDefinition:
    """A job the pipeline sensor may target (these tests only create its runs' records)."""
    return dg.GraphDefinition(name=name, node_defs=[]).to_job()


def keys(requests: list[dg.RunRequest]) -> list[str]:
    return sorted(str(r.run_key) for r in requests)


def sensor_tick(
    instance: dg.DagsterInstance, trigger: TriggerSettings, interval: int = 60
) -> list[dg.RunRequest]:
    """One tick of a freshly built sensor (as after a daemon or code server restart)."""
    sensor = build_report_cron_sensor(trigger, JOB, interval)
    return evaluate(sensor, instance)


def evaluate(sensor: dg.SensorDefinition, instance: dg.DagsterInstance) -> list[dg.RunRequest]:
    result = sensor(dg.build_sensor_context(instance=instance))
    assert isinstance(result, dg.SensorResult)
    requests = list(result.run_requests or [])
    launch(instance, requests)
    return requests


def schedule_tick(
    instance: dg.DagsterInstance, trigger: TriggerSettings, at: str, interval: int = 3600
) -> list[dg.RunRequest]:
    schedule = build_unified_report_schedule(trigger, JOB, "0 * * * *", interval)
    when = dt.datetime.fromisoformat(at).replace(tzinfo=dt.UTC)
    # Entered: the context opens its own instance from the reference and makes that
    # instance's defs-state storage current until the context closes.
    with dg.build_schedule_context(instance=instance, scheduled_execution_time=when) as context:
        result = schedule(context)
    requests = result if isinstance(result, list) else []
    launch(instance, requests)
    return requests


def pipeline_tick(
    instance: dg.DagsterInstance, trigger: TriggerSettings, loaded: list[int]
) -> tuple[list[dg.RunRequest], str | None]:
    jobs = [job_named(JOB), *(job_named(f"process_report_{i}") for i in loaded)]
    sensor = build_report_pipeline_sensor(trigger, jobs, loaded, "0 * * * *", 3600)
    result = sensor(dg.build_sensor_context(instance=instance))
    assert isinstance(result, dg.SensorResult)
    requests = list(result.run_requests or [])
    launch(instance, requests)
    return requests, result.skip_reason.skip_message if result.skip_reason else None


@pytest.fixture
def catalogue(state: CatalogueState) -> CatalogueState:
    state.write(
        catalogue_of(
            (1, "every five", "*/5 * * * *"), (2, "hourly", "0 * * * *"), (3, "bad", "0 25 * * *")
        )
    )
    return state


def test_sensor_runs_each_due_time_once_across_ticks(
    instance: dg.DagsterInstance,
    trigger: TriggerSettings,
    clock: ManualClock,
    catalogue: CatalogueState,
) -> None:
    clock.set("2024-01-01T10:00:30")
    first = sensor_tick(instance, trigger)
    assert keys(first) == ["1:2024-01-01T10:00:00+00:00", "2:2024-01-01T10:00:00+00:00"]
    assert first[0].partition_key in {"1", "2"}
    assert first[0].tags[DUE_AT_TAG] == "2024-01-01T10:00:00+00:00"
    assert set(instance.get_dynamic_partitions("reports")) == {"1", "2"}
    clock.set("2024-01-01T10:01:30")
    assert sensor_tick(instance, trigger) == []  # 10:00 is rechecked, already requested
    clock.set("2024-01-01T10:05:10")
    assert keys(sensor_tick(instance, trigger)) == ["1:2024-01-01T10:05:00+00:00"]
    clock.set("2024-01-01T10:05:40")
    assert sensor_tick(instance, trigger) == []


def test_a_tick_whose_runs_were_never_created_is_made_good_by_the_next(
    instance: dg.DagsterInstance,
    trigger: TriggerSettings,
    clock: ManualClock,
    catalogue: CatalogueState,
) -> None:
    clock.set("2024-01-01T10:00:30")
    sensor = build_report_cron_sensor(trigger, JOB, 60)
    lost = sensor(dg.build_sensor_context(instance=instance))
    assert isinstance(lost, dg.SensorResult)
    assert len(lost.run_requests or []) == 2  # the daemon dies before creating them
    clock.set("2024-01-01T10:01:30")
    assert keys(sensor_tick(instance, trigger)) == keys(list(lost.run_requests or []))


def test_after_a_restart_missed_due_times_are_caught_up_within_bounds(
    instance: dg.DagsterInstance,
    trigger: TriggerSettings,
    clock: ManualClock,
    catalogue: CatalogueState,
) -> None:
    clock.set("2024-01-01T10:00:30")
    sensor_tick(instance, trigger)
    clock.set("2024-01-01T10:31:00")  # the daemon was down for half an hour
    caught_up = keys(sensor_tick(instance, trigger))
    # report 1 missed 10:05 ... 10:30: the latest 3 run (the limit); report 2 missed nothing
    assert caught_up == [f"1:2024-01-01T10:{m}:00+00:00" for m in ("20", "25", "30")]
    clock.set("2024-01-01T10:31:30")
    assert sensor_tick(instance, trigger) == []


def test_an_outage_longer_than_the_catchup_window_is_cut(
    instance: dg.DagsterInstance,
    trigger: TriggerSettings,
    clock: ManualClock,
    catalogue: CatalogueState,
) -> None:
    clock.set("2024-01-01T10:00:30")
    sensor_tick(instance, trigger)
    clock.set("2024-01-02T10:00:30")
    requests = sensor_tick(instance, trigger)
    due = [r.tags[DUE_AT_TAG] for r in requests if r.tags[REPORT_ID_TAG] == "2"]
    # the window reaches back 6 hours (the cap), and of the missed hours the latest 3 run
    assert due == [f"2024-01-02T{h}:00:00+00:00" for h in ("07", "08", "09", "10")]


def test_invalid_cron_skips_that_report_only(
    instance: dg.DagsterInstance,
    trigger: TriggerSettings,
    clock: ManualClock,
    catalogue: CatalogueState,
) -> None:
    clock.set("2024-01-01T10:00:30")
    reports = {r.tags[REPORT_ID_TAG] for r in sensor_tick(instance, trigger)}
    assert reports == {"1", "2"}


def test_a_tick_with_nothing_new_says_what_it_found(
    instance: dg.DagsterInstance,
    trigger: TriggerSettings,
    clock: ManualClock,
    catalogue: CatalogueState,
) -> None:
    clock.set("2024-01-01T10:00:30")
    sensor_tick(instance, trigger)
    clock.set("2024-01-01T10:01:30")
    result = build_report_cron_sensor(trigger, JOB, 60)(dg.build_sensor_context(instance=instance))
    assert isinstance(result, dg.SensorResult) and result.skip_reason
    message = str(result.skip_reason.skip_message)
    assert "2 already requested" in message and "1 skipped for an invalid cron" in message


def test_schedule_runs_each_due_time_of_its_interval_once(
    persistent_instance: dg.DagsterInstance, trigger: TriggerSettings, catalogue: CatalogueState
) -> None:
    first = keys(schedule_tick(persistent_instance, trigger, "2024-01-01T10:00:00"))
    assert len(first) == 12 + 1  # every five minutes in the last hour, and the hourly one
    assert (
        schedule_tick(persistent_instance, trigger, "2024-01-01T10:00:00") == []
    )  # same tick again
    second = keys(schedule_tick(persistent_instance, trigger, "2024-01-01T11:00:00"))
    assert len(second) == 13 and not set(first) & set(second)


def test_changing_approach_neither_repeats_nor_misses(
    persistent_instance: dg.DagsterInstance,
    trigger: TriggerSettings,
    clock: ManualClock,
    catalogue: CatalogueState,
) -> None:
    clock.set("2024-01-01T10:00:30")
    by_sensor = keys(sensor_tick(persistent_instance, trigger))
    clock.set("2024-01-01T10:20:30")
    by_sensor += keys(sensor_tick(persistent_instance, trigger))
    # switch to the schedule: its first tick picks up exactly what the sensor did not run
    by_schedule = keys(schedule_tick(persistent_instance, trigger, "2024-01-01T11:00:00"))
    assert not set(by_sensor) & set(by_schedule)
    every_five = sorted(k for k in by_sensor + by_schedule if k.startswith("1:"))
    expected = [
        f"1:2024-01-01T{h}:{m:02d}:00+00:00" for h, m in [("10", m) for m in range(0, 60, 5)]
    ]
    assert every_five == [*expected, "1:2024-01-01T11:00:00+00:00"]
    # and to the pipeline: its first evaluation (on the next hour) continues from there
    clock.set("2024-01-01T12:00:10")
    by_pipeline, _ = pipeline_tick(persistent_instance, trigger, loaded=[1, 2])
    assert not set(keys(by_pipeline)) & set(by_sensor + by_schedule)
    assert len([r for r in by_pipeline if r.tags[REPORT_ID_TAG] == "1"]) == 12


def test_pipeline_runs_each_report_in_its_own_job_on_the_schedule_ticks(
    instance: dg.DagsterInstance,
    trigger: TriggerSettings,
    clock: ManualClock,
    catalogue: CatalogueState,
) -> None:
    clock.set("2024-01-01T10:00:10")
    requests, _ = pipeline_tick(instance, trigger, loaded=[1])  # report 2 is new, not loaded
    jobs = {r.tags[REPORT_ID_TAG]: r.job_name for r in requests}
    assert jobs == {"1": "process_report_1", "2": "process_report_job"}
    clock.set("2024-01-01T10:30:00")
    requests, skip = pipeline_tick(instance, trigger, loaded=[1, 2])
    assert requests == [] and skip and "next evaluation at 2024-01-01T11:00:00+00:00" in skip
    clock.set("2024-01-01T11:00:05")
    requests, _ = pipeline_tick(instance, trigger, loaded=[1, 2])
    assert {r.job_name for r in requests} == {"process_report_1", "process_report_2"}
    assert len(requests) == 13


def test_a_cron_change_applies_at_the_next_tick(
    instance: dg.DagsterInstance,
    trigger: TriggerSettings,
    clock: ManualClock,
    state: CatalogueState,
) -> None:
    state.write(catalogue_of((1, "daily", "0 9 * * *")))
    clock.set("2024-01-01T09:00:30")
    assert keys(sensor_tick(instance, trigger)) == ["1:2024-01-01T09:00:00+00:00"]
    state.write(catalogue_of((1, "daily", "0 10 * * *"), (4, "new", "0 10 * * *")))
    clock.set("2024-01-01T10:00:30")
    assert keys(sensor_tick(instance, trigger)) == [
        "1:2024-01-01T10:00:00+00:00",
        "4:2024-01-01T10:00:00+00:00",
    ]
    state.write(catalogue_of((4, "new", "0 10 * * *")))  # report 1 removed
    clock.set("2024-01-02T10:00:30")
    assert keys(sensor_tick(instance, trigger)) == ["4:2024-01-02T10:00:00+00:00"]


def test_without_a_catalogue_the_triggers_say_how_to_get_one(
    instance: dg.DagsterInstance, trigger: TriggerSettings
) -> None:
    sensor = build_report_cron_sensor(trigger, JOB, 60)
    result = sensor(dg.build_sensor_context(instance=instance))
    assert isinstance(result, dg.SensorResult) and result.skip_reason
    assert "daily_report_discovery_sensor" in str(result.skip_reason.skip_message)


@pytest.mark.parametrize("approach", ["sensor", "schedule", "pipeline"])
def test_a_report_whose_cron_never_fires_is_isolated_in_every_approach(
    approach: str,
    persistent_instance: dg.DagsterInstance,
    trigger: TriggerSettings,
    clock: ManualClock,
    state: CatalogueState,
) -> None:
    # As an earlier discovery stored it: the cron parses, so it was not marked invalid.
    state.write(
        catalogue_of((1, "hourly", "0 * * * *"), (2, "31 February", "0 0 31 2 *")),
    )
    alerts: list[str] = []
    trigger = replace(trigger, alert=alerts.append)
    clock.set("2024-01-01T10:00:10")
    if approach == "sensor":
        requests = sensor_tick(persistent_instance, trigger)
    elif approach == "schedule":
        requests = schedule_tick(persistent_instance, trigger, "2024-01-01T10:00:00")
    else:
        requests, _ = pipeline_tick(persistent_instance, trigger, loaded=[1, 2])
    assert keys(requests) == ["1:2024-01-01T10:00:00+00:00"]


def test_a_report_whose_evaluation_raises_is_logged_alerted_and_skipped(
    instance: dg.DagsterInstance,
    trigger: TriggerSettings,
    clock: ManualClock,
    state: CatalogueState,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    from reports.scheduling import due

    state.write(catalogue_of((1, "hourly", "0 * * * *"), (2, "daily", "0 10 * * *")))
    real = due.due_times

    def failing(expression: str, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
        if expression == "0 10 * * *":
            raise RuntimeError("croniter gave up")
        return real(expression, start, end)

    monkeypatch.setattr(due, "due_times", failing)
    alerts: list[str] = []
    trigger = replace(trigger, alert=alerts.append)
    clock.set("2024-01-01T10:00:30")
    assert keys(sensor_tick(instance, trigger)) == ["1:2024-01-01T10:00:00+00:00"]
    assert "report_evaluation_failed" in capfd.readouterr().err
    (alert,) = alerts
    assert "Report 2 (daily) skipped: evaluating its cron raised RuntimeError" in alert
    assert "'0 10 * * *'" in alert
    clock.set("2024-01-01T10:01:30")
    sensor_tick(instance, trigger)
    assert len(alerts) == 1  # alerted once


def test_a_catch_up_is_capped_per_tick_oldest_first_and_still_exactly_once(
    instance: dg.DagsterInstance,
    trigger: TriggerSettings,
    clock: ManualClock,
    state: CatalogueState,
    capfd: pytest.CaptureFixture[str],
) -> None:
    state.write(catalogue_of(*((i, f"report {i}", "*/10 * * * *") for i in range(1, 11))))
    clock.set("2024-01-01T10:00:30")
    assert len(sensor_tick(instance, trigger)) == 10  # all due at 10:00
    trigger = replace(trigger, limits=replace(trigger.limits, max_run_requests_per_tick=7))
    clock.set("2024-01-01T12:00:30")  # two hours down: each report keeps its latest 3 missed
    capfd.readouterr()
    requested: list[str] = []
    for _ in range(19):  # one tick a minute, 7 runs at most each
        requests = sensor_tick(instance, trigger)
        assert len(requests) <= 7
        due_at = [r.tags[DUE_AT_TAG] for r in requests]
        assert due_at == sorted(due_at)  # oldest first
        requested += keys(requests)
        clock.now += dt.timedelta(minutes=1)
    assert len(requested) == len(set(requested))  # exactly once
    expected = {f"{i}:2024-01-01T10:00:00+00:00" for i in range(1, 11)}
    expected |= {
        f"{i}:2024-01-01T{t}:00+00:00"
        for i in range(1, 11)
        for t in ("11:30", "11:40", "11:50", "12:00", "12:10")
    }
    run_keys = {str(r.tags["dagster/run_key"]) for r in instance.get_runs()}
    assert run_keys == expected
    dropped_lines = [
        line for line in capfd.readouterr().err.splitlines() if "catchup_dropped" in line
    ]
    assert len(dropped_lines) == 10  # one summary per report, not one per due time
    # 10:10 to 11:20: every due time after the last evaluated instant up to the last dropped
    assert "after 2024-01-01T10:00:30+00:00 up to 2024-01-01T11:20:00+00:00" in dropped_lines[0]
