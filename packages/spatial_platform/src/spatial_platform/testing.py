"""pytest fixtures for code that uses the spatial platform's resources; a test suite's
conftest imports the ones it uses (``from spatial_platform.testing import minio``).

``minio``: the production MinIO resource on moto's S3 server (``s3_server`` from
platform_testing), with buckets of its own for each test; ``mongodb``: the production ledger
resource on a MongoDB wire-protocol server (``mongodb_server``, one per session), a
database per test.
"""

import uuid
from collections.abc import Iterator

import dagster as dg
import pytest

from local_services import ServerProcess, start_mongodb_server
from spatial_platform.minio_resource import MinIOResource
from spatial_platform.mongodb_resource import MongoDBResource


@pytest.fixture
def minio(s3_server: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> MinIOResource:
    suffix = uuid.uuid4().hex[:10]
    monkeypatch.setenv("MINIO_ROOT_PASSWORD", "test-secret")
    resource = MinIOResource(
        endpoint=s3_server.url.removeprefix("http://"),
        access_key="test",
        secret_key=dg.EnvVar("MINIO_ROOT_PASSWORD"),
        landing_bucket=f"landing-{suffix}",
        lake_bucket=f"lake-{suffix}",
    )
    resource.ensure_buckets()
    return resource


@pytest.fixture(scope="session")
def mongodb_server() -> Iterator[ServerProcess]:
    """A MongoDB wire-protocol server (secantusdb) in memory; fails, never skips, when it
    cannot start: it is a dev dependency of the workspace."""
    server = start_mongodb_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mongodb(mongodb_server: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> MongoDBResource:
    monkeypatch.setenv("MONGO_CONNECTION_STRING", mongodb_server.url)
    return MongoDBResource(
        connection_string=dg.EnvVar("MONGO_CONNECTION_STRING"),
        database=f"ledger_{uuid.uuid4().hex[:10]}",
    )
