"""With no configuration, the location starts, migrates and seeds its own Postgres."""

import shutil

import psycopg
import pytest

from dataloader.resources.lakebase import LocalLakebaseResource
from local_services import PostgresCluster, free_port
from platform_testing import throwaway_cluster, world_readable_tempdir


def test_first_use_starts_a_migrated_lakebase_with_the_demo_source() -> None:
    base = world_readable_tempdir("local-lakebase-")
    port = free_port()
    try:
        resource = LocalLakebaseResource(state_dir=str(base), port=port)
        client = resource.get_client()
        assert client.get_control_tables() == []
        demo = f"postgresql://postgres@127.0.0.1:{port}/demo_source"
        with psycopg.connect(demo) as conn:
            orders = conn.execute("SELECT count(*) FROM orders").fetchone()
            customers = conn.execute("SELECT count(*) FROM customers").fetchone()
        assert orders == (5000,) and customers == (500,)
    finally:
        PostgresCluster.create(base / "cluster").destroy()
        shutil.rmtree(base, ignore_errors=True)


def test_a_cluster_already_running_on_another_port_is_reported() -> None:
    with throwaway_cluster("local-lakebase-") as cluster:
        other = free_port()
        resource = LocalLakebaseResource(state_dir=str(cluster.base_dir.parent), port=other)
        with pytest.raises(Exception, match=f"runs on port {cluster.port}, not {other}"):
            resource.get_client()
