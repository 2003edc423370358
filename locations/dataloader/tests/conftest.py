"""Fixtures for the dataloader: a migrated Lakebase, a source database, local resources."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlparse

import dagster as dg
import psycopg
import pytest

from dataloader.assets.retry_analysis import RetryAdvisorResource
from dataloader.jobs.landing_table_git import StagingRepositoryResource
from dataloader.resources.catalog import DestinationCatalogResource
from dataloader.resources.compute import PipesComputeResource
from dataloader.resources.lakebase import LakebaseResource
from lakebase import LakebaseClient, TableRegistration, apply_migrations, close_pools
from lakebase.testing import ManualClock
from local_services import PostgresCluster


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


class ClockedLakebaseResource(LakebaseResource):
    """The production resource, reading time from the test's clock instead of the wall."""

    clock: ClassVar[ManualClock]

    def get_client(self) -> LakebaseClient:
        return self.make_client(clock=ClockedLakebaseResource.clock)


@pytest.fixture
def lakebase_resource(postgres_dsn: str, clock: ManualClock) -> Iterator[LakebaseResource]:
    apply_migrations(postgres_dsn)
    ClockedLakebaseResource.clock = clock
    url = urlparse(postgres_dsn)
    yield ClockedLakebaseResource(
        host=url.hostname or "", port=url.port or 5432, database=url.path.lstrip("/")
    )
    close_pools()


@pytest.fixture
def lakebase(lakebase_resource: LakebaseResource) -> LakebaseClient:
    return lakebase_resource.get_client()


@pytest.fixture
def source_dsn(postgres_cluster: PostgresCluster, request: pytest.FixtureRequest) -> str:
    """A source database with ``orders`` (incremental on updated_at) and ``customers``."""
    dsn = postgres_cluster.create_database(f"src_{abs(hash(request.node.nodeid)) % 10**10}")
    with psycopg.connect(dsn) as conn:
        conn.execute(
            """
            DROP TABLE IF EXISTS orders, customers;
            CREATE TABLE customers (customer_id int PRIMARY KEY, name text, country text);
            INSERT INTO customers SELECT i, 'c' || i, CASE WHEN i % 2 = 0 THEN 'NL' END
                FROM generate_series(1, 20) i;
            CREATE TABLE orders (order_id bigint PRIMARY KEY, amount numeric(10, 2),
                                 updated_at timestamptz NOT NULL);
            INSERT INTO orders SELECT i, i * 1.5,
                timestamptz '2026-01-01 00:00:00+00' + i * interval '1 minute'
                FROM generate_series(1, 100) i;
            """
        )
    return dsn


def _source_config(dsn: str) -> dict[str, object]:
    url = urlparse(dsn)
    return {
        "host": url.hostname,
        "port": url.port,
        "database": url.path.lstrip("/"),
        "user": url.username,
    }


def _registration(key: str, dsn: str, **overrides: object) -> TableRegistration:
    fields: dict[str, object] = {
        "control_key": key,
        "source_schema_name": "public",
        "source_table_name": key,
        "destination_catalog": "bronze",
        "destination_schema_name": "shop",
        "destination_table_name": key,
        "db_type": "postgres",
        "db_config_value": _source_config(dsn),
        "cron_schedule": "0 * * * *",
    }
    return TableRegistration(**{**fields, **overrides})  # type: ignore[arg-type]


@pytest.fixture
def resources(lakebase_resource: LakebaseResource, tmp_path: Path) -> dict[str, object]:
    """The local resource set, with every path inside the test's folder."""
    return {
        "lakebase": lakebase_resource,
        "pipes_databricks": PipesComputeResource(backend="subprocess"),
        "databricks_rest": DestinationCatalogResource(lakehouse_root=str(tmp_path / "lake")),
        "retry_advisor": RetryAdvisorResource(kind="rules"),
        "staging_repository": StagingRepositoryResource(path=str(tmp_path / "models-repo")),
    }


@pytest.fixture
def instance() -> dg.DagsterInstance:
    return dg.DagsterInstance.ephemeral()


@pytest.fixture
def source_config() -> Callable[[str], dict[str, object]]:
    """Connection settings (no password) of a source database, as ``db_config_value``."""
    return _source_config


@pytest.fixture
def registration() -> Callable[..., TableRegistration]:
    """Builds a TableRegistration of a source table: ``registration(key, dsn, **overrides)``."""
    return _registration
