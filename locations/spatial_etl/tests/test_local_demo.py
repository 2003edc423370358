"""The local demo drops valid batches for every lane, and bad ones that are all quarantined."""

from spatial_etl.components.manifest_lanes import ManifestLanes
from spatial_etl.local_demo import BATCHES, bad_manifests, drop_batch
from spatial_etl.testing import Landing, SensorDaemon
from spatial_manifest import parse_manifest
from spatial_platform.ledger import LedgerStatus
from spatial_platform.minio_resource import MinIOResource
from spatial_platform.mongodb_resource import MongoDBResource


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
