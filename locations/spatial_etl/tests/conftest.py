"""Fixtures of the spatial_etl tests: moto's S3 server behind the MinIO resource, the ledger
on a MongoDB wire server, the lanes as written in defs/lanes/defs.yaml, and a sensor daemon stand-in."""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
import yaml

from spatial_etl.components.manifest_lanes import ManifestLanes
from spatial_etl.testing import Landing, SensorDaemon, lane_daemon
from spatial_platform.minio_resource import MinIOResource
from spatial_platform.mongodb_resource import MongoDBResource
from spatial_platform.testing import minio, mongodb, mongodb_server  # noqa: F401 (fixtures)

LANES_YAML = Path(__file__).resolve().parents[1] / "src/spatial_etl/defs/lanes/defs.yaml"
SENSOR_NAME_TAG = "dagster/sensor_name"


@pytest.fixture
def lanes() -> ManifestLanes:
    """The component exactly as the location's YAML configures it."""
    return ManifestLanes.model_validate(yaml.safe_load(LANES_YAML.read_text())["attributes"])


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
