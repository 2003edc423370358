"""Report results as one Delta table, in OneLake in production and in a local folder locally.

Each write replaces the rows of one (report, due time) in a single Delta commit, so a rerun
replaces instead of duplicating, and a write that fails leaves the table as it was.
"""

from fabric_store.location import (
    AZURITE_ACCOUNT_KEY,
    AZURITE_ACCOUNT_NAME,
    TableLocation,
    azurite_location,
    local_location,
    onelake_location,
    onelake_location_from_env,
)
from fabric_store.store import RESULTS_SCHEMA, FabricStore, FabricWriteError, ResultRow, WriteResult

__all__ = [
    "AZURITE_ACCOUNT_KEY",
    "AZURITE_ACCOUNT_NAME",
    "RESULTS_SCHEMA",
    "FabricStore",
    "FabricWriteError",
    "ResultRow",
    "TableLocation",
    "WriteResult",
    "azurite_location",
    "local_location",
    "onelake_location",
    "onelake_location_from_env",
]
