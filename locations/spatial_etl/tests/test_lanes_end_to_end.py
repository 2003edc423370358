"""Every lane end to end: sample batches dropped as an uploader would, the lane sensors from
defs/lanes/defs.yaml, the lane jobs and assets, the run status sensors, and the ledger, on
moto's S3 server, a MongoDB wire server and a throwaway PostGIS cluster."""

import json
from urllib.parse import urlparse

import dagster as dg
import psycopg
import pytest
from dagster.components.testing.utils import component_defs

from spatial_etl.assets import joined_spatial_asset, raw_spatial_asset, raw_tabular_asset
from spatial_etl.components.manifest_lanes import ManifestLanes
from spatial_etl.jobs import LANE_JOBS
from spatial_etl.local_demo import BATCHES, drop_batch
from spatial_etl.testing import Landing, SensorDaemon
from spatial_platform import GDALResource, LedgerStatus, PostGISResource
from spatial_platform.minio_resource import MinIOResource
from spatial_platform.mongodb_resource import MongoDBResource

LANE_SENSORS = ["manifest_sensor", "spatial_sensor", "tabular_sensor", "join_sensor"]
STATUS_SENSORS = [
    "manifest_run_failure_sensor",
    "manifest_run_canceled_sensor",
    "manifest_run_success_sensor",
]


@pytest.fixture
def postgis(postgis_dsn: str) -> PostGISResource:
    url = urlparse(postgis_dsn)
    return PostGISResource(
        host=url.hostname or "127.0.0.1", port=url.port or 5432, database=url.path.lstrip("/")
    )


@pytest.fixture
def platform(
    instance: dg.DagsterInstance,
    lanes: ManifestLanes,
    minio: MinIOResource,
    mongodb: MongoDBResource,
    postgis: PostGISResource,
) -> SensorDaemon:
    """The location's lanes and assets on test resources; runs execute in process."""
    resources = {"minio": minio, "mongodb": mongodb, "postgis": postgis, "gdal": GDALResource()}
    defs = dg.Definitions.merge(
        component_defs(component=lanes),
        dg.Definitions(
            assets=[raw_spatial_asset, raw_tabular_asset, joined_spatial_asset],
            jobs=LANE_JOBS,
            resources=resources,
        ),
    )
    daemon = SensorDaemon(instance, defs.get_repository_def(), resources, execute=True)
    for name in STATUS_SENSORS:
        daemon.tick(name)  # a run status sensor's first tick only sets its cursor
    return daemon


def cycle(daemon: SensorDaemon) -> list[str]:
    """One round of the daemon: lane sensors (runs execute), then the run status sensors."""
    run_keys = [r.run_key or "" for name in LANE_SENSORS for r in daemon.tick(name).created]
    for name in STATUS_SENSORS:
        daemon.tick(name)
    return run_keys


def schemas(postgis: PostGISResource) -> list[str]:
    dsn = f"host={postgis.host} port={postgis.port} dbname={postgis.database} user=postgres"
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'proc\\_%'"
        ).fetchall()
    return [row[0] for row in rows]


def test_every_lane_runs_end_to_end(
    platform: SensorDaemon,
    minio: MinIOResource,
    mongodb: MongoDBResource,
    postgis: PostGISResource,
    landing: Landing,
) -> None:
    keys = {name: drop_batch(minio, BATCHES[name], "e2e") for name in BATCHES if name != "join"}
    launched = cycle(platform)
    assert sorted(launched) == sorted(
        [
            "spatial:demo_vector_e2e",
            "spatial:demo_raster_e2e",
            "tabular:demo_tabular_e2e",
            "ingest:demo_legacy_e2e",
        ]
    )
    # The join names the two datasets the first round put in the ledger.
    keys["join"] = drop_batch(minio, BATCHES["join"], "e2e")
    assert cycle(platform) == ["join:demo_join_e2e"]

    for name, key in keys.items():
        record = mongodb.get_manifest(f"demo_{name}_e2e")
        assert record is not None, name
        assert (record.status, record.error_message) == (LedgerStatus.SUCCESS, None), name
        run = mongodb.get_run(record.dagster_run_id or "")
        assert run is not None and run.status == LedgerStatus.SUCCESS, name
        assert run.asset_ids, name
        asset = mongodb.get_asset_by_id(run.asset_ids[0])
        assert asset is not None and asset.dataset_id == BATCHES[name].dataset_id
        assert minio.object_exists(minio.lake_bucket, asset.s3_key), name
        assert landing.landing_keys("archive/").count(f"archive/{key}") == 1
    assert landing.landing_keys("manifests/") == []
    assert schemas(postgis) == []
    # Nothing runs twice.
    assert cycle(platform) == []
    assert len(platform.runs()) == len(keys)


def test_a_corrupt_file_fails_its_run_and_the_ledger_says_why(
    platform: SensorDaemon, minio: MinIOResource, mongodb: MongoDBResource, landing: Landing
) -> None:
    document = landing.manifest("ingest_vector", "corrupt_1", tags={"dataset_id": "corrupt"})
    landing.put_file("corrupt_1/input.geojson", b'{"type": "FeatureCollection", "features": [')
    key = landing.put_manifest(document)
    assert cycle(platform) == ["spatial:corrupt_1"]
    record = mongodb.get_manifest("corrupt_1")
    assert record is not None and record.status == LedgerStatus.FAILURE
    assert record.error_message is not None
    assert record.error_message.startswith("Run failed: raw_spatial_asset")
    assert landing.landing_keys("archive/") == [f"archive/{key}"]
    run = mongodb.get_run(record.dagster_run_id or "")
    assert run is not None and run.status == LedgerStatus.FAILURE


def test_a_join_whose_columns_do_not_match_fails_and_drops_its_schema(
    platform: SensorDaemon,
    minio: MinIOResource,
    mongodb: MongoDBResource,
    postgis: PostGISResource,
) -> None:
    for name in ("vector", "tabular"):
        drop_batch(minio, BATCHES[name], "j")
    cycle(platform)
    join = BATCHES["join"]
    bad = type(join)(
        "badjoin",
        join.intent,
        "demo_bad_join",
        join_config={**(join.join_config or {}), "left_key": "no_such_column"},
    )
    drop_batch(minio, bad, "j")
    assert cycle(platform) == ["join:demo_badjoin_j"]
    record = mongodb.get_manifest("demo_badjoin_j")
    assert record is not None and record.status == LedgerStatus.FAILURE
    assert "no_such_column" in (record.error_message or "")
    assert schemas(postgis) == []
    assert json.loads(
        minio.get_object(minio.landing_bucket, "archive/manifests/demo_badjoin_j.json")
    )
