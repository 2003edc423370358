"""Dead run workers, judged against real processes of this host: a live worker is tagged
with its host and start time, a killed one fails its run, a reused pid counts as gone, and
a run tagged by another host is never judged here."""

import signal
import socket
import subprocess
import sys
from collections.abc import Iterator

import dagster as dg
import pytest
from dagster._core.events import EngineEventData
from dagster._core.test_utils import create_run_for_test

from run_lifecycle import WORKER_TAG, build_dead_run_worker_sensor, find_dead_workers

LOCATION = "estore"
HOST = socket.gethostname()


@pytest.fixture(scope="module")
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        yield instance


@pytest.fixture
def worker() -> Iterator[subprocess.Popen]:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield process
    process.kill()
    process.wait()


def started_run(
    instance: dg.DagsterInstance, pid: int, tags: dict[str, str] | None = None
) -> dg.DagsterRun:
    run = create_run_for_test(
        instance,
        job_name="load_job",
        status=dg.DagsterRunStatus.STARTED,
        tags={"dagster/code_location": LOCATION, **(tags or {})},
    )
    instance.report_engine_event(
        f"Started process for run (pid: {pid}).", run, EngineEventData.in_process(pid)
    )
    return run


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait()


def tick(instance: dg.DagsterInstance) -> None:
    sensor = build_dead_run_worker_sensor(LOCATION)
    sensor(dg.build_sensor_context(instance=instance))  # type: ignore[operator]


def status(instance: dg.DagsterInstance, run: dg.DagsterRun) -> dg.DagsterRunStatus:
    stored = instance.get_run_by_id(run.run_id)
    assert stored is not None
    return stored.status


def test_a_killed_worker_fails_its_run_with_the_pid(
    instance: dg.DagsterInstance, worker: subprocess.Popen
) -> None:
    run = started_run(instance, worker.pid)
    tick(instance)
    stored = instance.get_run_by_id(run.run_id)
    assert stored is not None and stored.status == dg.DagsterRunStatus.STARTED
    assert stored.tags[WORKER_TAG].split()[:2] == [HOST, str(worker.pid)]

    kill(worker)
    tick(instance)
    assert status(instance, run) == dg.DagsterRunStatus.FAILURE
    [failure] = instance.get_records_for_run(
        run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE
    ).records
    message = failure.event_log_entry.dagster_event.message  # type: ignore[union-attr]
    assert message is not None and message.startswith(f"run worker {worker.pid} is gone")
    tick(instance)  # a failed run is not failed again
    assert (
        len(
            instance.get_records_for_run(
                run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE
            ).records
        )
        == 1
    )


def test_a_pid_now_held_by_another_process_counts_as_gone(
    instance: dg.DagsterInstance, worker: subprocess.Popen
) -> None:
    # The tag says the worker started long before the process that holds its pid now.
    run = started_run(instance, worker.pid, {WORKER_TAG: f"{HOST} {worker.pid} 1000.0"})
    assert [dead.run_id for dead in find_dead_workers(instance, LOCATION)] == [run.run_id]
    # Without a tag, a process started after the worker reported its pid is not the worker.
    later = create_run_for_test(
        instance,
        job_name="load_job",
        status=dg.DagsterRunStatus.STARTED,
        tags={"dagster/code_location": LOCATION},
    )
    instance.report_engine_event(
        f"Started process for run (pid: {worker.pid}).",
        later,
        EngineEventData.in_process(worker.pid),
    )
    assert later.run_id not in {dead.run_id for dead in find_dead_workers(instance, LOCATION)}


def test_runs_of_other_hosts_and_other_locations_are_not_judged(
    instance: dg.DagsterInstance, worker: subprocess.Popen
) -> None:
    elsewhere = started_run(instance, worker.pid, {WORKER_TAG: f"other-host {worker.pid} 1.0"})
    other_location = create_run_for_test(
        instance,
        job_name="load_job",
        status=dg.DagsterRunStatus.STARTED,
        tags={"dagster/code_location": "reports"},
    )
    instance.report_engine_event(
        f"Started process for run (pid: {worker.pid}).",
        other_location,
        EngineEventData.in_process(worker.pid),
    )
    kill(worker)
    dead = {d.run_id for d in find_dead_workers(instance, LOCATION)}
    assert elsewhere.run_id not in dead and other_location.run_id not in dead
