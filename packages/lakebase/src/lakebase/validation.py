"""What a ``table_control`` row must hold before a load may be queued for it.

Rows are written by YAML components, by SQL and by older code, so the claim checks each row
on its own: a row that fails a check ends ``Failed`` with the column and value named, and the
rest of the batch goes on. Credentials are looked for with ``platform_config.credentials``
(recursively, by key pattern, inside JSON strings and connection URIs): run config (and so
Dagster's storage) must never see one.
"""

import re
from collections.abc import Mapping
from typing import Any

from croniter import croniter

from platform_config.credentials import credential_paths, credentials_message

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SUPPORTED_DB_TYPES = ("mysql", "oracle", "postgres", "postgresql", "sqlserver")
_REQUIRED_TEXT = (
    "control_key",
    "source_schema_name",
    "source_table_name",
    "destination_catalog",
    "destination_schema_name",
    "destination_table_name",
    "db_type",
)
_JSON_TYPES = {str: "string", int: "number", float: "number", bool: "boolean", list: "array"}
_IDENTIFIER_COLUMNS = ("destination_catalog", "destination_schema_name", "destination_table_name")


SECRET_SCOPE_REMEDY = "put credentials in the secret scope named by db_kv_scope"
# Everything ``db_config_value`` may hold: where the source is, never how to log in. The run's
# config schema has exactly these keys, so the Launchpad refuses any other before a run exists.
DB_CONFIG_KEYS = ("host", "port", "database", "user", "sslmode", "connect_timeout")


def check_identifier(field: str, value: str) -> str:
    """``value`` if it is a plain identifier; names become paths and SQL, so nothing else."""
    if not _IDENTIFIER.fullmatch(value):
        raise ValueError(
            f"{field} {value!r} is not a plain identifier: use letters, digits and _ only, "
            "not starting with a digit"
        )
    return value


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def row_problem(row: Mapping[str, Any]) -> str | None:
    """Why ``row`` cannot be loaded (one message naming the column and value), or ``None``."""
    for column in _REQUIRED_TEXT:
        value = row.get(column)
        if not isinstance(value, str) or not value.strip():
            return f"{column} must be a non-empty text, got {_shown(value)}"
    if "..." in row["control_key"] or any(ord(c) < 32 for c in row["control_key"]):
        return f"control_key {_shown(row['control_key'])} holds '...' or a control character"
    config = row.get("db_config_value")
    paths = credential_paths(config)
    if paths:
        return credentials_message("db_config_value", paths, SECRET_SCOPE_REMEDY)
    if not isinstance(config, Mapping):
        return (
            "db_config_value must be a JSON object with host and database, "
            f"got a JSON {_JSON_TYPES.get(type(config), 'null')}"
        )
    unknown = sorted(str(key) for key in config if key not in DB_CONFIG_KEYS)
    if unknown:
        return (
            f"db_config_value has unknown key(s) {', '.join(unknown)}: use only "
            f"{', '.join(DB_CONFIG_KEYS)}"
        )
    for key in ("host", "database"):
        if not isinstance(config.get(key), str) or not config[key].strip():
            return f"db_config_value is missing {key!r} (got {_shown(config.get(key))})"
    port = config.get("port")
    numeric = isinstance(port, int) and not isinstance(port, bool)
    if port is not None and not numeric and not (isinstance(port, str) and port.isdigit()):
        return f"db_config_value.port must be a number, got {_shown(port)}"
    if row["db_type"] not in SUPPORTED_DB_TYPES:
        return (
            f"db_type {row['db_type']!r} is not supported: use one of "
            f"{', '.join(SUPPORTED_DB_TYPES)}"
        )
    for column in _IDENTIFIER_COLUMNS:
        try:
            check_identifier(column, row[column])
        except ValueError as exc:
            return str(exc)
    strategy = row.get("load_strategy")
    if strategy not in ("full", "incremental"):
        return f"load_strategy must be 'full' or 'incremental', got {_shown(strategy)}"
    if strategy == "incremental" and not row.get("incremental_column"):
        return "incremental_column is empty, but load_strategy is 'incremental'"
    cron = row.get("cron_schedule")
    if not isinstance(cron, str) or not croniter.is_valid(cron):
        return f"cron_schedule {_shown(cron)} is not a valid cron expression (e.g. '0 2 * * *')"
    if not isinstance(row.get("db_kv_scope", ""), str):
        return f"db_kv_scope must be a text, got {_shown(row.get('db_kv_scope'))}"
    return None
