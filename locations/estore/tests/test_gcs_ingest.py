"""gcs_new_file_sensor and gcs_to_bq_load_job end to end: GCS emulator over HTTP, DuckDB, real runs."""

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest
from dagster._core.definitions.sensor_definition import SensorExecutionData
from pytest_httpserver import HTTPServer

from estore.jobs.gcs_to_bq_load import JOB_NAME, LoadFileConfig, gcs_to_bq_load_job, load_run_config
from estore.resources.landing import LandingStore
from estore.resources.warehouse import DuckDBWarehouse
from estore.sample_data import write_events_csv
from estore.sensors.gcs_new_file import FeedSpec, build_gcs_new_file_sensor
from local_services import ServerProcess
from object_feed import FeedPolicy, JsonCursorCodec, gcs_client
from object_feed.testing import SensorDaemon
from platform_config import Environment

SUCCESS = dg.DagsterRunStatus.SUCCESS
FAILURE = dg.DagsterRunStatus.FAILURE


class Landing:
    def __init__(self, server: ServerProcess) -> None:
        self.client = gcs_client(server.url)
        self.name = f"landing-{uuid.uuid4().hex[:8]}"
        self.bucket = self.client.create_bucket(self.name)
        self.store = LandingStore(endpoint=server.url)

    def upload(self, key: str, path: Path) -> None:
        self.bucket.blob(key).upload_from_filename(str(path))


@pytest.fixture
def landing(gcs_emulator: ServerProcess) -> Landing:
    return Landing(gcs_emulator)


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        yield instance


def daemon_for(
    instance: dg.DagsterInstance, landing: Landing, database: Path, policy: FeedPolicy
) -> SensorDaemon:
    feed = FeedSpec("events", landing.name, "events/", "estore_raw.events", policy, "#estore")
    sensor = build_gcs_new_file_sensor("gcs_new_file_sensor", feed)
    resources = {"landing": landing.store, "warehouse": DuckDBWarehouse(database=str(database))}
    defs = dg.Definitions(
        jobs=[gcs_to_bq_load_job(Environment.LOCAL)], sensors=[sensor], resources=resources
    )
    return SensorDaemon(instance, sensor, defs.get_job_def(JOB_NAME), resources=resources)


def table_rows(database: Path) -> int:
    with duckdb.connect(str(database), read_only=True) as con:
        result = con.execute("SELECT count(*) FROM estore_raw.events").fetchone()
        return int(result[0]) if result else -1


def requested_keys(data: SensorExecutionData) -> list[str]:
    return [request.tags["latest_gcs_key"] for request in data.run_requests or []]


def test_each_file_is_loaded_once_across_in_flight_ticks_and_a_restart(
    instance: dg.DagsterInstance, landing: Landing, tmp_path: Path
) -> None:
    database = tmp_path / "warehouse.duckdb"
    for day, rows in (("01", 30), ("02", 40)):
        landing.upload(f"events/2019-10-{day}.csv", write_events_csv(tmp_path / f"{day}.csv", rows))
    landing.upload("events/README.txt", tmp_path.joinpath("01.csv"))
    daemon = daemon_for(instance, landing, database, FeedPolicy())

    first = daemon.tick()
    in_flight = daemon.tick()
    assert daemon.finish() == [SUCCESS, SUCCESS]

    restarted = daemon_for(instance, landing, database, FeedPolicy())
    restarted.cursor = daemon.cursor
    landing.upload("events/2019-10-03.csv", write_events_csv(tmp_path / "03.csv", 50))
    third = restarted.tick()
    assert restarted.finish() == [SUCCESS]
    last = restarted.tick()

    assert requested_keys(first) == ["events/2019-10-01.csv", "events/2019-10-02.csv"]
    assert requested_keys(in_flight) == []
    assert requested_keys(third) == ["events/2019-10-03.csv"]
    assert requested_keys(last) == []
    assert table_rows(database) == 120
    state = JsonCursorCodec().decode(restarted.cursor)
    assert state.watermark == "events/README.txt"  # not a CSV: settled without a run
    assert len(instance.get_runs()) == 3


