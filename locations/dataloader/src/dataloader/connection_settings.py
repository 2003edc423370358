"""``db_config_value`` holds where a source is, never how to log in to it.

Credentials live in the secret scope named by ``db_kv_scope``: a password in
``db_config_value`` (or anywhere in a load's config) would travel in run config, visible in
the Dagster UI and stored in Dagster's database. Every way config enters (the YAML
component, the master sensor's claim, the run's config class, the Pipes script) refuses
it with the same check, ``platform_config.credentials`` (recursive, by key pattern, inside
JSON strings and connection URIs), and the same advice.

In the run's config ``db_config_value`` is a closed shape, ``SourceConnection``, not a free
dict: Dagster validates run config against it when the Launchpad submits a run, so a
``password`` (or any other key) typed there is refused before the run exists and is never
stored. Rows of ``table_control`` with other keys fail at the claim, alone.
"""

from typing import Any

import dagster as dg

from lakebase import SECRET_SCOPE_REMEDY
from platform_config import credentials


class SourceConnection(dg.Config):
    """Where a source is (``lakebase.DB_CONFIG_KEYS``), and nothing else."""

    host: str
    port: int | None = None
    database: str
    user: str | None = None
    sslmode: str | None = None
    connect_timeout: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """The keys that were set, as the load script reads them."""
        return self.model_dump(exclude_none=True)


def reject_credentials(field: str, value: Any) -> Any:
    """``value`` unchanged, or ``ValueError`` naming where credentials are (not their value)."""
    return credentials.reject_credentials(field, value, SECRET_SCOPE_REMEDY)
