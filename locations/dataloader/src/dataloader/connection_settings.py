"""``db_config_value`` holds where a source is, never how to log in to it.

Credentials live in the secret scope named by ``db_kv_scope``: a password in
``db_config_value`` (or anywhere in a load's config) would travel in run config, visible in
the Dagster UI and stored in Dagster's database. Every way config enters (the YAML
component, the master sensor's claim, the run's config class, the Pipes script) refuses
it with the same check: ``lakebase.credential_paths`` (recursive, by key pattern, inside
JSON strings and connection URIs).
"""

from typing import Any

from lakebase import credential_paths, credentials_message


def reject_credentials(field: str, value: Any) -> Any:
    """``value`` unchanged, or ``ValueError`` naming where credentials are (not their value)."""
    if paths := credential_paths(value):
        raise ValueError(credentials_message(field, paths))
    return value
