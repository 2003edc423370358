"""A real ``dagster-daemon`` (default run launcher) over one test code location, for the
drill every location's tests run: start a run, SIGKILL its worker and the code server that
launched it, and see the run failed by the dead-run-worker sensor and the location's record
released within the issue's bound (5 minutes).

The code server is killed first because, while it lives, Dagster's own orphan check fails a
run whose worker dies under it; a worker whose code server is gone too (a restart, an OOM
kill of both, a reboot) is the case only the dead-run-worker sensor sees.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import dagster as dg
import psutil

from run_lifecycle.workers import Worker, run_worker

T = TypeVar("T")
DEADLINE_SECONDS = 300.0
DAEMON_CONFIG = (
    "telemetry:\n  enabled: false\n"
    "run_coordinator:\n  module: dagster._core.run_coordinator\n"
    "  class: DefaultRunCoordinator\n"
)


@dataclass
class DaemonDrill:
    """A running daemon, its instance, and the steps of the drill."""

    home: Path
    process: subprocess.Popen
    instance: dg.DagsterInstance
    deadline_seconds: float = DEADLINE_SECONDS

    def wait_for(self, what: str, probe: Callable[[], T | None]) -> T:
        """``probe()`` once it is truthy; fails naming ``what`` and the daemon's log tail."""
        deadline = time.monotonic() + self.deadline_seconds
        while time.monotonic() < deadline:
            value = probe()
            if value:
                return value
            if self.process.poll() is not None:
                raise AssertionError(
                    f"dagster-daemon exited ({self.process.returncode}) before {what}:\n"
                    f"{self.log_tail()}"
                )
            time.sleep(1)
        raise AssertionError(f"not within {self.deadline_seconds:.0f} s: {what}\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        log = self.home / "daemon.log"
        return "\n".join(log.read_text().splitlines()[-lines:]) if log.exists() else ""

    def started_run(self, tags: Mapping[str, str]) -> dg.DagsterRun:
        """The STARTED run carrying ``tags``, once there is one."""

        def probe() -> dg.DagsterRun | None:
            runs = self.instance.get_runs(dg.RunsFilter(tags=dict(tags)), limit=1)
            return runs[0] if runs and runs[0].status == dg.DagsterRunStatus.STARTED else None

        return self.wait_for(f"a run tagged {dict(tags)} started", probe)

    def kill_worker(self, run: dg.DagsterRun) -> Worker:
        """SIGKILL the run's code server, then its worker; the worker killed."""
        worker = self.wait_for(
            f"run {run.run_id} reported its worker", lambda: run_worker(self.instance, run.run_id)
        )
        os.kill(psutil.Process(worker.pid).ppid(), signal.SIGKILL)
        os.kill(worker.pid, signal.SIGKILL)
        return worker

    def failed_by_dead_worker_sensor(self, run: dg.DagsterRun, worker: Worker) -> None:
        """Wait until the run is FAILURE, failed with "run worker <pid> is gone"."""

        def probe() -> dg.DagsterRun | None:
            current = self.instance.get_run_by_id(run.run_id)
            return current if current and current.status == dg.DagsterRunStatus.FAILURE else None

        self.wait_for(f"run {run.run_id} failed", probe)
        [failure] = self.instance.get_records_for_run(
            run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE
        ).records
        event = failure.event_log_entry.dagster_event
        message = (event.message if event else None) or ""
        assert message.startswith(f"run worker {worker.pid} is gone"), message


@contextmanager
def daemon_drill(
    home: Path, location_file: Path, location_name: str, env: Mapping[str, str]
) -> Iterator[DaemonDrill]:
    """``dagster-daemon run`` over ``location_file`` (served as ``location_name``) with
    DAGSTER_HOME ``home`` and ``env`` added to this process's environment; stopped with the
    code server it started on exit."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(DAEMON_CONFIG)
    (home / "workspace.yaml").write_text(
        "load_from:\n  - python_file:\n"
        f"      relative_path: {location_file}\n"
        f"      location_name: {location_name}\n"
    )
    with (home / "daemon.log").open("w") as log:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "dagster-daemon"),
                "run",
                "-w",
                str(home / "workspace.yaml"),
            ],
            env={**os.environ, **env, "DAGSTER_HOME": str(home)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        instance = dg.DagsterInstance.from_config(str(home))
        try:
            yield DaemonDrill(home, process, instance)
        finally:
            instance.dispose()
            os.killpg(process.pid, signal.SIGTERM)  # the daemon and its code server
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
