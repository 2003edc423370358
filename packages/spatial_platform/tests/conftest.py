"""Resources of the spatial platform on real local services (mongomock for MongoDB)."""

import uuid
from urllib.parse import urlparse

import dagster as dg
import pytest

from local_services import ServerProcess
from spatial_platform import MinIOResource, MongoDBResource, PostGISResource


@pytest.fixture
def minio(s3_server: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> MinIOResource:
    """MinIOResource on moto's S3 server, with buckets of its own for each test."""
    suffix = uuid.uuid4().hex[:8]
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


@pytest.fixture
def ledger() -> MongoDBResource:
    """The ledger on mongomock (no MongoDB server can run here), a database per test."""
    return MongoDBResource(backend="mongomock", database=f"ledger_{uuid.uuid4().hex[:8]}")


@pytest.fixture
def postgis(postgis_dsn: str) -> PostGISResource:
    url = urlparse(postgis_dsn)
    return PostGISResource(
        host=url.hostname or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        database=url.path.lstrip("/"),
    )
