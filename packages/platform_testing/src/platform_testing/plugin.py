"""Fixtures for real services, registered for every test in the workspace (``pytest11``).

Each service starts once per session, on 127.0.0.1, and is stopped at the end. A fixture
skips its tests with a one-line reason only when the service cannot run on this machine.

Under pytest-xdist (``scripts/test`` runs ``-n 2 --dist loadgroup``) a location's or
package's tests run on one worker, so its session fixtures (a Postgres cluster, estore's dbt
build) start once, not once per worker; the workspace tests that serve the workspace (one
``./scripts/dev`` session, the location venvs) share one worker too.
"""

import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from local_services import (
    PostgresCluster,
    PostgresUnavailable,
    ServerProcess,
    start_gcs_emulator,
    start_s3_server,
)
from platform_testing.paths import throwaway_cluster

if TYPE_CHECKING:
    from pytest_httpserver import HTTPServer

# Workspace test modules that share the ``dev_session`` or the location venvs.
SERVING_MODULES = frozenset({"tests/test_scripts_dev.py", "tests/test_workspace_serves.py"})


def test_area(nodeid: str) -> str:
    """``locations/<name>`` or ``packages/<name>``; for workspace tests their module, or one
    area for those that serve the workspace (they share a session and the location venvs)."""
    path = nodeid.split("::", 1)[0]
    parts = path.split("/")
    if parts[0] in ("locations", "packages") and len(parts) > 2:
        return "/".join(parts[:2])
    return "workspace-serving" if path in SERVING_MODULES else path


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """Under ``--dist loadgroup``, whole areas (see :func:`test_area`) go to one worker each.

    xdist's own groups (``xdist_group`` markers, read into node ids) are lost on pytest 9,
    whose node ids are read-only, so the area is read from the node id's path instead.
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByArea(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return test_area(nodeid)

    return ByArea(config, log)  # type: ignore[arg-type]


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


@pytest.fixture
def alert_sink(httpserver: "HTTPServer", monkeypatch: pytest.MonkeyPatch) -> "HTTPServer":
    """A real local webhook for ``platform_alerting``: ``ALERT_WEBHOOK_URL`` points at its
    ``/alerts`` in the local environment, and its ``log`` holds every alert sent."""
    monkeypatch.setenv("DAGSTER_ENVIRONMENT", "local")
    monkeypatch.setenv("ALERT_WEBHOOK_URL", httpserver.url_for("/alerts"))
    httpserver.expect_request("/alerts", method="POST").respond_with_data("ok")
    return httpserver
