"""``db_config_value`` holds where a source is, never how to log in to it.

Credentials live in the secret scope named by ``db_kv_scope``: a password in
``db_config_value`` (or anywhere in a load's config) would travel in run config, visible in
the Dagster UI and stored in Dagster's database. Every way config enters (the YAML
component, the master sensor's claim, the run's config class, the Pipes script) refuses
it with the same check, ``platform_config.credentials`` (recursive, by key pattern, inside
JSON strings and connection URIs), and the same advice.
"""

from typing import Any

from lakebase import SECRET_SCOPE_REMEDY
from platform_config import credentials


def reject_credentials(field: str, value: Any) -> Any:
    """``value`` unchanged, or ``ValueError`` naming where credentials are (not their value)."""
    return credentials.reject_credentials(field, value, SECRET_SCOPE_REMEDY)
