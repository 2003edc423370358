from collections.abc import Callable
from urllib.parse import urlparse

import pytest

from table_loader import LoadRequest


def _request_for(dsn: str, table: str, uri: str, **overrides: object) -> LoadRequest:
    url = urlparse(dsn)
    fields: dict[str, object] = {
        "control_key": f"test.{table}",
        "db_type": "postgres",
        "db_config": {
            "host": url.hostname,
            "port": url.port,
            "database": url.path.lstrip("/"),
            "user": url.username,
        },
        "source_schema": "public",
        "source_table": table,
        "destination_uri": uri,
        "load_strategy": "full",
    }
    return LoadRequest(**{**fields, **overrides})  # type: ignore[arg-type]


@pytest.fixture
def request_for() -> Callable[..., LoadRequest]:
    """Builds a LoadRequest for a table of a test database: ``request_for(dsn, table, uri)``."""
    return _request_for
