"""Fixtures for real services, registered for every test in the workspace (``pytest11``).

Each service starts once per session, on 127.0.0.1, and is stopped at the end. A fixture
skips its tests with a one-line reason only when the service cannot run on this machine.

Under pytest-xdist (``scripts/test`` runs ``-n 2 --dist loadgroup``) every test gets an
``xdist_group``: a location's or package's tests run on one worker, so its session fixtures
(a Postgres cluster, estore's dbt build) start once, not once per worker; the workspace tests
that serve the workspace (``dev_session``, ``location_venvs``) share one group too.
"""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_services import (
    PostgresCluster,
    PostgresUnavailable,
    ServerProcess,
    start_gcs_emulator,
    start_s3_server,
)
from platform_testing.paths import throwaway_cluster

SERVING_FIXTURES = frozenset({"dev_session", "location_venvs"})


def xdist_group(path: Path, root: Path, fixturenames: list[str]) -> str:
    """``locations/<name>`` or ``packages/<name>``; for workspace tests their module, or one
    group for those that serve the workspace (they share a session and the location venvs)."""
    parts = path.relative_to(root).parts
    if parts[0] in ("locations", "packages") and len(parts) > 2:
        return "/".join(parts[:2])
    if SERVING_FIXTURES & set(fixturenames):
        return "workspace-serving"
    return "/".join(parts)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            names = list(getattr(item, "fixturenames", []))
            group = xdist_group(item.path, config.rootpath, names)
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A throwaway Postgres cluster (with PostGIS when the system has it)."""
    try:
        with throwaway_cluster("pg-cluster-") as cluster:
            yield cluster
    except PostgresUnavailable as exc:
        pytest.skip(f"Postgres cannot run here: {str(exc).splitlines()[0]}")


@pytest.fixture(scope="session")
def postgis_cluster(postgres_cluster: PostgresCluster) -> PostgresCluster:
    """The session cluster, when its binaries come with PostGIS."""
    if not postgres_cluster.has_postgis:
        pytest.skip("PostGIS is not installed (apt-get install -y postgresql-15-postgis-3)")
    return postgres_cluster


@pytest.fixture
def postgres_dsn(postgres_cluster: PostgresCluster) -> str:
    """A fresh, empty database in the session cluster for one test."""
    return postgres_cluster.create_database(f"test_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def postgis_dsn(postgis_cluster: PostgresCluster) -> str:
    """A fresh database with the ``postgis`` extension for one test."""
    return postgis_cluster.create_database(f"test_{uuid.uuid4().hex[:12]}", extensions=["postgis"])


@pytest.fixture(scope="session")
def s3_server() -> Iterator[ServerProcess]:
    """moto's S3 server over HTTP (what MinIO's client talks to locally)."""
    server = start_s3_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def gcs_emulator() -> Iterator[ServerProcess]:
    """The GCS JSON API emulator over HTTP, in memory."""
    server = start_gcs_emulator()
    try:
        yield server
    finally:
        server.stop()
