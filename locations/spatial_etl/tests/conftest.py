"""Fixtures of the spatial_etl tests: moto's S3 server behind the MinIO resource, a mongomock
ledger, the lanes as written in defs/lanes/defs.yaml, and a sensor daemon stand-in."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
import yaml

from local_services import ServerProcess
from spatial_etl.components.manifest_lanes import ManifestLanes
from spatial_etl.testing import Landing, SensorDaemon, lane_daemon
from spatial_platform.minio_resource import MinIOResource
from spatial_platform.mongodb_resource import MongoDBResource

LANES_YAML = Path(__file__).resolve().parents[1] / "src/spatial_etl/defs/lanes/defs.yaml"
SENSOR_NAME_TAG = "dagster/sensor_name"


@pytest.fixture
def lanes() -> ManifestLanes:
    """The component exactly as the location's YAML configures it."""
    return ManifestLanes.model_validate(yaml.safe_load(LANES_YAML.read_text())["attributes"])


@pytest.fixture
def minio(s3_server: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> MinIOResource:
    """The production resource on moto's S3 server, with buckets of its own per test."""
    suffix = uuid.uuid4().hex[:10]
    monkeypatch.setenv("MINIO_ROOT_PASSWORD", "test-secret")
    resource = MinIOResource(
        endpoint=f"127.0.0.1:{s3_server.port}",
        access_key="test",
        secret_key=dg.EnvVar("MINIO_ROOT_PASSWORD"),
        landing_bucket=f"landing-{suffix}",
        lake_bucket=f"lake-{suffix}",
    )
    resource.ensure_buckets()
    return resource


@pytest.fixture
def mongodb() -> MongoDBResource:
    """The ledger on mongomock (no MongoDB server can run here), one database per test."""
    return MongoDBResource(backend="mongomock", database=f"ledger_{uuid.uuid4().hex[:10]}")


@pytest.fixture
def landing(minio: MinIOResource) -> Landing:
    return Landing(minio)


@pytest.fixture(scope="session")
def shared_instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        yield instance


@pytest.fixture
def instance(shared_instance: dg.DagsterInstance) -> dg.DagsterInstance:
    """The session's SQLite instance, emptied of runs and partitions for each test."""
    shared_instance.wipe()
    for key in shared_instance.get_dynamic_partitions("dataset_id"):
        shared_instance.delete_dynamic_partition("dataset_id", key)
    return shared_instance


@pytest.fixture
def daemon(
    instance: dg.DagsterInstance,
    lanes: ManifestLanes,
    minio: MinIOResource,
    mongodb: MongoDBResource,
) -> SensorDaemon:
    return lane_daemon(instance, lanes, {"minio": minio, "mongodb": mongodb})
