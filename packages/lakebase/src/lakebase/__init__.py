"""Typed client and migrations for the Lakebase (Postgres) control database."""

from lakebase.client import LakebaseClient, close_pools, utc_now
from lakebase.errors import LakebaseError, LakebaseNotMigrated, LakebaseUnavailable, StaleClaim
from lakebase.migrate import apply_migrations
from lakebase.models import (
    ClaimBatch,
    LoadStrategy,
    QueuedLoad,
    RejectedRow,
    RetryPolicy,
    Status,
    SyncResult,
    TableControl,
    TableRegistration,
)
from lakebase.schedule import next_load_time
from lakebase.validation import DB_CONFIG_KEYS, SECRET_SCOPE_REMEDY, row_problem

__all__ = [
    "DB_CONFIG_KEYS",
    "SECRET_SCOPE_REMEDY",
    "ClaimBatch",
    "LakebaseClient",
    "LakebaseError",
    "LakebaseNotMigrated",
    "LakebaseUnavailable",
    "LoadStrategy",
    "QueuedLoad",
    "RejectedRow",
    "RetryPolicy",
    "StaleClaim",
    "Status",
    "SyncResult",
    "TableControl",
    "TableRegistration",
    "apply_migrations",
    "close_pools",
    "next_load_time",
    "row_problem",
    "utc_now",
]
