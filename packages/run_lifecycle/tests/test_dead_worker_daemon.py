"""SIGKILL of a run worker and of the code server that launched it, under a real
``dagster-daemon`` and the default run launcher: the dead-run-worker sensor fails the run
("run worker <pid> is gone") and the location's own run-failure sensor releases its record
(spatial_etl: the ledger's manifest leaves "running"), all within minutes. One daemon, one
run: the location is daemon_location.py."""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import dagster as dg
import psutil
import pytest

from local_services import ServerProcess
from run_lifecycle import run_worker
from spatial_platform.ledger import LedgerStatus, ManifestRecord
from spatial_platform.mongodb_resource import MongoDBResource

HERE = Path(__file__).parent
DEADLINE_SECONDS = 300  # the bound: released within 5 minutes
LEDGER_DATABASE = "dead_worker_ledger"
T = TypeVar("T")


def wait_for(what: str, probe: Callable[[], T | None], daemon: subprocess.Popen) -> T:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        if daemon.poll() is not None:
            raise AssertionError(f"dagster-daemon exited ({daemon.returncode}) before {what}")
        time.sleep(1)
    raise AssertionError(f"not within {DEADLINE_SECONDS} s: {what}")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("dagster_home")
    (home / "dagster.yaml").write_text(
        "telemetry:\n  enabled: false\n"
        "run_coordinator:\n  module: dagster._core.run_coordinator\n"
        "  class: DefaultRunCoordinator\n"
    )
    (home / "workspace.yaml").write_text(
        "load_from:\n  - python_file:\n"
        f"      relative_path: {HERE / 'daemon_location.py'}\n"
        "      location_name: spatial_etl\n"
    )
    return home


@pytest.fixture(scope="module")
def ledger(mongodb_server: ServerProcess) -> Iterator[MongoDBResource]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MONGO_CONNECTION_STRING", mongodb_server.url)
        yield MongoDBResource(
            connection_string=dg.EnvVar("MONGO_CONNECTION_STRING"), database=LEDGER_DATABASE
        )


@pytest.fixture(scope="module")
def daemon(home: Path, mongodb_server: ServerProcess) -> Iterator[subprocess.Popen]:
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "HOLD_BATCHES": str(home / "batches.json"),
        "MONGO_CONNECTION_STRING": mongodb_server.url,
        "LEDGER_DATABASE": LEDGER_DATABASE,
    }
    log = (home / "daemon.log").open("w")
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "dagster-daemon"),
            "run",
            "-w",
            str(home / "workspace.yaml"),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    yield process
    os.killpg(process.pid, signal.SIGTERM)  # the daemon and the code server it started
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    log.close()


@pytest.mark.slow
@pytest.mark.integration
def test_a_killed_lane_run_is_failed_and_its_manifest_released(
    home: Path, daemon: subprocess.Popen, ledger: MongoDBResource
) -> None:
    batch = "killed_1"
    assert ledger.claim_manifest(
        ManifestRecord(batch_id=batch, manifest_key=f"manifests/{batch}.json", lane="ingest")
    )
    (home / "batches.json").write_text(json.dumps([batch]))
    instance = dg.DagsterInstance.from_config(str(home))

    def started() -> dg.DagsterRun | None:
        runs = instance.get_runs(dg.RunsFilter(tags={"batch_id": batch}))
        return runs[0] if runs and runs[0].status == dg.DagsterRunStatus.STARTED else None

    run = wait_for("the hold run started", started, daemon)
    worker = wait_for("its worker pid", lambda: run_worker(instance, run.run_id), daemon)

    def manifest_where(condition: Callable[[ManifestRecord], bool]) -> ManifestRecord | None:
        manifest = ledger.get_manifest(batch)
        return manifest if manifest is not None and condition(manifest) else None

    manifest = wait_for(
        "the run took its manifest",
        lambda: manifest_where(lambda m: m.dagster_run_id == run.run_id),
        daemon,
    )
    assert manifest.status == LedgerStatus.RUNNING
    # The code server that launched the worker fails a worker that dies under it; a worker
    # whose code server is gone too (a restart, an OOM kill of both, a reboot) is the case
    # only the dead-run-worker sensor sees: kill both, the server first.
    os.kill(psutil.Process(worker.pid).ppid(), signal.SIGKILL)
    os.kill(worker.pid, signal.SIGKILL)

    def failed() -> dg.DagsterRun | None:
        current = instance.get_run_by_id(run.run_id)
        return current if current and current.status == dg.DagsterRunStatus.FAILURE else None

    wait_for("the run failed", failed, daemon)
    [failure] = instance.get_records_for_run(
        run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE
    ).records
    event = failure.event_log_entry.dagster_event
    assert event is not None and (event.message or "").startswith(
        f"run worker {worker.pid} is gone"
    )
    released = wait_for(
        "the manifest left 'running'",
        lambda: manifest_where(lambda m: m.status != LedgerStatus.RUNNING),
        daemon,
    )
    assert released.status == LedgerStatus.FAILURE
    assert f"run worker {worker.pid} is gone" in (released.error_message or "")
    instance.dispose()
