"""Dead run workers on single-host deployments, found in minutes.

``DefaultRunLauncher`` (``dg dev``, the systemd VM) cannot tell whether a run worker is
alive, so a worker killed by SIGKILL, the OOM killer or a restart leaves its run STARTED
until run monitoring's ``max_runtime_seconds``, and the run's record (a file in flight, a
ledger entry, a claim) with it. The worker writes its pid in the run's event log
("Started process for run (pid: N)"); when that process no longer exists on this host,
the run is failed through the instance with "run worker <pid> is gone", and the
location's run-failure sensors release its record as for any other failure.

Guards: only launchers without a worker health check are watched (Kubernetes and Docker
have their own); a pid that now belongs to a newer process (pid reuse) counts as gone; the
first time a worker is seen alive, the run is tagged with this host and the process's
start time, and a run tagged by another host is never judged here.
"""

import socket
from dataclasses import dataclass

import dagster as dg
import psutil
from dagster._core.events import EngineEventData, JobFailureData, RunFailureReason

WORKER_TAG = "run_lifecycle/worker"  # "<host> <pid> <process start time>"
_STARTED = "Started process for run (pid: "
_CLOCK_SLACK_SECONDS = 2.0  # process start times come from the kernel's boot clock


@dataclass(frozen=True)
class Worker:
    """A run's worker process as its event log reports it."""

    pid: int
    reported_at: float  # when the worker wrote its pid


@dataclass(frozen=True)
class DeadWorker:
    run_id: str
    pid: int
    why: str

    def message(self) -> str:
        return f"run worker {self.pid} is gone ({self.why}); the run is marked failed"


def run_worker(instance: dg.DagsterInstance, run_id: str) -> Worker | None:
    """The worker pid the run reported, or None (a run executed in process). The worker
    writes it among the run's first engine events, before any step's."""
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ENGINE_EVENT, ascending=True, limit=50
    ).records
    for record in records:
        entry = record.event_log_entry
        event = entry.dagster_event
        if event is None or not (event.message or "").startswith(_STARTED):
            continue
        data = event.event_specific_data
        if isinstance(data, EngineEventData) and "pid" in data.metadata:
            return Worker(int(str(data.metadata["pid"].value)), entry.timestamp)
    return None


def _process_start(pid: int) -> float | None:
    """The start time of live process ``pid``, None if there is none (or only a zombie)."""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
        return process.create_time()
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return None


def judge(
    instance: dg.DagsterInstance, run: dg.DagsterRun, host: str
) -> tuple[DeadWorker | None, str | None]:
    """Whether ``run``'s worker is gone, and the worker tag to set on first sight."""
    worker = run_worker(instance, run.run_id)
    if worker is None:
        return None, None
    seen = run.tags.get(WORKER_TAG, "").split()
    if seen and seen[0] != host:
        return None, None  # started on another host: not ours to judge
    started = _process_start(worker.pid)
    if started is None:
        return DeadWorker(run.run_id, worker.pid, f"no process {worker.pid} on {host}"), None
    if len(seen) == 3 and seen[1] == str(worker.pid):
        if abs(float(seen[2]) - started) > _CLOCK_SLACK_SECONDS:
            why = f"pid {worker.pid} on {host} now belongs to a process started later"
            return DeadWorker(run.run_id, worker.pid, why), None
        return None, None
    if started > worker.reported_at + _CLOCK_SLACK_SECONDS:
        why = f"pid {worker.pid} on {host} belongs to a process started after the run's worker"
        return DeadWorker(run.run_id, worker.pid, why), None
    return None, f"{host} {worker.pid} {started:.3f}"


def watched(instance: dg.DagsterInstance) -> bool:
    """True when the run launcher cannot check its workers itself (the default launcher)."""
    return not instance.run_launcher.supports_check_run_worker_health


def find_dead_workers(
    instance: dg.DagsterInstance, location: str, host: str | None = None, limit: int = 200
) -> list[DeadWorker]:
    """The STARTED runs of ``location`` whose worker is gone from this host; tags the
    runs whose worker is seen alive for the first time."""
    host = host or socket.gethostname()
    runs = instance.get_runs(
        dg.RunsFilter(
            statuses=[dg.DagsterRunStatus.STARTED], tags={"dagster/code_location": location}
        ),
        limit=limit,
    )
    dead = []
    for run in runs:
        gone, tag = judge(instance, run, host)
        if tag is not None:
            instance.add_run_tags(run.run_id, {WORKER_TAG: tag})
        if gone is not None:
            dead.append(gone)
    return dead


def fail_dead_run(instance: dg.DagsterInstance, dead: DeadWorker) -> bool:
    """Fail the run unless it ended meanwhile (its worker wrote the end, then exited)."""
    run = instance.get_run_by_id(dead.run_id)
    if run is None or run.status != dg.DagsterRunStatus.STARTED:
        return False
    instance.report_run_failed(
        run,
        dead.message(),
        JobFailureData(error=None, failure_reason=RunFailureReason.UNEXPECTED_TERMINATION),
    )
    return True


def build_dead_run_worker_sensor(
    location: str,
    minimum_interval_seconds: int = 60,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.RUNNING,
    name: str = "dead_run_worker_sensor",
) -> dg.SensorDefinition:
    """The sensor failing the runs of ``location`` whose worker is gone from this host."""

    @dg.sensor(
        name=name,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        description=(
            f"Fails a STARTED {location} run whose run worker process no longer exists on "
            "this host (default run launcher only), so its record is released in minutes."
        ),
    )
    def dead_run_worker_sensor(
        context: dg.SensorEvaluationContext,
    ) -> dg.SensorResult | dg.SkipReason:
        instance = context.instance
        if not watched(instance):
            return dg.SkipReason(
                f"{type(instance.run_launcher).__name__} checks its run workers itself"
            )
        failed = []
        for dead in find_dead_workers(instance, location):
            if fail_dead_run(instance, dead):
                context.log.warning(f"Run {dead.run_id}: {dead.message()}")
                failed.append(dead.run_id)
        if not failed:
            return dg.SkipReason("Every STARTED run's worker is alive")
        return dg.SensorResult()  # the runs failed are in the tick's log

    return dead_run_worker_sensor
