"""Temporary folders and clusters for tests and benchmarks."""

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from local_services import PostgresCluster


def world_readable_tempdir(prefix: str) -> Path:
    """A temp folder the ``postgres`` user can enter (pytest's own are private to root)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


@contextmanager
def throwaway_cluster(prefix: str = "pg-") -> Iterator[PostgresCluster]:
    """A running, non-durable Postgres cluster in a temp folder, deleted afterwards."""
    base = world_readable_tempdir(prefix)
    try:
        cluster = PostgresCluster.create(base / "cluster", durable=False)
        cluster.ensure_running()
        try:
            yield cluster
        finally:
            cluster.destroy()
    finally:
        shutil.rmtree(base, ignore_errors=True)