def test_a_bad_file_fails_alone_is_quarantined_and_its_fixed_copy_loads_once(
    instance: dg.DagsterInstance, landing: Landing, tmp_path: Path, alert_sink: HTTPServer
) -> None:
    database = tmp_path / "warehouse.duckdb"
    landing.upload("events/2019-10-01.csv", write_events_csv(tmp_path / "a.csv", 10))
    bad = write_events_csv(tmp_path / "b.csv", 10)
    bad.write_text(
        bad.read_text()
        .replace("view,", "view,not-a-number-", 1)
        .replace("cart,", "cart,not-a-number-", 1)
    )
    landing.upload("events/2019-10-02.csv", bad)
    landing.upload("events/2019-10-03.csv", write_events_csv(tmp_path / "c.csv", 10))
    policy = FeedPolicy(max_attempts=2, backoff_base_seconds=0.5, backoff_max_seconds=0.5)
    daemon = daemon_for(instance, landing, database, policy)

    daemon.tick()
    assert daemon.finish() == [SUCCESS, FAILURE, SUCCESS]
    assert table_rows(database) == 20  # nothing of the bad file
    (failed,) = instance.get_runs(filters=dg.RunsFilter(statuses=[FAILURE]))
    event = instance.all_logs(failed.run_id, of_type=dg.DagsterEventType.STEP_FAILURE)[0]
    error = event.dagster_event.step_failure_data.error if event.dagster_event else None
    while error is not None and error.cause is not None:
        error = error.cause
    assert error is not None
    assert "gs://" in error.message and "events/2019-10-02.csv: line" in error.message

    waiting = daemon.tick()  # sees the failure: the retry waits for its backoff
    assert requested_keys(waiting) == []
    time.sleep(0.6)
    assert requested_keys(daemon.tick()) == ["events/2019-10-02.csv"]
    assert daemon.finish() == [FAILURE]
    daemon.tick()  # the last attempt failed: quarantined, alerted

    (alert,) = [json.loads(request.get_data()) for request, _ in alert_sink.log]
    assert alert["kind"] == "file_quarantined"
    assert alert["title"] == f"File quarantined: gs://{landing.name}/events/2019-10-02.csv"
    assert alert["details"]["Attempts"] == "2"
    assert "line" in alert["details"]["Reason"]
    assert table_rows(database) == 20
    assert requested_keys(daemon.tick()) == []

    # The documented recovery: upload the fixed file under a new name. It sorts below the
    # watermark (events/2019-10-03.csv has loaded) and is loaded once all the same.
    landing.upload("events/2019-10-02-fixed.csv", write_events_csv(tmp_path / "fixed.csv", 10))
    assert requested_keys(daemon.tick()) == ["events/2019-10-02-fixed.csv"]
    assert daemon.finish() == [SUCCESS]
    assert requested_keys(daemon.tick()) == []
    assert table_rows(database) == 30


def test_a_retried_run_for_the_same_file_never_appends_twice(
    instance: dg.DagsterInstance, landing: Landing, tmp_path: Path
) -> None:
    landing.upload("events/2019-10-01.csv", write_events_csv(tmp_path / "a.csv", 25))
    (blob,) = landing.client.list_blobs(landing.name)
    file = LoadFileConfig(
        bucket=landing.name, key="events/2019-10-01.csv", generation=str(blob.generation)
    )
    database = tmp_path / "warehouse.duckdb"
    resources = {"landing": landing.store, "warehouse": DuckDBWarehouse(database=str(database))}
    job = dg.Definitions(
        jobs=[gcs_to_bq_load_job(Environment.LOCAL)], resources=resources
    ).get_job_def(JOB_NAME)

    results = [
        job.execute_in_process(
            run_config=load_run_config(Environment.LOCAL, file), instance=instance
        )
        for _ in range(2)
    ]

    assert all(result.success for result in results)
    assert table_rows(database) == 25
    second = results[1].asset_materializations_for_node("load_csv_file")[0]
    assert second.metadata["already_loaded"] == dg.BoolMetadataValue(True)


