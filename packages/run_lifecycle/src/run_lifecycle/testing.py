"""A real ``dagster-daemon`` (default run launcher) over one test code location, for the
drill every location's tests run: start a run, SIGKILL its worker and the code server that
launched it, and see the run failed by the dead-run-worker sensor and the location's record
released within the issue's bound (5 minutes).

The code server runs as on the systemd VM (``deploy/systemd``): its own process, which the
daemon reaches over gRPC and a supervisor restarts when it dies; here the drill restarts it
at once, as ``Restart=`` would. It is killed with the worker because, while it lives,
Dagster's own orphan check fails a run whose worker dies under it; a worker whose code
server is gone too (an OOM kill of both, a host restart) is the case only the
dead-run-worker sensor sees. (A code server the daemon starts itself, as under ``dg dev``,
comes back at the daemon's next workspace reload, up to a minute later.)
"""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM the process's group (it and the processes it started), SIGKILL if it lingers."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except ProcessLookupError:
        process.wait()
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@dataclass
class CodeServer:
    """``dagster api grpc`` serving one python file on a fixed local port, restartable."""

    location_file: Path
    location_name: str
    env: dict[str, str]
    log: Path
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen | None = None

    def start(self, timeout: float = 120.0) -> None:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "dagster"),
                    *("api", "grpc", "--python-file", str(self.location_file)),
                    *("--location-name", self.location_name),
                    *("--host", "127.0.0.1", "--port", str(self.port)),
                ],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:  # it listens once its definitions are loaded
            if self.process.poll() is not None:
                raise AssertionError(f"the code server exited:\n{self.log.read_text()[-3000:]}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.2)
        raise AssertionError(f"the code server did not listen within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            _stop(self.process)


@dataclass
class DaemonDrill:
    """A running daemon, its instance, its code server, and the steps of the drill."""

    home: Path
    process: subprocess.Popen
    instance: dg.DagsterInstance
    code_server: CodeServer
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

    def sensors_have_ticked(self) -> bool:
        """Whether every sensor seen so far has completed a tick: a run status sensor's first
        tick sets its cursor to the newest event, so a failure before it is never seen (in a
        deployment the sensors tick long before any run dies)."""
        from dagster._core.scheduler.instigation import InstigatorType, TickStatus

        states = self.instance.all_instigator_state(instigator_type=InstigatorType.SENSOR)
        done = [TickStatus.SKIPPED, TickStatus.SUCCESS]
        return bool(states) and all(
            self.instance.get_ticks(
                state.instigator_origin_id, state.selector_id, limit=1, statuses=done
            )
            for state in states
        )

    def kill_worker(self, run: dg.DagsterRun) -> Worker:
        """Once every sensor has ticked, SIGKILL the run's code server, then its worker, and
        start the code server again (its supervisor's part); the worker killed."""
        worker = self.wait_for(
            f"run {run.run_id} reported its worker", lambda: run_worker(self.instance, run.run_id)
        )
        self.wait_for("every sensor completed a tick", self.sensors_have_ticked)
        server = self.code_server.process
        assert server is not None and psutil.Process(worker.pid).ppid() == server.pid
        os.kill(server.pid, signal.SIGKILL)
        os.kill(worker.pid, signal.SIGKILL)
        server.wait()
        self.code_server.start()
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
    """A code server for ``location_file`` (served as ``location_name``) and
    ``dagster-daemon run`` over it, with DAGSTER_HOME ``home`` and ``env`` added to this
    process's environment; both stopped on exit."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(DAEMON_CONFIG)
    environment = {**os.environ, **env, "DAGSTER_HOME": str(home)}
    server = CodeServer(location_file, location_name, environment, home / "code_server.log")
    server.start()
    (home / "workspace.yaml").write_text(
        "load_from:\n  - grpc_server:\n"
        f"      host: 127.0.0.1\n      port: {server.port}\n"
        f"      location_name: {location_name}\n"
    )
    try:
        with (home / "daemon.log").open("w") as log:
            process = subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "dagster-daemon"),
                    "run",
                    "-w",
                    str(home / "workspace.yaml"),
                ],
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            instance = dg.DagsterInstance.from_config(str(home))
            try:
                yield DaemonDrill(home, process, instance, server)
            finally:
                instance.dispose()
                _stop(process)
    finally:
        server.stop()
