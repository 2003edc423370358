"""The environment dbt runs in: the warehouse of ``DAGSTER_ENVIRONMENT``.

dbt reads its connection from ``dbt_project/profiles.yml``: ``ESTORE_DUCKDB_PATH`` locally
(defaulted here to the file the load job writes, see ``estore.settings.local_duckdb_path``),
``ESTORE_BQ_*`` in npd/prod.
"""

import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from estore.settings import local_duckdb_path
from platform_config import current_environment

DUCKDB_PATH_VAR = "ESTORE_DUCKDB_PATH"


def dbt_environment() -> dict[str, str]:
    """Variables dbt needs beyond the inherited environment (none outside ``local``)."""
    if current_environment().is_local:
        return {DUCKDB_PATH_VAR: str(local_duckdb_path())}
    return {}


def _path_with_dbt() -> str | None:
    """``PATH`` with this interpreter's scripts folder first when ``dbt`` is not on it.

    dbt is installed with the location; a process started without an activated virtualenv
    (a bare ``.venv/bin/python``) would not find it.
    """
    if shutil.which("dbt"):
        return None
    return os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


@contextmanager
def exported_for_dbt() -> Iterator[None]:
    """Export :func:`dbt_environment` while a dbt process starts; restore the environment after.

    dagster-dbt starts dbt with a copy of ``os.environ`` and takes no extra variables.
    """
    added = {k: v for k, v in dbt_environment().items() if k not in os.environ}
    path = _path_with_dbt()
    previous_path = os.environ.get("PATH")
    os.environ.update(added)
    if path is not None:
        os.environ["PATH"] = path
    try:
        yield
    finally:
        for key in added:
            os.environ.pop(key, None)
        if path is not None and previous_path is not None:
            os.environ["PATH"] = previous_path