def test_production_run_config_is_the_bigquery_load_of_the_spec() -> None:
    file = LoadFileConfig(bucket="estore-landing", key="events/a.csv", generation="7")

    config = load_run_config(Environment.PROD, file)

    assert config["ops"]["gcs_file_paths"]["config"]["key"] == "events/a.csv"
    assert config["ops"]["import_gcs_paths_to_bq"]["config"] == {
        "destination": "estore_raw.events",
        "load_job_config": {
            "source_format": "CSV",
            "autodetect": True,
            "skip_leading_rows": 1,
            "write_disposition": "WRITE_APPEND",
        },
    }
    job = gcs_to_bq_load_job(Environment.PROD)
    assert {node.name for node in job.graph.nodes} == {"gcs_file_paths", "import_gcs_paths_to_bq"}


def test_a_file_dropped_in_the_local_landing_folder_is_loaded(
    instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    root = tmp_path / "landing"
    write_events_csv(root / "estore-landing" / "events" / "2019-10-01.csv", 15)
    (root / "estore-landing" / "events" / ".2019-10-02.csv.part").write_text("half a fi")
    database = tmp_path / "warehouse.duckdb"
    feed = FeedSpec("events", "estore-landing", "events/", "estore_raw.events", FeedPolicy(), "#e")
    sensor = build_gcs_new_file_sensor("gcs_new_file_sensor", feed)
    resources = {
        "landing": LandingStore(local_root=str(root)),
        "warehouse": DuckDBWarehouse(database=str(database)),
    }
    job = dg.Definitions(
        jobs=[gcs_to_bq_load_job(Environment.LOCAL)], sensors=[sensor], resources=resources
    ).get_job_def(JOB_NAME)
    daemon = SensorDaemon(instance, sensor, job, resources=resources)

    assert requested_keys(daemon.tick()) == ["events/2019-10-01.csv"]
    assert daemon.finish() == [SUCCESS]
    assert table_rows(database) == 15


@pytest.mark.parametrize("committed", [False, True], ids=["killed-before-commit", "after-commit"])
def test_a_load_whose_worker_died_is_retried_and_loaded_once(
    instance: dg.DagsterInstance, landing: Landing, tmp_path: Path, committed: bool
) -> None:
    database = tmp_path / "warehouse.duckdb"
    landing.upload("events/2019-10-01.csv", write_events_csv(tmp_path / "a.csv", 12))
    daemon = daemon_for(instance, landing, database, FeedPolicy(backoff_base_seconds=0.5))
    daemon.tick()
    (run,) = daemon.created
    daemon.created.clear()
    instance.report_dagster_event(
        dg.DagsterEvent(event_type_value=dg.DagsterEventType.RUN_START.value, job_name=JOB_NAME),
        run_id=run.run_id,
    )
    if committed:  # the worker appended the file, then died before reporting success
        ops: Any = run.run_config["ops"]
        config = LoadFileConfig(**ops["load_csv_file"]["config"])
        with landing.store.fetched(config.bucket, config.key, config.generation) as path:
            DuckDBWarehouse(database=str(database)).load_csv(
                path, f"gs://{config.bucket}/{config.key}", config.generation, config.table, None
            )
    # What the dead-worker detector does to a run whose worker is gone.
    instance.report_run_failed(run, message="the run worker stopped responding")

    assert requested_keys(daemon.tick()) == []  # sees the failure: retry after the backoff
    time.sleep(0.6)
    assert requested_keys(daemon.tick()) == ["events/2019-10-01.csv"]
    assert daemon.finish() == [SUCCESS]
    assert requested_keys(daemon.tick()) == []

    assert table_rows(database) == 12
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM estore_raw._load_ledger").fetchone() == (1,)
