"""Resources of the spatial platform on real local services."""

from urllib.parse import urlparse

import pytest

from spatial_platform import PostGISResource
from spatial_platform.testing import minio, mongodb, mongodb_server  # noqa: F401 (fixtures)


@pytest.fixture
def postgis(postgis_dsn: str) -> PostGISResource:
    url = urlparse(postgis_dsn)
    return PostGISResource(
        host=url.hostname or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        database=url.path.lstrip("/"),
    )
