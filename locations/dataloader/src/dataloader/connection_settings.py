"""``db_config_value`` holds where a source is, never how to log in to it.

Credentials live in the secret scope named by ``db_kv_scope``: a password in
``db_config_value`` would travel in run config, visible in the Dagster UI.
"""

from collections.abc import Mapping
from typing import Any

SECRET_KEYS = frozenset({"password", "pwd", "passwd", "secret", "token", "api_key"})


def secret_keys(db_config: Mapping[str, Any]) -> list[str]:
    """The keys of ``db_config`` that look like credentials, sorted."""
    return sorted(key for key in db_config if key.lower() in SECRET_KEYS)


def secret_keys_message(keys: list[str]) -> str:
    return (
        f"db_config_value must not hold {', '.join(keys)}: put credentials in the secret "
        "scope named by db_kv_scope"
    )
