"""SIGKILL of a run worker and of the code server that launched it, under a real
``dagster-daemon`` and the default run launcher: the dead-run-worker sensor fails the run
("run worker <pid> is gone") and spatial_etl's own run-failure sensor releases its record
(the ledger's manifest leaves "running"), all within minutes. The location is
daemon_location.py; estore, reports and the dataloader run the same drill in their tests."""

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import pytest

from local_services import ServerProcess
from run_lifecycle.testing import DaemonDrill, daemon_drill
from spatial_platform.ledger import LedgerStatus, ManifestRecord
from spatial_platform.mongodb_resource import MongoDBResource

HERE = Path(__file__).parent
LEDGER_DATABASE = "dead_worker_ledger"


@pytest.fixture(scope="module")
def ledger(mongodb_server: ServerProcess) -> Iterator[MongoDBResource]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MONGO_CONNECTION_STRING", mongodb_server.url)
        yield MongoDBResource(
            connection_string=dg.EnvVar("MONGO_CONNECTION_STRING"), database=LEDGER_DATABASE
        )


@pytest.fixture(scope="module")
def drill(
    tmp_path_factory: pytest.TempPathFactory, mongodb_server: ServerProcess
) -> Iterator[DaemonDrill]:
    home = tmp_path_factory.mktemp("dagster_home")
    env = {
        "HOLD_BATCHES": str(home / "batches.json"),
        "MONGO_CONNECTION_STRING": mongodb_server.url,
        "LEDGER_DATABASE": LEDGER_DATABASE,
    }
    with daemon_drill(home, HERE / "daemon_location.py", "spatial_etl", env) as drill:
        yield drill


@pytest.mark.slow
@pytest.mark.integration
def test_a_killed_lane_run_is_failed_and_its_manifest_released(
    drill: DaemonDrill, ledger: MongoDBResource
) -> None:
    batch = "killed_1"
    assert ledger.claim_manifest(
        ManifestRecord(batch_id=batch, manifest_key=f"manifests/{batch}.json", lane="ingest")
    )
    (drill.home / "batches.json").write_text(json.dumps([batch]))
    run = drill.started_run({"batch_id": batch})

    def manifest_where(condition: Callable[[ManifestRecord], bool]) -> ManifestRecord | None:
        manifest = ledger.get_manifest(batch)
        return manifest if manifest is not None and condition(manifest) else None

    manifest = drill.wait_for(
        "the run took its manifest",
        lambda: manifest_where(lambda m: m.dagster_run_id == run.run_id),
    )
    assert manifest.status == LedgerStatus.RUNNING
    worker = drill.kill_worker(run)
    drill.failed_by_dead_worker_sensor(run, worker)
    released = drill.wait_for(
        "the manifest left 'running'",
        lambda: manifest_where(lambda m: m.status != LedgerStatus.RUNNING),
    )
    assert released.status == LedgerStatus.FAILURE
    assert f"run worker {worker.pid} is gone" in (released.error_message or "")
