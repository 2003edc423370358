"""Lakebase down or not migrated: every tick says so in one line, and the next one recovers."""

from collections.abc import Iterator
from functools import cache
from urllib.parse import urlparse

import dagster as dg
import pytest

from dataloader.definitions import defs
from dataloader.resources.lakebase import LakebaseResource
from lakebase import LakebaseNotMigrated, LakebaseUnavailable, apply_migrations, close_pools
from local_services import PostgresCluster
from platform_testing import throwaway_cluster

POLLING_SENSORS = [
    "master_sensor",
    "longqueued_monitor",
    "longrunning_monitor",
    "failed_monitor",
    "landing_table_monitor",
]


@cache
def definitions() -> dg.Definitions:
    return defs()


def tick(name: str, resource: LakebaseResource) -> dg.SensorResult:
    context = dg.build_sensor_context(
        instance=dg.DagsterInstance.ephemeral(),
        resources={"lakebase": resource},
        definitions=definitions(),
    )
    result = definitions().resolve_sensor_def(name)(context)
    assert isinstance(result, dg.SensorResult)
    return result


def resource_for(dsn: str) -> LakebaseResource:
    url = urlparse(dsn)
    return LakebaseResource(
        host=url.hostname or "",
        port=url.port or 5432,
        database=url.path.lstrip("/"),
        connect_timeout_seconds=1,
    )


@pytest.fixture
def own_cluster() -> Iterator[PostgresCluster]:
    """A cluster of this test's own, to stop and start."""
    with throwaway_cluster("lakebase-outage-") as cluster:
        yield cluster
    close_pools()


def test_lakebase_down_fails_each_tick_in_one_line_then_recovers(
    own_cluster: PostgresCluster,
) -> None:
    dsn = own_cluster.create_database("lakebase")
    apply_migrations(dsn)
    resource = resource_for(dsn)
    assert len(tick("master_sensor", resource).run_requests or []) == 2  # the demo tables
    port = own_cluster.port
    own_cluster.stop()
    for name in POLLING_SENSORS:
        with pytest.raises(LakebaseUnavailable) as caught:
            tick(name, resource)
        message = str(caught.value)
        assert "\n" not in message
        assert f"unreachable at 127.0.0.1:{port}/lakebase" in message
        assert "LAKEBASE_HOST" in message
    own_cluster.ensure_running(port)
    result = tick("master_sensor", resource)  # the pool reconnects by itself
    assert result.skip_reason is not None
    assert result.skip_reason.skip_message == "no table is due"


def test_an_unmigrated_lakebase_names_the_migration_command(postgres_dsn: str) -> None:
    resource = resource_for(postgres_dsn)
    for name in POLLING_SENSORS:
        with pytest.raises(LakebaseNotMigrated, match=r"not migrated .*run `lakebase-migrate"):
            tick(name, resource)
    apply_migrations(postgres_dsn)
    assert len(tick("master_sensor", resource).run_requests or []) == 2
    close_pools()
