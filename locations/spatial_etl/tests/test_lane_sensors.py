"""The lane sensors on moto's S3 server and a ledger on a MongoDB wire server: routing, tags, archiving, the
traffic controller, bad input and exactly-once."""

import json

import dagster as dg
import pytest

from spatial_etl.components.manifest_lanes import ManifestLanes
from spatial_etl.intake.cursor import MAX_CURSOR_KEYS, parse_cursor
from spatial_etl.intake.lanes import ROUTER_ENV_VAR
from spatial_etl.testing import Landing, SensorDaemon, lane_daemon
from spatial_platform.ledger import AssetRecord, LedgerStatus, ManifestRecord
from spatial_platform.minio_resource import MinIOResource
from spatial_platform.mongodb_resource import MongoDBResource

LANE_SENSORS = ["manifest_sensor", "spatial_sensor", "tabular_sensor", "join_sensor"]


@pytest.fixture(autouse=True)
def _router_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ROUTER_ENV_VAR, raising=False)


def tick_all(daemon: SensorDaemon) -> dict[str, list[str]]:
    """Tick every lane sensor once; the run keys each one created."""
    return {name: [r.run_key or "" for r in daemon.tick(name).created] for name in LANE_SENSORS}


def register_asset(mongodb: MongoDBResource, dataset_id: str, kind: str) -> None:
    mongodb.register_asset(
        AssetRecord(
            s3_key=f"{dataset_id}/v1/data.parquet",
            dataset_id=dataset_id,
            content_hash=f"sha256:{dataset_id}",
            run_id="0" * 24,
            kind=kind,  # type: ignore[arg-type]
            format="geoparquet" if kind == "spatial" else "parquet",
        )
    )


@pytest.mark.parametrize(
    ("intent", "sensor", "lane", "job", "partitioned"),
    [
        ("ingest_vector", "spatial_sensor", "spatial", "spatial_asset_job", True),
        ("ingest_raster", "spatial_sensor", "spatial", "spatial_asset_job", True),
        ("ingest_tabular", "tabular_sensor", "tabular", "tabular_asset_job", True),
        ("join_datasets", "join_sensor", "join", "join_asset_job", True),
        ("ingest_road_network", "manifest_sensor", "ingest", "ingest_job", False),
        ("ingest_building_footprints", "manifest_sensor", "ingest", "ingest_job", False),
    ],
)
def test_each_intent_is_launched_once_by_its_lane(
    daemon: SensorDaemon,
    landing: Landing,
    mongodb: MongoDBResource,
    intent: str,
    sensor: str,
    lane: str,
    job: str,
    partitioned: bool,
) -> None:
    register_asset(mongodb, "parcels", "spatial")
    register_asset(mongodb, "census", "tabular")
    join = {"spatial_asset_id": "parcels", "tabular_asset_id": "census", "left_key": "id"}
    metadata = {"join_config": join} if intent == "join_datasets" else {}
    document = landing.manifest(intent, "batch_001", tags={"dataset_id": "ds_1"}, **metadata)
    key = landing.put_manifest(document)

    created = tick_all(daemon)

    assert created == {name: [f"{lane}:batch_001"] if name == sensor else [] for name in created}
    run = daemon.runs()[0]
    assert run.job_name == job
    assert run.tags["object_feed/key"] == key
    assert {k: v for k, v in run.tags.items() if "/" not in k} == {
        "batch_id": "batch_001",
        "uploader": "tester",
        "intent": intent,
        "manifest_key": key,
        "lane": lane,
        "manifest_archive_key": f"archive/{key}",
        "dataset_id": "ds_1",
    }
    assert run.tags.get("dagster/partition") == ("ds_1" if partitioned else None)
    if partitioned:
        assert daemon.instance.get_dynamic_partitions("dataset_id") == ["ds_1"]
    assert landing.landing_keys("manifests/") == []
    assert landing.landing_keys("archive/") == [f"archive/{key}"]
    record = mongodb.get_manifest("batch_001")
    assert record is not None
    assert (record.status, record.lane, record.manifest_key) == (LedgerStatus.RUNNING, lane, key)
    assert record.manifest["intent"] == intent
    # The next ticks find nothing new.
    assert tick_all(daemon) == {name: [] for name in LANE_SENSORS}


