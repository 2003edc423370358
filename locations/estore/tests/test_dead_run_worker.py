"""SIGKILL of a load's run worker (and of the code server that launched it) under a real
``dagster-daemon`` and the default run launcher: the dead-run-worker sensor fails the run
("run worker <pid> is gone"), estore's feed sensor sees the failure and retries the file
after its backoff, and the file is loaded exactly once. The location is daemon_location.py;
the other locations run the same drill (``run_lifecycle.testing``)."""

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster._core.definitions.run_request import InstigatorType
from dagster._core.scheduler.instigation import SensorInstigatorData

from estore.sample_data import drop_events
from object_feed import ATTEMPT_TAG, KEY_TAG, FeedState, JsonCursorCodec
from run_lifecycle.testing import DaemonDrill, daemon_drill

HERE = Path(__file__).parent
SENSOR = "gcs_new_file_sensor"


@pytest.fixture(scope="module")
def drill(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonDrill]:
    home = tmp_path_factory.mktemp("dagster_home")
    env = {
        "DAGSTER_ENVIRONMENT": "local",
        "ESTORE_LANDING_DIR": str(home / "landing"),
        "ESTORE_DUCKDB_PATH": str(home / "warehouse.duckdb"),
        "HOLD_MARKER": str(home / "hold"),
    }
    with daemon_drill(home, HERE / "daemon_location.py", "estore", env) as drill:
        yield drill


def feed_state(drill: DaemonDrill) -> FeedState | None:
    """The feed sensor's cursor, once it has one."""
    for state in drill.instance.all_instigator_state(instigator_type=InstigatorType.SENSOR):
        data = state.instigator_data
        if state.instigator_name == SENSOR and isinstance(data, SensorInstigatorData):
            return JsonCursorCodec().decode(data.cursor) if data.cursor else None
    return None


def runs_of(drill: DaemonDrill, key: str) -> list[dg.DagsterRun]:
    """The load runs of ``key``, oldest first."""
    return list(reversed(drill.instance.get_runs(dg.RunsFilter(tags={KEY_TAG: key}))))


@pytest.mark.slow
@pytest.mark.integration
def test_a_killed_load_is_failed_retried_and_its_file_loaded_once(drill: DaemonDrill) -> None:
    hold = drill.home / "hold"
    hold.touch()
    csv = drop_events(drill.home / "landing", rows=40, day=date(2019, 10, 1))
    key = "events/2019-10-01.csv"
    lines = csv.read_text().splitlines()[1:]
    assert len(set(lines)) == len(lines) == 40  # no duplicate rows in the file itself

    killed = drill.started_run({KEY_TAG: key})
    drill.wait_for(
        "the load held before writing",
        lambda: hold.with_name(f"hold.{killed.run_id}").exists(),
    )
    worker = drill.kill_worker(killed)
    drill.failed_by_dead_worker_sensor(killed, worker)
    hold.unlink()

    def succeeded() -> dg.DagsterRun | None:
        done = [run for run in runs_of(drill, key) if run.status == dg.DagsterRunStatus.SUCCESS]
        return done[0] if done else None

    retry = drill.wait_for(f"a retried load of {key} succeeded", succeeded)

    def settled() -> FeedState | None:
        state = feed_state(drill)
        if state is None or key in state.pending:
            return None
        return state if key in state.settled or state.watermark == key else None

    drill.wait_for(f"the feed settled {key} (never to request it again)", settled)
    assert [(run.run_id, run.status) for run in runs_of(drill, key)] == [
        (killed.run_id, dg.DagsterRunStatus.FAILURE),
        (retry.run_id, dg.DagsterRunStatus.SUCCESS),
    ]
    assert retry.tags[ATTEMPT_TAG] == "2"
    late = drill.instance.get_records_for_run(
        killed.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
    ).records
    assert not late, "the killed run's step went on loading after its run was failed"
    with duckdb.connect(str(drill.home / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT count(*), count(DISTINCT (event_time, event_type, product_id, category_id,"
            " category_code, brand, price, user_id, user_session)), count(DISTINCT _loaded_at)"
            " FROM estore_raw.events"
        ).fetchone()
        ledger = con.execute(
            "SELECT source_uri, row_count, run_id FROM estore_raw._load_ledger"
        ).fetchall()
    assert rows == (40, 40, 1)  # every row once, from one load
    assert ledger == [(f"gs://estore-landing/{key}", 40, retry.run_id)]  # the retry's load
