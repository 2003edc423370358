from collections.abc import Callable, Iterator

import pytest

from lakebase import LakebaseClient, TableRegistration, apply_migrations, close_pools
from lakebase.testing import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def lakebase(postgres_dsn: str, clock: ManualClock) -> Iterator[LakebaseClient]:
    apply_migrations(postgres_dsn)
    yield LakebaseClient(postgres_dsn, clock=clock)
    close_pools()


def _registration(key: str, **overrides: object) -> TableRegistration:
    fields: dict[str, object] = {
        "control_key": key,
        "source_schema_name": "public",
        "source_table_name": key,
        "destination_catalog": "bronze",
        "destination_schema_name": "sales",
        "destination_table_name": key,
        "db_type": "postgres",
        "db_config_value": {"host": "127.0.0.1", "port": 5432, "database": "src", "user": "u"},
        "cron_schedule": "0 * * * *",
    }
    return TableRegistration(**{**fields, **overrides})  # type: ignore[arg-type]


@pytest.fixture
def registration() -> Callable[..., TableRegistration]:
    """Builds a TableRegistration: ``registration(key, **overrides)``."""
    return _registration