def test_other_lanes_skip_a_manifest_without_archiving_it(
    daemon: SensorDaemon, landing: Landing
) -> None:
    key = landing.put_manifest(landing.manifest("ingest_tabular", "tab_1"))
    legacy = daemon.tick("manifest_sensor")
    assert legacy.created == []
    assert legacy.skip_message == "No runs requested: of 1 new manifest(s), 1 left to other lanes"
    assert parse_cursor(legacy.cursor) == [key]
    assert landing.landing_keys("manifests/") == [key]
    assert [r.run_key for r in daemon.tick("tabular_sensor").created] == ["tabular:tab_1"]
    assert daemon.tick("manifest_sensor").skip_message == "No new manifests found"


def test_traffic_controller_defaults_to_ingest(daemon: SensorDaemon, landing: Landing) -> None:
    landing.put_manifest(landing.manifest("ingest_road_network", "roads_1"))
    assert [r.run_key for r in daemon.tick("manifest_sensor").created] == ["ingest:roads_1"]


def test_a_lane_disabled_by_the_traffic_controller_archives_without_a_run(
    daemon: SensorDaemon,
    landing: Landing,
    mongodb: MongoDBResource,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ROUTER_ENV_VAR, " Spatial , tabular ")
    key = landing.put_manifest(landing.manifest("ingest_road_network", "roads_2"))
    tick = daemon.tick("manifest_sensor")
    assert tick.run_requests == []
    assert tick.skip_message == (
        "No runs requested: of 1 new manifest(s), 1 canceled (lane disabled) and archived"
    )
    assert parse_cursor(tick.cursor) == [key]
    assert landing.landing_keys("archive/") == [f"archive/{key}"]
    record = mongodb.get_manifest("roads_2")
    assert record is not None and record.status == LedgerStatus.CANCELED
    assert record.error_message is not None
    assert "disabled by MANIFEST_ROUTER_ENABLED_LANES" in record.error_message
    # The controller governs the legacy lane only: the spatial lane runs either way.
    landing.put_manifest(landing.manifest("ingest_vector", "vec_2"))
    assert [r.run_key for r in daemon.tick("spatial_sensor").created] == ["spatial:vec_2"]


def bad_manifests(landing: Landing) -> dict[str, tuple[bytes | dict, str]]:
    """name -> (content, what the ledger's reason must say)."""
    traversal = landing.manifest("ingest_vector", "bad_path")
    traversal["files"][0]["path"] = landing.path("../data-lake/secret.parquet")
    missing = landing.manifest("ingest_vector", "bad_missing")
    missing["files"][0]["path"] = landing.path("bad_missing/nowhere.gpkg")
    schema = landing.manifest("ingest_vector", "bad_schema")
    del schema["uploader"]
    join = landing.manifest(
        "join_datasets",
        "bad_join",
        join_config={"spatial_asset_id": "nope", "tabular_asset_id": "census", "left_key": "id"},
    )
    return {
        "bad_json": (b'{"batch_id": "bad_json", ', "is not valid JSON"),
        "bad_schema": (schema, "uploader: Field required"),
        "bad_intent": (
            landing.manifest("ingest_pointcloud", "bad_intent"),
            "intent: 'ingest_pointcloud' is not routed to any lane",
        ),
        "bad_path": (traversal, "has a '..' path segment"),
        "bad_missing": (missing, "files: not found in the landing bucket"),
        "bad_join": (join, "no such asset in the ledger: spatial_asset_id='nope'"),
    }


