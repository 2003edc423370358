import os
import shutil
import tempfile
from pathlib import Path

import psycopg
import pytest

from local_services import PostgresCluster, stop_local_clusters
from platform_testing import world_readable_tempdir


def test_session_cluster_serves_sql_on_loopback(postgres_cluster: PostgresCluster) -> None:
    assert postgres_cluster.port is not None
    assert "@127.0.0.1:" in postgres_cluster.dsn()
    with psycopg.connect(postgres_cluster.dsn()) as conn:
        row = conn.execute("SELECT current_setting('listen_addresses')").fetchone()
    assert row == ("127.0.0.1",)


def test_each_test_gets_an_empty_database(postgres_dsn: str) -> None:
    with psycopg.connect(postgres_dsn) as conn:
        conn.execute("CREATE TABLE t (x int)")
        conn.execute("INSERT INTO t VALUES (1), (2)")
        assert conn.execute("SELECT sum(x) FROM t").fetchone() == (3,)


def test_postgis_database_has_the_extension(postgis_dsn: str) -> None:
    with psycopg.connect(postgis_dsn) as conn:
        row = conn.execute("SELECT ST_AsText(ST_MakePoint(1, 2))").fetchone()
    assert row == ("POINT(1 2)",)


def test_ensure_running_is_idempotent_and_restarts_a_stopped_cluster() -> None:
    base = world_readable_tempdir("pg-restart-")
    cluster = PostgresCluster.create(base / "cluster", durable=False)
    try:
        port = cluster.ensure_running()
        assert cluster.ensure_running() == port
        dsn = cluster.create_database("keep")
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE TABLE kept (x int)")
        cluster.stop()
        assert not cluster.is_running()
        with pytest.raises(Exception, match="not running"):
            cluster.dsn()
        cluster.ensure_running()
        with psycopg.connect(cluster.dsn("keep")) as conn:
            assert conn.execute("SELECT count(*) FROM kept").fetchone() == (0,)
    finally:
        cluster.destroy()
        shutil.rmtree(base, ignore_errors=True)


def test_local_clusters_under_a_dagster_home_are_stopped_on_request() -> None:
    home = world_readable_tempdir("home-")
    cluster = PostgresCluster.create(home / "local" / "svc" / "cluster", durable=False)
    try:
        cluster.ensure_running()
        assert stop_local_clusters(home) == [cluster.base_dir]
        assert not cluster.is_running()
        assert stop_local_clusters(home) == []
    finally:
        cluster.destroy()
        shutil.rmtree(home, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs Postgres as another user")
def test_a_cluster_under_a_root_only_folder_starts_keeps_its_data_and_stops(
    tmp_path: Path,
) -> None:
    """As root, Postgres runs as ``postgres``, which cannot enter a ``mktemp -d`` folder (0700):
    the cluster still starts there, keeps its data across a restart and is stopped on request."""
    home = Path(tempfile.mkdtemp(prefix="root-only-home-", dir=tmp_path))
    assert home.stat().st_mode & 0o077 == 0
    cluster = PostgresCluster.create(home / "local" / "svc" / "cluster", durable=False)
    try:
        port = cluster.ensure_running()
        with psycopg.connect(cluster.create_database("keep"), autocommit=True) as conn:
            conn.execute("CREATE TABLE kept (x int)")
        assert stop_local_clusters(home) == [cluster.base_dir]
        assert not cluster.is_running()
        assert cluster.ensure_running(port) == port
        with psycopg.connect(cluster.dsn("keep")) as conn:
            assert conn.execute("SELECT count(*) FROM kept").fetchone() == (0,)
    finally:
        cluster.destroy()
    assert not cluster.data_dir.exists()
