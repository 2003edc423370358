"""Streams a source table into a Delta lakehouse table in bounded memory."""

from table_loader.delta_sink import describe_delta_table
from table_loader.load import run_load
from table_loader.request import (
    SUPPORTED_DB_TYPES,
    LoadError,
    LoadRequest,
    LoadResult,
)

__all__ = [
    "SUPPORTED_DB_TYPES",
    "LoadError",
    "LoadRequest",
    "LoadResult",
    "describe_delta_table",
    "run_load",
]