def test_bad_manifests_are_recorded_as_failure_and_archived(
    daemon: SensorDaemon, landing: Landing, mongodb: MongoDBResource
) -> None:
    register_asset(mongodb, "census", "tabular")
    cases = bad_manifests(landing)
    keys = {name: landing.put_manifest(content, name) for name, (content, _) in cases.items()}
    good = landing.put_manifest(landing.manifest("ingest_road_network", "zz_good"))

    created = tick_all(daemon)

    assert created == {
        "manifest_sensor": ["ingest:zz_good"],
        "spatial_sensor": [],
        "tabular_sensor": [],
        "join_sensor": [],
    }
    assert landing.landing_keys("manifests/") == []
    assert landing.landing_keys("archive/") == sorted(
        f"archive/{k}" for k in [*keys.values(), good]
    )
    records = {r.manifest_key: r for r in mongodb.find_manifests(LedgerStatus.FAILURE)}
    assert set(records) == set(keys.values())
    for name, (_, says) in cases.items():
        record = records[keys[name]]
        assert record.error_message is not None and says in record.error_message, name
    # Invalid JSON has no batch_id: its record is keyed by the manifest and its content.
    assert records[keys["bad_json"]].batch_id.startswith("invalid:manifests/bad_json.json:")
    assert records[keys["bad_schema"]].batch_id == "bad_schema"
    # Recorded by the lane that owns them: the quarantine lane, or the intent's lane.
    assert records[keys["bad_json"]].lane == "ingest"
    assert (records[keys["bad_missing"]].lane, records[keys["bad_join"]].lane) == (
        "spatial",
        "join",
    )
    # Nothing is retried.
    assert tick_all(daemon) == {name: [] for name in LANE_SENSORS}
    assert len(mongodb.find_manifests(LedgerStatus.FAILURE)) == len(cases)


def test_a_reused_batch_id_is_not_launched_and_keeps_the_first_record(
    daemon: SensorDaemon, landing: Landing, mongodb: MongoDBResource
) -> None:
    first = landing.put_manifest(landing.manifest("ingest_vector", "dup"), "dup_a")
    assert len(daemon.tick("spatial_sensor").created) == 1
    landing.put_manifest(landing.manifest("ingest_raster", "dup"), "dup_b")
    tick = daemon.tick("spatial_sensor")
    assert tick.run_requests == []
    assert landing.landing_keys("manifests/") == []
    record = mongodb.get_manifest("dup")
    assert record is not None and record.manifest_key == first
    assert record.manifest["intent"] == "ingest_vector"


class FailingArchive(MinIOResource):
    """The landing bucket refuses moves to archive/ (a permissions slip, an outage)."""

    def move_to_archive(self, key: str) -> str:
        raise PermissionError(f"AccessDenied: copy {key}")


def test_archive_failure_is_a_warning_and_nothing_runs_twice(
    daemon: SensorDaemon, landing: Landing, minio: MinIOResource
) -> None:
    daemon.resources["minio"] = FailingArchive(**minio.model_dump())
    key = landing.put_manifest(landing.manifest("ingest_vector", "stuck"))
    first = daemon.tick("spatial_sensor")
    assert [r.run_key for r in first.created] == ["spatial:stuck"]
    assert parse_cursor(first.cursor) == [key]
    assert landing.landing_keys("manifests/") == [key]
    # In flight: the cursor remembers the key.
    assert daemon.tick("spatial_sensor").skip_message == "No new manifests found"
    # The cursor lost the key (reset, or pushed out by 500 newer ones): the ledger still knows.
    daemon.cursors["spatial_sensor"] = None
    again = daemon.tick("spatial_sensor")
    assert again.run_requests == []
    # Once archiving works again, the manifest leaves the landing zone; still one run.
    daemon.resources["minio"] = minio
    daemon.cursors["spatial_sensor"] = None
    assert daemon.tick("spatial_sensor").run_requests == []
    assert landing.landing_keys("manifests/") == []
    assert [run.tags["batch_id"] for run in daemon.runs()] == ["stuck"]


