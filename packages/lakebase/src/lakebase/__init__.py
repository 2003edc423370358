"""Typed client and migrations for the Lakebase (Postgres) control database."""

from lakebase.client import LakebaseClient, utc_now
from lakebase.migrate import apply_migrations
from lakebase.models import (
    LoadStrategy,
    QueuedLoad,
    Status,
    SyncResult,
    TableControl,
    TableRegistration,
)
from lakebase.schedule import next_load_time

__all__ = [
    "LakebaseClient",
    "LoadStrategy",
    "QueuedLoad",
    "Status",
    "SyncResult",
    "TableControl",
    "TableRegistration",
    "apply_migrations",
    "next_load_time",
    "utc_now",
]
