"""The ``lakebase`` resource: the control database, remote in production, local on a laptop."""

from datetime import timedelta
from functools import cache
from pathlib import Path

import dagster as dg
from psycopg.conninfo import make_conninfo

from lakebase import LakebaseClient, RetryPolicy, apply_migrations, utc_now
from lakebase.client import Clock
from platform_config.env_secret import ResourceWithSecrets, Secret, read_secret


class LakebaseResource(ResourceWithSecrets):
    """Postgres connection settings of Lakebase (``LAKEBASE_*`` variables in production),
    and the retry policy every failure write applies (from the control plane's YAML).

    Production schemas are migrated by ``lakebase-migrate``, not by the resource.
    """

    host: str
    port: int = 5432
    database: str = "dataloader"
    user: str = "postgres"
    password: Secret | None = None
    sslmode: str = "prefer"
    connect_timeout_seconds: int = 10
    max_retries: int = 3
    backoff_minutes: float = 15
    max_backoff_minutes: float = 360

    def conninfo(self) -> str:
        return make_conninfo(
            host=self.host,
            port=self.port,
            dbname=self.database,
            user=self.user,
            password=read_secret(self.password) or None,
            sslmode=self.sslmode,
            connect_timeout=self.connect_timeout_seconds,
            application_name="dagster-dataloader",
        )

    def make_client(self, clock: Clock = utc_now) -> LakebaseClient:
        return LakebaseClient(
            self.conninfo(),
            clock=clock,
            policy=RetryPolicy(
                max_retries=self.max_retries,
                base_delay=timedelta(minutes=self.backoff_minutes),
                max_delay=timedelta(minutes=self.max_backoff_minutes),
            ),
            connect_timeout=self.connect_timeout_seconds,
        )

    def get_client(self) -> LakebaseClient:
        return self.make_client()


class LocalLakebaseResource(LakebaseResource):
    """Lakebase on a Postgres cluster this location starts itself (``local`` environment).

    The first use starts the cluster in ``state_dir`` (kept between sessions), creates the
    database, applies the migrations and, with ``seed_demo``, creates the demo source.
    """

    host: str = "127.0.0.1"
    port: int = 54320
    state_dir: str = ""
    seed_demo: bool = True

    def get_client(self) -> LakebaseClient:
        _ensure_local_lakebase(self.state_dir, self.port, self.database, self.seed_demo)
        return super().get_client()


@cache
def _ensure_local_lakebase(state_dir: str, port: int, database: str, seed_demo: bool) -> None:
    """Once per process: cluster running, database migrated, demo source seeded."""
    from dataloader.local_demo import seed_demo_source
    from local_services import PostgresCluster
    from local_services import state_dir as default_state_dir

    base = Path(state_dir) if state_dir else default_state_dir("dataloader-postgres")
    cluster = PostgresCluster.create(base / "cluster")
    running_port = cluster.ensure_running(port)
    if running_port != port:
        raise dg.DagsterInvariantViolationError(
            f"the local Lakebase cluster in {base} runs on port {running_port}, not {port}: "
            "stop it (pg_ctl stop) or set the port in the control plane's YAML to match"
        )
    apply_migrations(cluster.create_database(database))
    if seed_demo:
        seed_demo_source(cluster.create_database("demo_source"))
