"""Where local stand-ins keep their files between `dg dev` sessions."""

import os
from pathlib import Path

from local_services.postgres import PostgresCluster, find_bindir


def state_dir(name: str) -> Path:
    """``$DAGSTER_HOME/local/<name>`` (``.dagster/local`` under ``scripts/dev``).

    Without ``DAGSTER_HOME``, ``~/.local/state/dagster-platform/<name>``.
    """
    if home := os.environ.get("DAGSTER_HOME"):
        root = Path(home) / "local"
    else:
        root = Path.home() / ".local" / "state" / "dagster-platform"
    path = root / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def stop_local_clusters(dagster_home: Path) -> list[Path]:
    """Stop every Postgres cluster that local resources started under ``dagster_home``.

    Their data stays; the next use starts them again.
    """
    stopped = []
    for data in sorted((dagster_home / "local").glob("*/cluster/data")):
        cluster = PostgresCluster(data.parent, find_bindir())
        if cluster.is_running():
            cluster.stop()
            stopped.append(cluster.base_dir)
    return stopped