def test_a_claim_whose_run_was_never_created_is_requested_again(
    daemon: SensorDaemon, landing: Landing, mongodb: MongoDBResource
) -> None:
    landing.put_manifest(landing.manifest("ingest_tabular", "crashed"))
    # The tick claims and archives, then the daemon dies before creating the run.
    context = dg.build_sensor_context(
        instance=daemon.instance,
        instance_ref=daemon.instance.get_ref(),
        sensor_name="tabular_sensor",
        resources=daemon.resources,
        repository_def=daemon.repository,
    )
    context_tick = daemon.repository.get_sensor_def("tabular_sensor").evaluate_tick(context)
    assert [r.run_key for r in context_tick.run_requests or []] == ["tabular:crashed"]
    assert daemon.runs() == []
    assert landing.landing_keys("manifests/") == []
    # After the restart the manifest is gone from landing, but the ledger claim brings it back.
    retried = daemon.tick("tabular_sensor")
    assert [r.run_key for r in retried.created] == ["tabular:crashed"]
    assert retried.run_requests[0].tags["manifest_key"] == "manifests/crashed.json"
    # Once the run exists it is not requested again, and other lanes never request it.
    assert daemon.tick("tabular_sensor").run_requests == []
    assert tick_all(daemon) == {name: [] for name in LANE_SENSORS}
    assert len(daemon.runs()) == 1


def test_a_started_claim_is_not_requested_again(
    daemon: SensorDaemon, landing: Landing, mongodb: MongoDBResource
) -> None:
    landing.put_manifest(landing.manifest("ingest_vector", "started"))
    assert len(daemon.tick("spatial_sensor").created) == 1
    for run in daemon.runs():
        daemon.instance.delete_run(run.run_id)  # even with Dagster's run record gone
    mongodb.update_manifest_status("started", LedgerStatus.RUNNING, dagster_run_id="run-1")
    assert daemon.tick("spatial_sensor").run_requests == []


def test_cursor_is_bounded_and_keeps_the_most_recent_keys(
    daemon: SensorDaemon, landing: Landing
) -> None:
    old = json.dumps({"v": 1, "processed_keys": [f"manifests/old_{i:04}.json" for i in range(600)]})
    daemon.cursors["join_sensor"] = "manifests/legacy_a.json,manifests/legacy_b.json"
    tick = daemon.tick("join_sensor")
    assert tick.skip_message == "No new manifests found"
    daemon.cursors["join_sensor"] = old
    key = landing.put_manifest(landing.manifest("ingest_vector", "new_one"))
    tick = daemon.tick("join_sensor")
    stored = json.loads(tick.cursor or "")
    assert stored["v"] == 1 and stored["max_keys"] == MAX_CURSOR_KEYS
    assert len(stored["processed_keys"]) == MAX_CURSOR_KEYS
    assert stored["processed_keys"][-1] == key
    assert stored["processed_keys"][0] == "manifests/old_0101.json"


def test_a_tick_reads_at_most_batch_size_manifests(
    daemon: SensorDaemon, landing: Landing, lanes: ManifestLanes
) -> None:
    for i in range(5):
        landing.put_manifest(landing.manifest("ingest_vector", f"many_{i}"))
    smaller = lanes.model_copy(update={"batch_size": 2})
    daemon = lane_daemon(daemon.instance, smaller, daemon.resources)
    sizes = [len(daemon.tick("spatial_sensor").created) for _ in range(4)]
    assert sizes == [2, 2, 1, 0]


class LedgerDown(MongoDBResource):
    """The ledger refuses every write, as when MongoDB is unreachable."""

    def claim_manifest(self, record: ManifestRecord) -> bool:
        raise ConnectionError(
            "MongoDB at mongodb:27017 is unreachable: check MONGO_CONNECTION_STRING"
        )


def test_a_ledger_outage_fails_the_tick_and_the_next_tick_recovers(
    daemon: SensorDaemon, landing: Landing, mongodb: MongoDBResource
) -> None:
    first = landing.put_manifest(landing.manifest("ingest_vector", "outage_1"))
    landing.put_manifest(landing.manifest("ingest_raster", "outage_2"))
    daemon.resources["mongodb"] = LedgerDown(**mongodb.model_dump())
    with pytest.raises(ConnectionError, match="MONGO_CONNECTION_STRING"):
        daemon.tick("spatial_sensor")
    assert daemon.cursors.get("spatial_sensor") is None
    assert first in landing.landing_keys("manifests/")
    daemon.resources["mongodb"] = mongodb
    assert sorted(r.run_key or "" for r in daemon.tick("spatial_sensor").created) == [
        "spatial:outage_1",
        "spatial:outage_2",
    ]
    assert landing.landing_keys("manifests/") == []
