"""The local stand-ins ``dg dev`` uses, and the resource set picked by environment."""

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_services import PostgresCluster, PostgresUnavailable
from local_services.network import port_is_open
from local_services.postgres import find_bindir
from local_services.shared import stop_shared
from platform_config import Environment
from platform_config.env_secret import EnvSecret
from platform_testing import world_readable_tempdir
from spatial_platform import (
    GDALResource,
    LocalMinIOResource,
    LocalMongoDBResource,
    LocalPostGISResource,
    ManifestRecord,
    MinIOResource,
    MongoDBResource,
    PostGISResource,
    spatial_resources,
)


@pytest.fixture
def s3_state(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    stop_shared(tmp_path)


def test_local_minio_starts_one_shared_s3_server(s3_state: Path, tmp_path: Path) -> None:
    first = LocalMinIOResource(state_dir=str(s3_state))
    first.put_object(first.landing_bucket, "manifests/b1.json", b"{}")
    # Another process of the same session (a run worker) finds the same server.
    second = LocalMinIOResource(state_dir=str(s3_state))
    assert second.list_manifests() == ["manifests/b1.json"]
    assert second.get_client().bucket_exists("data-lake")
    assert json.loads((s3_state / "servers.json").read_text())["servers"]["s3"]["port"] > 0


def test_local_ledger_lives_and_dies_with_the_local_lake(s3_state: Path) -> None:
    ledger = LocalMongoDBResource(session_dir=str(s3_state))
    ledger.insert_manifest(ManifestRecord(batch_id="b1", manifest_key="manifests/b1.json"))
    # Another process of the session (a run worker) finds the same MongoDB server.
    assert LocalMongoDBResource(session_dir=str(s3_state)).get_manifest("b1") is not None
    servers = json.loads((s3_state / "servers.json").read_text())["servers"]
    assert servers["mongodb"]["url"].startswith("mongodb://127.0.0.1:")
    # The local services stop (scripts/dev exited): the lake and its ledger go together.
    stop_shared(s3_state)
    for server in servers.values():
        wait_for_port_closed(server["port"])
    assert LocalMongoDBResource(session_dir=str(s3_state)).get_manifest("b1") is None


def wait_for_port_closed(port: int) -> None:
    deadline = time.monotonic() + 30
    while port_is_open(port) and time.monotonic() < deadline:
        time.sleep(0.1)


def test_local_postgis_starts_a_cluster_with_the_compute_database() -> None:
    try:
        find_bindir(require_postgis=True)
    except PostgresUnavailable as exc:
        pytest.skip(str(exc))
    base = world_readable_tempdir("spatial-postgis-")
    try:
        # No port is configured: the cluster takes a free one, and every process of the
        # session (another resource instance) finds it where it runs.
        postgis = LocalPostGISResource(state_dir=str(base))
        assert postgis.execute_sql("SELECT current_database(), postgis_version() IS NOT NULL") == [
            ("spatial_compute", True)
        ]
        running = PostgresCluster.create(base / "cluster", require_postgis=True).port
        assert postgis.execute_sql("SHOW port") == [(str(running),)]
        assert LocalPostGISResource(state_dir=str(base)).execute_sql("SELECT 1") == [(1,)]
    finally:
        PostgresCluster.create(base / "cluster", require_postgis=True).stop()
        shutil.rmtree(base, ignore_errors=True)


def test_resources_by_environment() -> None:
    local = spatial_resources(Environment.LOCAL)
    assert sorted(local) == ["gdal", "minio", "mongodb", "postgis"]
    assert isinstance(local["minio"], LocalMinIOResource)
    assert isinstance(local["mongodb"], LocalMongoDBResource)
    assert isinstance(local["postgis"], LocalPostGISResource)
    assert local["postgis"].port is None  # a free port, never a fixed one
    prod = spatial_resources(Environment.PROD)
    assert type(prod["minio"]) is MinIOResource
    assert type(prod["mongodb"]) is MongoDBResource
    assert type(prod["postgis"]) is PostGISResource
    assert isinstance(prod["gdal"], GDALResource)
    # Secrets stay references to the environment, never values in the definitions.
    assert prod["minio"].secret_key == EnvSecret(env="MINIO_ROOT_PASSWORD")
    assert prod["mongodb"].connection_string == EnvSecret(env="MONGO_CONNECTION_STRING")
    assert prod["postgis"].password == EnvSecret(env="POSTGRES_PASSWORD")
    assert prod["minio"].landing_bucket == "landing-zone"
