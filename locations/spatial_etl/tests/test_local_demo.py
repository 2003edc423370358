"""The local demo drops valid batches for every lane, and bad ones that are all quarantined;
its seed sensor does it once per fresh local session; its command needs a running session."""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from local_services.shared import stop_shared_servers
from platform_config import Environment
from spatial_etl.components.manifest_lanes import ManifestLanes
from spatial_etl.local_demo import (
    BATCHES,
    PARCELS,
    POPULATION,
    SENSOR_NAME,
    bad_manifests,
    demo_definitions,
    drop_batch,
    main,
)
from spatial_etl.testing import Landing, SensorDaemon
from spatial_manifest import parse_manifest
from spatial_platform.ledger import AssetRecord, LedgerStatus
from spatial_platform.minio_resource import MinIOResource
from spatial_platform.mongodb_resource import MongoDBResource
from spatial_platform.resources import spatial_resources


def test_every_sample_batch_is_a_valid_manifest_routed_to_its_lane(
    minio: MinIOResource, landing: Landing, lanes: ManifestLanes
) -> None:
    lanes_used = set()
    for batch in BATCHES.values():
        key = drop_batch(minio, batch, "t1")
        raw = minio.get_object(minio.landing_bucket, key)
        manifest = parse_manifest(raw, key, minio.landing_bucket)
        assert manifest.dataset_id == batch.dataset_id
        for entry in manifest.files:
            assert minio.object_exists(entry.bucket, entry.key), entry.path
        lane = lanes.routing.lane_for(manifest.intent)
        assert lane is not None
        lanes_used.add(lane.name)
    assert lanes_used == {"ingest", "spatial", "tabular", "join"}
    assert len(landing.landing_keys("manifests/")) == len(BATCHES)


def test_the_bad_samples_are_each_recorded_as_failure(
    minio: MinIOResource, mongodb: MongoDBResource, daemon: SensorDaemon
) -> None:
    bad = bad_manifests(minio.landing_bucket, "t2")
    for name, raw in bad.items():
        minio.put_object(minio.landing_bucket, f"manifests/bad_{name}.json", raw)
    created = [
        r
        for name in ("join_sensor", "spatial_sensor", "manifest_sensor")
        for r in daemon.tick(name).created
    ]
    assert created == []
    failures = mongodb.find_manifests(LedgerStatus.FAILURE)
    assert sorted(r.manifest_key for r in failures) == sorted(
        f"manifests/bad_{name}.json" for name in bad
    )
    assert all(r.error_message for r in failures)


@pytest.fixture
def local_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A ``DAGSTER_HOME`` of its own; the local servers started under it stop afterwards."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.delenv("DAGSTER_ENVIRONMENT", raising=False)
    try:
        yield home
    finally:
        stop_shared_servers(home)


def test_the_demo_command_refuses_without_a_running_session(local_home: Path) -> None:
    with pytest.raises(SystemExit) as refused:
        main(["drop", "vector"])
    message = str(refused.value.code)
    assert "no dg dev session is running" in message and "./scripts/dev" in message
    assert len(message.splitlines()) == 1
    assert not list(local_home.rglob("servers.json")), "it started a server of its own"


def test_the_seed_sensor_drops_every_lane_once_per_session_then_the_join(
    local_home: Path,
) -> None:
    defs = demo_definitions(Environment.LOCAL)
    sensor = defs.resolve_sensor_def(SENSOR_NAME)
    resources = spatial_resources(Environment.LOCAL)
    minio, mongodb = resources["minio"], resources["mongodb"]

    def tick(cursor: str | None) -> dg.SensorResult | dg.SkipReason:
        result = sensor(dg.build_sensor_context(cursor=cursor))
        assert isinstance(result, (dg.SensorResult, dg.SkipReason))
        return result

    def manifests() -> list[str]:
        return sorted(
            o.object_name
            for o in minio.get_client().list_objects(minio.landing_bucket, prefix="manifests/")
        )

    first = tick(None)
    assert isinstance(first, dg.SensorResult) and first.cursor
    dropped = manifests()
    assert [k.split("_")[1] for k in dropped] == ["legacy", "raster", "tabular", "vector"]

    waiting = tick(first.cursor)
    assert isinstance(waiting, dg.SkipReason) and "waiting" in (waiting.skip_message or "")
    assert manifests() == dropped
    ingested = [
        AssetRecord(
            s3_key="p/v1",
            dataset_id=PARCELS,
            content_hash="p",
            run_id="0" * 24,
            version=1,
            kind="spatial",
            format="geoparquet",
        ),
        AssetRecord(
            s3_key="t/v1",
            dataset_id=POPULATION,
            content_hash="t",
            run_id="0" * 24,
            version=1,
            kind="tabular",
            format="parquet",
        ),
    ]
    for record in ingested:
        mongodb.insert_asset(record)
    joined = tick(first.cursor)
    assert isinstance(joined, dg.SensorResult) and joined.cursor
    (new,) = [k for k in manifests() if k not in dropped]
    assert new.startswith("manifests/demo_join_")
    assert isinstance(tick(joined.cursor), dg.SkipReason)
    assert manifests() != dropped and len(manifests()) == len(BATCHES)


def test_the_seed_sensor_is_a_local_demo_sensor() -> None:
    assert not list(demo_definitions(Environment.PROD).sensors or [])
    sensor = demo_definitions(Environment.LOCAL).resolve_sensor_def(SENSOR_NAME)
    assert (sensor.description or "").startswith("Local demo: ")
