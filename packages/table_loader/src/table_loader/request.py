"""What a load is asked to do, what it reports, and how it fails."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SUPPORTED_DB_TYPES = frozenset({"postgres", "postgresql"})
STRATEGIES = ("full", "incremental")
_REQUIRED_CONFIG = ("host", "port", "database", "user")


class LoadError(Exception):
    """A load that cannot succeed as asked; the message names the input to fix."""


@dataclass(frozen=True)
class LoadRequest:
    control_key: str
    db_type: str
    db_config: Mapping[str, Any]
    source_schema: str
    source_table: str
    destination_uri: str
    load_strategy: str
    incremental_column: str | None = None
    incremental_value: str | None = None
    batch_rows: int = 100_000

    @property
    def incremental(self) -> bool:
        return self.load_strategy == "incremental"


@dataclass(frozen=True)
class LoadResult:
    rows_loaded: int
    watermark: str | None
    duration_seconds: float
    destination_uri: str
    columns: list[tuple[str, str]]


def validate(request: LoadRequest) -> None:
    """Reject a bad request before any connection is made."""
    if request.db_type not in SUPPORTED_DB_TYPES:
        supported = ", ".join(sorted(SUPPORTED_DB_TYPES))
        raise LoadError(
            f"db_type {request.db_type!r} is not supported for local loads: use one of "
            f"{supported} (other databases load on Databricks)"
        )
    if not isinstance(request.db_config, Mapping):
        raise LoadError(
            f"db_config_value must be a JSON object with {', '.join(_REQUIRED_CONFIG)}, "
            f"not {type(request.db_config).__name__}"
        )
    for key in _REQUIRED_CONFIG:
        if request.db_config.get(key) in (None, ""):
            raise LoadError(f"db_config_value is missing {key!r}")
    try:
        int(request.db_config["port"])
    except (TypeError, ValueError):
        raise LoadError(
            f"db_config_value 'port' must be a number, not {request.db_config['port']!r}"
        ) from None
    if request.load_strategy not in STRATEGIES:
        raise LoadError(
            f"load_strategy {request.load_strategy!r} is not one of {', '.join(STRATEGIES)}"
        )
    if request.incremental and not request.incremental_column:
        raise LoadError("load_strategy 'incremental' needs incremental_column")
    if request.batch_rows < 1:
        raise LoadError(f"batch_rows must be positive, not {request.batch_rows}")
