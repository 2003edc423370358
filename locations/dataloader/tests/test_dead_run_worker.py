"""SIGKILL of a table load's run worker (and of the code server that launched it) under a
real ``dagster-daemon`` and the default run launcher: the dead-run-worker sensor fails the
run ("run worker <pid> is gone") and the dataloader's own ``table_load_failure_sensor``
fails the Lakebase row the run claimed, so it is no longer In Progress, within minutes.

The location is daemon_location.py: its ``master_sensor`` claims the row registered here
and launches the load, as in production; the load holds until it is killed.
"""

from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from dataloader.tags import CONFIG_ID_TAG, claim_of
from lakebase import (
    LakebaseClient,
    Status,
    TableControl,
    TableRegistration,
    apply_migrations,
    close_pools,
)
from local_services import PostgresCluster
from run_lifecycle.testing import DaemonDrill, daemon_drill

HERE = Path(__file__).parent
DATABASE = "dead_worker_lakebase"


@pytest.fixture(scope="module")
def lakebase_dsn(postgres_cluster: PostgresCluster) -> str:
    """A migrated Lakebase for this module."""
    dsn = postgres_cluster.create_database(DATABASE)
    apply_migrations(dsn)
    return dsn


@pytest.fixture(scope="module")
def lakebase(lakebase_dsn: str) -> Iterator[LakebaseClient]:
    """The test's own view of that Lakebase (the wall clock, as the daemon's)."""
    yield LakebaseClient(lakebase_dsn)
    close_pools()


@pytest.fixture(scope="module")
def drill(tmp_path_factory: pytest.TempPathFactory, lakebase_dsn: str) -> Iterator[DaemonDrill]:
    """The daemon over daemon_location.py, its ``LAKEBASE_*`` variables naming that Lakebase."""
    url = urlparse(lakebase_dsn)
    env = {
        "LAKEBASE_HOST": url.hostname or "",
        "LAKEBASE_PORT": str(url.port),
        "LAKEBASE_DATABASE": url.path.lstrip("/"),
    }
    home = tmp_path_factory.mktemp("dagster_home")
    with daemon_drill(home, HERE / "daemon_location.py", "dataloader", env) as drill:
        yield drill


def row_once(lakebase: LakebaseClient, config_id: int, in_progress: bool) -> TableControl | None:
    """The table's row once it is (``in_progress``) or is no longer In Progress."""
    row = lakebase.get_table(config_id)
    if row is None or (row.last_status == Status.IN_PROGRESS) != in_progress:
        return None
    return row


@pytest.mark.slow
@pytest.mark.integration
def test_a_killed_load_run_is_failed_and_its_row_released(
    drill: DaemonDrill,
    lakebase: LakebaseClient,
    source_dsn: str,
    registration: Callable[..., TableRegistration],
) -> None:
    config_id = lakebase.register_table(registration("orders", source_dsn), "sql")
    run = drill.started_run({CONFIG_ID_TAG: str(config_id)})
    claim = claim_of(run)
    assert claim is not None and claim[0] == config_id
    metadata_id = claim[1]

    loading = drill.wait_for(
        "the load took its row", lambda: row_once(lakebase, config_id, in_progress=True)
    )
    assert loading.claim_metadata_id == metadata_id
    assert loading.claim_run_id == run.run_id

    worker = drill.kill_worker(run)
    drill.failed_by_dead_worker_sensor(run, worker)
    released = drill.wait_for(
        "the row left In Progress", lambda: row_once(lakebase, config_id, in_progress=False)
    )
    assert released.last_status == Status.FAILED
    assert released.claim_metadata_id == metadata_id
    assert released.retry_count == 1  # counts as a failure, retried after its backoff
    assert (released.last_status_message or "").startswith(
        f"Run {run.run_id} failed: run worker {worker.pid} is gone"
    )
    [history] = lakebase.get_history(config_id)
    assert history["metadata_id"] == metadata_id and history["status"] == Status.FAILED
    assert history["dagster_run_id"] == run.run_id
